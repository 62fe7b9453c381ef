"""One evaluation tick with 1,000 and with 100,000 open cases, the same 100 due in both.

    .venv/bin/python bench/evaluate.py

Work should grow with what is due, not with all cases: ``next_due_at`` is indexed and
the tick loads only due cases. Prints the time of one tick for each size and the ratio.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from mailbot import app as app_mod  # noqa: E402
from mailbot import clock, config  # noqa: E402
from mailbot.domain.kinds import CaseState  # noqa: E402
from mailbot.outbound import outbox  # noqa: E402
from mailbot.store.models import Case  # noqa: E402
from tests import helpers  # noqa: E402

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
DUE = 100


def seed(app, total: int) -> None:
    """``total`` waiting cases; ``DUE`` of them have a follow-up due now."""
    rows = []
    for i in range(total):
        due = i < DUE
        start = NOW - timedelta(days=5 if due else 1)
        rows.append(
            dict(
                number=f"2612{i:012d}",
                subject=f"Problem {i}",
                state=CaseState.WAITING_INFO,
                customer_name="Kim",
                customer_email=f"c{i}@fabrikam.example",
                customer_cc=[],
                premier=False,
                opened_at=start,
                last_contact_at=start,
                phase_started_at=start,
                customer_messages=1,
                updated_at=start,
                next_due_at=NOW - timedelta(minutes=1) if due else NOW + timedelta(days=2),
            )
        )
    with app.engine.begin() as conn:
        for chunk in range(0, total, 5000):
            conn.execute(insert(Case), rows[chunk : chunk + 5000])


def one_tick(total: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settings = config.parse(helpers.config_dict(work, f"sqlite:///{work / 'e.db'}"), base=work)
        clock.use(lambda: NOW)
        app = app_mod.build(settings)
        seed(app, total)
        start = time.perf_counter()
        planned = outbox.evaluate(app, NOW)
        made = outbox.materialise(app, NOW)
        elapsed = time.perf_counter() - start
        assert planned == DUE and made == DUE, (planned, made)
        app.engine.dispose()
        return elapsed


def main() -> None:
    small, large = one_tick(1_000), one_tick(100_000)
    print(f"evaluation tick, {DUE} due of   1,000 open cases: {small * 1000:7.0f} ms")
    print(f"evaluation tick, {DUE} due of 100,000 open cases: {large * 1000:7.0f} ms")
    print(f"ratio large / small: {large / small:.2f}x (target at most 1.5x)")


if __name__ == "__main__":
    main()
