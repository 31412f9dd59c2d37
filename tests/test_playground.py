"""The hyperparameter playground, driven as an instructor's script would: set sliders, click buttons, read the runs.

Its sliders, its guard and its watcher too (helpers.playground, helpers.guard, helpers.widgets).
"""

import re
import threading
import time

import pytest
import torch

from helpers.config import Config, ConfigError
from helpers.data import batch_loader
from helpers.guard import DivergenceGuard, Watcher
from helpers.loop import accuracy, fit
from helpers.model import build, make_optimizer
from helpers.playground import Playground, RunTable
from helpers.runs import SLIDERS, Run, train_run
from helpers.widgets import BATCH_CHOICES, L2_CHOICES, LR_CHOICES, SHARE_CHOICES

QUICK = dict(epochs=1, train_fraction=0.1)  # 5,500 of the 55,000 images, 43 steps: a second or two
pytestmark = pytest.mark.usefixtures("one_thread")


def test_a_click_with_given_settings_joins_the_history(pg, validation):
    settings = dict(lr=0.06, momentum=0.5, l2=1e-3, batch_size=128, epochs=2, train_fraction=0.1)
    for name, value in settings.items():
        pg.sliders[name].value = value
    pg.train_button.click()  # what a person's click does
    run = pg.wait()
    assert pg.runs == [run] and run.number == 1 and run.settings == settings and run.config == Config(**settings)
    assert run.status == "done" and run.message.startswith("Finished: "), run.message
    assert run.images == 5_500 and run.steps == 2 * 43 and run.history.epochs_done == 2
    assert 0.85 < run.accuracy == accuracy(run.model, batch_loader(validation[1], 1000, shuffle=False))
    assert run.seconds > 0 and 0 < run.first_point_seconds < run.seconds
    assert len(run.loss_points) >= 2 * 10  # at least 10 loss points per epoch
    assert [x for x, _ in run.accuracy_points][-1] == 2.0 and len(run.accuracy_points) >= 2
    assert all(x1 <= x2 for (x1, _), (x2, _) in zip(run.accuracy_points, run.accuracy_points[1:]))
    html = pg.table_html.value
    assert "#1" in html and "0.06" in html and "done" in html and f"{run.accuracy:.2%}" in html
    assert bytes(pg.plot.value[:4]) == b"\x89PNG" and not pg.train_button.disabled and pg.stop_button.disabled


def test_the_same_settings_give_the_same_run_and_reset_restores_dl4j(pg):
    first, second = pg.run(lr=0.02, **QUICK), pg.run(lr=0.02, **QUICK)
    assert second.losses == first.losses and second.accuracy == first.accuracy  # same seed: same weights, batches
    pg.reset_button.click()
    assert pg.settings() == {name: getattr(Config(), name) for name in SLIDERS}
    assert pg.settings() == dict(lr=0.006, momentum=0.9, l2=1e-4, batch_size=128, epochs=15, train_fraction=1.0)
    assert len(pg.runs) == 2  # reset moves the sliders; the runs stay


def test_stop_ends_the_run_within_a_step_or_two_and_keeps_what_it_learned(pg, validation):
    pg.stop_button.click()  # a Stop with nothing running does nothing to the next run
    run = pg.run(lr=0.006, epochs=50, train_fraction=1.0, block=False)  # would take minutes
    deadline = time.perf_counter() + 120
    while run.steps < 20 and time.perf_counter() < deadline:
        time.sleep(0.01)
    pg.train_button.click()  # a second click while it trains starts nothing
    assert pg.running and run.status == "running" and len(pg.runs) == 1 and "still training" in pg.status.value
    steps_at_click = run.steps
    pg.stop_button.click()
    assert pg.wait() is run and run.status == "stopped" and run.steps - steps_at_click <= 2
    assert "keeps what it learned" in run.message and run.history.stopped.startswith("stopped by you")
    assert run.accuracy == accuracy(run.model, batch_loader(validation[1], 1000, shuffle=False)) > 0.5
    assert run.accuracy_points[-1][0] == pytest.approx(run.epochs_done) and not pg.running


def test_settings_a_run_cannot_use_are_refused_in_words(validation):
    pg = Playground(*validation, config=Config(batch_size=1000))
    with pytest.raises(ConfigError, match=r"batch_size = 1000 is more than the 600 training images"):
        pg.run(train_fraction=0.01)  # scripted: refused before any slider moves
    pg.sliders["train_fraction"].value = 0.01  # by hand: the click says why it cannot train
    pg.train_button.click()
    assert pg.runs == [] and "Cannot train with these settings" in pg.status.value and not pg.train_button.disabled
    with pytest.raises(ConfigError, match=r"lr = 20.*0 < lr <= 10"):
        pg.run(lr=20.0)
    with pytest.raises(ValueError, match="no slider hidden; its sliders: lr, momentum"):
        pg.run(hidden=64)
    assert pg.runs == [] and pg.settings()["lr"] == 0.006  # a refused call moves no slider


def test_values_between_or_past_the_stops_are_placed_on_the_slider(pg):
    run = pg.run(lr=0.05, l2=5e-4, momentum=0.995, epochs=1, train_fraction=0.02)
    assert (run.config.lr, run.config.l2, run.config.momentum) == (0.05, 5e-4, 0.995)  # exactly what was asked
    assert ("0.05", 0.05) in pg.sliders["lr"].options and pg.sliders["momentum"].max == 0.995


