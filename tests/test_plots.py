"""helpers.plots: the playground's figure and the training curves draw what they claim."""

from matplotlib.figure import Figure

from helpers.loop import History
from helpers.plots import draw_runs, plot_history


def test_the_playgrounds_figure_without_runs_says_what_to_do_and_redraws_in_place():
    fig = Figure()
    for _ in range(2):  # the playground redraws one plain Figure (no pyplot) from its training thread
        assert draw_runs(fig, []) is fig
    loss_ax, acc_ax = fig.axes
    assert "Press Train" in loss_ax.texts[0].get_text()
    assert [t.get_text() for t in acc_ax.get_legend().get_texts()] == ["DL4J 97.1%", "chance 10%"]


def test_plot_history_shows_validation_accuracy_when_measured_else_training_accuracy():
    trained = History(train_loss=[0.5, 0.3], train_accuracy=[0.9, 0.95])
    loss_ax, acc_ax = plot_history(trained, label="a")
    assert acc_ax.get_ylabel() == "training accuracy (%)" and list(acc_ax.get_lines()[0].get_ydata()) == [90, 95]
    validated = History(train_loss=[0.5], train_accuracy=[0.9], val_accuracy=[0.88])
    _, acc_ax = plot_history(validated)
    assert acc_ax.get_ylabel() == "validation accuracy (%)" and len(loss_ax.get_lines()) == 1
