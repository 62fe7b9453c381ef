"""The kill -9 drill for many rounds, on SQLite and on the local PostgreSQL: prints the
kills, sends, duplicates (must be 0), lost sends (must be 0), unconfirmed sends (each
reported to the engineer, never resent), drafts saved twice (must be 0), and whether
the database still opens.

Run: ``.venv/bin/python bench/killdrill.py [--rounds 40] [--cases 30]``"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from tests.drill import run_drill  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--cases", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lite = Path(tmp) / "sqlite"
        lite.mkdir()
        r = run_drill(lite, f"sqlite:///{lite / 'mailbot.db'}", args.rounds, args.cases)
        print(f"SQLite:     {r.line()}")
        name = f"mailbot_drill_{uuid.uuid4().hex[:8]}"
        admin = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # no PostgreSQL here: say so and stop
            print(f"PostgreSQL: not reachable ({type(exc).__name__})")
            return
        try:
            pg = Path(tmp) / "pg"
            pg.mkdir()
            r = run_drill(pg, f"{PG}/{name}", args.rounds, args.cases)
            print(f"PostgreSQL: {r.line()}")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
