"""Broad claim candidates for the learned classifier (:mod:`pdacmine.miner.nlp.claim_model`).

The pairing rules (:mod:`pdacmine.miner.nlp.pairing`) are precise but miss claims worded in ways
they were not written for. These functions propose every pair a sentence *could* assert, and the
classifier decides which it does:

- each mechanism with each stage and each organ of its sentence, and with metastasis in general
  when the sentence names it;
- each therapy with each organ of its sentence (resection of the primary excepted: resection of
  metastases is metastasectomy);
- a therapy of a sentence that names no organ with the organs of the title and of the
  ``windows.site_lookback`` sentences before ("... liver metastases. He received gemcitabine."),
  marked as borrowed; in an abstract with a single metastatic site (a case report of one
  unusual site) every earlier sentence counts, however far back ("... a solitary brain metastasis
  was found. ... Six weeks later she received radiosurgery."), so the claim model sees the pair;
- each mechanism of a sentence that names no stage with the stages of the title and of the
  conclusion sentences (``word_lists.stage_source_sections``; the last sentence when the abstract
  has no sections): a review titled "X and Y in the invasion of pancreatic cancer" whose results
  list X and Y, marked as borrowed.
"""

from __future__ import annotations

from typing import Any

from pdacmine.miner.nlp.mention import Mention
from pdacmine.miner.nlp.pairing import SentenceMembers

#: (mechanism, stage, organ, therapy) mentions of one tuple, any of them None
Combo = tuple[Any, Any, Any, Any]


def broad_combinations(s: SentenceMembers, has_metastasis_word: bool, primary_surgery: frozenset[str]) -> list[Combo]:
    """Every mechanism-stage, mechanism-organ and therapy-organ pair of one sentence."""
    out: list[Combo] = []
    for m in s.mechanisms:
        if m.target:
            continue
        out += [(m, x, None, None) for x in s.stages]
        out += [(m, None, o, None) for o in s.organs]
        if has_metastasis_word and not (s.stages or s.organs):
            out.append((m, None, None, None))
    for o in s.organs:
        out += [(None, None, o, t) for t in s.therapies if t.key not in primary_surgery]
    return out


def borrowed_sites(
    current: SentenceMembers, earlier: list[SentenceMembers], primary_surgery: frozenset[str]
) -> list[Combo]:
    """Therapies of a sentence without organs, with the organs of the ``earlier`` sentences (nearest first)."""
    if current.organs:
        return []
    therapies: list[Mention] = [t for t in current.therapies if t.key not in primary_surgery]
    seen: set[str] = set()
    out: list[Combo] = []
    for before in earlier:
        for o in before.organs:
            if o.key not in seen:
                seen.add(o.key)
                out += [(None, None, o, t) for t in therapies]
    return out


def carried_stages(current: SentenceMembers, sources: list[SentenceMembers]) -> list[Combo]:
    """Mechanisms of a sentence without stages, with the stages of ``sources`` (title, conclusions)."""
    if current.stages:
        return []
    mechanisms = [m for m in current.mechanisms if not m.target]
    seen: set[str] = set()
    out: list[Combo] = []
    for source in sources:
        for x in source.stages:
            if x.key not in seen and not x.negated:
                seen.add(x.key)
                out += [(m, x, None, None) for m in mechanisms]
    return out


def stage_sources(sections: list[str | None], wanted: frozenset[str]) -> list[int]:
    """Indices of the sentences whose stages carry to the whole abstract: the title, then the
    sentences of the ``wanted`` sections (the last sentence when the abstract has no section labels)."""
    chosen = [i for i, name in enumerate(sections) if i and name in wanted]
    if not chosen and len(sections) > 1 and not any(sections):
        chosen = [len(sections) - 1]
    return [0, *chosen]
