"""Our own secret rules: the ways people *write* credentials in mail, which detectors
built for source code miss ("the password for the admin account is …", "pw: …",
"Zugangsdaten: admin / …", "Our storage account key is <88 base64 characters>").

Each rule yields (kind, start, end) spans of the *value* to mask, never the words
around it, so a masked sentence still reads ("the password is [password removed]").
Every pattern is linear: bounded repetitions, no nested quantifiers over the same
characters, and token rules that start only at a token boundary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mailbot.ingest.lazy_pattern import LazyPattern

Span = tuple[str, int, int]

# Words for "password" in the eight languages we read, and the short forms people type.
PASSWORD_WORDS = (
    r"passwords?|passwort|kennwort|passwd|pwd|pw|passcode|passphrase|mot de passe|mdp|"
    r"contraseña|contrasena|clave de acceso|wachtwoord|senha|hasło|haslo|parola d'ordine|"
    r"password di accesso|pin"
)
# Words for a key, token or secret.
KEY_WORDS = (
    r"(?:storage |account |access |api |secret |shared |sas |client |private |primary |secondary )*"
    r"(?:key|keys|token|secret|schlüssel|schluessel|zugangsschlüssel|clé|cle|clave|chiave|sleutel|"
    r"chave|klucz|geheimnis|jeton|apikey|api-key)"
)
# "is" / ":" between the word and the value, in each language.
_VERB_CUE = r"(?:is|was|ist|lautet|war|est|était|es|era|è|era|é|jest|to|is now|ist jetzt|is set to)"
_EXPLICIT_CUE = r"(?:[:=]|->|=>|—|–)"
# What may stand between the keyword and the cue: "for the admin account", "für den
# Benutzer sa", "du compte admin" (no sentence end, no second cue).
_FILLER = r"(?:[^\n:=.!?]{0,48}?\s)?"
_VALUE = r"(?:\"[^\"\n]{1,120}\"|'[^'\n]{1,120}'|`[^`\n]{1,120}`|[^\s\"'`]{3,200})"

_PASSWORD = re.compile(
    rf"(?<![\w-])(?:{PASSWORD_WORDS})\b{_FILLER}\s*(?P<cue>{_EXPLICIT_CUE}|\b{_VERB_CUE}\b\s*:?)\s*(?P<value>{_VALUE})",
    re.IGNORECASE,
)
# "password Qw3rty!Zx", "we use the password S3cr3t-Pa55": no cue at all, so the value
# must look like a password beyond doubt (see _strong).
_BARE_PASSWORD = re.compile(
    rf"(?<![\w-])(?:{PASSWORD_WORDS})\s+(?P<value>[^\s\"'`<>()\[\]]{{6,64}})",
    re.IGNORECASE,
)
_KEY = re.compile(
    rf"(?<![\w-]){KEY_WORDS}\b{_FILLER}\s*(?P<cue>{_EXPLICIT_CUE}|\b{_VERB_CUE}\b\s*:?)\s*(?P<value>{_VALUE})",
    re.IGNORECASE,
)
_LOGIN_WORDS = (
    r"user(?:name)?|login|logon|benutzer(?:name)?|zugang(?:sdaten)?|anmeldedaten|credentials?|"
    r"identifiants?|utilisateur|usuario|credenciales|utente|credenziali|gebruiker(?:snaam)?|"
    r"inloggegevens|usuário|utilizador|credenciais|użytkownik|dane logowania|account|konto|compte"
)
# "login: admin / Sommer2026!", "credentials admin / pw Geheim!1"
_USER_SLASH_PASSWORD = re.compile(
    rf"(?<![\w-])(?:{_LOGIN_WORDS})\b\s*(?:{_EXPLICIT_CUE}|\b{_VERB_CUE}\b)?\s*"
    rf"[^\s/]{{1,64}}\s*/\s*(?:(?:{PASSWORD_WORDS})\s*{_EXPLICIT_CUE}?\s*)?(?P<value>{_VALUE})",
    re.IGNORECASE,
)
# "admin / pw: Geheim!1" where no login word comes first: the password word is the cue.
_SLASH_PW = re.compile(
    rf"(?<![\w-])[^\s/]{{1,64}}\s*/\s*(?:{PASSWORD_WORDS})\s*{_EXPLICIT_CUE}?\s*(?P<value>{_VALUE})",
    re.IGNORECASE,
)
# "Login with admin / Sommer2026!", "log in as root / toor123", or a well-known account
# alone, "admin / Sommer2026!": the value must look like a credential (a digit, a symbol
# or mixed case), so "read / write" and "TCP / IP" stay as written.
_ACCOUNT_SLASH = re.compile(
    rf"(?<![\w-])(?:(?:{_LOGIN_WORDS}|log[ -]?in|log[ -]?on|sign[ -]?in)\s+(?:with|as|using|via)\s+"
    r"[^\s/]{1,64}|(?:admin(?:istrator)?|root|sa|sysadmin|superuser|postgres|dbadmin))"
    rf"\s*/\s*(?P<value>{_VALUE})",
    re.IGNORECASE,
)
# Key=value pairs of connection strings (SQL, Service Bus, Storage, Event Hubs, Redis).
_CONN_PAIR = re.compile(
    r"(?<![\w-])(?:password|pwd|accountkey|sharedaccesskey|sharedaccesssignature|"
    r"clientsecret|client_secret|secret|accesskey|access_key|token|authtoken)\s*=\s*"
    r"(?P<value>\"[^\"\n]{1,200}\"|'[^'\n]{1,200}'|[^;\s\"'<>]{1,300})",
    re.IGNORECASE,
)
_URL_CREDENTIALS = re.compile(
    r"\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@]{1,100}:(?P<value>[^\s@/]{1,200})@"
)
_PRIVATE_KEY_BEGIN = LazyPattern(
    r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d"
)
_PRIVATE_KEY_END = LazyPattern(r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----")
# An Azure storage account key: 64 random bytes, base64 (86 characters and "==").
_STORAGE_KEY = LazyPattern(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])")
_SAS_SIG = LazyPattern(
    r"(?<![\w-])(?:(?:sv|ss|srt|sp|se|st|spr|sr|si|sdd|skoid|sktid|skt|ske|sks|skv)=[^&\s\"'<>]{0,100}&){0,16}"
    r"sig=(?P<value>[A-Za-z0-9%+/=]{16,200})",
    re.IGNORECASE,
)
_AWS_SECRET = LazyPattern(
    r"(?:aws_?secret_?access_?key|secret_?access_?key|secret access key)\W{0,5}(?:is\s+)?"
    r"(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
    re.IGNORECASE,
)
_BEARER = LazyPattern(r"\bBearer\s+(?P<value>[A-Za-z0-9\-._~+/]{16,2000}=*)")
_TOKEN_FORMS = LazyPattern(
    r"(?<![A-Za-z0-9_])(?:github_pat_[A-Za-z0-9_]{22,255}|gh[pousr]_[A-Za-z0-9_]{30,255}|"
    r"npm_[A-Za-z0-9]{36}|xox[abposr]-[A-Za-z0-9-]{10,200})"
)
# Microsoft Entra client secrets: three characters, a digit, "Q~", then 31-34 more.
_ENTRA_SECRET = LazyPattern(
    r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"
)

# Words a value after "password is" can be without being a password.
NOT_A_VALUE = frozenset(
    [
        "wrong",
        "expired",
        "correct",
        "incorrect",
        "invalid",
        "not",
        "the",
        "a",
        "an",
        "still",
        "required",
        "missing",
        "empty",
        "blank",
        "same",
        "new",
        "old",
        "changed",
        "reset",
        "locked",
        "set",
        "known",
        "unknown",
        "fine",
        "ok",
        "okay",
        "valid",
        "too",
        "weak",
        "strong",
        "falsch",
        "abgelaufen",
        "nicht",
        "richtig",
        "ungültig",
        "korrekt",
        "gesperrt",
        "leer",
        "geändert",
        "neu",
        "alt",
        "noch",
        "faux",
        "expiré",
        "incorrect",
        "invalide",
        "correct",
        "pas",
        "vide",
        "changé",
        "nouveau",
        "ancien",
        "toujours",
        "incorrecta",
        "caducada",
        "inválida",
        "correcta",
        "vacía",
        "nueva",
        "antigua",
        "sbagliata",
        "scaduta",
        "errata",
        "vuota",
        "nuova",
        "fout",
        "verlopen",
        "onjuist",
        "ongeldig",
        "leeg",
        "nieuw",
        "errada",
        "expirada",
        "inválida",
        "vazia",
        "nova",
        "błędne",
        "wygasło",
        "nieprawidłowe",
        "puste",
        "nowe",
        "none",
        "null",
        "n/a",
        "na",
        "removed",
        "redacted",
        "hidden",
        "[removed]",
        "*****",
        "********",
        "xxxxx",
    ]
)


def _plausible(value: str, cue: str) -> bool:
    """A value after a *verb* cue must look like a credential (a digit, a symbol or mixed
    case); after ":" or "=" anything but a stop word will do."""
    bare = value.strip("\"'`").rstrip(".,;)")
    if len(bare) < 3 or bare.lower() in NOT_A_VALUE or set(bare) <= {"*", "x", "X", "."}:
        return False
    if bare.startswith("["):  # a value already masked ("[password removed]")
        return False
    if re.match(r"\s*[:=]", cue) or cue.strip() in ("->", "=>", "—", "–"):
        return True
    if value[:1] in "\"'`":
        return True
    return bool(
        re.search(r"\d", bare)
        or re.search(r"[^\w\s]", bare)
        or (any(c.isupper() for c in bare[1:]) and any(c.islower() for c in bare))
    )


def _strong(value: str) -> bool:
    """A value with no cue before it: letters and digits and a symbol or both cases
    ("Qw3rty!Zx", "Winter2026"; not "SHA256", "reset", "123456")."""
    bare = value.rstrip(".,;:!?)")
    if len(bare) < 6 or bare.lower() in NOT_A_VALUE:
        return False
    letters = [c for c in bare if c.isalpha()]
    digits = any(c.isdigit() for c in bare)
    symbol = bool(re.search(r"[^\w]", bare))
    mixed = any(c.isupper() for c in letters) and any(c.islower() for c in letters)
    return bool(letters) and digits and (symbol or mixed)


def _value_span(found: re.Match[str]) -> tuple[int, int]:
    start, end = found.span("value")
    value = found.group("value")
    if value[:1] in "\"'`":
        return start + 1, end - 1
    trimmed = value.rstrip(".,;)")
    return start, start + max(len(trimmed), 1)


def _looks_random(token: str) -> bool:
    """A key or token value: long, and mixing at least two of upper, lower, digits."""
    if len(token) < 16:
        return False
    classes = sum(
        (
            any(c.isupper() for c in token),
            any(c.islower() for c in token),
            any(c.isdigit() for c in token),
        )
    )
    return classes >= 2


def private_keys(text: str) -> Iterator[Span]:
    """A private key block from its BEGIN line to its END line (or the end of the text)."""
    pos = 0
    while found := _PRIVATE_KEY_BEGIN.search(text, pos):
        end = _PRIVATE_KEY_END.search(text, found.end())
        stop = end.end() if end else len(text)
        yield "private key", found.start(), stop
        pos = stop


# Words one of the password patterns needs, and one of the key patterns ("pass" stands
# for password, passwort, passcode, mot de passe…; "contrase" for contraseña and
# contrasena; "key" for keys, apikey, api-key).
_PASSWORD_HINTS = ("pw", "pass", "kennwort", "mdp", "contrase", "clave", "wachtwoord", "senha",
                   "haslo", "hasło", "parola", "pin")  # fmt: skip
_KEY_HINTS = ("key", "token", "secret", "schlüssel", "schluessel", "clé", "cle", "clave",
              "chiave", "sleutel", "chave", "klucz", "geheimnis", "jeton")  # fmt: skip
# Where a password or key word can start: every alternative of PASSWORD_WORDS and
# KEY_WORDS begins with one of these ("mot de passe", "password di accesso": "pass" after
# a space), and so does a key word after a prefix word ("storage key", "api key").
_PASSWORD_STARTS = _PASSWORD_HINTS
_KEY_STARTS = (*_KEY_HINTS, "zugangsschlüssel", "apikey", "api-key")
# The rules' lookbehind: a password or key word starts where no word character or "-"
# stands before it ("pin" in "shipping" or "keeping" is none).
_WORD_START = re.compile(r"(?<![\w-])")
# What _TOKEN_FORMS and _ENTRA_SECRET (case-sensitive) cannot match without.
_TOKEN_LITERALS = ("github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_", "xox")


# The only characters that IGNORECASE matches to an ASCII letter while ``str.lower``
# does not turn them into it (found by trying every code point): "İ", "ı", "ſ", Kelvin.
FOLDS_TO_ASCII = "\u0130\u0131\u017f\u212a"


def literal_gates_hold(text: str) -> bool:
    """Whether "literal ``w`` (lower-case ASCII) in ``text.lower()``" is exactly "some
    IGNORECASE pattern can match ``w`` in ``text``": true unless one of
    :data:`FOLDS_TO_ASCII` is in the text."""
    return not any(map(text.__contains__, FOLDS_TO_ASCII))


def _starts_a_word(text: str, lowered: str, words: tuple[str, ...]) -> bool:
    """Whether one of ``words`` (lower-case) is in ``lowered`` at a position where the
    rules' lookbehind holds in ``text``. ``lowered`` is ``text.lower()`` under
    :func:`literal_gates_hold`, so its positions are the text's (only "İ", which that
    excludes, lower-cases to two characters; a length that differs all the same
    answers True)."""
    if len(lowered) != len(text):
        return True
    find, starts = lowered.find, _WORD_START.match
    for word in words:
        at = find(word)
        while at >= 0:
            if starts(text, at):
                return True
            at = find(word, at + 1)
    return False


def _gates(text: str) -> tuple[bool, ...]:
    """For each group of rules, whether it can match ``text`` at all: a literal every
    match of the group contains (for the password and key words, where a word can
    start). Most mail mentions no password, key, "/" or "=", and these checks cost a
    fraction of the patterns (which try their alternations at every position: 40 µs for
    an average text, the largest part of reading a message).

    Where :func:`literal_gates_hold` says the lower-cased text cannot tell, every rule
    runs."""
    if not literal_gates_hold(text):
        return (True,) * 10
    lowered = text.lower()
    slash = "/" in text
    return (
        "PRIVATE KEY" in text or "PuTTY-User-Key-File-" in text,
        "==" in text,
        "sig=" in lowered or "access" in lowered or "Bearer" in text,
        any(map(text.__contains__, _TOKEN_LITERALS)),
        "Q~" in text,
        "://" in text and "@" in text,
        "=" in text,
        slash,
        _starts_a_word(text, lowered, _PASSWORD_STARTS),
        _starts_a_word(text, lowered, _KEY_STARTS),
    )


def rules(text: str) -> Iterator[Span]:
    """Every secret our own rules see in ``text``, as (kind, start, end), in the same
    order whichever rules the gates skip (a skipped rule could not have matched)."""
    private, storage, worded, tokens, entra, url, pairs, slash, passwords, keys = _gates(text)
    if private:
        yield from private_keys(text)
    if storage:
        for found in _STORAGE_KEY.finditer(text):
            yield "storage account key", found.start(), found.end()
    if worded:
        for found in _SAS_SIG.finditer(text):
            yield "shared access signature", found.start(), found.end()
        for found in _AWS_SECRET.finditer(text):
            yield "cloud access key", *found.span("value")
        for found in _BEARER.finditer(text):
            yield "security token", *found.span("value")
    if tokens:
        for found in _TOKEN_FORMS.finditer(text):
            yield "security token", found.start(), found.end()
    if entra:
        for found in _ENTRA_SECRET.finditer(text):
            yield "client secret", found.start(), found.end()
    if url:
        for found in _URL_CREDENTIALS.finditer(text):
            yield "password", *found.span("value")
    if pairs:
        lines: dict[int, tuple[int, bool]] = {}
        line_start = scanned = 0
        for found in _CONN_PAIR.finditer(text):
            newline = text.rfind("\n", scanned, found.start())  # matches come in order
            line_start, scanned = (newline + 1 if newline >= 0 else line_start), found.start()
            pair = _connection_pair(text, found, line_start, lines)
            if pair is not None:
                yield pair
    if slash:
        for pattern in (_USER_SLASH_PASSWORD, _SLASH_PW):
            for found in pattern.finditer(text):
                if _plausible(found.group("value"), ":"):
                    yield "password", *_value_span(found)
        for found in _ACCOUNT_SLASH.finditer(text):
            if _plausible(found.group("value"), "is"):
                yield "password", *_value_span(found)
    if passwords:
        for found in _PASSWORD.finditer(text):
            if _plausible(found.group("value"), found.group("cue")) and not _working_directory(
                found
            ):
                yield "password", *_value_span(found)
        for found in _BARE_PASSWORD.finditer(text):
            if _strong(found.group("value")):
                yield "password", *_value_span(found)
    if keys:
        for found in _KEY.finditer(text):
            value = found.group("value").strip("\"'`").rstrip(".,;)")
            if _looks_random(value) and _plausible(value, found.group("cue")):
                head = text[found.start() : found.start("cue")].lower()
                kind = (
                    "storage account key"
                    if "storage" in head or "account" in head
                    else "access key"
                )
                if "secret" in head:
                    kind = "client secret"
                yield kind, *_value_span(found)


def _connection_pair(
    text: str, found: re.Match[str], line_start: int, lines: dict[int, tuple[int, bool]]
) -> Span | None:
    """A key=value pair; inside a connection string ("Server=…;Password=…;") the value
    runs to the next ";" (SQL passwords may hold spaces). ``lines`` caches, per line
    start, where the line ends and whether it reads as a connection string, so a line of
    many pairs is looked at once. None for the shell's working directory
    ("PWD=/home/me" in a pasted environment), which is not a password."""
    kind = _pair_kind(found)
    if line_start not in lines:
        line_end = text.find("\n", found.end())
        line_end = len(text) if line_end < 0 else line_end
        line = text[line_start:line_end]
        lines[line_start] = (line_end, line.count("=") >= 2 and ";" in line)
    line_end, in_connection_string = lines[line_start]
    if not in_connection_string and _working_directory(found):
        return None
    start, end = _value_span(found)
    if in_connection_string and found.group("value")[:1] not in "\"'":
        semi = text.find(";", start, line_end)
        end = semi if semi >= 0 else line_end
        if kind == "password":
            kind = "connection string"
    return kind, start, end


def _working_directory(found: re.Match[str]) -> bool:
    """``PWD=/home/me`` (or ``~/…``) in a pasted environment: the shell's working
    directory, not a password."""
    return found.group(0).startswith("PWD") and found.group("value")[:1] in ("/", "~")


def _pair_kind(found: re.Match[str]) -> str:
    name = found.group(0).split("=", 1)[0].strip().lower()
    if name in ("password", "pwd"):
        return "password"
    if name == "accountkey":
        return "storage account key"
    if name == "sharedaccesssignature":
        return "shared access signature"
    return "client secret" if "secret" in name else "access key"


# How a value is judged and cut, shared with the command-line rules
# (:mod:`mailbot.ingest.command_secrets`).
plausible_after_cue = _plausible
strong_value = _strong
value_span = _value_span
