"""PubMed XML parsing: every field of the fixtures, date forms, markup, Unicode, bad and truncated input."""

from __future__ import annotations

import gzip
import io
from datetime import date
from pathlib import Path

import pytest

from pdacmine.errors import ParseError
from pdacmine.miner.parse import iter_pubmed
from pdacmine.miner.pubmed_fields import parse_free_date
from pdacmine.miner.records import ArticleRecord, BadRecord, DeleteRecord

DATA = Path(__file__).parent / "data"
BASELINE = DATA / "pubmed_baseline.xml"
TRUNCATED = DATA / "pubmed_truncated.xml"


@pytest.fixture(scope="module")
def parsed() -> dict[str, ArticleRecord]:
    return {item.pmid: item for item in iter_pubmed(BASELINE) if isinstance(item, ArticleRecord)}


def test_stream_yields_articles_books_bad_records_and_deletions_in_order() -> None:
    items = list(iter_pubmed(BASELINE))
    kinds = [(type(i).__name__, i.pmid) for i in items]
    assert kinds == [
        ("ArticleRecord", "90000001"),
        ("ArticleRecord", "90000002"),
        ("ArticleRecord", "90000003"),
        ("ArticleRecord", "90000004"),
        ("ArticleRecord", "90000005"),
        ("BadRecord", None),
        ("ArticleRecord", "90000006"),
        ("DeleteRecord", "90000099"),
    ]
    bad = items[5]
    assert isinstance(bad, BadRecord) and "no PMID" in bad.reason and "line 203" in bad.reason


def test_structured_abstract_keeps_labels_and_sections(
    parsed: dict[str, ArticleRecord],
) -> None:
    rec = parsed["90000001"]
    lines = rec.abstract.split("\n")
    assert [line.split(":")[0] for line in lines] == [
        "BACKGROUND",
        "METHODS",
        "RESULTS",
        "CONCLUSIONS",
    ]
    assert lines[2] == "RESULTS: Blocking TGF-β reduced hepatic colonisation by 60% (p < 0.01)."
    assert rec.abstract_sections[1] == {
        "label": "METHODS",
        "category": "METHODS",
        "text": "We injected KrasG12D cells into the spleen of 24 mice and measured TGF-β1 in plasma (ng·mL−1).",
    }
    assert "©" not in rec.abstract  # CopyrightInformation is not abstract text
    assert rec.text.startswith(rec.title + "\n")


def test_inline_markup_and_mathml_kept_as_text(
    parsed: dict[str, ArticleRecord],
) -> None:
    assert parsed["90000001"].title == "TGF-β signalling drives KRASG12D pancreatic cancer cells to the liver in mice."
    rec = parsed["90000002"]
    assert rec.title == "A model of CO2 tension and E-cadherin loss in circulating tumour cells."
    assert rec.abstract == (
        "We model the rate k=e2 at which circulating tumour cells lose E\u2011cadherin, with σ estimated at 0.8 µm."
    )
    assert rec.abstract_sections == [{"label": None, "category": None, "text": rec.abstract}]


def test_journal_identifiers_and_pagination(parsed: dict[str, ArticleRecord]) -> None:
    rec = parsed["90000001"]
    assert (rec.journal, rec.journal_iso, rec.issn) == (
        "Journal of Invented Pancreatology",
        "J Invent Pancreatol",
        "1999-0001",
    )
    assert (rec.volume, rec.issue, rec.pages) == ("12", "3", "101-112")
    assert rec.doi == "10.9999/jip.2024.0001"  # not the DOI of a reference in ReferenceList
    assert rec.pmcid == "PMC9900001"
    assert rec.language == "eng" and rec.version == 1
    other = parsed["90000002"]
    assert other.version == 2 and other.journal_iso == "Invent Oncol Lett" and other.pages == "e19-e27"
    assert other.issn == "1999-0002" and other.doi is None and other.pmcid is None


def test_authors_affiliations_orcid_collective_and_invalid_dropped(
    parsed: dict[str, ArticleRecord],
) -> None:
    authors = parsed["90000001"].authors
    assert [a["last"] or a["collective"] for a in authors] == [
        "Müller",
        "Núñez-García",
        "PDAC Invented Consortium",
    ]
    assert authors[0] == {
        "last": "Müller",
        "fore": "Anaïs",
        "initials": "A",
        "collective": None,
        "affiliations": [
            "Département de Biologie, Université Imaginaire, Lyon, France.",
            "Institut für Tumorbiologie, Köln, Germany.",
        ],
        "orcid": "0000-0002-1825-0097",
    }
    assert parsed["90000002"].authors[0]["last"] == "Παπαδόπουλος"


