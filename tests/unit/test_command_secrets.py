"""R27: a password inside a pasted command line or an environment assignment is masked
like one written in prose, and ordinary talk about the same tools is left alone (a
false finding would ask the customer to rotate a secret they never sent)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.ingest import secrets

COMMANDS = [
    ("mysql -u root -pS3cret!x shop", "S3cret!x"),
    ("mysql -pPass", "Pass"),
    ("mysql -h db.example.com -P 3306 -u root -pS3cret! shop", "S3cret!"),
    ("mysql -u root -p'Winter 2026' db", "Winter 2026"),
    ("mysqldump --single-transaction -uroot -pZ9x! db > d.sql", "Z9x!"),
    ("mariadb-dump -u backup -pBackup2026 --all-databases", "Backup2026"),
    ("mysql --password=S3cret!x", "S3cret!x"),
    ("app --db-password=hunter22 --verbose", "hunter22"),
    ("psql --password S3cretPw1", "S3cretPw1"),
    ("sshpass -p Winter2026! ssh root@host", "Winter2026!"),
    ("docker login -u me -p Secr3t registry.example.com", "Secr3t"),
    ("curl -s https://api.example.com -u admin:Winter2026!", "Winter2026!"),
    ("curl --user=admin:Winter2026! https://api.example.com", "Winter2026!"),
    ("export PGPASSWORD=Winter2026!", "Winter2026!"),
    ("MYSQL_PWD=S3cret psql", "S3cret"),
    ("DB_PASSWORD: hunter2x", "hunter2x"),
    ("SMTP_API_KEY=abcdef123456", "abcdef123456"),
    ("net use Z: \\\\srv\\share Winter2026! /user:admin", "Winter2026!"),
    ("NET USE \\\\srv\\c$ /user:CONTOSO\\admin S3cret!", "S3cret!"),
    ("Driver={ODBC Driver 18};Server=db;UID=sa;PWD=/S3cret!x;", "/S3cret!x"),
    ("PWD=S3cret!x", "S3cret!x"),  # a value, not the working directory
]


@pytest.mark.parametrize(("line", "value"), COMMANDS)
def test_r27_a_password_in_a_command_line_is_masked(line, value):
    text = f"Hello,\nI ran this and it failed:\n\n    {line}\n\nRegards"
    masked, kinds = secrets.scan(text)
    assert value not in masked
    assert kinds
    assert "I ran this and it failed:" in masked  # only the value goes
    assert secrets.mask_secrets(masked) == masked


PROSE = [
    "our mysql server rejects -pX since the upgrade",
    "we use mysql. re-post -pfoo was a typo",
    "mysql -u root -p mydb asks for the password at a prompt",  # "-p mydb": a prompt
    "psql --password mydb",  # a flag that asks, then the database name
    "PWD=/home/me and OLDPWD=/tmp",  # the working directory
    "PWD=~/projects/app",
    "API_KEY: see below",
    "the ERROR_TOKEN: invalid",
    "curl -u admin https://example.com asks for it",
    "--compass=north",
    "net use Z: \\\\srv\\share /persistent:yes",
    "net use Z: \\\\srv\\share * /user:admin",  # "*": asked at a prompt
    "we net use \\\\srv\\share daily",
    "docker login failed with -p missing",
]


@pytest.mark.parametrize("text", PROSE)
def test_r27_talk_about_the_same_tools_is_not_a_secret(text):
    assert secrets.find_secrets(text) == []


# letters, digits and maybe a symbol, in any order: what a password pasted in a command is
_VALUE = st.from_regex(r"[A-Za-z0-9!#%+]{0,10}[A-Za-z][0-9][A-Za-z0-9!#%+]{1,10}", fullmatch=True)
_SHAPES = (
    "mysql -u root -p{}",
    "mysqldump -h db -u admin -p{} --all-databases",
    "sshpass -p {} ssh deploy@host",
    "docker login -u me -p {}",
    "curl -u admin:{} https://example.com/api",
    "tool --password={}",
    "export PGPASSWORD={}",
    "APP_DB_PASSWORD={}",
    "net use Z: \\\\fs01\\projects {} /user:CONTOSO\\kim",
)
_NOISE = st.text(alphabet=st.sampled_from("abcXYZ .,\n-"), max_size=200)


@settings(max_examples=150, deadline=None)
@given(_VALUE, st.sampled_from(_SHAPES), _NOISE, _NOISE)
def test_r27_a_command_line_password_never_survives_masking(value, shape, before, after):
    text = f"{before}\n{shape.format(value)}\n{after}"
    masked, kinds = secrets.scan(text)
    assert value not in masked.split("\n")[before.count("\n") + 1]
    assert kinds


@pytest.mark.parametrize(
    "pair",
    ["PASSWORD=abc123", "pwd=abc123", "token=abcdef12", "client_secret=Zx81abQ", "accesskey=k3y"],
)
def test_r27_a_reply_quoting_a_masked_subject_sends_no_new_secret(pair):
    """mailbot masks the case subject; the customer's reply quotes it ("RE: …
    PASSWORD=[password removed]"). The mask is not a secret: read again, it must not
    start the secret reminder and rotation request once more."""
    masked = secrets.mask_secrets(f"Login fails {pair} - TrackingID#2611230010001234")
    assert "removed]" in masked
    reply = f"RE: {masked}"
    assert secrets.secret_kind(reply) is None
    assert secrets.mask_secrets(reply) == reply
