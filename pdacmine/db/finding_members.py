"""Evidence rows as ranking reads them: effective slots after reviewer corrections, MeSH corroboration.

Shared by the stored ranking (:mod:`pdacmine.db.findings`), the findings recomputed under
filters (:mod:`pdacmine.db.filtered_findings`) and ``rank --explain``
(:mod:`pdacmine.db.finding_lookup`): one select, one row -> :class:`Member` conversion.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from sys import intern
from typing import Any, NamedTuple

from sqlalchemy import Connection, Text, cast, func, or_, select
from sqlalchemy.sql import ColumnElement

from pdacmine.db.engine import chunked_in
from pdacmine.miner.evidence import effective_slots, finding_key
from pdacmine.miner.rank import ORGAN_MESH, EvidenceInput, mesh_organs
from pdacmine.models import Article, Evidence, ReviewDecision

E, A, RD = Evidence, Article, ReviewDecision
_COLUMNS = (
    E.id, E.article_id, E.pmid, E.mechanism_key, E.mechanism_category, E.stage, E.organ, E.therapy_key,
    E.therapy_class, E.polarity, E.negated, E.hedged, E.study_type, E.confidence, E.finding_id,
    A.pub_year, A.retracted, A.deleted, RD.status, RD.corrections,
)  # fmt: skip
_MACHINE = ("mechanism_key", "mechanism_category", "stage", "organ", "therapy_key", "therapy_class", "polarity")


class Member(NamedTuple):
    """One evidence row as ranking sees it: effective slots and the finding it is linked to now."""

    inp: EvidenceInput
    #: effective (mechanism_key, mechanism_category, stage, organ, therapy_key, therapy_class)
    slots: tuple[str | None, ...]
    finding_id: int | None
    deleted: bool


def member_select() -> Any:
    """``SELECT`` the columns :func:`to_member` reads: evidence, its article and its review decision."""
    return select(*_COLUMNS).join(A, A.id == E.article_id).outerjoin(RD, RD.evidence_key == E.evidence_key)


def _follow_vocabulary(slots: dict[str, Any], corrections: dict[str, Any]) -> None:
    """A corrected concept brings its category/class from the vocabulary when the reviewer gave none."""
    from pdacmine.miner.nlp.vocab import default_vocabulary

    for key_slot, cat_slot, facet in (
        ("mechanism_key", "mechanism_category", "MECHANISM"),
        ("therapy_key", "therapy_class", "THERAPY"),
    ):
        if key_slot in corrections and cat_slot not in corrections:
            concept = default_vocabulary().get(facet, slots[key_slot]) if slots[key_slot] else None
            slots[cat_slot] = concept.category if concept else None


def to_member(r: Sequence[Any], mesh: dict[int, frozenset[str]]) -> tuple[str, Member]:
    """(effective finding key, member) of one row of :func:`_select`."""
    eid, aid, pmid, mk, mc, st, org, tk, tc, pol, neg, hed, stype, conf, fid, year, retr, deleted, status, corr = r
    if corr:
        slots = effective_slots(dict(zip(_MACHINE, (mk, mc, st, org, tk, tc, pol), strict=True)), corr)
        _follow_vocabulary(slots, corr)
        mk, mc, st, org, tk, tc, pol = (slots[k] for k in _MACHINE)
    inp = EvidenceInput(
        eid,
        aid,
        pmid,
        year,
        intern(stype or "other"),
        conf if conf is not None else 0.5,
        bool(hed),
        bool(neg),
        intern(pol or "associated"),
        status if status == "accepted" or status == "rejected" else None,
        org in mesh.get(aid, ()),
        bool(retr),
    )
    return finding_key(mk, st, org, tk), Member(inp, (mk, mc, st, org, tk, tc), fid, bool(deleted))


def machine_key(r: Sequence[Any]) -> str:
    """The finding key of a row of :func:`member_select` before reviewer corrections."""
    return finding_key(r[3], r[5], r[6], r[7])


def mesh_hint(mesh: ColumnElement[Any] | Any) -> ColumnElement[bool]:
    """True for MeSH JSON that may mark a metastatic site (the qualifier ``Q000556``, its name in any case,
    ``Lymphatic Metastasis``): a cheap pre-filter before :func:`mesh_organs`, which reads the qualifier name
    case-insensitively too. ``LIKE`` is case-sensitive on PostgreSQL, so the text is lower-cased first."""
    text = func.lower(cast(mesh, Text))
    return or_(text.like("%q000556%"), text.like("%secondary%"), text.like("%d008207%"))


def mesh_map(
    conn: Connection, article_ids: Iterable[int] | None, organs: Collection[str] | None = None
) -> dict[int, frozenset[str]]:
    """Article id -> organs its MeSH headings corroborate (only articles that have any). With ``organs``, only
    articles whose headings name one of these organs' descriptors are read (the others matter to no evidence
    of these organs): a finding's evidence needs its own organ's."""
    text = cast(A.mesh, Text)
    hint = mesh_hint(A.mesh)
    if organs is not None:
        descriptors = sorted({ORGAN_MESH[o] for o in organs if o in ORGAN_MESH})
        if not descriptors:
            return {}
        hint = or_(*(text.like(f"%{ui}%") for ui in descriptors))
    out: dict[int, frozenset[str]] = {}
    wheres: Iterable[ColumnElement[bool] | None] = [None] if article_ids is None else chunked_in(A.id, article_ids)
    for where in wheres:
        stmt = select(A.id, A.mesh).where(hint, *([where] if where is not None else []))
        for art_id, mesh in conn.execute(stmt.execution_options(yield_per=2000)):
            organs = mesh_organs(mesh)
            if organs:
                out[art_id] = organs
    return out


def member_rows(conn: Connection, where: ColumnElement[bool]) -> list[Sequence[Any]]:
    """Rows of :func:`member_select` that pass ``where``."""
    return list(conn.execute(member_select().where(where)))
