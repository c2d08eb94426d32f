"""A loopback stand-in for NCBI E-utilities (esearch.fcgi, efetch.fcgi) with injectable faults.

It answers in E-utilities' real XML formats (``eSearchResult`` with Count/RetMax/RetStart/QueryKey/
WebEnv/IdList/TranslationSet/QueryTranslation; ``PubmedArticleSet`` for EFetch) from a synthetic
corpus of PMIDs spread over [crdt] days. ESearch counts the records whose day falls in the
``YYYY/MM/DD:YYYY/MM/DD[crdt]`` range of the term, like PubMed it returns at most 9,999 PMIDs of a
search, and EFetch serves slices of a history-server set. Every request is logged with the server's
clock so tests can check the request rate. Records and texts are written by us.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

CRDT_RANGE = re.compile(r"(\d{4}/\d{2}/\d{2}):(\d{4}/\d{2}/\d{2})\[crdt\]")
SEARCH_LIMIT = 9999
PREFIX = "/entrez/eutils/"


def _day(text: str) -> date:
    y, m, d = (int(x) for x in text.split("/"))
    return date(y, m, d)


@dataclass
class Corpus:
    """PMID -> [crdt] day, plus a version and a revision counter per PMID (to test updates)."""

    days: dict[str, date] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    revisions: dict[str, int] = field(default_factory=dict)

    @classmethod
    def spread(cls, n: int, start: date, end: date, first_pmid: int = 30_000_001) -> Corpus:
        """``n`` PMIDs spread evenly over the days ``start``..``end``."""
        span = (end - start).days + 1
        return cls({str(first_pmid + i): start + timedelta(days=i * span // n) for i in range(n)})

    def select(self, lo: date | None, hi: date | None) -> list[str]:
        """PMIDs created in the window, newest first (PubMed's default order)."""
        hits = [p for p, d in self.days.items() if (lo is None or d >= lo) and (hi is None or d <= hi)]
        return sorted(hits, key=int, reverse=True)

    def revise(self, pmid: str, new_version: bool = False) -> None:
        """Change a record's content (same version: e.g. new MeSH), or publish a new version."""
        if new_version:
            self.versions[pmid] = self.versions.get(pmid, 1) + 1
        else:
            self.revisions[pmid] = self.revisions.get(pmid, 0) + 1

    def record_xml(self, pmid: str) -> str:
        day = self.days[pmid]
        version = self.versions.get(pmid, 1)
        rev = self.revisions.get(pmid, 0)
        title = f"Synthetic study {pmid} of pancreatic ductal adenocarcinoma spread to the liver"
        if rev:
            title += f" (revision {rev})"
        return (
            "<PubmedArticle>"
            '<MedlineCitation Status="MEDLINE" Owner="NLM">'
            f'<PMID Version="{version}">{pmid}</PMID>'
            '<Article PubModel="Print">'
            '<Journal><ISSN IssnType="Electronic">1234-5678</ISSN>'
            '<JournalIssue CitedMedium="Internet"><Volume>12</Volume><Issue>3</Issue>'
            f"<PubDate><Year>{day.year}</Year><Month>Jan</Month></PubDate></JournalIssue>"
            "<Title>Journal of Synthetic Oncology</Title><ISOAbbreviation>J Synth Oncol</ISOAbbreviation>"
            "</Journal>"
            f"<ArticleTitle>{escape(title)}.</ArticleTitle>"
            "<Abstract><AbstractText>Tumour cells &amp; stroma were studied in a synthetic cohort; "
            "hepatic metastases were more frequent in the high-expression group.</AbstractText></Abstract>"
            '<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Tester</LastName>'
            "<ForeName>Ada</ForeName><Initials>A</Initials></Author></AuthorList>"
            "<Language>eng</Language>"
            '<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>'
            "</PublicationTypeList></Article></MedlineCitation>"
            '<PubmedData><History><PubMedPubDate PubStatus="entrez">'
            f"<Year>{day.year}</Year><Month>{day.month}</Month><Day>{day.day}</Day></PubMedPubDate></History>"
            '<PublicationStatus>ppublish</PublicationStatus><ArticleIdList><ArticleId IdType="pubmed">'
            f"{pmid}</ArticleId></ArticleIdList></PubmedData>"
            "</PubmedArticle>"
        )


@dataclass
class Fault:
    """One injected failure, used by the next request to ``endpoint`` ("esearch", "efetch" or "any").

    kinds: ``status`` (HTTP ``status`` with optional ``retry_after``), ``timeout`` (sleep ``delay``
    seconds before answering), ``reset`` (TCP reset), ``short`` (Content-Length larger than the body),
    ``cut`` (XML cut mid-record, correct length), ``error`` (HTTP 200 with E-utilities' <ERROR>).
    """

    kind: str
    endpoint: str = "any"
    status: int = 503
    retry_after: str | None = None
    delay: float = 1.0


@dataclass(frozen=True)
class Request:
    at: float
    endpoint: str
    method: str
    params: dict[str, str]


class EutilsStub:
    """Threaded HTTP server on 127.0.0.1 (ephemeral port); use as a context manager."""

    def __init__(self, corpus: Corpus | None = None) -> None:
        self.corpus = corpus or Corpus.spread(120, date(2024, 1, 1), date(2024, 3, 31))
        self.faults: deque[Fault] = deque()
        self.requests: list[Request] = []
        self.history: dict[tuple[str, str], list[str]] = {}
        #: From this many EFetch calls on, every EFetch fails with HTTP 503 (None: never).
        self.fail_efetch_after: int | None = None
        #: Seconds every EFetch waits before answering (to keep a run busy).
        self.efetch_delay = 0.0
        #: Records left out of the next EFetch answers, one entry per answer (a short answer under load).
        self.efetch_drops: deque[int] = deque()
        #: PMIDs that EFetch never returns, whether asked from the history server or by ID.
        self.never_fetched: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PREFIX}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls(self, endpoint: str) -> list[Request]:
        return [r for r in self.requests if r.endpoint == endpoint]

    def max_per_second(self) -> int:
        """Most requests that arrived within any 1-second window."""
        times = sorted(r.at for r in self.requests)
        best = 0
        for i, start in enumerate(times):
            best = max(best, sum(1 for t in times[i:] if t < start + 1.0))
        return best

    # -- called by the handler --------------------------------------------------------------------

    def log(self, endpoint: str, method: str, params: dict[str, str]) -> tuple[Fault | None, int]:
        with self._lock:
            self.requests.append(Request(time.monotonic(), endpoint, method, params))
            fetches = len(self.calls("efetch"))
            for i, fault in enumerate(self.faults):
                if fault.endpoint in ("any", endpoint):
                    del self.faults[i]
                    return fault, fetches
            return None, fetches

    def esearch(self, params: dict[str, str]) -> bytes:
        term = params.get("term", "")
        if not term.strip():
            return (
                b"<?xml version='1.0'?><eSearchResult>"
                b"<ERROR>Empty term and query_key - nothing todo</ERROR></eSearchResult>"
            )
        match = CRDT_RANGE.search(term)
        lo, hi = (_day(match[1]), _day(match[2])) if match else (None, None)
        ids = [] if "NOMATCH" in term else self.corpus.select(lo, hi)
        retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
        if retstart + retmax > SEARCH_LIMIT + 1 and retstart > 0:
            return (
                b"<eSearchResult><ERROR>Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. "
                b"For PubMed, ESearch can only retrieve the first 9,999 records matching the query.</ERROR>"
                b"</eSearchResult>"
            )
        shown = ids[retstart : retstart + min(retmax, SEARCH_LIMIT)]
        webenv = f"MCID_{uuid.uuid4().hex[:24]}"
        with self._lock:
            self.history[(webenv, "1")] = ids
        translation = escape(CRDT_RANGE.sub(r'"\1"[Date - Create] : "\2"[Date - Create]', term))
        id_xml = "".join(f"<Id>{pmid}</Id>" for pmid in shown)
        return (
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
            '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
            f"<eSearchResult><Count>{len(ids)}</Count><RetMax>{len(shown)}</RetMax><RetStart>{retstart}</RetStart>"
            f"<QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv><IdList>{id_xml}</IdList>"
            "<TranslationSet><Translation><From>pancreatic cancer</From>"
            '<To>"pancreatic neoplasms"[MeSH Terms] OR "pancreatic cancer"[All Fields]</To></Translation>'
            f"</TranslationSet><QueryTranslation>{translation}</QueryTranslation></eSearchResult>\n"
        ).encode()

    def efetch(self, params: dict[str, str]) -> bytes:
        if "id" in params:
            wanted = [p for p in params["id"].split(",") if p in self.corpus.days]
        else:
            with self._lock:
                ids = self.history.get((params.get("WebEnv", ""), params.get("query_key", "")))
            if ids is None:
                return b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>"
            retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
            if retstart >= SEARCH_LIMIT:
                return b"<eFetchResult><ERROR>Cannot retrieve records beyond 9,999</ERROR></eFetchResult>"
            wanted = ids[retstart : retstart + retmax]
        with self._lock:
            drop = self.efetch_drops.popleft() if self.efetch_drops else 0
        dropped = set(wanted[1 : 1 + 2 * drop : 2]) | self.never_fetched  # every other record from the second
        records = "\n".join(self.corpus.record_xml(p) for p in wanted if p not in dropped)
        return (
            '<?xml version="1.0" ?>\n'
            '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN" '
            '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">\n'
            f"<PubmedArticleSet>\n{records}\n</PubmedArticleSet>\n"
        ).encode()


