"""helpers.experiments: quick runs are repeatable, measure what they claim, and the slider widget reruns them."""

import ipywidgets as widgets
import pytest
import torch

from helpers.config import Config
from helpers.experiments import SliderExperiment, plot_runs, quick_run, weight_norm
from helpers.model import mlp

TINY = Config(train_fraction=0.02, epochs=1, hidden=32)  # 1,200 images, 10 steps: well under a second


def test_the_same_config_gives_the_same_run(mnist):
    train, test = mnist
    a, b = quick_run(TINY, train, test), quick_run(TINY, train, test)
    assert a.losses == b.losses and a.weight_norms == b.weight_norms and a.accuracy == b.accuracy
    c = quick_run(TINY.replace(seed=TINY.seed + 1), train, test)
    assert c.losses != a.losses


def test_a_run_records_every_step_and_learns(mnist):
    train, test = mnist
    run = quick_run(TINY.replace(lr=0.05), train, test)
    assert len(run.losses) == len(run.weight_norms) == run.history.steps == 10  # ceil(1,200 / 128)
    assert run.history.epochs_done == 1 and len(run.history.test_accuracy) == 1
    assert run.losses[-1] < run.losses[0]
    assert 0.3 < run.accuracy <= 1 and run.final_loss == run.history.train_loss[-1]
    assert run.weight_norms[-1] == pytest.approx(weight_norm(run.model))
    assert run.seconds > 0


def test_weight_norm_counts_weights_not_biases():
    torch.manual_seed(0)
    model = mlp(784, 8, 10)
    expected = (model.hidden.weight.pow(2).sum() + model.output.weight.pow(2).sum()).sqrt().item()
    with torch.no_grad():
        model.hidden.bias.fill_(100.0)  # biases are left out, as L2 leaves them out
    assert weight_norm(model) == pytest.approx(expected, rel=1e-6)


def test_l2_shrinks_the_weights(mnist):
    train, test = mnist
    free = quick_run(TINY.replace(l2=0.0), train, test)
    pulled = quick_run(TINY.replace(l2=1.0, batch_size=16), train, test)  # DL4J's rule: 1/16 of each weight per step
    assert pulled.weight_norms[-1] < 0.9 * free.weight_norms[-1]
    coupled = quick_run(TINY.replace(l2=0.5, l2_rule="pytorch"), train, test)  # lr x l2 / (1 - momentum) per step
    assert coupled.weight_norms[-1] < 0.9 * free.weight_norms[-1]


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


def test_the_run_button_adds_a_run_with_the_slider_value(mnist):
    train, test = mnist
    slider = widgets.FloatLogSlider(value=0.006, base=10, min=-4, max=0.5)
    start = [quick_run(TINY, train, test)]
    experiment = SliderExperiment("lr", slider, TINY, train, test, runs=start, keep=2)
    for value in (0.01, 0.02, 0.05):
        slider.value = value
        experiment.button.click()  # what a reader's click does
        assert experiment.mine[-1].config.lr == pytest.approx(value)
        assert "test accuracy" in experiment.status.value and not experiment.button.disabled
    assert len(experiment.mine) == 2  # only the newest `keep` runs are kept
    assert experiment.runs == start  # the starting runs stay
    assert len(experiment.figure().axes[0].get_lines()) == 3


def test_a_value_config_refuses_is_reported_in_the_widget(mnist):
    train, test = mnist
    slider = widgets.FloatSlider(value=0.5, min=0.0, max=2.0)
    experiment = SliderExperiment("momentum", slider, TINY, train, test)
    slider.value = 1.5  # momentum must be below 1
    experiment.button.click()
    assert experiment.status.value.startswith("Not run:") and "momentum" in experiment.status.value
    assert experiment.mine == [] and not experiment.button.disabled


def test_an_unknown_field_is_refused_at_once(mnist):
    train, test = mnist
    with pytest.raises(TypeError, match="no field"):
        SliderExperiment("learning_rate", widgets.FloatSlider(value=0.1), TINY, train, test)
