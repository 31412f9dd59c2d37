"""helpers.drawing.to_mnist frames any drawing as MNIST framed its digits; helpers.drawpad draws and reads."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.config import Config
from helpers.drawing import EmptyDrawing, to_mnist
from helpers.loop import predict
from helpers.runs import train_run

N = 1000  # test digits re-framed


@pytest.fixture(scope="module")
def reference(mnist):
    """DL4J's network after one epoch (about 91% on the first 1,000 test digits): enough to tell framings apart."""
    return train_run(Config(epochs=1), mnist[0]).model


def blown_up_and_moved(images, generator):
    """Each 28 x 28 digit blown up 10 times (280 x 280) at a random place on a 400 x 360 canvas."""
    canvases = []
    for image in images:
        big = F.interpolate(image.reshape(1, 1, 28, 28), scale_factor=10, mode="bilinear")[0, 0]
        canvas = torch.zeros(400, 360)
        row, col = (int(torch.randint(0, limit, (1,), generator=generator)) for limit in (120, 80))
        canvas[row : row + 280, col : col + 280] = big
        canvases.append(canvas)
    return canvases


def test_blown_up_shifted_digits_read_as_well_as_the_originals(mnist, reference):
    test = mnist[1]
    images, labels = test.images[:N], test.labels[:N]
    framed = torch.stack([to_mnist(c) for c in blown_up_and_moved(images, torch.Generator().manual_seed(0))])
    original = (predict(reference, images) == labels).float().mean().item()
    again = (predict(reference, framed) == labels).float().mean().item()
    print(
        f"reference network on {N} test digits: {original:.1%} as MNIST has them, {again:.1%} blown up, moved, re-framed"
    )
    assert framed.shape == (N, 784) and 0 <= framed.min() and framed.max() <= 1
    assert abs(again - original) <= 0.02


def test_the_frame_is_mnists_longer_side_20_and_centre_of_mass_in_the_middle():
    canvas = np.zeros((300, 500), dtype=np.uint8)
    canvas[40:240, 300:340] = 255  # a tall bar, 200 x 40, far off-centre: a "1"
    image = to_mnist(canvas).reshape(28, 28)
    rows, cols = torch.nonzero(image > 0.1, as_tuple=True)
    assert rows.max() - rows.min() + 1 == 20 and 3 <= cols.max() - cols.min() + 1 <= 5  # aspect ratio kept
    mass = image.sum()
    centre = [(image.sum(dim=d) * torch.arange(28)).sum() / mass for d in (1, 0)]
    assert all(abs(c - 14) <= 0.5 for c in centre), centre


def test_scale_of_the_ink_does_not_matter():
    marks = np.zeros((100, 100))
    marks[20:80, 45:55] = 1.0
    assert torch.allclose(to_mnist(marks), to_mnist((marks * 255).astype(np.uint8)), atol=1e-6)
    assert torch.allclose(to_mnist(marks), to_mnist(marks.astype(bool)), atol=1e-6)
    assert torch.allclose(to_mnist(marks), to_mnist(torch.tensor(marks)), atol=1e-6)


@pytest.mark.parametrize("canvas", [np.zeros((280, 280)), np.full((50, 50), 0.01)], ids=["blank", "faint"])
def test_an_empty_canvas_asks_for_a_digit(canvas):
    with pytest.raises(EmptyDrawing, match="draw a digit"):
        to_mnist(canvas)


def test_a_single_dot_is_not_read_as_a_digit():
    canvas = np.zeros((280, 280))
    canvas[140, 140] = 1.0
    with pytest.raises(EmptyDrawing, match="dot"):
        to_mnist(canvas)


@pytest.mark.parametrize(
    "pixels, error, says",
    [
        (np.zeros((28, 28, 4)), ValueError, "colour channels"),
        (np.zeros(784), ValueError, "2-D"),
        (np.zeros((0, 5)), ValueError, "2-D"),
        (np.zeros((5000, 10)), ValueError, "up to 4096"),
        (np.array([["a", "b"], ["c", "d"]]), TypeError, "numbers"),
        (np.full((10, 10), np.nan), ValueError, "NaN"),
        (-np.ones((10, 10)), ValueError, ">= 0"),
        ([[0, 1], [2]], TypeError, "2-D array"),
    ],
    ids=["rgba", "flat", "empty", "huge", "strings", "nan", "negative", "ragged"],
)
def test_bad_input_is_a_clear_error(pixels, error, says):
    with pytest.raises(error, match=says):
        to_mnist(pixels)


def test_a_large_canvas_is_framed_without_trouble():
    canvas = torch.zeros(4096, 4096)
    canvas[1000:3000, 1800:2300] = 1.0
    assert to_mnist(canvas).reshape(28, 28)[4:24].sum() > 0


# ---------------------------------------------------------------- the pad and its reader (helpers.drawpad)


def test_rasterize_draws_a_round_pen_of_the_given_width():
    from helpers.drawpad import rasterize

    ink = rasterize([[[40, 50], [240, 50]]], size=280, pen=20)
    assert ink.shape == (280, 280) and ink.max() == 1 and ink.min() == 0
    column = ink[:, 140]
    assert 19 <= (column > 0.5).sum() <= 21  # as wide as the pen
    assert ink[50, 33] > 0.5 and ink[50, 25] == 0  # round caps: half the pen past the end, no further
    dot = rasterize([[[100, 100]]], size=280, pen=20)  # a tap draws a dot, as the browser does
    assert 250 < dot.sum() < 380  # about pi * 10^2


def test_reader_reads_the_presets_and_says_draw_when_empty(reference):
    from helpers.drawpad import PRESETS, DigitReader, DrawingPad

    pad = DrawingPad()
    reader = DigitReader(pad, {"MLP": (reference, Config())})
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


def test_reader_standardises_pixels_for_a_network_trained_on_them(reference):
    from helpers.drawpad import PRESETS, DigitReader, DrawingPad

    seen = []

    class Spy(torch.nn.Module):
        def forward(self, x):
            seen.append(x.clone())
            return reference(x)

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


def test_reading_a_preset_leaves_the_pad_alone_and_a_new_pen_redraws(reference):
    from helpers.drawpad import PRESETS, DigitReader, DrawingPad

    pad = DrawingPad(strokes=PRESETS["a plain 7"])
    reader = DigitReader(pad, {"MLP": (reference, Config())})
    reader.read(PRESETS["a thin 3"])
    assert pad.strokes == PRESETS["a plain 7"]
    before = reader.read()["image"]
    pad.pen = 40.0  # the reader follows the pen as well as the strokes
    assert not torch.equal(reader.read()["image"], before) and "reads" in reader.summary.value
    reader.figure().clear()  # one network or none: the picture still draws
    DigitReader(pad, {}).figure().clear()
