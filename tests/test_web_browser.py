"""Real-browser tests: Playwright driving Debian's Chromium against a running workspace.

They need Chromium at /usr/bin/chromium (``apt-get install chromium``; ``.ci/run`` installs it)
or at ``PDACMINE_CHROMIUM``. Without it they fail and say so: they are never skipped.
Screenshots of every view are taken on the way; with ``PDACMINE_SCREENSHOTS=1`` they are
written to ``docs/`` (the README shows them), otherwise to a temporary directory.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pdacmine.db import make_engine
from pdacmine.models import Evidence, ReviewAudit, ReviewDecision, ScreeningDecision
from pdacmine.web import create_app
from tests.web_data import Corpus, populate

CHROMIUM = os.environ.get("PDACMINE_CHROMIUM", "/usr/bin/chromium")
DOCS = Path(__file__).parents[1] / "docs"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
                    "(or set PDACMINE_CHROMIUM to its path); never `playwright install`")  # fmt: skip
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Server:
    """The workspace on a free local port, served by uvicorn in a thread."""

    def __init__(self, engine: Engine) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        app = create_app(engine, secret="b" * 48, default_reviewer="alice", allowed_hosts=["127.0.0.1"])
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


@pytest.fixture
def site(tmp_path: Path, _sqlite_template: Path) -> Iterator[tuple[Server, Engine, Corpus]]:
    path = tmp_path / "browser.db"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    corpus = populate(engine, more=60, query_name="pdac-metastasis")
    with Server(engine) as server:
        yield server, engine, corpus
    engine.dispose()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    if os.environ.get("PDACMINE_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        return DOCS
    return tmp_path


def _page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 860}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def test_map_cell_click_opens_its_findings_and_filters_work(browser: Any, site: Any, shots: Path) -> None:
    server, _, _ = site
    page = _page(browser)
    page.goto(server.url + "/")
    page.wait_for_selector("#chart-organ-stage[data-ready='1'] g.mark-rect path")
    page.wait_for_selector("#chart-years[data-ready='1']")
    page.screenshot(path=str(shots / "web-map.png"), full_page=True)
    page.locator("#chart-organ-stage g.mark-rect path").first.click()
    page.wait_for_url("**/findings?organ=*&stage=*")
    assert page.locator("table.findings tbody tr").count() >= 1
    page.goto(server.url + "/findings")
    page.fill("input[name=organ]", "hepatic")
    page.press("input[name=organ]", "Enter")
    page.wait_for_url("**/findings?*organ=hepatic*")
    assert "hepatic → liver" in page.inner_text(".resolved")
    organs = page.locator("table.findings tbody tr td:nth-child(7)").all_inner_texts()
    assert organs and set(organs) == {"liver"}
    page.screenshot(path=str(shots / "web-findings.png"), full_page=True)
    page.locator("table.findings tbody tr td:nth-child(5) a").first.click()
    page.wait_for_url("**/findings/*")
    assert page.locator("ol.evidence mark.f-MECHANISM").count() >= 1
    page.screenshot(path=str(shots / "web-finding.png"), full_page=True)
    page.context.close()


def test_review_three_items_with_the_keyboard(browser: Any, site: Any, shots: Path) -> None:
    server, engine, _ = site
    page = _page(browser)
    page.goto(server.url + "/review")
    page.fill("#reviewer-input", "Dr Keys")
    page.press("#reviewer-input", "Enter")
    page.wait_for_selector("text=Reviewing as")
    assert page.inner_text("#reviewer-name") == "Dr Keys"
    page.screenshot(path=str(shots / "web-review.png"), full_page=True)
    keys = []
    for key in ("a", "r"):
        keys.append(page.get_attribute("#item", "data-key"))
        with page.expect_navigation():
            page.keyboard.press(key)
    keys.append(page.get_attribute("#item", "data-key"))
    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "slot"
    page.select_option("#slot", "organ")
    page.keyboard.press("Enter")  # moves on to the concept field
    page.keyboard.type("pulm")
    page.wait_for_selector("#concept-list option[value='lung']", state="attached")
    page.fill("#concept", "lung")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "(corrected)" in page.inner_text("table.slots")
    with Session(engine) as s:
        rows = {r.evidence_key: r for r in s.scalars(select(ReviewDecision))}
    assert [rows[k].status for k in keys] == ["accepted", "rejected", "accepted"]
    assert rows[keys[2]].corrections == {"organ": "lung"}
    assert {r.reviewer for r in rows.values()} == {"Dr Keys"}
    page.goto(server.url + "/audit")
    assert page.locator("table.audit tbody tr").count() == 3
    page.screenshot(path=str(shots / "web-audit.png"), full_page=True)
    page.context.close()


def test_stale_view_from_a_second_browser_is_refused(browser: Any, site: Any) -> None:
    server, engine, _ = site
    first, second = _page(browser), _page(browser)
    first.goto(server.url + "/review")
    second.goto(server.url + "/review")
    key = first.get_attribute("#item", "data-key")
    assert second.get_attribute("#item", "data-key") == key
    with first.expect_navigation():
        first.keyboard.press("a")
    with second.expect_navigation():
        second.keyboard.press("r")
    assert "Not saved" in second.inner_text("#message")
    assert second.inner_text("#status") == "accepted"
    with Session(engine) as s:
        decision = s.get(ReviewDecision, key)
        assert decision is not None and decision.status == "accepted"
        assert s.scalar(select(ReviewAudit.action).where(ReviewAudit.evidence_key == key)) == "accept"
    first.context.close()
    second.context.close()


def test_download_csv_and_open_it(browser: Any, site: Any, shots: Path, tmp_path: Path) -> None:
    server, engine, _ = site
    page = _page(browser)
    page.goto(server.url + "/exports?organ=liver")
    page.screenshot(path=str(shots / "web-exports.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#dl-evidence-csv")
    target = tmp_path / "evidence.csv"
    info.value.save_as(target)
    with open(target, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with Session(engine) as s:
        n_liver = len(list(s.scalars(select(Evidence.id).where(Evidence.organ == "liver"))))
    assert len(rows) == n_liver and {r["metastatic_site"] for r in rows} == {"liver"}
    page.goto(server.url + "/searches")
    page.wait_for_function("document.querySelector('figure.prisma img').naturalWidth > 0")
    page.screenshot(path=str(shots / "web-searches.png"), full_page=True)
    page.context.close()


def test_hostile_title_shows_as_text_and_runs_nothing(browser: Any, site: Any) -> None:
    server, _, corpus = site
    page = _page(browser)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.url + f"/review?pmid={corpus.hostile_pmid}")
    assert "<script>window.__pwned = 1</script>" in page.inner_text("#article-title")
    assert 'onerror="window.__pwned = 2"' in page.inner_text("#article-title")
    assert "<img src=y onerror=alert(1)>" in page.inner_text("#sentence")
    page.hover("#abstract")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#item img").count() == 0 and not dialogs
    page.context.close()


def test_screen_three_records_with_the_keyboard(browser: Any, site: Any, shots: Path) -> None:
    server, engine, _ = site
    page = _page(browser)
    page.goto(server.url + "/screen")
    page.fill("#reviewer-input", "Dr Screen")
    page.press("#reviewer-input", "Enter")
    page.wait_for_selector("text=Screening as")
    assert page.inner_text("#reviewer-name") == "Dr Screen"
    assert page.locator("#record mark").count() >= 1  # pdacmine's evidence, entities tagged
    page.screenshot(path=str(shots / "web-screening.png"), full_page=True)
    records = []
    for keys in (["i"], ["e", "2"], ["m"]):
        records.append(int(page.get_attribute("#record", "data-record") or 0))
        with page.expect_navigation():
            for key in keys:
                page.keyboard.press(key)
        if keys[0] == "e":
            assert page.locator("#reason-hint").count() == 1
    assert "3 decided by you" in page.inner_text("#screen-progress")
    with Session(engine) as s:
        rows = {d.article_id: d for d in s.scalars(select(ScreeningDecision))}
    assert {a: (rows[a].decision, rows[a].reason, rows[a].reviewer) for a in records} == {
        records[0]: ("include", None, "Dr Screen"),
        records[1]: ("exclude", "no-metastasis", "Dr Screen"),
        records[2]: ("maybe", None, "Dr Screen"),
    }
    with page.expect_navigation():
        page.keyboard.press("u")
    assert page.get_attribute("#record", "data-record") == str(records[2])
    with Session(engine) as s:
        assert set(s.scalars(select(ScreeningDecision.article_id))) == set(records[:2])
    page.context.close()
