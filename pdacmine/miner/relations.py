"""Evidence tuples: sentence-level claims linking mechanism, stage, organ and therapy.

A tuple is made from one sentence (or one sentence and the sentence before it):

- mechanism + site organ and/or stage ("Macrophage granulin drives liver metastasis");
- mechanism + metastasis in general, with stage and organ empty ("ZEB1 drives metastasis");
- therapy + site organ with no mechanism ("hepatic arterial infusion for liver metastases"),
  except resection of the primary (resection of the metastases is metastasectomy);
- a therapy in the sentence fills the therapy slot of the mechanism tuples;
- a therapy given for one organ's metastases (``site_directed_therapies``: bisphosphonates for
  bone, HIPEC for the peritoneum) + that organ, when the sentence names no site and the
  abstract's sites include the organ ("Most patients received bisphosphonates").

Where a sentence's therapy is directed at a site ("resection of ovarian metastases combined with
chemotherapy"), only that therapy and its list peers pair with the site; a site that recurred after
the therapy ("peritoneal recurrence after adjuvant gemcitabine") is not paired with it.

Across sentences (:mod:`pdacmine.miner.nlp.pairing`): the treatment step of a case or cohort narrative
("... was diagnosed with multiple hepatic metastases. She then received gemcitabine.") pairs with
the one site reported just before (``narrative_site``); a therapy anaphor ("Combination therapy
suppressed liver metastases") stands for the therapies of the title or of the nearest earlier
therapy sentence (``studied_therapies``).

Organs and stages come from the previous sentence when this one has none and opens with a
continuation ("These metastases ...", "This ...", "They ..."), and mechanisms likewise.
Background therapies, non-site organs and abstracts about another primary cancer make no tuple.
Which members of a sentence make one claim is decided in :mod:`pdacmine.miner.nlp.pairing`.

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

from pdacmine.miner.evidence import ConceptRef, EvidenceRecord, MemberSpan
from pdacmine.miner.nlp.candidates import borrowed_sites, broad_combinations, carried_stages, stage_sources
from pdacmine.miner.nlp.claim_model import judge
from pdacmine.miner.nlp.cues import CueIndex
from pdacmine.miner.nlp.mention import Mention
from pdacmine.miner.nlp.pairing import (
    SentenceMembers,
    SentenceView,
    Trigger,
    listed,
    mechanism_targets,
    narrative_site,
    recurred_after,
    studied_therapies,
)
from pdacmine.miner.nlp.rules import Rules, default_rules
from pdacmine.miner.nlp.sections import after_label
from pdacmine.miner.nlp.therapies import directed_at
from pdacmine.miner.studytype import classify

MAX_TUPLES_PER_SENTENCE = 24
#: (mechanism, stage, organ, therapy) mentions of one tuple, any of them None
Combo = tuple[Any, Any, Any, Any]
_INVERT = {"promotes": "suppresses", "suppresses": "promotes", "associated": "associated"}
PRIMARY_SURGERY = default_rules().word_list("primary_surgery")


@dataclass(slots=True)
class EvidenceTuple:
    """The pairing rules' working tuple (mentions, sentence index); :meth:`to_record` is what leaves the NLP."""

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
    #: the cross-sentence rule that made the tuple ("narrative", "anaphor"; "" for the others)
    basis: str = ""

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

    def to_record(self) -> EvidenceRecord:
        """The typed record of this tuple (member spans relative to the sentence)."""
        mech, ther = self.mechanism, self.therapy
        return EvidenceRecord(
            sentence=self.sentence,
            start=self.start,
            end=self.end,
            section=self.section,
            mechanism=ConceptRef(mech.key, mech.category, mech.concept_id) if mech else None,
            stage=self.stage.key if self.stage else None,
            organ=self.organ.key if self.organ else None,
            therapy=ConceptRef(ther.key, ther.category, ther.concept_id) if ther else None,
            polarity=self.polarity,
            negated=self.negated,
            hedged=self.hedged,
            study_type=self.study_type,
            confidence=self.confidence,
            spans=tuple(
                MemberSpan(m.start_char - self.start, m.end_char - self.start, m.label, m.key)
                for m in sorted(self.members, key=lambda m: m.start_char)
                if self.start <= m.start_char and m.end_char <= self.end
            ),
        )


def _unique(mentions: list[Mention]) -> list[Mention]:
    seen: dict[str, Mention] = {}
    for m in mentions:
        seen.setdefault(m.key, m)
    return list(seen.values())


def is_counted(m: Mention) -> bool:
    """Whether a mention can make a claim: not background, not redundant, and an ORGAN only as a metastatic site."""
    return not (m.background or m.redundant) and (m.label != "ORGAN" or m.site)


