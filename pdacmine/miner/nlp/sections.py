"""Structured-abstract sections from the text itself.

PubMed's structured abstracts arrive as "LABEL: text" paragraphs joined with "\\n" (that is
how ``Article.abstract`` stores them); copies from other sources put the label on its own
line ("Purpose" / "Methods") or run the sections together in one paragraph ("... patients.
Methods: We ..."). All three layouts are recognised; inside a paragraph only a known label
after a sentence end counts. A label maps to its NLM category
(BACKGROUND, OBJECTIVE, METHODS, RESULTS, CONCLUSIONS) through ``section_labels`` of the rules
file; an unknown ALL-CAPS label is kept as written ("PATIENTS"). The title is "TITLE"; an
unstructured abstract has no section (None).
"""

from __future__ import annotations

import re
from bisect import bisect_right

from spacy.tokens import Doc

from pdacmine.miner.nlp.mention import doc_offsets, pdac_value
from pdacmine.miner.nlp.rules import Rules

_INLINE = re.compile(r"^\s*([A-Za-z][A-Za-z ,&/\-]{1,60}?)\s*[:：]\s*")
#: a label after a sentence end inside a line (group 1; the match itself starts at the sentence end)
_MID_LINE = re.compile(r"[.!?]\s+([A-Z][A-Za-z ,&/\-]{1,40}?)\s*:\s")
_OWN_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z ,&/\-]{1,60}?)\s*[:.]?\s*$")

Section = tuple[int, str | None]


def line_label(line: str, rules: Rules) -> tuple[str | None, bool]:
    """(section, label_only) for one abstract line; section None when the line has no label."""
    own = _OWN_LINE.match(line)
    if own:
        label = own.group(1).strip()
        known = rules.section_labels.get(label.lower())
        if known:
            return known, True
        if label.isupper() and line.rstrip().endswith(":"):
            return label.upper()[:50], True
    inline = _INLINE.match(line)
    if inline:
        label = inline.group(1).strip()
        known = rules.section_labels.get(label.lower())
        if known:
            return known, False
        if label.isupper() and len(label) > 2:
            return label[:50], False
    return None, False


def after_label(text: str, start: int, end: int, rules: Rules) -> int:
    """Where a sentence starting at ``start`` begins once a leading "LABEL: " is skipped.

    Evidence shows the claim, not the heading: "CONCLUSIONS: Targeting X ..." -> "Targeting X ...".
    """
    sentence = text[start:end]
    section, label_only = line_label(sentence, rules)
    match = _INLINE.match(sentence)
    if section is None or label_only or match is None or match.end() >= len(sentence):
        return start
    return start + match.end()


def section_starts(text: str, rules: Rules) -> list[Section]:
    """(start character, section) at each change of section; the title is "TITLE"."""
    title_end = text.find("\n")
    if title_end < 0:
        return [(0, "TITLE")]
    out: list[Section] = [(0, "TITLE"), (title_end + 1, None)]
    pos = title_end + 1
    structured = False
    for line in text[title_end + 1 :].split("\n"):
        section, _ = line_label(line, rules)
        if section is not None:
            structured = True
            out.append((pos, section))
        for match in _MID_LINE.finditer(line):
            known = rules.section_labels.get(match.group(1).strip().lower())
            if known:
                structured = True
                out.append((pos + match.start(1), known))
        pos += len(line) + 1
    if not structured:
        return out[:2]
    return out


def _section_at(sections: list[Section], starts: list[int], char: int) -> str | None:
    i = bisect_right(starts, char) - 1
    return sections[i][1] if i >= 0 else None


def section_at(sections: list[Section], char: int) -> str | None:
    """The section of the character offset ``char`` (``sections`` from :func:`section_starts`)."""
    return _section_at(sections, [s for s, _ in sections], char)


def sentence_sections(doc: Doc) -> list[str | None]:
    """The section of each sentence of a Doc that ``pdac_cues`` processed (``Doc._.pdac_sections``)."""
    sections = pdac_value(doc, "pdac_sections") or [(0, None)]
    starts = [s for s, _ in sections]
    offsets = doc_offsets(doc)
    sent_starts = pdac_value(doc, "pdac_sent_starts") or [0]
    return [_section_at(sections, starts, offsets[s]) if s < len(offsets) else None for s in sent_starts]
