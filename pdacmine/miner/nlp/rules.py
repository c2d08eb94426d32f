"""The rule data of the pipeline (``data/context_rules.json``): trigger lists, windows, confidence priors.

The file is data, not code, so that curators can extend a trigger list without touching
Python; its digest is part of :data:`pdacmine.miner.nlp.pipeline.RULES_VERSION`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pdacmine.errors import InputError
from pdacmine.miner.nlp.grammar import ObjectGrammar, parse_grammar

RULES_FILE = Path(__file__).parent / "data" / "context_rules.json"

#: Cue labels every rules file must define (others are allowed and ignored by the code).
CUE_LABELS = (
    "NEG_PRE",
    "NEG_POST",
    "PSEUDO_NEG",
    "TERMINATE",
    "CONTRAST",
    "HEDGE",
    "PROMOTE",
    "SUPPRESS",
    "ASSOC",
    "LOSS",
    "MET_STRONG",
    "MET_WEAK",
    "MET_GENERAL",
    "NORMAL_AFTER",
    "NORMAL_BEFORE",
    "CONTINUATION",
    "PANCREATIC",
    "PANCREAS_AS_SITE",
    "OTHER_PRIMARY",
    "BACKGROUND_THERAPY",
    "TREATMENT_CONTEXT",
    "STUDY_CLINICAL",
    "STUDY_TISSUE",
    "STUDY_ANIMAL",
    "STUDY_INVITRO",
    "STUDY_REVIEW",
    "STUDY_CASE",
    "RECURRENCE",
    "DRUG_TARGET_AFTER",
    "DRUG_TARGET_BEFORE",
    "LINK",
    "PANCREAS_WORD",
    "TUMOR_CELL",
    "GENERIC_CANCER",
    "IMAGING",
    "DIRECT_INVASION",
    "INVASION_AFTER",
    "SECONDARY_TO",
    "BACKGROUND_STRONG",
    "BACKGROUND_EARLY",
    "PATHOLOGY_FINDING",
    "ONE_PATIENT",
    "TREATMENT_COHORT",
    "OTHER_THERAPY",
    "MODEL_NAME",
    "EV_CARGO_BEFORE",
    "EV_CARGO_AFTER",
    "LINK_VERB",
    "LINK_PREP",
)


@dataclass(frozen=True, slots=True)
class StageRule:
    """One ``stage_context`` entry: ``forms`` of ``stage`` (None: every form) need a ``cue`` label in the
    sentence (``when`` = "absent": the rule fires without it; "present": it fires with it) and then are
    dropped (``to`` None) or relabelled to the stage ``to``."""

    stage: str
    forms: frozenset[str] | None
    cue: str
    when: str
    to: str | None


def parse_stage_rules(raw: list[dict[str, Any]]) -> tuple[StageRule, ...]:
    """The ``stage_context`` list of the rules file; a malformed entry raises KeyError or ValueError."""
    out = []
    for item in raw:
        forms = item.get("forms", "*")
        when = item.get("when", "absent")
        if when not in ("absent", "present"):
            raise ValueError(f"stage_context: 'when' must be 'absent' or 'present', not {when!r}")
        out.append(
            StageRule(
                stage=str(item["stage"]),
                forms=None if forms == "*" else frozenset(normal_form(f) for f in forms),
                cue=str(item["cue"]),
                when=when,
                to=item.get("to"),
            )
        )
    return tuple(out)


def parse_generic_therapies(raw: dict[str, Any]) -> dict[str, str]:
    """``generic_therapies`` of the rules file: {"abstract": [keys], "sentence": [keys]} -> key -> scope."""
    return {key: scope for scope in ("abstract", "sentence") for key in raw.get(scope, ())}


def parse_site_directed(raw: dict[str, Any]) -> dict[str, str]:
    """``site_directed_therapies`` of the rules file: {organ: [therapy keys], "about": ...} -> therapy -> organ."""
    return {str(key): organ for organ, keys in raw.items() if organ != "about" for key in keys}


def normal_form(text: str) -> str:
    """Lower case, single spaces, no hyphen spacing: "Blood-stream" -> "blood-stream"."""
    return " ".join(text.lower().replace(" - ", "-").split())


@dataclass(frozen=True)
class Rules:
    """Parsed rules file; ``cues`` maps a cue label to its phrases (lower-case)."""

    cues: dict[str, tuple[str, ...]]
    windows: dict[str, int]
    section_labels: dict[str, str]
    ambiguous_symbols: frozenset[str]
    symbol_gene_cues: frozenset[str]
    confidence: dict[str, Any]
    digest: str
    #: ``stage_context``: stage forms that need (or are relabelled by) a cue in their sentence
    stage_rules: tuple[StageRule, ...] = field(default=())
    #: ``generic_therapies``: therapy key -> "abstract" | "sentence", the scope in which it stands for
    #: the named drugs of its class
    generic_therapies: dict[str, str] = field(default_factory=dict)
    #: ``outcome_concepts``: phenotype mechanisms that are outcomes when listed with invasion/metastasis
    outcome_concepts: frozenset[str] = frozenset()
    #: ``site_directed_therapies``: therapy key -> the organ key whose metastases it is given for
    site_directed: dict[str, str] = field(default_factory=dict)
    #: ``grammar``: the objects of a resection that make it metastasectomy (None: not configured)
    grammar: ObjectGrammar | None = None
    #: ``word_lists``: the word lists and concept flags the rule functions read
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def window(self, name: str) -> int:
        return int(self.windows[name])

    def word_list(self, name: str) -> frozenset[str]:
        """The ``word_lists`` entry ``name``; a rules file without it raises :class:`InputError`."""
        return frozenset(self.word_tuple(name))

    def word_tuple(self, name: str) -> tuple[str, ...]:
        if name not in self.words:
            raise InputError(f"rules file lacks word list {name!r} (word_lists)")
        return self.words[name]


def parse_rules(raw: dict[str, Any], digest: str = "") -> Rules:
    """Validate and convert the JSON document of a rules file."""
    try:
        cues = {label: tuple(p.strip().lower() for p in phrases) for label, phrases in raw["cues"].items()}
        missing = [label for label in CUE_LABELS if label not in cues]
        if missing:
            raise InputError(f"rules file lacks cue list(s): {', '.join(missing)}")
        stage_rules = parse_stage_rules(raw.get("stage_context", []))
        unknown = sorted({r.cue for r in stage_rules} - set(cues))
        if unknown:
            raise InputError(f"rules file: stage_context names unknown cue list(s): {', '.join(unknown)}")
        sections = {
            label.strip().lower(): section for section, labels in raw["section_labels"].items() for label in labels
        }
        return Rules(
            cues=cues,
            windows={k: int(v) for k, v in raw["windows"].items()},
            section_labels=sections,
            ambiguous_symbols=frozenset(raw.get("ambiguous_symbols", ())),
            symbol_gene_cues=frozenset(c.lower() for c in raw.get("symbol_gene_cues", ())),
            confidence=dict(raw["confidence"]),
            digest=digest,
            stage_rules=stage_rules,
            generic_therapies=parse_generic_therapies(raw.get("generic_therapies", {})),
            outcome_concepts=frozenset(raw.get("outcome_concepts", ())),
            site_directed=parse_site_directed(raw.get("site_directed_therapies", {})),
            grammar=parse_grammar(raw["grammar"]) if "grammar" in raw else None,
            words={
                str(k): tuple(str(w) for w in v) for k, v in raw.get("word_lists", {}).items() if isinstance(v, list)
            },
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InputError(f"malformed rules file: {exc!r}") from exc


def load_rules(path: Path = RULES_FILE) -> Rules:
    """Read and validate a rules file; a malformed file raises :class:`InputError` naming it."""
    try:
        data = path.read_bytes()
        raw = json.loads(data)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read rules file {path}: {exc}") from exc
    return parse_rules(raw, hashlib.sha256(data).hexdigest()[:8])


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The shipped rules, loaded once per process."""
    return load_rules()
