"""Reading RIS, MEDLINE text, PubMed CSV and ASReview/Rayyan CSV, and ``pdacmine import`` of them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, select, text

from pdacmine.db.engine import session_scope
from pdacmine.db.sources import duplicates_removed, identified_by_source, not_retrieved, unique_records
from pdacmine.errors import InputError, ParseError
from pdacmine.miner.sources import detect_format, read_records
from pdacmine.miner.sources.records import normalise_doi, normalise_pmcid, normalise_pmid, record_key
from pdacmine.models import Article, ArticleExtraction, Evidence, ImportedFile, RecordSource
from tests.test_nlp_pipeline import TEST_VOCAB

DATA = Path(__file__).parent / "data" / "sources"
RunCli = Callable[..., Result]


@pytest.fixture(autouse=True, scope="module")
def _test_vocabulary(
    tmp_path_factory: pytest.TempPathFactory, user_vocabulary: Callable[[Path], AbstractContextManager[Path]]
) -> Iterator[None]:
    path = tmp_path_factory.mktemp("vocab") / "vocab.tsv"
    path.write_text(TEST_VOCAB, encoding="utf-8")
    with user_vocabulary(path):
        yield


@pytest.mark.parametrize(
    "name,fmt",
    [("embase.ris", "ris"), ("pubmed.nbib", "medline"), ("pubmed.csv", "pubmed-csv"),
     ("asreview.csv", "review-csv"), ("rayyan.tsv", "review-csv")],
)  # fmt: skip
def test_format_is_detected_by_content(tmp_path: Path, name: str, fmt: str) -> None:
    assert detect_format(DATA / name) == fmt
    renamed = tmp_path / "export.dat"  # the extension is only a hint
    renamed.write_bytes((DATA / name).read_bytes())
    assert detect_format(renamed) == fmt


def test_unknown_format_asks_for_format_option(tmp_path: Path) -> None:
    path = tmp_path / "notes.dat"
    path.write_text("just some words\n", encoding="utf-8")
    with pytest.raises(InputError, match="--format"):
        detect_format(path)


def test_ris_records_keep_fields_identifiers_and_missing_abstracts() -> None:
    records = list(read_records(DATA / "embase.ris", "ris"))
    assert [r.position for r in records] == [1, 2, 3]
    assert [r.line for r in records] == [1, 20, 31]
    first, second, third = records
    assert first.pmid is None and first.article.doi == "10.5555/ijp.2023.0201"
    assert first.article.abstract.endswith("KPC mice. ZEB1 drives liver metastasis.")
    assert first.article.authors[0]["last"] == "Okafor" and first.article.pub_year == 2023
    assert first.article.pages == "201-210" and first.accession == "L2031000001" and first.database == "Embase"
    assert second.pmid == "39000004"
    assert third.article.abstract == ""
    assert {"name": "Conference Abstract", "ui": None} in third.article.publication_types


def test_medline_records() -> None:
    first, second = read_records(DATA / "pubmed.nbib", "medline")
    assert first.pmid == "39000004" and first.article.doi == "10.5555/ijp.2022.0099"
    assert first.article.pmcid == "PMC9900004" and first.article.pub_year == 2022
    assert first.article.abstract.endswith("Invented text written for the pdacmine test suite.")
    assert first.article.mesh[1] == {
        "ui": None, "name": "Lung Neoplasms", "major": False,
        "qualifiers": [{"ui": None, "name": "secondary", "major": True}],
    }  # fmt: skip
    assert first.article.authors[0]["last"] == "Haddad" and second.line == 20


def test_csv_flavours() -> None:
    pubmed = list(read_records(DATA / "pubmed.csv", "pubmed-csv"))
    assert [r.pmid for r in pubmed] == ["39000005", "39000006"]
    assert [a["last"] for a in pubmed[1].article.authors] == ["Ito", "Berg"]
    assert pubmed[1].article.pmcid == "PMC9900006" and pubmed[1].article.abstract == ""
    asreview = list(read_records(DATA / "asreview.csv", "review-csv"))
    assert asreview[0].article.title.startswith("ZEB1 Drives") and asreview[0].article.keywords == ["EMT", "liver"]
    assert [a["last"] for a in asreview[0].article.authors] == ["Okafor", "Lindqvist"] and asreview[1].line == 3
    (rayyan,) = read_records(DATA / "rayyan.tsv", "review-csv")
    assert [a["last"] for a in rayyan.article.authors] == ["Haddad", "Moreau"] and rayyan.accession == "r1"


@pytest.mark.parametrize(
    "fmt,text,line,reason",
    [
        ("ris", "TY  - JOUR\nTI  - cut short\nAU  - Doe, J.\n", 1, "no ER line"),
        ("ris", "TY  - JOUR\nTI  - one\nTY  - JOUR\nTI  - two\nER  - \n", 3, "before the record at line 1 ended"),
        ("ris", "Provider: nobody\nTY  - JOUR\nER  - \n", 1, "expected the start of a RIS record"),
        ("medline", "PMID- 1\nTI  - fine\n\nPMID- 2\nthis line is no field\n", 5, "not a MEDLINE field line"),
        ("medline", "PMID- abc\nTI  - x\n", 1, "not a PMID"),
        ("review-csv", 'title,abstract\n"ok",fine\n"open quote,x\n', 3, "malformed CSV"),
        ("review-csv", "title,abstract\na,b\nc,d,e\n", 3, "3 fields but the header has 2"),
        ("review-csv", "name,notes\na,b\n", 1, "no title or abstract column"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path: Path, fmt: str, text: str, line: int, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError, match=reason) as caught:
        list(read_records(path, fmt))
    assert caught.value.line == line and caught.value.source == str(path)


def test_identifier_normalisers() -> None:
    assert normalise_doi("https://doi.org/10.1000/ABC.") == "10.1000/abc"
    assert normalise_doi("doi: 10.1000/x.y [doi]") == "10.1000/x.y"
    assert normalise_doi("not a doi") is None
    assert normalise_pmcid("pmc0012") == "PMC12" and normalise_pmcid("PMCX") is None
    assert normalise_pmid("PMID: 123") == "123" and normalise_pmid("12a") is None
    assert record_key("5", "10.1000/x", 9) == "5"
    assert record_key(None, "10.1000/X", 9) == "doi:10.1000/x" and record_key(None, None, 9) == "record:9"


def _rows(engine: Engine) -> tuple[list[Article], list[RecordSource]]:
    with session_scope(engine) as session:
        arts = list(session.scalars(select(Article).order_by(Article.id)))
        srcs = list(session.scalars(select(RecordSource).order_by(RecordSource.id)))
        session.expunge_all()
    return arts, srcs


def test_import_keeps_sources_and_attaches_same_pmid(run_cli: RunCli, engine: Engine) -> None:
    result = run_cli("import", "--search", "embase 2026-01", str(DATA / "embase.ris"))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{DATA / 'embase.ris'} (RIS, Embase): 3 records: 3 new, 0 already stored (same PMID), "
        "1 without abstract, 2 without PMID\n"
    )
    result = run_cli("import", str(DATA / "pubmed.nbib"), str(DATA / "pubmed.csv"))
    assert result.exit_code == 0, result.output
    assert "1 already stored (same PMID)" in result.stdout.splitlines()[0]
    arts, srcs = _rows(engine)
    by_pmid = {a.pmid: a for a in arts}
    assert None in by_pmid and len([a for a in arts if a.pmid is None]) == 2
    # the RIS record came first; the MEDLINE record with its PMID is attached and fills in the PMCID
    attached = by_pmid["39000004"]
    assert attached.source == "ris" and attached.pmcid == "PMC9900004"
    assert [(s.database, s.format) for s in srcs if s.article_id == attached.id] == [
        ("Embase", "ris"), ("PubMed", "medline")
    ]  # fmt: skip
    assert {s.search for s in srcs if s.format == "ris"} == {"embase 2026-01"}
    assert [s.has_abstract for s in srcs if s.format == "ris"] == [True, True, False]
    with session_scope(engine) as session:
        counts = {(c.database, c.search): c.records for c in identified_by_source(session)}
        assert counts[("Embase", "embase 2026-01")] == 3
        assert counts[("PubMed", str(DATA / "pubmed.nbib"))] == 2 and counts[("PubMed", str(DATA / "pubmed.csv"))] == 2
        assert unique_records(session) == 5 and duplicates_removed(session) == 7 - 5
        formats = sorted(session.scalars(select(ImportedFile.format)))
    assert formats == ["medline", "pubmed-csv", "ris"]
    again = run_cli("import", str(DATA / "embase.ris"))
    assert again.stdout.strip().endswith("already imported, skipped")


def test_bad_file_stops_with_one_line_and_keeps_earlier_files(run_cli: RunCli, engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "scopus.ris"
    good = (DATA / "embase.ris").read_text(encoding="utf-8")
    bad.write_text(good.replace("ER  - \n\nTY  - CONF", "TY  - CONF", 1), encoding="utf-8")  # an ER line lost
    result = run_cli("import", str(DATA / "pubmed.nbib"), str(bad))
    assert result.exit_code == 3
    assert result.stderr == (
        f"pdacmine: error: {bad}, line 29: a new record starts before the record at line 20 ended (no ER line)\n"
    )
    arts, srcs = _rows(engine)
    assert sorted(a.pmid or "" for a in arts) == ["39000004", "39000005"]  # the MEDLINE file stays, nothing of bad
    assert {s.format for s in srcs} == {"medline"}


def test_format_option_forces_a_reader(run_cli: RunCli, engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "export.txt"  # .txt would be read as MEDLINE
    path.write_bytes((DATA / "asreview.csv").read_bytes())
    assert run_cli("import", "--format", "ris", str(path)).exit_code == 3
    result = run_cli("import", "--format", "review-csv", "--database", "Scopus", str(path))
    assert result.exit_code == 0, result.output
    assert "(review CSV, Scopus): 2 records" in result.stdout


def test_records_without_pmid_are_extracted_with_a_usable_identifier(run_cli: RunCli, engine: Engine) -> None:
    assert run_cli("import", str(DATA / "embase.ris")).exit_code == 0
    result = run_cli("extract")
    assert result.exit_code == 0, result.output
    with session_scope(engine) as session:
        keys = set(session.scalars(select(Evidence.pmid)))
    assert "doi:10.5555/ijp.2023.0201" in keys  # ZEB1 record: no PMID, named by its DOI
    assert "39000004" in keys  # CXCR4 record: PMID from the RIS note


def test_exported_articles_without_pmid_link_to_their_doi(run_cli: RunCli, engine: Engine) -> None:
    assert run_cli("import", str(DATA / "embase.ris")).exit_code == 0
    result = run_cli("export", "articles", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    urls = {json.loads(line)["title"][:4]: json.loads(line)["url"] for line in result.stdout.splitlines()}
    assert urls["ZEB1"] == "https://doi.org/10.5555/ijp.2023.0201"
    assert urls["CXCR"] == "https://pubmed.ncbi.nlm.nih.gov/39000004/" and urls["Peri"] is None


def test_identified_counts_cover_searches_and_exports(run_cli: RunCli, engine: Engine) -> None:
    from tests.builders import add_search

    assert run_cli("import", str(DATA / "pubmed.nbib")).exit_code == 0  # PMIDs 39000004, 39000005
    with session_scope(engine) as session:
        add_search(session, "pdac-metastasis", ["39000004", "39000005", "39000099"])
    assert run_cli("import", "--database", "Scopus", "--search", "scopus-1", str(DATA / "rayyan.tsv")).exit_code == 0
    with session_scope(engine) as session:
        counts = [(c.database, c.search, c.kind, c.records) for c in identified_by_source(session)]
        assert ("PubMed", "pdac-metastasis", "search", 3) in counts
        assert ("Scopus", "scopus-1", "file", 1) in counts
        # 2 (file) + 3 (search) + 1 (Scopus) identified; 3 unique stored records; 39000099 never retrieved
        assert unique_records(session) == 3 and not_retrieved(session) == 1 and duplicates_removed(session) == 2


def test_migration_0007_keeps_evidence_on_an_existing_sqlite_database(tmp_path: Path) -> None:
    from alembic import command

    from pdacmine.db import migrate
    from pdacmine.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO articles (id, pmid, version, title, abstract, abstract_sections, publication_types, keywords,"
            " mesh, chemicals, authors, retracted, deleted, source, first_seen, last_updated) VALUES (1, '7', 1, 't',"
            " 'a', '[]', '[]', '[]', '[]', '[]', '[]', 0, 0, 'file', '2025-01-01', '2025-01-01')"
        )
        conn.exec_driver_sql(
            "INSERT INTO article_extractions (article_id, extractor_version, extracted_at, n_entities, n_evidence,"
            " entities) VALUES (1, 'v', '2025-01-01', 0, 0, '{}')"
        )
    assert migrate.upgrade(engine)
    with session_scope(engine) as session:
        session.add(Article(pmid=None, title="no PMID", source="ris"))
        session.flush()
        assert session.scalar(select(ArticleExtraction.article_id)) == 1  # not cascade-deleted by a table rebuild
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()


def test_search_label_applies_to_pubmed_xml_files(run_cli: RunCli, engine: Engine) -> None:
    xml = Path(__file__).parent / "data" / "pubmed_baseline.xml"
    assert run_cli("import", "--search", "pubmed 2026-01", str(xml)).exit_code == 0
    with session_scope(engine) as session:
        counts = [(c.database, c.search, c.kind, c.records) for c in identified_by_source(session)]
    assert counts == [("PubMed", "pubmed 2026-01", "file", 6)]
