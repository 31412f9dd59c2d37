"""helpers.drawpad: the pad's strokes become pixels (rasterize), and DigitReader reads them with each network."""

import re

import numpy as np
import pytest
import torch

from helpers.config import Config
from helpers.drawing import EmptyDrawing, to_mnist


def test_rasterize_draws_a_round_pen_of_the_given_width():
    from helpers.drawpad import rasterize

    ink = rasterize([[[40, 50], [240, 50]]], size=280, pen=20)
    assert ink.shape == (280, 280) and ink.max() == 1 and ink.min() == 0
    column = ink[:, 140]
    assert 19 <= (column > 0.5).sum() <= 21  # as wide as the pen
    assert ink[50, 33] > 0.5 and ink[50, 25] == 0  # round caps: half the pen past the end, no further
    dot = rasterize([[[100, 100]]], size=280, pen=20)  # a tap draws a dot, as the browser does
    assert 250 < dot.sum() < 380  # about pi * 10^2


def test_reader_reads_the_presets_and_says_draw_when_empty(one_epoch_mlp):
    from helpers.drawpad import PRESETS, DigitReader, DrawingPad

    pad = DrawingPad()
    reader = DigitReader(pad, {"MLP": (one_epoch_mlp, Config())})
    assert "draw a digit" in reader.summary.value  # an empty pad
    for name, strokes in PRESETS.items():
        pad.strokes = strokes  # what the browser sends when a stroke ends
        digit = re.search(r"\b(\d)\b", name)[1]  # "a 7 with a bar" -> "7"
        read = reader.read()
        assert int(read["probabilities"]["MLP"].argmax()) == int(digit), name
        assert f"MLP reads <b>{digit}</b>" in reader.summary.value, name
    pad.strokes = []
    assert "draw a digit" in reader.summary.value
    bundle = reader._repr_mimebundle_()
    assert "needs a running Jupyter kernel" in bundle["text/plain"]


def test_reader_standardises_pixels_for_a_network_trained_on_them(one_epoch_mlp):
    from helpers.drawpad import PRESETS, DigitReader, DrawingPad

    seen = []

    class Spy(torch.nn.Module):
        def forward(self, x):
            seen.append(x.clone())
            return one_epoch_mlp(x)

    pad = DrawingPad(strokes=PRESETS["a plain 7"])
    DigitReader(pad, {"raw": (Spy(), Config()), "standardised": (Spy(), Config(normalize=True))}).read()
    raw, standardised = seen[-2], seen[-1]
    assert raw.min() == 0 and standardised.min() < -0.4  # (0 - 0.1307) / 0.3081


def test_a_tap_on_the_pad_is_a_dot_and_dark_ink_on_white_is_named():
    from helpers.drawpad import rasterize

    with pytest.raises(EmptyDrawing, match="dot"):
        to_mnist(rasterize([[[140, 140]]]))  # a tap: a 21-pixel disk on the 280-pixel pad
    paper = np.full((100, 100), 255, dtype=np.uint8)
    paper[20:80, 45:55] = 0  # a dark stroke on white paper, as a scan holds it
    with pytest.raises(ValueError, match="255 - pixels"):
        to_mnist(paper)
    assert torch.allclose(to_mnist(255 - paper), to_mnist((255 - paper).astype(float) / 255), atol=1e-6)


def test_reading_a_preset_leaves_the_pad_alone_and_a_new_pen_redraws(one_epoch_mlp):
    from helpers.drawpad import PRESETS, DigitReader, DrawingPad

    pad = DrawingPad(strokes=PRESETS["a plain 7"])
    reader = DigitReader(pad, {"MLP": (one_epoch_mlp, Config())})
    reader.read(PRESETS["a thin 3"])
    assert pad.strokes == PRESETS["a plain 7"]
    before = reader.read()["image"]
    pad.pen = 40.0  # the reader follows the pen as well as the strokes
    assert not torch.equal(reader.read()["image"], before) and "reads" in reader.summary.value
    reader.figure().clear()  # one network or none: the picture still draws
    DigitReader(pad, {}).figure().clear()
