"""HTML to readable text, in one linear pass.

Mailbox adapters (EWS, Graph) and the ingest filters both need the words of an HTML body.
A regular expression such as ``<[^>]+>`` looks harmless but is quadratic on hostile
markup (a megabyte of ``<`` makes every ``<`` scan to the end of the text for a ``>``
that never comes), so this is a small scanner built on ``str.find`` that never looks
at a character more than a constant number of times.

Inline tags (``<span>``, ``<b>``, ``<font>`` …) vanish without a trace, so a word or a
date that an editor split across tags ("4.<span>12.</span>") reads as it did on screen;
block tags become line breaks, so paragraphs stay paragraphs.
"""

from __future__ import annotations

import html
import re

# Tags that end a line of text when rendered. Everything else is inline.
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
# Elements whose content is never text for a reader.
HIDDEN_TAGS = ("script", "style", "head", "title", "xml")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_RUNS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Comments, declarations and elements whose content is hidden: few per message, each
# skipped whole by one ``find``.
_SPECIAL = re.compile(
    r"<(?=[!?a-zA-Z])(?:!--|!|\?|(?:" + "|".join(HIDDEN_TAGS) + r")(?=[\s/>]))", re.IGNORECASE
)
# A tag: its name, then (only after a space, "/" or ">") attributes up to the next ">".
# The name and the attributes cannot trade characters, and "[^<>]" stops at the next
# "<", so a tag that never closes costs one scan to the next "<".
_TAG = re.compile(r"<(?=[a-zA-Z/])/?(?P<name>[a-zA-Z][a-zA-Z0-9:-]*)(?=[\s/>])[^<>]*>")


def _tag(found: re.Match[str]) -> str:
    """A block tag ends a line; an inline tag vanishes."""
    return "\n" if found.group("name").lower() in BLOCK_TAGS else ""


def _visible(markup: str) -> str:
    """``markup`` without comments, declarations and hidden elements."""
    low = markup.translate(_ASCII_LOWER)  # same length as markup, unlike str.lower()
    out: list[str] = []
    pos = 0
    while found := _SPECIAL.search(markup, pos):
        out.append(markup[pos : found.start()])
        token = found.group(0).lower()
        if token == "<!--":
            end = low.find("-->", found.end())
            pos = len(markup) if end < 0 else end + 3
        elif token in ("<!", "<?"):
            end = low.find(">", found.end())
            pos = len(markup) if end < 0 else end + 1
        else:
            end = low.find(f"</{token[1:]}", found.end())
            close = low.find(">", end) if end >= 0 else -1
            pos = len(markup) if close < 0 else close + 1
    out.append(markup[pos:])
    return "".join(out)


# How much of an HTML body the mailbox adapters read: the words worth reading sit at the
# top (ingest reads the first 64 KB of a Maildir message, HTML included), and a crafted
# megabyte of tags would otherwise cost a quarter of a second while the cycle lock is held.
HTML_READ_CHARS = 128 * 1024


def body_text(markup: str) -> str:
    """The text of the first ``HTML_READ_CHARS`` of an HTML body, as the adapters read it."""
    return html_to_text(markup[:HTML_READ_CHARS])


def html_to_text(markup: str) -> str:
    """The text a reader sees in ``markup``: tags dropped, entities decoded, one line per
    block. Linear in ``len(markup)``."""
    text = _visible(markup)
    text = _TAG.sub(_tag, text)  # one pass; the callback runs only for real tags
    text = html.unescape(text)
    text = _SPACES.sub(" ", text)
    return _BLANK_RUNS.sub("\n\n", text).strip()
