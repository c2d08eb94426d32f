"""CLI command ``annotate``: tag PubMed XML or JSONL records without a database, JSONL out."""

from __future__ import annotations

import io
import json
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from pdacmine.cli.context import AppContext, open_output, pass_app
from pdacmine.errors import InputError
from pdacmine.miner.records import iter_jsonl, text_record

logger = logging.getLogger(__name__)

_XML_SUFFIXES = (".xml", ".xml.gz", ".gz")


_NOT_A_RECORD = "expected a JSON object with pmid, title and abstract"


def read_xml(source: Path | bytes, name: str) -> Iterator[dict[str, Any]]:
    """Records of PubMed XML (deleted citations skipped, unreadable records reported and skipped)."""
    from pdacmine.miner.parse import iter_pubmed
    from pdacmine.miner.records import ArticleRecord, BadRecord

    for item in iter_pubmed(source, name):
        if isinstance(item, ArticleRecord):
            yield {"pmid": item.pmid, "title": item.title, "abstract": item.abstract,
                   "publication_types": item.publication_types}  # fmt: skip
        elif isinstance(item, BadRecord):
            logger.warning("%s: skipped record %s: %s", name, item.pmid or "?", item.reason)


def read_records(path: str) -> Iterator[dict[str, Any]]:
    """Records from FILE (.xml/.xml.gz: PubMed XML; otherwise JSONL) or "-" (stdin, sniffed)."""
    if path == "-":
        data = sys.stdin.buffer.read()
        if data.lstrip()[:1] == b"<" or data[:2] == b"\x1f\x8b":
            return read_xml(data, "<stdin>")
        return _jsonl(io.BytesIO(data), "<stdin>")
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: no such file")
    if file.name.lower().endswith(_XML_SUFFIXES):
        return read_xml(file, str(file))
    return _jsonl_file(file)


def _jsonl(lines: Iterable[bytes], source: str) -> Iterator[dict[str, Any]]:
    for number, obj in iter_jsonl(lines, source, _NOT_A_RECORD):
        yield text_record(obj, source, number)


def _jsonl_file(file: Path) -> Iterator[dict[str, Any]]:
    try:
        with file.open("rb") as fh:
            yield from _jsonl(fh, str(file))
    except OSError as exc:
        raise InputError(f"{file}: cannot read the file: {exc.strerror or exc}") from exc


@click.command("annotate")
@click.argument("source", default="-", metavar="[FILE|-]")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write JSONL here (default stdout)."
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes to use.")
@click.option(
    "--batch-size", default=64, show_default=True, type=click.IntRange(1, 10_000), help="Texts per nlp.pipe batch."
)
@click.option("--model", metavar="NAME", help="Installed spaCy/scispaCy model to run first (default: none needed).")
@pass_app
def annotate_command(
    app: AppContext, source: str, output: str | None, workers: int, batch_size: int, model: str | None
) -> None:
    """Tag abstracts with organs, stages, mechanisms, therapies and evidence tuples (no database).

    Reads PubMed XML (.xml, .xml.gz: a baseline/update file or saved EFetch output) or JSONL
    with "pmid", "title", "abstract" and optionally "publication_types"; "-" reads stdin.
    Writes one JSON object per article, in input order:

    \b
      {"pmid", "text": title + "\\n" + abstract, "primary", "study_type",
       "entities": [{"start", "end", "text", "label", "key", "category",
                     "concept_id", "negated", "hedged"}],
       "tuples": [{"sentence", "start", "end", "section",
                   "mechanism": {"key", "category", "concept_id"} | null,
                   "stage": key | null, "organ": key | null,
                   "therapy": {"key", "class", "concept_id"} | null,
                   "polarity", "negated", "hedged", "study_type", "confidence",
                   "spans"}],
       "document": {"organs", "stages", "mechanisms", "therapies",
                    "therapy_classes", "pairs"}}

    Offsets index into "text"; label is ORGAN, STAGE, MECHANISM or THERAPY; keys and
    categories are those of the taxonomy (for THERAPY, category is the therapy class).
    A line that is not a JSON object of UTF-8 text (or holds a title + abstract over
    500,000 characters, a non-list "publication_types", a lone surrogate) stops the run
    with its line number (exit 3); the output file is only written when the whole input
    was read. Unreadable records in XML are reported and skipped.

    \b
    Example:
      pdacmine annotate pubmed26n1400.xml.gz -o tagged.jsonl
      echo '{"pmid": "1", "title": "ZEB1 drives liver metastasis", "abstract": ""}' | pdacmine annotate
      pdacmine annotate records.jsonl --workers 2 | jq '.tuples[]'
    """
    began = time.monotonic()
    records = read_records(source)
    n_articles = n_tuples = 0
    with open_output(output) as out:
        from pdacmine.miner.annotate import annotate_records  # spaCy loads only when needed

        for result in annotate_records(records, model=model, batch_size=batch_size, workers=workers):
            out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
            n_articles += 1
            n_tuples += len(result.tuples)
    if not app.quiet:
        click.echo(
            f"annotated {n_articles:,} article(s): {n_tuples:,} tuple(s) in {time.monotonic() - began:.1f} s", err=True
        )


COMMANDS: list[click.Command] = [annotate_command]
