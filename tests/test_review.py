"""Interactive review: queue order, accept/reject/correct/note/skip/undo/quit/resume, audit trail."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pdacmine.db.filters import Filters
from pdacmine.db.review_decisions import decide, refresh_rankings, undo_last
from pdacmine.db.review_queue import load_item, queue, review_counts
from pdacmine.errors import InputError, ReviewConflict
from pdacmine.miner.evidence import evidence_key
from pdacmine.miner.nlp.vocab import Concept, Vocabulary, default_vocabulary
from pdacmine.miner.review import DecisionState, describe_change, next_state, resolve_correction
from pdacmine.models import Evidence, Finding, ReviewAudit
from tests.builders import add_article, add_evidence

SPANS = [{"start": 0, "end": 4, "label": "MECHANISM", "key": "zeb1"}, {"start": 12, "end": 17, "label": "ORGAN"}]


def _seed(engine: Engine) -> list[str]:
    """Four items: two with findings (scores 5 and 2), two without (confidence 0.9 and 0.4)."""
    keys = []
    with Session(engine) as s:
        for i, (score, conf, organ) in enumerate([(2.0, 0.7, "liver"), (None, 0.4, "lung"), (5.0, 0.6, "liver"),
                                                   (None, 0.9, "liver")]):  # fmt: skip
            art = add_article(s, f"10{i}", year=2020 + i, title=f"Paper {i}")
            ev = add_evidence(s, art, organ=organ, confidence=conf, sentence=f"ZEB1 drives {organ} metastasis ({i}).")
            ev.spans = SPANS
            if score is not None:
                f = Finding(finding_key=f"test-{i}", mechanism_key="zeb1", organ=organ, score=score)
                s.add(f)
                s.flush()
                ev.finding_id = f.id
            keys.append(ev.evidence_key)
        s.commit()
    return [keys[2], keys[0], keys[3], keys[1]]  # the ranked order


@pytest.fixture
def ranked(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    refreshed: list[list[int]] = []
    monkeypatch.setattr("pdacmine.cli.review_loop.refresh_rankings", lambda _e, ids: refreshed.append(sorted(ids)))
    return _seed(engine)


def _review(run_cli: Callable[..., Result], keys: str, *args: str) -> Result:
    result = run_cli("review", "--reviewer", "alice", *args, input=keys)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def _status(engine: Engine, key: str) -> DecisionState:
    with Session(engine) as s:
        return load_item(s, key).decision


def _audit(engine: Engine) -> list[ReviewAudit]:
    with Session(engine) as s:
        return list(s.scalars(select(ReviewAudit).order_by(ReviewAudit.id)))


def test_queue_is_ranked_by_finding_score_then_confidence(engine: Engine, ranked: list[str]) -> None:
    with Session(engine) as s:
        assert [i.evidence_key for i in queue(s)] == ranked
        assert [i.evidence_key for i in queue(s, Filters(pmids=("101",)))] == [ranked[3]]
        assert [i.evidence_key for i in queue(s, exclude={ranked[0]}, limit=2)] == ranked[1:3]


def test_accept_reject_skip_quit_then_resume(run_cli: Callable[..., Result], engine: Engine, ranked: list[str]) -> None:
    out = _review(run_cli, "a\nr\ns\nq\n").output
    assert "4 item(s) to review as alice" in out
    assert "**ZEB1** drives **liver**" in out and "PMID 102 (2022)  Paper 2" in out
    assert _status(engine, ranked[0]).status == "accepted"
    assert _status(engine, ranked[1]).status == "rejected"
    assert _status(engine, ranked[2]).status is None  # skipped
    assert "Saved 2 action(s) as alice" in out and "2 left to review" in out
    # next session: the skipped item comes back first, then the one never reached
    again = _review(run_cli, "s\ns\n").output
    assert again.index(ranked[2][:12]) < again.index(ranked[3][:12])
    assert ranked[0][:12] not in again and "Nothing left to review" in again


def test_query_filters_resolve_through_the_vocabulary(
    run_cli: Callable[..., Result], engine: Engine, ranked: list[str]
) -> None:
    out = _review(run_cli, "a\n", "--organ", "hepatic", "--limit", "1").output
    assert "(filters: organs=liver)" in out and ranked[0][:12] in out and ranked[1][:12] not in out
    bad = run_cli("review", "status", "--organ", "livr")
    assert bad.exit_code == 3 and "did you mean" in bad.stderr and "liver" in bad.stderr
    assert "1 item(s): 0 unreviewed, 1 accepted" in run_cli("review", "status", "--pmid", "102").output


def test_correct_with_did_you_mean_and_category_following(
    run_cli: Callable[..., Result], engine: Engine, ranked: list[str]
) -> None:
    out = _review(run_cli, "c\norgan\nlivr\nlung\nc\nt\ngemzar\nc\np\nsupresses\nsuppresses\na\nq\n").output
    assert "did you mean liver" in out and "did you mean suppresses?" in out
    assert "liver  -> lung (corrected)" in out
    state = _status(engine, ranked[0])
    assert state.status == "accepted"
    assert dict(state.corrections) == {
        "organ": "lung", "therapy_key": "gemcitabine", "therapy_class": "chemotherapy", "polarity": "suppresses"
    }  # fmt: skip
    with Session(engine) as s:
        assert load_item(s, ranked[0]).effective["therapy_class"] == "chemotherapy"
    actions = [a.action for a in _audit(engine)]
    assert actions == ["correct", "correct", "correct"]  # the final 'a' changed nothing: no audit row


def test_none_clears_a_slot_and_cancel_changes_nothing(
    run_cli: Callable[..., Result], engine: Engine, ranked: list[str]
) -> None:
    _review(run_cli, "c\n\nc\nm\n\nc\nmechanism\nnone\nq\n")
    state = _status(engine, ranked[0])
    assert dict(state.corrections) == {"mechanism_key": None, "mechanism_category": None}
    with Session(engine) as s:
        assert load_item(s, ranked[0]).effective["mechanism_key"] is None


def test_note_then_reject_keeps_the_note(run_cli: Callable[..., Result], engine: Engine, ranked: list[str]) -> None:
    out = _review(run_cli, "n\ncell line only, no PDAC\nr\nq\n").output
    assert "note: cell line only, no PDAC" in out
    state = _status(engine, ranked[0])
    assert (state.status, state.note, state.revision) == ("rejected", "cell line only, no PDAC", 2)
    assert [(a.action, a.note) for a in _audit(engine)] == [
        ("note", "cell line only, no PDAC"),
        ("reject", "cell line only, no PDAC"),
    ]


def test_undo_reverts_last_decision_and_shows_the_item_again(
    run_cli: Callable[..., Result], engine: Engine, ranked: list[str]
) -> None:
    out = _review(run_cli, "a\nr\nu\nu\na\nq\n").output
    assert "Undone: evidence " + ranked[1][:12] in out and "Undone: evidence " + ranked[0][:12] in out
    rows = _audit(engine)
    assert [(r.action, r.reverts) for r in rows] == [
        ("accept", None), ("reject", None), ("undo", rows[1].id), ("undo", rows[0].id), ("accept", None)
    ]  # fmt: skip
    assert rows[2].old["status"] == "rejected" and rows[2].new["status"] == "unreviewed"
    assert _status(engine, ranked[0]).status == "accepted"  # re-decided after the undo
    assert _status(engine, ranked[1]).status == "unreviewed"
    with Session(engine) as s:
        assert ranked[1] in [i.evidence_key for i in queue(s)]  # undone items are unreviewed again


def test_undo_refuses_when_someone_changed_it_since(engine: Engine, ranked: list[str]) -> None:
    decide(engine, ranked[0], "accept", reviewer="alice", expected_revision=0)
    decide(engine, ranked[0], "reject", reviewer="bob", expected_revision=1)
    with pytest.raises(ReviewConflict, match="bob changed it since"):
        undo_last(engine, "alice")
    with pytest.raises(InputError, match="nothing to undo"):
        undo_last(engine, "carol")
    assert _status(engine, ranked[0]).status == "rejected"


def test_stale_decision_in_the_loop_shows_the_newer_one_and_asks_again(
    run_cli: Callable[..., Result], engine: Engine, ranked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pdacmine.cli import review_loop

    real = review_loop.read_key
    calls = {"n": 0}

    def bob_decides_first(prompt: str) -> str:
        calls["n"] += 1
        if calls["n"] == 1:  # while alice looks at the item, bob accepts it
            decide(engine, ranked[0], "accept", reviewer="bob", expected_revision=0, note="bob was here")
        return real(prompt)

    monkeypatch.setattr(review_loop, "read_key", bob_decides_first)
    out = _review(run_cli, "r\nr\nq\n").output
    assert "Not saved: bob made it accepted meanwhile (revision 1)" in out
    state = _status(engine, ranked[0])
    assert (state.status, state.reviewer, state.revision) == ("rejected", "alice", 2)
    assert [(a.reviewer, a.action) for a in _audit(engine)] == [("bob", "accept"), ("alice", "reject")]


def test_reviewer_from_environment_and_audit_content(
    run_cli: Callable[..., Result], engine: Engine, ranked: list[str]
) -> None:
    result = run_cli("review", input="c\no\nlung\nq\n", env={"PDACMINE_REVIEWER": "dr-env"})
    assert result.exit_code == 0
    (row,) = _audit(engine)
    assert (row.reviewer, row.action, row.pmid, row.evidence_key) == ("dr-env", "correct", "102", ranked[0])
    assert row.at is not None and row.session
    assert row.old == {"status": None, "corrections": {}, "note": None, "revision": 0, "slots": {"organ": "liver"}}
    assert row.new["status"] == "accepted" and row.new["corrections"] == {"organ": "lung"}
    assert row.new["slots"] == {"organ": "lung"} and row.new["revision"] == 1


def test_audit_table_is_append_only(engine: Engine, ranked: list[str]) -> None:
    decide(engine, ranked[0], "accept", reviewer="alice", expected_revision=0)
    for sql in ("UPDATE review_audit SET reviewer = 'mallory'", "DELETE FROM review_audit"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    assert [a.reviewer for a in _audit(engine)] == ["alice"]


def test_decisions_survive_reextraction(engine: Engine, ranked: list[str]) -> None:
    decide(engine, ranked[0], "correct", reviewer="alice", expected_revision=0, corrections={"organ": "lung"})
    decide(engine, ranked[1], "reject", reviewer="alice", expected_revision=0)
    with Session(engine) as s:  # re-extraction: rows deleted and re-created with a new extractor version
        old = list(s.scalars(select(Evidence)))
        copies = [{c: getattr(e, c) for c in ("article_id", "pmid", "sentence", "mechanism_key", "mechanism_category",
                                              "organ", "confidence", "polarity")} for e in old]  # fmt: skip
        s.execute(delete(Evidence))
        s.commit()
        for c in copies:
            key = evidence_key(
                c["pmid"], "  " + c["sentence"].upper() + " ", c["mechanism_key"], None, c["organ"], None
            )
            s.add(Evidence(evidence_key=key, start=3, end=50, extractor_version="v2", study_type="animal", **c))
        s.commit()
        item = load_item(s, ranked[0])
        assert item.decision.status == "accepted" and item.effective["organ"] == "lung"
        assert load_item(s, ranked[1]).decision.status == "rejected"
        assert {i.evidence_key for i in queue(s)} == {ranked[2], ranked[3]}
        counts = review_counts(s)
        assert (counts["accepted"], counts["corrected"], counts["rejected"], counts["unreviewed"]) == (1, 1, 1, 2)


def test_decisions_refresh_the_rankings(run_cli: Callable[..., Result], engine: Engine) -> None:
    with Session(engine) as s:
        art = add_article(s, "900")
        add_evidence(s, art, organ="liver", sentence="ZEB1 drives liver metastasis.")
        add_evidence(s, art, organ="liver", sentence="ZEB1 drives hepatic metastasis.")
        s.commit()
        article_id = art.id
    refresh_rankings(engine, [article_id])
    _review(run_cli, "c\norgan\nlung\na\nr\nq\n")  # first: corrected to lung, second: rejected
    with Session(engine) as s:
        findings = {f.organ: f for f in s.scalars(select(Finding))}
        assert findings["lung"].n_accepted == 1
        assert findings["liver"].n_rejected == 1 and findings["liver"].n_accepted == 0


def test_help_unknown_key_and_end_of_input(run_cli: Callable[..., Result], engine: Engine, ranked: list[str]) -> None:
    out = _review(run_cli, "?\nx\n").output  # input ends: quits cleanly
    assert "undo your last decision" in out and "Unknown key 'x'" in out
    assert "Saved 0 action(s)" in out


def test_status_and_undo_commands(run_cli: Callable[..., Result], engine: Engine, ranked: list[str]) -> None:
    _review(run_cli, "a\nr\nq\n")
    assert "4 item(s): 2 unreviewed, 1 accepted (0 corrected), 1 rejected" in run_cli("review", "status").output
    undone = run_cli("review", "undo", "--reviewer", "alice")
    assert undone.exit_code == 0 and f"undone: evidence {ranked[1][:12]} is unreviewed again" in undone.output
    nothing = run_cli("review", "undo", "--reviewer", "nobody")
    assert nothing.exit_code == 3 and "nothing to undo" in nothing.stderr


def test_resolve_correction_rules() -> None:
    vocab = Vocabulary(
        concepts={
            ("MECHANISM", "zeb1"): Concept("zeb1", "MECHANISM", "emt-plasticity", "ZEB1", symbols=("ZEB1",)),
            ("MECHANISM", "tgfb"): Concept(
                "tgfb", "MECHANISM", "cytokine-chemokine", "TGF-beta", synonyms=("tgf", "tgf-b")
            ),
            ("MECHANISM", "tgfb2"): Concept("tgfb2", "MECHANISM", "cytokine-chemokine", "TGFB2", synonyms=("tgf-b",)),
            ("MECHANISM", "tgf"): Concept("tgf", "MECHANISM", "cytokine-chemokine", "TGF family"),
            ("ORGAN", "liver"): Concept("liver", "ORGAN", None, "liver", synonyms=("hepatic",)),
        }
    )
    assert resolve_correction(vocab, "organ", "Hepatic") == {"organ": "liver"}
    assert resolve_correction(vocab, "m", "zeb1") == {"mechanism_key": "zeb1", "mechanism_category": "emt-plasticity"}
    assert resolve_correction(vocab, "mechanism", "tgf")["mechanism_key"] == "tgf"  # the exact key wins
    with pytest.raises(InputError, match=r"ambiguous \(tgfb, tgfb2\); type the key"):
        resolve_correction(vocab, "mechanism", "TGF-b")
    with pytest.raises(InputError, match=r"category, not a concept; name a concept, e\.g\. zeb1"):
        resolve_correction(vocab, "mechanism", "emt-plasticity")
    with pytest.raises(InputError, match="unknown slot"):
        resolve_correction(vocab, "colour", "red")
    assert resolve_correction(default_vocabulary(), "stage", "metastatic outgrowth") == {"stage": "colonization"}


def test_next_state_and_change_description() -> None:
    machine = {"organ": "liver", "polarity": "promotes"}
    fixed = next_state(DecisionState(), "correct", machine, {"organ": "lung"})
    assert fixed.status == "accepted" and dict(fixed.corrections) == {"organ": "lung"}
    back = next_state(fixed, "correct", machine, {"organ": "liver"})  # back to the machine value: no correction
    assert dict(back.corrections) == {} and back.status == "accepted"
    noted = next_state(DecisionState(), "note", machine, note="check figure 2")
    assert noted.status == "unreviewed" and noted.note == "check figure 2"
    line = describe_change(
        {"status": None, "slots": {"organ": "liver"}}, {"status": "accepted", "slots": {"organ": "lung"}}
    )
    assert line == "status: unreviewed -> accepted; organ: liver -> lung"


def test_log_lists_the_trail(run_cli: Callable[..., Result], engine: Engine, ranked: list[str]) -> None:
    _review(run_cli, "c\no\nlung\nr\nq\n")
    table = run_cli("review", "log", "--pmid", "102").output
    assert "alice" in table and "correct" in table and "organ: liver -> lung" in table
    assert "status: accepted -> rejected" in table
    assert run_cli("review", "log", "--reviewer", "bob").stderr.startswith("no review decisions")
    jsonl = run_cli("review", "log", "--format", "jsonl").output.splitlines()
    assert len(jsonl) == 2 and '"action": "reject"' in jsonl[1]
    csv_out = run_cli("review", "log", "--format", "csv").output.splitlines()
    assert csv_out[0].startswith("id,at,reviewer,action,pmid,evidence_key,change") and len(csv_out) == 3
