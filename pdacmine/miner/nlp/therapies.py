"""Therapy mentions the text does not give, test or propose: pure functions that ``pdac_context`` applies.

- Background (``Mention.background``): a generic modality ("chemotherapy") in a background
  statement. A strong background cue ("is the standard of care", "the prime option",
  "are traditionally treated with", "is not recommended") makes one unless the sentence reports a
  cohort ("received", "underwent", "were treated"); a weaker cue ("remains", "resistant to") unless the sentence
  speaks of treatment at all ("efficacy", "survival"). At the start of an abstract (BACKGROUND
  or OBJECTIVE section, or the first sentence of an unstructured one) a modality is background
  unless the sentence speaks of treatment, makes a mechanism claim ("Targeting FAK renders
  checkpoint immunotherapy effective") or describes a treated cohort ("resected patients").
  Any therapy in an early sentence with a background cue and no treatment context is background. An
  early-only cue (``BACKGROUND_EARLY``: "poor prognosis") makes an early modality background beside
  treatment words but no treated cohort ("PDAC has a poor prognosis after curative resection"); later it is no cue
  ("a poor prognosis; hence resection should not be performed" proposes a therapy).
- Generic term for named drugs (``Mention.redundant``): a generic therapy of ``generic_therapies``
  stands for the drugs of its class that the abstract ("chemotherapy": the cohort's named
  regimen) or its sentence ("immunotherapy", "CD40 agonist") names: "gemcitabine-based
  chemotherapy", unless it says otherwise ("gemcitabine and other chemotherapeutic agents",
  "more potent chemotherapy"); and everywhere in the abstract once the text equates it with
  named drugs ("sotigalimab (a CD40 agonistic antibody)", "chemotherapy (FOLFIRINOX)"). In a case
  report (``STUDY_CASE``, or ``ONE_PATIENT``: "our patient") every generic term has the abstract's
  scope: the patient's "immunotherapy" is the drug named earlier. The drugs are the therapies; the term adds none.
- Tissue source (:func:`tissue_source`, also background): a procedure named only as where the
  studied tissue came from ("surgically resected specimens", "resection specimens", "specimens
  obtained via transurethral resection", "resected and necropsied specimens": a participle joined by a
  ``word_lists.source_coordinators`` word may stand between) gives, tests or proposes no therapy; the
  procedure classes this applies to are ``word_lists.source_procedure_classes``.
- Description (:func:`mark_descriptions`, redundant): a drug named in the apposition that describes
  another drug ("S-1, an oral fluorouracil prodrug combining tegafur with two modulators, ...":
  the segment after "S-1," up to the next comma holds a ``describing_words`` word) is what that drug
  is made of or from, not a drug of its own.
- Gene deletion (:func:`genetic_ablation`, background): "STAT3 ablation", "genetic ablation of Stat3"
  delete a gene or cell type (``word_lists.genetic_ablation_keys``, cue ``GENETIC_ABLATION_BEFORE``).
- Absence (:func:`named_as_absent`, negated): a therapy followed by an ``absence_suffixes`` word
  ("a chemotherapy-free period", "treatment free interval") names a time without it.
- Metastasectomy: "resection of (the) brain metastases", "the liver metastasis was resected", "a
  cerebellar metastasis, which was resected", "all liver metastases were surgically removed".
- One operation (:func:`same_operation`): in an abstract whose operation is a metastasectomy (one is
  named, or the title names metastases at one organ: "... metastasis to the spine", not
  "peritoneal cytology in staging"; in an abstract without mechanisms) and that
  names no resection of the primary ("conversion surgery" is of the primary), a bare "surgery",
  "surgical resection" or "resected" is that metastasectomy ("Resection of lung metastases ...
  Two patients underwent surgical resection").
  A resection names the primary when a pancreas word (``PANCREAS_WORD``: "pancreatic resection",
  "pancreaticoduodenectomy") or a ``word_lists.primary_words`` word is within two tokens of it.
- Directed at a site (:func:`directed_at`): the organ is the object of the therapy ("resection of
  ovarian metastases", "SBRT for liver metastases", "radiotherapy directed at liver metastases"); a therapy only
  combined with it ("... combined with chemotherapy") is not paired with that organ.
"""

from __future__ import annotations

from collections.abc import Iterable

from pdacmine.miner.nlp.cues import CueIndex
from pdacmine.miner.nlp.mention import Mention
from pdacmine.miner.nlp.rules import default_rules
from pdacmine.miner.nlp.vocab import MODALITY_KEYS

#: Therapy keys that name a kind of treatment rather than an agent: the taxonomy's modality keys
#: plus the vocabulary's generic "targeted therapy" and "surgery".
MODALITIES = frozenset(MODALITY_KEYS) | {"targeted-therapy", "surgery"}
EARLY_SECTIONS = frozenset({"BACKGROUND", "OBJECTIVE"})


