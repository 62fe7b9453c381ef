"""Exchange versions an admin can pin in the config, without importing exchangelib.

Pinning the version (with an explicit endpoint and auth type) lets exchangelib skip its
version-guessing round trips, so start-up costs no extra requests."""

from __future__ import annotations

NAMED = {
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


def parse_version(text: str) -> tuple[int, ...]:
    """``"2016"``, ``"2013_SP1"``, ``"online"`` or a build number like ``"15.1.2507.6"``."""
    key = text.strip().lower().replace(" ", "_")
    if key in NAMED:
        return NAMED[key]
    parts = key.split(".")
    if 2 <= len(parts) <= 4 and all(p.isdigit() for p in parts):
        build = tuple(int(p) for p in parts)
        if build[0] < 14:
            raise ValueError(f"{text!r}: mailbot needs Exchange 2010 (14.x) or newer")
        return build
    raise ValueError(
        f"{text!r} is not an Exchange version; use one of {', '.join(NAMED)} or a build like 15.1.2507.6"
    )
