"""Outbound: compose (Jinja2 + signature) ▶ approval folder ▶ durable outbox ▶ window gate ▶ send."""
