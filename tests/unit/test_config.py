"""Configuration: typed, validated, strict, one clear error (file, key, why)."""

import ast
import copy
import json
import re
import subprocess
import sys
import tomllib
from datetime import date, time
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot import config, config_models
from tests import helpers

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "config" / "mailbot.example.toml"
SCHEMA = ROOT / "config" / "mailbot.schema.json"
NOWHERE = Path("/nonexistent/mailbot-config-test")  # refused configs never reach a path


def bad(tmp_path, mutate):
    data = helpers.config_dict(tmp_path, "sqlite:///x.db")
    mutate(data)
    with pytest.raises(config.ConfigError) as err:
        config.parse(data, file="mine.toml", base=tmp_path)
    return err.value


@pytest.mark.parametrize("field", config.SIGNATURE_FIELDS)
def test_r24_every_signature_field_is_required(tmp_path, field):
    e = bad(tmp_path, lambda d: d["engineer"].pop(field))
    assert e.key == f"engineer.{field}" and e.file == "mine.toml"
    e = bad(tmp_path, lambda d: d["engineer"].__setitem__(field, "  "))
    assert e.key == f"engineer.{field}"


@pytest.mark.parametrize(
    ("mutate", "key", "why"),
    [
        (lambda d: d["calendar"].__setitem__("timezone", "Mars/Base"), "calendar.timezone", "IANA"),
        (lambda d: d["calendar"].__setitem__("country", "XX"), "calendar.country", "holidays"),
        (lambda d: d["calendar"].__setitem__("end", "08:00"), "calendar.end", "later than start"),
        (lambda d: d["calendar"].__setitem__("start", "9am"), "calendar.start", "09:00"),
        (
            lambda d: d["cases"].__setitem__("support_address", "not-an-address"),
            "cases.support_address",
            "not an email",
        ),
        (
            lambda d: d["cases"].__setitem__("case_number_patterns", ["(unclosed"]),
            "cases.case_number_patterns",
            "regular expression",
        ),
        (lambda d: d["database"].__setitem__("url", "mysql://x"), "database.url", "sqlite"),
        (
            lambda d: d["cases"].__setitem__("languages", ["en", "German"]),
            "cases.languages",
            "two-letter",
        ),
        (
            lambda d: d["mailbox"].__setitem__("kind", "imap"),
            "mailbox.kind",
            '"maildir", "ews" or "graph"',
        ),
        (
            lambda d: d["policy"].__setitem__("closure_min_calendar_days_after_contact", 7),
            "policy.closure_min_calendar_days_after_contact",
            "at least 14",
        ),
        (lambda d: d.__setitem__("approval", {"strike_9": False}), "approval.strike_9", "unknown"),
        (
            lambda d: d["mailbox"]["maildir"].__setitem__("send", "carrier-pigeon"),
            "mailbox.maildir.send",
            "pickup",
        ),
        (
            lambda d: (
                d["mailbox"].__setitem__("smtp", {"host": "h", "password": "hunter2"})
                or d["mailbox"]["maildir"].__setitem__("send", "smtp")
            ),
            "mailbox.smtp.password",
            "never go in the file",
        ),
    ],
)
def test_bad_values_name_the_key_and_why(tmp_path, mutate, key, why):
    e = bad(tmp_path, mutate)
    assert e.key == key and why in e.why


def test_secret_from_environment(tmp_path, monkeypatch):
    data = helpers.config_dict(tmp_path, "sqlite:///x.db")
    data["mailbox"]["maildir"]["send"] = "smtp"
    data["mailbox"]["maildir"].pop("pickup_dir", None)
    data["mailbox"]["smtp"] = {
        "host": "127.0.0.1",
        "port": 2525,
        "password_env": "MB_TEST_PW",
        "username": "u",
    }
    with pytest.raises(config.ConfigError, match="MB_TEST_PW is not set"):
        config.parse(data, base=tmp_path)
    monkeypatch.setenv("MB_TEST_PW", "s3cret")
    s = config.parse(data, base=tmp_path)
    assert s.mailbox.smtp.password == "s3cret" and "s3cret" not in repr(s.mailbox.smtp)


