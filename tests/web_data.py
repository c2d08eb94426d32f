"""A small invented corpus for the workspace tests: a few organs, stages, mechanisms and therapies
over several years, one hostile title (``<script>``, ``onerror=``) and a saved search.

Every sentence here is written for these tests (no third-party text).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pdacmine.db.findings import refresh_findings
from tests.builders import add_article, add_evidence, add_search

HOSTILE_TITLE = '<script>window.__pwned = 1</script> Liver <img src=x onerror="window.__pwned = 2"> metastasis'
HOSTILE_QUERY = "pdac-<b>metastasis</b>"
HOSTILE_ABSTRACT = 'Abstract with <b onmouseover="window.__pwned = 3">bold</b> claims & an onerror= attribute.'


def spans(sentence: str, *marks: tuple[str, str, str]) -> list[dict[str, Any]]:
    """Spans of (text, label, key) found in ``sentence``."""
    out = []
    for text, label, key in marks:
        start = sentence.index(text)
        out.append({"start": start, "end": start + len(text), "label": label, "key": key})
    return out


#: (pmid, year, study type, mechanism, category, stage, organ, therapy, therapy class, polarity, negated, sentence)
ROWS: list[tuple[Any, ...]] = [
    ("900001", 2016, "animal", "zeb1", "emt-plasticity", "colonization", "liver", None, None, "promotes", False,
     "ZEB1 drives colonization of the liver by pancreatic tumour cells in our mouse model."),
    ("900002", 2019, "clinical", "zeb1", "emt-plasticity", "colonization", "liver", None, None, "promotes", False,
     "High ZEB1 in resected tumours predicted colonization of the liver within two years."),
    ("900003", 2021, "in-vitro", "zeb1", "emt-plasticity", "colonization", "liver", None, None, "suppresses", False,
     "ZEB1 knockdown did not change colonization of the liver in organoid grafts."),
    ("900004", 2020, "human-tissue", "granulin", "immune-microenvironment", "pre-metastatic-niche", "liver", None,
     None, "promotes", False, "Granulin secreted by macrophages shapes a pre-metastatic niche in the liver."),
    ("900005", 2022, "animal", "cxcl12", "chemokine-signalling", "colonization", "lung", None, None, "promotes",
     False, "CXCL12 signalling attracts circulating cells to the lung in our xenografts."),
    ("900006", 2023, "clinical", None, None, "recurrence", "peritoneum", "nab-paclitaxel", "chemotherapy",
     "suppresses", False, "Nab-paclitaxel reduced recurrence in the peritoneum among treated patients."),
    ("900007", 2018, "animal", "hif1a", "hypoxia", "intravasation", "lung", None, None, "promotes", False,
     "HIF1A under hypoxia increased intravasation and later lung nodules in mice."),
    ("900008", 2024, "clinical", None, None, "recurrence", "liver", "gemcitabine", "chemotherapy", "suppresses",
     False, "Adjuvant gemcitabine delayed recurrence in the liver in this cohort."),
]  # fmt: skip


@dataclass
class Corpus:
    hostile_pmid: str
    pmids: list[str]
    n_evidence: int


def _marks(sentence: str, *keys: str | None) -> list[tuple[str, str, str]]:
    """(word, label, key) for the first word of ``sentence`` naming each slot's key."""
    out = []
    for label, key in zip(("MECHANISM", "THERAPY", "STAGE", "ORGAN"), keys, strict=True):
        stem = (key or "").split("-")[0].lower()
        word = next((w.strip(".,") for w in sentence.split() if stem and w.lower().startswith(stem)), None)
        if word and key:
            out.append((word, label, key))
    return out


#: Templates of invented sentences for the larger corpus the browser tests (and screenshots) use.
MORE_MECHANISMS = [("zeb1", "emt-plasticity", "ZEB1"), ("snai1", "emt-plasticity", "SNAI1"),
                   ("hif1a", "hypoxia", "HIF1A"), ("cxcl12", "chemokine-signalling", "CXCL12"),
                   ("granulin", "immune-microenvironment", "Granulin"), ("mmp9", "ecm-remodelling", "MMP9"),
                   ("exosomes", "extracellular-vesicles", "Exosomes")]  # fmt: skip
MORE_SITES = [("liver", 5), ("lung", 3), ("peritoneum", 2), ("lymph-node", 2), ("bone", 1)]
MORE_STAGES = ["colonization", "pre-metastatic-niche", "intravasation", "local-invasion", "recurrence"]
MORE_STUDIES = ["clinical", "animal", "in-vitro", "human-tissue", "clinical", "review"]


def _more_rows(n: int) -> list[tuple[Any, ...]]:
    rng = random.Random(9)
    sites = [site for site, weight in MORE_SITES for _ in range(weight)]
    rows = []
    for i in range(n):
        key, cat, word = rng.choice(MORE_MECHANISMS)
        organ, stage = rng.choice(sites), rng.choice(MORE_STAGES)
        polarity = "suppresses" if rng.random() < 0.1 else "promotes"
        verb = "reduced" if polarity == "suppresses" else "promoted"
        sentence = f"{word} {verb} {stage.replace('-', ' ')} in the {organ.replace('-', ' ')} in this invented study."
        rows.append((str(910000 + i), rng.randint(2008, 2025), rng.choice(MORE_STUDIES), key, cat, stage, organ,
                     None, None, polarity, False, sentence))  # fmt: skip
    return rows


def populate(engine: Engine, *, hostile: bool = True, more: int = 0, query_name: str = HOSTILE_QUERY) -> Corpus:
    """Articles, evidence with spans, a saved search, and findings ranked from them (``more``: extra
    invented rows for a fuller map)."""
    pmids = []
    with Session(engine) as s:
        for pmid, year, study, mech, cat, stage, organ, ther, tcls, pol, neg, sentence in ROWS + _more_rows(more):
            art = add_article(s, pmid, year=year, title=f"Invented study {pmid} of pancreatic cancer spread",
                              abstract=f"An invented abstract for {pmid}. {sentence}")  # fmt: skip
            marks = _marks(sentence, mech, ther, stage, organ)
            add_evidence(s, art, mechanism=mech, category=cat, stage=stage, organ=organ, therapy=ther,
                         therapy_class=tcls, polarity=pol, negated=neg, study_type=study, sentence=sentence,
                         spans=spans(sentence, *marks))  # fmt: skip
            pmids.append(pmid)
        n = len(pmids)
        hostile_pmid = "900099"
        if hostile:
            art = add_article(s, hostile_pmid, year=2025, title=HOSTILE_TITLE, abstract=HOSTILE_ABSTRACT)
            sentence = "ZEB1 <img src=y onerror=alert(1)> was found in bone lesions."
            add_evidence(s, art, mechanism="zeb1", category="emt-plasticity", stage=None, organ="bone",
                         sentence=sentence, confidence=0.3, study_type="other",
                         spans=spans(sentence, ("ZEB1", "MECHANISM", "zeb1")))  # fmt: skip
            pmids.append(hostile_pmid)
            n += 1
        add_search(s, query_name, pmids)
        refresh_findings(s)
        s.commit()
    return Corpus(hostile_pmid, pmids, n)