def _make_handler(stub: EutilsStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            self._answer(parts.path, parse_qs(parts.query), "GET")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            self._answer(urlsplit(self.path).path, parse_qs(body), "POST")

        def _answer(self, path: str, query: dict[str, list[str]], method: str) -> None:
            params = {k: v[-1] for k, v in query.items()}
            endpoint = path.removeprefix(PREFIX).removesuffix(".fcgi")
            fault, fetches = stub.log(endpoint, method, params)
            if endpoint == "efetch" and stub.efetch_delay:
                time.sleep(stub.efetch_delay)
            if endpoint == "efetch" and stub.fail_efetch_after is not None and fetches > stub.fail_efetch_after:
                fault = Fault("status", status=503)
            if endpoint not in ("esearch", "efetch"):
                self._send(404, b"<html><body>Not Found</body></html>", "text/html")
                return
            if fault is not None and self._inject(fault, endpoint):
                return
            body = stub.esearch(params) if endpoint == "esearch" else stub.efetch(params)
            if fault is not None and fault.kind == "cut":
                body = body[: len(body) // 2]
            self._send(200, body)

        def _inject(self, fault: Fault, endpoint: str) -> bool:
            """Play a fault; True when the request is fully answered (or dropped)."""
            if fault.kind == "status":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                text = b'{"error":"API rate limit exceeded","count":"4"}' if fault.status == 429 else b"Server Error"
                self._send(fault.status, text, "application/json", headers)
                return True
            if fault.kind == "timeout":
                time.sleep(fault.delay)
                self.close_connection = True
                return True
            if fault.kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return True
            if fault.kind == "short":
                body = stub.esearch({}) if endpoint == "esearch" else b"<PubmedArticleSet><PubmedArticle>"
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body) + 5000))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return True
            if fault.kind == "error":
                root = "eSearchResult" if endpoint == "esearch" else "eFetchResult"
                self._send(200, f"<{root}><ERROR>Search Backend failed: temporary</ERROR></{root}>".encode())
                return True
            return False

        def _send(
            self,
            status: int,
            body: bytes,
            ctype: str = "text/xml; charset=UTF-8",
            headers: dict[str, str] | None = None,
        ) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler
