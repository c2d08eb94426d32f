"""Two reviewers at once (two engines, two threads) never lose each other's decisions.

Runs on SQLite and, with PDACMINE_TEST_POSTGRES_URL set, on PostgreSQL (row locks + compare-and-set).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pdacmine.db import findings, make_engine
from pdacmine.db.review_decisions import decide, decision_state, refresh_rankings
from pdacmine.errors import ConflictError, ReviewConflict
from pdacmine.models import Finding, ReviewAudit
from tests.builders import add_article, add_evidence

ROUNDS = 15
T = TypeVar("T")


@pytest.fixture
def two_engines(db_url: str) -> Iterator[tuple[Engine, Engine]]:
    first, second = make_engine(db_url), make_engine(db_url)
    yield first, second
    first.dispose()
    second.dispose()


@pytest.fixture
def keys(engine: Engine) -> list[str]:
    with Session(engine) as s:
        art = add_article(s, "300")
        out = [add_evidence(s, art, confidence=0.5).evidence_key for _ in range(2 * ROUNDS + 1)]
        s.commit()
    return out


def _run_both(*jobs: Callable[[], T]) -> list[T]:
    """Run the jobs in parallel threads; an exception in any of them fails the test here."""
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [f.result(timeout=120) for f in futures]


def _audit(engine: Engine, key: str | None = None) -> list[ReviewAudit]:
    with Session(engine) as s:
        stmt = select(ReviewAudit).order_by(ReviewAudit.id)
        return list(s.scalars(stmt.where(ReviewAudit.evidence_key == key) if key else stmt))


def _append_note(engine: Engine, key: str, reviewer: str, token: str) -> int:
    """A reviewer's read-modify-write on a shared item, retried on conflict; returns the retries."""
    retries = 0
    while True:
        with Session(engine) as s:
            seen = decision_state(s, key)
        try:
            decide(engine, key, "note", reviewer=reviewer, expected_revision=seen.revision,
                   note=f"{seen.note or ''} {token}".strip())  # fmt: skip
            return retries
        except ConflictError:
            retries += 1
            assert retries < 1000, "a reviewer never got a decision through"


def test_same_item_no_decision_lost(two_engines: tuple[Engine, Engine], keys: list[str]) -> None:
    shared = keys[-1]

    def reviewer(engine: Engine, name: str) -> Callable[[], object]:
        return lambda: [_append_note(engine, shared, name, f"{name}{i}") for i in range(ROUNDS)]

    _run_both(reviewer(two_engines[0], "alice"), reviewer(two_engines[1], "bob"))
    with Session(two_engines[0]) as s:
        final = decision_state(s, shared)
    tokens = set((final.note or "").split())
    assert tokens == {f"alice{i}" for i in range(ROUNDS)} | {f"bob{i}" for i in range(ROUNDS)}
    assert final.revision == 2 * ROUNDS
    rows = _audit(two_engines[0], shared)
    assert len(rows) == 2 * ROUNDS and [r.new["revision"] for r in rows] == list(range(1, 2 * ROUNDS + 1))
    assert {r.reviewer for r in rows} == {"alice", "bob"}


def test_different_items_concurrently(two_engines: tuple[Engine, Engine], keys: list[str]) -> None:
    def reviewer(engine: Engine, name: str, mine: list[str], action: str) -> Callable[[], None]:
        def run() -> None:
            for key in mine:
                decide(engine, key, action, reviewer=name, expected_revision=0)

        return run

    _run_both(
        reviewer(two_engines[0], "alice", keys[:ROUNDS], "accept"),
        reviewer(two_engines[1], "bob", keys[ROUNDS : 2 * ROUNDS], "reject"),
    )
    with Session(two_engines[1]) as s:
        states = [decision_state(s, k) for k in keys[: 2 * ROUNDS]]
    assert [st.status for st in states] == ["accepted"] * ROUNDS + ["rejected"] * ROUNDS
    assert len(_audit(two_engines[0])) == 2 * ROUNDS


def _race(engine: Engine, key: str, name: str, action: str, barrier: threading.Barrier) -> tuple[str, str]:
    barrier.wait()
    try:
        decide(engine, key, action, reviewer=name, expected_revision=0)
    except ReviewConflict as exc:
        return name, f"conflict:{exc.current.reviewer}:{exc.current.status}"
    return name, "won"


def test_first_decision_race_has_one_winner(two_engines: tuple[Engine, Engine], keys: list[str]) -> None:
    """Both reviewers saw the item undecided and press a key at the same moment."""
    for key in keys[:5]:
        barrier = threading.Barrier(2)
        results = dict(
            _run_both(
                lambda: _race(two_engines[0], key, "alice", "accept", barrier),  # noqa: B023 (joined in the loop)
                lambda: _race(two_engines[1], key, "bob", "reject", barrier),  # noqa: B023
            )
        )
        assert sorted(str(v).split(":")[0] for v in results.values()) == ["conflict", "won"]
        winner = next(n for n, v in results.items() if v == "won")
        loser_saw = next(v for v in results.values() if v != "won")
        assert loser_saw == f"conflict:{winner}:{'accepted' if winner == 'alice' else 'rejected'}"
        rows = _audit(two_engines[0], key)
        assert [r.reviewer for r in rows] == [winner]  # the loser wrote nothing


def test_two_imports_creating_the_same_new_finding_refresh_in_turn(
    two_engines: tuple[Engine, Engine], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both refreshes read the findings before either writes (a barrier holds the first one back): without
    serialisation both insert the new finding and one fails with IntegrityError."""
    read = findings._existing
    barrier = threading.Barrier(2, timeout=1.0)

    def existing_then_meet(*args: object, **kwargs: object) -> dict[str, tuple[int, int]]:
        out = read(*args, **kwargs)  # type: ignore[arg-type]
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()  # both here at once only when nothing serialises the refreshes
        return out

    monkeypatch.setattr(findings, "_existing", existing_then_meet)
    for round_ in range(3):
        barrier.reset()
        with Session(engine) as s:
            arts = [add_article(s, f"9{round_}{i}") for i in range(2)]
            for art in arts:
                add_evidence(s, art, mechanism=f"newmech{round_}", organ="lung")
            s.commit()
            ids = [a.id for a in arts]
        _run_both(*(lambda e=e, i=i: refresh_rankings(e, [i]) for e, i in zip(two_engines, ids, strict=True)))
        with Session(engine) as s:
            found = s.scalars(select(Finding).where(Finding.mechanism_key == f"newmech{round_}")).all()
            assert len(found) == 1 and found[0].n_papers == 2  # one finding, both papers counted