def test_every_slider_position_is_a_setting_config_accepts(pg):
    for name, slider in pg.sliders.items():
        values = [v for _, v in slider.options] if hasattr(slider, "options") else [slider.min, slider.max]
        for value in values:
            Config().replace(**{name: value})  # raises, naming the field, if a slider reaches outside Config
    assert (min(LR_CHOICES), max(LR_CHOICES)) == (1e-4, 10.0) and {0.006, 0.1, 1.0} <= set(LR_CHOICES)
    assert pg.sliders["l2"].options[0] == ("0 (off)", 0.0) and 1e-4 in L2_CHOICES and 128 in BATCH_CHOICES
    assert pg.sliders["train_fraction"].options[0] == ("1%", 0.01) and max(SHARE_CHOICES) == 1.0


def test_several_runs_side_by_side_with_the_guard(pg):
    for settings in (dict(lr=0.006), dict(lr=0.1), dict(lr=5.0), dict(lr=0.1, momentum=0.0, l2=0.0, batch_size=512)):
        pg.run(**settings, **QUICK)
    assert [r.config.momentum for r in pg.runs] == [0.9, 0.9, 0.9, 0.0]  # unnamed sliders keep their value
    assert [r.status for r in pg.runs] == ["done", "done", "diverged", "done"]
    assert pg.runs[1].accuracy > pg.runs[0].accuracy  # the larger step learns faster in one epoch
    diverged = pg.runs[2]
    assert diverged.steps <= 5 and "too high" in diverged.message and "0.5" in diverged.message  # what to try
    assert pg.runs[3].steps == 11  # 5,500 images in batches of 512
    assert pg.table_html.value.count("<tr") == 1 + 4 and str(pg.table()).count("\n") == 4
    fig = pg.figure()
    loss_ax, acc_ax = fig.axes
    assert len(acc_ax.get_legend().get_texts()) == 4 + 2  # a line per run, DL4J's and chance
    assert "#3 diverged" in [t.get_text() for t in loss_ax.texts] and acc_ax.get_ylabel().startswith("validation")
    fig.canvas.draw()
    labels = [t.get_text() for t in loss_ax.get_yticklabels() if t.get_text()]
    assert labels and all(re.fullmatch(r"[\d.]+", label) for label in labels), labels  # 0.5, 1, 2: no 2x10^0
    assert pg.runs[0].model is not pg.runs[1].model


def test_the_guard_catches_runs_stuck_at_chance_and_names_the_cause(pg):
    heavy_l2 = pg.run(lr=0.1, momentum=0.9, l2=1.0, batch_size=2, epochs=1, train_fraction=0.1)  # half of w a step
    assert heavy_l2.status == "diverged" and "Stuck at chance" in heavy_l2.message and "L2" in heavy_l2.message
    tiny_lr = pg.run(lr=1e-4, momentum=0.0, l2=0.0, batch_size=128, epochs=3, train_fraction=0.1)
    assert tiny_lr.status == "diverged" and "too small" in tiny_lr.message and "larger" in tiny_lr.message


def test_one_slider_and_no_guard_make_a_single_experiment(validation):
    pg = Playground(*validation, config=Config(**QUICK), sliders=["lr"], guard=False)
    assert list(pg.sliders) == ["lr"] and "momentum" not in str(pg.widget.children[0])
    failing = pg.run(lr=5.0)  # no guard: a blown-up run is part of the lesson, run to its end
    assert failing.status == "done" and failing.steps == 43 and failing.accuracy < 0.3 and "too high" in failing.message
    legend = [t.get_text() for t in pg.figure().axes[1].get_legend().get_texts()]
    assert legend[0] == "#1 lr 5"


def test_the_guard_and_the_watcher_work_without_a_playground(validation):
    """A plain fit callback; the watcher needs only the stop flag, the images and the function it is given."""
    fit_set, val_set = validation
    config = Config(lr=5.0, **QUICK)
    model = build(config)
    guard = DivergenceGuard(config)
    loader = batch_loader(fit_set, 128, generator=torch.Generator().manual_seed(1))
    history = fit(
        model, make_optimizer(model, config), loader, epochs=1, l2=config.l2, callbacks=[guard], progress=False
    )
    assert history.stopped == guard.verdict and guard.verdict.startswith("Diverged") and history.steps <= 5
    config, stop, shown = Config(**QUICK), threading.Event(), []
    run = Run(config)

    class StopAtFive:
        def on_step(self, history, loss):
            if history.steps == 5:
                stop.set()  # what the Stop button does

    watcher = Watcher(
        run,
        DivergenceGuard(config),
        stop=stop,
        val_set=val_set,
        show=shown.append,
        refresh=0.01,
        clicked=time.perf_counter(),
    )
    train_run(config, fit_set, val_set, callbacks=[StopAtFive(), watcher], run=run)
    assert run.status == "stopped" and "stopped by you" in run.history.stopped and run.steps == 5
    assert shown and shown[0] is run and run.accuracy_points and run.first_point_seconds > 0


def test_the_playground_is_a_widget_with_a_plain_text_fallback_and_ignores_your_random_numbers(pg):
    bundle = pg._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == pg.widget.model_id
    assert "need a running Jupyter kernel" in bundle["text/plain"] and "No runs yet" in RunTable([])._repr_html_()
    torch.manual_seed(1)
    first = pg.run(**QUICK)
    torch.manual_seed(2)  # the notebook's own random numbers do not reach a run: its seed decides everything
    assert pg.run(**QUICK).losses == first.losses


def test_an_error_in_the_training_thread_reaches_wait(validation):
    pg = Playground(validation[0], None)  # no validation set: the run's first evaluation fails
    with pytest.raises(TypeError):
        pg.run(**QUICK)
    assert pg.runs[-1].status == "error" and "TypeError" in pg.runs[-1].message and not pg.train_button.disabled