def test_secret_from_the_os_keyring_when_the_variable_is_not_set(tmp_path, monkeypatch):
    import keyring
    from keyring.backend import KeyringBackend

    entries: dict[tuple[str, str], str] = {}
    backend = type(  # an OS keyring as the keyring package sees one, in memory
        "Memory",
        (KeyringBackend,),
        {
            "priority": 1,
            "get_password": lambda self, s, u: entries.get((s, u)),
            "set_password": lambda self, s, u, p: entries.__setitem__((s, u), p),
            "delete_password": lambda self, s, u: entries.pop((s, u)),
        },
    )()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        data = helpers.config_dict(tmp_path, "sqlite:///x.db")
        data["database"] = {
            "url": "postgresql://mailbot:{password}@127.0.0.1/mailbot",
            "password_env": "MB_TEST_DB_PW",
        }
        monkeypatch.delenv("MB_TEST_DB_PW", raising=False)
        with pytest.raises(config.ConfigError, match="keyring set mailbot MB_TEST_DB_PW"):
            config.parse(data, base=tmp_path)
        keyring.set_password("mailbot", "MB_TEST_DB_PW", "from-keyring")
        assert "from-keyring" in config.parse(data, base=tmp_path).database_url
        monkeypatch.setenv("MB_TEST_DB_PW", "from-env")  # the environment wins
        assert "from-env" in config.parse(data, base=tmp_path).database_url
    finally:
        keyring.set_keyring(previous)


def test_example_config_is_valid():
    s = config.load(EXAMPLE)
    assert (
        s.policy.followup_business_days == 3
        and s.policy.closure_min_calendar_days_after_contact == 14
    )
    assert s.mailbox.folders.not_sent == "Mailbot/Not sent" and s.calendar.timezone.key == (
        "Europe/Berlin"
    )


