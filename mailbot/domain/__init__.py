"""Pure domain: kinds and states, the business calendar, and the rules. No I/O here."""
