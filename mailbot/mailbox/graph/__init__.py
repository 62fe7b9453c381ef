"""Exchange Online through Microsoft Graph: plain ``requests`` + ``msal``.

Why not an SDK: msgraph-sdk is async, pulls in kiota and httpx (a 29 MB wheel, 132 MB
unpacked) and cannot be faked with ``responses``; O365 has no messages-delta helper. The
mail endpoints mailbot uses are a dozen plain REST calls, so a small synchronous client
keeps the dependency set small, the behaviour (retries, ids, batching) fully ours, and
the tests honest: the real client runs against a stateful fake of the HTTP API.
"""
