"""CLI: ``serve``, the browser workspace over the database the other commands use."""

from __future__ import annotations

import logging
import socket
import threading
import webbrowser

import click

from pdacmine.cli.context import AppContext, pass_app
from pdacmine.config import mask_url
from pdacmine.errors import DatabaseError, InputError

logger = logging.getLogger(__name__)
#: Host names a browser uses for this machine (anything else is refused when bound locally).
LOCAL_NAMES = ["127.0.0.1", "localhost", "[::1]", "::1"]


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed (a busy port is one clear line)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP (not 0): asyncio then sets TCP_NODELAY on every accepted connection; without it a response
    # written in two parts (headers, body) waited for the browser's delayed ACK, 40 ms on a kept-alive connection
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (choose another --port)") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any other than 127.0.0.1 needs an access token [env PDACMINE_SERVE_TOKEN].",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port (0: any free port).")
@click.option("--db", "db", metavar="URL", help="Database URL or SQLite path (as pdacmine --db).")
@click.option("--open", "open_browser", is_flag=True, help="Open the workspace in the default browser.")
@pass_app
def serve_cmd(app: AppContext, host: str, port: int, db: str | None, open_browser: bool) -> None:
    """Serve the browser workspace: evidence map, findings, review, searches, PRISMA, exports.

    Every view keeps its filters in the address, so a view can be bookmarked and shared.
    Review decisions go through the same checks and audit trail as `pdacmine review`, so
    two or three reviewers can work at once (on PostgreSQL for a team). Ctrl-C stops it.

    It listens on 127.0.0.1 only, unless --host says otherwise; then an access token is
    required (PDACMINE_SERVE_TOKEN or serve_token in the config file) and readers open the
    address once with ?token=... .

    \b
    Example:
      pdacmine serve --open
      pdacmine serve --db postgresql://team@dbhost/pdacmine --port 8000
      PDACMINE_SERVE_TOKEN=s3cret pdacmine serve --host 0.0.0.0
    """
    import uvicorn

    from pdacmine.db import make_engine, open_database
    from pdacmine.web import create_app, warm_up
    from pdacmine.web.security import check_bind, is_local, session_secret

    if db:
        app.db_option = db
    settings = app.settings()
    check_bind(host, settings.serve_token)
    try:
        engine = open_database(settings.db)
    except DatabaseError as exc:
        click.echo(f"pdacmine: warning: {exc}; pages answer 503 until it does", err=True)
        engine = make_engine(settings.db)
    web = create_app(
        engine,
        secret=session_secret(),
        token=settings.serve_token,
        default_reviewer=settings.reviewer,
        allowed_hosts=LOCAL_NAMES if is_local(host) else None,
    )
    sock = _listen(host, port)
    level = "info" if app.verbose else "warning"
    server = uvicorn.Server(uvicorn.Config(web, log_level=level, access_log=app.verbose > 0, lifespan="off"))
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{sock.getsockname()[1]}/"
    try:
        click.echo(f"pdacmine workspace at {url} ({mask_url(settings.db)}); Ctrl-C stops it")
        if settings.serve_token and not is_local(host):
            click.echo("open it once with ?token=<your access token> (PDACMINE_SERVE_TOKEN)", err=True)
        threading.Thread(target=warm_up, name="pdacmine-warm-up", daemon=True).start()
        if open_browser:
            threading.Timer(0.5, webbrowser.open, args=(url,)).start()
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a server is stopped (uvicorn re-raises it after its graceful shutdown)
    finally:
        sock.close()
        engine.dispose()
    app.say("pdacmine workspace stopped")


COMMANDS: list[click.Command] = [serve_cmd]
