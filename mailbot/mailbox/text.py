"""Plain text from HTML, shared by the mailbox adapters and the ingest filters."""

from __future__ import annotations

from mailbot.ingest.body import html_to_text

__all__ = ["html_to_text"]
