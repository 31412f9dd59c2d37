"""Pictures the notebooks share (matplotlib): digit grids, training curves, and runs side by side.

images: show_digits, show_predictions, show_weights, plot_confusion
curves: plot_history, LiveCurves (one run's history, finished or live)
runs:   draw_runs (the playground's curves), plot_runs (a slider experiment's runs)
"""

from helpers.plots.curves import LiveCurves, plot_history
from helpers.plots.images import plot_confusion, show_digits, show_predictions, show_weights
from helpers.plots.runs import draw_runs, plot_runs

__all__ = [
    "LiveCurves",
    "draw_runs",
    "plot_confusion",
    "plot_history",
    "plot_runs",
    "show_digits",
    "show_predictions",
    "show_weights",
]
