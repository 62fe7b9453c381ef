"""mailbot: files a support engineer's case mail, tracks silence in business time,
drafts the process emails for approval and sends only what the engineer approved."""

__version__ = "0.1.0"
