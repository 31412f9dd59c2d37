"""Pictures of runs side by side: the playground's live curves, and the figure of a slider experiment's runs."""

import matplotlib.pyplot as plt
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

from helpers.config import DL4J_ACCURACY
from helpers.runs import run_color

ACCURACY_TICKS = (0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.98, 0.99)


PLAYGROUND_SIZE = (11, 3.6)  # inches: draw_runs' figure, the playground's


def draw_runs(fig, runs, *, max_curves: int = 10):
    """Draw the loss and test-accuracy curves of the last `max_curves` runs into `fig`; the latest run bold."""
    fig.clear()
    loss_ax, acc_ax = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.06, right=0.80, bottom=0.15, top=0.88, wspace=0.22)
    shown = runs[-max_curves:]
    for run in shown:
        _draw_run(loss_ax, acc_ax, run, latest=run is runs[-1])
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
        loss_ax.text(
            0.5,
            0.5,
            "Press Train:\nthe curves appear here",
            ha="center",
            va="center",
            transform=loss_ax.transAxes,
            color="gray",
        )
    acc_ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8, frameon=False)
    return fig


def _draw_run(loss_ax, acc_ax, run, *, latest: bool):
    """One run's loss and accuracy curves in its colour; a diverged run marked where it ended."""
    style = dict(color=run_color(run.number), linewidth=2.2 if latest else 1.2, alpha=1.0 if latest else 0.6)
    label = f"#{run.number} lr {run.config.lr:g}" + ("" if run.status in ("done", "running") else f" ({run.status})")
    if run.loss_points:
        x, y = zip(*run.loss_points)
        loss_ax.plot(x, y, **style)
    if run.accuracy_points:
        x, y = zip(*run.accuracy_points)
        acc_ax.plot(x, [min(max(a, 0.06), 0.995) for a in y], marker="o", markersize=3, label=label, **style)
    if run.status == "diverged" and run.loss_points:  # often a single point at the very start: mark it plainly
        point = run.loss_points[-1]
        loss_ax.plot(*point, marker="X", markersize=12, color=style["color"], markeredgecolor="black")
        loss_ax.annotate(
            f"#{run.number} diverged",
            xy=point,
            xytext=(12, -4),
            textcoords="offset points",
            fontsize=8,
            color=style["color"],
            fontweight="bold",
        )


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
    ax.set(xlabel="epoch", ylabel="test accuracy (%, stretched near 100)", title="Test accuracy (higher is better)")


EXPERIMENT_SIZE = (10, 3.4)  # inches: plot_runs' figure


def plot_runs(runs, *, label="lr", right="accuracy", title="", fig=None):
    """Loss at every step of each run (left) and its test accuracy or weight norm (right); return the figure.

    `label` is the Config field that tells the runs apart; `right` is "accuracy" or "weight norm".
    Without `fig`, a new figure, closed in pyplot at once, so it appears only where it is displayed
    (safe in a widget's callback); with `fig` (a plain matplotlib Figure, say, outside pyplot), drawn into that.
    """
    if right not in ("accuracy", "weight norm"):
        raise ValueError(f"right={right!r}; allowed: 'accuracy' or 'weight norm'")
    if fig is None:
        fig = plt.figure(figsize=EXPERIMENT_SIZE, dpi=90)
        plt.close(fig)  # shown by display() or as a cell's value, not again at the end of the cell
    fig.clear()
    fig.set_layout_engine("constrained")
    loss_ax, right_ax = fig.subplots(1, 2)
    names = [f"{label} = {getattr(r.config, label):g}" for r in runs]
    colors = [f"C{i % 10}" for i in range(len(runs))]
    for run, name, color in zip(runs, names, colors):
        loss_ax.plot(range(1, len(run.losses) + 1), run.losses, color=color, label=name)
    # a log scale when a loss blew up (or became nan), so that huge losses and small ones both stay visible
    exploded = any(r.losses and not max(r.losses) <= 10 * r.losses[0] for r in runs)
    loss_ax.set(
        xlabel="step (one batch each)",
        ylabel="train loss" + (" (log scale)" if exploded else ""),
        yscale="log" if exploded else "linear",
        title="Loss: lower is better",
    )
    loss_ax.legend(fontsize=8)
    if right == "accuracy":
        accuracies = [100 * r.accuracy for r in runs]
        bars = right_ax.barh(range(len(runs)), accuracies, color=colors)
        right_ax.bar_label(bars, labels=[f"{a:.1f}%" for a in accuracies], padding=3, fontsize=8)
        right_ax.set_yticks(range(len(runs)), names, fontsize=8)
        right_ax.invert_yaxis()  # first run on top, like the legend
        right_ax.set(xlim=(0, 112), xlabel="test accuracy after the run (%)", title="Accuracy: higher is better")
        right_ax.axvline(10, color="gray", linestyle="--", linewidth=1, label="blind guessing: 10%")
        right_ax.legend(fontsize=8, loc="lower right")
    else:
        for run, name, color in zip(runs, names, colors):
            right_ax.plot(range(1, len(run.weight_norms) + 1), run.weight_norms, color=color, label=name)
        right_ax.set(xlabel="step (one batch each)", ylabel="weight norm", title="Size of all the weights")
        right_ax.legend(fontsize=8)
    for ax in (loss_ax, right_ax):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig
