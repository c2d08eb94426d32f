"""Evidence tuples: sentence-level claims linking mechanism, stage, organ and therapy.

A tuple is made from one sentence (or one sentence and the sentence before it):

- mechanism + site organ and/or stage ("Macrophage granulin drives liver metastasis");
- mechanism + metastasis in general, with stage and organ empty ("ZEB1 drives metastasis");
- therapy + site organ with no mechanism ("hepatic arterial infusion for liver metastases"),
  except resection of the primary (resection of the metastases is metastasectomy);
- a therapy in the sentence fills the therapy slot of the mechanism tuples.

Organs and stages come from the previous sentence when this one has none and opens with a
continuation ("These metastases ...", "This ...", "They ..."), and mechanisms likewise.
Background therapies, non-site organs and abstracts about another primary cancer make no tuple.

Polarity: the promote/suppress trigger nearest the mechanism, preferring one between the
mechanism and its partner, inverted when the mechanism is knocked down, depleted, lost or
inhibited ("knockdown of X reduced metastasis" => X promotes); otherwise "associated".

Confidence (priors in ``context_rules.json`` -> ``confidence``)::

    base[type] + trigger·[explicit promote/suppress/association cue in the sentence]
               + therapy_slot·[therapy filled]
               - adjacent·[a member came from the previous sentence]
               - hedged·[hedged] - distance·[members > windows.long_distance tokens apart]
               - negated·[negated]          clamped to [floor, ceiling]

with type one of mechanism-organ-stage, mechanism-organ, mechanism-stage, therapy-organ,
mechanism-metastasis.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise, product
from typing import Any

from pdacmine.miner.nlp.cues import CueIndex
from pdacmine.miner.nlp.mention import Mention
from pdacmine.miner.nlp.rules import Rules
from pdacmine.miner.studytype import classify

POLARITIES = ("promotes", "suppresses", "associated")
MAX_TUPLES_PER_SENTENCE = 24
_INVERT = {"promotes": "suppresses", "suppresses": "promotes", "associated": "associated"}
_LOSS_CONCEPT_WORDS = ("loss", "deficien", "deletion", "inactivation", "mutation", "null", "knockout")
PRIMARY_SURGERY = frozenset({"resection", "surgery", "pancreatectomy", "whipple", "pancreaticoduodenectomy"})


@dataclass(slots=True)
class EvidenceTuple:
    sent: int
    start: int
    end: int
    sentence: str
    mechanism: Mention | None
    stage: Mention | None
    organ: Mention | None
    therapy: Mention | None
    polarity: str = "associated"
    negated: bool = False
    hedged: bool = False
    adjacent: bool = False
    section: str | None = None
    study_type: str = "other"
    confidence: float = 0.5

    @property
    def members(self) -> list[Mention]:
        return [m for m in (self.mechanism, self.stage, self.organ, self.therapy) if m is not None]

    @property
    def kind(self) -> str:
        if self.mechanism is None:
            return "therapy-organ"
        if self.organ and self.stage:
            return "mechanism-organ-stage"
        if self.organ:
            return "mechanism-organ"
        if self.stage:
            return "mechanism-stage"
        return "mechanism-metastasis"

    def slots(self) -> tuple[str | None, str | None, str | None, str | None]:
        """(mechanism key, stage, organ, therapy key) as used by ``evidence_key``."""
        return tuple(m.key if m else None for m in (self.mechanism, self.stage, self.organ, self.therapy))  # type: ignore[return-value]

    def as_dict(self) -> dict[str, Any]:
        mech, ther = self.mechanism, self.therapy
        return {
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
            "section": self.section,
            "mechanism": {"key": mech.key, "category": mech.category, "concept_id": mech.concept_id} if mech else None,
            "stage": self.stage.key if self.stage else None,
            "organ": self.organ.key if self.organ else None,
            "therapy": {"key": ther.key, "class": ther.category, "concept_id": ther.concept_id} if ther else None,
            "polarity": self.polarity,
            "negated": self.negated,
            "hedged": self.hedged,
            "study_type": self.study_type,
            "confidence": self.confidence,
            "spans": [
                {"start": m.start_char - self.start, "end": m.end_char - self.start, "label": m.label, "key": m.key}
                for m in sorted(self.members, key=lambda m: m.start_char)
            ],
        }


@dataclass(slots=True)
class SentenceMembers:
    mechanisms: list[Mention]
    stages: list[Mention]
    organs: list[Mention]
    therapies: list[Mention]


def _unique(mentions: list[Mention]) -> list[Mention]:
    seen: dict[str, Mention] = {}
    for m in mentions:
        seen.setdefault(m.key, m)
    return list(seen.values())


def members_by_sentence(mentions: list[Mention], n_sents: int) -> list[SentenceMembers]:
    out = [SentenceMembers([], [], [], []) for _ in range(n_sents)]
    for m in mentions:
        s = out[m.sent]
        if m.background or m.redundant:
            continue
        if m.label == "MECHANISM":
            s.mechanisms.append(m)
        elif m.label == "STAGE":
            s.stages.append(m)
        elif m.label == "ORGAN" and m.site:
            s.organs.append(m)
        elif m.label == "THERAPY":
            s.therapies.append(m)
    for s in out:
        s.mechanisms, s.stages, s.organs, s.therapies = map(_unique, (s.mechanisms, s.stages, s.organs, s.therapies))
    return out


Trigger = tuple[int, int, str]


def sentence_triggers(cues: CueIndex, sent: tuple[int, int]) -> list[Trigger]:
    """Promote/suppress trigger spans of one sentence, with their direction."""
    triggers = [(s, e, "promotes") for s, e in cues.within("PROMOTE", *sent)]
    return triggers + [(s, e, "suppresses") for s, e in cues.within("SUPPRESS", *sent)]


def polarity(head: Mention, partner_start: int | None, triggers: list[Trigger], lost: bool) -> str:
    """Direction of the head's effect on its partner (see the module docstring)."""
    outside = [t for t in triggers if t[1] <= head.start or t[0] >= head.end]
    if not outside:
        return "associated"
    if partner_start is not None:
        lo, hi = sorted((head.end, partner_start))
        between = [t for t in outside if lo <= t[0] and t[1] <= hi]
        if between:
            outside = between
    chosen = min(outside, key=lambda t: min(abs(t[0] - head.end), abs(head.start - t[1])))
    return _INVERT[chosen[2]] if lost else chosen[2]


