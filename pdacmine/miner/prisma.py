"""PRISMA 2020 flow counts: what each box means in pdacmine, and the PRISMA2020 template CSV.

How the database maps onto the flow diagram (Page et al. 2021; template CSV of the
PRISMA2020 R package / Shiny app, Haddaway et al. 2022):

- **Records identified (databases)**: per saved query, the distinct PMIDs its search runs
  identified (re-running a query does not identify a record twice). Articles that entered
  the database without any search run, i.e. ``pdacmine import`` of PubMed XML files (or a
  fetch by PMID), are PubMed records too; they are counted as their own line ("imported
  PubMed XML files") of the database total rather than as "other methods", because
  pdacmine cannot know how the file was made. Move them by hand if they came from
  citation searching.
- **Duplicates**: identified records minus distinct PMIDs (overlap between searches and files).
- **Removed for other reasons**: PMIDs a search identified that never became a stored
  record (failed download or parse), plus records PubMed withdrew (DeleteCitation).
- **Marked ineligible by automation tools**: extracted records from which pdacmine's
  extractor found no mechanism–stage–organ–therapy evidence in the title/abstract.
- **Records screened**: records with evidence, i.e. those that reach human review.
- **Records excluded**: every evidence sentence of the record was reviewed and rejected
  (a record with some sentences still unreviewed is *awaiting review*, not excluded).
- **Studies included**: records with at least one accepted evidence sentence.
- Full-text retrieval and assessment (reports sought, not retrieved, assessed, excluded)
  are not pdacmine steps: those rows are left empty for the review team to fill in.

Records not yet extracted and records awaiting review are reported in the tooltips and in
the text summary so that every identified record is accounted for.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from pdacmine.miner.export import guard_cell

TEMPLATE_HEADER = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")
SCREENING = ("included", "excluded-by-reviewer", "pending", "excluded-by-automation", "not-extracted")


def screening_status(extracted: bool, n_evidence: int, n_accepted: int, n_rejected: int) -> str:
    """Where one record stands: one of :data:`SCREENING` (``db.exports.screening_case`` is this rule in SQL)."""
    if n_accepted > 0:
        return "included"
    if n_evidence > 0:
        return "excluded-by-reviewer" if n_rejected == n_evidence else "pending"
    return "excluded-by-automation" if extracted else "not-extracted"


@dataclass(frozen=True)
class PrismaCounts:
    """Counts straight from the database (see the module docstring for each definition)."""

    #: (source label, records identified) per saved query, then per other source.
    sources: tuple[tuple[str, int], ...]
    identified_distinct: int
    not_retrieved: int
    withdrawn: int
    excluded_automatic: int
    not_extracted: int
    excluded_reviewer: int
    pending: int
    included: int

    @property
    def database_results(self) -> int:
        return sum(n for _, n in self.sources)

    @property
    def duplicates(self) -> int:
        return self.database_results - self.identified_distinct

    @property
    def excluded_other(self) -> int:
        return self.not_retrieved + self.withdrawn

    @property
    def screened(self) -> int:
        return self.included + self.excluded_reviewer + self.pending

    def balanced(self) -> bool:
        """Every distinct identified record is in exactly one box."""
        parts = self.excluded_other + self.excluded_automatic + self.not_extracted + self.screened
        return parts == self.identified_distinct


def _label(text: str) -> str:
    """A source name safe inside the template's "Name, n; Name, n" list."""
    return text.replace(",", " ").replace(";", " ")


