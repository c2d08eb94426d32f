"""Seeded fuzzing of the input surfaces ``import`` and ``annotate``: corrupted files never give a traceback.

Each case asserts the documented outcome (exit 0, or exit 3 with one line on stderr naming the
input), and for ``import`` that nothing committed earlier is lost. The cases are generated from
a fixed seed, so a failure names a case that can be replayed; a few hundred run in seconds.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, select

from pdacmine.cli import cli
from pdacmine.db.engine import session_scope
from pdacmine.models import Article, RecordError

SEED = 20261207
RunCli = Callable[..., Result]

ODD_TEXT = [
    "\uff13\uff19",  # full-width digits
    "\u2028",  # line separator
    "\u00e9\u4e2d\U0001f9ec",  # accented, CJK, astral
    "\x85",  # NEL
    "&amp;",
    "&#xD800;",  # a surrogate by reference: not XML
    "&#0;",
    "]]>",
]
HUGE_NUMBERS = ["2147483648", "9223372036854775808", "9" * 30, "-1", "0", "1" + "0" * 5000]


def _record(rng: random.Random, pmid: int) -> str:
    version = rng.choice(["1", "2", *HUGE_NUMBERS]) if rng.random() < 0.1 else "1"
    year = rng.choice(["2020", *HUGE_NUMBERS]) if rng.random() < 0.1 else "2021"
    odd = rng.choice(ODD_TEXT) if rng.random() < 0.3 else ""
    return (
        f"<PubmedArticle><MedlineCitation><PMID Version='{version}'>{pmid}</PMID><Article>"
        f"<Journal><JournalIssue><PubDate><Year>{year}</Year></PubDate></JournalIssue></Journal>"
        f"<ArticleTitle>Invented study {pmid} of hepatic spread{odd}</ArticleTitle>"
        f"<Abstract><AbstractText>Tumour cells{odd} reached the liver in model {pmid}.</AbstractText></Abstract>"
        "</Article></MedlineCitation></PubmedArticle>\n"
    )


def _xml(rng: random.Random, first: int, n: int) -> bytes:
    body = "".join(_record(rng, first + i) for i in range(n))
    return f"<?xml version='1.0' encoding='UTF-8'?>\n<PubmedArticleSet>\n{body}</PubmedArticleSet>\n".encode()


def _mutate(rng: random.Random, data: bytes) -> bytes:
    kind = rng.choice(["truncate", "flip", "flips", "insert", "delete", "none"])
    if kind == "truncate":
        return data[: rng.randrange(len(data))]
    if kind in ("flip", "flips"):
        out = bytearray(data)
        for _ in range(1 if kind == "flip" else rng.randint(2, 20)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if kind == "insert":
        at = rng.randrange(len(data))
        junk = rng.choice([b"<", b"&", b"\x00", b"\xed\xa0\x80", b"\xff\xfe", b"]]>", b"<!DOCTYPE x [", b"&lt;"])
        return data[:at] + junk + data[at:]
    if kind == "delete":
        at = rng.randrange(len(data))
        return data[:at] + data[at + rng.randint(1, 40) :]
    return data


def _import_cases(n: int) -> list[tuple[str, bytes]]:
    rng = random.Random(SEED)
    cases = []
    for i in range(n):
        data = _xml(rng, 40_000_000 + i * 100, rng.randint(1, 12))
        if rng.random() < 0.4:
            compressed = gzip.compress(data, 1)
            cases.append(
                (
                    f"case{i}.xml.gz",
                    _mutate(rng, compressed) if rng.random() < 0.5 else gzip.compress(_mutate(rng, data), 1),
                )
            )
        else:
            cases.append((f"case{i}.xml", _mutate(rng, data)))
    return cases


def _stored(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return {pmid: version for pmid, version in session.execute(select(Article.pmid, Article.version))}


def _failed(engine: Engine) -> set[str | None]:
    with session_scope(engine) as session:
        return set(session.scalars(select(RecordError.pmid)))


def test_fuzzed_import_files_never_give_a_traceback_nor_lose_committed_records(
    run_cli: RunCli, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    cases = _import_cases(240)
    if not db_url.startswith("sqlite"):  # a server round trip per command: a quarter of the cases, same seed
        cases = cases[::4]
    for name, data in cases:
        before = _stored(engine)
        path = tmp_path / name
        path.write_bytes(data)
        result = run_cli("import", "--batch-size", "3", str(path))  # catch_exceptions=False: a traceback fails
        after = _stored(engine)
        assert result.exit_code in (0, 3), (name, result.exit_code, result.stderr)
        if result.exit_code == 3:
            [line] = result.stderr.strip().splitlines()
            assert line.startswith(f"pdacmine: error: {path}"), (name, line)
            if "; the last one PMID " in line:
                last = line.split("; the last one PMID ")[1].split(")")[0]
                assert last in after or last in _failed(engine), (name, line)
        else:
            assert result.stdout.startswith(f"{path}: "), (name, result.stdout)
        assert all(pmid in after and after[pmid] >= v for pmid, v in before.items()), name
        assert all(pmid.isascii() and pmid.isdigit() and not pmid.startswith("0") for pmid in after), name


def _json_line(rng: random.Random, i: int) -> bytes:
    record: dict[str, object] = {
        "pmid": str(70_000 + i),
        "title": f"Invented note {i} on liver metastasis{rng.choice(ODD_TEXT)}",
        "abstract": "ZEB1 drives hepatic colonisation of pancreatic cancer cells.",
    }
    if rng.random() < 0.3:
        record["publication_types"] = rng.choice([["Review"], [{"name": "Journal Article"}], "Review", 7, None, [3]])
    line = json.dumps(record, ensure_ascii=rng.random() < 0.5)
    kind = rng.random()
    if kind < 0.15:
        line = line[:-1] + ', "deep": ' + "[" * rng.randint(1, 100_000) + "]" * rng.randint(0, 100_000) + "}"
    elif kind < 0.25:
        line = line[:-1] + ', "n": 1' + "0" * rng.choice([10, 4299, 4300, 6000]) + "}"
    elif kind < 0.35:
        line = line.replace("Invented", "Invented \\ud800" if rng.random() < 0.5 else "\\udfff Invented")
    raw = line.encode("utf-8")
    if rng.random() < 0.2:
        raw = _mutate(rng, raw)
    elif rng.random() < 0.05:
        raw = line.encode(rng.choice(["latin-1", "utf-16", "utf-16-le"]), errors="replace")
    return raw.replace(b"\n", b" ") + b"\n"


@pytest.mark.parametrize("case", range(8))
def test_fuzzed_annotate_input_is_output_or_one_line_exit_3(tmp_path: Path, case: int) -> None:
    rng = random.Random(SEED + case)
    for i in range(40):
        lines = [_json_line(rng, i * 10 + j) for j in range(rng.randint(1, 3))]
        source = tmp_path / f"in{case}-{i}.jsonl"
        source.write_bytes(b"".join(lines))
        result = CliRunner().invoke(cli, ["-q", "annotate", str(source)], catch_exceptions=False)
        assert result.exit_code in (0, 3), (case, i, result.exit_code, result.stderr)
        if result.exit_code == 3:
            [line] = result.stderr.strip().splitlines()
            assert line.startswith(f"pdacmine: error: {source}, line "), (case, i, line)
        else:
            assert len([x for x in result.stdout.split("\n") if x]) == sum(1 for x in lines if x.strip()), (case, i)
