"""A validated-config snapshot, so that the commands that must start fast (an idle
``mailbot tick``, ``mailbot cases``, ``mailbot case N``) need not import pydantic and
the config models (a quarter of a second) on every run.

The full loader (:func:`mailbot.config.load`) stays the authority. After it has
validated a file, the CLI writes what the lean paths need (no secret, ever) together
with a fingerprint of everything the loader read: the file's bytes, the environment
variables it consulted (``$VAR`` in values, ``HOME``, the ``*_env`` secret names), the
files whose existence it checked, the modules that hold the rules and the holidays
package. A lean path uses the snapshot only when the fingerprint, computed again now,
is equal; anything else (a byte of the file, a variable, a missing CA file, a new
mailbot) sends the command down the full path, which validates and writes a fresh
snapshot. So a stale snapshot can neither hide a config error nor serve an old value.

Where it lives: the data directory is itself a config value, so the snapshot cannot be
found there before the config is read. It lives in the user's cache directory
(``$XDG_CACHE_HOME/mailbot``, else ``~/.cache/mailbot``; ``%LOCALAPPDATA%\\mailbot`` on
Windows), named by a hash of the config file's absolute path, owner-only.

Standard library only: importing this module must cost next to nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

try:  # the C module itself: hashlib would first load OpenSSL (milliseconds at start-up)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another Python
    from hashlib import blake2b

FORMAT = 1
_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
# consulted by Path.expanduser() and os.path.expandvars() while paths are resolved
_ALWAYS = ("HOME", "USERPROFILE")
# and by the holidays package for the names of the holidays (gettext)
_LOCALE = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
HOLIDAY_YEARS = (1990, 2070)  # the years whose public holidays the snapshot holds


def cache_dir() -> Path:
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "mailbot"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mailbot"


def _where(config_path: str) -> tuple[Path, Path]:
    """(the config file's absolute path, the snapshot file for it)."""
    real = Path(os.path.abspath(config_path))
    name = blake2b(str(real).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
    return real, cache_dir() / f"config-{name}.json"


def _digest(value: str | None) -> str | None:
    if value is None:
        return None
    return blake2b(value.encode("utf-8", "surrogateescape")).hexdigest()


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def _rule_files() -> list[str]:
    """The code the verdict on a file depends on: mailbot's loader and models, and the
    holidays package (which decides whether a country or subdivision exists)."""
    here = Path(__file__).resolve().parent
    out = [str(here / "__init__.py"), str(here / "config.py"), str(here / "config_models.py")]
    holidays = _holidays_file()
    if holidays:
        out.append(holidays)
    return out


def _holidays_file() -> str | None:
    """The holidays package's ``__init__.py``, found without importing the package when
    it is not loaded (a tick whose holidays were known never loads it)."""
    holidays = sys.modules.get("holidays")
    if holidays is not None:
        found = getattr(holidays, "__file__", None)
        return str(found) if found else None
    import importlib.util

    try:
        spec = importlib.util.find_spec("holidays")
    except (ImportError, ValueError):
        return None
    return str(spec.origin) if spec is not None and spec.origin else None


def _fingerprint(
    real: Path, raw: bytes, env: list[str], secrets: list[str], files: list[str]
) -> dict[str, Any]:
    from mailbot import __version__

    return {
        "config": str(real),
        "blake2b": blake2b(raw).hexdigest(),
        "mailbot": __version__,
        "python": sys.version,
        "env": {name: _digest(os.environ.get(name)) for name in env},
        # secrets: only that each is set in the environment (a value never leaves it)
        "secrets": {name: bool(os.environ.get(name)) for name in secrets},
        "files": {path: _stat(path) for path in files},
    }


def _walk(node: Any, env: set[str], secrets: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.endswith("_env") and isinstance(value, str):
                secrets.add(value)
            _walk(value, env, secrets)
    elif isinstance(node, list):
        for value in node:
            _walk(value, env, secrets)
    elif isinstance(node, str):
        env.update(a or b for a, b in _VAR.findall(node))


def _checked_files(settings: Any) -> list[str]:
    """The files the loader required to exist (CA bundles, certificates)."""
    mb = settings.mailbox
    out = []
    for section in (mb.smtp, mb.graph, mb.ews):
        for attr in ("ca_bundle", "certificate_path"):
            value = getattr(section, attr, None) if section is not None else None
            if value:
                out.append(str(value))
    return out


def lean_settings(settings: Any) -> dict[str, Any]:
    """What the lean paths read, as JSON: never a secret (a database URL only for
    SQLite, which has no password)."""
    cal = settings.calendar
    mb = settings.mailbox
    url = settings.database_url
    return {
        "database_url": url if url.startswith("sqlite:///") else None,
        "data_dir": str(settings.data_dir),
        "mailbox_kind": mb.kind,
        "maildir_path": str(mb.maildir_path) if mb.maildir_path else None,
        "awaiting_approval": mb.folders.awaiting_approval,
        "folders": list(vars(mb.folders).values()),
        "calendar": {
            "timezone": cal.timezone.key,
            "country": cal.country,
            "subdivision": cal.subdivision,
            "workdays": sorted(cal.workdays),
            "start": cal.start.isoformat(),
            "end": cal.end.isoformat(),
            "extra_days_off": sorted(d.isoformat() for d in cal.extra_days_off),
        },
    }


def public_holidays(country: str, subdivision: str | None) -> dict[str, Any]:
    """The public holidays of :data:`HOLIDAY_YEARS`, as the holidays package names them
    (about 10 ms once the package is loaded; loading it costs 0.1-0.2 s)."""
    import holidays

    first, last = HOLIDAY_YEARS
    found = holidays.country_holidays(country, subdiv=subdivision, years=range(first, last + 1))
    return {"years": [first, last], "days": {d.isoformat(): name for d, name in found.items()}}


def _holidays(settings: Any) -> dict[str, Any]:
    known = getattr(settings, "public_holidays", None)
    if known is not None:  # the loader's (from the package or the holidays cache)
        return known
    cal = settings.calendar
    return public_holidays(cal.country, cal.subdivision)


# --- the holidays cache ----------------------------------------------------------------
# The holidays package decides whether a country and subdivision exist, and names their
# public holidays; loading it (all 250 country modules) was a tenth of a busy tick's
# start-up. Its verdict and table depend only on the country, the subdivision, the
# package's files and the locale variables its names follow: after the full loader has
# asked it once, the answer is kept in the cache directory under a fingerprint of
# exactly those, shared by every config with that calendar. A changed package, locale,
# mailbot or Python sends the loader to the package again. Only good answers are kept:
# an unknown country or subdivision is asked (and reported) every time.


def _holidays_where(country: str, subdivision: str | None) -> Path:
    name = blake2b(json.dumps([country, subdivision]).encode("utf-8"), digest_size=16)
    return cache_dir() / f"holidays-{name.hexdigest()}.json"


def _holidays_fingerprint(country: str, subdivision: str | None) -> dict[str, Any]:
    from mailbot import __version__

    package = _holidays_file()
    return {
        "country": country,
        "subdivision": subdivision,
        "years": list(HOLIDAY_YEARS),
        "mailbot": __version__,
        "python": sys.version,
        "env": {name: _digest(os.environ.get(name)) for name in _LOCALE},
        "package": [package, _stat(package) if package else None],
    }


class HolidayCache:
    """What the config loader asks instead of the holidays package, when it can
    (:func:`mailbot.config.load_with_source`)."""

    @staticmethod
    def get(country: str, subdivision: str | None) -> dict[str, Any] | None:
        """The table :func:`public_holidays` gave for this calendar, when the package
        found it good and nothing the answer depends on has changed since; else None."""
        try:
            doc = json.loads(_holidays_where(country, subdivision).read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT:
                return None
            table = doc["holidays"]
            fingerprint = doc["fingerprint"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if fingerprint != _holidays_fingerprint(country, subdivision):
            return None
        if (
            not isinstance(table, dict)
            or table.get("years") != list(HOLIDAY_YEARS)
            or not isinstance(table.get("days"), dict)
        ):
            return None
        return table

    @staticmethod
    def put(country: str, subdivision: str | None) -> dict[str, Any]:
        """Ask the package for the table (the country and subdivision were just found
        good) and keep it (best effort: a cache that cannot be written is only slower)."""
        table = public_holidays(country, subdivision)
        doc = {
            "format": FORMAT,
            "fingerprint": _holidays_fingerprint(country, subdivision),
            "holidays": table,
        }
        from mailbot.files import write_private_json

        with contextlib.suppress(OSError):
            write_private_json(_holidays_where(country, subdivision), doc)
        return table


def save(config_path: str, raw: bytes, data: dict[str, Any], settings: Any) -> None:
    """Write the snapshot after the full loader validated ``raw`` (best effort: a cache
    that cannot be written only means the next start takes the full path)."""
    env: set[str] = set()
    secrets: set[str] = set()
    _walk(data, env, secrets)
    if any(not os.environ.get(name) for name in secrets):
        # served from the OS keyring, which a fingerprint cannot watch cheaply: no snapshot
        forget(config_path)
        return
    real, where = _where(config_path)
    doc = {
        "format": FORMAT,
        "lists": {
            "env": sorted(env | set(_ALWAYS) | set(_LOCALE)),
            "secrets": sorted(secrets),
            "files": sorted(set(_checked_files(settings)) | set(_rule_files())),
        },
        "settings": lean_settings(settings),
    }
    lists = doc["lists"]
    doc["fingerprint"] = _fingerprint(real, raw, lists["env"], lists["secrets"], lists["files"])
    try:
        current = json.loads(where.read_text(encoding="utf-8"))
        same = {k: v for k, v in current.items() if k not in ("id", "holidays")} == doc
    except (OSError, ValueError, AttributeError):
        same = False
    if same:
        return
    doc["id"] = os.urandom(12).hex()  # names this snapshot (the idle tick's state refers to it)
    doc["holidays"] = _holidays(settings)
    from mailbot.files import write_private_json

    with contextlib.suppress(OSError):
        write_private_json(where, doc)


def forget(config_path: str) -> None:
    with contextlib.suppress(OSError):
        _where(config_path)[1].unlink()


def load(config_path: str) -> dict[str, Any] | None:
    """The lean settings of ``config_path`` when its snapshot is still true, else None
    (the caller then takes the full path, which validates and refreshes it)."""
    real, where = _where(config_path)
    try:
        doc = json.loads(where.read_text(encoding="utf-8"))
        raw = real.read_bytes()
        if doc.get("format") != FORMAT:
            return None
        lists = doc["lists"]
        now = _fingerprint(real, raw, lists["env"], lists["secrets"], lists["files"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if now != doc.get("fingerprint"):
        return None
    settings = doc.get("settings")
    if not isinstance(settings, dict):
        return None
    return {**settings, "holidays": doc.get("holidays")}


def fingerprint_id(config_path: str) -> str | None:
    """The id of the snapshot now on disk: a new one whenever the full loader wrote a
    different snapshot (the idle tick's state names the config it was made under)."""
    _real, where = _where(config_path)
    try:
        found = json.loads(where.read_text(encoding="utf-8")).get("id")
    except (OSError, ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None
