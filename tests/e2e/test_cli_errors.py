"""Every error a command can end with is one line and a documented exit code."""

from __future__ import annotations

from mailbot import cli
from tests import helpers


def test_an_unreachable_database_is_one_line_and_exit_4(tmp_path, capsys):
    data = helpers.config_dict(tmp_path, "postgresql://mailbot@127.0.0.1:9/none")
    path = helpers.write_toml(tmp_path / "m.toml", data)
    for command in (["tick"], ["cases"], ["db", "upgrade"]):
        assert cli.main([*command, "--config", str(path)]) == 4
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("database:"), err
        assert "Traceback" not in err


def test_a_missing_config_file_is_exit_2(tmp_path, capsys):
    assert cli.main(["tick", "--config", str(tmp_path / "nope.toml")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_wrong_argument_is_one_line_and_exit_1(tmp_path, capsys):
    for argv in (["tick", "--bogus"], [], ["nonsense"], ["db", "downgrade"]):
        assert cli.main(argv) == 1, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "--help" in err, err


def test_a_reader_that_stops_reading_is_not_a_failure(tmp_path, capsys, monkeypatch):
    """`mailbot cases | head -1`: the pipe closes early; that is no error to report."""
    import os
    import sys

    data = helpers.config_dict(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")
    path = helpers.write_toml(tmp_path / "m.toml", data)
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "w") as closed_pipe:
        monkeypatch.setattr(sys, "stdout", closed_pipe)
        assert cli.main(["cases", "--config", str(path)]) == 0
        monkeypatch.undo()
    assert capsys.readouterr().err == ""


def test_a_path_that_cannot_be_used_is_one_line_exit_7_with_the_fix(tmp_path, capsys):
    """A data directory whose place is taken by a file: the file system, not a bug."""
    data = helpers.config_dict(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data directory should be")
    path = helpers.write_toml(tmp_path / "m.toml", data)
    helpers.deliver(tmp_path / "Maildir", helpers.mail())
    assert cli.main(["tick", "--config", str(path)]) == 7
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("file system:"), err
    assert str(blocker) in err and "change the path" in err, err