def test_check_command_reports_one_clear_line_and_exit_2(tmp_path):
    cfg = tmp_path / "broken.toml"
    cfg.write_text('[engineer]\nname = "A"\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "check", "--config", str(cfg)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "broken.toml" in proc.stderr and "engineer.email" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "check", "--config", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "file not found" in proc.stderr
    cfg.write_text("this is = = not toml", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "check", "--config", str(cfg)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr


# --- strictness: unknown keys and sections -------------------------------------------


def full_config() -> dict:
    """A valid config with every optional table present, for inserting keys anywhere."""
    data = helpers.config_dict(NOWHERE, "sqlite:///x.db")
    data["mailbox"]["folders"] = {}
    data.update(categories={}, approval={}, daemon={})
    return data


def tables(data: dict, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    for key, value in data.items():
        if isinstance(value, dict):
            out += tables(value, (*path, key))
    return out


def at(data: dict, path: tuple[str, ...]) -> dict:
    for key in path:
        data = data[key]
    return data


def refused(data: dict, file: str = "mine.toml") -> config.ConfigError:
    with pytest.raises(config.ConfigError) as err:
        config.parse(data, file=file, base=NOWHERE)
    e = err.value
    assert "\n" not in str(e) and str(e) == f"{file}: [{e.key}] {e.why}"
    return e


def test_unknown_key_names_the_nearest_valid_key(tmp_path):
    data = full_config()
    data["engineer"]["nmae"] = data["engineer"].pop("name")
    e = refused(data)
    assert e.key == "engineer.nmae" and e.why == 'unknown key; did you mean "name"?'
    data = full_config()
    data["engineer"]["colour"] = "blue"
    e = refused(data)
    assert e.key == "engineer.colour" and e.why.startswith("unknown key; did you mean ")
    assert "known: name, email, title" in e.why  # a far guess lists the valid keys too
    data = full_config()
    data["policy"]["followup_busines_days"] = 2
    assert 'did you mean "followup_business_days"' in refused(data).why


def test_unknown_section_and_misplaced_keys():
    data = full_config()
    data["mailbx"] = {"kind": "maildir"}
    e = refused(data)
    assert e.key == "mailbx" and e.why == "unknown section; did you mean [mailbox]?"
    data = full_config()
    data["mailbox"]["folder"] = {"inbox": "INBOX"}
    e = refused(data)
    assert e.key == "mailbox.folder" and "did you mean [mailbox.folders]?" in e.why
    data = full_config()
    data["poll_seconds"] = 30
    assert refused(data).why == 'unknown key; "poll_seconds" belongs in [daemon]'
    data = full_config()
    data["approval"]["strike_4"] = False
    assert 'unknown template kind; did you mean "strike_' in refused(data).why
    data = full_config()
    data["categories"]["called_reached"] = "Rang"
    assert refused(data).why == 'unknown signal; did you mean "called-reached"?'


def test_unknown_key_in_a_file_is_one_line_on_the_command_line(tmp_path):
    path = helpers.write_toml(
        tmp_path / "mine.toml", helpers.config_dict(tmp_path, "sqlite:///x.db")
    )
    path.write_text(path.read_text() + '\n[engineer2]\ncolour = "blue"\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "check", "--config", str(path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert f"{path}: [engineer2] unknown section; did you mean [engineer]?" in proc.stderr


BARE = st.from_regex(r"[a-z][a-z0-9_-]{0,14}", fullmatch=True)
QUOTED = st.text(alphabet="abcxyz .:/", min_size=1, max_size=8)
VALUES = st.one_of(
    st.integers(), st.booleans(), st.text(max_size=10), st.lists(st.integers(), max_size=2)
)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), key=st.one_of(BARE, QUOTED), value=VALUES)
def test_any_unknown_key_anywhere_is_refused_with_its_dotted_path(data, key, value):
    cfg = full_config()
    path = data.draw(st.sampled_from(tables(cfg)))
    table = at(cfg, path)
    known = config_models._keys(config_models.TABLES[path])
    if key in known or key in table:
        return
    table[key] = data.draw(st.one_of(st.just(value), st.just({"x": value})))
    e = refused(cfg)
    parts = [p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else json.dumps(p) for p in (*path, key)]
    assert e.key == ".".join(parts)
    assert e.why.startswith(("unknown ", "secrets never go in the file"))


# --- secrets -------------------------------------------------------------------------


def smtp_config(**smtp) -> dict:
    data = full_config()
    data["mailbox"]["maildir"]["send"] = "smtp"
    data["mailbox"]["maildir"].pop("pickup_dir", None)
    data["mailbox"]["smtp"] = {"host": "smtp.contoso.example", **smtp}
    return data


def mailbox_config(kind: str, **section) -> dict:
    data = full_config()
    data["mailbox"] = {"kind": kind, kind: section}
    return data


EWS_BASIC = {
    "email": helpers.ENGINEER,
    "service_endpoint": "https://mail.contoso.example/EWS/Exchange.asmx",
    "auth": "basic",
    "username": "CONTOSO\\alex",
    "password_env": "MB_TEST_EWS_PW",
}
GRAPH_APP = {
    "user": helpers.ENGINEER,
    "tenant_id": "contoso",
    "client_id": "1111",
    "client_secret_env": "MB_TEST_GRAPH_SECRET",
}


def ews_config(**ews) -> dict:
    return mailbox_config("ews", **{**EWS_BASIC, **ews})


def ews_oauth(auth: str, **ews) -> dict:
    """EWS with OAuth: no user name or password, a tenant and an app registration."""
    return ews_config(
        auth=auth, username=None, password_env=None, tenant_id="t", client_id="c", **ews
    )


def graph_config(**graph) -> dict:
    return mailbox_config("graph", **{**GRAPH_APP, **graph})


@pytest.mark.parametrize(
    ("data", "key", "hint"),
    [
        (smtp_config(password="hunter2"), "mailbox.smtp.password", "password_env"),
        (ews_config(password="hunter2"), "mailbox.ews.password", "password_env"),
        (ews_config(client_secret="s3cret"), "mailbox.ews.client_secret", "client_secret_env"),
        (graph_config(client_secret="s3cret"), "mailbox.graph.client_secret", "client_secret_env"),
        ({**full_config(), "database": {"password": "pw"}}, "database.password", "password_env"),
        # where nothing reads a secret, and in sections that do not apply or do not exist
        ({**full_config(), "api_key": "k"}, "api_key", "*_env"),
        ({**full_config(), "graph": {"access_token": "t"}}, "graph.access_token", "*_env"),
        ({**full_config(), "x": {"y": {"private_key": "k"}}}, "x.y.private_key", "*_env"),
        (
            {**full_config(), "mailbox": {**full_config()["mailbox"], "smtp": {"password": "p"}}},
            "mailbox.smtp.password",
            "password_env",
        ),
    ],
)
def test_a_secret_in_the_file_is_refused_wherever_it_is(data, key, hint):
    e = refused(data)
    assert e.key == key and "secrets never go in the file" in e.why and hint in e.why


SECRET_KEYS = st.sampled_from(
    ["password", "Password", "smtp_password", "secret", "client_secret", "token", "api-key"]
    + ["apikey", "refresh_token", "private_key", "passphrase", "credentials", "aws_access_key"]
)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), key=SECRET_KEYS, value=st.text(max_size=20))
def test_any_secret_key_anywhere_is_refused_before_anything_else(data, key, value):
    cfg = full_config()
    path = data.draw(st.sampled_from(tables(cfg)))
    at(cfg, path)[key] = value
    e = refused(cfg)
    assert e.key == ".".join((*path, key)) and "secrets never go in the file" in e.why


