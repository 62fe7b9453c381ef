"""A support team on one PostgreSQL: many engineers' mailboxes, several workers.

``tenancy`` scopes each mailbox to a PostgreSQL schema of its own, ``config`` reads the
team's configuration into one :class:`mailbot.config.Settings` per engineer, ``leases``
shares the mailboxes among workers with fencing tokens, ``worker`` runs the cycles of
the mailboxes a worker holds. docs/design.md ("A team on one PostgreSQL") has the why.
"""
