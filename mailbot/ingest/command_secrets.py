"""Passwords in pasted command lines: customers paste the command that failed, and the
command holds the password ("mysql -u root -pS3cret! db", "PGPASSWORD=… psql",
"curl -u admin:… https://…", "sshpass -p … ssh", "docker login -u me -p …",
"--password=…", "net use Z: \\\\srv\\share … /user:admin"). The prose rules
(:mod:`mailbot.ingest.secret_rules`) look for words and cues ("password is", "pw:") and
miss these shapes.

Shell flags and variable names are case-sensitive, so the patterns are too: the literal
gate of each (a substring every match contains) is exact, whatever characters the text
holds, and most mail opens none of them (so each is compiled on first use). Each yields
the span of the value only, like the prose rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from mailbot.ingest.lazy_pattern import LazyPattern
from mailbot.ingest.secret_rules import Span, plausible_after_cue, strong_value, value_span

# A value as a shell would take one word: quoted (spaces allowed) or a run of non-space.
_WORD = r"(?:\"[^\"\n]{1,120}\"|'[^'\n]{1,120}'|[^\s\"'`]{1,200})"
# Words of the same command before the flag: no line end, no command separator.
_ARGUMENTS = r"(?:[ \t]+[^\s|;&]+){0,12}?"
# Options, each with its argument if it has one ("-u root", "--host=db", "-h db -P 3306"):
# for a tool whose name is also a word of prose ("our mysql server…").
_OPTIONS = r"(?:[ \t]+--?[A-Za-z][^\s|;&]*(?:[ \t]+[^\s|;&-][^\s|;&]*)?){0,12}?"

# MySQL/MariaDB clients take the password glued to -p ("-pS3cret"); "-p S3cret" asks
# for it at a prompt and makes "S3cret" the database name, so that is left alone.
_MYSQL_GLUED = LazyPattern(
    r"\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mariadb(?:-[a-z]+)?)"
    rf"{_OPTIONS}[ \t]+-p(?P<value>{_WORD})"
)
# Tools whose "-p" takes the password as the next word.
_FLAG_TAKES_PASSWORD = LazyPattern(
    r"\b(?:sshpass|docker login|podman login|helm registry login|oras login)"
    rf"{_ARGUMENTS}[ \t]+(?:-p|--password)(?:=|[ \t]+)(?P<value>{_WORD})"
)
# "curl -u admin:S3cret https://…", "curl --user admin:S3cret", "wget --password=…".
_CURL_USER = LazyPattern(
    rf"\bcurl{_ARGUMENTS}[ \t]+(?:-u|--user)(?:=|[ \t]*)[^\s:\"']{{1,64}}:(?P<value>{_WORD})"
)
# "--password=S3cret", "--db-password S3cret", "--passwd=…" in any command.
_LONG_OPTION = LazyPattern(
    r"(?<![\w-])--(?:[a-z0-9-]{0,30}-)?(?:password|passwd|pass|pwd)"
    rf"(?P<sep>=|\s+)(?P<value>{_WORD})"
)
# "PGPASSWORD=S3cret", "export MYSQL_PWD=…", "DB_PASSWORD: …" (environment and .env
# lines). The shell's PWD and OLDPWD (the working directory, a path) do not match: a
# name ending in PWD needs a "_" before it.
_ENV_ASSIGNMENT = LazyPattern(
    r"(?<![A-Za-z0-9_])(?P<name>[A-Z][A-Z0-9_]{0,40}?(?:PASSWORD|PASSWD|PASS|_PWD|SECRET|TOKEN"
    r"|API_KEY|APIKEY|ACCESS_KEY))"
    rf"\s*(?P<cue>=|:)\s*(?P<value>{_WORD})"
)
_ENV_CUE_NAMES = ("PASS", "PWD", "SECRET", "TOKEN", "KEY")
# Windows: "net use Z: \\srv\share S3cret! /user:admin" or "… /user:admin S3cret!" (the
# password is the word after the share or after the options; "*" asks at a prompt).
# cmd.exe ignores case, so the three ways people write the command are spelt out.
_NET_USE = LazyPattern(
    r"\b(?:net|NET|Net)[ \t]+(?:use|USE|Use)(?:[ \t]+[A-Za-z]:)?[ \t]+\\\\[^\s]{1,200}"
    r"(?:[ \t]+/[A-Za-z]{1,20}(?::[^\s]{0,200})?){0,6}?"
    r"[ \t]+(?P<value>\"[^\"\n]{1,120}\"|[^\s/*\"'][^\s]{0,199})"
)


def _passwords(pattern: LazyPattern, text: str, cue: str = ":") -> Iterator[Span]:
    """The values ``pattern`` finds in ``text`` that look like one after ``cue`` (see
    :func:`plausible_after_cue`: ":" takes anything but a stop word, "is" wants a digit,
    a symbol or mixed case)."""
    for found in pattern.finditer(text):
        if plausible_after_cue(found.group("value"), cue):
            yield "password", *value_span(found)


def command_line_secrets(text: str) -> Iterator[Span]:
    """Every password in a command line or an environment assignment of ``text``, as
    (kind, start, end) spans of the values."""
    if "-p" in text and ("mysql" in text or "mariadb" in text):
        yield from _passwords(_MYSQL_GLUED, text)
    if ("-p" in text and "login" in text) or "sshpass" in text:
        yield from _passwords(_FLAG_TAKES_PASSWORD, text)
    if "curl" in text and "-u" in text:
        yield from _passwords(_CURL_USER, text)
    if "--" in text and ("pass" in text or "pwd" in text):
        for found in _LONG_OPTION.finditer(text):
            value = found.group("value")
            # "--password=x" gives the value; "--password mydb" may be a flag that asks
            # at a prompt followed by another argument, so the word must look like one
            assigned = found.group("sep") == "="
            if plausible_after_cue(value, ":") if assigned else strong_value(value):
                yield "password", *value_span(found)
    if "\\\\" in text:  # a share's UNC path
        # a positional word: it must look like a password ("net use \\srv\s daily")
        yield from _passwords(_NET_USE, text, "is")
    if any(map(text.__contains__, _ENV_CUE_NAMES)):
        for found in _ENV_ASSIGNMENT.finditer(text):
            # "X_TOKEN=…" is an assignment; after "X_TOKEN:" prose may follow ("see
            # below"), so the value must look like a credential
            cue = ":" if found.group("cue") == "=" else "is"
            if plausible_after_cue(found.group("value"), cue):
                name = found.group("name")
                kind = "password" if "PASS" in name or "PWD" in name else "access key"
                yield kind, *value_span(found)
