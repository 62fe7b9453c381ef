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
