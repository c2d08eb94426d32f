"""Records by the key users see: a PMID, else ``doi:<DOI>``, else ``record:<id>``
(:func:`~pdacmine.miner.sources.records.record_key`), and matching decision-file rows to records.

A record merged into another by deduplication (``duplicate_of``) answers for its kept record, so a
decision made on the ``doi:`` copy of a study lands on the PubMed record it was merged into.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from pdacmine.db.engine import chunked_in
from pdacmine.errors import InputError
from pdacmine.miner.screening import RecordRef, normalise_title
from pdacmine.miner.sources.records import normalise_doi, normalise_pmid, record_key
from pdacmine.models import Article

A = Article


def keys_of(session: Session, article_ids: Iterable[int]) -> dict[int, str]:
    """article id -> the record's key (``31234567``, ``doi:10.1000/x`` or ``record:7``)."""
    out: dict[int, str] = {}
    for where in chunked_in(A.id, sorted(set(article_ids))):
        out.update((i, record_key(p, d, i)) for i, p, d in session.execute(select(A.id, A.pmid, A.doi).where(where)))
    return out


def _kept(ids: dict[int, int | None], aid: int) -> int:
    return ids.get(aid) or aid


def article_id_for_key(session: Session, key: str) -> int:
    """The record ``key`` names (a PMID, ``doi:...``, ``record:<id>``); unknown keys raise :class:`InputError`."""
    ref = _ref(key)
    found = match_refs(session, [ref])[0] if ref else None
    if found is None:
        raise InputError(f"no record {key!r}: give a PMID, doi:<DOI> or record:<id> as `pdacmine query` shows them")
    return found


def _ref(key: str) -> RecordRef:
    text = key.strip()
    if text.lower().startswith("record:") and text[7:].strip().isdigit():
        return RecordRef(record_id=int(text[7:]))
    if text.lower().startswith("doi:") or text.startswith("10."):
        return RecordRef(doi=normalise_doi(text))
    return RecordRef(pmid=normalise_pmid(text))


def match_refs(session: Session, refs: Sequence[RecordRef]) -> list[int | None]:
    """The stored article id each ref names (aligned with ``refs``; None: no such record, or a title that
    names no record or several). Withdrawn records never match; a merged duplicate answers for its kept record."""
    live = A.deleted.is_not(True)
    by_pmid: dict[str, int] = {}
    for cond in chunked_in(A.pmid, {r.pmid for r in refs if r.pmid}):
        by_pmid.update((p, i) for i, p in session.execute(select(A.id, A.pmid).where(cond, live)) if p)
    kept: dict[int, int | None] = {}
    by_doi: dict[str, int] = {}
    if any(r.doi for r in refs if not r.pmid):
        rows = session.execute(select(A.id, A.doi, A.duplicate_of).where(A.doi.is_not(None), live).order_by(A.id))
        for i, d, dup in rows:
            kept[i] = dup
            nd = normalise_doi(d)
            if nd and (nd not in by_doi or dup is None):
                by_doi[nd] = i
    by_title: dict[str, int | None] = {}
    if any(r.title for r in refs):
        for i, t in session.execute(select(A.id, A.title).where(live, A.duplicate_of.is_(None))):
            norm = normalise_title(t or "")
            by_title[norm] = None if norm in by_title else i  # an ambiguous title matches nothing
    ids = {r.record_id for r in refs if r.record_id}
    by_id: dict[int, int] = {}
    for cond in chunked_in(A.id, sorted(ids)):
        by_id.update((i, dup or i) for i, dup in session.execute(select(A.id, A.duplicate_of).where(cond, live)))
    out: list[int | None] = []
    for r in refs:
        if r.pmid:
            out.append(by_pmid.get(r.pmid))
        elif r.doi:
            aid = by_doi.get(r.doi)
            out.append(None if aid is None else _kept(kept, aid))
        elif r.record_id:
            out.append(by_id.get(r.record_id))
        else:
            out.append(by_title.get(normalise_title(r.title or "")))
    return out
