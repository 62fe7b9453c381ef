"""Reports for people: the weekly manager summary (R29, R30)."""
