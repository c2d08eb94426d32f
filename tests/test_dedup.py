"""Deduplication across sources: matching rules, measured quality, and ``pdacmine dedup`` merge/report/split/confirm."""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import Engine, select

from pdacmine.db.engine import session_scope
from pdacmine.db.sources import duplicates_removed, unique_records
from pdacmine.miner.dedup import DedupRecord, plan_dedup
from pdacmine.miner.sources.records import normalise_doi, normalise_pmcid
from pdacmine.miner.titles import author_key, normalise_title
from pdacmine.models import Article, ArticleExtraction, DedupAudit

DATA = Path(__file__).parent / "data"
RunCli = Callable[..., Result]


def _cases() -> list[dict[str, Any]]:
    lines = (DATA / "dedup_cases.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _record(case: dict[str, Any]) -> DedupRecord:
    return DedupRecord(
        case["id"], case["title"], case.get("year"), case.get("first_author"), case.get("pmid"),
        normalise_doi(case.get("doi")), normalise_pmcid(case.get("pmcid")),
    )  # fmt: skip


def test_precision_and_recall_on_the_invented_test_set() -> None:
    cases = _cases()
    clusters: dict[str, list[int]] = {}
    for c in cases:
        clusters.setdefault(c["cluster"], []).append(c["id"])
    truth = {pair for ids in clusters.values() for pair in combinations(sorted(ids), 2)}
    predicted = plan_dedup([_record(c) for c in cases]).pairs()
    precision = len(predicted & truth) / len(predicted)
    recall = len(predicted & truth) / len(truth)
    assert len(truth) > 300  # the set is big enough for the targets to mean something
    assert precision >= 0.99, f"precision {precision:.3f}"
    assert recall >= 0.95, f"recall {recall:.3f}"
    kinds = {c["id"]: c["kind"] for c in cases}
    for a, b in predicted - truth:  # errata, comments, replies, other years never merge with their study
        assert {kinds[a], kinds[b]}.isdisjoint({"erratum", "comment", "reply", "same title, other year"})


def test_title_and_author_normalisation() -> None:
    assert normalise_title("TGF-&beta; &amp; <i>KRAS</i>: Müller cells.") == normalise_title(
        "TGF-β and KRAS - Muller cells"
    )
    assert normalise_title("TGF-&#946;") == "tgf beta"
    assert author_key("Müller") == author_key("Mueller") == author_key("MULLER") == "muller"
    assert author_key("Łukasiewicz") == "lukasiewicz" and author_key("Strauß") == "strauss"


TITLE = "Hepatic stellate cells prime a pre-metastatic niche for pancreatic cancer in the liver"


def test_rules_on_hand_picked_pairs() -> None:
    records = [
        DedupRecord(1, TITLE, 2020, "Müller", pmid="1", doi="10.5555/a"),
        DedupRecord(2, TITLE.upper(), 2020, "Mueller"),  # fuzzy
        DedupRecord(3, "Something else entirely", 2020, "Roe", doi="10.5555/a"),  # DOI
        DedupRecord(4, TITLE, 2020, "Müller", pmid="2"),  # another PMID: never the same study
        DedupRecord(5, "Erratum: " + TITLE, 2020, "Müller"),
        DedupRecord(6, TITLE, 2020, None),  # no first author: near-duplicate only... unless exact and long
        DedupRecord(7, TITLE.replace("liver", "lung"), 2020, "Müller"),  # sibling study
        DedupRecord(8, TITLE, 2023, "Müller"),  # same title three years later
    ]
    plan = plan_dedup(records)
    assert plan.groups == {1: [1, 2, 3, 6]}
    assert {plan.via[2].method, plan.via[3].method} == {"fuzzy", "doi"}
    near = {(m.a, m.b): m.reason for m in plan.near}
    assert near[(1, 7)] == "titles differ in a word"
    assert all(5 not in pair and 8 not in pair for pair in near)
    apart = plan_dedup(records, kept_apart=[(1, 2)])
    assert 2 not in apart.groups.get(1, []) and (1, 2) not in {(m.a, m.b) for m in apart.near}


def test_existing_merges_keep_their_kept_record() -> None:
    records = [DedupRecord(1, TITLE, 2020, "Doe"), DedupRecord(2, TITLE + ".", 2020, "Doe", pmid="9")]
    assert plan_dedup(records).groups == {2: [2, 1]}  # the record with a PMID is kept
    assert plan_dedup(records, existing={2: 1}).groups == {1: [1, 2]}  # an earlier choice stays


RIS = """TY  - JOUR
DB  - Scopus
T1  - {title}
AU  - {author}
PY  - 2023
{extra}AB  - ZEB1 drives liver metastasis of pancreatic cancer in mice.
ER  - {end}
"""


def _write_ris(path: Path, *records: tuple[str, str, str]) -> Path:
    path.write_text("\n".join(RIS.format(title=t, author=a, extra=e, end=" ") for t, a, e in records), encoding="utf-8")
    return path


def _articles(engine: Engine) -> dict[int, Article]:
    with session_scope(engine) as session:
        out = {a.id: a for a in session.scalars(select(Article))}
        session.expunge_all()
    return out


def test_dedup_command_merges_reports_splits_and_confirms(run_cli: RunCli, engine: Engine, tmp_path: Path) -> None:
    title = "ZEB1 drives liver metastasis of pancreatic cancer in orthotopic mouse models"
    path = _write_ris(
        tmp_path / "scopus.ris",
        (title, "Okafor, A.", "DO  - 10.5555/zeb.1\n"),  # 1
        (title.upper() + ".", "Okafor, Adaeze", ""),  # 2: fuzzy duplicate of 1
        ("ZEB1 in mice", "Roe, B.", "DO  - https://doi.org/10.5555/ZEB.1\n"),  # 3: DOI duplicate of 1
        (title, "", ""),  # 4: no author -> merged only as an exact long title
        (title.replace("liver", "lung"), "Okafor, A.", ""),  # 5: sibling: near-duplicate
    )
    assert run_cli("import", str(path)).exit_code == 0
    assert run_cli("extract").exit_code == 0
    result = run_cli("dedup", "--by", "ana")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "merged 3 record(s) (1 by doi, 2 by fuzzy); 1 group(s) in all"
    arts = _articles(engine)
    assert {i: a.duplicate_of for i, a in arts.items()} == {1: None, 2: 1, 3: 1, 4: 1, 5: None}
    with session_scope(engine) as session:
        extracted = set(session.scalars(select(ArticleExtraction.article_id)))
        audit = [
            (a.actor, a.action, a.article_id, a.canonical_id, a.method) for a in session.scalars(select(DedupAudit))
        ]
        assert unique_records(session) == 2 and duplicates_removed(session) == 3
    assert extracted == {1, 5}  # merged records lose their evidence and are not extracted again
    assert ("ana", "merge", 3, 1, "doi") in audit and len(audit) == 3
    assert run_cli("dedup").stdout.startswith("merged 0 record(s) (nothing new)")  # idempotent

    report = run_cli("dedup", "--report").stdout
    assert "Merged groups: 1" in report and "Near-duplicates: 1" in report and "titles differ in a word" in report

    assert run_cli("dedup", "--split", "2", "--by", "ana", "--note", "a different paper").exit_code == 0
    assert _articles(engine)[2].duplicate_of is None
    assert run_cli("dedup").stdout.startswith("merged 0 record(s)")  # a split is not undone by the next run
    assert run_cli("extract").exit_code == 0
    with session_scope(engine) as session:
        assert 2 in set(session.scalars(select(ArticleExtraction.article_id)))  # split off: extracted again

    confirmed = run_cli("dedup", "--confirm", "1", "5", "--by", "bo")
    assert confirmed.exit_code == 0 and confirmed.stdout == "records 1 and 5: merged\n"
    assert _articles(engine)[5].duplicate_of == 1
    with session_scope(engine) as session:
        actions = [
            (a.actor, a.action, a.article_id) for a in session.scalars(select(DedupAudit).order_by(DedupAudit.id))
        ]
    assert ("ana", "split", 2) in actions and actions[-1] == ("bo", "merge", 5)


def test_dedup_bad_ids_are_one_line_exit_3(run_cli: RunCli, engine: Engine, tmp_path: Path) -> None:
    path = _write_ris(tmp_path / "one.ris", ("A lone record about pancreatic cancer", "Doe, J.", ""))
    assert run_cli("import", str(path)).exit_code == 0
    missing = run_cli("dedup", "--split", "99")
    assert missing.exit_code == 3 and missing.stderr.startswith("pdacmine: error: no record with id 99")
    alone = run_cli("dedup", "--split", "1")
    assert alone.exit_code == 3 and "not merged with any other record" in alone.stderr
    assert run_cli("dedup", "--report", "--split", "1").exit_code == 2


@pytest.mark.parametrize("dry", [True, False])
def test_dry_run_saves_nothing(run_cli: RunCli, engine: Engine, tmp_path: Path, dry: bool) -> None:
    path = _write_ris(tmp_path / "two.ris", (TITLE, "Doe, J.", ""), (TITLE.lower(), "Doe, J.", ""))
    assert run_cli("import", str(path)).exit_code == 0
    args = ["dedup", "--dry-run"] if dry else ["dedup"]
    out = run_cli(*args).stdout
    assert out.startswith("would merge 1" if dry else "merged 1")
    assert (_articles(engine)[2].duplicate_of is None) is dry


def test_dedup_audit_is_append_only(run_cli: RunCli, engine: Engine, tmp_path: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    path = _write_ris(tmp_path / "two.ris", (TITLE, "Doe, J.", ""), (TITLE.lower(), "Doe, J.", ""))
    assert run_cli("import", str(path)).exit_code == 0
    assert run_cli("dedup", "--by", "ana").exit_code == 0
    for sql in ("UPDATE dedup_audit SET actor = 'mallory'", "DELETE FROM dedup_audit"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    with session_scope(engine) as session:
        assert [a.actor for a in session.scalars(select(DedupAudit))] == ["ana"]
