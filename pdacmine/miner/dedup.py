"""Finding the same study among records from several databases: pure matching, no database.

Two records are the same study (a *merge*) when, in this order:

1. they share a PMID, a DOI (normalised: no ``https://doi.org/``, lower case) or a PMCID, and
   no other identifier contradicts (two different PMIDs never merge);
2. or, fuzzily, their normalised titles are near-identical (rapidfuzz ratio >= ``MERGE_TITLE``;
   a title cut short by a database counts by its prefix; no content word differs on both
   sides, as in "lung"/"liver" or "phase 2"/"phase 3"), the years are equal (or one apart,
   e-pub vs print year, with a title ratio >= ``EPUB_TITLE``), the first authors' surnames
   agree (after transliteration: Müller = Mueller = Muller), no DOI or PMID contradicts, and
   neither is an erratum, comment, reply, retraction notice or conference abstract where the
   other is not.

Pairs that come close without passing (same title in another year, a missing author or
year, a title a little further off) are *near-duplicates*: reported for a person to confirm
or keep apart, never merged automatically. Titles and authors are compared folded
(:mod:`pdacmine.miner.titles`: HTML entities and tags, Greek letters (β -> beta), accents, case
and punctuation). Candidate pairs come from blocks (title prefix, first author + year,
identifiers), so the work grows with the records, not their square.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from rapidfuzz import fuzz

from pdacmine.miner.titles import author_key, normalise_title, title_score, words_differ

#: Title similarity (0-100) from which a fuzzy match with agreeing year and author merges.
MERGE_TITLE = 93.0
#: Title similarity from which a pair is reported as a near-duplicate.
NEAR_TITLE = 85.0
#: Title similarity from which records one year apart merge (e-pub vs print year).
EPUB_TITLE = 98.0
#: First-author surname similarity that counts as the same author.
AUTHOR_SAME = 85.0
#: Blocks larger than this are compared only within sorted windows (generic titles, prolific authors).
MAX_BLOCK = 200

#: Words that make a record a notice about another one rather than the study itself.
NOTICE_WORDS = frozenset(
    {
        "erratum",
        "errata",
        "corrigendum",
        "correction",
        "retraction",
        "retracted",
        "comment",
        "commentary",
        "reply",
        "response",
        "addendum",
        "concern",
        "editorial",
    }
)


@dataclass(frozen=True, slots=True)
class DedupRecord:
    """What matching needs of one record."""

    id: int
    title: str = ""
    year: int | None = None
    first_author: str | None = None
    pmid: str | None = None
    doi: str | None = None
    pmcid: str | None = None
    has_abstract: bool = False
    publication_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """Two records judged the same study (``merge``) or possibly so (near-duplicate)."""

    a: int
    b: int
    method: str  # pmid | doi | pmcid | fuzzy
    score: float  # title similarity 0-100 (100 for identifier matches)
    merge: bool
    reason: str = ""


@dataclass
class DedupPlan:
    """Groups to merge (canonical id -> member ids, canonical first) and near-duplicates to show a person."""

    groups: dict[int, list[int]] = field(default_factory=dict)
    #: For each merged member: the match that joined it to its group.
    via: dict[int, Match] = field(default_factory=dict)
    near: list[Match] = field(default_factory=list)

    def pairs(self) -> set[tuple[int, int]]:
        """Every pair of records in the same group (what precision and recall count)."""
        out: set[tuple[int, int]] = set()
        for members in self.groups.values():
            out |= {(min(a, b), max(a, b)) for a, b in combinations(members, 2)}
        return out


def _notices(title: str, types: Sequence[str]) -> frozenset[str]:
    words = NOTICE_WORDS.intersection(title.split())
    kinds = ("erratum", "comment", "retraction", "letter", "conference", "meeting")
    words |= {t.lower() for t in types if any(w in t.lower() for w in kinds)}
    return frozenset(words)


@dataclass(frozen=True, slots=True)
class _Prepared:
    id: int
    title: str
    year: int | None
    author: str
    pmid: str | None
    doi: str | None
    pmcid: str | None
    notices: frozenset[str]
    rank: tuple[bool, bool, bool, int]


def _prepare(r: DedupRecord) -> _Prepared:
    title = normalise_title(r.title)
    return _Prepared(
        r.id,
        title,
        r.year,
        author_key(r.first_author),
        r.pmid or None,
        (r.doi or "").strip().lower() or None,
        (r.pmcid or "").strip().upper() or None,
        _notices(title, r.publication_types),
        (bool(r.pmid), r.has_abstract, bool(r.doi), -r.id),
    )


def compare(p: _Prepared, q: _Prepared) -> Match | None:
    """The match between two prepared records, or None when they are clearly different studies."""
    a, b = min(p.id, q.id), max(p.id, q.id)
    if p.pmid and q.pmid and p.pmid != q.pmid:
        return None
    for method, x, y in (("pmid", p.pmid, q.pmid), ("doi", p.doi, q.doi), ("pmcid", p.pmcid, q.pmcid)):
        if x and x == y:
            return Match(a, b, method, 100.0, True)
    score = title_score(p.title, q.title, NEAR_TITLE)
    if score < NEAR_TITLE or p.notices != q.notices:
        return None
    conflicts, missing = _disagreements(p, q)
    if p.title != q.title and words_differ(p.title, q.title):
        conflicts.append("titles differ in a word")
    if p.year and q.year and abs(p.year - q.year) > 1:
        return None  # the same title years apart: a different study (or an update), not a duplicate
    exact_long = score == 100.0 and min(len(p.title), len(q.title)) >= 60 and len(missing) <= 1
    merge = not conflicts and score >= MERGE_TITLE and (not missing or exact_long)
    if conflicts == [f"years {min(p.year or 0, q.year or 0)} and {max(p.year or 0, q.year or 0)}"]:
        # e-pub year in one database, print year in another: only a near-identical title with
        # the same first author merges across one year
        merge = score >= EPUB_TITLE and not missing
    return Match(a, b, "fuzzy", score, merge, "; ".join(conflicts + missing))


def _disagreements(p: _Prepared, q: _Prepared) -> tuple[list[str], list[str]]:
    conflicts: list[str] = []
    missing: list[str] = []
    if p.doi and q.doi and p.doi != q.doi:
        conflicts.append("different DOIs")
    if p.pmcid and q.pmcid and p.pmcid != q.pmcid:
        conflicts.append("different PMCIDs")
    if p.year and q.year:
        if p.year != q.year:
            conflicts.append(f"years {min(p.year, q.year)} and {max(p.year, q.year)}")
    else:
        missing.append("a year is missing")
    if p.author and q.author:
        if fuzz.ratio(p.author, q.author) < AUTHOR_SAME:
            conflicts.append("different first authors")
    else:
        missing.append("a first author is missing")
    return conflicts, missing


def _blocks(records: Sequence[_Prepared]) -> Iterable[list[_Prepared]]:
    blocks: dict[tuple[str, str], list[_Prepared]] = defaultdict(list)
    for r in records:
        words = r.title.split()
        if len(words) >= 2:
            blocks[("t", " ".join(words[:4]))].append(r)
        if r.author and r.year:
            blocks[("a", f"{r.author[:4]} {r.year}")].append(r)
        for kind, value in (("p", r.pmid), ("d", r.doi), ("c", r.pmcid)):
            if value:
                blocks[(kind, value)].append(r)
    for block in blocks.values():
        if len(block) > 1:
            yield block


def candidate_pairs(records: Sequence[_Prepared]) -> set[tuple[int, int]]:
    """Index pairs worth comparing: within each block (large blocks only between title neighbours)."""
    index = {r.id: i for i, r in enumerate(records)}
    pairs: set[tuple[int, int]] = set()
    for block in _blocks(records):
        ids = sorted((index[r.id] for r in block), key=lambda i: records[i].title)
        window = len(ids) if len(ids) <= MAX_BLOCK else 20
        for n, i in enumerate(ids):
            for j in ids[n + 1 : n + window]:
                pairs.add((min(i, j), max(i, j)))
    return pairs


class _Groups:
    """Union-find with cannot-link constraints: records a person kept apart, and groups that would
    hold two different PMIDs or DOIs (chains of fuzzy matches must not join two known studies)."""

    def __init__(self, apart: set[tuple[int, int]], ids: dict[int, frozenset[str]]) -> None:
        self.parent: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}
        self.ids: dict[int, set[str]] = {}
        self.apart = apart
        self.known = ids

    def find(self, x: int) -> int:
        if x not in self.parent:
            self.parent[x], self.members[x], self.ids[x] = x, [x], set(self.known.get(x, ()))
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, x: int, y: int) -> bool:
        rx, ry = self.find(x), self.find(y)
        if rx == ry:
            return False
        for kind in ("pmid:", "doi:"):
            mine = {i for i in self.ids[rx] if i.startswith(kind)}
            theirs = {i for i in self.ids[ry] if i.startswith(kind)}
            if mine and theirs and not mine & theirs:
                return False
        if self.apart and any((min(m, n), max(m, n)) in self.apart for m in self.members[rx] for n in self.members[ry]):
            return False
        if len(self.members[rx]) < len(self.members[ry]):
            rx, ry = ry, rx
        self.parent[ry] = rx
        self.members[rx] += self.members.pop(ry)
        self.ids[rx] |= self.ids.pop(ry)
        return True


def plan_dedup(
    records: Sequence[DedupRecord],
    *,
    kept_apart: Iterable[tuple[int, int]] = (),
    existing: dict[int, int] | None = None,
) -> DedupPlan:
    """Merge groups and near-duplicates among ``records``.

    ``kept_apart``: pairs a person split (never merged again); ``existing``: current merges
    (duplicate id -> kept id), which stay, and whose kept records stay kept. The kept record of
    a new group is the one with a PMID, then an abstract, then a DOI, then the oldest.
    """
    prepared = [_prepare(r) for r in records]
    by_id = {p.id: p for p in prepared}
    apart = {(min(a, b), max(a, b)) for a, b in kept_apart}
    known = {p.id: frozenset(f"{k}:{v}" for k, v in (("pmid", p.pmid), ("doi", p.doi)) if v) for p in prepared}
    groups = _Groups(apart, known)
    existing = {d: k for d, k in (existing or {}).items() if d in by_id and k in by_id}
    for dup, kept in existing.items():
        groups.union(kept, dup)
    matches = [m for i, j in candidate_pairs(prepared) if (m := compare(prepared[i], prepared[j])) is not None]
    matches.sort(key=lambda m: (m.method == "fuzzy", -m.score, m.a, m.b))
    plan = DedupPlan()
    for m in matches:
        if m.merge and groups.union(m.a, m.b):
            plan.via.setdefault(m.b, m)
            plan.via.setdefault(m.a, m)
    kept_ids = set(existing.values())
    for members in groups.members.values():
        if len(members) < 2:
            continue
        pool = [i for i in members if i in kept_ids] or members
        canonical = max(pool, key=lambda i: by_id[i].rank)
        plan.groups[canonical] = [canonical, *sorted(i for i in members if i != canonical)]
    shown: set[tuple[int, int]] = set()
    for m in matches:  # best first: one near-duplicate pair per two groups
        ra, rb = groups.find(m.a), groups.find(m.b)
        if ra != rb and (m.a, m.b) not in apart and (min(ra, rb), max(ra, rb)) not in shown:
            shown.add((min(ra, rb), max(ra, rb)))
            why = "matches, but the groups hold other PMIDs/DOIs or were split" if m.merge else m.reason
            plan.near.append(Match(m.a, m.b, m.method, m.score, False, why))
    return plan
