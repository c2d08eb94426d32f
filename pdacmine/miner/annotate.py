"""Run the extraction pipeline over records, without a database (``annotate``; ``jobs.extract`` stores).

``annotate`` output: one :class:`~pdacmine.miner.evidence.AnnotatedDocument` per article, written as
its ``to_json()``: one JSON object per article (stable; other tools consume it)::

    {"pmid": "123", "text": "<title>\\n<abstract>", "primary": "pancreatic" | "other" | "unknown",
     "study_type": "clinical" | "human-tissue" | "animal" | "in-vitro" | "review" | "other",
     "entities": [{"start", "end", "text", "label", "key", "category", "concept_id", "negated", "hedged"}],
     "tuples": [{"sentence", "start", "end", "section",
                 "mechanism": {"key", "category", "concept_id"} | null, "stage": key | null,
                 "organ": key | null, "therapy": {"key", "class", "concept_id"} | null,
                 "polarity": "promotes" | "suppresses" | "associated", "negated", "hedged",
                 "study_type", "confidence",
                 "spans": [{"start", "end", "label", "key"}]}],
     "document": {"organs": [...], "stages": [...], "mechanisms": [...], "mechanism_keys": [...],
                  "therapies": [...], "therapy_classes": [...],
                  "pairs": {"mechanism-organ": [[category, organ]], "mechanism-stage": [[category, stage]],
                            "therapy-organ": [[therapy, organ]]}}}

Offsets (``start``/``end``) index into ``text`` (title + "\\n" + abstract); a tuple's ``spans``
(its members) are relative to its sentence. ``label`` is ORGAN | STAGE | MECHANISM | THERAPY;
``key``/``category`` are taxonomy keys (for THERAPY ``category`` is the therapy class; for ORGAN
and STAGE it is null).

``entities`` lists what pdacmine counts: an ORGAN only where the text makes it a site of PDAC
metastasis, dissemination or recurrence; nothing named only as background; no generic term
("chemotherapy") that stands for drugs the text names ("gemcitabine-based chemotherapy"); no ORGAN, STAGE
or THERAPY (and no tuple) when the abstract is about another primary cancer (``primary`` =
"other") or never names the pancreas ("unknown"). ``document`` holds the document-level sets
(non-negated entities and tuples; mechanism categories only from tuples).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any, TypeVar

from spacy.language import Language
from spacy.tokens import Doc

from pdacmine.errors import ExtractionError
from pdacmine.miner.evidence import AnnotatedDocument, DocumentSummary, EntityRecord, EvidenceRecord
from pdacmine.miner.nlp.ents import counted_mentions
from pdacmine.miner.nlp.mention import doc_text, pdac_value
from pdacmine.miner.nlp.pipeline import get_pipeline
from pdacmine.miner.nlp.sentences import doc_sentence_bounds
from pdacmine.miner.records import Annotated, Failure
from pdacmine.miner.relations import EvidenceTuple
from pdacmine.miner.studytype import classify, document_study_type

logger = logging.getLogger(__name__)
T = TypeVar("T")


def record_text(record: Mapping[str, Any]) -> str:
    """Title + newline + abstract: the text every offset indexes into."""
    return f"{record.get('title') or ''}\n{record.get('abstract') or ''}"


def document_summary(entities: Iterable[EntityRecord], tuples: Iterable[EvidenceRecord]) -> DocumentSummary:
    """Document-level sets: non-negated entities and tuples; mechanism categories only from tuples."""
    sets: dict[str, set[Any]] = {k: set() for k in ("organs", "stages", "mechanisms", "mechanism_keys", "therapies")}
    classes: set[str] = set()
    pairs: dict[str, set[tuple[str, str]]] = {
        "mechanism-organ": set(),
        "mechanism-stage": set(),
        "therapy-organ": set(),
    }
    facet_set = {"ORGAN": "organs", "STAGE": "stages", "THERAPY": "therapies"}
    for m in entities:
        if not m.negated and m.label in facet_set:
            sets[facet_set[m.label]].add(m.key)
            if m.label == "THERAPY" and m.category:
                classes.add(m.category)
    for t in tuples:
        if t.negated:
            continue
        mech, stage, organ, ther = t.mechanism, t.stage, t.organ, t.therapy
        if mech is not None:
            sets["mechanism_keys"].add(mech.key)
            if mech.category:
                sets["mechanisms"].add(mech.category)
                if organ is not None:
                    pairs["mechanism-organ"].add((mech.category, organ))
                if stage is not None:
                    pairs["mechanism-stage"].add((mech.category, stage))
        if ther is not None and organ is not None:
            pairs["therapy-organ"].add((ther.key, organ))
    return DocumentSummary(
        organs=tuple(sorted(sets["organs"])),
        stages=tuple(sorted(sets["stages"])),
        mechanisms=tuple(sorted(sets["mechanisms"])),
        mechanism_keys=tuple(sorted(sets["mechanism_keys"])),
        therapies=tuple(sorted(sets["therapies"])),
        therapy_classes=tuple(sorted(classes)),
        mechanism_organ=tuple(sorted(pairs["mechanism-organ"])),
        mechanism_stage=tuple(sorted(pairs["mechanism-stage"])),
        therapy_organ=tuple(sorted(pairs["therapy-organ"])),
    )


def _refine_study_types(doc: Doc, tuples: list[EvidenceTuple], publication_types: Any) -> str:
    cues = pdac_value(doc, "pdac_cues")
    doc_type = document_study_type(cues, publication_types)
    if publication_types:
        bounds = doc_sentence_bounds(doc)
        for t in tuples:
            t.study_type = classify(cues, *bounds[t.sent], doc_type)
    return doc_type


def doc_to_record(doc: Doc, pmid: str, publication_types: Any = None) -> AnnotatedDocument:
    """The ``annotate`` record of one processed Doc (JSON format in the module docstring)."""
    tuples: list[EvidenceTuple] = list(pdac_value(doc, "pdac_tuples") or [])
    study_type = _refine_study_types(doc, tuples, publication_types)
    entities = tuple(m.to_record() for m in counted_mentions(doc))
    evidence = tuple(t.to_record() for t in tuples)
    return AnnotatedDocument(
        pmid=pmid,
        text=doc_text(doc),
        primary=pdac_value(doc, "pdac_primary"),
        study_type=study_type,
        entities=entities,
        tuples=evidence,
        document=document_summary(entities, evidence),
    )


Item = tuple[str, str, Any]  # (pmid, text, publication types)


def _annotate_batch(batch: list[Item], model: str | None, batch_size: int) -> list[Annotated]:
    """The batch through ``nlp.pipe``; when that fails, article by article, so one bad text fails alone."""
    nlp = get_pipeline(model)
    out: list[Annotated | None] = [None] * len(batch)
    todo: list[int] = []
    for i, (pmid, text, _) in enumerate(batch):
        if len(text) > nlp.max_length:  # spaCy's E088, refused before any work
            out[i] = Failure(pmid, f"text of {len(text):,} characters, over the pipeline's limit of {nlp.max_length:,}")
        else:
            todo.append(i)
    try:
        docs = nlp.pipe((batch[i][1] for i in todo), batch_size=batch_size)
        for i, doc in zip(todo, docs, strict=True):
            out[i] = doc_to_record(doc, batch[i][0], batch[i][2])
    except Exception:  # any fault inside the NLP: find the article(s) it belongs to
        logger.debug("a batch of %d article(s) failed in the pipeline; retrying one by one", len(todo), exc_info=True)
        for i in todo:
            out[i] = _annotate_one(nlp, batch[i])
    return [result for result in out if result is not None]


def _annotate_one(nlp: Language, item: Item) -> Annotated:
    pmid, text, publication_types = item
    try:
        return doc_to_record(nlp(text), pmid, publication_types)
    except Exception as exc:  # the article fails, not the run; the reason is kept
        logger.debug("PMID %s failed in the pipeline", pmid, exc_info=True)
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        return Failure(pmid, f"{type(exc).__name__}: {first}" if first else type(exc).__name__)


def _worker_init(model: str | None) -> None:
    # Ctrl-C reaches the whole process group: the parent alone answers it (one line) and ends the
    # pool; a worker ends quietly when the pool terminates it, not with a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    get_pipeline(model)  # build once per worker process (a forked worker inherits the parent's)


def _worker_batch(args: tuple[list[Item], str | None, int]) -> list[Annotated]:
    return _annotate_batch(*args)


def in_batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def annotate_items(
    items: Iterable[Item], *, model: str | None = None, batch_size: int = 64, workers: int = 1
) -> Iterator[Annotated]:
    """Annotate (pmid, text, publication types) items, in input order; ``workers`` > 1 uses processes.

    An article the pipeline fails on yields a :class:`Failure` in its place; the others go on.
    """
    batch_size = max(1, batch_size)
    if workers <= 1:
        for batch in in_batches(items, batch_size):
            yield from _annotate_batch(batch, model, batch_size)
        return
    get_pipeline(model)  # fail fast (unknown model) and let forked workers inherit the pipeline
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ctx.Pool(workers, initializer=_worker_init, initargs=(model,)) as pool:
        jobs = ((batch, model, batch_size) for batch in in_batches(items, batch_size))
        for result in pool.imap(_worker_batch, jobs):
            yield from result


def annotate_records(
    records: Iterable[Mapping[str, Any]], *, model: str | None = None, batch_size: int = 64, workers: int = 1
) -> Iterator[AnnotatedDocument]:
    """Annotate dicts with ``pmid``, ``title``, ``abstract`` (optional ``publication_types``), in order.

    Raises :class:`~pdacmine.errors.ExtractionError` at the first record the pipeline fails on.
    """
    items = ((str(r.get("pmid") or ""), record_text(r), r.get("publication_types") or None) for r in records)
    for result in annotate_items(items, model=model, batch_size=batch_size, workers=workers):
        if isinstance(result, Failure):
            raise ExtractionError([result.pmid], f"PMID {result.pmid or '(none)'}: extraction failed: {result.reason}")
        yield result
