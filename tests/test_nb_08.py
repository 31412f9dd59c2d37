"""The claims of notebook 08 (your own handwriting), checked on executed copies."""

import re

import pytest
from nbrun import ROOT, errors_in, executed, images_in, text_of

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
    text = text_of(nb08)
    assert re.search(r"^(Loaded the model from \S+04_reference.pt|Note: \S+04_reference.pt does not exist)", text, re.M)
    assert re.search(r"^(Loaded the model from \S*cnn.pt|Note: \S*cnn.pt does not exist)", text, re.M)


def test_08_trains_what_is_missing_in_one_epoch_and_says_so():
    quick = executed(
        "08_your_handwriting", mlp_checkpoint="none-mlp.pt", cnn_checkpoint="none-cnn.pt", preset="a thin 3"
    )
    assert not errors_in(quick)
    text = text_of(quick)
    assert (
        "Note: none-mlp.pt does not exist (run notebook 04 to create it), so the MLP is trained here: 1 epoch(s)"
        in text
    )
    assert "Note: none-cnn.pt does not exist" in text and "so the CNN is trained here: 1 epoch(s) on 100%" in text
    assert not (ROOT / "notebooks" / "none-mlp.pt").exists()
