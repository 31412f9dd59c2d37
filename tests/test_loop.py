"""helpers.loop: fit learns and records, callbacks stop it, Ctrl-C anywhere keeps a consistent state, same seed same bits."""

import math
import signal

import pytest
import torch
from support import SMALL, assert_same_state, small_run, start

from helpers import runs
from helpers.config import Config
from helpers.data import batches
from helpers.loop import History, StopTraining, accuracy, fit, predict
from helpers.model import loss_fn

pytestmark = pytest.mark.usefixtures("one_thread")


def reference(train, steps, config=SMALL):
    """Model and optimizer after exactly `steps` SGD steps of `config` on all of `train`, written out by hand (no `fit`)."""
    model, optimizer, generator = start(config)
    done = 0
    while done < steps:
        for images, labels in batches(train, config.batch_size, generator=generator):
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            done += 1
            if done == steps:
                break
    return model, optimizer


def small_fit(train, test=None, *, seed, epochs, callbacks=(), **kwargs):
    """`fit` SMALL's network with `seed` on all of `train` (20 steps per epoch on the `small` fixture's 2,000 images)."""
    model, optimizer, generator = start(SMALL.replace(seed=seed))
    history = fit(
        model,
        optimizer,
        train,
        test,
        epochs=epochs,
        batch_size=SMALL.batch_size,
        generator=generator,
        callbacks=callbacks,
        progress=False,
        **kwargs,
    )
    return model, optimizer, history


class StepRecorder:
    """A callback keeping every step's loss."""

    def __init__(self, losses):
        self.losses = losses

    def on_step(self, history, loss):
        self.losses.append(loss)


class InterruptAt:
    """A callback pressing Ctrl-C (raising KeyboardInterrupt) right after step `step`."""

    def __init__(self, step):
        self.step = step

    def on_step(self, history, loss):
        if history.steps == self.step:
            raise KeyboardInterrupt


class Ended:
    """A callback recording the calls of on_end."""

    def __init__(self):
        self.calls = []

    def on_end(self, history):
        self.calls.append((history.steps, history.stopped))


# ---------------------------------------------------------------- fit and its callbacks


def test_fit_learns_and_records_history(mnist):
    _, test = mnist
    steps = []
    trained = runs.train_run(Config(epochs=2, train_fraction=0.1), mnist[0], test, callbacks=[StepRecorder(steps)])
    model, history = trained.model, trained.history
    assert history.epochs_done == 2 and history.steps == 2 * 47 and history.stopped == ""  # 6,000 / 128 -> 47 steps
    assert len(history.train_loss) == len(history.test_accuracy) == len(history.epoch_seconds) == 2
    assert history.train_loss[1] < history.train_loss[0] < math.log(10)  # below chance level, and falling
    assert history.test_accuracy[-1] > 0.85 and history.test_accuracy[-1] == accuracy(model, test)
    assert len(steps) == 94 and all(isinstance(loss, float) for loss in steps)
    assert sum(steps[47:]) / 47 == pytest.approx(history.train_loss[1], rel=1e-4)  # the epoch's mean loss
    predictions = predict(model, test.images)
    assert predictions.shape == (10_000,) and predictions.dtype == torch.int64


def test_stop_training_from_a_callback_keeps_the_state(small):
    class StopAtStep:
        def on_step(self, history, loss):
            if history.steps == 5:
                raise StopTraining("enough")

    class StopAfterEpoch:
        def on_epoch(self, history):
            raise StopTraining("the Stop button")

    train, test = small
    model, optimizer, history = small_fit(train, test, seed=8, epochs=3, callbacks=[StopAtStep()])  # mid-epoch
    assert (history.stopped, history.epochs_done, history.steps) == ("enough", 0, 5)
    assert history.train_loss == history.test_accuracy == []
    assert_same_state(model, optimizer, *reference(train, 5, SMALL.replace(seed=8)))
    model, optimizer, history = small_fit(train, test, seed=8, epochs=5, callbacks=[StopAfterEpoch()])
    assert (history.stopped, history.epochs_done, history.steps) == ("the Stop button", 1, 20)
    assert_same_state(model, optimizer, *reference(train, 20, SMALL.replace(seed=8)))


