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
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789:-")
_MAX_NAME = 16
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_RUNS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
# Where a tag, comment or declaration may start; a stray "<" (as in "a < b", or a
# megabyte of them) is skipped by the regex engine, not by a Python loop.
_TAG_START = re.compile(r"<(?:[a-z]|/[a-z]|!|\?)")


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _tag_name(low: str, start: int) -> tuple[str, bool]:
    """The name of the tag opening at ``low[start] == '<'`` and whether it is a closing
    tag; ("", False) when ``<`` does not open a tag (a stray less-than)."""
    i = start + 1
    closing = i < len(low) and low[i] == "/"
    if closing:
        i += 1
    j, end = i, min(len(low), i + _MAX_NAME)
    while j < end and low[j] in _NAME_CHARS:
        j += 1
    name = low[i:j]
    if not name or not name[0].isalpha():
        return "", False
    return name, closing


def html_to_text(markup: str) -> str:
    """The text a reader sees in ``markup``: tags dropped, entities decoded, one line per
    block. Linear in ``len(markup)``: every search starts where the last one ended or
    reuses its answer."""
    low = markup.translate(_ASCII_LOWER)  # same length as markup, unlike str.lower()
    out: list[str] = []
    pos, n = 0, len(markup)
    next_gt = -2  # position of the next ">" at or after the current tag, cached
    while pos < n:
        found = _TAG_START.search(low, pos)
        lt = found.start() if found else -1
        if lt < 0:
            out.append(markup[pos:])
            break
        out.append(markup[pos:lt])
        if next_gt != -1 and next_gt <= lt:
            next_gt = low.find(">", lt + 1)
        if low.startswith("<!--", lt):
            end = low.find("-->", lt + 4)
            pos = n if end < 0 else end + 3
            continue
        name, closing = _tag_name(low, lt)
        if low.startswith("<!", lt) or low.startswith("<?", lt):
            name = "!"
        elif not name:  # "</3": not a tag after all; keep the character
            out.append("<")
            pos = lt + 1
            continue
        if next_gt < 0:  # no ">" anywhere after: the rest is a broken tag
            break
        pos = next_gt + 1
        if name in HIDDEN_TAGS and not closing and markup[next_gt - 1] != "/":
            end = low.find(f"</{name}", pos)
            pos = n if end < 0 else end
        elif name in BLOCK_TAGS:
            out.append("\n")
    text = html.unescape("".join(out))
    text = _SPACES.sub(" ", text)
    return _BLANK_RUNS.sub("\n\n", text).strip()
