"""The interactive ``pdacmine review`` loop: one evidence tuple at a time, one key per decision.

On a terminal a single key press acts (no Enter); when stdin is not a terminal (a pipe,
``CliRunner(input=...)``) one line per answer is read instead. Every decision is committed
at once, so quitting (q, Ctrl-C, end of input) never loses anything.
"""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from sqlalchemy import Engine

from pdacmine.db.engine import session_scope
from pdacmine.db.filters import Filters
from pdacmine.db.review_decisions import Outcome, decide, refresh_rankings, undo_last
from pdacmine.db.review_queue import BATCH, ReviewItem, load_item, queue, review_counts
from pdacmine.errors import InputError, ReviewConflict
from pdacmine.miner.nlp.vocab import Vocabulary, default_vocabulary
from pdacmine.miner.review import SLOT_FAMILIES, UNREVIEWED, DecisionState, resolve_correction, slot_family
from pdacmine.miner.sources.records import record_label

HELP = """\b
  a  accept the tuple as shown          r  reject it (wrong or not a claim)
  c  correct a slot: pick mechanism / stage / organ / therapy / polarity, then type a
     concept from the vocabulary ('none' clears the slot, '?' lists concepts)
  n  add or edit a note                 s  skip (comes back next session)
  u  undo your last decision            q  quit (everything decided is saved)
  ?  this help"""
KEYS = "[a]ccept [r]eject [c]orrect [n]ote [s]kip [u]ndo [q]uit [?]"
COLOURS = {"ORGAN": "green", "STAGE": "cyan", "MECHANISM": "magenta", "THERAPY": "yellow"}
NEXT, QUIT = "next", "quit"


def terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def read_key(prompt: str) -> str:
    """One key on a terminal, else the first character of one line; end of input reads as ``q``."""
    if terminal():
        click.echo(f"{prompt} ", nl=False)
        char = click.getchar()
        click.echo(char if char.isprintable() else "")
        return char.lower()
    try:
        line: str = click.prompt(prompt, default="", show_default=False, prompt_suffix=" ")
    except click.Abort:
        return "q"
    return line.strip().lower()[:1]


def read_line(prompt: str, default: str = "") -> str | None:
    """One line of text; None at end of input."""
    try:
        text: str = click.prompt(prompt, default=default, show_default=bool(default), prompt_suffix=": ")
    except click.Abort:
        return None
    return text.strip()


def highlight(sentence: str, spans: list[dict[str, Any]], colour: bool) -> str:
    """The sentence with entity spans in colour (terminal) or between ``**`` (plain text)."""
    out, pos = [], 0
    for span in sorted(spans, key=lambda s: (int(s.get("start", 0)), -int(s.get("end", 0)))):
        start, end = int(span.get("start", 0)), int(span.get("end", 0))
        if start < pos or end <= start or end > len(sentence):
            continue  # overlapping or out of range: leave the text as it is
        out.append(sentence[pos:start])
        text = sentence[start:end]
        fg = COLOURS.get(str(span.get("label", "")).upper())
        out.append(click.style(text, fg=fg, bold=True) if colour else f"**{text}**")
        pos = end
    out.append(sentence[pos:])
    return "".join(out)


def _slot_line(item: ReviewItem, name: str) -> str:
    family = SLOT_FAMILIES[name]
    machine, effective = item.machine, item.effective

    def shown(values: dict[str, Any]) -> str:
        key = values.get(family.key) or "-"
        cat = values.get(family.category) if family.category else None
        return f"{key} ({cat})" if cat else key

    line = f"  {name:<10} {shown(machine)}"
    if any(machine.get(c) != effective.get(c) for c in family.columns):
        line += f"  -> {shown(effective)} (corrected)"
    return line


def render(item: ReviewItem, position: str, colour: bool) -> str:
    score = f"score {item.score:.2f}" if item.score is not None else "no finding yet"
    status = item.decision.status or UNREVIEWED
    lines = [
        f"--- {position}  {score}  confidence {item.confidence:.2f}  [{status}]",
        f"{record_label(item.pmid)} ({item.year or 'n.d.'})  {item.title}",
    ]
    if item.retracted:
        lines.append(click.style("  RETRACTED ARTICLE", fg="red", bold=True) if colour else "  RETRACTED ARTICLE")
    lines.append(f"  {highlight(item.sentence, item.spans, colour)}")
    lines.extend(_slot_line(item, name) for name in SLOT_FAMILIES)
    lines.append(
        f"  {'':<10} negated {'yes' if item.negated else 'no'}   hedged {'yes' if item.hedged else 'no'}"
        f"   study {item.study_type}   key {item.evidence_key[:12]}"
    )
    if item.decision.note:
        lines.append(f"  note: {item.decision.note}")
    return "\n".join(lines)


def describe_state(state: DecisionState) -> str:
    who = state.reviewer or "someone"
    fixes = ", ".join(f"{k}={v or 'none'}" for k, v in state.corrections.items())
    return f"{who} made it {state.status or UNREVIEWED}" + (f" with corrections {fixes}" if fixes else "")


