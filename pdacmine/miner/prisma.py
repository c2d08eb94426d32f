"""PRISMA 2020 flow counts that are true: what each box means in pdacmine, and the PRISMA2020 template CSV.

How the database maps onto the flow diagram (Page et al. 2021; template CSV of the PRISMA2020 R
package / Shiny app, Haddaway et al. 2022):

- **Records identified (databases)**: per saved query, the distinct PMIDs its search runs identified
  (re-running a query does not identify a record twice), plus records that entered without a search
  run (imported files, fetches by PMID) as their own lines.
- **Duplicates removed**: identified records minus distinct records (the same PMID from more than one
  search or file; the reason is stated with the count).
- **Removed for other reasons**: PMIDs a search identified that never became a stored record (failed
  download or parse), plus records PubMed withdrew (DeleteCitation).
- **Marked ineligible by automation tools**: 0 unless the user chose ``--automation-excludes``; then
  the unscreened records in which pdacmine's extractor found no evidence, stated as automation.
- **Records screened**: only records a person decided (``pdacmine screen``, a screening sheet or an
  ASReview / Rayyan decision file): final include or exclude.
- **Records excluded**: final excludes by people, counted per exclusion reason.
- **Awaiting screening** (stated in the tooltips and the text): not yet screened, screened by fewer
  reviewers than dual screening needs, ``maybe``, and unresolved conflicts.
- **Included**: final includes. pdacmine screens titles and abstracts only: full-text retrieval and
  assessment are not recorded, so the records included at screening are carried through those boxes
  (0 not retrieved, 0 excluded at full text), as the tooltips say; replace them with your numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from pdacmine.miner.export import guard_cell

TEMPLATE_HEADER = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")
FULL_TEXT = (
    "pdacmine records title/abstract screening only: every record included at screening is carried through "
    "retrieval and full-text assessment (none not retrieved, none excluded); replace with your full-text numbers"
)


@dataclass(frozen=True)
class Identification:
    """Records identified per source and per search, and how duplicates were removed."""

    #: (source label, records identified) per saved query, then per other source.
    sources: tuple[tuple[str, int], ...]
    identified_distinct: int
    not_retrieved: int
    duplicates_reason: str


@dataclass(frozen=True)
class PrismaCounts:
    """Counts straight from the database (see the module docstring for each definition)."""

    identification: Identification
    withdrawn: int
    excluded_automatic: int
    automation_used: bool
    included: int
    excluded_reasons: tuple[tuple[str, int], ...]
    #: Records awaiting screening, by why: unscreened, in-progress, maybe, conflict.
    awaiting_by: dict[str, int] = field(default_factory=dict)
    #: How screening was prioritised (one line per distinct order used).
    orders: tuple[str, ...] = ()
    reviewers_required: int = 1

    @property
    def sources(self) -> tuple[tuple[str, int], ...]:
        return self.identification.sources

    @property
    def database_results(self) -> int:
        return sum(n for _, n in self.sources)

    @property
    def identified_distinct(self) -> int:
        return self.identification.identified_distinct

    @property
    def duplicates(self) -> int:
        return self.database_results - self.identified_distinct

    @property
    def excluded_other(self) -> int:
        return self.identification.not_retrieved + self.withdrawn

    @property
    def excluded(self) -> int:
        return sum(n for _, n in self.excluded_reasons)

    @property
    def screened(self) -> int:
        return self.included + self.excluded

    @property
    def awaiting(self) -> int:
        return sum(self.awaiting_by.values())

    def balanced(self) -> bool:
        """Every distinct identified record is in exactly one box."""
        parts = self.excluded_other + self.excluded_automatic + self.screened + self.awaiting
        return parts == self.identified_distinct


def _label(text: str) -> str:
    """A name safe inside the template's "Name, n; Name, n" list."""
    return text.replace(",", " ").replace(";", " ")


def _listing(pairs: tuple[tuple[str, int], ...], empty: str) -> str:
    return "; ".join(f"{_label(name)}, {n}" for name, n in pairs) if pairs else f"{empty}, 0"


def _awaiting_text(c: PrismaCounts) -> str:
    parts = ", ".join(f"{k} {n}" for k, n in c.awaiting_by.items() if n)
    return f"{c.awaiting} awaiting screening" + (f" ({parts})" if parts else "")


def _automation_text(c: PrismaCounts) -> str:
    if c.automation_used:
        return "Excluded by automation (pdacmine's extractor found no evidence in title/abstract; no person decided)"
    return "0: no automated exclusion was chosen (pdacmine prisma --automation-excludes)"


