"""The claims of notebook 08 (your own handwriting), checked on executed copies."""

import re

import pytest
from nbrun import errors_in, executed, images_in, text_of

from helpers.drawpad import PRESETS


@pytest.fixture(scope="module")
def nb08():
    return executed("08_your_handwriting")


def test_08_reads_every_preset_with_both_networks(nb08):
    assert not errors_in(nb08)
    text = text_of(nb08)
    for name in PRESETS:
        digit = re.search(r"\b(\d)\b", name)[1]
        line = re.search(rf"^ *{re.escape(name)}: MLP reads (\d) \(\d+%\), CNN reads (\d) \(\d+%\)$", text, re.M)
        assert line, f"no reading of {name!r} in:\n{text}"
        assert line[2] == digit, f"the CNN misreads {name!r}: {line[0]}"
    assert "Drawing pad: it needs a running Jupyter kernel" in text  # what GitHub shows for the live pad
    assert images_in(nb08) >= 2  # the preset's reading and the framed presets, as plain pictures


def test_08_says_where_each_network_came_from(nb08):
    # in the tests, 04 has run (tests/nbrun.py) and nobody has trained the full CNN: one loads, one trains
    text = text_of(nb08)
    assert "Loaded the model from ../checkpoints/04_reference.pt (written by notebook 04)." in text
    assert (
        "Note: ../checkpoints/cnn.pt does not exist (run python -m helpers.train --model cnn --save checkpoints/cnn.pt"
        in text
    )
    assert "so the CNN is trained here: 1 epoch(s) on 100%" in text
