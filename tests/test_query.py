"""pdacmine query: every filter, synonym resolution, levels, formats, paging, and errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pdacmine.cli.query import window
from pdacmine.db.filters import resolve_filters
from pdacmine.db.findings import refresh_findings
from pdacmine.errors import InputError
from pdacmine.miner.export import unguard_cell
from tests.builders import add_article, add_evidence, decide, secondary

RunCli = Callable[..., Result]


@pytest.fixture
def corpus(engine: Engine) -> dict[str, Any]:
    """Five papers, seven evidence sentences, two decisions; findings refreshed."""
    with Session(engine) as s:
        a1 = add_article(s, "101", year=2021, mesh=[secondary("D008113", "Liver Neoplasms")])
        a2 = add_article(s, "102", year=2015)
        a3 = add_article(s, "103", year=2023)
        a4 = add_article(s, "104", year=2019, pub_date=None)
        a5 = add_article(s, "105", year=2019)
        a5.pub_date = a5.pub_date.replace(month=3, day=1)
        zeb = "ZEB1 drives colonization of the liver by tumour cells."
        e1 = add_evidence(
            s,
            a1,
            stage="colonization",
            study_type="clinical",
            sentence=zeb,
            spans=[{"start": 0, "end": 4, "label": "MECHANISM"}, {"start": 34, "end": 39, "label": "ORGAN"}],
        )
        add_evidence(
            s, a3, stage="colonization", study_type="animal", sentence="Zeb1 loss blocked hepatic colonization."
        )
        e2 = add_evidence(
            s,
            a2,
            mechanism="grn",
            category="myeloid-immunosuppression",
            organ="lung",
            sentence="Granulin from macrophages promotes lung metastasis in mice.",
        )
        add_evidence(
            s,
            a3,
            mechanism=None,
            category=None,
            therapy="nab-paclitaxel",
            therapy_class="chemotherapy",
            sentence="Nab-paclitaxel reduced hepatic metastases.",
            study_type="clinical",
        )
        add_evidence(
            s,
            a4,
            mechanism=None,
            category=None,
            organ="peritoneum",
            therapy="gemcitabine-nab-paclitaxel",
            therapy_class="chemotherapy",
            study_type="in-vitro",
            sentence="GnP shrank peritoneal implants.",
        )
        e5 = add_evidence(s, a1, organ="lung", hedged=True, sentence="ZEB1 may also seed the lung.")
        add_evidence(s, a5, mechanism="hif1a", category="hypoxia", organ="bone", sentence="HIF1A in bone metastasis.")
        decide(s, e2, "accepted")
        decide(s, e5, "rejected")
        refresh_findings(s)
        s.commit()
        return {"zeb1": e1.evidence_key}  # fmt: skip


def rows(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def keys(run_cli: RunCli, *args: str) -> set[str]:
    return {r["finding_key"] for r in rows(run_cli("query", "--format", "jsonl", *args))}


def test_no_filter_lists_findings_by_score_and_hides_rejected_only(run_cli: RunCli, corpus: dict[str, Any]) -> None:
    found = rows(run_cli("query", "--format", "jsonl"))
    assert [r["rank"] for r in found] == list(range(1, len(found) + 1))
    assert [r["score"] for r in found] == sorted((r["score"] for r in found), reverse=True)
    assert found[0]["finding_key"] == "zeb1|colonization|liver|-"
    assert "zeb1|-|lung|-" not in {r["finding_key"] for r in found}  # its only evidence was rejected


def test_facets_are_synonym_aware_and_case_insensitive(run_cli: RunCli, corpus: dict[str, Any]) -> None:
    assert keys(run_cli, "--organ", "PULMONARY") == {"grn|-|lung|-"}
    assert keys(run_cli, "--organ", "hepatic") == {"zeb1|colonization|liver|-", "-|-|liver|nab-paclitaxel"}
    assert keys(run_cli, "--organ", "lung,bone") == {"grn|-|lung|-", "hif1a|-|bone|-"}
    assert keys(run_cli, "--stage", "Colonisation") == {"zeb1|colonization|liver|-"}
    assert keys(run_cli, "--mechanism", "zeb1") == {"zeb1|colonization|liver|-"}
    assert keys(run_cli, "--mechanism", "emt-plasticity") == {"zeb1|colonization|liver|-"}
    assert keys(run_cli, "--mechanism", "hypoxia", "--mechanism", "granulin") == {"hif1a|-|bone|-", "grn|-|lung|-"}


def test_therapy_drug_brand_regimen_and_class(run_cli: RunCli, corpus: dict[str, Any]) -> None:
    both = {"-|-|liver|nab-paclitaxel", "-|-|peritoneum|gemcitabine-nab-paclitaxel"}
    assert keys(run_cli, "--therapy", "Abraxane") == both  # brand name; regimens containing the drug
    assert keys(run_cli, "--therapy", "chemotherapy") == both  # class
    assert keys(run_cli, "--therapy", "gemcitabine-nab-paclitaxel") == {"-|-|peritoneum|gemcitabine-nab-paclitaxel"}


def test_evidence_level_filters(run_cli: RunCli, corpus: dict[str, Any]) -> None:
    assert keys(run_cli, "--pmid", "102") == {"grn|-|lung|-"}
    assert keys(run_cli, "--since", "2022") == {"zeb1|colonization|liver|-", "-|-|liver|nab-paclitaxel"}
    assert keys(run_cli, "--until", "2015") == {"grn|-|lung|-"}
    # day bounds: 105 is dated 2019-03-01; 104 has only a year, which passes a bound inside 2019
    assert keys(run_cli, "--since", "2019-04", "--until", "2019-12-31") == {"-|-|peritoneum|gemcitabine-nab-paclitaxel"}
    assert keys(run_cli, "--study-type", "in vitro") == {"-|-|peritoneum|gemcitabine-nab-paclitaxel"}
    assert keys(run_cli, "--text", "macrophages GRANULIN") == {"grn|-|lung|-"}
    assert keys(run_cli, "--text", '"hepatic colonization"') == {"zeb1|colonization|liver|-"}
    assert keys(run_cli, "--text", '"colonization hepatic"') == set()


def test_min_papers_and_status(run_cli: RunCli, corpus: dict[str, Any]) -> None:
    assert keys(run_cli, "--min-papers", "2") == {"zeb1|colonization|liver|-"}
    assert keys(run_cli, "--status", "accepted") == {"grn|-|lung|-"}
    assert keys(run_cli, "--status", "rejected") == {"zeb1|-|lung|-"}
    assert "grn|-|lung|-" not in keys(run_cli, "--status", "unreviewed")
    ev = rows(run_cli("query", "--evidence", "--format", "jsonl", "--status", "rejected"))
    assert [r["evidence_sentence"] for r in ev] == ["ZEB1 may also seed the lung."]
    everything = rows(run_cli("query", "--evidence", "--format", "jsonl", "--status", "all"))
    assert len(everything) == 7 == len(rows(run_cli("query", "--evidence", "--format", "jsonl"))) + 1
    assert "zeb1|-|lung|-" in keys(run_cli, "--status", "all")


def test_evidence_rows_carry_article_review_and_spans(run_cli: RunCli, corpus: dict[str, Any]) -> None:
    ev = rows(run_cli("query", "--evidence", "--format", "jsonl", "--organ", "lung"))
    assert len(ev) == 1
    r = ev[0]
    assert (r["pmid"], r["year"], r["review_status"], r["metastatic_site"], r["mechanism"]) == (
        "102",
        2015,
        "accepted",
        "lung",
        "grn",
    )
    assert r["metastatic_site_mesh"] == "D008175" and r["metastatic_site_uberon"] == "UBERON:0002048"
    best = rows(run_cli("query", "--evidence", "--format", "jsonl", "--limit", "2"))
    assert [r["pmid"] for r in best] == ["103", "101"]  # best finding first, newest paper first within it
    assert best[1]["evidence_key"] == corpus["zeb1"] and best[1]["spans"][0]["label"] == "MECHANISM"


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl"])
def test_machine_formats_parse_back(run_cli: RunCli, corpus: dict[str, Any], fmt: str) -> None:
    result = run_cli("query", "--format", fmt, "--organ", "liver")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    if fmt == "json":
        parsed = json.loads(text)
    elif fmt == "jsonl":
        parsed = [json.loads(line) for line in text.splitlines()]
    else:
        parsed = list(csv.DictReader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ","))
        assert "'-|-|liver|nab-paclitaxel" in {r["finding_key"] for r in parsed}  # guarded against formulas
        parsed = [{k: unguard_cell(v) for k, v in r.items()} for r in parsed]
    assert {r["finding_key"] for r in parsed} == {"zeb1|colonization|liver|-", "-|-|liver|nab-paclitaxel"}
    zeb = next(r for r in parsed if r["mechanism"] == "zeb1")
    assert str(zeb["n_papers"]) == "2" and "101" in str(zeb["top_pmids"])


def test_table_fits_and_pages(run_cli: RunCli, corpus: dict[str, Any]) -> None:
    result = run_cli("query", "--limit", "2", env={"COLUMNS": "90"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["#", "id", "score", "papers"] and len(lines) == 3
    assert all(len(line) <= 90 for line in lines)
    assert "findings 1-2 of 5 (more: --offset 2)" in result.stderr
    second = run_cli("query", "--limit", "2", "--offset", "2")
    assert second.stdout.splitlines()[1].split()[0] == "3"
    ev = run_cli("query", "--evidence", "--organ", "liver", env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert "ZEB1 drives colonization" in ev.stdout and "\x1b[" not in ev.stdout
    assert all(len(line) <= 100 for line in ev.stdout.splitlines())


def test_the_table_shows_the_id_rank_explain_takes(run_cli: RunCli, corpus: dict[str, Any]) -> None:
    rows = [line.split() for line in run_cli("query", "--sort", "key").stdout.splitlines()[1:]]
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))  # the rank: the order shown
    for row in rows:
        explained = run_cli("rank", "--explain", row[1])
        assert explained.exit_code == 0 and explained.stdout.startswith(f"finding {row[1]}: ")


def test_a_piped_table_is_never_cut(run_cli: RunCli, corpus: dict[str, Any]) -> None:
    """Without a terminal (and no COLUMNS), no column is dropped and no cell is cut."""
    table = run_cli("query", env={"COLUMNS": ""}).stdout.splitlines()
    assert table[0].split() == ["#", "id", "score", "papers", "contra", "mechanism", "stage", "organ", "therapy",
                                "years", "acc/rej/new"]  # fmt: skip
    assert "…" not in "".join(table) and max(len(line) for line in table) > 80
    evidence = run_cli("query", "--evidence", env={"COLUMNS": ""}).stdout
    machine = run_cli("query", "--evidence", "--format", "jsonl").stdout.splitlines()
    assert "…" not in evidence
    assert all(json.loads(line)["evidence_sentence"] in evidence for line in machine)


def test_nothing_found_says_so(run_cli: RunCli, corpus: dict[str, Any]) -> None:
    result = run_cli("query", "--organ", "brain")
    assert result.exit_code == 0 and result.stdout == ""
    assert "no findings match (organs=brain)" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--organ", "lvier"), "unknown organ 'lvier'; did you mean liver"),
        (("--therapy", "abraxan"), "unknown therapy 'abraxan'; did you mean"),
        (("--mechanism", "zzzz-nothing"), "unknown mechanism 'zzzz-nothing'"),
        (("--since", "20x0"), "--since '20x0' is not a year or a date"),
        (("--since", "2021", "--until", "2019"), "--since 2021 is after --until 2019"),
        (("--study-type", "in vitr"), "did you mean in-vitro"),
        (("--pmid", "12a"), "'12a' is not a PubMed ID"),
        (("--text", '"open quote'), "close the quotes"),
        (("--sort", "pmid"), "cannot sort findings by 'pmid'"),
    ],
)
def test_bad_input_is_one_line_exit_3(
    run_cli: RunCli, corpus: dict[str, Any], args: tuple[str, ...], message: str
) -> None:
    result = run_cli("query", *args)
    assert result.exit_code == 3, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def user_vocab(tmp_path: Path, user_vocabulary: Callable[[Path], AbstractContextManager[Path]]) -> Iterator[Path]:
    path = tmp_path / "vocab.tsv"
    path.write_text(
        "key\tfacet\tcategory\tname\tconcept_id\txrefs\tsynonyms\tsymbols\tcomponents\tsource\n"
        "liver\tORGAN\t\tliver\t\t\tfoie|leber\t\t\tuser\n"
        "grn\tMECHANISM\tmyeloid-immunosuppression\tgranulin\t\t\tacrogranin-x\t\t\tuser\n",
        encoding="utf-8",
    )
    with user_vocabulary(path):
        yield path


def test_user_vocabulary_terms_resolve(run_cli: RunCli, corpus: dict[str, Any], user_vocab: Path) -> None:
    assert keys(run_cli, "--organ", "Leber") == {"zeb1|colonization|liver|-", "-|-|liver|nab-paclitaxel"}
    assert keys(run_cli, "--mechanism", "Acrogranin-X") == {"grn|-|lung|-"}


def test_resolver_reports_what_it_understood(engine: Engine, corpus: dict[str, Any]) -> None:
    with Session(engine) as s:
        f = resolve_filters(s, organ=["pulmonary"], therapy=["Abraxane"], since="2020-02")
    assert f.organs == ("lung",) and "nab-paclitaxel" in f.therapy_keys
    assert ("pulmonary", "lung") in f.resolved and f.since is not None and str(f.since) == "2020-02-01"
    with pytest.raises(InputError):
        resolve_filters(None, status="maybe")


def test_window_keeps_the_entities_in_view() -> None:
    sentence = "A" * 50 + " ZEB1 drives liver metastasis " + "B" * 50
    start = sentence.index("ZEB1")
    text, marks = window(sentence, [{"start": start, "end": start + 4, "label": "MECHANISM"}], 40)
    assert len(text) <= 40 and text.startswith("…") and text.endswith("…")
    s, e, label = marks[0]
    assert text[s:e] == "ZEB1" and label == "MECHANISM"
    assert window("short", [], 40) == ("short", [])


def test_empty_database_says_what_to_run(run_cli: RunCli) -> None:
    result = run_cli("query")
    assert result.exit_code == 0 and "no findings yet: run pdacmine update" in result.stderr


def test_status_unreviewed_includes_noted_but_undecided_evidence(run_cli: RunCli, engine: Engine) -> None:
    """A note (or an undone first decision) leaves a decision row whose status is still "unreviewed"."""
    with Session(engine) as s:
        art = add_article(s, "301", year=2022)
        noted = add_evidence(s, art, sentence="ZEB1 drives hepatic colonization in mice.")
        decide(s, noted, "unreviewed", note="check the figure")
        refresh_findings(s)
        s.commit()
    ev = rows(run_cli("query", "--evidence", "--format", "jsonl", "--status", "unreviewed"))
    assert [r["evidence_sentence"] for r in ev] == ["ZEB1 drives hepatic colonization in mice."]
    assert rows(run_cli("query", "--evidence", "--format", "jsonl", "--status", "accepted")) == []
