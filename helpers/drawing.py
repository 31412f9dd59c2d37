"""Frame a drawing the way MNIST's digits were framed, so that a network trained on MNIST can read it."""

import numpy as np
import torch
import torch.nn.functional as F

SIDE = 28  # MNIST's images are 28 x 28
BOX = 20  # NIST's digits were scaled so that their longer side fills 20 pixels, then centred in the 28
INK = 0.1  # a pixel with at least this much ink (0-1) counts when cropping to the drawing
MIN_INK_SHARE = 0.1  # ink spanning less than this share of the canvas's longer side (and < 3 px) is a dot
MAX_SIDE = 4096  # larger canvases are refused: a mistake (an image file's bytes?) more likely than a drawing


class EmptyDrawing(ValueError):
    """The canvas holds no digit yet (nothing drawn, or only a dot)."""


def to_mnist(pixels) -> torch.Tensor:
    """The 784 values, 0-1, that MNIST would hold for `pixels`, a 2-D drawing of any size with ink as high values.

    As NIST's digits were prepared: cropped to the ink, the longer side scaled to 20 pixels (anti-aliased), the centre
    of mass placed at the centre of 28 x 28. Raises EmptyDrawing when there is nothing to read yet.
    """
    image = _as_image(pixels)  # [H, W], 0-1
    inked = (image >= INK).numpy()
    rows, cols = np.nonzero(inked)
    if len(rows) == 0:
        raise EmptyDrawing("Nothing drawn yet: draw a digit.")
    if inked.mean() > 0.5:
        raise ValueError(
            f"to_mnist got ink on {inked.mean():.0%} of the canvas: it needs ink as high values on a dark background "
            "(MNIST's white digit on black). For dark ink on white paper, pass 255 - pixels (or 1 - pixels)."
        )
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    if max(bottom - top, right - left) < max(3, MIN_INK_SHARE * max(image.shape)):
        raise EmptyDrawing("That is a dot, not a digit yet: draw a digit, as large as the pad allows.")
    ink = image[top:bottom, left:right]
    scale = BOX / max(ink.shape)
    height, width = max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale))
    # bilinear with antialias averages every covered source pixel when shrinking, as NIST's anti-aliasing did
    box = F.interpolate(ink[None, None], size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    box = box[0, 0].clamp(0, 1)
    # shift so that the centre of mass lands on the image's centre, keeping the whole box inside the 28 x 28
    mass = box.sum()
    # in pixel indices (row 0 to 27), where MNIST's digits have their centre of mass at 14.0 on average
    centre_row = (box.sum(dim=1) * torch.arange(height)).sum() / mass
    centre_col = (box.sum(dim=0) * torch.arange(width)).sum() / mass
    row = int(min(max(round(SIDE / 2 - centre_row.item()), 0), SIDE - height))
    col = int(min(max(round(SIDE / 2 - centre_col.item()), 0), SIDE - width))
    out = torch.zeros(SIDE, SIDE)
    out[row : row + height, col : col + width] = box
    return out.reshape(SIDE * SIDE)


def _as_image(pixels) -> torch.Tensor:
    """`pixels` as a float [H, W] tensor scaled to 0-1, or a clear error naming what is wrong with it."""
    try:
        array = np.asarray(pixels.detach().cpu() if isinstance(pixels, torch.Tensor) else pixels)
    except (TypeError, ValueError) as e:  # ragged lists and the like
        raise TypeError(
            f"to_mnist needs a 2-D array of pixel values; could not read {type(pixels).__name__}: {e}"
        ) from e
    if array.dtype.kind not in "biuf":  # booleans, integers, floats
        raise TypeError(f"to_mnist needs numbers (ink as high values), got an array of dtype {array.dtype}.")
    if array.ndim == 3 and array.shape[2] in (1, 3, 4):
        raise ValueError(
            f"to_mnist needs a 2-D grey image, got shape {list(array.shape)} (colour channels?): "
            "pass one channel, for example the alpha channel of a canvas, pixels[:, :, 3]."
        )
    if array.ndim != 2 or min(array.shape) == 0:
        raise ValueError(
            f"to_mnist needs a 2-D image (height x width, both at least 1), got shape {list(array.shape)}."
        )
    if max(array.shape) > MAX_SIDE:
        raise ValueError(
            f"to_mnist takes canvases up to {MAX_SIDE} x {MAX_SIDE} pixels, got {array.shape[0]} x {array.shape[1]}: scale it down first."
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError("to_mnist got NaN or infinite pixel values; ink must be finite numbers.")
    if array.min() < 0:
        raise ValueError(f"to_mnist needs ink as values >= 0, got a minimum of {array.min()}.")
    image = torch.as_tensor(array.astype(np.float32))
    top = 255.0 if array.dtype.kind in "iu" and image.max() > 1 else max(1.0, float(image.max()))  # 0-255, or 0-1
    return image / top
