"""A pad to draw a digit on, and a reader that shows what the networks make of it (anywidget, no CDN)."""

import json
from pathlib import Path

import anywidget
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
import traitlets
from IPython.display import display

from helpers.data import MEAN, STD
from helpers.drawing import EmptyDrawing, to_mnist
from helpers.plots.images import plot_reading

SIZE = 280  # the pad's side in screen pixels
PEN = 20.0  # the pen's width in pad pixels: a digit drawn 240 high, shrunk to MNIST's 20, gets strokes ~1.7 wide

# Drawings for headless runs (papermill, CI) and for notebook 08's search, which varies each of them:
# strokes in pad pixels, as a person might draw them, every digit at least once. Each name holds its digit.
PRESETS = json.loads(Path(__file__).with_name("drawpad_presets.json").read_text())


class DrawingPad(anywidget.AnyWidget):
    """A canvas to draw a digit on with mouse, pen or finger, and a Clear button; `strokes` holds what was drawn."""

    # The browser side: a canvas that draws while the pointer (mouse, pen, finger) is down and, when it lifts,
    # appends the stroke's points to `strokes`; Clear empties them. Python rasterises the same points, so
    # what the networks read never depends on the browser's drawing.
    _esm = Path(__file__).with_name("drawpad.js")
    _css = Path(__file__).with_name("drawpad.css")
    strokes = traitlets.List([]).tag(sync=True)  # one list of [x, y] pad pixels per stroke
    size = traitlets.Int(SIZE).tag(sync=True)
    pen = traitlets.Float(PEN).tag(sync=True)

    def pixels(self) -> np.ndarray:
        """The drawing as a [size, size] array of ink, 0-1: round pen, anti-aliased edges."""
        return rasterize(self.strokes, size=self.size, pen=self.pen)


def rasterize(strokes, *, size: int = SIZE, pen: float = PEN) -> np.ndarray:
    """Strokes (lists of [x, y] points) drawn with a round pen `pen` pixels wide on a black size x size canvas."""
    ys, xs = np.mgrid[0:size, 0:size] + 0.5  # pixel centres
    ink = np.zeros((size, size))
    for stroke in strokes:
        points = np.asarray(stroke, dtype=float).reshape(-1, 2)
        for (x0, y0), (x1, y1) in zip(points, points[1:] if len(points) > 1 else points):
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
            distance = np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy))  # to the nearest point of the segment
            ink = np.maximum(ink, np.clip(pen / 2 + 0.5 - distance, 0, 1))  # a one-pixel soft edge
    return ink


class DigitReader:
    """Beside a DrawingPad: the 28 x 28 image the networks receive, and each network's 10 probabilities."""

    def __init__(self, pad: DrawingPad, networks: dict):
        """`networks`: {name: (model, config)}; a config with normalize=True gets standardised pixels."""
        self.pad, self.networks = pad, networks
        pad.layout.flex = "0 0 auto"  # its own size beside the readings: a flex box (Voila's page) would squeeze it
        self.output = widgets.Output()
        self.summary = widgets.HTML()  # the readings in words, e.g. "MLP reads 7 (99%) · CNN reads 7 (100%)"
        pad.observe(lambda _change: self.redraw(), names=["strokes", "pen"])
        self.redraw()

    def read(self, strokes=None) -> dict:
        """{"image": the 784 values, "probabilities": {name: 10 probabilities}} for `strokes` (default: the pad's)."""
        pixels = self.pad.pixels() if strokes is None else rasterize(strokes, size=self.pad.size, pen=self.pad.pen)
        image = to_mnist(pixels)
        probabilities = {}
        for name, (model, config) in self.networks.items():
            x = (image - MEAN) / STD if config.normalize else image
            model.eval()
            with torch.no_grad():
                probabilities[name] = torch.softmax(model(x[None]), dim=1)[0]
        return {"image": image, "probabilities": probabilities}

    def figure(self, read: dict = None):
        """The picture of `read` (default: the pad's drawing): what the networks receive, then each one's bars."""
        try:
            read = self.read() if read is None else read
        except EmptyDrawing as e:
            return plot_reading(None, message=str(e))
        return plot_reading(read["image"], read["probabilities"])

    def redraw(self):
        """Draw the picture and the summary for the pad's current strokes."""
        try:
            read = self.read()
        except EmptyDrawing as e:  # the pad is empty: the message to draw a digit, in words and in the picture
            self.summary.value, fig = str(e), plot_reading(None, message=str(e))
        else:
            readings = read["probabilities"].items()
            self.summary.value = " · ".join(
                f"{name} reads <b>{int(p.argmax())}</b> ({p.max():.0%})" for name, p in readings
            )
            fig = self.figure(read)
        with self.output:
            self.output.clear_output(wait=True)
            display(fig)
            plt.close(fig)  # shown once, as a picture: not drawn a second time at the cell's end

    def _repr_mimebundle_(self, **kwargs):
        live = widgets.HBox([self.pad, widgets.VBox([self.summary, self.output])])  # the live pad in Jupyter
        bundle = live._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = (
            "Drawing pad: it needs a running Jupyter kernel; a static copy shows the preset's reading as a picture instead."
        )
        return bundle
