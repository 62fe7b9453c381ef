"""Exchange Server (on-premises, hybrid) and Exchange Online through EWS, with exchangelib.

``versions`` is import-light (config validation uses it); ``connect`` builds the
exchangelib account from the settings; ``calls`` runs one EWS operation with bounded,
logged retries; ``adapter`` is the mailbox port.
"""
