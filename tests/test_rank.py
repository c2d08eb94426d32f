"""Finding scores: each weight term moves the score the right way; refresh keeps findings current."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from pdacmine.db.findings import refresh_findings
from pdacmine.errors import ConfigError
from pdacmine.miner.rank import (
    WEIGHTS_PATH,
    EvidenceInput,
    load_weights,
    mesh_organs,
    parse_weights,
    score_finding,
    user_weights_path,
)
from pdacmine.models import Evidence, Finding
from tests.builders import add_article, add_evidence, decide, secondary

RunCli = Callable[..., Result]

YEAR = 2025
W = load_weights()


def ev(n: int = 1, **kw: Any) -> EvidenceInput:
    base: dict[str, Any] = {
        "evidence_id": n,
        "article_id": n,
        "pmid": str(n),
        "year": 2024,
        "study_type": "animal",
        "confidence": 0.8,
        "hedged": False,
        "negated": False,
        "polarity": "promotes",
        "status": None,
    }
    base.update(kw)
    return EvidenceInput(**base)


def score(*records: EvidenceInput) -> float:
    return score_finding(records, W, YEAR).score


# --- the pure function ---------------------------------------------------------------------------


def test_more_distinct_papers_score_higher_but_one_paper_counts_once() -> None:
    one = score(ev(1))
    assert score(ev(1), ev(2)) > one
    same_paper = score(ev(1), ev(2, article_id=1, pmid="1"))
    assert same_paper == pytest.approx(one)


def test_study_type_order_clinical_to_review() -> None:
    values = [score(ev(study_type=t)) for t in ("clinical", "human-tissue", "animal", "in-vitro", "review")]
    assert values == sorted(values, reverse=True) and len(set(values)) == 5


def test_recency_confidence_and_hedging() -> None:
    assert score(ev(year=2024)) > score(ev(year=1995)) > 0
    assert score(ev(year=None)) == pytest.approx(score(ev(year=1900)), rel=1e-3)  # unknown year: the floor
    assert score(ev(confidence=0.9)) > score(ev(confidence=0.3))
    assert score(ev(hedged=False)) > score(ev(hedged=True))


def test_contradicting_evidence_lowers_the_score() -> None:
    base = score(ev(1), ev(2))
    assert score(ev(1), ev(2), ev(3, negated=True)) < base
    opposite = score_finding([ev(1), ev(2), ev(3, polarity="suppresses")], W, YEAR)
    assert opposite.direction == "promotes" and opposite.n_contradicting == 1 and opposite.score < base
    # associated sentences support whichever direction wins
    assert score(ev(1), ev(2), ev(3, polarity="associated")) > base


def test_direction_follows_the_weightier_side() -> None:
    s = score_finding([ev(1, polarity="suppresses"), ev(2, polarity="suppresses"), ev(3)], W, YEAR)
    assert s.direction == "suppresses" and s.n_papers == 2 and s.n_contradicting == 1


def test_mesh_corroboration_raises_the_score() -> None:
    assert score(ev(mesh_corroborated=True)) > score(ev(mesh_corroborated=False))


def test_reviewer_decisions_override_the_machine() -> None:
    weak = ev(1, confidence=0.3, hedged=True)
    assert score(weak._replace(status="rejected")) == 0
    accepted = score_finding([weak._replace(status="accepted")], W, YEAR, explain=True)
    assert accepted.terms[0].confidence == 1.0 and accepted.terms[0].hedge == 1.0
    assert accepted.score == pytest.approx(score(ev(1, confidence=1.0)))
    counts = score_finding([weak._replace(status="rejected"), ev(2, status="accepted"), ev(3)], W, YEAR)
    assert (counts.n_rejected, counts.n_accepted, counts.n_unreviewed, counts.n_papers) == (1, 1, 1, 2)


def test_retracted_papers_count_for_nothing_by_default() -> None:
    assert score(ev(retracted=True)) == 0


def test_score_does_not_depend_on_row_order() -> None:
    rows = [ev(i, year=1990 + i, confidence=0.1 * i) for i in range(1, 9)]
    assert score_finding(rows, W, YEAR).score == score_finding(rows[::-1], W, YEAR).score


def test_mesh_organs_reads_secondary_and_lymphatic_metastasis() -> None:
    mesh = [
        secondary("D008113", "Liver Neoplasms"),
        {"ui": "D008175", "name": "Lung Neoplasms", "qualifiers": [{"ui": "Q000473", "name": "pathology"}]},
        {"ui": "D008207", "name": "Lymphatic Metastasis", "qualifiers": []},
    ]
    assert mesh_organs(mesh) == {"liver", "lymph-node"}
    assert mesh_organs(None) == frozenset()


def test_weights_file_is_validated(tmp_path: Path) -> None:
    raw = json.loads(WEIGHTS_PATH.read_text())
    assert parse_weights(raw).study_type["clinical"] == 1.0
    assert parse_weights({**raw, "about": "reworded"}).digest == parse_weights(raw).digest  # only weights count
    raw["hedged"] = 3
    with pytest.raises(ConfigError, match="hedged"):
        parse_weights(raw)
    del raw["study_type"]["review"]
    with pytest.raises(ConfigError, match="study_type"):
        parse_weights(raw)
    bad = tmp_path / "w.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read"):
        load_weights(bad)


def test_a_user_weights_file_overrides_the_weights_it_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_weights() == W and user_weights_path() == tmp_path / "pdacmine" / "rank_weights.json"
    user_weights_path().parent.mkdir(parents=True)
    user_weights_path().write_text('{"hedged": 0.5, "study_type": {"review": 0.1}, "recency": {"floor": 0.2}}')
    mine = load_weights()
    assert (mine.hedged, mine.study_type["review"], mine.recency_floor) == (0.5, 0.1, 0.2)
    assert mine.study_type["clinical"] == W.study_type["clinical"] and mine.half_life_years == W.half_life_years
    assert mine.source == str(user_weights_path()) and mine.digest != W.digest
    other = tmp_path / "elsewhere.json"
    other.write_text('{"contradiction": 2}')
    monkeypatch.setenv("PDACMINE_WEIGHTS", str(other))
    assert load_weights().contradiction == 2.0 and load_weights().hedged == W.hedged


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"hedgd": 0.5}', "unknown weight(s) hedgd; known:"),
        ('{"study_type": {"invitro": 1}}', "unknown weight(s) study_type.invitro"),
        ('{"hedged": 2}', "'hedged' = 2 is outside 0.0..1.0"),
        ('{"hedged": "high"}', "'hedged' must be a number"),
        ('{"recency": 10}', "'recency' must be an object"),
        ('{"version": "two"}', "'version' must be a whole number"),
        ("[1, 2]", "must be a JSON object"),
        ("{oops", "cannot read ranking weights"),
    ],
)
def test_a_bad_user_weights_file_is_one_line(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    path = tmp_path / "w.json"
    path.write_text(text)
    monkeypatch.setenv("PDACMINE_WEIGHTS", str(path))
    result = run_cli("rank")
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [result.stderr.strip()] and message in result.stderr, result.stderr
    monkeypatch.setenv("PDACMINE_WEIGHTS", str(tmp_path / "missing.json"))
    missing = run_cli("rank")
    assert missing.exit_code == 3 and "PDACMINE_WEIGHTS names" in missing.stderr


def test_rank_uses_the_user_weights_and_explain_names_them(
    run_cli: RunCli, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(engine) as s:
        art = add_article(s, "700", year=2020)
        add_evidence(s, art, mechanism="zeb1", organ="lung", study_type="animal", confidence=1.0)
        s.commit()
    assert run_cli("rank").exit_code == 0
    before = json.loads(run_cli("rank", "--explain", "zeb1|-|lung|-", "--format", "json").stdout)
    path = tmp_path / "w.json"
    path.write_text('{"study_type": {"animal": 0.3}}')
    monkeypatch.setenv("PDACMINE_WEIGHTS", str(path))
    assert run_cli("rank").exit_code == 0
    after = json.loads(run_cli("rank", "--explain", "zeb1|-|lung|-", "--format", "json").stdout)
    assert after["score"]["score"] == pytest.approx(before["score"]["score"] / 2)
    assert f"weights ({path} v1)" in run_cli("rank", "--explain", "zeb1|-|lung|-").stdout


# --- refresh against the database -----------------------------------------------------------------


def _snapshot(engine: Engine) -> tuple[dict[str, tuple[Any, ...]], dict[str, str | None]]:
    with Session(engine) as s:
        findings = {
            f.finding_key: (
                round(f.score, 9), f.n_papers, f.n_evidence, f.n_contradicting, f.n_accepted, f.n_rejected,
                f.n_unreviewed, f.first_year, f.last_year, f.mechanism_category, f.therapy_class,
            )
            for f in s.scalars(select(Finding))
        }  # fmt: skip
        keys = {f.id: f.finding_key for f in s.scalars(select(Finding))}
        links = {e.evidence_key: keys.get(e.finding_id) if e.finding_id else None for e in s.scalars(select(Evidence))}
    return findings, links


def _corpus(s: Session) -> dict[str, Any]:
    a1 = add_article(s, "1", year=2021, mesh=[secondary("D008113", "Liver Neoplasms")])
    a2 = add_article(s, "2", year=2010)
    a3 = add_article(s, "3", year=2019)
    e1 = add_evidence(s, a1, organ="liver", study_type="clinical")
    e2 = add_evidence(s, a2, organ="liver", confidence=0.4, hedged=True)
    e3 = add_evidence(s, a3, organ="liver", negated=True)
    e4 = add_evidence(s, a3, mechanism="granulin", category="myeloid-immunosuppression", organ="lung")
    e5 = add_evidence(
        s, a2, mechanism=None, category=None, organ="liver", therapy="gemcitabine", therapy_class="chemotherapy"
    )
    return {"a": (a1, a2, a3), "e": (e1, e2, e3, e4, e5)}


def _finding(s: Session, key: str) -> Finding:
    return s.scalars(select(Finding).where(Finding.finding_key == key)).one()


def test_full_refresh_builds_findings_and_links_evidence(engine: Engine) -> None:
    with Session(engine) as s:
        _corpus(s)
        assert refresh_findings(s, reference_year=YEAR) == 3
        s.commit()
        liver = _finding(s, "zeb1|-|liver|-")
        assert (liver.n_papers, liver.n_contradicting, liver.n_evidence) == (2, 1, 3)
        assert liver.mechanism_category == "emt-plasticity" and liver.score > 0
        assert liver.score_detail["direction"] == "promotes" and liver.score_detail["top_pmids"][0] == "1"
        assert _finding(s, "-|-|liver|gemcitabine").therapy_class == "chemotherapy"
        assert all(e.finding_id is not None for e in s.scalars(select(Evidence)))
        # idempotent
        before = _snapshot(engine)
        refresh_findings(s, reference_year=YEAR)
        s.commit()
    assert _snapshot(engine) == before


def test_mesh_corroboration_in_the_database(engine: Engine) -> None:
    with Session(engine) as s:
        plain = add_evidence(s, add_article(s, "10", year=2020), organ="lung", mechanism="x")
        indexed = add_article(s, "11", year=2020, mesh=[secondary("D008175", "Lung Neoplasms")])
        add_evidence(s, indexed, organ="lung", mechanism="y")
        refresh_findings(s, reference_year=YEAR)
        assert _finding(s, "y|-|lung|-").score > _finding(s, "x|-|lung|-").score
        assert plain.finding_id is not None


def test_explain_reads_the_mesh_of_the_organ_each_sentence_has(engine: Engine) -> None:
    """A finding's explanation reads its own organ's MeSH only, but a sentence corrected to another organ since
    the last ranking is weighed with that organ's (as the next ranking will)."""
    from pdacmine.db.finding_lookup import explain_finding, get_finding

    with Session(engine) as s:
        liver = add_article(s, "12", year=2020, mesh=[secondary("D008113", "Liver Neoplasms")])
        lung = add_article(s, "13", year=2020, mesh=[secondary("D008175", "Lung Neoplasms")])
        add_evidence(s, liver, organ="liver", mechanism="z")
        moved = add_evidence(s, lung, organ="liver", mechanism="z")
        refresh_findings(s, reference_year=YEAR)
        found = get_finding(s, "z|-|liver|-")
        mesh = {t.pmid: t.mesh for t in explain_finding(s, found, reference_year=YEAR).score.terms}
        assert mesh["12"] > 1.0 and mesh["13"] == 1.0
        decide(s, moved, "accepted", {"organ": "lung"})  # not ranked again yet: still linked to the liver finding
        s.flush()
        mesh = {t.pmid: t.mesh for t in explain_finding(s, found, reference_year=YEAR).score.terms}
        assert mesh["12"] > 1.0 and mesh["13"] > 1.0