def test_secrets_inside_values_and_env_names_that_hold_a_secret():
    data = full_config()
    data["database"]["url"] = "postgresql://mailbot:hunter2@db.contoso.example/mailbot"
    e = refused(data)
    assert e.key == "database.url" and "{password}" in e.why and "hunter2" not in str(e)
    data["database"]["url"] = "postgresql://mailbot@db/mailbot?password=hunter2"
    assert refused(data).key == "database.url"
    data = full_config()
    data["engineer"]["phone"] = "-----BEGIN PRIVATE KEY-----MIIE..."
    e = refused(data)
    assert e.key == "engineer.phone" and "private key" in e.why
    e = refused(smtp_config(username="u", password_env="hunter2!"))
    assert e.key == "mailbox.smtp.password_env" and "never the secret itself" in e.why
    e = refused(graph_config(endpoint="https://user:pw@graph.microsoft.com"))
    assert e.key == "mailbox.graph.endpoint" and "password" in e.why


def test_database_password_comes_from_the_environment(monkeypatch):
    data = full_config()
    data["database"] = {"url": "postgresql://mailbot:{password}@db/mailbot"}
    e = refused(data)
    assert e.key == "database.password_env" and "is required" in e.why
    data["database"]["password_env"] = "MB_TEST_DB_PW"
    monkeypatch.setenv("MB_TEST_DB_PW", "pw")
    s = config.parse(data, base=NOWHERE)
    assert s.database_url == "postgresql+psycopg://mailbot:pw@db/mailbot"
    data["database"] = {"password_env": "MB_TEST_DB_PW"}
    assert "does not apply" in refused(data).why


# --- what does not apply -------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "key", "fix"),
    [
        (
            {
                **full_config(),
                "mailbox": {
                    **full_config()["mailbox"],
                    "smtp": {"host": "h", "password_env": "MB_PW"},
                },
            },
            "mailbox.smtp",
            'send = "smtp"',
        ),
        (
            {**full_config(), "mailbox": {**full_config()["mailbox"], "ews": {"email": "a@b.cd"}}},
            "mailbox.ews",
            'kind = "ews"',
        ),
        (
            {**graph_config(), "mailbox": {**graph_config()["mailbox"], "maildir": {"path": "M"}}},
            "mailbox.maildir",
            'kind = "maildir"',
        ),
        (
            {**graph_config(), "mailbox": {**graph_config()["mailbox"], "smtp": {"host": "h"}}},
            "mailbox.smtp",
            "remove the section",
        ),
        (
            ews_config(auth="oauth-app", tenant_id="t", client_id="c"),
            "mailbox.ews.username",
            "ntlm",
        ),
        (
            ews_oauth("oauth-delegated", client_secret_env="X"),
            "mailbox.ews.client_secret_env",
            "oauth-app",
        ),
        (ews_config(token_cache="cache.json"), "mailbox.ews.token_cache", "oauth-delegated"),
        (graph_config(auth="delegated"), "mailbox.graph.client_secret_env", '"app"'),
        (graph_config(token_cache="cache.json"), "mailbox.graph.token_cache", '"delegated"'),
    ],
)
def test_a_section_or_key_for_another_kind_does_not_apply(data, key, fix):
    e = refused(data)
    assert e.key == key and e.why.startswith("does not apply") and fix in e.why


def test_the_kinds_own_section_is_required():
    data = full_config()
    data["mailbox"] = {"kind": "graph"}
    e = refused(data)
    assert e.key == "mailbox.graph" and "required" in e.why
    data = full_config()
    data["mailbox"]["maildir"]["send"] = "smtp"
    data["mailbox"]["maildir"].pop("pickup_dir", None)
    e = refused(data)
    assert e.key == "mailbox.smtp" and "required" in e.why


# --- transport: TLS and https --------------------------------------------------------


