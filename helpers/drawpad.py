"""A pad to draw a digit on, and a reader that shows what the networks make of it (anywidget, no CDN)."""

import anywidget
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
import traitlets

from helpers.data import MEAN, STD
from helpers.drawing import EmptyDrawing, to_mnist
from helpers.plots.images import plot_reading

SIZE = 280  # the pad's side in screen pixels
PEN = 20.0  # the pen's width in pad pixels: a digit drawn 240 high, shrunk to MNIST's 20, gets strokes ~1.7 wide

# Drawings for headless runs (papermill, CI) and for notebook 08's search, which varies each of them:
# strokes in pad pixels, as a person might draw them, every digit at least once. Each name holds its digit.
PRESETS = {
    "a plain 7": [[[70, 60], [210, 60], [130, 240]]],
    "a 7 with a bar": [[[70, 60], [210, 60], [130, 240]], [[105, 150], [190, 150]]],
    "a 1 with a flag": [[[95, 95], [150, 45], [150, 240]]],
    "a thin 3": [[[80, 60], [150, 40], [200, 80], [150, 135], [205, 180], [150, 235], [80, 215]]],
    "a small 2 in a corner": [[[20, 30], [45, 15], [70, 35], [25, 95], [75, 95]]],
    "a 4, open at the top": [[[90, 40], [70, 160], [200, 160]], [[170, 70], [170, 240]]],
    "a round 0": [
        [[140, 45], [95, 65], [75, 140], [95, 215], [140, 238], [185, 215], [205, 140], [185, 65], [140, 45]]
    ],
    "a 5 with a flat top": [
        [[95, 45], [185, 45]],
        [[95, 45], [90, 125], [150, 112], [195, 145], [195, 200], [150, 235], [85, 220]],
    ],
    "a 6": [[[175, 45], [120, 90], [90, 160], [100, 220], [145, 238], [185, 210], [185, 165], [145, 145], [100, 165]]],
    "an 8 of two loops": [
        [[140, 45], [105, 65], [110, 110], [140, 135], [170, 105], [170, 70], [140, 45]],
        [[140, 135], [180, 170], [175, 220], [140, 240], [100, 220], [100, 170], [140, 135]],
    ],
    "a 9 with a straight tail": [
        [[180, 95], [150, 45], [110, 55], [95, 95], [115, 130], [155, 130], [180, 95], [165, 240]]
    ],
}

# The browser side: a canvas that draws while the pointer (mouse, pen, finger) is down and, when it lifts,
# appends the stroke's points to `strokes`; Clear empties them. Python rasterises the same points, so
# what the networks read never depends on the browser's drawing.
_ESM = """
function render({ model, el }) {
  const size = model.get("size");
  const canvas = document.createElement("canvas");
  canvas.width = size; canvas.height = size;
  canvas.className = "mnist-pad";
  canvas.setAttribute("aria-label", "drawing pad: draw a digit");
  const clear = document.createElement("button");
  clear.textContent = "Clear"; clear.className = "mnist-pad-clear";
  const ctx = canvas.getContext("2d");
  let current = null;
  function paint() {
    ctx.fillStyle = "black"; ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "white"; ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.lineWidth = model.get("pen");
    for (const stroke of [...model.get("strokes"), ...(current ? [current] : [])]) {
      ctx.beginPath();
      stroke.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      if (stroke.length === 1) ctx.lineTo(stroke[0][0] + 0.01, stroke[0][1]);
      ctx.stroke();
    }
  }
  function at(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * size / box.width, (event.clientY - box.top) * size / box.height];
  }
  // one pointer draws: a second finger on a touch screen is ignored rather than merged into the stroke
  canvas.addEventListener("pointerdown", (e) => {
    if (!e.isPrimary) return;
    canvas.setPointerCapture(e.pointerId); current = [at(e)]; paint();
  });
  canvas.addEventListener("pointermove", (e) => { if (current && e.isPrimary) { current.push(at(e)); paint(); } });
  function lift() {
    if (!current) return;
    model.set("strokes", [...model.get("strokes"), current]);
    current = null;
    model.save_changes();
  }
  canvas.addEventListener("pointerup", lift);
  canvas.addEventListener("pointercancel", lift);
  clear.addEventListener("click", () => { current = null; model.set("strokes", []); model.save_changes(); });
  model.on("change:strokes", paint);
  model.on("change:pen", paint);
  paint();
  el.append(canvas, clear);
}
export default { render };
"""

_CSS = """
.mnist-pad { touch-action: none; cursor: crosshair; border: 1px solid #888; display: block; }
.mnist-pad-clear { margin-top: 4px; }
"""


class DrawingPad(anywidget.AnyWidget):
    """A canvas to draw a digit on with mouse, pen or finger, and a Clear button; `strokes` holds what was drawn."""

    _esm = _ESM
    _css = _CSS
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
        except EmptyDrawing as e:
            self.summary.value, fig = str(e), self.figure()
        else:
            self.summary.value = " · ".join(
                f"{name} reads <b>{int(p.argmax())}</b> ({p.max():.0%})" for name, p in read["probabilities"].items()
            )
            fig = self.figure(read)
        with self.output:
            self.output.clear_output(wait=True)
            display_figure(fig)

    def _repr_mimebundle_(self, **kwargs):
        bundle = widgets.HBox([self.pad, widgets.VBox([self.summary, self.output])])._repr_mimebundle_(
            **kwargs
        )  # the live pad in Jupyter
        bundle["text/plain"] = (
            "Drawing pad: it needs a running Jupyter kernel; a static copy shows the preset's reading as a picture instead."
        )
        return bundle


def display_figure(fig):
    """Show `fig` once as a picture and close it, so that it is not drawn a second time at the cell's end."""
    from IPython.display import display

    display(fig)
    plt.close(fig)