def is_background_therapy(
    m: Mention,
    cues: CueIndex,
    sent: tuple[int, int],
    early: bool,
    mechanism_claim: bool,
) -> bool:
    """Whether the THERAPY mention ``m`` is background (module docstring); ``early``: first sentences."""
    background_cue = cues.any_within("BACKGROUND_THERAPY", *sent)
    cohort = cues.any_within("TREATMENT_COHORT", *sent)
    context = cohort or cues.any_within("TREATMENT_CONTEXT", *sent)
    if m.key not in MODALITIES:
        return early and background_cue and not context
    if cues.any_within("BACKGROUND_STRONG", *sent) and not cohort:
        return True
    if background_cue and not context:
        return True
    if not early:
        return False
    if background_cue or (not cohort and cues.any_within("BACKGROUND_EARLY", *sent)):
        return True
    treated_cohort = m.text.lower().endswith("ed")  # "resected patients", "irradiated tumours"
    return not (context or mechanism_claim or treated_cohort)


_SOURCE_CLASSES = default_rules().word_list("source_procedure_classes")
_SOURCE_COORDINATORS = default_rules().word_list("source_coordinators")


def tissue_source(m: Mention, cues: CueIndex, words: list[str]) -> bool:
    """The procedure ``m`` names where a specimen came from (module docstring); a coordinated
    participle may stand between ("resected and necropsied specimens", "resected or biopsied tissues")."""
    if m.category not in _SOURCE_CLASSES:
        return False
    coordinated = m.end + 1 < len(words) and words[m.end].lower() in _SOURCE_COORDINATORS
    near = m.end + 2 if coordinated and words[m.end + 1].lower().endswith("ed") else m.end + 1
    if any(m.end <= s <= near for s, _ in cues.within("TISSUE_SOURCE_AFTER", m.end, m.end + 4)):
        return True
    return any(m.start - 2 <= e <= m.start for _, e in cues.within("TISSUE_SOURCE_BEFORE", m.start - 6, m.start))


_ABLATION_KEYS = default_rules().word_list("genetic_ablation_keys")


def genetic_ablation(m: Mention, mechanisms: list[Mention], cues: CueIndex, words: list[str]) -> bool:
    """ "STAT3 ablation", "genetic ablation of Stat3", "conditional ablation": the therapy word ``m`` names
    the deletion of a gene or cell type (a ``GENETIC_ABLATION_BEFORE`` cue or a mechanism just before it, or
    "of" and a mechanism just after it), not a locoregional ablation."""
    if m.key not in _ABLATION_KEYS:
        return False
    if cues.ending_at("GENETIC_ABLATION_BEFORE", m.start) is not None:
        return True
    if any(m.start - 2 <= x.end <= m.start for x in mechanisms):
        return True
    of_follows = m.end < len(words) and words[m.end].lower() == "of"
    return of_follows and any(m.end + 1 <= x.start <= m.end + 2 for x in mechanisms)


_ABSENCE = default_rules().word_list("absence_suffixes")


def named_as_absent(m: Mention, words: list[str]) -> bool:
    """ "chemotherapy-free period": the therapy ``m`` names a time without it (module docstring)."""
    after = [w.lower() for w in words[m.end : m.end + 2]]
    if after[:1] == ["-"]:
        after = after[1:]
    return bool(after) and after[0] in _ABSENCE


def bracket_before(words: list[str], start: int, limit: int = 8) -> int | None:
    """Index of the "(" that opens the parenthesis ``start`` is in (at most ``limit`` tokens back)."""
    for i in range(start - 1, max(-1, start - limit - 1), -1):
        if words[i] == ")":
            return None
        if words[i] == "(":
            return i
    return None


def defines(g: Mention, drugs: Iterable[Mention], words: list[str]) -> bool:
    """The text equates the generic term with a named drug: "drug (term)", "drug (alias; term)", "term (drug)"."""
    bracket = bracket_before(words, g.start)
    for d in drugs:
        if d.sent != g.sent:
            continue
        if bracket is not None and d.end in (bracket, bracket - 1):
            return True
        if g.end < len(words) and words[g.end] == "(" and g.end < d.start <= g.end + 2:
            return True
    return False


def mark_generic_terms(mentions: list[Mention], cues: CueIndex, words: list[str], generic: dict[str, str]) -> None:
    """Set ``redundant`` on generic terms that stand for named drugs (module docstring), in place.

    ``generic`` maps a term's key to its scope: "abstract" (it means the named drugs of its class
    anywhere in the abstract) or "sentence" (only in a sentence that names them). In a case report
    (a ``STUDY_CASE`` or ``ONE_PATIENT`` cue: "our patient") every term has the abstract's scope: the
    one patient's "immunotherapy" is the drug the report names.
    """
    therapies = [m for m in mentions if m.label == "THERAPY" and not m.background]
    terms = [m for m in therapies if m.key in generic]
    if not terms:
        return
    drugs = [m for m in therapies if m.key not in generic and m.key not in MODALITIES]
    one_patient = cues.count("STUDY_CASE") + cues.count("ONE_PATIENT") > 0
    defined: set[str] = set()
    for g in terms:
        same_class = [d for d in drugs if d.category == g.category]
        if not same_class or cues.within("OTHER_THERAPY", g.start - 3, g.start):
            continue
        if defines(g, same_class, words):
            defined.add(g.key)
        elif one_patient or generic[g.key] == "abstract" or any(d.sent == g.sent for d in same_class):
            g.redundant = True
    for g in terms:
        if g.key in defined and not cues.within("OTHER_THERAPY", g.start - 3, g.start):
            g.redundant = True