def template_rows(c: PrismaCounts) -> Iterator[tuple[str, ...]]:
    """Rows of the PRISMA2020 template CSV (header :data:`TEMPLATE_HEADER`), every row with a number or a
    stated reason."""
    reasons = _listing(c.excluded_reasons, "No records excluded")
    rows: list[tuple[str, str, str, str, str, str, str, object]] = [
        ("NA", "node4", "prevstud", "Grey title box; Previous studies", "Previous studies",
         "Grey title box; Previous studies", "prevstud.html", 0),
        ("previous_studies", "node5", "box1", "Studies included in previous version of review",
         "Studies included in previous version of review", "No previous version recorded in pdacmine: 0",
         "previous_studies.html", 0),
        ("previous_reports", "NA", "box1", "Reports of studies included in previous version of review",
         "Reports of studies included in previous version of review", "NA", "previous_reports.html", 0),
        ("NA", "node6", "newstud", "Yellow title box; Identification of new studies via databases and registers",
         "Identification of new studies via databases and registers",
         "Yellow title box; Identification of new studies via databases and registers", "newstud.html", 0),
        ("database_results", "node7", "box2", "Records identified from: Databases", "Databases",
         "Distinct records per saved search, plus records imported from files", "database_results.html",
         c.database_results),
        ("database_specific_results", "NA", "box2", "Records identified from: specific databases",
         "Specific Databases", "NA", "database_results.html", _listing(c.sources, "No searches run")),
        ("register_results", "NA", "box2", "Records identified from: Registers", "Registers",
         "pdacmine searches no trial registers: 0", "NA", 0),
        ("register_specific_results", "NA", "box2", "Records identified from: specific registers",
         "Specific Registers", "NA", "database_results.html", "No registers searched, 0"),
        ("NA", "node16", "othstud", "Grey title box; Identification of new studies via other methods",
         "Identification of new studies via other methods",
         "Grey title box; Identification of new studies via other methods", "othstud.html", 0),
        ("website_results", "node17", "box11", "Records identified from: Websites", "Websites",
         "Other methods (websites, organisations, citation searching) are not recorded in pdacmine: 0",
         "website_results.html", 0),
        ("organisation_results", "NA", "box11", "Records identified from: Organisations", "Organisations",
         "NA", "NA", 0),
        ("citations_results", "NA", "box11", "Records identified from: Citation searching", "Citation searching",
         "NA", "NA", 0),
        ("duplicates", "node8", "box3", "Duplicate records", "Duplicate records",
         c.identification.duplicates_reason, "duplicates.html", c.duplicates),
        ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools",
         "Records marked as ineligible by automation tools", _automation_text(c), "NA", c.excluded_automatic),
        ("excluded_other", "NA", "box3", "Records removed for other reasons", "Records removed for other reasons",
         f"Not retrieved {c.identification.not_retrieved}, withdrawn by PubMed {c.withdrawn}", "NA",
         c.excluded_other),
        ("records_screened", "node9", "box4", "Records screened (databases and registers)", "Records screened",
         f"Records a person decided (include or exclude); {_awaiting_text(c)}, not counted here",
         "records_screened.html", c.screened),
        ("records_excluded", "node10", "box5", "Records excluded (databases and registers)", "Records excluded",
         f"Excluded by people: {reasons}", "records_excluded.html", c.excluded),
        ("dbr_sought_reports", "node11", "box6", "Reports sought for retrieval (databases and registers)",
         "Reports sought for retrieval", FULL_TEXT, "dbr_sought_reports.html", c.included),
        ("dbr_notretrieved_reports", "node12", "box7", "Reports not retrieved (databases and registers)",
         "Reports not retrieved", FULL_TEXT, "dbr_notretrieved_reports.html", 0),
        ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)",
         "Reports sought for retrieval", "No records from other methods: 0", "other_sought_reports.html", 0),
        ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)", "Reports not retrieved",
         "No records from other methods: 0", "other_notretrieved_reports.html", 0),
        ("dbr_assessed", "node13", "box8", "Reports assessed for eligibility (databases and registers)",
         "Reports assessed for eligibility", FULL_TEXT, "dbr_assessed.html", c.included),
        ("dbr_excluded", "node14", "box9", "Reports excluded (databases and registers)", "Reports excluded",
         FULL_TEXT, "dbrexcludedrecords.html", "Full-text assessment not recorded in pdacmine, 0"),
        ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)",
         "Reports assessed for eligibility", "No records from other methods: 0", "other_assessed.html", 0),
        ("other_excluded", "node21", "box15", "Reports excluded (other)", "Reports excluded",
         "No records from other methods: 0", "other_excluded.html", "No records from other methods, 0"),
        ("new_studies", "node15", "box10", "New studies included in review", "New studies included in review",
         "Records included at screening (final include by people)", "new_studies.html", c.included),
        ("new_reports", "NA", "box10", "Reports of new included studies", "Reports of new included studies",
         "One report per included record", "NA", c.included),
        ("total_studies", "node22", "box16", "Total studies included in review", "Total studies included in review",
         "New studies plus 0 from a previous version", "total_studies.html", c.included),
        ("total_reports", "NA", "box16", "Reports of total included studies", "Reports of total included studies",
         "NA", "NA", c.included),
        ("identification", "node1", "identification", "Blue identification box", "Identification",
         "Blue identification box", "identification.html", 0),
        ("screening", "node2", "screening", "Blue screening box", "Screening", "Blue screening box",
         "screening.html", 0),
        ("included", "node3", "included", "Blue included box", "Included", "Blue included box", "included.html", 0),
        ("total_studies_ma", "node23", "box17", "Total studies included in meta-analysis",
         "Total studies included in meta-analysis", "Meta-analysis is not a pdacmine step: 0",
         "total_studies_meta_analysis.html", 0),
        ("total_reports_ma", "NA", "box17", "Reports of total included studies in meta-analysis",
         "Reports of total included studies in meta-analysis", "NA", "NA", 0),
    ]  # fmt: skip
    for row in rows:
        yield tuple(str(v) for v in row)


