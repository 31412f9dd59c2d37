"""The claims of notebook 06 (the playground), checked on its executed copy.

tests/claims/06_playground.py asserts the claims that need the notebook's runs, in its own kernel;
these read what it printed and drew. The playground itself is tested in tests/test_playground.py.
"""

import re

import pytest
from nbrun import cell_with, executed, markdown_of, solution_verdicts, text_of


def images_of(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


@pytest.fixture(scope="module")
def nb06():
    return executed("06_playground")


def test_06_compares_settings_on_the_validation_set_only(nb06):
    text = text_of(nb06)
    assert "55,000 images to learn from, 5,000 to compare settings on" in text
    assert "validation accuracy" in text and "test accuracy" not in text  # no run is scored on the test set
    assert "01_dataset.ipynb" in markdown_of(nb06), "why validation links to where 01 explains it"


def test_06_session_changes_one_setting_then_diverges(nb06):
    text = text_of(nb06)
    assert "Run #1: lr 0.006, momentum 0.9, L2 0.0001, batch 128, 1 epoch on 13,750 training images" in text
    assert "Run #2: lr 0.1, momentum 0.9, L2 0.0001, batch 128, 1 epoch on 13,750 training images" in text
    assert re.search(r"^Run #3: lr 5, .*\n  diverged: .*\n  Diverged: .* too high", text, re.M)
    first = re.search(r"^Run #1: .*\n  done: validation accuracy (\d+\.\d\d)%", text, re.M)[1]
    assert f"read {first}% of the validation images right" in markdown_of(nb06), "06.2 quotes run #1 as it is"
    assert images_of(cell_with(nb06, "print(pg.run(lr=0.1))")) == 1  # the session's curves, for a saved copy


def test_06_leaves_a_picture_of_every_one_slider_experiment(nb06):
    for slider in ("lr", "momentum", "l2", "batch_size"):
        cell = cell_with(nb06, f'sliders=["{slider}"], guard=False')
        assert images_of(cell) == 1, slider
        assert "need a running Jupyter kernel" in text_of({"cells": [cell]})  # the widget's text for a static copy


def test_06_explains_the_divergence_guard_once(nb06):
    words = markdown_of(nb06)
    assert words.count("## Too far: the divergence guard") == 1
    assert "NaN" in words and "chance" in words


def test_06_solutions_quote_what_their_runs_give(nb06):
    # the folded solutions, run in the executed copy (tests/nbrun.py), print their runs and verdicts
    cell = next(c for c in nb06["cells"] if c.get("id") == "test-solutions")
    printed = "".join("".join(out.get("text", "")) for out in cell["outputs"])
    verdicts = solution_verdicts(nb06)
    assert {exercise: status for exercise, (status, _) in verdicts.items()} == {"06.1": "right", "06.2": "right"}
    one = re.search(
        r"^Run #\d+: lr 1, .*\n  done: validation accuracy (\d+\.\d\d)%.*\n  .*the loss jumped to (\d+\.\d)",
        printed,
        re.M,
    )
    assert round(float(one[1])) == 63 and 10 <= float(one[2]) < 100, "lr 1: about 63%, its loss jumping to tens"
    assert re.search(r"^Run #\d+: lr 2, .*\n  diverged: .*\n  Diverged: at step \d ", printed, re.M), (
        "within a few steps"
    )
    fast = re.search(r"Right! (\d+\.\d\d)% of the validation images", verdicts["06.2"][1])
    assert round(float(fast[1])) == 94, "lr 0.3: about 94%"
