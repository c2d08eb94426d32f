"""Settings: CLI option > environment variable > config file > built-in default.

Every setting is one row of :data:`SETTINGS`; ``pdacmine config`` prints the
effective values and where each came from. The config file is TOML at
``<platformdirs user_config_dir>/config.toml`` (override with ``PDACMINE_CONFIG``)::

    db = "postgresql://me@dbhost/pdacmine"
    ncbi_email = "me@example.org"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from pdacmine.errors import ConfigError

APP = "pdacmine"
DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
#: Runs in which an identified PMID may stay missing from E-utilities' answers before harvest gives it up.
DEFAULT_GIVE_UP_RUNS = 3


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "PDACMINE_DB", "SQLAlchemy database URL (default: an SQLite file in the data dir)"),
    Setting("ncbi_email", "NCBI_EMAIL", "e-mail sent to NCBI with every request (required to harvest)", secret=True),
    Setting("ncbi_api_key", "NCBI_API_KEY", "NCBI API key: allows 10 instead of 3 requests/s", secret=True),
    Setting("eutils_url", "PDACMINE_EUTILS_URL", "E-utilities base URL (a mirror or a test server)"),
    Setting("reviewer", "PDACMINE_REVIEWER", "name recorded with review decisions (default: login name)"),
    Setting(
        "harvest_give_up_runs",
        "PDACMINE_HARVEST_GIVE_UP_RUNS",
        "harvest runs a PMID ESearch lists but EFetch never returns may fail (exit 4) before it is recorded as failed",
    ),
    Setting(
        "serve_token",
        "PDACMINE_SERVE_TOKEN",
        "access token for `pdacmine serve` on a host other than 127.0.0.1",
        secret=True,
    ),
)
SETTING_NAMES = frozenset(s.name for s in SETTINGS)


def config_dir() -> Path:
    """The user's pdacmine config directory (platformdirs' ``user_config_dir``)."""
    return Path(platformdirs.user_config_dir(APP))


def user_file(env: str, name: str) -> Path:
    """The path the environment variable ``env`` names, else ``name`` in :func:`config_dir`."""
    override = os.environ.get(env)
    if override:
        return Path(override).expanduser()
    return config_dir() / name


def config_path() -> Path:
    """Where the config file lives (``PDACMINE_CONFIG`` overrides)."""
    return user_file("PDACMINE_CONFIG", "config.toml")


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'pdacmine.db'}"


def _defaults() -> dict[str, str | None]:
    return {
        "db": default_db_url(),
        "ncbi_email": None,
        "ncbi_api_key": None,
        "eutils_url": DEFAULT_EUTILS_URL,
        "reviewer": os.environ.get("USER") or os.environ.get("USERNAME") or "reviewer",
        "serve_token": None,
        "harvest_give_up_runs": str(DEFAULT_GIVE_UP_RUNS),
    }


def read_config_file(path: Path) -> dict[str, str]:
    """The settings of the config file; a missing default file is no error, a missing ``PDACMINE_CONFIG`` is."""
    if not path.exists():
        if os.environ.get("PDACMINE_CONFIG") and path == config_path():
            raise ConfigError(f"PDACMINE_CONFIG names {path}, which does not exist; create it or unset PDACMINE_CONFIG")
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(raw) - SETTING_NAMES)
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(SETTING_NAMES))}"
        )
    return {k: str(v) for k, v in raw.items()}


@dataclass(frozen=True)
class Settings:
    """Effective settings and where each value came from."""

    values: Mapping[str, str | None]
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def db(self) -> str:
        return normalize_db_url(self.values["db"] or default_db_url())

    @property
    def ncbi_email(self) -> str | None:
        return self.values.get("ncbi_email")

    @property
    def ncbi_api_key(self) -> str | None:
        return self.values.get("ncbi_api_key")

    @property
    def eutils_url(self) -> str:
        return self.values.get("eutils_url") or DEFAULT_EUTILS_URL

    @property
    def reviewer(self) -> str:
        return self.values.get("reviewer") or "reviewer"

    @property
    def serve_token(self) -> str | None:
        return self.values.get("serve_token") or None

    @property
    def harvest_give_up_runs(self) -> int:
        """Runs a PMID ESearch lists but EFetch never returns may fail before it is recorded as failed (>= 1)."""
        raw = self.values.get("harvest_give_up_runs") or str(DEFAULT_GIVE_UP_RUNS)
        try:
            runs = int(raw)
        except ValueError:
            runs = 0
        if runs < 1:
            where = self.sources.get("harvest_give_up_runs", "setting")
            raise ConfigError(f"harvest_give_up_runs ({where}) must be a whole number of runs, 1 or more, not {raw!r}")
        return runs


def load_settings(
    options: Mapping[str, str | None] | None = None,
    environ: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> Settings:
    """Resolve every setting: option > environment > config file > default."""
    env = os.environ if environ is None else environ
    file_values = read_config_file(path or config_path())
    values: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    defaults = _defaults()
    for s in SETTINGS:
        opt = (options or {}).get(s.name)
        if opt not in (None, ""):
            values[s.name], sources[s.name] = opt, "option"
        elif env.get(s.env):
            values[s.name], sources[s.name] = env[s.env], f"env {s.env}"
        elif s.name in file_values:
            values[s.name], sources[s.name] = file_values[s.name], "config file"
        else:
            values[s.name], sources[s.name] = defaults[s.name], "default"
    return Settings(values=values, sources=sources)


#: File names taken as an SQLite database when ``--db`` is a bare path that does not exist yet.
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db3")


def normalize_db_url(url: str) -> str:
    """Make relative SQLite paths absolute (cron runs in $HOME) and pick psycopg 3 for PostgreSQL.

    A bare path is an SQLite file when it exists or ends in .db, .sqlite, .sqlite3 or .db3; anything
    else that is not a URL (``--db notaurl``, ``postgresql:/x``) is a :class:`ConfigError`."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rest = url[len("sqlite:///") :]
        if rest and rest != ":memory:":
            return f"sqlite:///{Path(rest).expanduser().resolve()}"
    if "://" not in url:
        path = Path(url).expanduser()
        if not (path.suffix.lower() in SQLITE_SUFFIXES or path.is_file()):
            raise ConfigError(
                f"database {url!r} is neither a URL (postgresql://user@host/name, sqlite:///path) nor an SQLite "
                f"file (an existing file, or a new one ending in {', '.join(SQLITE_SUFFIXES)})"
            )
        return f"sqlite:///{path.resolve()}"
    return url


def mask_url(url: str) -> str:
    """Hide a password in a database URL for display."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{scheme}://{creds}@{host}"
