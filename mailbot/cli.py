"""The ``mailbot`` command. Heavy imports happen inside the commands so ``--help`` is fast."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

EXIT_USAGE = 1
EXIT_CONFIG = 2


class UsageError(Exception):
    """A wrong command line: one line and exit 1, as every other failure is one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see: {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="mailbot",
        description="Files a support engineer's case mail, tracks customer silence in business time, "
        "drafts the process emails into an approval folder and sends only what was approved.",
    )
    from mailbot import __version__

    p.add_argument("--version", action="version", version=f"mailbot {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def path_option(sp: argparse.ArgumentParser, flag: str, env: str, default: str, what: str):  # type: ignore[no-untyped-def]
        sp.add_argument(
            f"--{flag}",
            f"-{flag[0]}",
            default=os.environ.get(env, default),
            help=f"{what} (default: ${env} or ./{default})",
        )
        return sp

    def with_config(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        return path_option(sp, "config", "MAILBOT_CONFIG", "mailbot.toml", "config file")

    def with_mailbox(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        """The same view of one engineer's mailbox in a team (docs/team.md)."""
        sp.add_argument("--mailbox", "-m", help="a team: the engineer's id (with --team)")
        return path_option(
            sp, "team", "MAILBOT_TEAM", "team.toml", "with --mailbox: the team file or directory"
        )

    d = sub.add_parser("demo", help="run a scripted five-week demo over a throwaway Maildir")
    d.add_argument("--dir", help="keep the demo's Maildir, database and config in this directory")
    d.add_argument(
        "--json", action="store_true", help="print the timeline as JSON instead of a table"
    )
    with_config(sub.add_parser("run", help="run the daemon until SIGTERM/SIGINT"))
    with_config(
        sub.add_parser("tick", help="run exactly one full cycle and exit (for cron and tests)")
    )
    with_config(
        sub.add_parser("check", help="validate the config and the mailbox; exit 2 on a problem")
    )
    with_config(
        sub.add_parser(
            "login", help="sign in once for delegated OAuth (device code); the token is cached"
        )
    )
    db = with_config(sub.add_parser("db", help="database schema and backups"))
    db.add_argument("action", choices=["upgrade", "current", "backup"])
    db.add_argument(
        "file", nargs="?", help="backup: the file to write (SQLite; for PostgreSQL use pg_dump)"
    )
    st = with_mailbox(
        with_config(
            sub.add_parser("status", help="health, the last good cycle, and what mailbot has done")
        )
    )
    st.add_argument("--json", action="store_true")
    q = with_config(
        sub.add_parser("quarantine", help="mail mailbot could not read: list, show, retry, drop")
    )
    q.add_argument("action", choices=["list", "show", "retry", "drop"])
    q.add_argument("id", nargs="?", type=int, help="the quarantined message's id (from list)")
    q.add_argument("--all", action="store_true", help="retry: every quarantined message")
    q.add_argument("--json", action="store_true")
    cs = with_mailbox(
        with_config(
            sub.add_parser("cases", help="open cases, their state, silence and next action")
        )
    )
    cs.add_argument("--json", action="store_true")
    c = with_mailbox(
        with_config(
            sub.add_parser("case", help="one case: timeline and every decision with its reason")
        )
    )
    c.add_argument("number")
    c.add_argument("--json", action="store_true")
    c.add_argument(
        "mark", nargs="?", choices=["mark"], help="record a signal: mailbot case N mark SIGNAL"
    )
    c.add_argument(
        "signal",
        nargs="?",
        help="solution-delivered, waiting, researching, called-reached, premier, closed",
    )
    c.add_argument(
        "--value",
        help="signal value: the TAM's address for premier, the end date (YYYY-MM-DD) for pause",
    )
    pl = with_mailbox(
        with_config(
            sub.add_parser("plan", help="what will be drafted, reminded and sent, and when")
        )
    )
    pl.add_argument("--json", action="store_true")
    sm = with_config(
        sub.add_parser(
            "summary", help="the weekly manager summary (R29): write it to a file for a browser"
        )
    )
    sm.add_argument("--preview", metavar="FILE.html", required=True)
    tm = sub.add_parser(
        "team",
        help="a team on one PostgreSQL (mailbot team --help)",
        add_help=False,
        prefix_chars="+",  # every option, --help too, is left to mailbot/team/cli.py
    )
    tm.add_argument("team_args", nargs=argparse.REMAINDER)  # parsed by mailbot/team/cli.py
    return p


def _load(path: str):  # type: ignore[no-untyped-def]
    """The full loader, the authority on the config; what it validated refreshes the
    snapshot the fast paths start from (mailbot/snapshot.py)."""
    from mailbot import config, snapshot

    settings, raw, data = config.load_with_source(path, holidays=snapshot.HolidayCache)
    snapshot.save(path, raw, data, settings)
    return settings


def _app(path: str, migrate: bool = True, connect: bool = True):  # type: ignore[no-untyped-def]
    from mailbot import app

    return app.build(_load(path), migrate=migrate, connect=connect)


def _view_app(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The database-only app of a view: the single-user config's, or with ``--mailbox``
    one engineer's of a team."""
    if getattr(args, "mailbox", None):
        from mailbot.team.access import mailbox_app

        return mailbox_app(args.team, args.mailbox)
    return _app(args.config, connect=False)  # the database only: works offline


def _print_json(data: Any) -> None:
    """Indented for a person at a terminal, compact for a program (10,000 cases print
    in a fraction of the time)."""
    indent = 2 if sys.stdout.isatty() else None
    print(json.dumps(data, indent=indent, ensure_ascii=False, default=str))


def cmd_check(args: argparse.Namespace) -> int:
    from mailbot import app as app_mod
    from mailbot.store.db import current_revision, make_engine

    settings = _load(args.config)
    problems = []
    try:
        engine = make_engine(settings.database_url)
        rev = current_revision(engine)
        engine.dispose()
    except Exception as exc:
        problems.append(f"{settings.source}: [database.url] cannot connect: {type(exc).__name__}")
        rev = None
    if settings.mailbox.kind == "maildir":
        root = settings.mailbox.maildir_path
        if not root.exists():
            from mailbot.files import missing_maildir

            problems.append(f"{settings.source}: [mailbox.maildir.path] {missing_maildir(root)}")
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        return EXIT_CONFIG
    try:
        # reaches the mailbox, finds or creates its folders, then asks for the rights
        # mailbot will use (send, mailbox settings, impersonation) before anything is sent
        app = app_mod.build(settings, migrate=False)
        missing = _permission_problems(app.mailbox)
    except Exception as exc:  # one line naming what failed; no traceback for a config problem
        print(
            f"{settings.source}: [mailbox] {_mailbox_problem(exc)}{_dns_hint(settings)}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    if missing:
        for line in missing:
            print(f"{settings.source}: [mailbox] {line}", file=sys.stderr)
        app.engine.dispose()
        return EXIT_CONFIG
    for note in _ca_notes(settings):
        print(f"note: {note}")
    from mailbot.files import mailbot_paths, readable_by_others

    for warning in readable_by_others(mailbot_paths(settings)):
        print(f"warning: {warning}")
    print(f"config OK: {settings.source}")
    cal = settings.calendar
    region = f"-{cal.subdivision}" if cal.subdivision else " (no subdivision: national only)"
    print(
        f"  engineer {settings.engineer.name}, zone {cal.timezone.key}, "
        f"holidays {cal.country}{region}"
    )
    print(f"  mailbox {_mailbox_summary(settings)}, folders found")
    print(
        f"  database schema revision: {rev or 'none yet'} "
        "(`mailbot tick` and `mailbot run` migrate it by themselves)"
    )
    app.engine.dispose()
    return 0


def _permission_problems(mailbox) -> list[str]:  # type: ignore[no-untyped-def]
    """The remote adapters' own check of the rights mailbot will use (none for a Maildir)."""
    check = getattr(mailbox, "check_permissions", None)
    return list(check()) if check else []


def _ca_notes(settings) -> list[str]:  # type: ignore[no-untyped-def]
    """A configured ca_bundle wins over REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, which many
    corporate machines set: say so, so nobody wonders which one mailbot used."""
    section = settings.mailbox.ews or settings.mailbox.graph
    bundle = getattr(section, "ca_bundle", None)
    notes = []
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        value = os.environ.get(var)
        if not value:
            continue
        if bundle:
            notes.append(
                f"{var}={value} is set; mailbot verifies the mailbox against ca_bundle = {bundle} instead"
            )
        elif section is not None:
            notes.append(
                f"{var}={value} is set and no ca_bundle is configured: mailbot verifies the mailbox against {var}"
            )
    return notes


def _mailbox_summary(settings) -> str:  # type: ignore[no-untyped-def]
    mb = settings.mailbox
    if mb.kind == "ews":
        where = mb.ews.service_endpoint or "autodiscover"
        return f"ews {mb.ews.email} at {where} ({mb.ews.auth}, {mb.ews.access})"
    if mb.kind == "graph":
        return f"graph {mb.graph.user} ({mb.graph.auth})"
    return f"maildir at {mb.maildir_path}, sending via {mb.send_via}"


def _dns_hint(settings) -> str:  # type: ignore[no-untyped-def]
    """For EWS: whether the server's name resolves, so DNS is told apart from the rest."""
    import socket
    from urllib.parse import urlparse

    ews = settings.mailbox.ews
    if ews is None or not ews.service_endpoint:
        return ""
    host = urlparse(ews.service_endpoint).hostname or ""
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return f" (DNS: {host} does not resolve)"
    return ""


def _mailbox_problem(exc: Exception) -> str:
    """Name what failed reaching the mailbox: DNS, TLS, sign-in, permission, or the server."""
    import requests

    from mailbot.mailbox.graph.auth import GraphAuthError
    from mailbot.mailbox.graph.client import GraphError, GraphPermissionError

    text = str(exc)
    from mailbot.mailbox.port import MailboxError

    if isinstance(exc, GraphAuthError):
        return f"sign-in failed: {text}"
    if isinstance(exc, GraphPermissionError):
        return f"permission missing: {text}"
    if isinstance(exc, GraphError):
        return f"the mail server refused: {text}"
    if isinstance(exc, MailboxError):  # EWS errors already say what failed
        return text
    if type(exc).__module__.startswith("exchangelib"):  # e.g. autodiscover, before any call
        from mailbot.mailbox.ews.calls import describe

        return describe(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS verification failed (set ca_bundle if your network inspects TLS)"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "cannot reach the server (DNS or network): " + type(exc).__name__
    return f"{type(exc).__name__}: {text[:200]}"


def cmd_login(args: argparse.Namespace) -> int:
    """Device-code sign-in for delegated OAuth (Graph, or EWS with auth = "oauth-delegated")."""
    settings = _load(args.config)
    g, e = settings.mailbox.graph, settings.mailbox.ews
    if g is not None and g.auth == "delegated":
        from mailbot.mailbox.graph.auth import DelegatedTokens

        verify = str(g.ca_bundle) if g.ca_bundle else True
        tokens = DelegatedTokens(
            g.tenant_id, g.client_id, g.authority_host, g.endpoint, g.token_cache, verify
        )
        cache = g.token_cache
    elif e is not None and e.auth == "oauth-delegated":
        from mailbot.mailbox.ews.connect import login_tokens

        tokens, cache = login_tokens(e), e.token_cache
    else:
        print(
            f"{settings.source}: [mailbox] login is for delegated OAuth: "
            'kind = "graph" with auth = "delegated", or kind = "ews" with auth = "oauth-delegated"',
            file=sys.stderr,
        )
        return EXIT_CONFIG
    tokens.login(print)
    where = tokens.store.kind if tokens.store is not None else "owner-only file"
    print(f"signed in; token cache at {cache} ({where})")
    return 0


@contextlib.contextmanager
def _start_up_outside_gc() -> Iterator[Callable[[], None]]:
    """Start-up without the cyclic garbage collector; what it built then leaves its care.

    A tick's start-up (SQLAlchemy, pydantic, the config models, the ORM mappings) makes
    about 160,000 objects that live until exit and next to no garbage (some 600 objects
    in cycles); the collector would walk them some 230 times while they are made, and
    again on every full collection of the cycle. Call the ``started`` it yields when
    start-up is done: they are frozen (:func:`gc.freeze`) and never walked again. At the
    end they are handed back (an in-process caller, such as a test, keeps no frozen
    garbage)."""
    import gc

    was_enabled = gc.isenabled()

    def started() -> None:
        gc.freeze()
        if was_enabled:
            gc.enable()

    gc.disable()
    try:
        yield started
    finally:
        if was_enabled:
            gc.enable()
        gc.unfreeze()


def cmd_tick(args: argparse.Namespace) -> int:
    with _start_up_outside_gc() as started:
        from mailbot import app as app_mod
        from mailbot import idle, snapshot
        from mailbot.cycle import run_cycle

        settings = _load(args.config)
        idle.forget(settings.data_dir)  # a cycle that does not finish leaves no idle state
        before = idle.before_cycle(snapshot.lean_settings(settings))  # before the cycle reads
        app = app_mod.build(settings)
        started()
        report = run_cycle(app)
        try:
            idle.remember(app, args.config, before)
        except Exception as exc:  # the cycle went well; the next tick simply runs in full
            import structlog

            idle.forget(settings.data_dir)
            structlog.get_logger("mailbot.idle").warning(
                "idle state not written", error=type(exc).__name__
            )
        print(
            f"tick: {report.new_messages} new messages, {report.quarantined} quarantined, "
            f"{report.planned} planned, {report.materialised} drafted/reminded, {report.sent} sent"
        )
        app.engine.dispose()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from mailbot.scheduler.daemon import run

    # SIGHUP rebuilds everything from the config file (validated first)
    run(_app(args.config), reload=lambda: _app(args.config))
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from mailbot.store.db import current_revision, make_engine, upgrade

    settings = _load(args.config)
    if args.action == "backup":
        from mailbot.store.backup import BackupRefused, backup

        if not args.file:
            print("mailbot db backup FILE: which file?", file=sys.stderr)
            return 1
        try:
            print(backup(settings.database_url, args.file))
        except BackupRefused as exc:
            print(str(exc), file=sys.stderr)
            return 1
        return 0
    engine = make_engine(settings.database_url)
    if args.action == "upgrade":
        upgrade(engine)
    print(f"schema revision: {current_revision(engine)}")
    engine.dispose()
    return 0


def cmd_cases(args: argparse.Namespace) -> int:
    from mailbot import clock
    from mailbot.views import data, render

    app = _view_app(args)
    now = clock.now()
    rows = data.open_cases(app, now)
    _print_json(rows) if args.json else render.cases_table(rows, app.calendar, now)
    return 0


def cmd_case(args: argparse.Namespace) -> int:
    from mailbot import clock, signals
    from mailbot.views import data, render

    app = _view_app(args)
    if args.mark:
        if not args.signal:
            print(
                "mailbot case N mark SIGNAL: which signal? " + ", ".join(signals.SIGNALS),
                file=sys.stderr,
            )
            return EXIT_USAGE
        try:
            signals.add(app, args.number, args.signal, clock.now(), value=args.value)
        except (signals.UnknownSignal, LookupError) as exc:
            print(str(exc).strip("'\""), file=sys.stderr)
            return EXIT_USAGE
        print(f"case {args.number}: {args.signal} recorded; it takes effect on the next tick")
        return 0
    now = clock.now()
    detail = data.case_detail(app, args.number, now)
    if detail is None:
        print(f"no case {args.number}", file=sys.stderr)
        return EXIT_USAGE
    _print_json(detail) if args.json else render.case_view(detail, app.calendar, now)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """For cron users, what the daemon's /healthz and metrics say: exit 0 healthy, 6 not."""
    from mailbot.errors import EXIT_UNHEALTHY
    from mailbot.views import status

    app = _view_app(args)
    f = status.figures(app)
    if args.json:
        _print_json(status.as_json(f))
    else:
        age = f["last_good_cycle_age_seconds"]
        print(f"health: {'ok' if f['healthy'] else 'NOT OK'} ({f['health']})")
        print(f"last good cycle: {'never' if age is None else f'{age:.0f} s ago'}")
        print(
            f"open cases: {f['open_cases']}, blocked: {f['blocked_cases']}, quarantined: "
            f"{f['quarantined']}"
        )
        print(
            f"sent: {f['sent']}, stale: {f['stale']}, failed: {f['failed']}, unconfirmed sends: "
            f"{f['unconfirmed']}"
        )
    return 0 if f["healthy"] else EXIT_UNHEALTHY


def cmd_quarantine(args: argparse.Namespace) -> int:
    from mailbot import clock
    from mailbot.ingest import quarantine as q

    needs_mailbox = args.action in {"show", "retry"}
    app = _app(args.config, connect=needs_mailbox)
    try:
        if args.action == "list":
            rows = q.listing(app)
            if args.json:
                _print_json(rows)
            elif not rows:
                print("no quarantined mail")
            for r in [] if args.json else rows:
                print(
                    f"{r['id']:>5}  {r['at'][:16]}  {r['folder']}  {r['reason']}"
                    + (f"  (retried {r['retries']}x)" if r["retries"] else "")
                )
            return 0
        if args.all and (args.action != "retry" or args.id is not None):
            print("mailbot quarantine: --all goes with retry, and without an ID", file=sys.stderr)
            return EXIT_USAGE
        if args.action == "retry" and args.all:
            ids = [r["id"] for r in q.listing(app)]
            if not ids:
                print("no quarantined mail")
        elif args.id is None:
            print(f"mailbot quarantine {args.action} ID: which message?", file=sys.stderr)
            return EXIT_USAGE
        else:
            ids = [args.id]
        if args.action == "show":
            fields = q.headers(app, args.id)
            if args.json:
                _print_json(dict(fields))
            for name, value in [] if args.json else fields:
                print(f"{name}: {value}")
        elif args.action == "drop":
            q.drop(app, args.id, clock.now())
            print(f"quarantined message {args.id} dropped")
        else:
            failed = 0
            for i in ids:
                try:
                    print(f"{i}: {q.retry(app, i, clock.now())}")
                except q.NotQuarantined as exc:
                    if not args.all:
                        raise
                    failed += 1
                    print(f"{i}: not retried: {exc}")
            return EXIT_USAGE if failed else 0
    except q.NotQuarantined as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from mailbot import clock
    from mailbot.views import data, render

    app = _view_app(args)
    items = data.upcoming(app, clock.now())
    _print_json(items) if args.json else render.plan_table(items, app.calendar)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mailbot import clock
    from mailbot.reports.summary import preview

    app = _app(args.config)
    Path(args.preview).write_text(preview(app, clock.now()), encoding="utf-8")
    print(f"summary written to {args.preview}")
    return 0


def cmd_team(args: argparse.Namespace) -> int:
    from mailbot.team.cli import main as team_main

    return team_main(args.team_args)


def cmd_demo(args: argparse.Namespace) -> int:
    from mailbot.demo.runner import run_demo

    return run_demo(args.dir, as_json=args.json)


COMMANDS = {
    "check": cmd_check,
    "login": cmd_login,
    "tick": cmd_tick,
    "run": cmd_run,
    "db": cmd_db,
    "cases": cmd_cases,
    "case": cmd_case,
    "plan": cmd_plan,
    "status": cmd_status,
    "quarantine": cmd_quarantine,
    "summary": cmd_summary,
    "demo": cmd_demo,
    "team": cmd_team,
}


LEAN = {"tick", "cases", "case"}


def _lean(args: argparse.Namespace) -> int | None:
    """The fast path of an idle ``tick`` and of ``cases`` / ``case N`` on SQLite:
    the standard library, the config snapshot, no SQLAlchemy, pydantic or structlog.
    None when it does not apply (no true snapshot, another database or mailbox, a
    schema to migrate, a tick with something to do): the full path then runs, with
    its own checks, migrations and error messages, as if this had not been tried."""
    from mailbot import snapshot

    settings = snapshot.load(args.config)
    if settings is None:
        return None
    if args.command == "tick":
        from mailbot import idle

        if not idle.try_idle_tick(settings, args.config):
            return None
        print("tick: 0 new messages, 0 quarantined, 0 planned, 0 drafted/reminded, 0 sent")
        return 0
    if args.command == "case" and args.mark:
        return None
    return _lean_view(args, settings)


def _lean_view(args: argparse.Namespace, settings: dict[str, Any]) -> int | None:
    from mailbot import clock
    from mailbot.store.lite import connect
    from mailbot.views import lean

    try:
        conn = connect(settings.get("database_url"))
        if conn is None:
            return None
        try:
            now = clock.now()
            if args.command == "cases":
                found, cal = lean.open_cases(conn, settings, now)
            else:
                found, cal = lean.case_detail(conn, settings, args.number, now)
        finally:
            conn.close()
    except Exception:  # the database answered oddly: the full path says what is wrong
        return None
    if args.command == "case" and found is None:
        print(f"no case {args.number}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        _print_json(found)
        return 0
    from mailbot.views import render

    if args.command == "cases":
        render.cases_table(found, cal, now)  # type: ignore[arg-type]
    else:
        render.case_view(found, cal, now)  # type: ignore[arg-type]
    return 0


def _rehearsal_clock(command: str) -> int:
    """``MAILBOT_NOW`` (an ISO 8601 instant with its offset) sets the clock for one
    command: scripted scenarios and rehearsals against a test mailbox travel in time
    through the CLI. The daemon always runs on the real clock."""
    import os

    raw = os.environ.get("MAILBOT_NOW")
    if not raw:
        return 0
    from datetime import UTC, datetime

    from mailbot import clock

    if command == "run":
        print(
            f"MAILBOT_NOW is set, but `{command}` runs on the real clock: unset it",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        print(
            f"MAILBOT_NOW={raw!r} is not an instant with an offset, e.g. 2026-11-30T10:00+01:00",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    fixed = instant.astimezone(UTC)
    clock.use(lambda: fixed)
    print(f"rehearsal clock: now is {raw} (MAILBOT_NOW)", file=sys.stderr)
    return 0


# Commands whose process ends as soon as they succeeded, without the interpreter's
# teardown (see _end_process); only when main() owns the process.
ONE_SHOT = {"tick"}


def run() -> None:
    """The program's entry point: the ``mailbot`` script and ``python -m mailbot.cli``."""
    sys.exit(main(owns_process=True))


def _end_process() -> None:
    """End the process of a one-shot command that succeeded, now, with status 0.

    Everything that matters is done by then: every change committed, the engine
    disposed (its connections closed, so SQLite has checkpointed its WAL), mailbot's
    files closed, stdout flushed; the exit handlers (logging's flush, filelock's release
    of any lock left) run here as at any exit. What the interpreter's teardown would add
    is freeing, object by object, a heap the OS takes back at once: about a second of
    CPU after a 2,000-mail tick here. Skipped (normal exit) while another thread runs,
    which a normal exit would wait for, or where this Python cannot run the handlers."""
    import atexit
    import threading

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None or threading.active_count() > 1:
        return
    sys.stderr.flush()
    run_exit_handlers()
    sys.stdout.flush()  # what a handler printed
    sys.stderr.flush()
    os._exit(0)


def main(argv: list[str] | None = None, owns_process: bool = False) -> int:
    """Run one command. Every failure ends as one line on stderr and a documented exit
    code (mailbot/errors.py): 1 usage, 2 config, 3 mailbox, 4 database, 5 internal.
    ``owns_process``: the caller is the program itself (:func:`run`), whose process a
    successful one-shot command may end at once; an in-process caller gets the code."""
    try:
        args = _parser().parse_args(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    from mailbot.files import secure_umask

    secure_umask()  # everything mailbot creates is owner-only
    try:
        refused = _rehearsal_clock(args.command)
        if refused:
            return refused
        lean = args.command in LEAN and not getattr(args, "mailbox", None)
        code = _lean(args) if lean else None
        if code is None:
            from mailbot.logs import configure

            configure()
            code = COMMANDS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        if owns_process and code == 0 and args.command in ONE_SHOT:
            _end_process()
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError as exc:
        if _stdout_closed():  # `mailbot cases | head`: the reader has all it wanted
            _stdout_to_devnull()
            return 0
        return _fail(exc)  # a socket or a file of mailbot's own: a real failure
    except Exception as exc:
        return _fail(exc)


def _fail(exc: Exception) -> int:
    """The one line and exit code of a failure (the traceback with MAILBOT_DEBUG=1)."""
    if os.environ.get("MAILBOT_DEBUG") == "1":
        raise exc
    from mailbot.errors import describe

    code, line = describe(exc)
    print(line, file=sys.stderr)
    return code


def _stdout_closed() -> bool:
    """Whether stdout is a pipe nobody reads any more."""
    import select

    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (AttributeError, OSError, ValueError):
        return False


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush of what is still
    buffered for a closed pipe is silent."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


if __name__ == "__main__":
    run()
