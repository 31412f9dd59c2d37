"""Pictures the notebooks share (matplotlib): digit grids, training curves, and runs side by side.

images: show_digits, show_predictions, show_weights, plot_confusion, plot_reading (a drawing read by networks)
curves: plot_history, LiveCurves (one run's history, finished or live)
compare: draw_runs (the playground's curves of every run)
"""

from helpers.plots.compare import draw_runs
from helpers.plots.curves import LiveCurves, plot_history
from helpers.plots.images import plot_confusion, plot_reading, show_digits, show_predictions, show_weights

__all__ = [
    "LiveCurves",
    "draw_runs",
    "plot_confusion",
    "plot_history",
    "plot_reading",
    "show_digits",
    "show_predictions",
    "show_weights",
]
