"""``mailbot team …``: the team's commands (a worker, and the views of one mailbox).

- ``mailbot team check --team PATH``: validate the team configuration;
- ``mailbot team run --team PATH``: a worker until SIGTERM/SIGINT (start one per host);
- ``mailbot team cases --team PATH --mailbox ID`` and ``mailbot team case N --team PATH
  --mailbox ID``: the usual views of one engineer's mailbox, from the database only;
- ``mailbot team import --team PATH --mailbox ID --database URL [--data-dir DIR]``: move
  an engineer's single-user install into the team (mailbot/team/importing.py).
- ``mailbot team summary --team PATH --manager ADDRESS [--html FILE]``: the weekly
  summary that manager gets, as of now (mailbot/team/summary.py).

``PATH`` is a team file or directory (mailbot/team/config.py), default ``$MAILBOT_TEAM``.
Every failure is one line and the usual exit code (mailbot/errors.py).
"""

from __future__ import annotations

import argparse
import os
import sys

from mailbot.cli import EXIT_USAGE, UsageError, _Parser, _print_json


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="mailbot team", description="A support team on one PostgreSQL.")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def with_team(sp: argparse.ArgumentParser, mailbox: bool = False) -> argparse.ArgumentParser:
        sp.add_argument(
            "--team",
            "-t",
            default=os.environ.get("MAILBOT_TEAM", "team.toml"),
            help="team file or directory (default: $MAILBOT_TEAM or ./team.toml)",
        )
        if mailbox:
            sp.add_argument("--mailbox", "-m", required=True, help="the engineer's id")
            sp.add_argument("--json", action="store_true")
        return sp

    with_team(sub.add_parser("check", help="validate the team configuration"))
    with_team(sub.add_parser("run", help="run a worker until SIGTERM/SIGINT"))
    with_team(sub.add_parser("cases", help="one mailbox's open cases"), mailbox=True)
    c = with_team(sub.add_parser("case", help="one case of one mailbox"), mailbox=True)
    c.add_argument("number")
    imp = with_team(
        sub.add_parser("import", help="move an engineer's single-user database into the team")
    )
    imp.add_argument("--mailbox", "-m", required=True, help="the engineer's id in the team")
    imp.add_argument(
        "--database", required=True, help="the single-user database URL (sqlite:///...)"
    )
    imp.add_argument(
        "--data-dir", help="the single-user data directory (its mailbox state files come too)"
    )
    m = with_team(sub.add_parser("summary", help="a manager's weekly summary, as of now"))
    m.add_argument("--manager", required=True, help="the manager's address")
    m.add_argument("--html", metavar="FILE", help="write the page for a browser, not the text")
    return p


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    from mailbot.team.config import load_team

    team = load_team(args.team)
    if args.action == "check":
        from mailbot.team.check import problems

        found = problems(team)
        for line in found:
            print(line, file=sys.stderr)
        if found:
            return 2
        print(f"team: {len(team.engineers)} engineers, lease {team.lease_seconds} s")
        from mailbot.team.summary import load_reports, manager_groups

        if load_reports(team) is not None:  # validated here too, not only at the start
            print(f"reports mailbox: {len(manager_groups(team))} manager summaries a week")
        return 0
    if args.action == "run":
        if os.environ.get("MAILBOT_NOW"):
            print(
                "MAILBOT_NOW is set, but `team run` runs on the real clock: unset it",
                file=sys.stderr,
            )
            return 2
        from mailbot.team.worker import run

        run(team)
        return 0
    if args.action == "import":
        return _import(team, args)
    if args.action == "summary":
        from mailbot.team.summary import preview_command

        return preview_command(team, args.manager, args.html)
    return _view(team, args)


def _import(team, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from mailbot.store.transfer import TransferRefused
    from mailbot.team.importing import import_engineer

    if args.mailbox not in team.engineers:
        known = ", ".join(team.engineers)
        print(f"no mailbox {args.mailbox!r} in the team (known: {known})", file=sys.stderr)
        return EXIT_USAGE
    try:
        done = import_engineer(
            team, args.mailbox, args.database, Path(args.data_dir) if args.data_dir else None
        )
    except TransferRefused as exc:
        print(f"mailbot team import: nothing copied: {exc}", file=sys.stderr)
        return EXIT_USAGE
    copied = ", ".join(f"{n} {table}" for table, n in done.rows.items() if n)
    files = f"; state files: {', '.join(done.files)}" if done.files else ""
    print(f"imported into mailbox {args.mailbox}: {copied or 'no rows'}{files}")
    return 0


def _view(team, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from mailbot import clock
    from mailbot.team.access import mailbox_app
    from mailbot.views import data, render

    if args.mailbox not in team.engineers:
        known = ", ".join(team.engineers)
        print(f"no mailbox {args.mailbox!r} in the team (known: {known})", file=sys.stderr)
        return EXIT_USAGE
    app = mailbox_app(args.team, args.mailbox)
    try:
        now = clock.now()
        if args.action == "cases":
            found, show = data.open_cases(app, now), render.cases_table
        else:
            found, show = data.case_detail(app, args.number, now), render.case_view
        if found is None:
            print(f"no case {args.number} in mailbox {args.mailbox}", file=sys.stderr)
            return EXIT_USAGE
        _print_json(found) if args.json else show(found, app.calendar, now)  # type: ignore[arg-type]
        return 0
    finally:
        app.engine.dispose()
