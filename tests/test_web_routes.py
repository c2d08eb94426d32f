"""The browser workspace, route by route (Starlette's test client; SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import pytest
from markupsafe import escape
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from pdacmine.db.filters import resolve_filters
from pdacmine.db.query import EVIDENCE_COLUMNS
from pdacmine.errors import InputError
from pdacmine.models import Evidence, Finding, ReviewAudit, ReviewDecision
from pdacmine.web import create_app
from tests.web_data import ROWS, Corpus, populate

SECRET = "s" * 48


@pytest.fixture
def corpus(engine: Engine) -> Corpus:
    return populate(engine)


@pytest.fixture
def client(engine: Engine, corpus: Corpus) -> Iterator[TestClient]:
    with TestClient(create_app(engine, secret=SECRET, default_reviewer="alice"), follow_redirects=False) as c:
        yield c


def csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "the page has no CSRF field"
    return match.group(1)


def item_form(page: str) -> dict[str, str]:
    """The hidden fields of the review item shown on ``page``."""
    key = re.search(r'name="key" value="([0-9a-f]+)"', page)
    rev = re.search(r'name="revision" value="(\d+)"', page)
    assert key and rev, "no review item on the page"
    return {"csrf": csrf(page), "key": key.group(1), "revision": rev.group(1)}


def spec(page: str, ident: str) -> dict[str, object]:
    match = re.search(rf'<script type="application/json" id="spec-{ident}">(.*?)</script>', page, re.S)
    assert match
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def cli_message(engine: Engine, **typed: object) -> str:
    """The one line ``query`` prints for these filter values."""
    with Session(engine) as session, pytest.raises(InputError) as info:
        resolve_filters(session, **typed)  # type: ignore[arg-type]
    return str(info.value)


# --- the evidence map --------------------------------------------------------------------------


def test_map_cells_sum_scores_and_link_to_their_findings(client: TestClient, engine: Engine) -> None:
    page = client.get("/").text
    values = spec(page, "organ-stage")["data"]["values"]  # type: ignore[index]
    cell = next(v for v in values if v["row"] == "liver" and v["col"] == "colonization")
    with Session(engine) as s:
        expected = s.scalar(select(func.sum(Finding.score)).where(Finding.organ == "liver",
                                                                 Finding.stage == "colonization"))  # fmt: skip
    assert cell["score"] == pytest.approx(expected, abs=1e-3)
    assert cell["url"] == "/findings?organ=liver&stage=colonization"
    findings = client.get(cell["url"]).text
    assert "zeb1" in findings and "cxcl12" not in findings
    therapy = spec(page, "therapy-organ")["data"]["values"]  # type: ignore[index]
    assert {(v["row"], v["col"]) for v in therapy} == {("chemotherapy", "peritoneum"), ("chemotherapy", "liver")}


def test_map_keeps_filters_and_toggles_to_paper_counts(client: TestClient) -> None:
    page = client.get("/", params={"organ": "pulmonary", "measure": "papers"}).text
    values = spec(page, "organ-stage")["data"]["values"]  # type: ignore[index]
    assert {v["row"] for v in values} == {"lung"}
    assert spec(page, "organ-stage")["encoding"]["color"]["field"] == "papers"  # type: ignore[index]
    assert all(v["url"].startswith("/findings?organ=lung&stage=") for v in values)
    years = client.get("/api/map-charts", params={"organ": "pulmonary"}).json()["years"]["data"]["values"]
    assert {(v["year"], v["organ"]) for v in years} == {(2018, "lung"), (2022, "lung")}
    assert "pulmonary → lung" in page


def test_map_year_and_study_charts_count_evidence(client: TestClient, corpus: Corpus) -> None:
    assert 'data-src="/api/map-charts?organ=lung"' in client.get("/", params={"organ": "lung"}).text
    charts = client.get("/api/map-charts").json()
    studies = {v["study_type"]: v["evidence"] for v in charts["studies"]["data"]["values"]}
    assert sum(studies.values()) == corpus.n_evidence
    assert studies["clinical"] == sum(1 for row in ROWS if row[2] == "clinical")


def test_bad_parameters_are_400_with_the_cli_message(client: TestClient, engine: Engine) -> None:
    message = cli_message(engine, organ=["livr"])
    for path in ("/", "/api/map-charts", "/findings", "/review", "/exports", "/export/evidence"):
        r = client.get(path, params={"organ": "livr"})
        assert r.status_code == 400, path
        assert escape(message) in r.text
    assert "did you mean liver" in message
    for params in ({"page": "two"}, {"min_papers": "many"}, {"sort": "colour"}, {"since": "2020-13"}):
        assert client.get("/findings", params=params).status_code == 400, params
    bad_date = client.get("/findings", params={"since": "2020-13"}).text
    assert escape(cli_message(engine, since="2020-13")) in bad_date
    assert client.get("/", params={"measure": "mass"}).status_code == 400


# --- findings and one finding ------------------------------------------------------------------


def test_findings_filter_sort_page_and_status_counts(client: TestClient, engine: Engine) -> None:
    page = client.get("/findings", params={"organ": "hepatic"}).text
    assert "hepatic → liver" in page
    assert "granulin" in page and "cxcl12" not in page
    with Session(engine) as s:
        n_liver = s.scalar(select(func.count()).select_from(Finding).where(Finding.organ == "liver"))
    assert f"of {n_liver}" in page
    first = client.get("/findings", params={"per": "1", "sort": "papers"}).text
    second = client.get("/findings", params={"per": "1", "sort": "papers", "page": "2"}).text
    top = re.findall(r'href="/findings/(\d+)"', first)
    assert top and top[0] not in re.findall(r'href="/findings/(\d+)"', second)
    assert 'rel="next"' in first and 'rel="prev"' in second
    with Session(engine) as s:
        zeb = s.scalars(select(Finding).where(Finding.finding_key.startswith("zeb1|colonization|liver"))).one()
    row = client.get("/findings", params={"mechanism": "ZEB1"}).text
    assert f'<span class="acc">{zeb.n_accepted}</span>/<span class="rej">{zeb.n_rejected}</span>/' \
           f'<span class="new">{zeb.n_unreviewed}</span>' in row  # fmt: skip


def test_finding_page_explains_the_score_and_marks_contradictions(client: TestClient, engine: Engine) -> None:
    with Session(engine) as s:
        zeb = s.scalars(select(Finding).where(Finding.finding_key.startswith("zeb1|colonization|liver"))).one()
    page = client.get(f"/findings/{zeb.id}").text
    assert f"score {zeb.score:.4f}" in page  # the explain text, as rank --explain prints it
    assert "paper value = study type x confidence" in page
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/900002/"' in page
    assert '<mark class="f-MECHANISM" title="mechanism: zeb1">ZEB1</mark>' in page
    # 900003 says "suppresses" against a "promotes" finding: marked as contradicting
    items = re.findall(r'<li class="([^"]*)">(.*?)</li>', page, re.S)
    contra = [body for cls, body in items if "contradicting" in cls]
    assert len(contra) == 1 and "900003" in contra[0]
    assert client.get(f"/findings/{zeb.finding_key}").status_code == 200
    missing = client.get("/findings/987654")
    assert missing.status_code == 404 and "no finding" in missing.text


def test_finding_pages_its_papers_and_evidence_with_the_same_explanation(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pdacmine.web.views import explore

    with Session(engine) as s:
        zeb = s.scalars(select(Finding).where(Finding.finding_key.startswith("zeb1|colonization|liver"))).one()
    whole = client.get(f"/findings/{zeb.id}").text
    monkeypatch.setattr(explore, "PAPERS_PER_PAGE", 1)
    monkeypatch.setattr(explore, "EVIDENCE_PER_PAGE", 1)
    pages = [client.get(f"/findings/{zeb.id}", params={"papers_page": n, "evidence_page": n}).text for n in (1, 2)]

    def explain(page: str) -> str:
        match = re.search(r'<pre class="explain">(.*?)</pre>', page, re.S)
        assert match
        return match.group(1)

    def papers(page: str) -> list[str]:
        table = page.split('<table class="papers">', 1)[1].split("</table>", 1)[0]
        return re.findall(r"pubmed.ncbi.nlm.nih.gov/(\d+)/", table)

    def sentences(page: str) -> list[str]:
        return re.findall(r'<li class="[^"]*">', page)

    assert explain(pages[0]) == explain(pages[1]) == explain(whole)
    assert len(papers(pages[0])) == len(papers(pages[1])) == 1 and papers(pages[0]) != papers(pages[1])
    assert papers(pages[0]) + papers(pages[1]) == papers(whole)[:2]  # ranked by value, as on one page
    assert len(sentences(pages[0])) == 1 and zeb.n_evidence > 1
    assert 'rel="next"' in pages[0] and "papers_page=2" in pages[0] and 'rel="prev"' in pages[1]
    assert client.get(f"/findings/{zeb.id}", params={"papers_page": "x"}).status_code == 400


def test_abstract_and_user_text_is_escaped(client: TestClient, corpus: Corpus) -> None:
    pages = [client.get("/review", params={"pmid": corpus.hostile_pmid}).text, client.get("/searches").text]
    assert "<b>metastasis</b>" not in client.get("/prisma.svg").text
    with_finding = client.get("/findings", params={"pmid": corpus.hostile_pmid}).text
    ref = re.findall(r'href="/findings/(\d+)"', with_finding)[0]
    pages.append(client.get(f"/findings/{ref}").text)
    for page in pages:
        assert "<script>window.__pwned" not in page
        assert "<img src=x onerror" not in page and "<img src=y onerror" not in page
        assert "<b>metastasis</b>" not in page and 'onmouseover="window' not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in pages[0]
    assert "&lt;b onmouseover=" in pages[0]
    assert "pdac-&lt;b&gt;metastasis&lt;/b&gt;" in pages[1]
    assert "&lt;img src=y onerror=alert(1)&gt;" in pages[2]


# --- review --------------------------------------------------------------------------------------


def _decision(engine: Engine, key: str) -> ReviewDecision | None:
    with Session(engine) as s:
        return s.get(ReviewDecision, key)


def test_review_shows_the_best_item_and_accepts_it_as_the_session_reviewer(client: TestClient, engine: Engine) -> None:
    page = client.get("/review").text
    form = item_form(page)
    assert "0 of" in page and 'id="abstract"' in page
    r = client.post("/reviewer", data={"csrf": form["csrf"], "reviewer": "Dr  Bea", "back": "/review"})
    assert r.status_code == 303
    r = client.post("/review/decide", data={**form, "action": "accept", "reviewer": "mallory"})
    assert r.status_code == 303 and r.headers["location"] == "/review"
    row = _decision(engine, form["key"])
    assert row is not None and row.status == "accepted" and row.reviewer == "Dr Bea"
    nxt = client.get("/review").text
    assert item_form(nxt)["key"] != form["key"] and "1 of" in nxt


def test_post_without_csrf_is_refused_and_changes_nothing(client: TestClient, engine: Engine) -> None:
    form = item_form(client.get("/review").text)
    for token in ("", "forged"):
        r = client.post("/review/decide", data={**form, "csrf": token, "action": "reject"})
        assert r.status_code == 403
    assert _decision(engine, form["key"]) is None
    assert client.post("/review/undo", data={}).status_code == 403


def test_stale_decision_is_refused_with_the_fresh_state(engine: Engine, corpus: Corpus) -> None:
    app = create_app(engine, secret=SECRET, default_reviewer="alice")
    with TestClient(app, follow_redirects=False) as one, TestClient(app, follow_redirects=False) as two:
        seen_by_two = item_form(two.get("/review").text)
        seen_by_one = item_form(one.get("/review").text)
        assert seen_by_one["key"] == seen_by_two["key"]
        two.post("/reviewer", data={"csrf": seen_by_two["csrf"], "reviewer": "bob"})
        assert one.post("/review/decide", data={**seen_by_one, "action": "accept"}).status_code == 303
        r = two.post("/review/decide", data={**seen_by_two, "action": "reject"})
    assert r.status_code == 409
    assert "Not saved" in r.text and "alice made it accepted" in r.text
    assert item_form(r.text)["revision"] == "1"  # the fresh state, ready to decide again
    row = _decision(engine, seen_by_one["key"])
    assert row is not None and row.status == "accepted" and row.reviewer == "alice"


def test_correct_note_skip_and_undo(client: TestClient, engine: Engine) -> None:
    form = item_form(client.get("/review").text)
    bad = client.post("/review/decide", data={**form, "action": "correct", "slot": "organ", "value": "lugn"})
    assert bad.status_code == 400 and "did you mean" in bad.text
    r = client.post("/review/decide", data={**form, "action": "correct", "slot": "organ", "value": "pulmonary"})
    assert r.status_code == 303 and f"key={form['key']}" in r.headers["location"]
    row = _decision(engine, form["key"])
    assert row is not None and row.corrections == {"organ": "lung"} and row.status == "accepted"
    shown = client.get(r.headers["location"]).text
    assert "→ lung (corrected)" in shown
    form = item_form(shown)
    assert client.post("/review/decide", data={**form, "action": "note", "note": "check the figure"}).status_code == 303
    assert _decision(engine, form["key"]).note == "check the figure"  # type: ignore[union-attr]
    nxt = item_form(client.get("/review").text)
    client.post("/review/decide", data={**nxt, "action": "skip"})
    assert item_form(client.get("/review").text)["key"] != nxt["key"]
    r = client.post("/review/undo", data={"csrf": form["csrf"]})
    assert r.status_code == 303 and form["key"] in r.headers["location"]
    assert _decision(engine, form["key"]).note is None  # type: ignore[union-attr]
    with Session(engine) as s:
        actions = list(s.scalars(select(ReviewAudit.action).order_by(ReviewAudit.id)))
    assert actions == ["correct", "note", "undo"]


def test_review_decisions_refresh_the_findings(client: TestClient, engine: Engine) -> None:
    form = item_form(client.get("/review").text)
    client.post("/review/decide", data={**form, "action": "reject"})
    with Session(engine) as s:
        finding_id = s.scalar(select(Evidence.finding_id).where(Evidence.evidence_key == form["key"]))
        assert s.get(Finding, finding_id).n_rejected == 1  # type: ignore[union-attr]


def test_audit_page_lists_decisions_by_reviewer(client: TestClient) -> None:
    form = item_form(client.get("/review").text)
    client.post("/review/decide", data={**form, "action": "accept"})
    page = client.get("/audit", params={"reviewer": "alice"}).text
    assert "accept" in page and form["key"][:12] in page
    assert "No decisions recorded" in client.get("/audit", params={"reviewer": "nobody"}).text


def test_concept_type_ahead(client: TestClient) -> None:
    organs = client.get("/api/concepts", params={"slot": "organ", "q": "liv"}).json()
    assert organs[0]["key"] == "liver"
    assert client.get("/api/concepts", params={"slot": "polarity"}).json()[0]["key"] == "promotes"
    assert client.get("/api/concepts", params={"slot": "colour"}).status_code == 400


# --- searches, PRISMA, exports ---------------------------------------------------------------------


def test_searches_page_and_prisma_downloads(client: TestClient, corpus: Corpus) -> None:
    page = client.get("/searches").text
    assert "pdac-&lt;b&gt;metastasis&lt;/b&gt;" in page and '<img src="/prisma.svg"' in page
    shown = client.get("/prisma.svg")
    assert shown.headers["content-type"].startswith("image/svg+xml") and "content-disposition" not in shown.headers
    svg = client.get("/prisma.svg", params={"download": "1"})
    assert "attachment" in svg.headers["content-disposition"] and svg.text == shown.text
    assert "Records screened" in client.get("/prisma.txt").text
    # nobody has screened yet: every record is awaiting screening, none counts as screened
    assert "Records screened (n = 0)" in svg.text
    assert f"Awaiting screening (n = {len(corpus.pmids)})" in svg.text
    assert "pdac-&lt;b&gt;metastasis&lt;/b&gt;" in svg.text
    assert client.get("/prisma.csv").text.startswith("data,node,box")
    assert json.loads(client.get("/prisma.json").text)["identified_distinct"] == len(corpus.pmids)
    assert client.get("/prisma.png").status_code == 404


def test_exports_stream_the_cli_rows_with_the_current_filters(client: TestClient, engine: Engine) -> None:
    page = client.get("/exports", params={"organ": "liver"}).text
    assert 'href="/export/evidence?organ=liver&amp;format=csv"' in page
    with client.stream("GET", "/export/evidence", params={"organ": "liver", "format": "csv"}) as r:
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        body = "".join(r.iter_text())
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == list(EVIDENCE_COLUMNS)
    assert rows and {r["metastatic_site"] for r in rows} == {"liver"}
    ris = client.get("/export/articles", params={"format": "ris", "pmid": "900005"}).text
    assert ris.startswith("TY  - JOUR") and "900005" in ris
    lines = client.get("/export/findings", params={"format": "jsonl", "organ": "lung"}).text.splitlines()
    assert {json.loads(x)["organ"] for x in lines} == {"lung"}
    assert client.get("/export/evidence", params={"format": "xlsx"}).status_code == 400
    assert client.get("/export/everything").status_code == 404
    assert client.get("/export/searches", params={"format": "csv"}).text.startswith("id,query_name")


# --- robustness and access ---------------------------------------------------------------------------


def test_unreachable_database_is_a_503_page() -> None:
    from pdacmine.db import make_engine

    engine = make_engine("postgresql://nobody@127.0.0.1:9/nothing")
    with TestClient(create_app(engine, secret=SECRET)) as c:
        for path in ("/", "/findings", "/review", "/searches"):
            r = c.get(path)
            assert r.status_code == 503, path
            assert "database does not answer" in r.text and "Traceback" not in r.text


def test_access_token_gate(engine: Engine) -> None:
    app = create_app(engine, secret=SECRET, token="let-me-in")
    with TestClient(app, follow_redirects=False) as c:
        assert c.get("/findings").status_code == 401
        assert c.get("/findings", params={"token": "wrong"}).status_code == 401
        r = c.get("/findings", params={"token": "let-me-in", "organ": "liver"})
        assert r.status_code == 303 and r.headers["location"] == "/findings?organ=liver"
        assert c.get("/findings").status_code == 200  # remembered in the session
    with TestClient(app) as other:
        assert other.get("/findings", headers={"Authorization": "Bearer let-me-in"}).status_code == 200
        assert other.get("/static/app.css").status_code == 401


def test_static_assets_ship_with_their_licences(client: TestClient) -> None:
    for name in ("vega-5.33.1.min.js", "vega-lite-5.23.0.min.js", "vega-embed-6.29.0.min.js",
                 "LICENSE-vega.txt", "LICENSE-vega-lite.txt", "LICENSE-vega-embed.txt"):  # fmt: skip
        assert client.get(f"/static/vendor/{name}").status_code == 200, name
    assert "cdn" not in client.get("/").text.lower()


def test_every_page_answers_on_an_empty_database(engine: Engine) -> None:
    with TestClient(create_app(engine, secret=SECRET)) as c:
        for path in ("/", "/api/map-charts", "/findings", "/review", "/audit", "/searches", "/exports",
                     "/prisma.svg", "/prisma.csv", "/export/evidence?format=csv"):  # fmt: skip
            assert c.get(path).status_code == 200, path
        assert "No findings match" in c.get("/findings").text
        assert "Nothing left to review" in c.get("/review").text
        assert c.get("/export/evidence?format=csv").text.startswith("pmid,doi,year")


@pytest.mark.parametrize(
    "typed",
    [{"since": "2019"}, {"until": "2018", "organ": ["liver"]}, {"study_type": ["clinical"], "since": "2016"},
     {"since": "2016", "status": "all"}, {"text": "ZEB1", "mechanism": ["emt-plasticity"]}],
)  # fmt: skip
def test_map_filter_finds_the_same_findings_as_query(engine: Engine, corpus: Corpus, typed: dict[str, object]) -> None:
    from pdacmine.db.conditions import finding_conditions
    from pdacmine.db.overview import finding_filter

    with Session(engine) as s:
        f = resolve_filters(s, **typed)  # type: ignore[arg-type]
        assert f.has_evidence_terms
        fast = set(s.scalars(select(Finding.id).where(*finding_filter(f))))
        reference = set(s.scalars(select(Finding.id).where(*finding_conditions(f))))
    assert fast == reference and fast


@pytest.mark.parametrize(
    ("key", "url", "label"),
    [
        ("39000001", "https://pubmed.ncbi.nlm.nih.gov/39000001/", "PMID"),
        ("doi:10.1000/x.y(2)", "https://doi.org/10.1000/x.y(2)", "Record"),
        ("doi:10.1000/a b", "https://doi.org/10.1000/a%20b", "Record"),
        ("record:17", None, "Record"),
        (None, None, "Record"),
    ],
)
def test_record_links_follow_the_key(key: str | None, url: str | None, label: str) -> None:
    """A record without a PMID links to its DOI (or nowhere), never to a PubMed page that does not exist."""
    from pdacmine.web.app import record_label, record_url

    assert record_url(key) == url and record_label(key) == label
