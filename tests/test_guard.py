"""helpers.guard: the divergence guard stops runs that cannot learn and says why; the Watcher records a run."""

import threading
import time

import torch

from helpers.config import Config
from helpers.data import Digits, subset
from helpers.guard import DivergenceGuard, Watcher
from helpers.loop import fit
from helpers.model import mlp, sgd
from helpers.runs import Run, build, train_run

QUICK = dict(epochs=1, train_fraction=0.1)  # 47 steps: a second or two


def test_the_guard_stops_a_run_with_a_learning_rate_far_too_high(pg):
    run = pg.run(lr=5.0, momentum=0.9, **QUICK)
    assert run.status == "diverged"
    assert run.steps <= 5  # stopped at once, not after the epoch
    assert "Diverged" in run.message and "too high" in run.message and "0.5" in run.message  # what to try
    assert "diverged" in pg.status.value and "diverged" in pg.table_html.value
    assert not pg.running


def test_the_guard_catches_a_run_stuck_at_chance_and_names_the_cause(pg):
    heavy_l2 = pg.run(
        lr=0.1, momentum=0.9, l2=1.0, batch_size=2, epochs=1, train_fraction=0.1
    )  # half of each weight per step
    assert heavy_l2.status == "diverged" and "Stuck at chance" in heavy_l2.message and "L2" in heavy_l2.message
    assert heavy_l2.accuracy < 0.15
    tiny_lr = pg.run(lr=1e-4, momentum=0.0, l2=0.0, batch_size=128, epochs=3, train_fraction=0.1)
    assert tiny_lr.status == "diverged" and "too small" in tiny_lr.message and "larger" in tiny_lr.message


def test_the_guard_works_as_a_plain_fit_callback(mnist):
    train, test = mnist
    config = Config(lr=5.0, train_fraction=0.1)
    torch.manual_seed(config.seed)
    model = mlp()
    guard = DivergenceGuard(config)
    history = fit(
        model,
        sgd(model, lr=5.0, momentum=0.9, l2=1e-4, batch_size=128),
        subset(train, 0.1, generator=torch.Generator().manual_seed(1)),
        test,
        epochs=1,
        batch_size=128,
        callbacks=[guard],
        progress=False,
    )
    assert history.stopped == guard.verdict and guard.verdict.startswith("Diverged") and history.steps <= 5


def test_the_watcher_needs_only_what_it_is_given(mnist):
    """No playground: a stop event, test images for its points and a function to show progress are all it uses."""
    train, test = mnist
    config = Config(epochs=1, train_fraction=0.1)
    run, stop, shown = Run(config, build(config)), threading.Event(), []

    class StopAtFive:
        def on_step(self, history, loss):
            if history.steps == 5:
                stop.set()  # what the Stop button does

    sample = Digits(test.images[:500], test.labels[:500])
    watcher = Watcher(
        run,
        DivergenceGuard(config),
        stop=stop,
        sample=sample,
        show=shown.append,
        refresh=0.01,
        clicked=time.perf_counter(),
    )
    history = train_run(config, train, test, model=run.model, callbacks=[StopAtFive(), watcher]).history
    assert "stopped by you" in history.stopped and history.steps == run.steps == len(run.losses) == 5
    assert shown and shown[0] is run and run.accuracy_points and run.first_point_seconds > 0
