"""CLI commands: ``vocab add | list | show | check`` (the shipped vocabulary plus the user's own terms)."""

from __future__ import annotations

from collections import Counter

import click

from pdacmine.errors import InputError
from pdacmine.miner.nlp.vocab import FACETS, Concept, Vocabulary, load_vocabulary, user_vocab_path
from pdacmine.miner.nlp.vocab_check import add_user_terms, check_vocabulary

FACET_CHOICE = click.Choice(FACETS, case_sensitive=False)


@click.group("vocab")
def vocab_group() -> None:
    """Inspect the vocabulary and add your own terms.

    The vocabulary ships inside pdacmine (organs, cascade stages, mechanism genes/pathways/cell types,
    drugs, regimens, modalities). Your own terms live in one TSV file, PDACMINE_VOCAB or
    <config dir>/vocab.tsv, and are merged at load time; the package is never edited.

    \b
    Example:
      pdacmine vocab show CAFs
      pdacmine vocab add MECHANISM granulin progranulin-high --category myeloid-immunosuppression
      pdacmine vocab check
    """


@vocab_group.command("add")
@click.argument("facet", type=FACET_CHOICE)
@click.argument("key")
@click.argument("synonyms", nargs=-1, required=True)
@click.option("--category", metavar="C", help="Mechanism category or therapy class (needed for a new concept).")
@click.option("--symbol", is_flag=True, help="Match the forms case-sensitively (gene symbols, abbreviations).")
def vocab_add(facet: str, key: str, synonyms: tuple[str, ...], category: str | None, symbol: bool) -> None:
    """Add SYNONYMS for the concept KEY of FACET to your vocabulary file.

    An existing KEY gains the forms; a new MECHANISM or THERAPY key becomes a concept and needs
    --category. ORGAN and STAGE keys are the taxonomy's (liver, lung, ...; colonization, ...).

    \b
    Example:
      pdacmine vocab add ORGAN peritoneum "peritoneal implant"
      pdacmine vocab add THERAPY elraglusib 9-ING-41 --symbol --category targeted
      pdacmine vocab add MECHANISM kras-mutation "KRAS G12D allele" --category driver-genetics
    """
    vocab = load_vocabulary()
    facet = facet.upper()
    known: list[str] = []
    for form in synonyms:
        for c in vocab.lookup(facet, form):
            if c.key == key.lower():
                known.append(form)
            else:
                click.echo(f"note: {form!r} also names {facet} {c.key}; both will match", err=True)
    path = user_vocab_path()
    row, new = add_user_terms(vocab, facet, key, synonyms, category=category, symbol=symbol, path=path)
    kind = "symbol(s)" if symbol else "synonym(s)"
    what = f"new concept, {row.category}" if new and row.category else ("new concept" if new else "existing concept")
    click.echo(f"added {len(synonyms)} {kind} to {facet} {row.key} ({what}) in {path}")
    if known:
        click.echo(f"note: already known for {row.key}: {', '.join(known)}", err=True)


@vocab_group.command("list")
@click.option("--facet", type=FACET_CHOICE, help="Only this facet.")
@click.option("--category", metavar="C", help="Only this mechanism category or therapy class.")
@click.option(
    "--source",
    type=click.Choice(["curated", "generated", "user"]),
    help="Only hand-curated, generated (HGNC/ChEBI/MeSH) or your own concepts.",
)
@click.option("--forms", is_flag=True, help="Also print every surface form.")
def vocab_list(facet: str | None, category: str | None, source: str | None, forms: bool) -> None:
    """List concepts: facet, key, category or class, name, ontology ID, number of surface forms.

    \b
    Example:
      pdacmine vocab list --facet ORGAN --forms
      pdacmine vocab list --category stroma-caf
      pdacmine vocab list --source user
    """
    vocab = load_vocabulary()
    if category and facet is None and not any(category in vocab.category_names(f) for f in FACETS):
        hint = [s for f in ("MECHANISM", "THERAPY") for s in vocab.suggest(f, category, n=2)]
        raise InputError(f"unknown category {category!r}" + (f"; did you mean {', '.join(hint)}?" if hint else ""))
    shown = 0
    for c in sorted(vocab.concepts.values(), key=lambda c: (FACETS.index(c.facet), c.category or "", c.key)):
        if (facet and c.facet != facet.upper()) or (category and c.category != category):
            continue
        if source and _origin(c) != source:
            continue
        shown += 1
        n_forms = sum(1 for t, cs in c.surface_forms() if not vocab.is_stopped(t, cs))
        click.echo("\t".join((c.facet, c.key, c.category or "-", c.name, c.concept_id or "-", str(n_forms))))
        if forms:
            click.echo("\t" + " | ".join(_form_label(vocab, t, cs) for t, cs in c.surface_forms()))
    click.echo(f"{shown} concept(s)", err=True)