def members_by_sentence(mentions: list[Mention], n_sents: int) -> list[SentenceMembers]:
    out = [SentenceMembers([], [], [], []) for _ in range(n_sents)]
    for m in mentions:
        s = out[m.sent]
        if not is_counted(m):
            continue
        if m.label == "MECHANISM":
            s.mechanisms.append(m)
        elif m.label == "STAGE":
            s.stages.append(m)
        elif m.label == "ORGAN":
            s.organs.append(m)
        elif m.label == "THERAPY":
            s.therapies.append(m)
    for s in out:
        groups = (s.mechanisms, s.stages, s.organs, s.therapies)
        if any(groups):
            s.mechanisms, s.stages, s.organs, s.therapies = map(_unique, groups)
    return out


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


def confidence(t: EvidenceTuple, explicit_trigger: bool, distance: int, rules: Rules) -> float:
    c = rules.confidence
    score = float(c["base"][t.kind])
    score += c["trigger"] * explicit_trigger + c["therapy_slot"] * (t.therapy is not None and t.mechanism is not None)
    score -= c["adjacent"] * t.adjacent + c["hedged"] * t.hedged + c["negated"] * t.negated
    score -= c["distance"] * (distance > rules.window("long_distance"))
    return round(min(c["ceiling"], max(c["floor"], score)), 3)


def _combinations(s: SentenceMembers, view: SentenceView) -> list[Combo]:
    none: list[Mention | None] = [None]
    therapies: list[Mention | None] = [*s.therapies] or none
    combos: list[Combo] = []
    targets = mechanism_targets(s, view)
    for m in s.mechanisms:
        stages, organs = targets[id(m)]
        if organs or stages:
            combos += product([m], [*stages] or none, [*organs] or none, therapies)
        elif not m.target and not view.outcome(m, s.stages) and view.drives_metastasis(m):
            combos += product([m], none, none, therapies)
    if not s.mechanisms and s.therapies and s.organs:
        for organ in s.organs:
            combos += product(none, [*s.stages] or none, [organ], _therapies_for(organ, s.therapies, view))
    if len(combos) > MAX_TUPLES_PER_SENTENCE:
        combos = [(m, st, o, None) for m, st, o, _ in combos][:MAX_TUPLES_PER_SENTENCE]
    return list(dict.fromkeys(combos))


def _therapies_for(organ: Mention, therapies: list[Mention], view: SentenceView) -> list[Mention]:
    """The therapies of a sentence given for ``organ``: those directed at it ("resection of ovarian
    metastases") and their list peers, when one is; otherwise all of them. A therapy and an organ on
    either side of a contrast ("mFOLFIRINOX ..., whereas peritoneal recurrence ...") are not paired, nor a
    site that recurred after the therapy ("peritoneal recurrence after resection")."""
    words = view.words
    therapies = [t for t in therapies if t.sent != organ.sent or not _contrasted(t, organ, view)]
    therapies = [t for t in therapies if not recurred_after(organ, t, view.cues, words, view.rules)]
    directed = [t for t in therapies if directed_at(t, organ, words)]
    if not directed:
        return therapies
    ordered = sorted(therapies, key=lambda t: t.start)
    chosen = {id(t) for t in directed}
    changed = True
    while changed:
        changed = False
        for a, b in pairwise(ordered):
            if listed(words, a, b) and (id(a) in chosen) != (id(b) in chosen):
                chosen |= {id(a), id(b)}
                changed = True
    return [t for t in therapies if id(t) in chosen]


def _contrasted(a: Mention, b: Mention, view: SentenceView) -> bool:
    lo, hi = (a.end, b.start) if a.end <= b.start else (b.end, a.start)
    return view.cues.any_within("CONTRAST", lo, hi)


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


def refers_to_previous_sites(
    current: SentenceMembers, previous: SentenceMembers, cues: CueIndex, bound: tuple[int, int]
) -> bool:
    """A therapy sentence naming no site but "these lesions/metastases" treats the previous sentence's sites."""
    return bool(
        current.therapies
        and not current.organs
        and previous.organs
        and cues.any_within("SITE_ANAPHOR", bound[0], bound[1])
    )


def _partner_start(head: Mention, targets: list[Mention], met: list[tuple[int, int]]) -> int | None:
    starts = [t.start for t in targets] + [s for s, _ in met]
    starts = [s for s in starts if s >= head.end or s < head.start]
    return min(starts, key=lambda s: abs(s - head.start)) if starts else None


