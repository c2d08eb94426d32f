"""Features of claim candidates (see :mod:`pdacmine.miner.nlp.claim_model`): pure functions.

A candidate's features are strings (binary indicators): what kind of pair it is and of which
concepts' categories; the distance of its two members; the words and the cue labels
(``context_rules.json``) between them; the cue labels of its sentence; where the sentence is
(title, first or last sentences, section); whether a member came from the previous sentence;
hedging and polarity; the cross-sentence rule that made the tuple (``basis``: a narrative's or a
cohort's treatment step, a therapy anaphor); whether the abstract is a case report; how many tuples of the abstract make
the same item, and how many organs the abstract's candidates name (crossed with the study type for a
pair across sentences).

Document-level facts that are not words: whether the partner (organ or stage) is named in the title,
in how many sentences the abstract names it, and for a pair across sentences where the partner is
(title, before or after the head) and how far, crossed with the study type (a case report's one
site is the site of all its treatments); which of the two the abstract names first (a treatment named
before the metastasis was found was not given for it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pdacmine.miner.nlp.cues import CueIndex
from pdacmine.miner.nlp.mention import Mention

if TYPE_CHECKING:
    from pdacmine.miner.relations import EvidenceTuple

#: token gaps are bucketed at these upper bounds ("far" beyond the last)
GAP_BUCKETS = (0, 2, 5, 10, 20)
#: at most this many tokens between two members are read as words
MAX_BETWEEN = 12


@dataclass(slots=True)
class DocContext:
    words: list[str]
    cues: CueIndex
    bounds: list[tuple[int, int]]
    labels: tuple[str, ...]
    counts: Counter[tuple[str, Any]]
    #: distinct organs among the abstract's candidates (a one-site case report pairs its therapies with it)
    sites: int = 0
    #: keys of the organs and stages the title names
    title: frozenset[str] = frozenset()
    #: organ/stage key -> number of sentences that name it
    spread: Counter[str] = field(default_factory=Counter)
    #: key -> first sentence after the title that names it (the title when only it does)
    first: dict[str, int] = field(default_factory=dict)


def norm_word(word: str) -> str | None:
    """Lower case with a plural or past-tense ending stripped; None for numbers and punctuation."""
    w = word.lower()
    if not w[:1].isalpha() or not all(c.isalpha() or c == "-" for c in w):
        return None
    for suffix in ("ies", "es", "s", "ed", "ing"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            return w[: -len(suffix)]
    return w


def order_of(head: int, partner: int) -> str:
    """Whether the abstract names the head first ("head"), the partner first, or both in one sentence."""
    return "same" if head == partner else "head" if head < partner else "partner"


def gap_bucket(gap: int) -> str:
    for bound in GAP_BUCKETS:
        if gap <= bound:
            return f"<={bound}"
    return "far"


def _span(m: Mention) -> tuple[int, int]:
    return (m.start, m.end)


def pair_features(a: Mention, b: Mention, ctx: DocContext) -> list[str]:
    """Distance, words and cue labels between two members (a cross-sentence pair is "cross")."""
    if a.sent != b.sent:
        back = abs(a.sent - b.sent)
        where = "title" if b.sent == 0 else "after" if b.sent > a.sent else "before"
        far = "title" if min(a.sent, b.sent) == 0 else min(back, 3) if back <= 3 else "far"
        return ["gap=cross", f"back={far}", f"from={where}"]
    (_, e1), (s2, _) = sorted((_span(a), _span(b)))
    gap = max(0, s2 - e1)
    out = [f"gap={gap_bucket(gap)}", "order=" + ("ab" if a.start <= b.start else "ba")]
    present = ctx.cues.labels_within(e1, s2)
    out += [f"between:{label}" for label in ctx.labels if label in present]
    if gap <= MAX_BETWEEN:
        out += [f"w:{w}" for w in {norm_word(x) for x in ctx.words[e1:s2]} if w]
    else:
        out.append("w:far")
    return out


def sentence_features(sent: int, ctx: DocContext) -> list[str]:
    lo, hi = ctx.bounds[sent]
    n = len(ctx.bounds)
    where = "title" if sent == 0 else "last" if sent >= n - 2 else "first" if sent <= 2 else "middle"
    present = ctx.cues.labels_within(lo, hi)
    return [f"where={where}"] + [f"sent:{label}" for label in ctx.labels if label in present]


def candidate_features(
    kind: str, t: EvidenceTuple, head: Mention, partner: Mention | None, item: object, rule: bool, ctx: DocContext
) -> tuple[str, ...]:
    """All features of one candidate; every feature but the kind itself is also crossed with the kind.

    ``rule``: the pairing rules make this tuple (it is not only a broad candidate).
    """
    own: list[str] = [f"rule={rule}", f"tuple={t.kind}", f"polarity={t.polarity}", f"study={t.study_type}"]
    own += [f"section={t.section or 'none'}", f"adjacent={t.adjacent}", f"hedged={t.hedged}"]
    own.append(f"head={head.category or head.key}")
    if t.basis:
        own.append(f"basis={t.basis}")
    if partner is not None:
        own.append(f"partner={partner.key}")
        own += pair_features(head, partner, ctx)
        own += [f"partner_title={partner.key in ctx.title}", f"partner_sents={min(ctx.spread[partner.key], 3)}"]
        own.append(f"named={order_of(ctx.first.get(head.key, head.sent), ctx.first.get(partner.key, partner.sent))}")
    else:
        own += ["gap=none"]
    repeats = ctx.counts[(kind, item)]
    own += [f"repeats={min(repeats, 3)}", f"sites={min(ctx.sites, 3)}", f"case={ctx.cues.count('STUDY_CASE') > 0}"]
    if partner is not None and partner.sent != head.sent:
        own.append(f"sites={min(ctx.sites, 3)}|study={t.study_type}")
        own.append(f"partner_title={partner.key in ctx.title}|study={t.study_type}")
    own += sentence_features(t.sent, ctx)
    return (f"kind={kind}", *own, *(f"{kind}|{f}" for f in own))


def is_lexical(feature: str) -> bool:
    """A word identity between the two members (``w:...``, also crossed with a kind), not ``w:far``:
    what the training can weigh down in favour of the structural features that carry over to unseen text."""
    name = feature.rsplit("|", 1)[-1]
    return name.startswith("w:") and name != "w:far"


def document_counts(items: Iterable[tuple[str, Any]]) -> Counter[tuple[str, Any]]:
    return Counter(items)
