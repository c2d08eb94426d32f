"""The E-utilities client over real HTTP against the loopback stand-in: parameters, faults, rate, secrets."""

from __future__ import annotations

import logging
import socket
from datetime import date

import pytest

from pdacmine.errors import ConfigError, NetworkError
from pdacmine.miner.eutils import EutilsClient, parse_esearch
from pdacmine.miner.parse import iter_pubmed
from pdacmine.miner.records import ArticleRecord
from tests.eutils_stub import Corpus, EutilsStub, Fault

EMAIL = "ada+pdac@example.org"
KEY = "0123456789abcdef0123456789abcdef0123"


class FakeTime:
    """A clock that only moves when the client sleeps: retries and spacing cost no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(server: EutilsStub, fake: FakeTime | None = None, **kwargs: object) -> EutilsClient:
    fake = fake or FakeTime()
    options: dict[str, object] = {"timeout": 2.0, "max_retries": 3, "sleep": fake.sleep, "clock": fake.clock}
    options.update(kwargs)
    return EutilsClient(server.url, EMAIL, **options)  # type: ignore[arg-type]


def parse_records(body: bytes) -> list[ArticleRecord]:
    return [item for item in iter_pubmed(body, "efetch") if isinstance(item, ArticleRecord)]


def test_esearch_reads_every_field_and_sends_identity(eutils_server: EutilsStub) -> None:
    with make_client(eutils_server, api_key=KEY) as client:
        result = client.esearch("pancreatic cancer AND 2024/01/01:2024/01/31[crdt]")
    assert result.count == len(eutils_server.corpus.select(date(2024, 1, 1), date(2024, 1, 31))) > 0
    assert len(result.ids) == result.count and result.webenv and result.query_key == "1"
    assert result.query_translation and '"2024/01/01"[Date - Create]' in result.query_translation
    sent = eutils_server.requests[0]
    assert sent.method == "POST"
    assert sent.params["tool"] == "pdacmine" and sent.params["email"] == EMAIL and sent.params["api_key"] == KEY
    assert sent.params["usehistory"] == "y" and sent.params["db"] == "pubmed"


def test_efetch_pages_through_the_history_server(eutils_server: EutilsStub) -> None:
    with make_client(eutils_server) as client:
        result = client.esearch("x AND 2024/01/01:2024/03/31[crdt]")
        first = client.efetch(str(result.webenv), str(result.query_key), 0, 50, parse_records)
        rest = client.efetch(str(result.webenv), str(result.query_key), 50, 500, parse_records)
    pmids = [r.pmid for r in first + rest]
    assert len(first) == 50 and sorted(pmids) == sorted(eutils_server.corpus.days)
    assert first[0].title.startswith("Synthetic study")
    assert eutils_server.calls("efetch")[1].params["retstart"] == "50"


def test_long_terms_are_posted_whole(eutils_server: EutilsStub) -> None:
    term = " OR ".join(f'"synthetic phrase {i}"[tiab]' for i in range(120)) + " AND 2024/01/01:2024/01/02[crdt]"
    with make_client(eutils_server) as client:
        result = client.esearch(term)
    assert result.count > 0
    assert eutils_server.requests[0].method == "POST"
    assert eutils_server.requests[0].params["term"] == term


def test_429_honours_retry_after(eutils_server: EutilsStub) -> None:
    eutils_server.faults.append(Fault("status", status=429, retry_after="7"))
    fake = FakeTime()
    with make_client(eutils_server, fake) as client:
        result = client.esearch("x")
    assert result.count == 120
    assert 7.0 in fake.sleeps
    assert len(eutils_server.requests) == 2


def test_retry_after_as_http_date_is_understood(eutils_server: EutilsStub) -> None:
    eutils_server.faults.append(Fault("status", status=429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"))
    fake = FakeTime()
    with make_client(eutils_server, fake) as client:
        client.esearch("x")
    assert 0.0 in fake.sleeps  # a date in the past: retry at once


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_back_off_exponentially(eutils_server: EutilsStub, status: int) -> None:
    eutils_server.faults.extend([Fault("status", status=status)] * 3)
    fake = FakeTime()
    with make_client(eutils_server, fake, backoff=1.5) as client:
        assert client.esearch("x").count == 120
    backoffs = [s for s in fake.sleeps if s >= 1.0]
    assert backoffs == [1.5, 3.0, 6.0]


def test_timeout_is_retried(eutils_server: EutilsStub) -> None:
    eutils_server.faults.append(Fault("timeout", endpoint="esearch", delay=1.0))
    with make_client(eutils_server, timeout=0.2) as client:
        assert client.esearch("x").count == 120
    assert len(eutils_server.calls("esearch")) == 2


def test_connection_reset_is_retried(eutils_server: EutilsStub) -> None:
    eutils_server.faults.append(Fault("reset"))
    with make_client(eutils_server) as client:
        assert client.esearch("x").count == 120
    assert len(eutils_server.requests) == 2


@pytest.mark.parametrize("endpoint", ["esearch", "efetch"])
def test_body_shorter_than_content_length_is_retried(eutils_server: EutilsStub, endpoint: str) -> None:
    eutils_server.faults.append(Fault("short", endpoint=endpoint))
    with make_client(eutils_server) as client:
        result = client.esearch("x")
        records = client.efetch(str(result.webenv), "1", 0, 120, parse_records)
    assert result.count == 120 and len(records) == 120
    assert len(eutils_server.calls(endpoint)) == 2


def test_xml_cut_mid_record_is_fetched_again(eutils_server: EutilsStub) -> None:
    eutils_server.faults.append(Fault("cut", endpoint="efetch"))
    with make_client(eutils_server) as client:
        result = client.esearch("x")
        records = client.efetch(str(result.webenv), "1", 0, 120, parse_records)
    assert len(records) == 120
    assert len(eutils_server.calls("efetch")) == 2


@pytest.mark.parametrize("endpoint", ["esearch", "efetch"])
def test_eutils_error_answers_are_retried(eutils_server: EutilsStub, endpoint: str) -> None:
    eutils_server.faults.append(Fault("error", endpoint=endpoint))
    with make_client(eutils_server) as client:
        result = client.esearch("x")
        records = client.efetch(str(result.webenv), "1", 0, 10, parse_records)
    assert len(records) == 10
    assert len(eutils_server.calls(endpoint)) == 2


def test_gives_up_with_network_error_and_no_secrets(
    eutils_server: EutilsStub, caplog: pytest.LogCaptureFixture
) -> None:
    eutils_server.faults.extend([Fault("status", status=503)] * 10)
    caplog.set_level(logging.DEBUG)
    with make_client(eutils_server, api_key=KEY, max_retries=2) as client, pytest.raises(NetworkError) as info:
        client.esearch("x")
    assert info.value.exit_code == 4
    message = str(info.value)
    assert "still failing after 3 attempt(s)" in message and "HTTP 503" in message
    assert len(eutils_server.requests) == 3
    for text in (message, caplog.text):
        assert "ada" not in text and "example.org" not in text and KEY not in text and KEY[:12] not in text


def test_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = FakeTime()
    client = EutilsClient(f"http://127.0.0.1:{port}/", EMAIL, max_retries=2, sleep=fake.sleep, clock=fake.clock)
    with client, pytest.raises(NetworkError, match="connection failed"):
        client.esearch("x")
    assert len([s for s in fake.sleeps if s >= 1.0]) == 2


def test_wrong_base_url_fails_at_once(eutils_server: EutilsStub) -> None:
    client = EutilsClient(eutils_server.url + "nothing-here/x/", EMAIL, max_retries=3)
    with client, pytest.raises(NetworkError, match="HTTP 404"):
        client.esearch("x")
    assert len(eutils_server.requests) == 1


def test_email_is_required_and_url_checked() -> None:
    with pytest.raises(ConfigError, match="NCBI_EMAIL"):
        EutilsClient("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/", None)
    with pytest.raises(ConfigError, match="http"):
        EutilsClient("eutils.example.org", EMAIL)


def test_mask_hides_plain_and_encoded_secrets() -> None:
    client = EutilsClient("http://127.0.0.1:9/", EMAIL, api_key=KEY)
    text = f"GET /esearch.fcgi?email=ada%2Bpdac%40example.org&api_key={KEY} from {EMAIL}"
    masked = client.mask(text)
    assert "example.org" not in masked and KEY not in masked and masked.count("***") == 3
    client.close()


def test_no_more_than_three_requests_per_second_without_key(eutils_server: EutilsStub) -> None:
    with EutilsClient(eutils_server.url, EMAIL, timeout=5.0) as client:
        for _ in range(8):
            client.esearch("x")
    assert len(eutils_server.requests) == 8
    assert eutils_server.max_per_second() <= 3


def test_no_more_than_ten_requests_per_second_with_key(eutils_server: EutilsStub) -> None:
    with EutilsClient(eutils_server.url, EMAIL, api_key=KEY, timeout=5.0) as client:
        for _ in range(24):
            client.esearch("x")
    assert len(eutils_server.requests) == 24
    assert 3 < eutils_server.max_per_second() <= 10


def test_retries_are_rate_limited_too(eutils_server: EutilsStub) -> None:
    eutils_server.faults.extend([Fault("status", status=502)] * 4)
    with EutilsClient(eutils_server.url, EMAIL, timeout=5.0, max_retries=5, backoff=0.0) as client:
        client.esearch("x")
        client.esearch("x")
    assert len(eutils_server.requests) == 6
    assert eutils_server.max_per_second() <= 3


def test_esearch_warnings_and_errors_are_read() -> None:
    body = (
        b"<eSearchResult><Count>0</Count><RetMax>0</RetMax><RetStart>0</RetStart><IdList/>"
        b"<TranslationSet/><ErrorList><PhraseNotFound>pdacx</PhraseNotFound></ErrorList>"
        b"<WarningList><OutputMessage>No items found.</OutputMessage></WarningList></eSearchResult>"
    )
    result = parse_esearch(body, "pdacx")
    assert result.count == 0 and result.webenv is None
    assert result.warnings == ("PhraseNotFound: pdacx", "OutputMessage: No items found.")


def test_split_corpus_fixture_is_consistent() -> None:
    corpus = Corpus.spread(1000, date(2020, 1, 1), date(2020, 12, 31))
    assert len(corpus.select(None, None)) == 1000
    assert (
        len(corpus.select(date(2020, 1, 1), date(2020, 6, 30)))
        + len(corpus.select(date(2020, 7, 1), date(2020, 12, 31)))
        == 1000
    )
