"""``pdac_organ_context``: an organ counts only as a site of metastasis, dissemination or recurrence.

An ORGAN mention is a *site* when, in its sentence,

- a strong cue is within ``windows.organ_site`` tokens ("liver metastases", "metastasized to
  the lungs", "seeding of the peritoneum", "recurred in the liver", "peritoneal carcinomatosis"),
  or a weak cue is ("hepatic lesions", "lung nodules") and the abstract speaks of metastasis;
- it is not used in a normal-organ sense ("liver function", "normal lung"), is not part of
  another primary cancer ("lung cancer"), and its sentence names no other primary cancer
  unless it also names pancreatic cancer;
- or a strong cue opens the sentence's claim and the organ is where it happened ("Recurrence developed
  in 25 patients, most frequently in the liver"): a strong cue anywhere before "in/to (the) <organ>";
- "peritoneal disease" and "nodal disease" mean metastases (in an abstract that speaks of metastasis),
  though "disease" after other organs is a normal-organ sense ("liver disease");
- coordinated organs share the verdict ("liver, lung and peritoneal metastases");
- it is not an organ the primary tumour invades directly ("invasion of the spleen and left adrenal
  gland", "extending into the duodenum", "gastric invasion"): that is local invasion (annotation);
- "secondary to" is a metastasis cue only before the cancer ("Krukenberg tumour secondary to PDAC"),
  not before a cause ("bowel changes secondary to the obstruction").

The pancreas is never a site. When the abstract is about another primary cancer
(colorectal, gastric, breast, a neuroendocrine tumour, or a cancer metastatic *to* the
pancreas), no organ is a PDAC site: ``Doc._.pdac_primary`` is then "other" ("unknown" when
the pancreas is never named, treated alike). A pancreatic cancer named as what another tumour
mimics or is told apart from ("metastatic breast carcinoma mimicking pancreatic adenocarcinoma",
``PANCREATIC_MIMIC`` cues) does not make the abstract about PDAC.
"""

from __future__ import annotations

import itertools

from spacy.language import Language
from spacy.tokens import Doc

from pdacmine.miner.nlp.cues import CueIndex
from pdacmine.miner.nlp.mention import Mention, doc_text, doc_words, pdac_value, register_extensions
from pdacmine.miner.nlp.resources import rules_ref
from pdacmine.miner.nlp.rules import Rules, default_rules
from pdacmine.miner.nlp.sentences import doc_sentence_bounds

NEVER_SITES = default_rules().word_list("never_sites")
#: Lymph nodes are not invaded "directly" in the annotation's sense ("lymph node invasion" is nodal metastasis).
NEVER_INVADED = default_rules().word_list("never_invaded")
#: Organs whose "disease" is metastatic disease in oncology ("peritoneal disease", "nodal disease").
DISEASE_IS_SPREAD = default_rules().word_list("disease_is_spread")
_DISEASE = default_rules().word_list("disease_words")
_WHERE = default_rules().word_list("where_words")
_COORDINATORS = default_rules().word_list("organ_coordinators")


def document_primary(cues: CueIndex, title_end: int) -> str:
    """ "pancreatic", "other" or "unknown": which primary cancer the abstract is about."""

    mimics = cues.get("PANCREATIC_MIMIC")

    def score(label: str, weight: int = 3) -> tuple[int, int]:
        spans = cues.get(label)
        if label == "PANCREATIC" and mimics:  # "a mass mimicking pancreatic cancer" is not about PDAC
            spans = [(s, e) for s, e in spans if not any(0 <= s - me <= 2 for _, me in mimics)]
        in_title = sum(1 for s, _ in spans if s < title_end)
        return len(spans) + (weight - 1) * in_title, in_title

    panc, panc_title = score("PANCREATIC")
    other, other_title = score("OTHER_PRIMARY")
    to_pancreas, to_pancreas_title = score("PANCREAS_AS_SITE")
    other_score = other + 2 * to_pancreas
    if other_score == 0:
        return "pancreatic" if panc or cues.count("PANCREAS_WORD") else "unknown"
    if panc == 0:
        return "other"
    if (other_title or to_pancreas_title) and not panc_title and other_score >= panc:
        return "other"
    if other_score >= 3 * panc:
        return "other"
    return "pancreatic"


_INVASION_GLUE = default_rules().word_list("invasion_glue")


def directly_invaded(m: Mention, cues: CueIndex, words: list[str]) -> bool:
    """The primary invades the organ ("invasion of the spleen", "extending into the duodenum", "gastric invasion")."""
    if m.key in NEVER_INVADED:
        return False
    for _, end in cues.within("DIRECT_INVASION", m.start - 6, m.start):
        between = words[end : m.start]
        if len(between) <= 3 and all(w.lower() in _INVASION_GLUE for w in between):
            return True
    return cues.starting_at("INVASION_AFTER", m.end) is not None


def _strong_cue(cues: CueIndex, a: int, b: int) -> bool:
    """A MET_STRONG cue in [a, b); "secondary to" counts only before the (pancreatic) cancer."""
    for s, e in cues.within("MET_STRONG", a, b):
        if cues.starting_at("SECONDARY_TO", s) and not cues.any_within("PANCREATIC", e, e + 5):
            continue
        return True
    return False


def _normal_sense(m: Mention, cues: CueIndex, words: list[str]) -> bool:
    """ "liver function", "normal lung", "injected into the spleen" (not "peritoneal disease")."""
    if cues.ending_at("NORMAL_BEFORE", m.start) is not None:
        return True
    if cues.starting_at("NORMAL_AFTER", m.end) is None:
        return False
    return not (m.key in DISEASE_IS_SPREAD and m.end < len(words) and words[m.end].lower() in _DISEASE)


