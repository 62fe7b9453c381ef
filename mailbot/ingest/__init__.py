"""Ingest: parse lazily, then a chain of small filters, each adding facts to the message
(after Zammad's mail filters). Filing into cases happens in :mod:`mailbot.ingest.filing`."""
