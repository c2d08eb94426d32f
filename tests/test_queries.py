"""PubMed query strings and the ``pdacmine queries`` commands (saved searches)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from click.testing import Result
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from pdacmine.errors import InputError
from pdacmine.miner.pubmed_query import (
    DEFAULT_QUERY_NAME,
    check_query_name,
    check_term,
    date_clause,
    default_query_term,
    parse_date,
    windowed_term,
)
from pdacmine.models import SavedQuery

RunCli = Callable[..., Result]


def test_default_query_is_sensitive_and_well_formed() -> None:
    term = default_query_term()
    assert check_term(term) == term
    pancreas, metastasis = term.split(") AND (")
    for piece in ('"Pancreatic Neoplasms"[mh]', '"Carcinoma, Pancreatic Ductal"[mh]', "PDAC[tiab]"):
        assert piece in pancreas
    for piece in (
        '"secondary"[sh]',
        '"Neoplasm Metastasis"[mh]',
        '"circulating tumor cell*"[tiab]',
        '"Neoplastic Cells, Circulating"[mh]',
        '"pre-metastatic niche*"[tiab]',
        "premetasta*[tiab]",
        "disseminat*[tiab]",
        "metasta*[tiab]",
    ):
        assert piece in metastasis


def test_date_window_clause() -> None:
    assert date_clause(date(2024, 1, 1), date(2024, 1, 7)) == "2024/01/01:2024/01/07[crdt]"
    assert windowed_term(" a OR b ", date(2024, 2, 29), date(2024, 3, 1)) == "(a OR b) AND 2024/02/29:2024/03/01[crdt]"
    with pytest.raises(InputError, match="starts after it ends"):
        date_clause(date(2024, 1, 2), date(2024, 1, 1))


@pytest.mark.parametrize("text", ["2024/01/31", "2024-01-31", " 2024/1/31 "])
def test_dates_are_read_in_both_forms(text: str) -> None:
    assert parse_date(text) == date(2024, 1, 31)


@pytest.mark.parametrize(
    ("text", "message"), [("2024/02/30", "not a real day"), ("31/01/2024", "YYYY/MM/DD"), ("yesterday", "not a date")]
)
def test_bad_dates_are_named(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_date(text, "--since")


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("", "empty"),
        ('"pancreatic cancer[tiab]', "unclosed double quote"),
        ("(a OR b", "open"),
        ("a) OR (b", "never opened"),
    ],
)
def test_unreadable_terms_are_refused(term: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_term(term)


def test_parentheses_inside_quotes_do_not_count() -> None:
    assert check_term('"tumour (primary)"[tiab]  AND\n x') == '"tumour (primary)"[tiab] AND x'


def test_query_names_are_slugs() -> None:
    assert check_query_name("pdac-liver_v2.1") == "pdac-liver_v2.1"
    with pytest.raises(InputError):
        check_query_name("liver mets")


def test_builtin_query_is_created_on_first_use_and_shown(run_cli: RunCli) -> None:
    listed = run_cli("queries", "list")
    assert listed.exit_code == 0, listed.output
    assert DEFAULT_QUERY_NAME in listed.output and "[built-in]" in listed.output and "never" in listed.output
    shown = run_cli("queries", "show", DEFAULT_QUERY_NAME)
    assert shown.exit_code == 0
    assert default_query_term() in shown.output and "next run reads all dates" in shown.output


def test_builtin_query_cannot_be_removed_or_replaced(run_cli: RunCli) -> None:
    removed = run_cli("queries", "remove", DEFAULT_QUERY_NAME)
    assert removed.exit_code == 3 and "cannot be removed" in removed.stderr
    replaced = run_cli("queries", "add", DEFAULT_QUERY_NAME, "x[tiab]", "--replace")
    assert replaced.exit_code == 3 and "built-in" in replaced.stderr
    assert DEFAULT_QUERY_NAME in run_cli("queries", "list").output


def test_add_list_show_remove(run_cli: RunCli, engine: Engine) -> None:
    term = '("Pancreatic Neoplasms"[mh] OR PDAC[tiab]) AND "Liver Neoplasms/secondary"[mh]'
    added = run_cli("queries", "add", "pdac-liver", term, "--note", "liver only", "--overlap-days", "14")
    assert added.exit_code == 0, added.output
    assert "saved query pdac-liver" in added.output
    listed = run_cli("queries", "list").output
    assert "pdac-liver" in listed and "liver only" in listed and "14d" in listed
    assert term in run_cli("queries", "show", "pdac-liver").output
    with Session(engine) as session:
        saved = session.scalar(select(SavedQuery).where(SavedQuery.name == "pdac-liver"))
        assert saved is not None and saved.term == term and saved.overlap_days == 14 and not saved.builtin
    removed = run_cli("queries", "remove", "pdac-liver")
    assert removed.exit_code == 0 and "removed" in removed.output
    assert "pdac-liver" not in run_cli("queries", "list").output


def test_duplicate_name_needs_replace_which_resets_the_watermark(run_cli: RunCli, engine: Engine) -> None:
    assert run_cli("queries", "add", "mine", "a[tiab]").exit_code == 0
    with Session(engine) as session:
        session.execute(update(SavedQuery).where(SavedQuery.name == "mine").values(watermark=date(2024, 5, 1)))
        session.commit()
    again = run_cli("queries", "add", "mine", "b[tiab]")
    assert again.exit_code == 3 and "--replace" in again.stderr
    replaced = run_cli("queries", "add", "mine", "b[tiab]", "--replace")
    assert replaced.exit_code == 0
    with Session(engine) as session:
        saved = session.scalar(select(SavedQuery).where(SavedQuery.name == "mine"))
        assert saved is not None and saved.term == "b[tiab]" and saved.watermark is None


def test_bad_term_or_name_is_one_line_exit_3(run_cli: RunCli) -> None:
    bad_term = run_cli("queries", "add", "mine", "(a OR b")
    assert bad_term.exit_code == 3
    assert bad_term.stderr.strip().count("\n") == 0 and "parenthesis" in bad_term.stderr
    bad_name = run_cli("queries", "add", "my query", "a")
    assert bad_name.exit_code == 3 and "not valid" in bad_name.stderr


def test_unknown_query_lists_known_ones(run_cli: RunCli) -> None:
    result = run_cli("queries", "show", "nope")
    assert result.exit_code == 3
    assert "no saved query named 'nope'" in result.stderr and DEFAULT_QUERY_NAME in result.stderr


def test_commands_have_examples(run_cli: RunCli) -> None:
    for args in (["harvest"], ["searches"], ["queries", "add"], ["queries", "list"], ["queries", "show"]):
        result = run_cli(*args, "--help")
        assert result.exit_code == 0 and "Example:" in result.output, args