def write_template_csv(c: PrismaCounts, out: TextIO) -> None:
    """The PRISMA2020 template CSV (load it in the PRISMA2020 Shiny app or R package)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TEMPLATE_HEADER)
    writer.writerows(tuple(guard_cell(v) for v in row) for row in template_rows(c))  # query names are the user's


def summary_lines(c: PrismaCounts) -> Iterator[str]:
    """A readable flow, every identified record accounted for, and how screening was done."""

    def line(label: str, n: int, note: str = "", indent: int = 2) -> str:
        return f"{' ' * indent}{label:<{54 - indent}}{n:>9,}" + (f"   {note}" if note else "")

    yield "Identification"
    yield line("Records identified", c.database_results)
    for name, n in c.sources:
        yield line(name, n, indent=4)
    yield line("Duplicate records removed", c.duplicates, c.identification.duplicates_reason)
    yield line("Marked ineligible by automation", c.excluded_automatic,
               "no evidence found, no person decided" if c.automation_used else "none chosen")  # fmt: skip
    yield line(
        "Removed for other reasons",
        c.excluded_other,
        f"not retrieved {c.identification.not_retrieved}, withdrawn {c.withdrawn}",
    )
    yield "Screening"
    yield line("Records screened", c.screened, "decided by people")
    yield line("Records excluded", c.excluded)
    for reason, n in c.excluded_reasons:
        yield line(reason, n, indent=4)
    yield line("Awaiting screening", c.awaiting, ", ".join(f"{k} {n}" for k, n in c.awaiting_by.items() if n))
    yield "Included"
    yield line("Studies included", c.included, "full-text stages not recorded: see the CSV tooltips")
    yield "Screening method (PRISMA-S)"
    dual = "dual, blind (two reviewers per record, conflicts resolved by a third)"
    yield f"  {dual if c.reviewers_required > 1 else 'single reviewer per record'}"
    for order in c.orders or ("no screening session recorded yet",):
        yield f"  order: {order}"
    if not c.balanced():
        yield "warning: the boxes do not add up to the distinct records identified; please report this"


def prisma_document(c: PrismaCounts) -> dict[str, Any]:
    """The counts and every derived box, for ``prisma --format json``."""
    return {
        "sources": [{"source": name, "n": n} for name, n in c.sources],
        "database_results": c.database_results, "identified_distinct": c.identified_distinct,
        "duplicates": c.duplicates, "duplicates_reason": c.identification.duplicates_reason,
        "not_retrieved": c.identification.not_retrieved, "withdrawn": c.withdrawn, "excluded_other": c.excluded_other,
        "excluded_automatic": c.excluded_automatic, "automation_used": c.automation_used,
        "records_screened": c.screened, "records_excluded": c.excluded,
        "excluded_reasons": dict(c.excluded_reasons), "awaiting_screening": c.awaiting,
        "awaiting_by": c.awaiting_by, "included": c.included, "reviewers_required": c.reviewers_required,
        "screening_orders": list(c.orders), "balanced": c.balanced(),
    }  # fmt: skip