def _where_it_happened(m: Mention, cues: CueIndex, sent: tuple[int, int], words: list[str]) -> bool:
    """ "Recurrence developed in 25 patients, most frequently in the liver": a strong cue earlier in the
    sentence, no clause boundary (``TERMINATE``) after it, and "in/to (the) <organ>"."""
    i = m.start - 1
    if i > sent[0] and words[i].lower() == "the":
        i -= 1
    if i < sent[0] or words[i].lower() not in _WHERE:
        return False
    cue = [s for s, _ in cues.within("MET_STRONG", sent[0], i)]
    return bool(cue) and _strong_cue(cues, cue[-1], i) and not cues.any_within("TERMINATE", cue[-1], i)


def _local_site(
    m: Mention, cues: CueIndex, sent: tuple[int, int], window: int, metastatic_doc: bool, words: list[str]
) -> bool:
    a, b = max(sent[0], m.start - window), min(sent[1], m.end + window)
    if _normal_sense(m, cues, words):
        return False
    # "lung cancer", "breast cancer lung metastasis", "liver metastases from colorectal cancer"
    if any(e >= m.start for _, e in cues.within("OTHER_PRIMARY", m.start - 6, m.end + 4)):
        return False
    if cues.any_within("OTHER_PRIMARY", *sent) and not cues.any_within("PANCREATIC", *sent):
        return False
    if _strong_cue(cues, a, b) or _where_it_happened(m, cues, sent, words):
        return True
    if not metastatic_doc:
        return False
    return cues.any_within("MET_WEAK", a, b) or cues.starting_at("NORMAL_AFTER", m.end) is not None  # "... disease"


def _listing_word(word: str) -> bool:
    low = word.lower()
    return low in _COORDINATORS or low.endswith("ly") or low.replace(".", "", 1).isdigit()


def coordinated(words: list[str], left: Mention, right: Mention) -> bool:
    """True when only a list's glue separates two organ mentions: punctuation, conjunctions, adverbs,
    counts ("the liver (49.7%) followed by lung (31.8%)", "liver, peritoneum and, very rarely, skin")."""
    between = words[left.end : right.start]
    return len(between) <= 10 and all(_listing_word(w) for w in between)


def invaded_organs(organs: list[Mention], cues: CueIndex, words: list[str]) -> set[int]:
    """``id`` of each organ the primary invades directly, shared along a list ("invasion of the spleen and
    (the) left adrenal gland") unless a listed organ has its own metastasis cue ("... and liver metastases")."""
    invaded = {id(m) for m in organs if directly_invaded(m, cues, words)}
    for left, right in itertools.pairwise(organs) if invaded else ():
        glue = words[left.end : right.start]
        listed = len(glue) <= 6 and all(_listing_word(w) or w.lower() in _INVASION_GLUE for w in glue)
        shared = left.sent == right.sent and listed and id(left) in invaded and right.key not in NEVER_INVADED
        if shared and not _strong_cue(cues, right.start, right.end + 2):
            invaded.add(id(right))
    return invaded


def mark_sites(
    organs: list[Mention],
    cues: CueIndex,
    sent_bounds: list[tuple[int, int]],
    words: list[str],
    rules: Rules,
    primary: str,
) -> None:
    """Set ``site`` on each ORGAN mention (in place)."""
    if primary != "pancreatic":
        for m in organs:
            m.site = False
        return
    window = rules.window("organ_site")
    metastatic_doc = cues.count("MET_STRONG") > 0
    pairs = [(a, b) for a, b in itertools.pairwise(organs) if a.sent == b.sent and coordinated(words, a, b)]
    invaded = invaded_organs(organs, cues, words)
    for m in organs:
        m.site = (
            m.key not in NEVER_SITES
            and id(m) not in invaded
            and _local_site(m, cues, sent_bounds[m.sent], window, metastatic_doc, words)
        )

    def blocked(x: Mention) -> bool:
        return x.key in NEVER_SITES or _normal_sense(x, cues, words) or id(x) in invaded

    changed = True
    while changed:
        changed = False
        for left, right in pairs:
            for x, other in ((left, right), (right, left)):
                if other.site and not x.site and not blocked(x):
                    x.site = changed = True


def title_end_token(doc: Doc) -> int:
    """Index of the first token after the title (the title is the text before the first newline)."""
    newline = doc_text(doc).find("\n")
    if newline < 0:
        return len(doc)
    span = doc.char_span(newline, newline + 1, alignment_mode="expand")
    return span.start if span is not None else len(doc)


@Language.factory(
    "pdac_organ_context",
    assigns=["doc._.pdac_primary"],
    requires=["doc._.pdac_mentions", "doc._.pdac_cues"],
    default_config={"rules": rules_ref()},
)
class OrganContext:
    """Marks which ORGAN mentions are sites of PDAC metastasis (see the module docstring)."""

    def __init__(self, nlp: Language, name: str, rules: Rules) -> None:
        register_extensions()
        self.name = name
        self.rules = rules

    def __call__(self, doc: Doc) -> Doc:
        cues: CueIndex = pdac_value(doc, "pdac_cues")
        doc._.pdac_primary = primary = document_primary(cues, title_end_token(doc))
        organs = [m for m in pdac_value(doc, "pdac_mentions") or () if m.label == "ORGAN"]
        if organs:
            bounds = doc_sentence_bounds(doc)
            mark_sites(organs, cues, bounds, doc_words(doc), self.rules, primary)
        return doc
