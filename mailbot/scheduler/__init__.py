"""The daemon: APScheduler jobs for sync, evaluation and release; clean shutdown."""