def is_lost(m: Mention, cues: CueIndex, rules: Rules) -> bool:
    """The text knocks down, depletes, deletes or inhibits ``m`` ("knockdown of X", "X inhibition").

    A loss word inside the mention counts too ("CXCR4 inhibition"), unless the concept is itself
    a loss ("SMAD4 loss"), whose effect is stated as is.
    """
    if cues.any_within("LOSS", m.start - rules.window("loss_before"), m.start):
        return True
    if cues.any_within("LOSS", m.end, m.end + rules.window("loss_after")):
        return True
    return cues.any_within("LOSS", m.start, m.end) and not any(w in m.key for w in _LOSS_CONCEPT_WORDS)


def confidence(t: EvidenceTuple, explicit_trigger: bool, distance: int, rules: Rules) -> float:
    c = rules.confidence
    score = float(c["base"][t.kind])
    score += c["trigger"] * explicit_trigger + c["therapy_slot"] * (t.therapy is not None and t.mechanism is not None)
    score -= c["adjacent"] * t.adjacent + c["hedged"] * t.hedged + c["negated"] * t.negated
    score -= c["distance"] * (distance > rules.window("long_distance"))
    return round(min(c["ceiling"], max(c["floor"], score)), 3)


_PEER_WORDS = frozenset(
    {",", "and", "or", "/", "as", "well", "the", "of", "-", ";", "(", ")", "both", "nor", "particular", "particularly",
     "especially", "notably", "including", "such", "e.g.", "i.e.", "also", "even"}
)  # fmt: skip
_LINKS = ("PROMOTE", "SUPPRESS", "ASSOC", "LINK")


