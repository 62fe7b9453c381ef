"""The cycle lock (mailbot.cycle.exclusive) takes the flock that the filelock package
takes on the same file, without the package: each excludes the other."""

from __future__ import annotations

import threading

import pytest
from filelock import FileLock, Timeout

from mailbot import cycle


def test_the_cycle_lock_and_filelocks_exclude_each_other(tmp_path):
    pytest.importorskip("fcntl")
    path = tmp_path / ".mailbot.lock"
    with cycle._file_lock(path), pytest.raises(Timeout):
        FileLock(str(path), mode=0o600, timeout=0.2).acquire()
    held = FileLock(str(path), mode=0o600)
    held.acquire()
    entered = threading.Event()

    def take() -> None:
        with cycle._file_lock(path):
            entered.set()

    waiter = threading.Thread(target=take)
    waiter.start()
    try:
        assert not entered.wait(0.3)  # waits for the filelock holder
    finally:
        held.release()
    waiter.join()
    assert entered.is_set()
    assert (path.stat().st_mode & 0o777) == 0o600
