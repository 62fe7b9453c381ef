"""A worker in a separate process for the signal tests: takes a lease (and a session
advisory lock, to show what such a lock does under SIGSTOP and SIGKILL), then obeys
lines on stdin: ``fence`` tries a send claim's fence, ``renew`` renews, ``exit`` ends."""

from __future__ import annotations

import sys

from sqlalchemy import text
from sqlalchemy.orm import Session

from mailbot.team.leases import Leases, new_worker_id
from mailbot.team.tenancy import shared_engine

ADVISORY_KEY = 4242


def main(url: str, mailbox: str) -> None:
    engine = shared_engine(url, pool_size=2)
    leases = Leases(engine, new_worker_id())
    leases.heartbeat()
    lease = leases.acquire(mailbox)
    assert lease is not None
    locker = engine.connect()
    locker.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
    locker.commit()  # the lock is the session's: it outlives the transaction
    print(f"TOKEN {lease.token}", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "fence":
            with Session(engine) as s:
                ok = leases.fence_for(lease)(s, 1)
                s.commit()
            print(f"FENCE {ok}", flush=True)
        elif command == "renew":
            print(f"RENEW {leases.renew(lease)}", flush=True)
        elif command == "exit":
            break


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