class SentenceView:
    """What pairing needs to know about one sentence: its tokens, cues and covered token positions."""

    def __init__(
        self, words: list[str], cues: CueIndex, bounds: tuple[int, int], members: SentenceMembers, rules: Rules
    ) -> None:
        self.words, self.cues, self.bounds, self.rules = words, cues, bounds, rules
        self.triggers = sentence_triggers(cues, bounds)
        self.explicit = bool(self.triggers) or cues.any_within("ASSOC", *bounds)
        self._lost: dict[int, bool] = {}
        #: a mechanism this close to an organ/stage needs no relation word ("ZEB1 in liver metastases")
        self.close = rules.window("close")
        #: a relation word links spans at most this far apart
        self.link_distance = rules.window("link_distance")
        self.met = cues.within("MET_GENERAL", *bounds)
        covered: set[int] = set()
        for m in (*members.mechanisms, *members.stages, *members.organs, *members.therapies):
            covered.update(range(m.start, m.end))
        for s, e in self.met:
            covered.update(range(s, e))
        self.covered = covered

    def lost(self, m: Mention) -> bool:
        if m.start not in self._lost:
            self._lost[m.start] = is_lost(m, self.cues, self.rules)
        return self._lost[m.start]

    def peers(self, a: tuple[int, int], b: tuple[int, int]) -> bool:
        """Two spans listed side by side ("migration, invasion and metastasis"): neither acts on the other."""
        lo, hi = (a[1], b[0]) if a[1] <= b[0] else (b[1], a[0])
        if hi <= lo or hi - lo > 12:
            return False
        return all(i in self.covered or self.words[i].lower() in _PEER_WORDS for i in range(lo, hi))

    def linked(self, a: tuple[int, int], b: tuple[int, int]) -> bool:
        """A relation word (promote, suppress, associated, role...) stands between the two spans, or a
        linking verb governs both: "studies link X to Y", "implicates X in Y", "associates X with Y"."""
        lo, hi = (a[1], b[0]) if a[1] <= b[0] else (b[1], a[0])
        if hi - lo > self.link_distance:
            return False
        if any(self.cues.any_within(label, lo, hi) for label in _LINKS):
            return True
        first = min(a[0], b[0])
        verbs = self.cues.within("LINK_VERB", max(self.bounds[0], first - 8), first)
        return bool(verbs) and self.cues.any_within("LINK_PREP", lo, hi)

    def related(self, a: tuple[int, int], b: tuple[int, int]) -> bool:
        """A mechanism and an organ/stage of one claim: close together or linked, and not list peers."""
        gap = b[0] - a[1] if a[1] <= b[0] else a[0] - b[1]
        return not self.peers(a, b) and (gap <= self.close or self.linked(a, b))

    def outcome(self, m: Mention, stages: list[Mention]) -> bool:
        """A phenotype concept listed with the invasion/metastasis it accompanies ("promotes migration,
        invasion and metastasis"): an outcome of the claim, not its driver."""
        if m.key not in self.rules.outcome_concepts:
            return False
        span = (m.start, m.end)
        return any(self.peers(span, c) for c in self.met) or any(self.peers(span, (x.start, x.end)) for x in stages)

    def drives_metastasis(self, m: Mention) -> bool:
        """Mechanism–metastasis claim: a relation word links the mechanism to a metastasis word."""
        return any(self.linked((m.start, m.end), c) and not self.peers((m.start, m.end), c) for c in self.met)


_LIST_GLUE = frozenset({",", "and", "or", "/", "as", "well", "both", "the", "also", "even", "nor", "either"})


def listed(words: list[str], left: Mention, right: Mention) -> bool:
    """Only a list's glue separates two mentions ("neurotrophins, chemokines and TAMs")."""
    between = words[left.end : right.start]
    return left.sent == right.sent and len(between) <= 4 and all(w.lower() in _LIST_GLUE for w in between)


def mechanism_targets(s: SentenceMembers, view: SentenceView) -> dict[int, tuple[list[Mention], list[Mention]]]:
    """id(mechanism) -> (stages, organs) it is related to; members of one list share them
    ("X is implicated in PNI, among which are neurotrophins, chemokines and ...")."""
    out: dict[int, tuple[list[Mention], list[Mention]]] = {}
    for m in s.mechanisms:
        if view.outcome(m, s.stages):
            out[id(m)] = ([], [])
            continue
        span = (m.start, m.end)
        organs = [o for o in s.organs if o.sent != m.sent or view.related(span, (o.start, o.end))]
        stages = [x for x in s.stages if x.sent != m.sent or view.related(span, (x.start, x.end))]
        out[id(m)] = (stages, organs)
    outcomes = view.rules.outcome_concepts
    ordered = sorted(s.mechanisms, key=lambda m: m.start)
    pairs = [(a, b) for a, b in pairwise(ordered) if listed(view.words, a, b)]
    changed = bool(pairs)
    while changed:
        changed = False
        for a, b in pairs:
            for x, y in ((a, b), (b, a)):
                if any(out[id(y)]) and not any(out[id(x)]) and not x.target and x.key not in outcomes:
                    out[id(x)] = out[id(y)]
                    changed = True
    return out


def _combinations(s: SentenceMembers, view: SentenceView) -> list[tuple[Any, Any, Any, Any]]:
    none: list[Mention | None] = [None]
    therapies: list[Mention | None] = [*s.therapies] or none
    combos: list[tuple[Any, Any, Any, Any]] = []
    targets = mechanism_targets(s, view)
    for m in s.mechanisms:
        stages, organs = targets[id(m)]
        if organs or stages:
            combos += product([m], [*stages] or none, [*organs] or none, therapies)
        elif not m.target and not view.outcome(m, s.stages) and view.drives_metastasis(m):
            combos += product([m], none, none, therapies)
    if not s.mechanisms and s.therapies and s.organs:
        combos += product(none, [*s.stages] or none, s.organs, s.therapies)
    if len(combos) > MAX_TUPLES_PER_SENTENCE:
        combos = [(m, st, o, None) for m, st, o, _ in combos][:MAX_TUPLES_PER_SENTENCE]
    return list(dict.fromkeys(combos))


