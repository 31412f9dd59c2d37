"""The claims of notebook 08 (your own handwriting): an executed copy (as the tests run it, without the CNN's
checkpoint) and the committed copy (as refresh_notebooks.py ran it, with both real networks)."""

import json
import re

import pytest
from nbrun import NOTEBOOKS, cells_with, executed, text_of

from helpers.drawpad import PRESETS

VARIATIONS = 45  # of each preset, in the notebook's search: 5 slants x 3 sizes x 3 widths


@pytest.fixture(scope="module")
def nb08():
    return executed("08_your_handwriting")


@pytest.fixture(scope="module")
def committed():
    return json.loads((NOTEBOOKS / "08_your_handwriting.ipynb").read_text())


def images_of(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def tally(nb) -> dict:
    """{(MLP right?, CNN right?): drawings} as the search printed it."""
    lines = re.findall(r"^MLP (right|wrong), CNN (right|wrong): (\d+) of (\d+) drawings$", text_of(nb), re.M)
    assert lines and {int(total) for *_, total in lines} == {len(PRESETS) * VARIATIONS}
    return {(mlp == "right", cnn == "right"): int(n) for mlp, cnn, n, _ in lines}


def test_08_headless_run_shows_the_presets_reading_as_a_picture(nb08):
    assert "Drawing pad: it needs a running Jupyter kernel" in text_of(nb08)  # what GitHub shows for the live pad
    assert images_of(cells_with(nb08, "reader.figure()")[0]) == 1


def test_08_says_where_each_network_came_from_and_trains_what_is_missing(nb08):
    # the tests run 04 first (tests/nbrun.py) and nobody has trained the full CNN: one loads, one trains
    text = text_of(nb08)
    assert re.search(
        r"Loaded the MLP from \.\./checkpoints/04_reference\.pt \(test accuracy \d+\.\d\d%\) \(written by notebook 04\)\.",
        text,
    )
    assert "Note: ../checkpoints/cnn.pt does not exist (run python -m helpers.train --model cnn" in text
    assert "so the CNN is trained here: 1 epoch(s) on 100% of the training images." in text


def test_08_committed_copy_reads_with_the_real_networks_and_their_test_accuracies(committed):
    text = text_of(committed)
    mlp = re.search(r"Loaded the MLP from \.\./checkpoints/04_reference\.pt \(test accuracy (\d+\.\d\d)%\)", text)
    cnn = re.search(
        r"Loaded the CNN from \.\./checkpoints/cnn\.pt \(test accuracy (\d+\.\d\d)%\) "
        r"\(written by python -m helpers.train --model cnn --save checkpoints/cnn\.pt\)\.",
        text,
    )
    assert mlp and cnn, "refresh 08 with both checkpoints in place (tools/refresh_notebooks.py makes them)"
    assert float(cnn[1]) > float(mlp[1])
    assert "does not exist" not in text and "partial" not in text


@pytest.mark.parametrize("copy", ["executed", "committed"])
def test_08_search_the_mlp_misreads_more_and_is_usually_the_one_wrong(copy, nb08, committed):
    nb = nb08 if copy == "executed" else committed
    counts = tally(nb)
    only_mlp, only_cnn, both = (counts.get(k, 0) for k in [(False, True), (True, False), (False, False)])
    assert only_mlp > only_cnn and both > 0, counts
    assert images_of(cells_with(nb, "show_digits(")[0]) == 1, "the drawings only the MLP misread, found by the search"
