"""Write tests/data/dedup_cases.jsonl: an invented deduplication test set with known answers.

Every record is invented (titles, authors, identifiers). Each base study appears as its
"PubMed" record plus variants the way other databases spell it (case, punctuation, HTML
entities, transliterated names, Greek letters spelt out, titles cut short, DOI or PMID
missing, identifiers only; and harder ones: a typo, a dropped subtitle, the print year one
after the e-pub year); records with the same ``cluster`` are the same study. Hard
non-duplicates get their own cluster: the same title in another year, errata, comments and
replies about a study, and sibling studies whose titles differ in one word.

Run ``python scripts/make_dedup_cases.py`` to regenerate (deterministic).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).parents[1] / "tests" / "data" / "dedup_cases.jsonl"

# (title, first author, year) of invented base studies
BASES = [
    (
        "ZEB1-driven epithelial-mesenchymal transition promotes liver metastasis of pancreatic ductal adenocarcinoma",
        "Okafor",
        2021,
    ),
    ("Hepatic stellate cells prime a pre-metastatic niche for pancreatic cancer in the liver", "Müller", 2020),
    ("CXCR4 signalling and lung colonisation by pancreatic cancer cells in KPC mice", "Sjöberg", 2019),
    (
        "Peritoneal dissemination of pancreatic ductal adenocarcinoma: the role of mesothelial clearance",
        "Gonçalves",
        2022,
    ),
    ("TGF-β and SMAD4 loss in metastatic pancreatic cancer: a tissue microarray study", "Łukasiewicz", 2018),
    ("Circulating tumour cells predict early recurrence after pancreatoduodenectomy", "Nguyễn", 2023),
    ("Exosomal integrins determine organotropic metastasis of pancreatic tumours", "Dvořák", 2017),
    ("Neoadjuvant FOLFIRINOX and the pattern of distant recurrence in resectable pancreatic cancer", "Schröder", 2024),
    ("Macrophage-derived granulin drives liver fibrosis and pancreatic cancer metastasis", "Çelik", 2016),
    ("Perineural invasion and locoregional recurrence of pancreatic head carcinoma", "Ødegaard", 2021),
    ("Single-cell atlas of liver metastases from pancreatic ductal adenocarcinoma", "Jäger", 2022),
    ("Gemcitabine plus nab-paclitaxel in patients with lung-only metastatic pancreatic cancer", "Strauß", 2020),
    ("KRAS G12D allele dosage and metastatic competence in pancreatic cancer organoids", "Haddad", 2023),
    ("Stereotactic body radiotherapy for oligometastatic pancreatic cancer: a retrospective cohort", "Moreau", 2019),
    ("Neutrophil extracellular traps promote hepatic metastasis of pancreatic adenocarcinoma", "Virtanen", 2021),
    (
        "Bone metastasis from pancreatic ductal adenocarcinoma: incidence and survival in a national registry",
        "Ito",
        2018,
    ),
    ("Loss of GATA6 marks basal-like pancreatic tumours with early dissemination", "Berg", 2022),
    ("Hypoxia-inducible factor 1α enables lymph node metastasis in pancreatic cancer", "Rossi", 2017),
    (
        "Prognostic value of CA19-9 kinetics in metastatic pancreatic cancer treated with chemotherapy",
        "Kowalczyk",
        2020,
    ),
    ("Brain metastases of pancreatic cancer: a multicentre case series", "Fernández", 2024),
    ("Cancer-associated fibroblasts secrete IL-6 to support peritoneal spread of pancreatic cancer", "O'Brien", 2023),
    ("Podocalyxin expression and distant metastasis in resected pancreatic ductal adenocarcinoma", "Andersson", 2016),
    ("Metastasis-initiating cells in pancreatic cancer depend on fatty acid oxidation", "Papadopoulos", 2021),
    ("Liver-directed therapy for pancreatic cancer liver metastases: a systematic review", "Kim", 2022),
    ("Claudin-18.2 as a target in metastatic pancreatic adenocarcinoma: preclinical evidence", "Zhang", 2023),
    ("Epigenetic reprogramming during pancreatic cancer metastasis to the lung", "Novak", 2019),
    ("Osteopontin from bone marrow cells conditions the pre-metastatic liver in pancreatic cancer", "Yilmaz", 2020),
    ("Pancreatic cancer cells hijack hepatocyte-derived serum amyloid A to colonise the liver", "Weiß", 2018),
    ("Recurrence patterns after total neoadjuvant therapy for borderline resectable pancreatic cancer", "Silva", 2024),
    ("Platelet-tumour cell interactions in the circulation of patients with pancreatic cancer", "Mäkinen", 2017),
    ("A CRISPR screen identifies regulators of pancreatic cancer dissemination to the peritoneum", "Dubois", 2022),
    ("Survival after resection of isolated lung metastases from pancreatic cancer", "Tanaka", 2021),
    ("Mesothelin-targeted CAR T cells against peritoneal metastases of pancreatic cancer in mice", "García", 2023),
    ("Vascular mimicry and hematogenous spread of pancreatic adenocarcinoma", "Ivanova", 2016),
    ("Nerve growth factor signalling accelerates perineural spread of pancreatic cancer", "Lindqvist", 2019),
    ("Whole-genome sequencing of matched primary tumours and metastases in pancreatic cancer", "Østergaard", 2020),
    ("Obesity, adipokines and metastatic burden in pancreatic ductal adenocarcinoma", "Brennan", 2018),
    ("Metformin use and risk of distant metastasis after pancreatectomy: a population study", "Hoffmann", 2022),
    ("Tumour budding as a predictor of lymph node metastasis in pancreatic cancer", "Müller-Lüdenscheidt", 2021),
    (
        "Liquid biopsy detection of ctDNA after surgery predicts metastatic relapse of pancreatic cancer",
        "Sánchez",
        2024,
    ),
]

GREEK = {"β": ("&beta;", "beta", "&#946;"), "α": ("&alpha;", "alpha", "&#945;")}
TRANSLIT = {"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss", "ø": "oe", "Ø": "Oe", "ç": "c", "ł": "l", "Ł": "L",
            "ễ": "e", "ř": "r", "Ç": "C", "é": "e", "á": "a", "í": "i"}  # fmt: skip


def _translit(text: str) -> str:
    return "".join(TRANSLIT.get(c, c) for c in text)


def _html(title: str) -> str:
    for letter, (entity, _, _) in GREEK.items():
        title = title.replace(letter, entity)
    words = title.split()
    if len(words) > 3:
        words[2] = f"<i>{words[2]}</i>"
    return " ".join(words).replace(" and ", " &amp; ")


def _greek_spelt(title: str) -> str:
    for letter, (_, name, _) in GREEK.items():
        title = title.replace(letter, f"-{name}").replace("--", "-")
    return title


def _punct(title: str) -> str:
    return title.replace("-", " ").replace(":", " -").replace(",", "") + "."


def _truncate(title: str) -> str:
    cut = max(45, int(len(title) * 0.6))
    return title[:cut]


VARIANTS = {
    "case": lambda t: t.upper(),
    "punctuation": _punct,
    "html": _html,
    "greek": _greek_spelt,
    "truncated": _truncate,
    "transliterated": _translit,
}


def _base_record(i: int, title: str, author: str, year: int) -> dict[str, object]:
    return {
        "title": title, "first_author": author, "year": year, "pmid": str(39100000 + i),
        "doi": f"10.5555/inv.{year}.{i:04d}", "pmcid": f"PMC98{i:05d}" if i % 3 == 0 else None,
    }  # fmt: skip


def build() -> list[dict[str, object]]:
    rng = random.Random(20261207)
    records: list[dict[str, object]] = []

    def add(cluster: str, kind: str, **fields: object) -> None:
        row = {"id": len(records) + 1, "cluster": cluster, "kind": kind, "pmid": None, "doi": None, "pmcid": None}
        row.update(fields)
        records.append(row)

    for i, (title, author, year) in enumerate(BASES):
        base = _base_record(i, title, author, year)
        cluster = f"study-{i}"
        add(cluster, "pubmed", **base)
        usable = [k for k in sorted(VARIANTS) if k != "greek" or any(g in title for g in GREEK)]
        kinds = rng.sample(usable, 3)
        for n, kind in enumerate(kinds):
            vtitle = VARIANTS[kind](title)
            vauthor = _translit(author) if kind == "transliterated" or rng.random() < 0.3 else author
            # other databases: DOI missing on some, never a PMID on most
            doi = base["doi"] if n == 0 and rng.random() < 0.5 else None
            add(cluster, kind, title=vtitle, first_author=vauthor, year=year, doi=doi)
        if i % 4 == 0:  # an identifier-only match: a record whose title a database mangled
            add(cluster, "doi-only", title=title.split(":")[0][:30] + " [Abstract]", first_author=author,
                year=year, doi="https://doi.org/" + str(base["doi"]).upper())  # fmt: skip
        if i % 6 == 2:  # harder: a typo, a dropped subtitle, the print year after the e-pub year
            typo = title[:20] + title[21] + title[20] + title[22:]
            add(cluster, "typo", title=typo, first_author=author, year=year)
        if i % 6 == 3 and ":" in title:
            add(cluster, "subtitle dropped", title=title.split(":")[0], first_author=author, year=year)
        if i % 6 == 4:
            add(cluster, "year + 1 (print)", title=title, first_author=author, year=year + 1)
        if i % 5 == 1:
            add(cluster, "pmid-only", title=title.lower()[:35], first_author=None, year=None, pmid=base["pmid"])
        # hard non-duplicates, each its own study
        if i % 3 == 0:
            add(f"erratum-{i}", "erratum", title=f"Erratum: {title}", first_author=author, year=year)
        if i % 3 == 1:
            add(f"comment-{i}", "comment", title=f"Comment on: {title}", first_author="Reviewer", year=year)
            add(f"reply-{i}", "reply", title=f"Reply to: {title}", first_author=author, year=year)
        if i % 4 == 2:
            add(f"later-{i}", "same title, other year", title=title, first_author=author, year=year + 3)
    siblings = [
        ("CXCR4 promotes lung metastasis of pancreatic cancer in orthotopic mouse models",
         "CXCR4 promotes liver metastasis of pancreatic cancer in orthotopic mouse models"),
        ("A phase 2 trial of liposomal irinotecan in metastatic pancreatic cancer",
         "A phase 3 trial of liposomal irinotecan in metastatic pancreatic cancer"),
        ("MicroRNA-21 drives peritoneal metastasis of pancreatic cancer",
         "MicroRNA-155 drives peritoneal metastasis of pancreatic cancer"),
        ("Metastatic pancreatic cancer in elderly patients: outcomes of first-line chemotherapy",
         "Metastatic pancreatic cancer in young patients: outcomes of first-line chemotherapy"),
        ("Prognostic factors in pancreatic cancer with liver metastases: part I",
         "Prognostic factors in pancreatic cancer with liver metastases: part II"),
        ("SMAD4 loss predicts widespread metastasis in pancreatic cancer autopsy series",
         "SMAD4 loss predicts widespread metastasis in gastric cancer autopsy series"),
        ("Imaging of pancreatic cancer liver metastases with contrast-enhanced ultrasound",
         "Imaging of pancreatic cancer liver metastases with contrast-enhanced ultrasound and MRI"),
        ("Liver metastases of pancreatic cancer: a review of imaging",
         "Liver metastases of pancreatic cancer: a review of surgery"),
    ]  # fmt: skip
    for k, (a, b) in enumerate(siblings):
        add(f"sibling-{k}a", "sibling", title=a, first_author="Rahman", year=2021)
        add(f"sibling-{k}b", "sibling", title=b, first_author="Rahman", year=2021)
    return records


def main() -> None:
    rows = build()
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{OUT}: {len(rows)} records")


if __name__ == "__main__":
    main()
