"""Pictures the notebooks share (matplotlib): digit grids, predictions, weights and the confusion matrix (images),
a run's live curves (curves), and the playground's curves of every run (compare)."""

from helpers.plots.compare import draw_runs
from helpers.plots.curves import LiveCurves
from helpers.plots.images import plot_confusion, show_digits, show_predictions, show_weights

__all__ = ["LiveCurves", "draw_runs", "plot_confusion", "show_digits", "show_predictions", "show_weights"]
