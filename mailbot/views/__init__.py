"""Read-only views for the CLI: open cases, one case's timeline, and the plan."""
