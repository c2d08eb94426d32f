"""The ``pdacmine`` command: a thin click group; each command family lives in its own module.

Exit codes (documented in ``pdacmine --help`` and the README):
0 ok · 1 other error · 2 usage error · 3 bad input or setting · 4 NCBI unreachable ·
5 database error · 6 another run holds the lock · 7 concurrent change · 130 interrupted.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys

import click
from sqlalchemy.exc import DBAPIError

from pdacmine import __version__
from pdacmine.cli.context import AppContext
from pdacmine.db.engine import database_error
from pdacmine.errors import EXIT_INTERRUPTED, InputError, PdacmineError

logger = logging.getLogger(__name__)
#: Write errors that are the disk's, not a bug: one line, exit 3, wherever they happen (stdout on a full disk).
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

EXIT_CODES_HELP = """\b
Exit codes:
  0 ok                  4 NCBI unreachable after retries
  1 other error         5 database error
  2 usage error         6 another run holds the lock (cron overlap)
  3 bad input/setting   7 concurrent change, run again
  130 interrupted (everything committed before stays committed)
"""


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while handling a KeyboardInterrupt (e.g. returning a connection that the
    interrupt cut mid-query to the pool fails on PostgreSQL): the user stopped the run, exit 130."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__context__
    return False


class PdacmineGroup(click.Group):
    """Translates library errors into one line on stderr and an exit code, once, for every command."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (PdacmineError, DBAPIError) as exc:
            if _interrupted(exc):  # Ctrl-C/kill mid-query: closing the cut connection failed, the cause is the stop
                click.echo("pdacmine: interrupted; everything committed so far is kept.", err=True)
                ctx.exit(EXIT_INTERRUPTED)
            error = exc if isinstance(exc, PdacmineError) else database_error(exc)
            logger.debug("%s", error, exc_info=exc)  # the traceback, with -vv
            click.echo(f"pdacmine: error: {error}", err=True)
            ctx.exit(error.exit_code)
        except BrokenPipeError:
            # the reader of our stdout stopped early (| head): stop quietly as the tools piped into do, and
            # point stdout at /dev/null so that Python's final flush does not complain
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except OSError as exc:
            if exc.errno not in _NO_ROOM:
                raise
            click.echo(f"pdacmine: error: cannot write: {exc.strerror}", err=True)  # e.g. `> /dev/full`
            ctx.exit(InputError.exit_code)
        except KeyboardInterrupt:
            click.echo("pdacmine: interrupted; everything committed so far is kept.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        return None


@click.group(cls=PdacmineGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pdacmine")
@click.option("--db", metavar="URL", help="Database URL or SQLite path  [env PDACMINE_DB]")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success (for cron).")
@click.pass_context
def cli(ctx: click.Context, db: str | None, verbose: int, quiet: bool) -> None:
    """Mine the literature on metastasis of pancreatic ductal adenocarcinoma.

    \b
    Typical use:
      pdacmine update                 # harvest PubMed, extract, rank (cron)
      pdacmine query --organ lung     # ranked findings for lung metastasis
      pdacmine review                 # accept / reject evidence by hand
      pdacmine export evidence --format csv -o evidence.csv
    """
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = AppContext(db_option=db, quiet=quiet, verbose=verbose)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from pdacmine.cli import (
        admin,
        annotate,
        dedup,
        evaluate,
        export,
        extract,
        failures,
        harvest,
        importing,
        query,
        rank,
        review,
        screen,
        serve,
        update,
        vocab,
    )

    modules = (
        admin,
        harvest,
        importing,
        dedup,
        extract,
        failures,
        update,
        annotate,
        evaluate,
        vocab,
        rank,
        query,
        review,
        screen,
        export,
        serve,
    )
    for module in modules:
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console entry point (``pdacmine`` and ``python -m pdacmine``)."""
    cli.main(args=argv, prog_name="pdacmine")
