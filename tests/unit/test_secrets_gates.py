"""The literal hints that decide whether a detect-secrets plugin runs (and whether
detect-secrets is imported at all) must be in every text the plugin can match: a hint
that misses one would let a secret through unmasked (R27)."""

from __future__ import annotations

import importlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.ingest import secrets

PLUGINS = [(module, cls, hints) for module, cls, _, hints in secrets._PLUGINS]


def _patterns(module: str, cls: str) -> list[re.Pattern[str]]:
    plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)()
    return list(plugin.denylist)


@pytest.mark.parametrize(("module", "cls", "hints"), PLUGINS, ids=[p[0] for p in PLUGINS])
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_text_a_plugin_matches_holds_one_of_its_hints(module, cls, hints, data):
    for pattern in _patterns(module, cls):
        # the plugin's own pattern, without the lookahead hypothesis cannot generate
        # (it only narrows what matches)
        source = pattern.pattern.replace(r"(?!\w)", "")
        text = data.draw(st.from_regex(re.compile(source, pattern.flags), fullmatch=False))
        assert any(h in text.lower() for h in hints), (module, pattern.pattern, text)


def test_a_message_without_hints_loads_no_plugin():
    secrets._plugin.cache_clear()
    kinds = secrets.scan("We went through the English logs: glad to help, high load.")[1]
    assert kinds == ()
    assert secrets._plugin.cache_info().currsize == 0


def test_a_github_token_is_still_found():
    token = "ghp_" + "a1B2c3D4e5" * 3 + "f6G7h8"
    text, kinds = secrets.scan(f"our token is {token} for the build")
    assert token not in text and kinds == ("security token",)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("paſsword: Winter2026x", "password"),  # long s: IGNORECASE reads "password"
        ("the PASSWORD İs: Winter2026x", "password"),
        ("AWſ secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'", None),
    ],
)
def test_a_character_that_folds_to_ascii_opens_every_gate(text, kind):
    """R27: "ſ", "ı", "İ" and the Kelvin sign match ASCII letters under IGNORECASE but
    survive ``lower()``, so a lower-cased hint cannot vouch for such a text: every rule
    runs, and finds what it would find in the plain spelling."""
    plain = text.replace("ſ", "s").replace("İ", "i")
    found = {f.kind for f in secrets.find_secrets(text)}
    assert found == {f.kind for f in secrets.find_secrets(plain)}
    if kind:
        assert kind in found


_RULE_PIECES = [
    "pin", "PIN", "shipping", "keeping", "Pin: 4711", "pw: Geheim!1", "password", "Passwort",
    "mot de passe", "hasło", "HASŁO", "contraseña", "key", "api-key", "apikey", "API-KEY",
    "zugangsschlüssel", "Schlüssel", "monkey", "storage account key", "token", "secret",
    "clé", "the", " is ", " ist ", ": ", "=", " = ", "/", " / ", "admin", "root", "-", "_",
    "'", '"', "`", "\n", " ", ".", ",", "Q~", "ghp_", "gh", "github_pat_", "npm_", "xoxb-",
    "sig=", "Bearer ", "://", "@", "==", "Winter2026!", "Sommer2026x", "aB3dE5gH7jK9mN1pQ3sT",
    "A" * 20, "9" * 8, "İ", "ſ", "ı", "\u212a",
]  # fmt: skip


_WORDS = [
    "pin", "PIN", "pw", "pwd", "password", "Passwort", "kennwort", "mot de passe", "mdp",
    "hasło", "HASŁO", "contraseña", "clave de acceso", "parola d'ordine", "senha", "key",
    "api-key", "apikey", "API-KEY", "zugangsschlüssel", "Schlüssel", "storage account key",
    "api key", "token", "secret", "clé", "klucz", "jeton", "geheimnis",
]  # fmt: skip
_CUES = [": ", "=", " = ", " is ", " ist ", " -> ", " for the admin account is ", " "]
_VALUES = ["Winter2026!", "aB3dE5gH7jK9mN1pQ3sT", "'Geheim 1'", "wrong", "x"]


_texts = st.one_of(
    st.lists(st.one_of(st.sampled_from(_RULE_PIECES), st.text(max_size=4)), max_size=30).map(
        "".join
    ),
    st.tuples(
        st.sampled_from(["", " ", "-", "a", "x_", "ship", "(", "\n"]),
        st.sampled_from(_WORDS),
        st.sampled_from(_CUES),
        st.sampled_from(_VALUES),
        st.text(max_size=3),
    ).map("".join),
)


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(_texts)
def test_the_rule_gates_skip_only_rules_that_cannot_match(text):
    """R27: each gate (a literal, or a password or key word where a word can start) only
    skips rules that would have found nothing: the same spans as every rule run."""
    from unittest import mock

    from mailbot.ingest import secret_rules

    gated = list(secret_rules.rules(text))
    with mock.patch.object(secret_rules, "_gates", lambda text: (True,) * 10):
        assert gated == list(secret_rules.rules(text))
