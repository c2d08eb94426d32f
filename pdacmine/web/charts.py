"""Vega-Lite specs of the evidence map (plain dicts; the page renders them with vega-embed).

Each heat-map cell carries the link to the findings behind it (``url``): clicking a cell
opens them. The specs embed their data, so a page needs no second request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pdacmine.db.overview import Cell

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
MEASURES = {"score": "summed finding score", "papers": "papers (summed over findings)"}


def heatmap_spec(
    cells: Sequence[Cell], row_title: str, col_title: str, measure: str, url: Callable[[Cell], str]
) -> dict[str, Any]:
    """A heat map: rows x columns, colour = summed score (or papers), tooltip = every number."""
    field = "score" if measure == "score" else "papers"
    values = [
        {"row": c.row, "col": c.col, "score": c.score, "papers": c.papers, "findings": c.findings, "url": url(c)}
        for c in cells
    ]
    return {
        "$schema": SCHEMA,
        "data": {"values": values},
        "width": {"step": 34},
        "height": {"step": 24},
        "mark": {"type": "rect", "cursor": "pointer", "stroke": "white", "strokeWidth": 1},
        "encoding": {
            "y": {"field": "row", "type": "nominal", "title": row_title, "sort": "ascending"},
            "x": {"field": "col", "type": "nominal", "title": col_title, "sort": "ascending",
                  "axis": {"labelAngle": -40}},
            "color": {"field": field, "type": "quantitative", "title": MEASURES[measure],
                      "scale": {"scheme": "blues"}},
            "tooltip": [
                {"field": "row", "title": row_title}, {"field": "col", "title": col_title},
                {"field": "score", "title": "summed score", "format": ".2f"},
                {"field": "papers", "title": "papers"}, {"field": "findings", "title": "findings"},
            ],
        },
        "config": {"view": {"stroke": None}, "axis": {"labelLimit": 160}},
    }  # fmt: skip


def years_spec(rows: Sequence[tuple[int, str, int]], top: int = 8) -> dict[str, Any]:
    """Evidence per publication year, stacked by organ (the ``top`` organs; the rest as "other")."""
    totals: dict[str, int] = {}
    for _, organ, n in rows:
        totals[organ] = totals.get(organ, 0) + n
    keep = set(sorted(totals, key=lambda o: (-totals[o], o))[:top])
    merged: dict[tuple[int, str], int] = {}
    for year, organ, n in rows:
        key = (year, organ if organ in keep else "other")
        merged[key] = merged.get(key, 0) + n
    values = [{"year": y, "organ": o, "evidence": n} for (y, o), n in sorted(merged.items())]
    return {
        "$schema": SCHEMA,
        "data": {"values": values},
        "width": "container",
        "height": 240,
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": "publication year", "axis": {"labelAngle": -60}},
            "y": {"field": "evidence", "type": "quantitative", "aggregate": "sum", "title": "evidence sentences"},
            "color": {"field": "organ", "type": "nominal", "title": "organ", "scale": {"scheme": "tableau10"}},
            "tooltip": [{"field": "year"}, {"field": "organ"}, {"field": "evidence", "aggregate": "sum"}],
        },
    }


def study_mix_spec(rows: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """The study-type mix of the evidence (horizontal bars)."""
    return {
        "$schema": SCHEMA,
        "data": {"values": [{"study_type": t, "evidence": n} for t, n in rows]},
        "width": "container",
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "study_type", "type": "nominal", "title": "study type", "sort": "-x"},
            "x": {"field": "evidence", "type": "quantitative", "title": "evidence sentences"},
            "tooltip": [{"field": "study_type", "title": "study type"}, {"field": "evidence"}],
        },
    }