_DESCRIBING = default_rules().word_list("describing_words")
_SEGMENT_END = frozenset({",", ";", ".", ":"})


def _apposition(words: list[str], start: int) -> tuple[int, int]:
    """The token span from ``start`` up to the next comma, semicolon or full stop."""
    end = start
    while end < len(words) and words[end] not in _SEGMENT_END:
        end += 1
    return start, end


def mark_descriptions(mentions: list[Mention], words: list[str]) -> None:
    """Set ``redundant`` on drugs named in the apposition that describes another drug (module docstring)."""
    drugs = [m for m in mentions if m.label == "THERAPY" and m.key not in MODALITIES and not m.background]
    for d in drugs:
        if d.end >= len(words) or words[d.end] != ",":
            continue
        lo, hi = _apposition(words, d.end + 1)
        if not any(w.lower() in _DESCRIBING for w in words[lo:hi]):
            continue
        for m in drugs:
            if m.sent == d.sent and lo <= m.start and m.end <= hi and m.key != d.key:
                m.redundant = True


_OBJECT_LINK = default_rules().word_list("object_link")
#: words between a metastasis and "resected": "the liver metastasis was resected", "a cerebellar metastasis,
#: which was completely resected"
_RESECTED_GAP = default_rules().word_list("resected_gap")


#: a resection named by its participle ("resected", "surgically removed"), as ``grammar.participles``
_PARTICIPLES = _GRAMMAR.participles if (_GRAMMAR := default_rules().grammar) is not None else frozenset({"resected"})
_DIRECTED_LINK = default_rules().word_list("directed_link")
_DIRECTED_FIRST = default_rules().word_tuple("directed_first")


def directed_at(m: Mention, organ: Mention, words: list[str]) -> bool:
    """The organ is the object of the therapy: "resection of ovarian metastases", "SBRT for liver metastases"."""
    if organ.sent != m.sent:
        return False
    if m.start <= organ.start and organ.end <= m.end:  # one mention: "hepatic metastasectomy"
        return True
    if organ.start < m.end:
        return False
    between = [w.lower() for w in words[m.end : organ.start]]
    return 0 < len(between) <= 4 and between[0] in _DIRECTED_FIRST and all(w in _DIRECTED_LINK for w in between)


def resects_a_metastasis(m: Mention, organs: list[Mention], words: list[str]) -> bool:
    """ "resection of (the) brain metastases", "the liver metastasis was resected": metastasectomy."""
    for o in organs:
        if o.sent != m.sent or not o.site:
            continue
        between = [w.lower() for w in words[m.end : o.start]]
        if o.start >= m.end and len(between) <= 4 and all(w in _OBJECT_LINK for w in between):
            return True
        if o.end <= m.start and m.text.lower().split()[-1] in _PARTICIPLES:
            gap = [w.lower() for w in words[o.end : m.start]]
            if len(gap) <= 6 and set(gap) <= _RESECTED_GAP:
                return True
    return False


_PRIMARY_WORDS = default_rules().word_list("primary_words")


def names_primary(m: Mention, cues: CueIndex, words: list[str]) -> bool:
    """The resection ``m`` is of the primary tumour: a pancreas or primary word within two tokens."""
    lo, hi = max(0, m.start - 2), min(len(words), m.end + 3)
    if cues.any_within("PANCREAS_WORD", lo, hi):
        return True
    return any(w.lower() in _PRIMARY_WORDS for w in words[lo:hi])


def title_site(mentions: list[Mention], cues: CueIndex) -> bool:
    """The title names metastases at one organ: a site with a metastasis word (``METASTASIS_OBJECT``)
    at most three tokens from it ("Pancreatic cancer metastasis to the spine", "cerebral metastasis"),
    in a clinical abstract (no mechanism: a biology paper's "resected cases" are of the primary)."""
    if any(m.label == "MECHANISM" and not m.negated for m in mentions):  # a biology paper's resected cohort
        return False
    sites = [m for m in mentions if m.sent == 0 and m.label == "ORGAN" and m.site and not m.negated]
    if len({m.key for m in sites}) != 1:
        return False
    return any(cues.any_within("METASTASIS_OBJECT", max(0, m.start - 3), m.end + 3) for m in sites)


def same_operation(mentions: list[Mention], cues: CueIndex, words: list[str]) -> list[Mention]:
    """The generic resection mentions that are the abstract's metastasectomy (module docstring)."""
    operations = [m for m in mentions if m.label == "THERAPY" and not m.negated]
    if not any(m.key == "metastasectomy" for m in operations) and not title_site(mentions, cues):
        return []
    generic = [m for m in operations if m.key == "resection"]
    if any(not m.background and names_primary(m, cues, words) for m in generic):
        return []
    return [m for m in generic if not names_primary(m, cues, words)]