def _make_tuple(
    combo: Combo, i: int, span: tuple[int, int], text: str, adjacent: bool, view: SentenceView
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


def _without_primary_surgery_at_sites(combos: list[Combo]) -> list[Combo]:
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
    sites = _document_sites(per)
    # one site in the abstract: a therapy sentence may be far from it; otherwise the nearest sentences
    lookback = len(bounds) if len(sites) == 1 else rules.window("site_lookback")
    sources = stage_sources(sections, rules.word_list("stage_source_sections"))
    out: list[EvidenceTuple] = []
    strict: set[int] = set()  # ids of the tuples the pairing rules make (the others are broad candidates)
    for i, current in enumerate(per):
        members, adjacent = current, False
        if i > 0 and _continues(cues, bounds[i]):
            borrowed = _borrow(current, per[i - 1])
            if borrowed is not None:
                members, adjacent = borrowed, True
        elif i > 0 and refers_to_previous_sites(current, per[i - 1], cues, bounds[i]):
            # "Brain metastases are rare. We treat these lesions with radiosurgery."
            members = SentenceMembers(current.mechanisms, current.stages, per[i - 1].organs, current.therapies)
            adjacent = True
        if i > 0 and not members.therapies and current.organs:
            # "Combination therapy suppressed liver metastases": the therapies the abstract studies
            studied = studied_therapies(i, per, cues, bounds[i], rules)
            if studied:
                members = SentenceMembers(members.mechanisms, members.stages, members.organs, studied)
                adjacent = True
        if not (members.mechanisms or members.therapies):
            continue  # every candidate below has a mechanism or a therapy of this sentence (or borrowed)
        view = SentenceView(words, cues, bounds[i], members, rules)
        combos = _without_primary_surgery_at_sites(_combinations(members, view))
        directed = [] if current.organs else _site_directed(current.therapies, sites, rules)
        seen = set(combos)
        # a phenotype listed with the invasion it accompanies is an outcome, never a candidate driver
        broad = [
            c
            for c in broad_combinations(current, bool(view.met), PRIMARY_SURGERY)
            if c not in seen and not (c[0] is not None and view.outcome(c[0], current.stages))
        ]
        earlier = [per[j] for j in range(i - 1, max(0, i - lookback) - 1, -1)] + per[:1]
        before = [c for c in borrowed_sites(current, earlier, PRIMARY_SURGERY) if c not in seen] if i else []
        if i:
            before += [c for c in carried_stages(current, [per[j] for j in sources if j != i]) if c not in seen]
        if not (combos or directed or broad or before):
            continue
        own = (after_label(text, *sentence_spans[i], rules), sentence_spans[i][1])
        span = (after_label(text, *sentence_spans[i - 1], rules), own[1]) if adjacent else own
        made = [_make_tuple(c, i, span, text, adjacent, view) for c in combos]
        for t in made:
            if t.therapy is not None and t.therapy.sent != i and t.organ is not None and t.organ.sent == i:
                t.basis = "anaphor"  # "Combination therapy suppressed liver metastases"
        paired = {t.therapy.key for t in made if t.therapy is not None and t.organ is not None}
        # the site of a site-directed therapy comes from elsewhere in the abstract: scored as borrowed
        made += [_make_tuple(c, i, own, text, True, view) for c in directed if c[3].key not in paired]
        strict.update(id(t) for t in made)
        made += [_make_tuple(c, i, own, text, False, view) for c in broad]
        if before:  # the evidence spans the sentence before too when the organ is there
            two = (after_label(text, *sentence_spans[i - 1], rules), sentence_spans[i][1])
            told = narrative_site(i, per, cues, bounds, words, rules)
            for c in before:
                t = _make_tuple(c, i, two if _borrowed(c).sent == i - 1 else own, text, True, view)
                if told is not None and c[2] is not None and c[2].key == told[0]:
                    strict.add(id(t))  # a narrative's treatment of the site reported before
                    t.basis = told[1]
                made.append(t)
        kind = classify(cues, bounds[i][0], bounds[i][1], study_type)
        for t in made:
            t.section, t.study_type = sections[i], kind
        out += made
    return judge(out, strict, words, cues, bounds, tuple(rules.cues), per)


def _borrowed(combo: Combo) -> Mention:
    """The member of a borrowed combination that comes from another sentence (its organ, else its stage)."""
    return combo[2] if combo[2] is not None else combo[1]


def _document_sites(per: list[SentenceMembers]) -> dict[str, Mention]:
    """organ key -> its first non-negated site mention in the abstract."""
    sites: dict[str, Mention] = {}
    for s in per:
        for o in s.organs:
            if not o.negated:
                sites.setdefault(o.key, o)
    return sites


def _site_directed(therapies: list[Mention], sites: dict[str, Mention], rules: Rules) -> list[Combo]:
    """Therapy-organ combinations of therapies given for one organ's metastases (``site_directed_therapies``)
    in a sentence that names no site, when the abstract's sites include that organ ("Patients with
    skeletal metastases ... Most received bisphosphonates")."""
    out: list[Combo] = []
    for therapy in therapies:
        organ = sites.get(rules.site_directed.get(therapy.key, ""))
        if organ is not None:
            out.append((None, None, organ, therapy))
    return out