def test_mesh_qualifiers_major_flags_chemicals_keywords_types(
    parsed: dict[str, ArticleRecord],
) -> None:
    rec = parsed["90000001"]
    liver = rec.mesh[1]
    assert liver == {
        "ui": "D008113",
        "name": "Liver Neoplasms",
        "major": False,
        "qualifiers": [
            {"ui": "Q000556", "name": "secondary", "major": True},
            {"ui": "Q000473", "name": "pathology", "major": False},
        ],
    }
    assert rec.mesh[2]["major"] is True and rec.mesh[0]["qualifiers"] == []
    assert rec.chemicals == [
        {"ui": "D016212", "name": "Transforming Growth Factor beta", "registry": None},
        {"ui": "C056507", "name": "gemcitabine", "registry": "B76N6SBZ8R"},
    ]
    # both keyword lists, in order, case-insensitive duplicates dropped
    assert rec.keywords == ["liver metastasis", "TGF-β", "pre-metastatic niche"]
    assert [t["ui"] for t in rec.publication_types] == ["D016428", "D013485"]


def test_every_pubdate_form(parsed: dict[str, ArticleRecord]) -> None:
    got = {p: (r.pub_year, r.pub_date, r.pub_date_raw) for p, r in parsed.items()}
    assert got["90000001"] == (2024, date(2024, 3, 15), "2024 Mar 15")
    assert got["90000002"] == (
        2019,
        date(2019, 1, 1),
        "2019 Jan-Feb",
    )  # MedlineDate range
    assert got["90000003"] == (2013, date(2013, 12, 1), "2013 Winter")  # Season
    assert got["90000004"] == (
        2000,
        date(2000, 12, 1),
        "2000 Dec-2001 Jan",
    )  # range across years
    assert got["90000005"] == (1987, date(1987, 1, 1), "1987")  # year only
    assert got["90000006"] == (2021, date(2021, 6, 1), "2021 Jun")  # book


@pytest.mark.parametrize(
    ("raw", "year", "when"),
    [
        ("2019 Jan-Feb", 2019, date(2019, 1, 1)),
        ("2000 Dec-2001 Jan", 2000, date(2000, 12, 1)),
        ("1998 Dec 23-30", 1998, date(1998, 12, 23)),
        ("2013 Winter", 2013, date(2013, 12, 1)),
        ("2001 Spring-Summer", 2001, date(2001, 3, 1)),
        ("1976 Fall", 1976, date(1976, 9, 1)),
        ("1999-2000", 1999, date(1999, 1, 1)),
        ("2015", 2015, date(2015, 1, 1)),
        (
            "2004 Feb 30",
            2004,
            date(2004, 2, 1),
        ),  # impossible day falls back to the month
        ("Spring 1976", 1976, date(1976, 3, 1)),
        ("Dec 1998", 1998, date(1998, 12, 1)),
        ("2012 Sept", 2012, date(2012, 9, 1)),
        ("undated", None, None),
    ],
)
def test_free_text_dates(raw: str, year: int | None, when: date | None) -> None:
    assert parse_free_date(raw) == (year, when)


def test_retraction_by_type_or_by_correction_link(
    parsed: dict[str, ArticleRecord],
) -> None:
    assert parsed["90000003"].retracted is True  # PublicationType D016441
    assert parsed["90000004"].retracted is True  # CommentsCorrections RefType="RetractionIn"
    assert parsed["90000001"].retracted is False
    assert parsed["90000004"].pmid == "90000004"  # PMIDs inside CommentsCorrections are not the record's


def test_foreign_language_record_with_english_other_abstract(
    parsed: dict[str, ArticleRecord],
) -> None:
    rec = parsed["90000005"]
    assert rec.title == "[Bone metastases of exocrine pancreatic cancer]."
    assert rec.language == "fre" and rec.abstract == "Bone involvement is rare."
    assert rec.doi == "10.9999/ric.1987.05"  # from ELocationID when ArticleIdList has none
    assert rec.journal == "Revue Inventée de Cancérologie"


def test_book_article(parsed: dict[str, ArticleRecord]) -> None:
    rec = parsed["90000006"]
    assert rec.title == "Metastatic Pancreatic Ductal Adenocarcinoma"
    assert rec.journal == "Invented Reviews in Oncology®"
    assert (
        rec.abstract.split("\n")[0] == "CLINICAL CHARACTERISTICS: Most patients present with liver or lung metastases."
    )
    assert [a["last"] for a in rec.authors] == ["Øster"]  # authors, not the book's editors
    assert rec.authors[0]["affiliations"] == ["Invented Hospital, Bergen, Norway"]
    assert rec.publication_types == [{"ui": "D016454", "name": "Review"}]
    assert rec.keywords == ["metastasis"]


