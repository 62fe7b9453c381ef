"""An installed mailbot (a wheel, as pipx installs it) works outside the checkout.

The wheel is built from the working tree and installed without dependencies into a
fresh virtual environment whose only other packages are the test environment's
(reached through a path file, which does not run the checkout's editable finder). The
commands then run from a folder outside the checkout: templates and migrations must
come from the installed package."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests import helpers
from tests.e2e.test_cli import write_config

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=1800,  # a guard against a hang only
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with mailbot installed from its wheel; returns its ``mailbot`` script."""
    work = tmp_path_factory.mktemp("install")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(ROOT)],
        cwd=work,
    )
    if built.returncode != 0 and "Could not find a version" in built.stderr + built.stdout:
        pytest.skip("building a wheel needs setuptools from the package index, not reachable")
    assert built.returncode == 0, built.stderr
    wheel = next(work.glob("mailbot-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "mailbot/templates/first_response.txt.j2" in names
    assert "mailbot/migrations/env.py" in names
    assert any(n.startswith("mailbot/migrations/versions/0001_") for n in names)
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    fresh = env_dir / "bin" / "python"
    site = _run(
        [str(fresh), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=work,
    ).stdout.strip()
    deps = sysconfig.get_paths()["purelib"]  # the test venv: mailbot's dependencies
    Path(site, "mailbot-test-deps.pth").write_text(deps + "\n")
    inst = _run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, str(wheel)],
        cwd=work,
    )
    assert inst.returncode == 0, inst.stderr
    return fresh


def test_the_installed_package_runs_outside_the_checkout(installed, tmp_path):
    where = _run(
        [str(installed), "-c", "import mailbot, sys; print(mailbot.__file__)"], cwd=tmp_path
    )
    assert where.returncode == 0, where.stderr
    assert not where.stdout.strip().startswith(str(ROOT / "mailbot")), where.stdout
    version = _run([str(installed), "-m", "mailbot.cli", "--version"], cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("mailbot "), version.stderr

    cfg = write_config(tmp_path, f"sqlite:///{tmp_path / 'mb.db'}")
    helpers.deliver(tmp_path / "Maildir", helpers.mail())
    tick = _run([str(installed), "-m", "mailbot.cli", "tick", "--config", str(cfg)], cwd=tmp_path)
    assert tick.returncode == 0, tick.stderr
    assert "1 new messages" in tick.stdout and "1 drafted" in tick.stdout  # migrated, rendered