@pytest.mark.parametrize(
    ("smtp", "key", "why"),
    [
        ({"port": 587, "starttls": False}, "mailbox.smtp.starttls", "never sent in clear"),
        ({"port": 25, "starttls": False}, "mailbox.smtp.starttls", "never sent in clear"),
        (
            {"port": 465, "implicit_tls": False, "starttls": False},
            "mailbox.smtp.starttls",
            "in clear",
        ),
        ({"port": 465, "starttls": True, "implicit_tls": True}, "mailbox.smtp.starttls", "exclude"),
        ({"password_env": None}, "mailbox.smtp.password_env", "is required with username"),
        ({"username": None}, "mailbox.smtp.username", "is required with password_env"),
        ({"port": 70000}, "mailbox.smtp.port", "at most 65535"),
        ({"host": "smtp://smtp.contoso.example"}, "mailbox.smtp.host", "not a URL"),
    ],
)
def test_smtp_credentials_never_travel_without_tls(smtp, key, why):
    e = refused(smtp_config(**{"username": "alex", "password_env": "MB_TEST_PW", **smtp}))
    assert e.key == key and why in e.why


def test_smtp_tls_defaults_follow_the_port(monkeypatch, tmp_path):
    monkeypatch.setenv("MB_TEST_PW", "pw")
    creds = {"username": "alex", "password_env": "MB_TEST_PW"}
    s = config.parse(smtp_config(port=465, **creds), base=NOWHERE).mailbox.smtp
    assert s.implicit_tls and not s.starttls and s.password == "pw"
    s = config.parse(smtp_config(port=587, **creds), base=NOWHERE).mailbox.smtp
    assert s.starttls and not s.implicit_tls
    s = config.parse(smtp_config(port=2465, implicit_tls=True, **creds), base=NOWHERE).mailbox.smtp
    assert s.implicit_tls and not s.starttls
    s = config.parse(smtp_config(port=25, starttls=False), base=NOWHERE).mailbox.smtp
    assert not s.starttls and not s.implicit_tls and s.username is None  # no password, no TLS
    (tmp_path / "ca.pem").write_text("x")
    s = config.parse(smtp_config(ca_bundle="ca.pem"), base=tmp_path).mailbox.smtp
    assert s.ca_bundle == tmp_path / "ca.pem"
    e = refused(smtp_config(ca_bundle="missing.pem"))
    assert e.key == "mailbox.smtp.ca_bundle" and "does not exist" in e.why


@pytest.mark.parametrize(
    ("data", "key", "why"),
    [
        (graph_config(endpoint="http://graph.microsoft.com"), "mailbox.graph.endpoint", "https://"),
        (
            graph_config(authority_host="http://login.microsoftonline.com"),
            "mailbox.graph.authority_host",
            "https://",
        ),
        (
            ews_config(service_endpoint="http://mail.contoso.example/EWS/Exchange.asmx"),
            "mailbox.ews.service_endpoint",
            "https://",
        ),
        (
            ews_oauth(
                "oauth-app",
                client_secret_env="X",
                authority_host="http://login.microsoftonline.com",
            ),
            "mailbox.ews.authority_host",
            "https://",
        ),
        (
            ews_oauth("oauth-delegated", oauth_resource="ftp://outlook.office365.com"),
            "mailbox.ews.oauth_resource",
            "https://",
        ),
        (
            graph_config(endpoint="https://graph.microsoft.com/v1.0"),
            "mailbox.graph.endpoint",
            "scheme and host only: https://graph.microsoft.com (mailbot adds /v1.0 itself)",
        ),
        (
            graph_config(authority_host="https://login.microsoftonline.com/contoso"),
            "mailbox.graph.authority_host",
            "the tenant comes from tenant_id",
        ),
        (graph_config(endpoint="graph.microsoft.com"), "mailbox.graph.endpoint", "https://"),
    ],
)
def test_endpoints_must_be_https_in_their_documented_form(data, key, why):
    e = refused(data)
    assert e.key == key and why in e.why


def test_graph_hosts_may_end_in_a_slash(monkeypatch):
    monkeypatch.setenv("MB_TEST_GRAPH_SECRET", "s")
    g = config.parse(
        graph_config(endpoint="https://graph.microsoft.us/", cloud="usgov"), base=NOWHERE
    ).mailbox.graph
    assert g.endpoint == "https://graph.microsoft.us"
    assert g.authority_host == "https://login.microsoftonline.us"