def test_gzip_bytes_and_file_objects_give_the_same_records(tmp_path: Path) -> None:
    raw = BASELINE.read_bytes()
    gz = tmp_path / "pubmed26n0001.xml.gz"
    gz.write_bytes(gzip.compress(raw))
    reference = list(iter_pubmed(BASELINE))
    assert list(iter_pubmed(gz)) == reference
    assert list(iter_pubmed(raw, name="efetch")) == reference
    assert list(iter_pubmed(io.BytesIO(gzip.compress(raw)))) == reference


def test_truncated_file_yields_what_came_before_then_names_file_and_line() -> None:
    got: list[str] = []
    with pytest.raises(ParseError) as info:
        for item in iter_pubmed(TRUNCATED):
            got.append(item.pmid or "")
    assert got == ["91000001", "91000002", "91000003"]
    err = info.value
    assert err.source == str(TRUNCATED) and err.line is not None and err.line > 60
    assert str(err).startswith(f"{TRUNCATED}, line {err.line}: ") and "truncated" in str(err)
    assert "\n" not in str(err)


def test_truncated_gzip_is_a_parse_error(tmp_path: Path) -> None:
    data = gzip.compress(BASELINE.read_bytes())
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match=r"cut\.xml\.gz.*(compressed|truncated)"):
        list(iter_pubmed(path))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<eSearchResult><Count>0</Count></eSearchResult>", "not PubMed XML"),
        (b"<eFetchResult><ERROR>Invalid id</ERROR></eFetchResult>", "Invalid id"),
        (b"<PubmedArticleSet><PubmedArticle></PubmedArticleSet>", "line 1"),
        (b"not xml at all", "malformed XML"),
    ],
)
def test_wrong_or_broken_input_is_one_clear_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        list(iter_pubmed(body, name="response"))
    assert str(info.value).startswith("response")


def test_missing_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read"):
        list(iter_pubmed(tmp_path / "nope.xml"))


def test_invalid_pmid_version_and_deletions() -> None:
    body = (
        b"<PubmedArticleSet>"
        b"<PubmedArticle><MedlineCitation><PMID Version='x'>5</PMID><Article><ArticleTitle>t</ArticleTitle>"
        b"</Article></MedlineCitation></PubmedArticle>"
        b"<PubmedArticle><MedlineCitation><PMID>12AB</PMID></MedlineCitation></PubmedArticle>"
        b"<PubmedArticle><MedlineCitation><PMID>7</PMID><Article><ArticleTitle>ok</ArticleTitle></Article>"
        b"</MedlineCitation></PubmedArticle>"
        b"<DeleteCitation><PMID Version='1'>8</PMID><PMID Version='1'>9</PMID></DeleteCitation>"
        b"</PubmedArticleSet>"
    )
    items = list(iter_pubmed(body))
    assert isinstance(items[0], BadRecord) and items[0].pmid == "5" and "unreadable" in items[0].reason
    assert isinstance(items[1], BadRecord) and "invalid PMID" in items[1].reason
    assert isinstance(items[2], ArticleRecord) and items[2].title == "ok" and items[2].version == 1
    assert items[3:] == [DeleteRecord("8"), DeleteRecord("9")]


