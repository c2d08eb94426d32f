"""``pdac_ents``: the entities pdacmine counts, in ``doc.ents`` (for displaCy, negspacy, a linker).

The counted mentions are those ``annotate`` lists as ``entities``: not background, not a generic
term standing for named drugs, an ORGAN only as a metastatic site, and no ORGAN, STAGE or THERAPY
when the abstract is about another primary cancer. ``doc.ents`` cannot overlap, so where two
counted mentions do ("perineural invasion" is a STAGE and a MECHANISM) the longer, then the first,
is kept (the rule of :func:`spacy.util.filter_spans`); ``doc.spans["pdac"]`` keeps every reading.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span

from pdacmine.miner.nlp.mention import (
    Mention,
    StringIds,
    mention_spans,
    non_overlapping,
    pdac_value,
    register_extensions,
)
from pdacmine.miner.relations import is_counted


def counted_mentions(doc: Doc) -> list[Mention]:
    """The mentions pdacmine asserts (see the module docstring)."""
    other = pdac_value(doc, "pdac_primary") != "pancreatic"
    out = []
    for m in pdac_value(doc, "pdac_mentions") or ():
        if not is_counted(m):
            continue
        if other and m.label in ("ORGAN", "STAGE", "THERAPY"):
            continue
        out.append(m)
    return out


@Language.factory(
    "pdac_ents",
    assigns=["doc.ents", "token.ent_type", "token.ent_iob", "span._.pdac_category"],
    requires=["doc._.pdac_mentions", "doc._.pdac_primary"],
    default_config={"overwrite_ents": True},
)
class EntityWriter:
    """Writes the counted mentions to ``doc.ents`` (label = facet, ``id_`` = key, ``kb_id_`` = concept ID).

    ``overwrite_ents`` False keeps the entities an earlier component (a model's NER) set and adds
    the pdac ones that do not overlap them.
    """

    def __init__(self, nlp: Language, name: str, overwrite_ents: bool) -> None:
        register_extensions()
        self.name = name
        self.overwrite_ents = overwrite_ents
        self._ids = StringIds(nlp.vocab.strings)

    def __call__(self, doc: Doc) -> Doc:
        spans = mention_spans(doc, non_overlapping(counted_mentions(doc)), self._ids)
        if self.overwrite_ents or not doc.ents:
            # tokens outside the spans stay unset unless earlier entities must be cleared (cheaper)
            doc.set_ents(spans, default="outside" if doc.has_annotation("ENT_IOB") else "unmodified")
        else:
            doc.ents = [*doc.ents, *(s for s in spans if not _overlaps(s, doc.ents))]
        return doc


def _overlaps(span: Span, ents: Sequence[Span]) -> bool:
    return any(e.start < span.end and span.start < e.end for e in ents)
