"""Which mentions of one sentence make one claim: the pairing half of :mod:`pdacmine.miner.relations`.

- :class:`SentenceView`: a sentence's tokens, cues and covered positions; two spans are *related*
  when they are close or a relation word links them (between them, or a linking verb before both:
  "studies link X to Y") and they are not list peers ("migration, invasion and metastasis").
- :func:`mechanism_targets`: the stages and organs each mechanism is related to; mechanisms listed
  together share them; a phenotype listed with the invasion it accompanies is an outcome.
- :func:`is_lost`, :func:`sentence_triggers`: knockdown/loss and promote/suppress cues for polarity.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from pdacmine.miner.nlp.cues import CueIndex
from pdacmine.miner.nlp.mention import Mention
from pdacmine.miner.nlp.rules import Rules, default_rules

_LOSS_CONCEPT_WORDS = default_rules().word_tuple("loss_concept_words")


@dataclass(slots=True)
class SentenceMembers:
    mechanisms: list[Mention]
    stages: list[Mention]
    organs: list[Mention]
    therapies: list[Mention]


Trigger = tuple[int, int, str]


def sentence_triggers(cues: CueIndex, sent: tuple[int, int]) -> list[Trigger]:
    """Promote/suppress trigger spans of one sentence, with their direction."""
    triggers = [(s, e, "promotes") for s, e in cues.within("PROMOTE", *sent)]
    return triggers + [(s, e, "suppresses") for s, e in cues.within("SUPPRESS", *sent)]


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


_PEER_WORDS = default_rules().word_list("peer_words")
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


_LIST_GLUE = default_rules().word_list("list_glue")


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


_AFTER = default_rules().word_list("sequence_after")
SURGERY_CLASS = "surgery"


def postoperative(s: SentenceMembers, cues: CueIndex, words: list[str], bound: tuple[int, int], gap: int) -> bool:
    """The sentence's treatment follows an operation ("adjuvant", "after the operation", "after a right
    hemicolectomy": a ``sequence_after`` word at most ``gap`` tokens before a surgery mention, an
    ``operation_words`` word or a word ending in one of ``operation_suffixes``): given after surgery, not
    for a site found before it."""
    if cues.any_within("POSTOPERATIVE", *bound):
        return True
    if any(t.category == SURGERY_CLASS and _after_before(t, words, bound[0], gap) is not None for t in s.therapies):
        return True
    for k in range(bound[0], bound[1]):  # "after a right hemicolectomy": an operation the vocabulary lacks
        if words[k].lower() in _AFTER and any(_operation(w) for w in words[k + 1 : min(bound[1], k + gap + 2)]):
            return True
    return False


_OPERATION_WORDS = default_rules().word_list("operation_words")
_OPERATION_SUFFIXES = default_rules().word_tuple("operation_suffixes")


def _operation(word: str) -> bool:
    w = word.lower()
    return w in _OPERATION_WORDS or w.endswith(_OPERATION_SUFFIXES)


def reported_site(organ: Mention, cues: CueIndex, bound: tuple[int, int], rules: Rules) -> bool:
    """``organ`` is reported as a finding in its sentence ("was diagnosed with hepatic metastases",
    "lymph node recurrence occurred"): a ``SITE_FINDING`` cue in the sentence and a metastasis or
    recurrence word within ``windows.organ_site`` tokens of the organ."""
    if not cues.any_within("SITE_FINDING", *bound):
        return False
    near = rules.window("organ_site")
    lo, hi = max(bound[0], organ.start - near), min(bound[1], organ.end + near)
    return any(cues.any_within(label, lo, hi) for label in ("MET_STRONG", "RECURRENCE"))


def narrative_site(
    i: int, per: list[SentenceMembers], cues: CueIndex, bounds: list[tuple[int, int]], words: list[str], rules: Rules
) -> tuple[str, str] | None:
    """(organ key, "narrative") of the one site the treatment of sentence ``i`` is given for, in a case or
    cohort narrative: "The patient was diagnosed with multiple hepatic metastases. Then she received gemcitabine."

    Sentence ``i`` names a therapy and no organ and gives it (``TREATMENT_COHORT``: received, underwent,
    was started), not after an operation (:func:`postoperative`); the nearest earlier sentence naming organs
    is at most ``windows.narrative_lookback`` sentences back, names exactly one organ and reports it as a
    metastasis found in the patient (:func:`reported_site`). A systemic treatment of several sites is not
    given for any one of them. None when the sentence is no such narrative step.
    """
    current = per[i]
    if current.organs or not current.therapies or not cues.any_within("TREATMENT_COHORT", *bounds[i]):
        return None
    if postoperative(current, cues, words, bounds[i], rules.window("postoperative_gap")):
        return None
    back = rules.window("narrative_lookback")
    j = next((j for j in range(i - 1, max(0, i - back) - 1, -1) if per[j].organs), None)
    if j is None or j == 0 or len({o.key for o in per[j].organs}) != 1:
        return None
    return (per[j].organs[0].key, "narrative") if reported_site(per[j].organs[0], cues, bounds[j], rules) else None


def _after_before(therapy: Mention, words: list[str], lo: int, gap: int) -> int | None:
    """Position of a ``sequence_after`` word at most ``gap`` tokens before ``therapy`` (not before ``lo``)."""
    for k in range(therapy.start - 1, max(lo, therapy.start - gap - 1) - 1, -1):
        if words[k].lower() in _AFTER:
            return k
    return None


def recurred_after(organ: Mention, therapy: Mention, cues: CueIndex, words: list[str], rules: Rules) -> bool:
    """The site recurred after the therapy ("recurrence in the peritoneum after resection", "liver-only
    disease, mostly metachronous metastases after perioperative chemotherapy"): the therapy came before
    the site and was not given for it.

    In one sentence, the organ, then a ``RECURRENCE`` cue (from ``windows.organ_site`` tokens before the
    organ on), then a ``sequence_after`` word at most ``windows.postoperative_gap`` tokens before the therapy."""
    if organ.sent != therapy.sent or therapy.start < organ.end:
        return False
    after = _after_before(therapy, words, organ.end, rules.window("postoperative_gap"))
    return after is not None and cues.any_within("RECURRENCE", organ.start - rules.window("organ_site"), after)


def studied_therapies(
    i: int, per: list[SentenceMembers], cues: CueIndex, bound: tuple[int, int], rules: Rules
) -> list[Mention]:
    """The therapies a ``THERAPY_ANAPHOR`` of sentence ``i`` stands for ("combination therapy suppressed
    liver metastases", "in the treatment group"): those of the title, else of the nearest earlier sentence
    naming therapies, at most ``windows.site_lookback`` sentences back. Empty when the sentence names a
    therapy or has no such anaphor."""
    if per[i].therapies or not cues.any_within("THERAPY_ANAPHOR", *bound):
        return []
    if per[0].therapies:
        return per[0].therapies
    back = rules.window("site_lookback")
    return next((per[j].therapies for j in range(i - 1, max(0, i - back) - 1, -1) if per[j].therapies), [])