def test_inline_markup_keeps_the_spaces_between_elements() -> None:
    # a parser dropping "blank" text nodes (remove_blank_text) would glue "Kras" and "Smad4"
    body = (
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>3</PMID><Article>"
        b"<ArticleTitle><i>Kras</i> <i>Smad4</i> mice with CD8<sup>+</sup> <b>T<sub>reg</sub></b>\n  cells"
        b"</ArticleTitle>"
        b"<Abstract><AbstractText><i>In vivo</i> <i>ex vivo</i>,\tboth.</AbstractText></Abstract>"
        b"<Language>eng</Language><Language>ger</Language>"
        b"</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )
    [rec] = list(iter_pubmed(body))
    assert isinstance(rec, ArticleRecord)
    assert rec.title == "Kras Smad4 mice with CD8+ Treg cells"
    assert rec.abstract == "In vivo ex vivo, both."
    assert rec.language == "eng"  # the first of repeated elements


def _article(pmid: str, version: str = "1", title: str = "ok", abstract: str = "", year: str = "2020") -> bytes:
    return (
        f"<PubmedArticle><MedlineCitation><PMID Version='{version}'>{pmid}</PMID><Article>"
        f"<Journal><JournalIssue><PubDate><Year>{year}</Year><Month>Jan</Month><Day>99999999999999999999</Day>"
        f"</PubDate></JournalIssue></Journal><ArticleTitle>{title}</ArticleTitle>"
        f"<Abstract><AbstractText>{abstract}</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>"
    ).encode()


@pytest.mark.parametrize(
    ("version", "year", "reason"),
    [
        ("9223372036854775808", "2020", "version 9223372036854775808 is out of range"),
        ("2147483648", "2020", "version 2147483648 is out of range"),
        ("0", "2020", "version 0 is out of range"),
        ("-3", "2020", "version -3 is out of range"),
        ("9" * 5000, "2020", "unreadable field"),
        ("1", "99999999999", "publication year 99999999999 is out of range"),
    ],
)
def test_out_of_range_integers_make_a_bad_record_and_the_rest_parses(version: str, year: str, reason: str) -> None:
    body = b"<PubmedArticleSet>" + _article("5", version, year=year) + _article("6") + b"</PubmedArticleSet>"
    bad, good = iter_pubmed(body)
    assert isinstance(bad, BadRecord) and bad.pmid == "5" and reason in bad.reason and len(bad.reason) < 300
    assert isinstance(good, ArticleRecord) and good.pmid == "6" and good.pub_date == date(2020, 1, 1)


def test_full_width_digits_and_leading_zeros_are_normalised() -> None:
    body = (
        b"<PubmedArticleSet>"
        + _article("\uff13\uff19\uff10\uff10\uff10\uff10\uff10\uff11")
        + _article("0039000002", version="\uff12")
        + _article("000")
        + _article("\u00b2\u00b3")
        + b"<DeleteCitation><PMID>039000003</PMID></DeleteCitation></PubmedArticleSet>"
    )
    items = list(iter_pubmed(body))
    assert [(type(i).__name__, i.pmid) for i in items[:2]] == [
        ("ArticleRecord", "39000001"),
        ("ArticleRecord", "39000002"),
    ]
    assert isinstance(items[1], ArticleRecord) and items[1].version == 2
    assert all(isinstance(i, BadRecord) and "invalid PMID" in i.reason for i in items[2:4])
    assert items[4] == DeleteRecord("39000003")


def test_an_oversized_abstract_is_a_bad_record_read_in_bounded_memory(tmp_path: Path) -> None:
    from pdacmine.miner.records import MAX_TEXT_CHARS
    from pdacmine.miner.xml_input import MAX_RUN_BYTES

    path = tmp_path / "big.xml.gz"
    with gzip.open(path, "wb") as fh:  # 20 MB of abstract (multi-byte characters, an entity) in a small file
        fh.write(b"<PubmedArticleSet>" + _article("7", abstract="\x00").split(b"\x00")[0])
        block = "metastatic niche &amp; \u00e9\u4e2d ".encode() * 4000
        for _ in range(20_000_000 // len(block)):
            fh.write(block)
        fh.write(
            b"</AbstractText>" + _article("7").split(b"</AbstractText>", 1)[1] + _article("8", title="next &amp; fine")
        )
        fh.write(b"</PubmedArticleSet>")
    assert path.stat().st_size < 1_000_000
    bad, good = iter_pubmed(path)
    assert isinstance(bad, BadRecord) and bad.pmid == "7"
    assert f"more than the limit of {MAX_TEXT_CHARS:,}" in bad.reason
    shown = int(bad.reason.split(" characters")[0].rsplit(" ", 1)[1].replace(",", ""))
    assert MAX_TEXT_CHARS < shown <= MAX_RUN_BYTES  # the text was cut while reading, not built whole
    assert isinstance(good, ArticleRecord) and good.title == "next & fine"


def test_a_text_just_under_the_limit_is_kept_whole() -> None:
    from pdacmine.miner.records import MAX_TEXT_CHARS

    abstract = "\u00e9" * (MAX_TEXT_CHARS - 10)
    [rec] = iter_pubmed(b"<PubmedArticleSet>" + _article("9", title="t", abstract=abstract) + b"</PubmedArticleSet>")
    assert isinstance(rec, ArticleRecord) and rec.abstract == abstract


def test_a_record_of_countless_small_paragraphs_stops_the_file_at_the_record_limit(tmp_path: Path) -> None:
    from pdacmine.miner.xml_input import MAX_RECORD_BYTES

    path = tmp_path / "paragraphs.xml.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"<PubmedArticleSet>" + _article("10") + _article("11", abstract="\x00").split(b"\x00")[0])
        paragraph = b"short invented paragraph</AbstractText><AbstractText>"
        for _ in range(MAX_RECORD_BYTES // (len(paragraph) * 1000) + 2):
            fh.write(paragraph * 1000)
        fh.write(b"</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>")
    got: list[str | None] = []
    with pytest.raises(ParseError, match=f"a record is larger than {MAX_RECORD_BYTES >> 20} MB") as info:
        got.extend(item.pmid for item in iter_pubmed(path))
    assert got == ["10"] and "not read further" in str(info.value) and "\n" not in str(info.value)
