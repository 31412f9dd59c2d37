"""helpers.plots: the figures of runs (the playground's curves, a slider experiment's runs) draw what they claim."""

import pytest
from matplotlib.figure import Figure

from helpers.config import Config
from helpers.experiments import quick_run
from helpers.plots import draw_runs, plot_runs

TINY = Config(train_fraction=0.02, epochs=1, hidden=32)  # 1,200 images, 10 steps: well under a second


def test_plot_runs_draws_both_kinds(mnist):
    train, test = mnist
    runs = [quick_run(TINY.replace(lr=lr), train, test) for lr in (0.006, 5.0)]
    fig = plot_runs(runs, label="lr", right="accuracy")
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.get_lines()) == 2 and len(acc_ax.patches) == 2
    assert loss_ax.get_yscale() == "log"  # lr 5 blows the loss up: a log scale keeps both visible
    fig = plot_runs(runs[:1], label="lr", right="weight norm")
    assert len(fig.axes[1].get_lines()) == 1 and fig.axes[0].get_yscale() == "linear"
    with pytest.raises(ValueError, match="weight norm"):
        plot_runs(runs, right="loss")


def test_plot_runs_draws_into_a_given_figure_again_and_again(mnist):
    """The slider experiment redraws one plain Figure (no pyplot) from its training thread."""
    train, test = mnist
    runs = [quick_run(TINY, train, test)]
    fig = Figure()
    for _ in range(2):
        assert plot_runs(runs, title="L2", fig=fig) is fig
    assert len(fig.axes) == 2 and fig.get_suptitle() == "L2"


def test_the_playgrounds_figure_without_runs_says_what_to_do():
    fig = draw_runs(Figure(), [])
    loss_ax, acc_ax = fig.axes
    assert "Press Train" in loss_ax.texts[0].get_text()
    assert [t.get_text() for t in acc_ax.get_legend().get_texts()] == ["DL4J 97.1%", "chance 10%"]
