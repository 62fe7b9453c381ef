"""A team's configuration: one validated :class:`~mailbot.config.Settings` per engineer.

Two forms, the same content:

- one file: ``[team]`` (the shared database, the data directory, the lease time),
  ``[defaults]`` (any section of an engineer's mailbot config, shared by everyone) and
  ``[engineers.<id>]`` tables, each an engineer's own sections (``engineer``,
  ``mailbox``, and whatever they override);
- a directory: ``team.toml`` with ``[team]`` and ``[defaults]``, and one file per
  engineer, ``engineers/<id>.toml``, holding what an ``[engineers.<id>]`` table would.

An engineer's config is the defaults deep-merged with their own tables (their values
win, tables merge key by key), then validated by the same pydantic models as a
single-engineer file (:func:`mailbot.config.parse`), so every key, rule and error
message is the usual one. The team decides where data lives: ``[data]`` and
``[database]`` are the team's, and each engineer's data directory is
``<team data_dir>/<id>``. Relative paths are relative to the team file's folder.
Every problem is one :class:`~mailbot.config.ConfigError` line naming the file and key.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailbot.config import ConfigError, Settings, parse
from mailbot.team.tenancy import ENGINEER_ID

TEAM_FILE = "team.toml"
ENGINEERS_DIR = "engineers"
TOP_LEVEL = ("team", "defaults", "engineers", "reports")  # reports: mailbot/team/summary.py
TEAM_KEYS = ("database_url", "password_env", "data_dir", "lease_seconds", "poll_seconds")
OWNED_BY_TEAM = ("data", "database")  # an engineer's data lives where the team says
# the database keys every engineer's config gets from [team], by their name there
TEAM_DATABASE_KEYS = {
    "database.url": "team.database_url",
    "database.password_env": "team.password_env",
}


@dataclass(frozen=True)
class TeamSettings:
    """The team: the shared database, and each engineer's settings by id (file order)."""

    source: str
    database_url: str
    data_dir: Path
    lease_seconds: int
    poll_seconds: int
    engineers: dict[str, Settings]

    def fair_share(self, live_workers: int) -> int:
        """The most mailboxes one worker may hold while ``live_workers`` are alive."""
        return math.ceil(len(self.engineers) / max(live_workers, 1))


def load_team(path: str | Path) -> TeamSettings:
    """Read a team file or a team directory (see the module doc)."""
    path = Path(path)
    if path.is_dir():
        team_file = path / TEAM_FILE
        doc = _read(team_file)
        own = _check_top(doc, str(team_file))
        for file in sorted((path / ENGINEERS_DIR).glob("*.toml")):
            engineer_id = file.stem
            if engineer_id in own:
                raise ConfigError(
                    str(file), "-", f"engineer {engineer_id!r} is also in {team_file}"
                )
            own[engineer_id] = (str(file), _read(file))
        base = path.resolve()
        source = str(team_file)
    else:
        doc = _read(path)
        own = _check_top(doc, str(path))
        base = path.resolve().parent
        source = str(path)
    return _build(doc, own, source, base)


