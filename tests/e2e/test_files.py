"""What mailbot creates is owner-only, whatever the shell's umask; `check` names what is
not (addresses, subjects and excerpts are in those files)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from tests import helpers
from tests.integration.world import berlin


def _mode(path) -> int:  # type: ignore[no-untyped-def]
    return stat.S_IMODE(path.stat().st_mode)


def test_files_mailbot_creates_under_umask_022_are_owner_only(tmp_path):
    data = helpers.config_dict(tmp_path, f"sqlite:///{tmp_path / 'data' / 'mailbot.db'}")
    data["calendar"].update(start="00:00", end="23:59")
    cfg = helpers.write_toml(tmp_path / "mailbot.toml", data)
    root = tmp_path / "Maildir"
    helpers.deliver(root, helpers.mail(when=berlin(2026, 11, 30, 9)))
    env = {**os.environ, "MAILBOT_NOW": "2026-11-30T10:00+01:00"}

    def tick() -> None:
        subprocess.run(
            [sys.executable, "-m", "mailbot.cli", "tick", "--config", str(cfg)],
            check=True,
            capture_output=True,
            env=env,
            preexec_fn=lambda: os.umask(0o022),
        )

    tick()
    helpers.approve_all(root)
    tick()
    created = [
        tmp_path / "data",
        tmp_path / "data" / "mailbot.db",
        root / ".Mailbot.Awaiting Approval",
        root / ".Mailbot.Not sent",
        root / ".Sent Items" / "cur",
        *(root / ".Sent Items" / "cur").iterdir(),
        tmp_path / "outgoing",
        *(tmp_path / "outgoing").iterdir(),
    ]
    assert len(list((tmp_path / "outgoing").iterdir())) == 1  # the first response went out
    loose = {str(p): oct(_mode(p)) for p in created if _mode(p) & 0o077}
    assert loose == {}


def test_check_warns_about_files_others_can_read(tmp_path, capsys):
    from mailbot import cli

    data = helpers.config_dict(tmp_path, f"sqlite:///{tmp_path / 'data' / 'mailbot.db'}")
    cfg = helpers.write_toml(tmp_path / "mailbot.toml", data)
    (tmp_path / "Maildir").mkdir(mode=0o755)
    os.chmod(tmp_path / "Maildir", 0o755)
    assert cli.main(["check", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert f"warning: {tmp_path / 'Maildir'} is open to other users (mode 755)" in out