def template_rows(c: PrismaCounts) -> Iterator[tuple[str, ...]]:
    """Rows of the PRISMA2020 template CSV (header :data:`TEMPLATE_HEADER`) with pdacmine's numbers."""
    manual = "Not a pdacmine step (it reviews titles and abstracts): fill in by hand"
    specific = "; ".join(f"{_label(name)}, {n}" for name, n in c.sources)
    rows: list[tuple[str, str, str, str, str, str, str, object]] = [
        ("NA", "node4", "prevstud", "Grey title box; Previous studies", "Previous studies",
         "Grey title box; Previous studies", "prevstud.html", 0),
        ("previous_studies", "node5", "box1", "Studies included in previous version of review",
         "Studies included in previous version of review", "Studies included in previous version of review",
         "previous_studies.html", 0),
        ("previous_reports", "NA", "box1", "Reports of studies included in previous version of review",
         "Reports of studies included in previous version of review", "NA", "previous_reports.html", 0),
        ("NA", "node6", "newstud", "Yellow title box; Identification of new studies via databases and registers",
         "Identification of new studies via databases and registers",
         "Yellow title box; Identification of new studies via databases and registers", "newstud.html", 0),
        ("database_results", "node7", "box2", "Records identified from: Databases", "Databases",
         "PubMed records: distinct PMIDs per saved search, plus records imported from files", "database_results.html",
         c.database_results),
        ("database_specific_results", "NA", "box2", "Records identified from: specific databases",
         "Specific databases", "NA", "database_results.html", specific),
        ("register_results", "NA", "box2", "Records identified from: Registers", "Registers", "NA", "NA", 0),
        ("NA", "node16", "othstud", "Grey title box; Identification of new studies via other methods",
         "Identification of new studies via other methods",
         "Grey title box; Identification of new studies via other methods", "othstud.html", 0),
        ("website_results", "node17", "box11", "Records identified from: Websites", "Websites",
         "Records identified from: Websites", "website_results.html", 0),
        ("organisation_results", "NA", "box11", "Records identified from: Organisations", "Organisations",
         "NA", "NA", 0),
        ("citations_results", "NA", "box11", "Records identified from: Citation searching", "Citation searching",
         "NA", "NA", 0),
        ("duplicates", "node8", "box3", "Duplicate records", "Duplicate records",
         "Same PMID identified by more than one search or file", "duplicates.html", c.duplicates),
        ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools",
         "Records marked as ineligible by automation tools", "NA", "NA", c.excluded_automatic),
        ("excluded_other", "NA", "box3", "Records removed for other reasons", "Records removed for other reasons",
         "NA", "NA", c.excluded_other),
        ("records_screened", "node9", "box4", "Records screened (databases and registers)", "Records screened",
         f"Records with extracted evidence, reviewed by humans; {c.pending} still awaiting review; "
         f"{c.not_extracted} not yet extracted (not counted in any box)", "records_screened.html", c.screened),
        ("records_excluded", "node10", "box5", "Records excluded (databases and registers)", "Records excluded",
         f"Excluded by reviewers (all evidence rejected): {c.excluded_reviewer}; by automation: "
         f"{c.excluded_automatic} (see above)", "records_excluded.html", c.excluded_reviewer),
        ("dbr_sought_reports", "node11", "box6", "Reports sought for retrieval (databases and registers)",
         "Reports sought for retrieval", manual, "dbr_sought_reports.html", ""),
        ("dbr_notretrieved_reports", "node12", "box7", "Reports not retrieved (databases and registers)",
         "Reports not retrieved", manual, "dbr_notretrieved_reports.html", ""),
        ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)",
         "Reports sought for retrieval", manual, "other_sought_reports.html", ""),
        ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)", "Reports not retrieved",
         manual, "other_notretrieved_reports.html", ""),
        ("dbr_assessed", "node13", "box8", "Reports assessed for eligibility (databases and registers)",
         "Reports assessed for eligibility", manual, "dbr_assessed.html", ""),
        ("dbr_excluded", "node14", "box9", "Reports excluded (databases and registers)", "Reports excluded", manual,
         "dbrexcludedrecords.html", ""),
        ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)",
         "Reports assessed for eligibility", manual, "other_assessed.html", ""),
        ("other_excluded", "node21", "box15", "Reports excluded (other)", "Reports excluded", manual,
         "other_excluded.html", ""),
        ("new_studies", "node15", "box10", "New studies included in review", "New studies included in review",
         "Records with at least one evidence sentence accepted by a reviewer", "new_studies.html", c.included),
        ("new_reports", "NA", "box10", "Reports of new included studies", "Reports of new included studies", "NA",
         "NA", c.included),
        ("total_studies", "node22", "box16", "Total studies included in review", "Total studies included in review",
         "Total studies included in review", "total_studies.html", c.included),
        ("total_reports", "NA", "box16", "Reports of total included studies", "Reports of total included studies",
         "NA", "NA", c.included),
        ("identification", "node1", "identification", "Blue identification box", "Identification",
         "Blue identification box", "identification.html", 0),
        ("screening", "node2", "screening", "Blue screening box", "Screening", "Blue screening box",
         "screening.html", 0),
        ("included", "node3", "included", "Blue included box", "Included", "Blue included box", "included.html", 0),
    ]  # fmt: skip
    for row in rows:
        yield tuple(str(v) for v in row)


def write_template_csv(c: PrismaCounts, out: TextIO) -> None:
    """The PRISMA2020 template CSV (load it in the PRISMA2020 Shiny app or R package)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TEMPLATE_HEADER)
    writer.writerows(tuple(guard_cell(v) for v in row) for row in template_rows(c))  # query names are the user's


def summary_lines(c: PrismaCounts) -> Iterator[str]:
    """A readable flow, every identified record accounted for."""

    def line(label: str, n: int, note: str = "", indent: int = 2) -> str:
        return f"{' ' * indent}{label:<{54 - indent}}{n:>9,}" + (f"   {note}" if note else "")

    yield "Identification"
    yield line("Records identified from PubMed", c.database_results)
    for name, n in c.sources:
        yield line(name, n, indent=4)
    yield line("Duplicate records removed", c.duplicates)
    yield line("Marked ineligible by automation", c.excluded_automatic, "no evidence found in title/abstract")
    yield line(
        "Removed for other reasons", c.excluded_other, f"not retrieved {c.not_retrieved}, withdrawn {c.withdrawn}"
    )
    yield line("Awaiting extraction", c.not_extracted, "run pdacmine extract")
    yield "Screening"
    yield line("Records screened", c.screened)
    yield line("Excluded by reviewers", c.excluded_reviewer, "all evidence rejected")
    yield line("Awaiting review", c.pending, "some evidence not yet reviewed")
    yield "Included"
    yield line("Studies included", c.included, "at least one accepted evidence sentence")
    if not c.balanced():
        yield "warning: the boxes do not add up to the distinct records identified; please report this"