def _read(file: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(file), "-", "file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(str(file), "-", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(file), "-", f"is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(str(file), "-", f"cannot read: {exc.strerror}") from None


def _check_top(doc: dict[str, Any], file: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """The document's own engineers, after checking its top-level tables."""
    for key in doc:
        if key not in TOP_LEVEL:
            raise ConfigError(file, key, f"unknown section; a team file has {', '.join(TOP_LEVEL)}")
    engineers = doc.get("engineers", {})
    if not isinstance(engineers, dict):
        raise ConfigError(file, "engineers", "must be a table of [engineers.<id>] tables")
    return {eid: (f"{file} [engineers.{eid}]", body) for eid, body in engineers.items()}


def _team_section(doc: dict[str, Any], file: str) -> dict[str, Any]:
    team = doc.get("team")
    if not isinstance(team, dict):
        raise ConfigError(file, "team", "is required (database_url, data_dir)")
    for key in team:
        if key not in TEAM_KEYS:
            raise ConfigError(
                file, f"team.{key}", f"unknown key; [team] has {', '.join(TEAM_KEYS)}"
            )
    url = team.get("database_url")
    if not isinstance(url, str) or not url.startswith("postgresql"):
        raise ConfigError(
            file,
            "team.database_url",
            "is required and must be a postgresql:// URL (a team shares one PostgreSQL)",
        )
    if not isinstance(team.get("data_dir"), str):
        raise ConfigError(
            file, "team.data_dir", "is required (a folder; each engineer's is <data_dir>/<id>)"
        )
    for key, default, low in (("lease_seconds", 60, 10), ("poll_seconds", 60, 5)):
        value = team.setdefault(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ConfigError(
                file, f"team.{key}", f"must be a whole number of seconds, at least {low}"
            )
    return team


def _build(
    doc: dict[str, Any], own: dict[str, tuple[str, dict[str, Any]]], source: str, base: Path
) -> TeamSettings:
    team = _team_section(doc, source)
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(source, "defaults", "must be a table of config sections")
    for key in OWNED_BY_TEAM:
        if key in defaults:
            raise ConfigError(source, f"defaults.{key}", "is set by [team] for everyone")
    if not own:
        raise ConfigError(source, "engineers", "names no engineer")
    data_dir = (base / Path(team["data_dir"]).expanduser()).resolve()
    engineers: dict[str, Settings] = {}
    for eid, (file, body) in own.items():
        if not ENGINEER_ID.match(eid):
            raise ConfigError(
                file,
                "-",
                f"engineer id {eid!r}: lowercase letters, digits and _, a letter first, at most 40",
            )
        if not isinstance(body, dict):
            raise ConfigError(file, "-", "must be a table of config sections")
        for key in OWNED_BY_TEAM:
            if key in body:
                raise ConfigError(file, key, "is set by [team] for everyone")
        merged = _merge(defaults, body)
        merged["data"] = {"dir": str(data_dir / eid)}
        merged["database"] = {"url": team["database_url"], "password_env": team.get("password_env")}
        try:
            engineers[eid] = parse(merged, file=file, base=base)
        except ConfigError as exc:
            team_key = TEAM_DATABASE_KEYS.get(exc.key)
            if team_key is None:
                raise
            # the team wrote these, not the engineer: name the team's own key
            raise ConfigError(source, team_key, exc.why) from None
    _refuse_shared(engineers)
    first = next(iter(engineers.values()))
    return TeamSettings(
        source=source,
        database_url=first.database_url,
        data_dir=data_dir,
        lease_seconds=team["lease_seconds"],
        poll_seconds=team["poll_seconds"],
        engineers=engineers,
    )


def _merge(defaults: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value of the engineer's replaces the default."""
    out = dict(defaults)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _refuse_shared(engineers: dict[str, Settings]) -> None:
    """Two engineers on one mailbox would file, draft and send everything twice; a
    pickup directory inside a Maildir would deliver one's outgoing mail as mail. Paths
    are compared as the file system resolves them (``..``, symlinks), so the same
    folder written two ways is still the same folder."""
    seen: dict[tuple[str, str], str] = {}
    for eid, s in engineers.items():
        for what, value in _identities(s):
            other = seen.setdefault((what, value), eid)
            if other != eid:
                raise ConfigError(
                    s.source, what, f"{value!r} is also engineer {other!r}'s; each needs their own"
                )
    maildirs = {
        eid: _real(s.mailbox.maildir_path)
        for eid, s in engineers.items()
        if s.mailbox.kind == "maildir" and s.mailbox.maildir_path is not None
    }
    for eid, s in engineers.items():
        if s.mailbox.kind != "maildir" or s.mailbox.pickup_dir is None:
            continue
        pickup = Path(_real(s.mailbox.pickup_dir))
        for owner, maildir in maildirs.items():
            if pickup == Path(maildir) or Path(maildir) in pickup.parents:
                whose = "this engineer" if owner == eid else f"engineer {owner!r}"
                raise ConfigError(
                    s.source,
                    "mailbox.maildir.pickup_dir",
                    f"{str(s.mailbox.pickup_dir)!r} is inside the Maildir of {whose} ({maildir}): "
                    "outgoing mail would arrive there as mail",
                )


def _real(path: Path) -> str:
    return str(Path(path).expanduser().resolve())


def _identities(s: Settings) -> list[tuple[str, str]]:
    mb = s.mailbox
    found = [("engineer.email", s.engineer.email.lower())]
    if mb.kind == "graph" and mb.graph:
        found.append(("mailbox.graph.user", mb.graph.user.lower()))
    elif mb.kind == "ews" and mb.ews:
        found.append(("mailbox.ews.email", mb.ews.email.lower()))
    elif mb.maildir_path is not None:
        found.append(("mailbox.maildir.path", _real(mb.maildir_path)))
        if mb.pickup_dir is not None:
            found.append(("mailbox.maildir.pickup_dir", _real(mb.pickup_dir)))
    return found
