"""helpers.plots: the playground's figure draws what it claims."""

from matplotlib.figure import Figure

from helpers.plots import draw_runs


def test_the_playgrounds_figure_without_runs_says_what_to_do_and_redraws_in_place():
    fig = Figure()
    for _ in range(2):  # the playground redraws one plain Figure (no pyplot) from its training thread
        assert draw_runs(fig, []) is fig
    loss_ax, acc_ax = fig.axes
    assert "Press Train" in loss_ax.texts[0].get_text()
    assert [t.get_text() for t in acc_ax.get_legend().get_texts()] == ["DL4J 97.1%", "chance 10%"]
