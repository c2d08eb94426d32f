"""An article as the ``articles`` table stores it: bind values of its content columns and their digest.

Each JSON column is serialised once, with orjson, and the same bytes feed the content digest
(``articles.content_hash``, SHA-1 cut to 128 bits: a change detector, not a security check) and
the bound parameter. An :class:`ArticleRow` is much smaller than the parsed
:class:`~pdacmine.miner.records.ArticleRecord` it comes from, so importers turn each record into
one (:func:`to_row`) as soon as it is parsed; :mod:`pdacmine.db.articles` stores them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import JSON, String, Table

from pdacmine.miner.records import ArticleRecord, ParsedItem
from pdacmine.models import Article

logger = logging.getLogger(__name__)

ARTICLES: Table = Article.__table__  # type: ignore[assignment]

_RECORD_FIELDS = [f.name for f in fields(ArticleRecord) if f.name not in ("pmid", "version")]
#: Content columns holding JSON documents (lists of authors, MeSH headings...).
JSON_FIELDS: tuple[str, ...] = tuple(n for n in _RECORD_FIELDS if isinstance(ARTICLES.c[n].type, JSON))
#: Plain content columns (text, numbers, the publication date, the retracted flag).
SCALAR_FIELDS: tuple[str, ...] = tuple(n for n in _RECORD_FIELDS if n not in JSON_FIELDS)
#: Maximum lengths of the bounded string columns (PostgreSQL rejects longer values), by position.
_LIMITS: tuple[tuple[int, str, int], ...] = tuple(
    (i, n, length)
    for i, n in enumerate(SCALAR_FIELDS)
    if isinstance(ARTICLES.c[n].type, String) and (length := getattr(ARTICLES.c[n].type, "length", 0))
)
_scalars_of = attrgetter(*SCALAR_FIELDS)
_documents_of = attrgetter(*JSON_FIELDS)

#: Bound content of one article: SCALAR_FIELDS values, then JSON_FIELDS as JSON text.
Content = tuple[Any, ...]


def _dumps(document: Any) -> bytes:
    try:
        return orjson.dumps(document)
    except TypeError:  # e.g. text with a lone surrogate, which orjson refuses and json escapes
        return json.dumps(document).encode()


def content_and_digest(scalars: Sequence[Any], documents: Sequence[Any]) -> tuple[Content, str]:
    """Bind values of the content columns (JSON serialised) and their digest."""
    try:
        texts = list(map(orjson.dumps, documents))
    except TypeError:
        texts = [_dumps(d) for d in documents]
    digest = hashlib.sha1(  # change detection, not security
        "\x1f".join(["\x00" if value is None else str(value) for value in scalars]).encode(),
        usedforsecurity=False,
    )
    digest.update(b"\x1f")
    digest.update(b"\x1f".join(texts))
    return (*scalars, *map(bytes.decode, texts)), digest.hexdigest()[:32]


@dataclass(slots=True, frozen=True)
class ArticleRow:
    """An article reduced to what the articles table stores: bind values and their digest.

    Much smaller than the :class:`ArticleRecord` it comes from (a few strings instead of
    hundreds of dicts and lists), so a batch of them is cheap to hold: see :func:`to_row`.
    """

    pmid: str
    version: int
    content: Content
    digest: str


#: What :func:`store_batch` accepts: parsed items, or articles already turned into rows.
StoreItem = ParsedItem | ArticleRow


def to_row(item: StoreItem) -> StoreItem:
    """An :class:`ArticleRecord` as an :class:`ArticleRow` (long strings cut to their column); others as they are.

    Importers call it on each record as it is parsed, so the batch waiting for
    :func:`store_batch` holds compact rows rather than the parsed records.
    """
    return article_row(item) if isinstance(item, ArticleRecord) else item


def article_row(record: ArticleRecord) -> ArticleRow:
    """The row of one parsed article (long strings cut to their column, with a warning)."""
    scalars: Sequence[Any] = _scalars_of(record)
    for i, name, limit in _LIMITS:
        value = scalars[i]
        if value is not None and len(value) > limit:
            logger.warning("PMID %s: %s longer than %d characters, cut", record.pmid, name, limit)
            scalars = [*scalars[:i], value[:limit], *scalars[i + 1 :]]
    content, digest = content_and_digest(scalars, _documents_of(record))
    return ArticleRow(record.pmid, record.version, content, digest)
