"""The playground's picture: every run's loss and validation-accuracy curves, side by side."""

import matplotlib.colors
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

from helpers.config import DL4J_ACCURACY

ACCURACY_TICKS = (0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.98, 0.99)


PLAYGROUND_SIZE = (11, 3.6)  # inches: draw_runs' figure, the playground's


def run_color(number: int) -> str:
    """Run n's colour, the same in the curves and the table: matplotlib's default colour cycle (C0, C1, ...)."""
    return matplotlib.colors.to_hex(f"C{(number - 1) % 10}")


def draw_runs(fig, runs, *, max_curves: int = 10, label: str = "lr"):
    """Draw the loss and validation-accuracy curves of the last `max_curves` runs into `fig`, each named by its `label` setting."""
    fig.clear()
    loss_ax, acc_ax = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.06, right=0.80, bottom=0.15, top=0.88, wspace=0.22)
    shown = runs[-max_curves:]
    for run in shown:
        _draw_run(loss_ax, acc_ax, run, latest=run is runs[-1], label=label)
    loss_ax.set(xlabel="epoch", ylabel="train loss (log scale)", title="Loss (lower is better)")
    if any(run.loss_points for run in shown):
        loss_ax.set_yscale("log")
        # plain numbers (0.1, 0.2, 0.5, 1, 2, 5, ...) instead of 2x10^0
        loss_ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        loss_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        loss_ax.yaxis.set_minor_locator(NullLocator())
    _accuracy_axis(acc_ax)
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.set_xlim(left=0)
    if not runs:
        hint = "Press Train:\nthe curves appear here"
        loss_ax.text(0.5, 0.5, hint, ha="center", va="center", transform=loss_ax.transAxes, color="gray")
    acc_ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8, frameon=False)
    return fig


def _draw_run(loss_ax, acc_ax, run, *, latest: bool, label: str):
    """One run's loss and accuracy curves in its colour; a diverged run marked where it ended."""
    style = dict(color=run_color(run.number), linewidth=2.2 if latest else 1.2, alpha=1.0 if latest else 0.6)
    name = {"lr": "lr", "l2": "L2", "batch_size": "batch", "train_fraction": "share"}.get(label, label)
    status = "" if run.status in ("done", "running") else f" ({run.status})"
    label = f"#{run.number} {name} {getattr(run.config, label):g}{status}"
    if run.loss_points:
        x, y = zip(*run.loss_points)
        loss_ax.plot(x, y, **style)
    if run.accuracy_points:
        x, y = zip(*run.accuracy_points)
        acc_ax.plot(x, [min(max(a, 0.06), 0.995) for a in y], marker="o", markersize=3, label=label, **style)
    if run.status == "diverged" and run.loss_points:  # often a single point at the very start: mark it plainly
        point = run.loss_points[-1]
        loss_ax.plot(*point, marker="X", markersize=12, color=style["color"], markeredgecolor="black")
        text = dict(textcoords="offset points", fontsize=8, color=style["color"], fontweight="bold")
        loss_ax.annotate(f"#{run.number} diverged", xy=point, xytext=(12, -4), **text)


def _accuracy_axis(ax):
    """The playground's accuracy axis: DL4J's score and chance as lines, stretched near 100%."""
    ax.axhline(DL4J_ACCURACY, color="gray", linestyle="--", linewidth=1, label=f"DL4J {DL4J_ACCURACY:.1%}")
    ax.axhline(0.1, color="gray", linestyle=":", linewidth=1, label="chance 10%")
    # logit scale: stretched near 100%, so that 95% and 98% look as different as they are (2.5x fewer
    # errors), while the climb from chance (10%) still fits
    ax.set_yscale("logit")
    ax.set_ylim(0.06, 0.995)
    ax.yaxis.set_major_locator(FixedLocator(ACCURACY_TICKS))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set(xlabel="epoch", ylabel="validation accuracy (%, stretched)", title="Validation accuracy (higher is better)")
