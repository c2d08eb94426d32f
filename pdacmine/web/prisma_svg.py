"""The PRISMA 2020 flow diagram as a standalone SVG, drawn from ``prisma``'s counts.

The boxes read the counts by name with :func:`getattr`, so a field that a later version
renames or drops leaves its line out instead of breaking the page; every whole-number
field of the counts is also listed, generically, under the diagram ("all counts").
Every text (a saved query's name is the user's) is XML-escaped.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any
from xml.sax.saxutils import escape

WIDTH = 820
LINE = 17
LEFT_X, LEFT_W = 70, 360
RIGHT_X, RIGHT_W = 480, 320
PHASE_COLOUR = "#c9dcf0"
#: Height of a phase label (room for its rotated word).
PHASE_MIN = 96


def _n(counts: Any, name: str) -> int | None:
    value = getattr(counts, name, None)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _lines(counts: Any, items: list[tuple[str, str]]) -> list[str]:
    """``label (n = N)`` for every (label, attribute) the counts have."""
    return [f"{label} (n = {n:,})" for label, name in items if (n := _n(counts, name)) is not None]


def _box(x: int, y: int, w: int, lines: list[str], bold_first: bool = True) -> tuple[str, int]:
    """A box of text lines; returns its SVG and its height."""
    h = LINE * len(lines) + 14
    out = [f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="white" stroke="#333" rx="3"/>']
    for i, text in enumerate(lines):
        weight = ' font-weight="bold"' if bold_first and i == 0 else ""
        out.append(f'<text x="{x + 8}" y="{y + 19 + i * LINE}"{weight}>{escape(text)}</text>')
    return "".join(out), h


def _arrow(x1: int, y1: int, x2: int, y2: int) -> str:
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" marker-end="url(#arrow)"/>'


def _phase(y: int, h: int, label: str) -> str:
    cy = y + h // 2
    return (
        f'<rect x="10" y="{y}" width="40" height="{h}" fill="{PHASE_COLOUR}" rx="3"/>'
        f'<text x="30" y="{cy}" transform="rotate(-90 30 {cy})" text-anchor="middle" font-weight="bold">'
        f"{escape(label)}</text>"
    )


def all_counts(counts: Any) -> list[tuple[str, int]]:
    """Every whole-number field of the counts (name, value), for the generic list."""
    if not is_dataclass(counts):
        return []
    return [(f.name, n) for f in fields(counts) if (n := _n(counts, f.name)) is not None]


def prisma_svg(counts: Any) -> str:
    """The flow diagram: identification, screening and included boxes, with the removals beside them."""
    parts: list[str] = []
    sources = [f"  {name}: {n:,}" for name, n in getattr(counts, "sources", ())]
    ident = ["Records identified", *_lines(counts, [("Databases, searches and files", "database_results")]), *sources]
    removed = ["Records removed before screening", *_lines(counts, [
        ("Duplicate records", "duplicates"), ("Removed for other reasons", "excluded_other")])]  # fmt: skip
    if getattr(counts, "automation_used", False):
        removed += _lines(counts, [("Marked ineligible by automation", "excluded_automatic")])
    screened = _lines(counts, [("Records screened", "screened")]) or ["Records screened"]
    reasons = [f"  {reason}: {n:,}" for reason, n in getattr(counts, "excluded_reasons", ())]
    excluded = ["Records excluded", *_lines(counts, [("Excluded by reviewers", "excluded")]), *reasons,
                *_lines(counts, [("Awaiting screening", "awaiting")])]  # fmt: skip
    included = _lines(counts, [("Studies included in review", "included")]) or ["Studies included in review"]

    y = 20
    box, h1 = _box(LEFT_X, y, LEFT_W, ident)
    side, h2 = _box(RIGHT_X, y, RIGHT_W, removed)
    row1 = max(h1, h2, PHASE_MIN)
    parts += [_phase(y, row1, "Identification"), box, side, _arrow(LEFT_X + LEFT_W, y + h1 // 2, RIGHT_X, y + h1 // 2)]
    y2 = y + row1 + 40
    parts.append(_arrow(LEFT_X + LEFT_W // 2, y + h1, LEFT_X + LEFT_W // 2, y2))
    box, h3 = _box(LEFT_X, y2, LEFT_W, screened)
    side, h4 = _box(RIGHT_X, y2, RIGHT_W, excluded)
    row2 = max(h3, h4, PHASE_MIN)
    parts += [_phase(y2, row2, "Screening"), box, side, _arrow(LEFT_X + LEFT_W, y2 + h3 // 2, RIGHT_X, y2 + h3 // 2)]
    y3 = y2 + row2 + 40
    parts.append(_arrow(LEFT_X + LEFT_W // 2, y2 + h3, LEFT_X + LEFT_W // 2, y3))
    box, h5 = _box(LEFT_X, y3, LEFT_W, included)
    row3 = max(h5, PHASE_MIN)
    parts += [_phase(y3, row3, "Included"), box]
    y4 = y3 + row3 + 30
    listing = [f"{name.replace('_', ' ')}: {n:,}" for name, n in all_counts(counts)]
    if listing:
        box, h6 = _box(LEFT_X, y4, WIDTH - LEFT_X - 20, ["All counts", *listing])
        parts.append(box)
        y4 += h6 + 10
    height = y4 + 10
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" font-size="13" role="img">'
        "<title>PRISMA 2020 flow diagram (pdacmine)</title>"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>'
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>'
    )
    return head + "".join(parts) + "</svg>\n"