# --- folder names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("/Mailbot/Approved", "must not start or end with /"),
        ("Mailbot/Approved/", "must not start or end with /"),
        ("Mailbot//Approved", "empty part"),
        ("Mailbot/./Approved", "'.'"),
        ("../Approved", "'..'"),
        ("Mailbot/ Approved", "space"),
        ("Mailbot\nApproved", "single line"),
        ("mailbot/awaiting approval", "already the awaiting_approval folder"),
        ("Sent Items", "already the sent folder"),
    ],
)
def test_bad_folder_names_are_refused(name, why):
    data = full_config()
    data["mailbox"]["folders"] = {"approved": name}
    e = refused(data)
    assert e.key == "mailbox.folders.approved" and why in e.why
    data = graph_config()
    data["mailbox"]["folders"] = {"approved": name}
    assert why in refused(data).why  # the same rules for every mailbox kind


def test_maildir_folder_names_cannot_hold_a_dot_or_be_the_inbox(monkeypatch):
    data = full_config()
    data["mailbox"]["folders"] = {"approved": "Mailbot/v1.2"}
    e = refused(data)
    assert e.key == "mailbox.folders.approved" and "Maildir++" in e.why and '".A.B"' in e.why
    data["mailbox"]["folders"] = {"rejected": "inbox"}
    assert "the Maildir root" in refused(data).why
    monkeypatch.setenv("MB_TEST_GRAPH_SECRET", "s")
    data = graph_config()
    data["mailbox"]["folders"] = {"approved": "Mailbot/v1.2"}
    assert config.parse(data, base=NOWHERE).mailbox.folders.approved == "Mailbot/v1.2"


# --- the schema and the example ------------------------------------------------------


def toml_as_json(value):
    """What a TOML document is as JSON (the schema's view): times and dates as text."""
    if isinstance(value, dict):
        return {k: toml_as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [toml_as_json(v) for v in value]
    if isinstance(value, time):
        return f"{value:%H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def test_committed_schema_is_up_to_date():
    assert SCHEMA.read_text(encoding="utf-8") == config_models.schema_text(), (
        "config/mailbot.schema.json is stale: run scripts/config-schema"
    )


def test_example_config_matches_the_schema_and_loads():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    example = toml_as_json(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    jsonschema.Draft202012Validator(schema).validate(example)
    assert config.load(EXAMPLE).source == str(EXAMPLE)
    # and the schema refuses what the loader refuses for its structure
    bad = copy.deepcopy(example)
    bad["engineer"]["colour"] = "blue"
    assert not jsonschema.Draft202012Validator(schema).is_valid(bad)


def schema_keys(schema: dict) -> set[tuple[str, ...]]:
    defs = schema["$defs"]

    def walk(node: dict, path: tuple[str, ...]) -> set[tuple[str, ...]]:
        out = set()
        for key, prop in node.get("properties", {}).items():
            ref = prop.get("$ref")
            if ref:
                out |= walk(defs[ref.rsplit("/", 1)[1]], (*path, key))
            else:
                out.add((*path, key))
        return out

    return walk(schema, ())


def example_keys(text: str) -> set[tuple[str, ...]]:
    """Every key the example sets or shows commented out, under its (commented) table."""
    keys, table = set(), ()
    for line in text.splitlines():
        header = re.match(r"^#?\s*\[([a-z.]+)\]", line)
        if header:
            table = tuple(header.group(1).split("."))
            continue
        key = re.match(r"^#?\s*([a-z][a-z0-9_-]*)\s*=", line)
        if key:
            keys.add((*table, key.group(1)))
    return keys


def test_example_config_shows_every_key():
    missing = schema_keys(config_models.schema()) - example_keys(EXAMPLE.read_text("utf-8"))
    assert not missing, f"keys missing from config/mailbot.example.toml: {sorted(missing)}"


# --- imports ---------------------------------------------------------------------------


def test_importing_config_loads_no_adapter_or_heavy_library():
    heavy = ["exchangelib", "msal", "requests", "sqlalchemy", "pydantic", "mailbot.mailbox"]
    code = f"import sys, mailbot.config; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = (
        "import sys; from mailbot import config; config.load(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('exchangelib', 'msal', 'requests', 'sqlalchemy') or m.startswith('mailbot.mailbox')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_domain_never_imports_the_config_loader():
    for path in (ROOT / "mailbot" / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            assert not any(n.startswith("mailbot.config") for n in names), path
