"""The ``dedup`` job: match stored records across sources and merge, split or confirm (one transaction each)."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from pdacmine.db import dedup as store
from pdacmine.db.engine import session_scope

logger = logging.getLogger(__name__)


def run_dedup(engine: Engine, actor: str, *, dry_run: bool = False) -> store.DedupResult:
    """Merge every group matching finds (audited as ``actor``); ``dry_run`` rolls back."""
    with session_scope(engine) as session:
        plan = store.current_plan(session)
        result = store.apply_plan(session, plan, actor)
        if dry_run:
            session.rollback()
    logger.info("dedup: %d merged into %d groups, %d near-duplicates", result.merged, result.groups, result.near)
    return result


def dedup_report(engine: Engine, *, near: bool = True) -> store.DedupReport:
    with session_scope(engine) as session:
        return store.report(session, near=near)


def split_record(engine: Engine, article_id: int, actor: str, note: str | None = None) -> list[int]:
    with session_scope(engine) as session:
        return store.split(session, article_id, actor, note)


def confirm_pair(engine: Engine, first: int, second: int, actor: str, note: str | None = None) -> str:
    with session_scope(engine) as session:
        return store.confirm(session, first, second, actor, note)
