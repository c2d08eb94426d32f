"""The optional C readers (pdacmine.miner._cfields) give exactly what the Python readers give."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from pdacmine.miner import pubmed_fields as f
from pdacmine.miner.parse import iter_pubmed

DATA = Path(__file__).parent / "data"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)


def test_the_extension_is_built() -> None:
    # .ci/run installs with a compiler; a user without one may set PDACMINE_ALLOW_PURE_PYTHON=1
    if os.environ.get("PDACMINE_ALLOW_PURE_PYTHON") != "1":
        assert f._c is not None, "pdacmine.miner._cfields was not built: install a C compiler and reinstall"


needs_c = pytest.mark.skipif(f._c is None, reason="C extension not built (see test_the_extension_is_built)")

LONG = "word " * 150  # over the 512-byte stack buffer of a leaf

AUTHORS = f"""<AuthorList>
  <Author ValidYN="Y"><LastName>  Müller\n  Smith </LastName><ForeName>Ana\tMaría</ForeName><Initials>AM</Initials>
    <Identifier Source="orcid">0000-0001</Identifier>
    <AffiliationInfo><Affiliation>Dept of <i>Onco</i>logy,
      Città  Università.</Affiliation></AffiliationInfo>
    <AffiliationInfo><Affiliation>   </Affiliation></AffiliationInfo>
  </Author>
  <Author ValidYN="N"><LastName>Dropped</LastName></Author>
  <Author><CollectiveName>PDAC <b>Study</b> Group</CollectiveName>
    <Affiliation>Old-style &amp; plain</Affiliation></Author>
  <Author><LastName/><ForeName>\u00a0Lee\u2009</ForeName><Initials><![CDATA[L]]></Initials></Author>
  <Author><LastName>{LONG}</LastName></Author>
</AuthorList>"""

MESH = """<MeshHeadingList>
  <MeshHeading><DescriptorName UI="D010190" MajorTopicYN="Y">Pancreatic   Neoplasms</DescriptorName>
    <QualifierName UI="Q000556" MajorTopicYN="N">secondary</QualifierName>
    <QualifierName UI="Q000473">pathology</QualifierName></MeshHeading>
  <MeshHeading><QualifierName UI="Q1">orphan qualifier</QualifierName></MeshHeading>
  <MeshHeading><DescriptorName>No UI</DescriptorName></MeshHeading>
  <Other/>
</MeshHeadingList>"""

ABSTRACT = f"""<Abstract>
  <AbstractText Label=" BACKGROUND " NlmCategory="BACKGROUND">CXCR4 <i>drives</i> H<sub>2</sub>O
     and Ca<sup>2+</sup> <b><i>nested</i> markup</b>.</AbstractText>
  <AbstractText Label="" NlmCategory="">Unlabelled {LONG}</AbstractText>
  <AbstractText Label="EMPTY"/>
  <AbstractText>   </AbstractText>
  <CopyrightInformation>(c) Someone</CopyrightInformation>
</Abstract>"""

CHEMICALS = """<ChemicalList>
  <Chemical><RegistryNumber>0</RegistryNumber><NameOfSubstance UI="D1">Alpha</NameOfSubstance></Chemical>
  <Chemical><RegistryNumber>B76N6SBZ8R</RegistryNumber><NameOfSubstance UI="D2"> Gemcitabine
  </NameOfSubstance></Chemical>
  <Chemical><NameOfSubstance>No registry</NameOfSubstance></Chemical>
  <Chemical><RegistryNumber>123</RegistryNumber></Chemical>
</ChemicalList>"""

KEYWORDS = [
    "<KeywordList><Keyword>Liver  metastasis</Keyword><Keyword>PDAC</Keyword><Keyword> </Keyword></KeywordList>",
    "<KeywordList><Keyword>liver metastasis</Keyword><Keyword>Straße</Keyword><Keyword>STRASSE</Keyword></KeywordList>",
]


def el(xml: str) -> etree._Element:
    return etree.fromstring(xml, PARSER)


CASES: list[tuple[str, Callable[..., Any], Callable[..., Any], Any]] = [
    ("authors", f.authors, f._authors, lambda: el(AUTHORS)),
    ("mesh", f.mesh, f._mesh, lambda: el(MESH)),
    ("abstract", f.abstract, f._abstract, lambda: el(ABSTRACT)),
    ("chemicals", f.chemicals, f._chemicals, lambda: el(CHEMICALS)),
    ("keywords", f.keywords, f._keywords, lambda: [el(k) for k in KEYWORDS]),
]


@needs_c
@pytest.mark.parametrize("name, fast, pure, make", CASES, ids=[c[0] for c in CASES])
def test_c_and_python_readers_agree(name: str, fast: Callable[..., Any], pure: Callable[..., Any], make: Any) -> None:
    arg = make()
    assert getattr(f._c, name)(arg) is not None, "the C reader should handle this subtree itself"
    assert fast(arg) == pure(arg)
    assert fast(None if name != "keywords" else []) == pure(None if name != "keywords" else [])


@needs_c
def test_readers_see_what_they_should() -> None:
    [first, collective, lee, long] = f.authors(el(AUTHORS))
    assert first["last"] == "Müller Smith" and first["fore"] == "Ana María" and first["orcid"] == "0000-0001"
    assert first["affiliations"] == ["Dept of Oncology, Città Università."]
    assert collective["collective"] == "PDAC Study Group" and collective["affiliations"] == ["Old-style & plain"]
    assert lee == {**lee, "last": None, "fore": "Lee", "initials": "L"}  # str.strip() drops NBSP and thin space
    assert long["last"] == LONG.strip()
    text, sections = f.abstract(el(ABSTRACT))
    assert text.splitlines()[0] == "BACKGROUND: CXCR4 drives H2O and Ca2+ nested markup."
    assert [s["label"] for s in sections] == ["BACKGROUND", None, "EMPTY"]
    assert f.keywords([el(k) for k in KEYWORDS]) == ["Liver metastasis", "PDAC", "Straße"]


@needs_c
def test_an_unresolved_entity_falls_back_to_python() -> None:
    doc = etree.fromstring(
        '<!DOCTYPE AuthorList [<!ENTITY inst "Invented Institute">]>'
        "<AuthorList><Author><LastName>Ng</LastName><AffiliationInfo><Affiliation>&inst;, City</Affiliation>"
        "</AffiliationInfo></Author></AuthorList>",
        PARSER,
    )
    assert f._c.authors(doc) is None  # the C reader declines an entity reference node ...
    assert f.authors(doc) == f._authors(doc)  # ... and the public reader answers with the Python one
    assert f.authors(doc)[0]["last"] == "Ng"


@needs_c
@pytest.mark.parametrize("fixture", ["pubmed_baseline.xml", "pubmed_update1.xml", "pubmed_update2.xml"])
def test_whole_files_parse_the_same_with_and_without_the_extension(
    fixture: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = DATA / fixture
    fast = list(iter_pubmed(path))
    monkeypatch.setattr(f, "_c", None)
    pure = list(iter_pubmed(path))
    assert fast == pure and len(fast) >= 2
