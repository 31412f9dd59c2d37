"""helpers.experiments: quick runs are repeatable, measure what they claim, and the slider widget reruns them."""

import ipywidgets as widgets
import pytest
import torch

from helpers.config import Config
from helpers.experiments import SliderExperiment, quick_run, weight_norm
from helpers.model import mlp
from helpers.runs import SLIDERS, Run

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


def test_the_run_button_adds_a_run_with_the_slider_value(mnist):
    train, test = mnist
    slider = widgets.FloatLogSlider(value=0.006, base=10, min=-4, max=0.5)
    start = [quick_run(TINY, train, test)]
    experiment = SliderExperiment("lr", slider, TINY, train, test, runs=start, keep=2)
    for value in (0.01, 0.02, 0.05):
        slider.value = value
        experiment.button.click()  # what a reader's click does: the run trains in the background
        assert experiment.wait() is experiment.mine[-1] and experiment.mine[-1].config.lr == pytest.approx(value)
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


def test_a_quick_run_is_the_playgrounds_run_record(mnist):
    train, test = mnist
    run = quick_run(TINY, train, test)
    assert isinstance(run, Run) and run.status == "done" and run.steps == 10 and run.epochs_done == 1
    assert run.settings == {name: getattr(TINY, name) for name in SLIDERS}
    assert run.accuracy == run.history.test_accuracy[-1]
    assert str(run).startswith("Run: lr 0.006, momentum 0.9, L2 0.0001, batch 128, 1 epoch on 2%")  # no click, no #


def test_the_experiment_is_a_one_slider_playground(mnist):
    """Its runs train in the playground's thread, with no guard; its figure shows under the slider once there is a run."""
    train, test = mnist
    slider = widgets.SelectionSlider(options=[("0", 0.0), ("1e-4", 1e-4), ("1", 1.0)], value=1e-4)
    experiment = SliderExperiment(
        "l2", slider, TINY, train, test, runs=[quick_run(TINY, train, test)], right="weight norm"
    )
    assert list(experiment.playground.sliders) == ["l2"] and experiment.button.description == "Run"
    assert experiment.plot.layout.display == "none" and "press <b>Run</b>" in experiment.status.value
    pulled = experiment.run(1.0)  # scripted: the slider moves, as in the playground
    assert slider.value == 1.0 and pulled.config.l2 == 1.0 and pulled.status == "done"
    assert len(pulled.losses) == len(pulled.weight_norms) == pulled.steps == 10  # every step, as a quick run
    assert pulled.weight_norms[-1] < 0.95 * experiment.runs[0].weight_norms[-1]  # 1/128 of each weight a step
    same = quick_run(TINY.replace(l2=1.0), train, test)  # the one recipe: a click trains what quick_run trains
    assert (
        pulled.losses == same.losses and pulled.weight_norms == same.weight_norms and pulled.accuracy == same.accuracy
    )
    assert experiment.plot.layout.display is None and bytes(experiment.plot.value[:4]) == b"\x89PNG"
    assert "l2 = 1: test accuracy" in experiment.status.value
    lr_five = SliderExperiment("lr", widgets.FloatSlider(value=5.0, min=0.1, max=6.0), TINY, train, test)
    assert lr_five.run(5.0).status == "done"  # no guard: a loss that blows up is part of the lesson
    beyond = lr_five.run(8.0)  # as quick_run would: any value Config accepts, past the slider's end too
    assert beyond.config.lr == 8.0 and lr_five.slider.value == 6.0
    with pytest.raises(ValueError, match="lr = 20"):
        lr_five.run(20.0)  # Config's range (0 < lr <= 10) still holds
    assert lr_five.run(0.3).config.lr == 0.3  # the next run reads the slider again


def test_an_experiment_trains_on_the_data_it_is_given(mnist):
    """Unlike the playground (whose share slider picks the subset), an experiment takes any training and test sets."""
    from helpers.data import subset

    train, test = (subset(d, 0.1, generator=torch.Generator().manual_seed(0)) for d in mnist)
    slider = widgets.SelectionSlider(options=[("0.006", 0.006), ("0.06", 0.06)], value=0.006)
    between = SliderExperiment("lr", slider, TINY, train, test).run(0.0123)  # between the slider's stops
    assert between.config.lr == 0.0123 and between.status == "done" and 0 < between.accuracy <= 1