def test_fit_tells_callbacks_once_where_it_stopped(small):
    train, test = small
    model, optimizer, generator = start(SMALL.replace(seed=5))
    ended = Ended()
    fit(
        model,
        optimizer,
        train,
        test,
        epochs=2,
        batch_size=SMALL.batch_size,
        generator=generator,
        callbacks=[InterruptAt(27), ended],
        progress=False,
    )
    assert ended.calls == [(27, "interrupted after 1 full epoch (27 steps)")]
    ended = Ended()
    fit(
        model,
        optimizer,
        train,
        test,
        epochs=1,
        batch_size=SMALL.batch_size,
        generator=generator,
        callbacks=[ended],
        progress=False,
    )
    assert ended.calls == [(20, "")]  # "": not stopped


def test_live_curves_picture_says_where_training_stopped(small):
    from helpers.plots import LiveCurves

    train, test = small
    live = LiveCurves(20, every=5, epochs=3)
    small_fit(train, test, seed=5, epochs=3, callbacks=[live, InterruptAt(27)])
    text = " ".join(t.get_text() for t in live.bar_ax.texts)
    assert "step 27 of 60" in text and "stopped: interrupted after 1 full epoch (27 steps)" in text, text


# ---------------------------------------------------------------- interrupts (Ctrl-C)


def test_fit_interrupted_mid_epoch_keeps_the_last_finished_step(small):
    train, test = small
    steps = 20 + 7  # 20 steps per epoch: stopped 7 steps into the second epoch
    model, optimizer, history = small_fit(train, test, seed=5, epochs=3, callbacks=[InterruptAt(steps)])
    assert history.stopped == "interrupted after 1 full epoch (27 steps)"
    assert (history.steps, history.epochs_done) == (27, 1)
    assert len(history.train_loss) == len(history.test_accuracy) == len(history.epoch_seconds) == 1
    assert_same_state(model, optimizer, *reference(train, steps, SMALL.replace(seed=5)))
    assert model.training


def test_ctrl_c_during_an_optimizer_step_counts_that_step(small, sigint_raises):
    """A real SIGINT arriving while optimizer.step() runs: the step is applied, so it must be counted."""
    train, _ = small
    model, optimizer, generator = start(SMALL.replace(seed=6))
    real_step = optimizer.step

    def step_then_sigint(*args, **kwargs):
        result = real_step(*args, **kwargs)
        if history.steps == 12:  # the 13th step: its update is done when the signal lands
            signal.raise_signal(signal.SIGINT)
        return result

    optimizer.step = step_then_sigint
    history = History()
    fit(
        model,
        optimizer,
        train,
        epochs=2,
        batch_size=SMALL.batch_size,
        generator=generator,
        progress=False,
        history=history,
    )
    assert history.stopped.startswith("interrupted") and history.steps == 13
    assert_same_state(model, optimizer, *reference(train, 13, SMALL.replace(seed=6)))


def test_ctrl_c_during_test_evaluation_keeps_history_consistent(small, sigint_raises, monkeypatch):
    from helpers import loop

    train, test = small
    real_accuracy = loop.accuracy

    def accuracy_then_sigint(model, data):
        value = real_accuracy(model, data)
        signal.raise_signal(signal.SIGINT)
        return value

    monkeypatch.setattr(loop, "accuracy", accuracy_then_sigint)
    model, _, history = small_fit(train, test, seed=7, epochs=3)
    assert history.stopped.startswith("interrupted")
    assert len(history.train_loss) == len(history.test_accuracy) == len(history.epoch_seconds) == history.epochs_done
    assert history.steps == 20 * history.epochs_done
    assert model.training


# ---------------------------------------------------------------- determinism


def test_same_seed_same_threads_gives_bitwise_identical_runs(mnist, small):
    """The recipe the CLI runs (helpers.runs.train_run): the share of images, the batch order and the start weights."""
    train, test = mnist[0], small[1]
    config = SMALL.replace(hidden=128, epochs=3, train_fraction=1 / 6)  # 10,000 images: 100 steps per epoch
    a = small_run(train, test, config)
    b = small_run(train, test, config)
    assert a.history.steps == 300
    assert_same_state(a.model, a.optimizer, b.model, b.optimizer)
    assert (a.history.train_loss, a.history.test_accuracy) == (b.history.train_loss, b.history.test_accuracy)
    c = small_run(train, test, config, seed=124, epochs=1)  # a check that the test can fail
    for (name, x), y in zip(a.model.named_parameters(), c.model.parameters()):
        assert not torch.equal(x, y), f"{name} is the same with seeds 123 and 124"
    assert c.history.train_loss[0] != a.history.train_loss[0]