@vocab_group.command("show")
@click.argument("term")
@click.option("--facet", type=FACET_CHOICE, help="Only this facet.")
@click.option("--forms", is_flag=True, help="Also print every surface form of each concept.")
def vocab_show(term: str, facet: str | None, forms: bool) -> None:
    """Which concept(s) TERM maps to, with category, IDs and source.

    TERM is any surface form or key, compared ignoring case ("pulmonary", "Abraxane", "CAFs", "kras").

    \b
    Example:
      pdacmine vocab show Abraxane
      pdacmine vocab show "perineural invasion"
    """
    vocab = load_vocabulary()
    found = vocab.lookup(facet.upper(), term) if facet else vocab.find(term)
    if not found:
        hint = vocab.suggest_forms(term, [facet.upper()] if facet else FACETS)
        raise InputError(f"no concept is named {term!r}" + (f"; did you mean {', '.join(hint)}?" if hint else ""))
    for i, c in enumerate(found):
        if i:
            click.echo()
        _show_concept(vocab, c, term, forms)


def _show_concept(vocab: Vocabulary, c: Concept, term: str, forms: bool) -> None:
    category = c.category or "-"
    if c.category and c.category in vocab.category_names(c.facet):
        category = f"{c.category} ({vocab.category_names(c.facet)[c.category]})"
    click.echo(f"{c.facet}\t{c.key}")
    click.echo(f"  name       {c.name}")
    if c.facet in ("MECHANISM", "THERAPY"):
        click.echo(f"  {'category' if c.facet == 'MECHANISM' else 'class':<10} {category}")
    click.echo(f"  IDs        {'; '.join(i for i in (c.concept_id, *c.xrefs) if i) or '-'}")
    if c.components:
        click.echo(f"  components {', '.join(c.components)}")
    click.echo(f"  source     {c.source}")
    matches = [(t, cs) for t, cs in c.surface_forms() if t.lower() == term.strip().lower()]
    for t, cs in matches:
        click.echo(f"  matched    {_form_label(vocab, t, cs)}")
    all_forms = c.surface_forms()
    if forms:
        click.echo(f"  forms      {' | '.join(_form_label(vocab, t, cs) for t, cs in all_forms)}")
    else:
        click.echo(f"  forms      {len(all_forms)} (--forms lists them)")


def _form_label(vocab: Vocabulary, text: str, case_sensitive: bool) -> str:
    label = f"{text} [symbol, case-sensitive]" if case_sensitive else text
    return f"{label} [stop-listed: never matched]" if vocab.is_stopped(text, case_sensitive) else label


def _origin(c: Concept) -> str:
    if c.source == "user" or c.source.endswith("+user"):
        return "user"
    return "curated" if c.source.startswith("curated") else "generated"


@vocab_group.command("check")
@click.option("--quiet-warnings", is_flag=True, help="Print only errors and the summary.")
def vocab_check(quiet_warnings: bool) -> None:
    """Validate the shipped vocabulary and your file against the taxonomy.

    Reports unknown mechanism categories or therapy classes, regimens whose components are not
    therapies, taxonomy keys missing, surface forms that map to two concepts of one facet, and
    hand-written forms that the stoplist hides. Exits 3 when there are errors.

    \b
    Example:
      PDACMINE_VOCAB=~/my-terms.tsv pdacmine vocab check
    """
    vocab = load_vocabulary()
    issues = check_vocabulary(vocab)
    for issue in issues:
        if issue.level == "error" or not quiet_warnings:
            click.echo(f"{issue.level}: {issue.message}")
    concepts = Counter(c.facet for c in vocab.concepts.values())
    terms = Counter(t.facet for t in vocab.terms())
    for f in FACETS:
        click.echo(f"{f:<10} {concepts[f]:6d} concepts {terms[f]:7d} surface forms")
    path = user_vocab_path()
    click.echo(f"user file  {path} ({'present' if path.exists() else 'absent'}); vocabulary version {vocab.version}")
    errors = sum(1 for i in issues if i.level == "error")
    warnings = len(issues) - errors
    if errors:
        raise InputError(f"vocabulary check: {errors} error(s), {warnings} warning(s)")
    click.echo(f"ok: {warnings} warning(s)")


COMMANDS: list[click.Command] = [vocab_group]
