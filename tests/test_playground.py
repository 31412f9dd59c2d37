"""The hyperparameter playground, driven as an instructor's script would: set sliders, click buttons, read the runs."""

import re
import time

import pytest
import torch
from nbrun import errors_in, executed, images_in, text_of

from helpers.config import Config
from helpers.loop import accuracy
from helpers.playground import (
    SLIDERS,
    Playground,
    RunTable,
)

QUICK = dict(epochs=1, train_fraction=0.1)  # 47 steps: a second or two


def test_a_click_with_given_settings_joins_the_history(pg, mnist):
    settings = dict(lr=0.06, momentum=0.5, l2=1e-3, batch_size=128, epochs=2, train_fraction=0.1)
    for name, value in settings.items():
        pg.sliders[name].value = value
    pg.train_button.click()  # what a person's click does
    run = pg.wait()
    assert pg.runs == [run] and run.number == 1
    assert run.settings == settings
    assert run.config == Config(**settings)  # built through Config, so its checks applied
    assert run.status == "done", run.message
    assert 0.85 < run.accuracy < 1.0  # 2 epochs on 6,000 images
    assert run.accuracy == pytest.approx(accuracy(run.model, mnist[1]))  # the kept model is the trained one
    assert run.history.epochs_done == 2 and run.steps == 2 * 47
    assert run.seconds > 0 and 0 < run.first_point_seconds < run.seconds
    assert (
        len(run.loss_points) >= 2 * 10 and len(run.accuracy_points) >= 2
    )  # >= 10 loss points per epoch; accuracy each epoch
    epochs = [x for x, _ in run.accuracy_points]
    assert epochs == sorted(epochs) and epochs[-1] == 2.0
    html = pg.table_html.value
    assert "#1" in html and "0.06" in html and "done" in html and f"{run.accuracy:.2%}" in html
    assert bytes(pg.plot.value[:4]) == b"\x89PNG"  # the curves as a picture
    assert not pg.train_button.disabled and pg.stop_button.disabled  # ready for the next click


def test_the_same_settings_give_the_same_run(pg):
    first = pg.run(lr=0.02, **QUICK)
    second = pg.run(lr=0.02, **QUICK)
    assert second.accuracy == first.accuracy  # same seed: same start weights, same batches


def test_reset_restores_dl4j_defaults(pg):
    pg.run(lr=0.3, momentum=0.0, l2=0.0, epochs=1, train_fraction=0.05)
    assert pg.settings() == dict(lr=0.3, momentum=0.0, l2=0.0, batch_size=128, epochs=1, train_fraction=0.05)
    pg.reset_button.click()
    dl4j = Config()
    assert pg.settings() == {name: getattr(dl4j, name) for name in SLIDERS}
    assert pg.settings() == dict(lr=0.006, momentum=0.9, l2=1e-4, batch_size=128, epochs=15, train_fraction=1.0)
    assert len(pg.runs) == 1  # reset moves sliders; the history stays


def test_stop_ends_the_run_within_a_batch_or_two_and_keeps_what_it_learned(pg, mnist):
    run = pg.run(lr=0.006, epochs=50, train_fraction=1.0, block=False)  # would take minutes
    deadline = time.perf_counter() + 120
    while run.steps < 20 and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert pg.running and run.status == "running"
    steps_at_click = run.steps
    pg.stop_button.click()
    pg.wait()
    assert run.status == "stopped", run.message
    assert run.steps - steps_at_click <= 2
    assert run.history.stopped and "stopped by you" in run.history.stopped
    assert "keeps what it learned" in run.message
    assert run.accuracy == pytest.approx(accuracy(run.model, mnist[1]))  # measured on all test images at the stop
    assert run.accuracy > 0.5  # 20+ steps of learning kept, not thrown away
    assert run.accuracy_points[-1] == (pytest.approx(run.epochs_done), run.accuracy)
    assert not pg.running and not pg.train_button.disabled


def test_stop_when_nothing_runs_does_nothing(pg):
    pg.stop_button.click()
    run = pg.run(**QUICK)
    assert run.status == "done"  # an old Stop does not end the next run


def test_keep_drops_the_oldest_runs_and_numbers_go_on(mnist):
    train, test = mnist
    pg = Playground(train, test, keep=2)
    for lr in (0.01, 0.02, 0.03):
        pg.run(lr=lr, epochs=1, train_fraction=0.02)
    assert [r.number for r in pg.runs] == [2, 3] and [r.config.lr for r in pg.runs] == [0.02, 0.03]
    assert "#1" not in pg.table_html.value and "#3" in pg.table_html.value


def test_settings_a_run_cannot_use_are_refused_in_words(mnist):
    train, test = mnist
    pg = Playground(train, test, config=Config(batch_size=1000))
    with pytest.raises(ValueError, match=r"batch_size = 1000 is larger than the training set in use \(600 images"):
        pg.run(train_fraction=0.01)  # scripted: refused before any slider moves
    pg.sliders["train_fraction"].value = 0.01  # by hand: the click says why it cannot train
    pg.train_button.click()
    assert pg.runs == [] and "Cannot train with these settings" in pg.status.value and "600 images" in pg.status.value
    assert not pg.train_button.disabled