def test_decisions_and_corrections_move_scores(engine: Engine) -> None:
    with Session(engine) as s:
        c = _corpus(s)
        refresh_findings(s, reference_year=YEAR)
        liver = _finding(s, "zeb1|-|liver|-")
        before = liver.score
        e1, e2, _e3, e4, _ = c["e"]
        decide(s, e2, "accepted")
        refresh_findings(s, [e2.article_id], reference_year=YEAR)
        s.refresh(liver)
        assert liver.score > before and liver.n_accepted == 1
        decide(s, e1, "rejected")
        refresh_findings(s, [e1.article_id], reference_year=YEAR)
        s.refresh(liver)
        assert liver.n_papers == 1 and liver.n_rejected == 1
        # a correction moves the evidence to another finding; the old one loses it
        decide(s, e4, "accepted", {"organ": "liver", "mechanism_key": "zeb1", "mechanism_category": "emt-plasticity"})
        refresh_findings(s, [e4.article_id], reference_year=YEAR)
        s.refresh(liver)
        assert liver.n_evidence == 4
        assert s.scalars(select(Finding).where(Finding.finding_key == "granulin|-|lung|-")).first() is None
        s.refresh(e4)
        assert e4.finding_id == liver.id


def test_incremental_refresh_equals_full_refresh(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as s:
        c = _corpus(s)
        refresh_findings(s, reference_year=YEAR)
        a1, a2, _a3 = c["a"]
        e1, e2, _e3, e4, e5 = c["e"]
        withdrawn_key = e1.evidence_key
        # new evidence, a decision, a correction, a re-extraction that deletes a row, a withdrawn article
        a4 = add_article(s, "4", year=2024)
        add_evidence(s, a4, organ="liver", study_type="in-vitro")
        decide(s, e2, "rejected")
        decide(s, e5, "accepted", {"therapy_key": "nab-paclitaxel", "therapy_class": "chemotherapy"})
        s.execute(delete(Evidence).where(Evidence.id == e4.id))
        a1.deleted = True
        s.flush()
        refresh_findings(s, [a4.id, a2.id, a1.id], reference_year=YEAR)
        s.commit()
    incremental = _snapshot(engine)
    with Session(engine) as s:
        refresh_findings(s, reference_year=YEAR)
        s.commit()
    full = _snapshot(engine)
    assert incremental == full
    assert "granulin|-|lung|-" not in full[0]  # lost its only evidence
    assert "-|-|liver|nab-paclitaxel" in full[0] and "-|-|liver|gemcitabine" not in full[0]
    assert full[1][withdrawn_key] is None  # withdrawn article: unlinked


def test_incremental_refresh_with_no_articles_is_a_no_op(engine: Engine) -> None:
    with Session(engine) as s:
        _corpus(s)
        refresh_findings(s, reference_year=YEAR)
        assert refresh_findings(s, [], reference_year=YEAR) == 0


# --- the rank command ------------------------------------------------------------------------------


def test_rank_command_and_explain(engine: Engine, run_cli: Any) -> None:
    with Session(engine) as s:
        c = _corpus(s)
        decide(s, c["e"][1], "accepted")
        s.commit()
    result = run_cli("rank")
    assert result.exit_code == 0 and result.stdout.startswith("ranked 3 findings (3 new, changed or removed)")
    text = run_cli("rank", "--explain", "zeb1|-|liver|-")
    assert text.exit_code == 0, text.stderr
    out = text.stdout
    assert "direction promotes" in out and "2 supporting paper(s), 1 contradicting" in out
    assert "study type x confidence x hedging x recency x MeSH x retraction" in out
    assert "* accepted by a reviewer" in out and "hedged x0.6" in out and "MeSH corroboration +0.5" in out
    pmid1 = next(line for line in out.splitlines() if line.strip().startswith("1 "))
    assert pmid1.split()[2:4] == ["support", "clinical"] and pmid1.split()[-3] == "1.50"  # MeSH-corroborated
    doc = json.loads(run_cli("rank", "--explain", "zeb1|-|liver|-", "--format", "json").stdout)
    with Session(engine) as s:
        stored = _finding(s, "zeb1|-|liver|-")
        assert doc["score"]["score"] == pytest.approx(stored.score)
        assert str(stored.id) in run_cli("rank", "--explain", str(stored.id)).stdout
    assert {p["role"] for p in doc["papers"]} == {"support", "contradict"}
    assert doc["weights"]["study_type"]["clinical"] == 1.0
    missing = run_cli("rank", "--explain", "zeb1|-|livr|-")
    assert missing.exit_code == 3 and "did you mean zeb1|-|liver|-" in missing.stderr
