"""Named errors raised by the library; the CLI turns them into one line and an exit code.

Tree::

    PdacmineError                exit 1   anything the library chooses to report
    ├── ConfigError              exit 3   a setting is missing or invalid (no NCBI email, bad URL)
    ├── InputError               exit 3   a user's input is wrong (unknown organ, bad date, bad CSV row)
    │   ├── ParseError           exit 3   a malformed or truncated XML/JSONL file (names file + position)
    │   └── ExtractionError      exit 3   the pipeline failed on some records (names their PMIDs)
    ├── NetworkError             exit 4   E-utilities still failing after all retries
    ├── DatabaseError            exit 5   the database does not answer or its schema cannot be upgraded
    ├── LockedError              exit 6   another pdacmine run holds the lock on this database
    └── ConflictError            exit 7   a concurrent change (e.g. two reviewers) needs a retry
        └── ReviewConflict       exit 7   a review decision changed since it was shown (carries the newer one)

Ctrl-C exits 130 after everything already committed stays committed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pdacmine.miner.review import DecisionState


class PdacmineError(Exception):
    """Root of every error pdacmine raises on purpose."""

    exit_code = 1


class ConfigError(PdacmineError):
    """A setting is missing or has an invalid value."""

    exit_code = 3


class InputError(PdacmineError):
    """The user's input (a file, an option value, a CSV row) is wrong."""

    exit_code = 3


class ParseError(InputError):
    """A file could not be parsed; the message names the file and the position."""

    def __init__(self, source: str, reason: str, line: int | None = None) -> None:
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {reason}")
        self.source = source
        self.reason = reason
        self.line = line


class ExtractionError(InputError):
    """The pipeline failed on some records (each marked failed with its reason); the others were extracted."""

    def __init__(self, pmids: list[str], message: str) -> None:
        super().__init__(message)
        self.pmids = pmids


class NetworkError(PdacmineError):
    """E-utilities could not be reached or kept failing after all retries."""

    exit_code = 4


class DatabaseError(PdacmineError):
    """The database cannot be opened, reached or migrated."""

    exit_code = 5


class LockedError(PdacmineError):
    """Another pdacmine run is already working on this database."""

    exit_code = 6


class ConflictError(PdacmineError):
    """A concurrent change made this operation stale; run it again."""

    exit_code = 7


class ReviewConflict(ConflictError):
    """Someone changed this decision since it was shown; ``current`` is the newer state."""

    def __init__(self, message: str, evidence_key: str, current: DecisionState) -> None:
        super().__init__(message)
        self.evidence_key = evidence_key
        self.current = current


EXIT_INTERRUPTED = 130
