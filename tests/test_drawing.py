"""helpers.drawing.to_mnist frames any drawing as MNIST framed its digits."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.drawing import EmptyDrawing, to_mnist

N = 1000  # test digits re-framed


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


def test_blown_up_shifted_digits_read_as_well_as_the_originals(mnist, one_epoch_mlp):
    images, labels = mnist[1][:N]
    framed = torch.stack([to_mnist(c) for c in blown_up_and_moved(images, torch.Generator().manual_seed(0))])
    with torch.no_grad():
        original, again = ((one_epoch_mlp(x).argmax(dim=1) == labels).float().mean().item() for x in (images, framed))
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