def test_without_the_guard_a_failing_run_goes_on(mnist):
    train, test = mnist
    pg = Playground(train, test, guard=False)
    run = pg.run(lr=5.0, **QUICK)
    assert run.status == "done" and run.steps == 47 and run.accuracy < 0.2
    assert "chance" in run.message  # still told in words


def test_state_survives_several_runs(pg):
    plan = [dict(lr=0.006), dict(lr=0.1), dict(lr=5.0), dict(lr=0.1, momentum=0.0, l2=0.0)]
    for settings in plan:
        pg.run(**settings, **QUICK)
    assert [r.number for r in pg.runs] == [1, 2, 3, 4]
    assert [r.config.lr for r in pg.runs] == [0.006, 0.1, 5.0, 0.1]
    assert [r.config.momentum for r in pg.runs] == [0.9, 0.9, 0.9, 0.0]  # unnamed sliders keep their value
    assert [r.status for r in pg.runs] == ["done", "done", "diverged", "done"]
    assert pg.runs[1].accuracy > pg.runs[0].accuracy  # the larger step learns faster in one epoch
    assert pg.settings() == dict(lr=0.1, momentum=0.0, l2=0.0, batch_size=128, **QUICK)
    assert pg.table_html.value.count("<tr") == 1 + 4  # header and one row per run
    assert str(pg.table()).count("\n") == 4
    fig = pg.figure()
    loss_ax, acc_ax = fig.axes
    assert len(acc_ax.get_legend().get_texts()) == 4 + 2  # one entry per run, DL4J and chance
    assert "#3 diverged" in [t.get_text() for t in loss_ax.texts]  # the diverged run is named where it ended
    fig.canvas.draw()
    labels = [t.get_text() for t in loss_ax.get_yticklabels() if t.get_text()]
    assert labels and all(re.fullmatch(r"[\d.]+", label) for label in labels), labels  # 0.5, 1, 2: no 2x10^0
    assert all(len(r.model.state_dict()) == 4 for r in pg.runs)  # each run keeps its own network
    assert pg.runs[0].model is not pg.runs[1].model


def test_a_click_while_a_run_trains_starts_nothing(pg):
    said = []
    pg.status.observe(lambda change: said.append(change["new"]), "value")
    run = pg.run(lr=0.006, epochs=50, train_fraction=1.0, block=False)
    pg.train_button.click()
    assert len(pg.runs) == 1 and any("still training" in s for s in said)
    pg.stop_button.click()
    assert pg.wait() is run and run.status == "stopped"


def test_scripted_values_are_checked_with_clear_messages(pg):
    with pytest.raises(ValueError, match=r"lr = 20.*0 < lr <= 10"):
        pg.run(lr=20.0)  # Config's own check
    with pytest.raises(ValueError, match=r"epochs = 200 is beyond its slider \(1 to 50\)"):
        pg.run(lr=0.1, epochs=200)
    assert pg.settings()["lr"] == 0.006  # a refused call moves no slider
    with pytest.raises(TypeError, match="no slider hidden; the sliders are: lr, momentum"):
        pg.run(hidden=64)
    assert pg.runs == []  # nothing started
    run = pg.run(lr=0.05, l2=5e-4, **QUICK)  # a value between the slider's stops gets a stop of its own
    assert run.config.lr == 0.05 and pg.sliders["lr"].value == 0.05 and ("0.05", 0.05) in pg.sliders["lr"].options
    assert run.config.l2 == 5e-4 and pg.sliders["l2"].value == 5e-4


def test_the_playground_refuses_a_bad_setup(mnist):
    train, test = mnist
    with pytest.raises(ValueError, match="beyond its slider"):
        Playground(train, test, config=Config(momentum=0.995))
    with pytest.raises(TypeError, match="must be a helpers.config.Config"):
        Playground(train, test, config={"lr": 0.1})
    with pytest.raises(ValueError, match="full training set"):
        Playground(test, test)


def test_the_playground_is_shown_as_a_widget_with_a_plain_text_fallback(pg):
    bundle = pg._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == pg.widget.model_id
    assert "need a running Jupyter kernel" in bundle["text/plain"]
    assert "No runs yet" in RunTable([])._repr_html_()


def test_a_run_does_not_move_the_notebooks_random_numbers(pg):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    pg.run(**QUICK)
    assert torch.equal(torch.rand(3), expected)


def test_an_error_in_the_training_thread_reaches_wait(mnist):
    train, test = mnist
    pg = Playground(train, test)
    pg.sample = None  # breaks the run's first evaluation
    with pytest.raises(AttributeError):
        pg.run(**QUICK)
    assert pg.runs[-1].status == "error" and "AttributeError" in pg.runs[-1].message
    assert not pg.train_button.disabled  # usable again


# --- the notebook --------------------------------------------------------------------------------


def test_notebook_runs_headless_and_leaves_pictures_and_results():
    nb = executed("06_playground")
    assert not errors_in(nb)
    text = text_of(nb)
    assert "Run #1: lr 0.006, momentum 0.9, L2 0.0001, batch 128, 5 epochs on 25%" in text
    assert "Run #3: lr 5," in text and "diverged" in text and "too high" in text
    assert "All checks passed." in text
    assert images_in(nb) >= 2  # the curves, as plain pictures for readers without a kernel
    assert "need a running Jupyter kernel" in text  # the widget's fallback text
