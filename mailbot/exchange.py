"""Facts about Exchange that the config checks and the mailbox adapters share: the
versions an admin can pin for EWS and the national clouds' Graph and sign-in hosts.

Pure data and string parsing: importing this module imports nothing else, so
``mailbot.config`` can validate an EWS or Graph section without loading exchangelib,
msal or requests."""

from __future__ import annotations

EWS_VERSIONS = {
    "2010": (14, 0),
    "2010_sp1": (14, 1),
    "2010_sp2": (14, 2),
    "2010_sp3": (14, 3),
    "2013": (15, 0),
    "2013_sp1": (15, 0, 847),
    "2016": (15, 1),
    "2019": (15, 2),
    "online": (15, 20),
}

CLOUDS = {
    # cloud: (Graph endpoint, sign-in authority host), each scheme + host only
    "global": ("https://graph.microsoft.com", "https://login.microsoftonline.com"),
    "usgov": ("https://graph.microsoft.us", "https://login.microsoftonline.us"),
    "usgov-dod": ("https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
    "china": ("https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
}


def parse_version(text: str) -> tuple[int, ...]:
    """``"2016"``, ``"2013_SP1"``, ``"online"`` or a build number like ``"15.1.2507.6"``.

    Pinning the version (with an explicit endpoint and auth type) lets exchangelib skip
    its version-guessing round trips, so start-up costs no extra requests."""
    key = text.strip().lower().replace(" ", "_")
    if key in EWS_VERSIONS:
        return EWS_VERSIONS[key]
    parts = key.split(".")
    if 2 <= len(parts) <= 4 and all(p.isdigit() for p in parts):
        build = tuple(int(p) for p in parts)
        if build[0] < 14:
            raise ValueError(f"{text!r}: mailbot needs Exchange 2010 (14.x) or newer")
        return build
    raise ValueError(
        f"{text!r} is not an Exchange version; use one of {', '.join(EWS_VERSIONS)} or a build like 15.1.2507.6"
    )
