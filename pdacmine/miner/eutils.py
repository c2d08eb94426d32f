"""NCBI E-utilities client: the only module of pdacmine that touches the network.

A thin client over httpx that does what NCBI asks of every program (NBK25497):

- sends ``tool``, ``email`` and ``api_key`` with every request, and never shows the e-mail or the key
  in a log line or an error message (:meth:`EutilsClient.mask`);
- spaces requests so that no second holds more than 3 of them (10 with an API key), with a 15 % margin
  for network jitter;
- retries HTTP 429 and 5xx, timeouts, resets and truncated bodies with exponential backoff, honouring
  ``Retry-After``, then raises :class:`~pdacmine.errors.NetworkError` (exit 4) naming the last fault;
- always POSTs its parameters: long search terms fit, and the e-mail and key never appear in a URL
  (which HTTP libraries, proxies and servers log).

The caller hands :meth:`EutilsClient.efetch` a ``parse`` function; a body that fails to parse
(:class:`~pdacmine.errors.ParseError`, e.g. XML cut mid-record) is retried like a network fault.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self, TypeVar
from urllib.parse import quote, quote_plus, urlencode

import httpx
from lxml import etree

from pdacmine.errors import ConfigError, NetworkError, ParseError

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: PubMed's ESearch returns at most the first 10,000 PMIDs of a search; we ask for 9,999 at most.
SEARCH_CAP = 9999
#: Defaults read when a client is made (tests may lower them).
MAX_RETRIES = 5
BACKOFF = 1.0
MAX_BACKOFF = 60.0
MAX_RETRY_AFTER = 300.0
RATE_MARGIN = 1.15
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@dataclass(frozen=True)
class SearchResult:
    """One ESearch answer; ``ids`` holds at most ``retmax`` PMIDs of ``count``."""

    term: str
    count: int
    retstart: int
    retmax: int
    ids: tuple[str, ...]
    webenv: str | None
    query_key: str | None
    query_translation: str | None
    warnings: tuple[str, ...] = ()


class _Transient(Exception):
    """A fault worth retrying (HTTP 429/5xx, E-utilities' own <ERROR> answers)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class RateLimiter:
    """Start requests at least ``RATE_MARGIN / per_second`` seconds apart."""

    def __init__(self, per_second: float, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        if per_second <= 0:
            raise ConfigError(f"request rate must be positive, not {per_second}")
        self.interval = RATE_MARGIN / per_second
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            if self._next is not None and now < self._next:
                self._sleep(self._next - now)
                now = max(self._clock(), self._next)
            self._next = now + self.interval


class EutilsClient:
    """ESearch and EFetch against ``base_url`` (NCBI, a mirror, or a test server)."""

    def __init__(
        self,
        base_url: str,
        email: str | None,
        api_key: str | None = None,
        tool: str = "pdacmine",
        timeout: float = 30.0,
        max_retries: int | None = None,
        backoff: float | None = None,
        rate: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not email or "@" not in email:
            raise ConfigError(
                "NCBI asks for an e-mail address with every E-utilities request and none is set; "
                "set it with NCBI_EMAIL=you@example.org, --email, or ncbi_email in the config file"
            )
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"E-utilities URL {base_url!r} must start with http:// or https://")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.email = email
        self.api_key = api_key or None
        self.tool = tool
        self.timeout = timeout
        self.max_retries = MAX_RETRIES if max_retries is None else max_retries
        self.backoff = BACKOFF if backoff is None else backoff
        self.rate = rate if rate is not None else (10.0 if self.api_key else 3.0)
        self._sleep = sleep
        self._limiter = RateLimiter(self.rate, clock, sleep)
        self._http = httpx.Client(timeout=timeout, transport=transport, headers={"User-Agent": f"{tool} (httpx)"})
        self._secrets = self._secret_forms()

    # -- public API ---------------------------------------------------------------------------

    def esearch(
        self, term: str, *, retmax: int = SEARCH_CAP, retstart: int = 0, usehistory: bool = True
    ) -> SearchResult:
        """Run ESearch on PubMed; with ``usehistory`` the result set is kept on the history server."""
        params = {"db": "pubmed", "term": term, "retmax": str(retmax), "retstart": str(retstart)}
        if usehistory:
            params["usehistory"] = "y"
        return self._request("esearch.fcgi", params, lambda body: parse_esearch(body, term))

    def efetch(self, webenv: str, query_key: str, retstart: int, retmax: int, parse: Callable[[bytes], T]) -> T:
        """Fetch records ``retstart .. retstart+retmax-1`` of a history-server set as PubMed XML.

        ``parse(body)`` runs inside the retry loop: a :class:`ParseError` (a truncated body) is retried.
        """
        params = {
            "db": "pubmed",
            "WebEnv": webenv,
            "query_key": query_key,
            "retstart": str(retstart),
            "retmax": str(retmax),
            "retmode": "xml",
        }

        def checked(body: bytes) -> T:
            _raise_on_efetch_error(body)
            return parse(body)

        return self._request("efetch.fcgi", params, checked)

    def efetch_ids(self, pmids: Sequence[str], parse: Callable[[bytes], T]) -> T:
        """Fetch the records of ``pmids`` by ID as PubMed XML (e.g. those a history-server answer left out).

        The IDs travel in the POST body, so a few hundred fit; ``parse`` runs inside the retry loop.
        """
        params = {"db": "pubmed", "id": ",".join(pmids), "retmode": "xml"}

        def checked(body: bytes) -> T:
            _raise_on_efetch_error(body)
            return parse(body)

        return self._request("efetch.fcgi", params, checked)

    def mask(self, text: str) -> str:
        """``text`` with the e-mail address and API key (plain or URL-encoded) replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _secret_forms(self) -> tuple[str, ...]:
        forms: set[str] = set()
        for secret in (self.email, self.api_key):
            if secret and len(secret) >= 3:
                forms.update({secret, quote_plus(secret), quote(secret, safe="")})
        return tuple(sorted(forms, key=len, reverse=True))

    def _identity(self) -> dict[str, str]:
        ident = {"tool": self.tool, "email": self.email}
        if self.api_key:
            ident["api_key"] = self.api_key
        return ident

    def _request(self, endpoint: str, params: Mapping[str, str], parse: Callable[[bytes], T]) -> T:
        url = self.base_url + endpoint
        data = {**params, **self._identity()}
        attempts = self.max_retries + 1
        reason = ""
        for attempt in range(1, attempts + 1):
            self._limiter.wait()
            retry_after: float | None = None
            try:
                return parse(self._send(url, data))
            except _Transient as exc:
                reason, retry_after = exc.reason, exc.retry_after
            except httpx.TimeoutException:
                reason = f"no answer within {self.timeout:g} s"
            except httpx.TransportError as exc:
                reason = f"connection failed ({type(exc).__name__}: {exc})"
            except ParseError as exc:
                reason = f"incomplete or malformed answer ({exc.reason})"
            reason = self.mask(reason)
            if attempt == attempts:
                break
            delay = self._delay(attempt, retry_after)
            logger.warning("%s: %s; retry %d/%d in %.1f s", endpoint, reason, attempt, self.max_retries, delay)
            self._sleep(delay)
        raise NetworkError(
            self.mask(
                f"E-utilities {endpoint} at {self.base_url} still failing after {attempts} attempt(s): {reason}; "
                "check the network (or PDACMINE_EUTILS_URL) and run again: nothing committed is lost"
            )
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        return min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF)

    def _send(self, url: str, data: dict[str, str]) -> bytes:
        logger.debug("E-utilities %s %s", url.rsplit("/", 1)[-1], self.mask(urlencode(data))[:300])
        response = self._http.post(url, data=data)  # form body: no secret ever sits in a URL
        body = response.content  # raises httpx.RemoteProtocolError on a body shorter than Content-Length
        if response.status_code == 200:
            return body
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code} {response.reason_phrase}", _retry_after(response))
        snippet = " ".join(body[:200].decode("utf-8", "replace").split())
        raise NetworkError(
            self.mask(
                f"E-utilities at {self.base_url} refused {url.rsplit('/', 1)[-1]} with HTTP "
                f"{response.status_code} {response.reason_phrase}: {snippet or '(empty body)'}"
            )
        )


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _raise_on_efetch_error(body: bytes) -> None:
    """E-utilities answers some failures with HTTP 200 and ``<eFetchResult><ERROR>``: retry those."""
    head = body[:4000]
    if b"<eFetchResult" in head or b"<ERROR>" in head:
        try:
            root = etree.fromstring(body, parser=_XML_PARSER)
            message = " ".join(root.findtext(".//ERROR", default="").split())
        except etree.XMLSyntaxError:
            message = ""
        raise _Transient(f"E-utilities error: {message or 'eFetchResult without records'}")


def parse_esearch(body: bytes, term: str = "") -> SearchResult:
    """Read an ``eSearchResult`` document; raise ``_Transient`` on E-utilities' own ``<ERROR>``."""
    try:
        root = etree.fromstring(body, parser=_XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise ParseError("esearch answer", str(exc)) from exc
    if root.tag != "eSearchResult":
        raise ParseError("esearch answer", f"expected <eSearchResult>, got <{root.tag}>")
    count = root.findtext("Count")
    if count is None:
        error = " ".join((root.findtext("ERROR") or "no <Count> in the answer").split())
        raise _Transient(f"E-utilities error: {error}")
    warnings = tuple(
        f"{el.tag}: {el.text.strip()}"
        for el in [*root.iterfind("ErrorList/*"), *root.iterfind("WarningList/*")]
        if el.text and el.text.strip()
    )
    for warning in warnings:
        logger.warning("PubMed says about the search term: %s", warning)
    try:
        return SearchResult(
            term=term,
            count=int(count),
            retstart=int(root.findtext("RetStart") or 0),
            retmax=int(root.findtext("RetMax") or 0),
            ids=tuple(el.text.strip() for el in root.iterfind("IdList/Id") if el.text),
            webenv=root.findtext("WebEnv"),
            query_key=root.findtext("QueryKey"),
            query_translation=root.findtext("QueryTranslation"),
            warnings=warnings,
        )
    except ValueError as exc:
        raise ParseError("esearch answer", f"bad number: {exc}") from exc
