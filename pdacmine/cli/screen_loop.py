"""The interactive ``pdacmine screen`` loop: one record (title, abstract, pdacmine's evidence) at a time,
one key per decision, in the style of ``pdacmine review``.

Every decision is committed at once, so quitting (q, Ctrl-C, end of input) never loses anything. The
screener sees only their own decisions (blind dual screening).
"""

from __future__ import annotations

import textwrap
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import click
from sqlalchemy import Engine

from pdacmine.cli.review_loop import read_key, read_line, terminal
from pdacmine.db.engine import session_scope
from pdacmine.db.filters import Filters
from pdacmine.db.screening import BATCH, ScreenItem, decide, queue, start_session, todo_count, undo_last
from pdacmine.errors import InputError
from pdacmine.miner.screening import EXCLUDE, INCLUDE, MAYBE, ORDERS, ReasonList
from pdacmine.miner.sources.records import record_label

KEYS = "[i]nclude [e]xclude [m]aybe [n]ote [s]kip [u]ndo [q]uit [?]"
HELP = """\b
  i  include (goes on to full-text assessment)
  e  exclude: then pick a reason by number or key (your list: pdacmine screen reasons)
  m  maybe (not a final decision: the record stays awaiting screening)
  n  write a note kept with your next decision on this record
  s  skip (comes back next session)      u  undo your last decision
  q  quit (everything decided is saved)  ?  this help"""
NEXT, QUIT, BACK = "next", "quit", "back"


def render(item: ScreenItem, position: str, colour: bool) -> str:
    title = click.style(item.title, bold=True) if colour else item.title
    lines = [f"--- {position}  {record_label(item.pmid)} ({item.year or 'n.d.'})  {item.journal or ''}".rstrip(), title]
    abstract = item.abstract.strip() or "(no abstract)"
    lines += textwrap.wrap(abstract, width=100, initial_indent="  ", subsequent_indent="  ")
    if item.n_evidence:
        best = f", best confidence {item.best_confidence:.2f}" if item.best_confidence is not None else ""
        lines.append(f"  pdacmine: {item.n_evidence} evidence sentence(s), {item.n_accepted} accepted{best}")
    else:
        lines.append("  pdacmine: no evidence extracted")
    return "\n".join(lines)


@dataclass
class ScreenLoop:
    engine: Engine
    reviewer: str
    reasons: ReasonList
    order: str = "evidence"
    required: int = 1
    filters: Filters | None = None
    limit: int | None = None
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    skipped: set[int] = field(default_factory=set)
    batch: list[ScreenItem] = field(default_factory=list)
    front: list[ScreenItem] = field(default_factory=list)
    undo_stack: list[tuple[ScreenItem, dict[str, Any], str]] = field(default_factory=list)
    actions: Counter[str] = field(default_factory=Counter)
    moved: int = 0

    def run(self) -> None:
        with session_scope(self.engine) as session:
            start_session(session, self.reviewer, "terminal", self.order, self.required, self.filters)
            total = todo_count(session, self.reviewer, self.filters)
        mode = "dual (blind)" if self.required > 1 else "single"
        click.echo(f"{total} record(s) to screen as {self.reviewer}, {mode} screening; order: {ORDERS[self.order]}.")
        click.echo(f"Keys: {KEYS}")
        try:
            while self.limit is None or self.moved < self.limit:
                item = self._next()
                if item is None:
                    click.echo("Nothing left to screen here.")
                    break
                step = self._screen(item, f"{self.moved + 1}/{max(total, self.moved + 1)}")
                if step == QUIT:
                    break
                self.moved += 1 if step == NEXT else -1
        except KeyboardInterrupt:
            click.echo("")
        done = sum(self.actions.values()) - self.actions["undo"]
        parts = ", ".join(f"{n} {k}" for k, n in sorted(self.actions.items()) if n)
        click.echo(f"Saved {done} decision(s) as {self.reviewer}" + (f" ({parts})" if parts else "")
                   + f"; skipped {len(self.skipped)}. Run `pdacmine screen` to resume.")  # fmt: skip

    def _next(self) -> ScreenItem | None:
        if self.front:
            return self.front.pop()
        if not self.batch:
            with session_scope(self.engine) as session:
                self.batch = queue(session, self.reviewer, order=self.order, filters=self.filters,
                                   exclude=self.skipped, limit=BATCH)  # fmt: skip
        return self.batch.pop(0) if self.batch else None

    def _screen(self, item: ScreenItem, position: str) -> str:
        click.echo(render(item, position, terminal()))
        note: str | None = None
        while True:
            key = read_key(KEYS)
            if key in ("i", "m"):
                self._decide(item, INCLUDE if key == "i" else MAYBE, None, note)
                return NEXT
            if key == "e":
                reason = self._reason()
                if reason is not None:
                    self._decide(item, EXCLUDE, reason, note)
                    return NEXT
            elif key == "n":
                note = read_line("note (kept with your decision)") or None
            elif key == "s":
                self.skipped.add(item.article_id)
                self.batch = [i for i in self.batch if i.article_id != item.article_id]
                return NEXT
            elif key == "u":
                if self._undo(item):
                    return BACK
            elif key == "q":
                return QUIT
            elif key == "?":
                click.echo(HELP)
            else:
                click.echo(f"Unknown key {key!r}. {KEYS}" if key else KEYS)

    def _reason(self) -> str | None:
        listed = "  ".join(f"{n}) {r.key}" for n, r in enumerate(self.reasons.reasons, start=1))
        click.echo(f"reason: {listed}")
        while True:
            text = read_line("reason (number or key, Enter cancels)")
            if not text:
                click.echo("Not excluded.")
                return None
            try:
                return self.reasons.resolve(text)
            except InputError as exc:
                click.echo(str(exc))

    def _decide(self, item: ScreenItem, decision: str, reason: str | None, note: str | None) -> None:
        old = decide(self.engine, item.article_id, self.reviewer, decision, reason, note, session_id=self.session_id)
        self.undo_stack.append((item, old, decision))
        self.actions[decision] += 1

    def _undo(self, current: ScreenItem) -> bool:
        if not self.undo_stack:
            click.echo("Nothing undone: no decision in this session yet.")
            return False
        item, old, undone = self.undo_stack.pop()
        undo_last(self.engine, self.reviewer, self.session_id, source="terminal")  # the same rule as the browser's
        self.actions[undone] -= 1
        self.actions["undo"] += 1
        click.echo(f"Undone: {record_label(item.pmid)} is {old.get('decision') or 'undecided'} again.")
        self.front += [current, item]
        return True