def _continues(cues: CueIndex, sent: tuple[int, int]) -> bool:
    return bool(cues.within("CONTINUATION", sent[0], min(sent[1], sent[0] + 2)))


def _borrow(current: SentenceMembers, previous: SentenceMembers) -> SentenceMembers | None:
    """Members taken from the previous sentence for a continuation sentence, or None.

    Only claims borrow: a mechanism sentence takes the organs/stages of the sentence before
    ("These metastases were driven by ZEB1"), an organ/stage sentence its mechanisms ("It
    promoted liver metastasis"); a therapy alone never pairs across sentences.
    """
    has_target = bool(current.organs or current.stages)
    if current.mechanisms and not has_target and (previous.organs or previous.stages):
        return SentenceMembers(current.mechanisms, previous.stages, previous.organs, current.therapies)
    if has_target and not current.mechanisms and previous.mechanisms:
        return SentenceMembers(previous.mechanisms, current.stages, current.organs, current.therapies)
    return None


def _partner_start(head: Mention, targets: list[Mention], met: list[tuple[int, int]]) -> int | None:
    starts = [t.start for t in targets] + [s for s, _ in met]
    starts = [s for s in starts if s >= head.end or s < head.start]
    return min(starts, key=lambda s: abs(s - head.start)) if starts else None


def _make_tuple(
    combo: tuple[Any, Any, Any, Any], i: int, span: tuple[int, int], text: str, adjacent: bool, view: SentenceView
) -> EvidenceTuple:
    mech, stage, organ, therapy = combo
    t = EvidenceTuple(i, span[0], span[1], text[span[0] : span[1]], mech, stage, organ, therapy, adjacent=adjacent)
    members = t.members
    t.negated = any(m.negated for m in members)
    t.hedged = any(m.hedged for m in members)
    head = mech or therapy
    targets = [m for m in (organ, stage) if m is not None and m.sent == head.sent]
    lost = view.lost(head)
    t.polarity = polarity(head, _partner_start(head, targets, view.met), view.triggers, lost)
    same = [m for m in members if m.sent == i]
    distance = max(m.start for m in same) - min(m.end for m in same) if len(same) > 1 else 0
    t.confidence = confidence(t, view.explicit, distance, view.rules)
    return t


def _without_primary_surgery_at_sites(combos: list[tuple[Any, Any, Any, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """Resection of the primary is never a therapy for metastases at an organ (that is metastasectomy)."""
    out = []
    for mech, stage, organ, therapy in combos:
        if organ is not None and therapy is not None and therapy.key in PRIMARY_SURGERY:
            if mech is None:
                continue
            therapy = None
        out.append((mech, stage, organ, therapy))
    return list(dict.fromkeys(out))


def assemble(
    mentions: list[Mention],
    cues: CueIndex,
    bounds: list[tuple[int, int]],
    rules: Rules,
    *,
    text: str,
    words: list[str],
    sentence_spans: list[tuple[int, int]],
    sections: list[str | None],
    primary: str,
    study_type: str,
) -> list[EvidenceTuple]:
    """Evidence tuples of one abstract (see the module docstring).

    ``bounds`` are the token ranges of the sentences, ``words`` the token texts and
    ``sentence_spans`` the sentences' character ranges in ``text`` (white space excluded).
    """
    if primary != "pancreatic" or not mentions:
        return []
    per = members_by_sentence(mentions, len(bounds))
    out: list[EvidenceTuple] = []
    for i, current in enumerate(per):
        members, adjacent = current, False
        if i > 0 and _continues(cues, bounds[i]):
            borrowed = _borrow(current, per[i - 1])
            if borrowed is not None:
                members, adjacent = borrowed, True
        view = SentenceView(words, cues, bounds[i], members, rules)
        combos = _combinations(members, view)
        if not combos:
            continue
        span = (sentence_spans[i - 1][0] if adjacent else sentence_spans[i][0], sentence_spans[i][1])
        kind = classify(cues, bounds[i][0], bounds[i][1], study_type)
        for combo in _without_primary_surgery_at_sites(combos):
            t = _make_tuple(combo, i, span, text, adjacent, view)
            t.section, t.study_type = sections[i], kind
            out.append(t)
    return out
