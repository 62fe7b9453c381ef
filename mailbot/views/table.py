"""Plain-text tables for a terminal: columns sized to their content, the last column
wrapped to the terminal's width. (A table library would cost a tenth of a second of
start-up on every command, for output this simple.)"""

from __future__ import annotations

import shutil
import textwrap


def render_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    width = max(shutil.get_terminal_size((160, 24)).columns, 80)
    cells = [tuple(str(c) for c in r) for r in rows]
    fixed = [max([len(columns[i]), *(len(r[i]) for r in cells)]) for i in range(len(columns) - 1)]
    last = max(width - sum(fixed) - 2 * len(fixed), 30)
    lines = [title, "  ".join(c.ljust(w) for c, w in zip(columns, [*fixed, 0], strict=True))]
    lines.append("  ".join("-" * w for w in [*fixed, min(last, 60)]))
    for r in cells:
        wrapped = textwrap.wrap(r[-1], last) or [""]
        lead = "  ".join(c.ljust(w) for c, w in zip(r[:-1], fixed, strict=True))
        lines.append(f"{lead}  {wrapped[0]}" if fixed else wrapped[0])
        pad = " " * (sum(fixed) + 2 * len(fixed))
        lines += [pad + more for more in wrapped[1:]]
    return "\n".join(lines)
