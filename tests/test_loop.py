"""helpers.loop: train_epoch steps as DL4J did, fit runs it and only watches, callbacks and Ctrl-C stop it cleanly."""

import math
import signal

import pytest
import torch
import torch.nn.functional as F

from helpers.config import Config
from helpers.data import batch_loader
from helpers.loop import StopTraining, accuracy, fit, train_epoch
from helpers.model import build, make_optimizer

pytestmark = pytest.mark.usefixtures("one_thread")
TINY = Config(hidden=64, batch_size=100, epochs=1)  # on the `small` fixture's 2,000 images: 20 steps per epoch


def start(config=TINY):
    """Model, optimizer and batch-order generator, as helpers.runs.train_run makes them."""
    model = build(config)
    return model, make_optimizer(model, config), torch.Generator().manual_seed(config.seed)


def by_hand(train_set, steps, config=TINY):
    """Model, optimizer and each step's loss after `steps` steps of `config`, the loop written out without fit."""
    model, optimizer, generator = start(config)
    losses = []
    weights = [model.hidden.weight, model.output.weight]
    while len(losses) < steps:
        for images, labels in batch_loader(train_set, config.batch_size, generator=generator):
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            with torch.no_grad():
                for weight in weights:
                    weight.mul_(1 - config.l2 / len(labels))
            optimizer.step()
            losses.append(loss.item())
            if len(losses) == steps:
                break
    return model, optimizer, losses


def small_fit(train_set, val_set=None, *, config=TINY, epochs, callbacks=()):
    """fit with `config`'s network, optimizer and batch order; returns (model, optimizer, history)."""
    model, optimizer, generator = start(config)
    loader = batch_loader(train_set, config.batch_size, generator=generator)
    val = None if val_set is None else batch_loader(val_set, 500, shuffle=False)
    history = fit(model, optimizer, loader, val, epochs=epochs, l2=config.l2, callbacks=callbacks, progress=False)
    return model, optimizer, history


def same_state(a, b):
    """Whether two (model, optimizer) pairs hold bitwise-equal weights and momentum buffers."""
    (model_a, opt_a), (model_b, opt_b) = a, b
    weights = all(torch.equal(x, y) for x, y in zip(model_a.state_dict().values(), model_b.state_dict().values()))
    buffers_a, buffers_b = opt_a.state_dict()["state"], opt_b.state_dict()["state"]
    return weights and all(
        torch.equal(buffers_a[i]["momentum_buffer"], buffers_b[i]["momentum_buffer"]) for i in buffers_a
    )


class Steps:
    """A callback keeping every step's loss; with `stop_at`, raising `error` right after that step."""

    def __init__(self, stop_at=None, error=None):
        self.losses, self.stop_at, self.error, self.ended = [], stop_at, error, []

    def on_step(self, history, loss):
        self.losses.append(loss)
        if history.steps == self.stop_at:
            raise self.error

    def on_end(self, history):
        self.ended.append((history.steps, history.stopped))


def test_fit_runs_train_epoch_and_only_watches_it(small):
    train, val = small
    steps = Steps()
    model, optimizer, history = small_fit(train, val, epochs=2, callbacks=[steps])
    hand_model, hand_optimizer, hand_losses = by_hand(train, 40)
    assert same_state((model, optimizer), (hand_model, hand_optimizer))
    assert steps.losses == hand_losses  # the loss fit reports for a step is the one train_epoch computed
    assert history.train_loss == pytest.approx([sum(hand_losses[:20]) / 20, sum(hand_losses[20:]) / 20], rel=1e-12)
    assert (history.steps, history.epochs_done, history.stopped) == (40, 2, "")
    assert history.val_accuracy[-1] == accuracy(model, batch_loader(val, 1000, shuffle=False)) > 0.5
    assert len(history.train_accuracy) == len(history.epoch_seconds) == 2 and 0 < history.train_accuracy[0] < 1
    assert steps.ended == [(40, "")]


def test_a_callback_that_evaluates_between_steps_changes_nothing(small):
    """The playground measures validation accuracy mid-epoch: fit must keep reading the training step's loss."""
    train, val = small
    loader = batch_loader(val, 1000, shuffle=False)

    class Evaluates(Steps):
        def on_step(self, history, loss):
            super().on_step(history, loss)
            accuracy(self.model, loader)
            self.model.train()

    watcher = Evaluates()
    watcher.model, optimizer, generator = start()
    fit(
        watcher.model,
        optimizer,
        batch_loader(train, 100, generator=generator),
        epochs=1,
        l2=TINY.l2,
        callbacks=[watcher],
        progress=False,
    )
    assert watcher.losses == by_hand(train, 20)[2]


