"""The cue index that the rule components query: which cues start inside a token range."""

from __future__ import annotations

from pdacmine.miner.nlp.cues import CueIndex


def test_labels_within_answers_any_within_for_every_label_at_once() -> None:
    spans = {
        "NEG_PRE": [(7, 8), (2, 3)],
        "PROMOTE": [(4, 6)],
        "MET_GENERAL": [(4, 5), (11, 13)],
        "HEDGE": [],
    }
    cues = CueIndex(spans)
    for start in range(-1, 15):
        for end in range(start, 16):
            expected = {label for label in spans if cues.any_within(label, start, end)}
            assert cues.labels_within(start, end) == expected, (start, end)
    assert cues.labels_within(4, 5) == {"PROMOTE", "MET_GENERAL"}
    assert CueIndex({}).labels_within(0, 100) == set()
