"""mailbot beside a Python peer on the same mails, in one run: django-helpdesk's email
intake (``process_queue`` over a local mail directory, the path its ``get_email``
command takes), one ``mailbot tick``, and Python's ``email`` compat32 parse as the floor.

Each runs as its own process; the figure is messages per CPU second, and the ratios
mailbot/peer and mailbot/parse (absolute times drift on a shared machine). The peer is
timed from its first message to its last (Django's start-up and migrations excluded,
which favours the peer); mailbot is timed as a whole process, start-up included.

django-helpdesk is not a dependency of mailbot: the first run installs it from PyPI into
``.bench/peer-venv`` (ignored by git) and later runs reuse it.

Run: ``.venv/bin/python bench/peer.py [--mails 2000]``
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mailbox import START, generate  # noqa: E402
from bench.tick import PARSE, compiled_like_installed  # noqa: E402
from tests import helpers  # noqa: E402

PEER_VENV = ROOT / ".bench" / "peer-venv"

# A minimal Django project around django-helpdesk: SQLite, mail to the local memory
# backend (helpdesk answers each new ticket's submitter), one queue on a local directory.
PEER = """
import logging, os, resource, sys, time
import django
from django.conf import settings

work, maildir = sys.argv[1], sys.argv[2]
settings.configure(
    SECRET_KEY="bench",
    USE_TZ=True,
    SITE_ID=1,
    INSTALLED_APPS=[
        "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
        "django.contrib.sites", "django.contrib.humanize", "django.contrib.messages",
        "rest_framework", "account", "pinax.invitations", "pinax.teams", "helpdesk",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                           "NAME": os.path.join(work, "peer.db")}},
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    MEDIA_ROOT=os.path.join(work, "media"),
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True, "OPTIONS": {"context_processors": []}}],
    LOGGING_CONFIG=None,
)
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from helpdesk.models import Queue
from helpdesk.email import process_queue
q = Queue.objects.create(
    title="Support", slug="case", email_box_type="local", email_box_local_dir=maildir,
    allow_email_submission=True, email_address="support@contoso.example",
)
log = logging.getLogger("peer")
log.addHandler(logging.NullHandler())
log.propagate = False
n = len(os.listdir(maildir))
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
process_queue(q, log)
wall = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(n, wall, cpu)
"""


def _peer_python() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"installing django-helpdesk into {PEER_VENV} (first run only)")
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "django-helpdesk[teams]"], check=True
        )
    return python


def _child(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(wall s, CPU s, stdout) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def _flat_copy(maildir: Path, target: Path) -> int:
    """The peer reads one flat directory (and deletes what it filed): a copy of every
    message of the Maildir, Inbox and Sent Items alike."""
    target.mkdir()
    n = 0
    for path in sorted(maildir.rglob("*")):
        if path.is_file() and path.parent.name in ("cur", "new"):
            shutil.copyfile(path, target / f"{n:06d}.eml")
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mails", type=int, default=2000)
    args = ap.parse_args()
    compiled_like_installed()
    python = _peer_python()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        maildir = root / "Maildir"
        truth = generate(maildir, args.mails)
        files = _flat_copy(maildir, root / "peer-mail")
        work = root / "mailbot"
        work.mkdir()
        data = helpers.config_dict(work, f"sqlite:///{work / 'mailbot.db'}")
        data["mailbox"]["maildir"] = {"path": str(maildir), "pickup_dir": str(work / "out")}
        cfg = helpers.write_toml(work / "mailbot.toml", data)

        _, parse_cpu, _ = _child([sys.executable, "-c", PARSE, str(maildir)])
        _, tick_cpu, _ = _child(
            [sys.executable, "-m", "mailbot.cli", "tick", "--config", str(cfg)],
            {"MAILBOT_NOW": (START + timedelta(days=24)).isoformat()},
        )
        peer_work = root / "peer"
        peer_work.mkdir()
        _, _, out = _child([str(python), "-c", PEER, str(peer_work), str(root / "peer-mail")])
        count, _peer_wall, peer_cpu = out.split()
        n = truth.mails
        rates = {
            "compat32 parse": n / parse_cpu,
            "mailbot tick (whole process)": n / tick_cpu,
            "django-helpdesk process_queue (intake only)": int(count) / float(peer_cpu),
        }
        print(f"{n} mails ({files} files, {len(truth.cases)} cases), messages per CPU second:")
        for name, rate in rates.items():
            print(f"  {name:45s} {rate:8.0f}")
        mine = rates["mailbot tick (whole process)"]
        print(
            f"mailbot / django-helpdesk: {mine / rates['django-helpdesk process_queue (intake only)']:.1f}x "
            f"(goal 20x); compat32 parse / mailbot: {rates['compat32 parse'] / mine:.1f}x (goal 3x)"
        )


if __name__ == "__main__":
    main()