def test_dl4j_l2_shrinks_every_weight_by_l2_over_the_batch_size_outside_lr_and_momentum(small):
    train, _ = small
    images, labels = next(iter(batch_loader(train, 96, shuffle=False)))  # a batch of 96, as DL4J's last one
    with_l2, without = build(TINY), build(TINY)
    before = {name: p.detach().clone() for name, p in with_l2.named_parameters()}
    for model, l2 in ((with_l2, 0.5), (without, 0.0)):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        train_epoch(model, [(images, labels)], optimizer, l2=l2)
    for (name, a), b in zip(with_l2.named_parameters(), without.parameters()):
        shrink = 0.5 / 96 * before[name] * name.endswith("weight")  # biases are spared
        assert torch.allclose(b - a, shrink, atol=1e-7), name


def test_pytorch_rule_is_weight_decay_on_the_weights_only():
    model = build(TINY.replace(l2_rule="pytorch", l2=0.01))
    groups = make_optimizer(model, TINY.replace(l2_rule="pytorch", l2=0.01)).param_groups
    assert [g["weight_decay"] for g in groups] == [0.01, 0.0]
    assert [len(g["params"]) for g in groups] == [2, 2]
    assert make_optimizer(model, TINY).param_groups[0]["weight_decay"] == 0  # DL4J's rule lives in train_epoch


def test_stop_training_from_a_callback_keeps_every_finished_step(small):
    class AfterEpoch(Steps):
        def on_epoch(self, history):
            raise StopTraining("after an epoch")

    train, val = small
    for callback, steps, epochs in ((Steps(stop_at=5, error=StopTraining("mid-epoch")), 5, 0), (AfterEpoch(), 20, 1)):
        model, optimizer, history = small_fit(train, val, epochs=3, callbacks=[callback])
        assert (history.steps, history.epochs_done, len(history.train_loss), len(history.val_accuracy)) == (
            steps,
            epochs,
            epochs,
            epochs,
        )
        assert same_state((model, optimizer), by_hand(train, steps)[:2])
        assert callback.ended == [(steps, history.stopped)] and history.stopped in ("mid-epoch", "after an epoch")


def test_ctrl_c_mid_epoch_ends_after_that_step(small, sigint_raises):
    """A real SIGINT during a step: the step finishes, is counted, and fit returns with the state it left."""
    train, _ = small
    model, optimizer, generator = start()
    real_step = optimizer.step

    def step_then_ctrl_c(*args, **kwargs):
        result = real_step(*args, **kwargs)
        if len(losses.losses) == 26:  # during the 27th step
            signal.raise_signal(signal.SIGINT)
        return result

    optimizer.step = step_then_ctrl_c
    losses = Steps()
    history = fit(
        model,
        optimizer,
        batch_loader(train, 100, generator=generator),
        epochs=3,
        l2=TINY.l2,
        callbacks=[losses],
        progress=False,
    )
    assert history.stopped == "interrupted after 1 full epoch (27 steps)"
    assert (history.steps, history.epochs_done, len(history.train_loss)) == (27, 1, 1)
    optimizer.step = real_step
    assert same_state((model, optimizer), by_hand(train, 27)[:2])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handed back


def test_a_second_ctrl_c_interrupts_at_once(small, sigint_raises):
    train, _ = small

    class Twice:
        def on_step(self, history, loss):
            if history.steps == 3:
                signal.raise_signal(signal.SIGINT)  # held until the step ends...
                signal.raise_signal(signal.SIGINT)  # ...but a second one lands here and now

    model, optimizer, history = small_fit(train, epochs=2, callbacks=[Twice()])
    assert history.stopped == "interrupted after 0 full epochs (3 steps)"


def test_same_seed_gives_bitwise_the_same_run_and_another_seed_another(small):
    train, val = small
    a, b = (small_fit(train, val, epochs=2) for _ in range(2))
    assert same_state(a[:2], b[:2]) and a[2].train_loss == b[2].train_loss
    c = small_fit(train, val, config=TINY.replace(seed=124), epochs=2)
    assert not torch.equal(a[0].hidden.weight, c[0].hidden.weight) and c[2].train_loss != a[2].train_loss


def test_live_curves_say_where_training_stopped(small):
    from helpers.plots import LiveCurves

    train, _ = small
    live = LiveCurves(20, every=5, epochs=3)
    small_fit(train, epochs=3, callbacks=[live, Steps(stop_at=27, error=KeyboardInterrupt)])
    text = " ".join(t.get_text() for t in live.bar_ax.texts)
    assert "step 27 of 60" in text and "stopped: interrupted after 1 full epoch (27 steps)" in text, text
    assert live.acc_ax.get_ylabel() == "training accuracy (%)"  # no validation set: what it learned from
    assert not math.isnan(sum(live.losses))