@dataclass
class ReviewLoop:
    engine: Engine
    reviewer: str
    filters: Filters | None = None
    limit: int | None = None
    vocab_loader: Callable[[], Vocabulary] = default_vocabulary
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    skipped: set[str] = field(default_factory=set)
    front: list[str] = field(default_factory=list)
    batch: list[ReviewItem] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    actions: Counter[str] = field(default_factory=Counter)
    moved: int = 0
    total: int = 0

    def run(self) -> None:
        with session_scope(self.engine) as session:
            self.total = review_counts(session, self.filters)[UNREVIEWED]
        shown = f" (filters: {self.filters.describe()})" if self.filters is not None else ""
        click.echo(f"{self.total} item(s) to review as {self.reviewer}{shown}. Keys: {KEYS}")
        try:
            while self.limit is None or self.moved < self.limit:
                item = self._next()
                if item is None:
                    click.echo("Nothing left to review here.")
                    break
                if self._review(item) == QUIT:
                    break
                self.moved += 1
        except KeyboardInterrupt:
            click.echo("")
        finally:
            refresh_rankings(self.engine, self.touched)
        self._summary()

    def _next(self) -> ReviewItem | None:
        """The next item, fresh from the database; items someone else decided meanwhile are passed over."""
        while True:
            with session_scope(self.engine) as session:
                if self.front:
                    return load_item(session, self.front.pop())
                if not self.batch:
                    refresh_rankings(self.engine, self.touched)
                    self.touched.clear()
                    self.batch = queue(session, self.filters, exclude=self.skipped, limit=BATCH)
                    if not self.batch:
                        return None
                item = load_item(session, self.batch.pop(0).evidence_key)
            if not item.decision.decided:
                return item

    def _review(self, item: ReviewItem) -> str:
        colour = terminal()
        click.echo(render(item, f"{self.moved + 1}/{max(self.total, self.moved + 1)}", colour))
        while True:
            key = read_key(KEYS)
            if key in ("a", "r"):
                outcome = self._decide(item, "accept" if key == "a" else "reject")
                if outcome is not None:
                    return NEXT
                item = self._reload(item)
            elif key in ("c", "n"):
                outcome = self._correct(item) if key == "c" else self._note(item)
                item = self._reload(item)
                if outcome is not None and outcome.action is not None:
                    click.echo(render(item, "now", colour))
            elif key == "s":
                self.skipped.add(item.evidence_key)
                return NEXT
            elif key == "u":
                if self._undo(item):
                    return NEXT
            elif key == "q":
                return QUIT
            elif key == "?":
                click.echo(HELP)
            else:
                click.echo(f"Unknown key {key!r}. {KEYS}" if key else KEYS)

    def _reload(self, item: ReviewItem) -> ReviewItem:
        with session_scope(self.engine) as session:
            return load_item(session, item.evidence_key)

    def _decide(self, item: ReviewItem, action: str, **changes: Any) -> Outcome | None:
        """Apply one action; on a conflict show the newer decision and return None (ask again)."""
        try:
            outcome = decide(
                self.engine,
                item.evidence_key,
                action,
                reviewer=self.reviewer,
                expected_revision=item.decision.revision,
                session_id=self.session_id,
                **changes,
            )
        except ReviewConflict as exc:
            click.echo(f"Not saved: {describe_state(exc.current)} meanwhile (revision {exc.current.revision}).")
            click.echo("Decide again with that in view, or s to leave it as it is.")
            return None
        if outcome.action is not None:
            self.actions[outcome.action] += 1
            if outcome.article_id is not None:
                self.touched.add(outcome.article_id)
        return outcome

    def _correct(self, item: ReviewItem) -> Outcome | None:
        names = " ".join(f"({n[0]}){n[1:]}" for n in SLOT_FAMILIES)
        try:
            family = slot_family(read_key(f"slot: {names}, Enter cancels:") or "")
        except InputError:
            click.echo("Not corrected.")
            return None
        vocab = self.vocab_loader()
        while True:
            text = read_line(f"new {family.name} ('none' clears, '?' lists, Enter cancels)")
            if not text:
                return None
            if text == "?":
                click.echo(self._choices(vocab, family.name))
                continue
            try:
                fixes = resolve_correction(vocab, family.name, text)
            except InputError as exc:
                click.echo(str(exc))
                continue
            return self._decide(item, "correct", corrections=fixes)

    @staticmethod
    def _choices(vocab: Vocabulary, slot: str) -> str:
        family = SLOT_FAMILIES[slot]
        if family.facet is None:
            return "promotes, suppresses, associated"
        keys = sorted(c.key for c in vocab.by_facet(family.facet))
        shown = ", ".join(keys[:80])
        return shown + (f", ... ({len(keys) - 80} more)" if len(keys) > 80 else "")

    def _note(self, item: ReviewItem) -> Outcome | None:
        text = read_line("note (Enter keeps it, '-' removes it)", default=item.decision.note or "")
        if text is None:
            return None
        return self._decide(item, "note", note="" if text == "-" else text)

    def _undo(self, item: ReviewItem) -> bool:
        """Undo this reviewer's last decision; True when the loop should show the undone item next."""
        try:
            outcome = undo_last(self.engine, self.reviewer, session_id=self.session_id)
        except (ReviewConflict, InputError) as exc:
            click.echo(f"Nothing undone: {exc}")
            return False
        self.actions["undo"] += 1
        if outcome.article_id is not None:
            self.touched.add(outcome.article_id)
        click.echo(f"Undone: evidence {outcome.evidence_key[:12]} is {outcome.state.status or UNREVIEWED} again.")
        if outcome.evidence_key != item.evidence_key:
            self.front.append(item.evidence_key)  # shown again after the undone one
        self.front.append(outcome.evidence_key)
        return True

    def _summary(self) -> None:
        done = sum(n for k, n in self.actions.items() if k != "undo")
        parts = ", ".join(f"{n} {k}" for k, n in sorted(self.actions.items()))
        with session_scope(self.engine) as session:
            left = review_counts(session, self.filters)[UNREVIEWED]
        click.echo(
            f"Saved {done} action(s) as {self.reviewer}" + (f" ({parts})" if parts else "") + f"; "
            f"skipped {len(self.skipped)}; {left} left to review. Run `pdacmine review` to resume."
        )
