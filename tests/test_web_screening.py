"""View 5, screening in the browser: the same queue, decisions, blinding and conflicts as ``pdacmine screen``
(Starlette's test client; SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from markupsafe import escape
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from pdacmine.db import screening as db
from pdacmine.db import screening_outcomes as outcomes
from pdacmine.models import Article, ScreeningAudit, ScreeningDecision, ScreeningResolution, ScreeningSession
from pdacmine.web import create_app
from tests.web_data import HOSTILE_TITLE, Corpus, populate

SECRET = "s" * 48


@pytest.fixture
def corpus(engine: Engine) -> Corpus:
    return populate(engine)


def _client(engine: Engine, name: str) -> TestClient:
    client = TestClient(create_app(engine, secret=SECRET, default_reviewer=name), follow_redirects=False)
    return client


@pytest.fixture
def client(engine: Engine, corpus: Corpus) -> Iterator[TestClient]:
    with _client(engine, "alice") as c:
        yield c


def form(page: str) -> dict[str, str]:
    """The hidden fields of the record shown on ``page``."""
    found = {k: re.search(rf'name="{k}" value="([^"]*)"', page) for k in ("csrf", "record", "version")}
    assert all(found.values()), "no screening record on the page"
    return {k: m.group(1) for k, m in found.items() if m}


def decisions(engine: Engine) -> dict[tuple[int, str], tuple[str, str | None]]:
    with Session(engine) as s:
        return {(d.article_id, d.reviewer): (d.decision, d.reason) for d in s.scalars(select(ScreeningDecision))}


def test_page_shows_the_cli_queue_head_with_tagged_entities_and_records_the_order(
    client: TestClient, engine: Engine
) -> None:
    page = client.get("/screen").text
    with Session(engine) as s:
        head = db.queue(s, "alice", order="evidence", limit=1)[0]
        sessions = list(s.scalars(select(ScreeningSession)))
    assert form(page)["record"] == str(head.article_id)
    assert str(escape(head.title)) in page
    assert '<mark class="f-' in page  # the stored evidence with its entities tagged
    assert [(x.reviewer, x.kind, x.order, x.reviewers_required) for x in sessions] == [("alice", "web", "evidence", 1)]
    client.get("/screen")  # the same browser session: not recorded twice
    client.get("/screen?order=year")
    with Session(engine) as s:
        assert [x.order for x in s.scalars(select(ScreeningSession))] == ["evidence", "year"]
    assert 'href="/screen"' in page  # the nav entry


def test_include_exclude_with_reason_maybe_and_undo(client: TestClient, engine: Engine) -> None:
    first = form(client.get("/screen").text)
    assert client.post("/screen/decide", data={**first, "action": "i"}).status_code == 303
    second = form(client.get("/screen").text)
    assert second["record"] != first["record"]
    refused = client.post("/screen/decide", data={**second, "action": "e"})
    assert refused.status_code == 400 and "needs a reason" in refused.text
    assert client.post("/screen/decide", data={**second, "action": "e", "reason": "3"}).status_code == 303
    third = form(client.get("/screen").text)
    assert client.post("/screen/decide", data={**third, "action": "m", "note": "ask carol"}).status_code == 303
    ids = [int(x["record"]) for x in (first, second, third)]
    assert decisions(engine) == {(ids[0], "alice"): ("include", None), (ids[1], "alice"): ("exclude", "not-primary"),
                                 (ids[2], "alice"): ("maybe", None)}  # fmt: skip
    undone = client.post("/screen/undo", data={"csrf": first["csrf"]})
    assert undone.status_code == 303 and f"record={ids[2]}" in undone.headers["location"]
    client.post("/screen/undo", data={"csrf": first["csrf"]})
    assert decisions(engine) == {(ids[0], "alice"): ("include", None)}
    with Session(engine) as s:
        actions = [a.action for a in s.scalars(select(ScreeningAudit).order_by(ScreeningAudit.id))]
    assert actions == ["decide", "decide", "decide", "undo", "undo"]
    again = client.get("/screen").text
    assert form(again)["record"] == str(ids[1])  # the undone record is next again
    assert "1 decided by you" in again


def test_a_decision_on_a_stale_view_is_refused_with_the_fresh_state(engine: Engine, corpus: Corpus) -> None:
    with _client(engine, "alice") as tab1, _client(engine, "alice") as tab2:
        shown = form(tab1.get("/screen").text)
        other = form(tab2.get(f"/screen?record={shown['record']}").text)
        assert tab2.post("/screen/decide", data={**other, "action": "e", "reason": "not-pdac"}).status_code == 303
        stale = tab1.post("/screen/decide", data={**shown, "action": "i"})
    assert stale.status_code == 409 and "changed since" in stale.text
    assert 'id="own">exclude (not-pdac)' in stale.text  # the fresh state is shown
    assert decisions(engine) == {(int(shown["record"]), "alice"): ("exclude", "not-pdac")}


def test_dual_screening_is_blind_and_conflicts_go_to_a_third_reviewer(engine: Engine, corpus: Corpus) -> None:
    with _client(engine, "alice") as alice, _client(engine, "bob") as bob, _client(engine, "carol") as carol:
        shown = form(alice.get("/screen?dual=1").text)
        alice.post("/screen/decide?dual=1", data={**shown, "action": "i"})
        page = bob.get("/screen").text
        assert form(page)["record"] == shown["record"]  # still in bob's queue, alice's vote unseen
        assert "alice" not in page and 'id="own">none yet' in page
        assert "no-conflicts" in bob.get("/screen/conflicts").text
        bob.post("/screen/decide", data={**form(page), "action": "e", "reason": "not-pdac"})
        listed = carol.get("/screen/conflicts").text
        with Session(engine) as s:
            pmid = s.get(Article, int(shown["record"])).pmid  # type: ignore[union-attr]
        assert f"<td>{pmid}</td>" in listed and "alice: include" in listed
        token = re.search(r'name="csrf" value="([^"]+)"', alice.get("/screen/conflicts").text)
        assert token
        own = alice.post("/screen/resolve", data={"csrf": token.group(1), "pmid": pmid, "decision": "include"})
        assert own.status_code == 400 and "third reviewer" in own.text
        token = re.search(r'name="csrf" value="([^"]+)"', listed)
        assert token
        done = carol.post("/screen/resolve", data={"csrf": token.group(1), "pmid": pmid, "decision": "exclude",
                                                   "reason": "not-pdac", "note": "checked"})  # fmt: skip
        assert done.status_code == 303
    with Session(engine) as s:
        res = s.get(ScreeningResolution, int(shown["record"]))
        assert res is not None and (res.reviewer, res.decision, res.reason) == ("carol", "exclude", "not-pdac")
        assert outcomes.conflicts(s) == []


def test_posts_need_the_csrf_token_and_names_come_from_the_session(client: TestClient, engine: Engine) -> None:
    shown = form(client.get("/screen").text)
    refused = client.post("/screen/decide", data={**shown, "csrf": "forged", "action": "i", "reviewer": "mallory"})
    assert refused.status_code == 403
    assert client.post("/screen/decide", data={**shown, "action": "i", "reviewer": "mallory"}).status_code == 303
    assert {who for _, who in decisions(engine)} == {"alice"}
    bad = client.post("/screen/decide", data={**shown, "action": "z"})
    assert bad.status_code == 400 and "unknown screening action" in bad.text
    assert client.get("/screen?order=sideways").status_code == 400


def test_hostile_record_text_shows_as_text(client: TestClient, engine: Engine, corpus: Corpus) -> None:
    with Session(engine) as s:
        aid = s.scalars(select(Article.id).where(Article.pmid == corpus.hostile_pmid)).one()
    page = client.get(f"/screen?record={aid}").text
    assert HOSTILE_TITLE not in page and str(escape(HOSTILE_TITLE)) in page
    assert "<img src=y" not in page and "<b onmouseover" not in page
