"""The claims of notebooks 04 (training), 05 (evaluating) and 07 (next steps), checked on executed copies."""

import re

import pytest
from nbrun import CHECKPOINTS, cells_with, errors_in, executed, markdown_of, text_of
from sklearn import metrics as sk

from helpers.config import DL4J_ACCURACY

REFERENCE_CHECKPOINT = CHECKPOINTS / "04_reference.pt"  # the one the executed 04 wrote


def images_of(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def percent(text, pattern) -> float:
    """The percentage that follows `pattern` in `text`, as a share (97.24% -> 0.9724)."""
    match = re.search(pattern + r"\s*(\d+\.\d+)%", text)
    assert match, f"{pattern!r} not found"
    return float(match.group(1)) / 100


# ---------------------------------------------------------------- 04 · Training


@pytest.fixture(scope="module")
def nb04():
    return executed("04_training")


def test_04_reference_run_matches_dl4j(nb04):
    text = text_of(nb04)
    assert not errors_in(nb04)
    accuracy = percent(text, r"this run:")
    assert abs(accuracy - DL4J_ACCURACY) <= 0.003, accuracy
    assert re.search(rf"^ Accuracy:\s+{accuracy:.4f}$", text, re.M), "DL4J's report shows the same accuracy"
    assert "checks passed" in text


def test_04_standardising_passes_98_percent(nb04):
    text = text_of(nb04)
    assert percent(text, r"standardised pixels:") >= 0.98
    assert "config.replace(normalize=True)" in "".join(cells_with(nb04, "normalize=True")[0]["source"])


def test_04_draws_live_curves_for_both_runs_and_a_comparison(nb04):
    live = cells_with(nb04, "LiveCurves(")
    assert len(live) == 2 and all(images_of(c) == 1 for c in live), "one live figure per run, updated in place"
    assert images_of(cells_with(nb04, "plot_history(")[0]) == 1


def test_04_teaches_epochs_batches_steps_and_determinism(nb04):
    words = markdown_of(nb04)
    for term in ("**epoch**", "**batch**", "**step**", "bitwise deterministic", "same number of threads"):
        assert term in words
    text = text_of(nb04)
    assert "469 steps per epoch" in text and "7,035 steps in all" in text
    assert "same seed twice:  all 795,010 numbers bitwise equal? True" in text
    assert "another seed:     all 795,010 numbers bitwise equal? False" in text


def test_04_saves_the_reference_model_for_05(nb04):
    from helpers.checkpoint import load_checkpoint
    from helpers.config import Config

    assert "saved to ../checkpoints/04_reference.pt" in text_of(nb04)
    checkpoint = load_checkpoint(REFERENCE_CHECKPOINT)
    assert checkpoint["config"] == Config()
    assert abs(checkpoint["metrics"]["accuracy"] - percent(text_of(nb04), r"this run:")) < 5e-5
    assert len(checkpoint["history"]["test_accuracy"]) == 15


# ---------------------------------------------------------------- 05 · Evaluating


@pytest.fixture(scope="module")
def nb05(nb04):  # 04 runs first: it writes the model 05 evaluates
    return executed("05_evaluating")


@pytest.fixture(scope="module")
def reference_predictions(nb04, mnist):
    from helpers.checkpoint import load_checkpoint
    from helpers.loop import predict

    _, test = mnist
    model = load_checkpoint(REFERENCE_CHECKPOINT)["model"]
    return test.labels, predict(model, test.images)


def test_05_evaluates_the_model_of_04(nb05):
    assert not errors_in(nb05)
    text = text_of(nb05)
    assert "Loaded the model from ../checkpoints/04_reference.pt (written by notebook 04)." in text
    assert "checks passed" in text


def test_05_report_numbers_equal_sklearn(nb05, reference_predictions):
    y_true, y_pred = reference_predictions
    text = text_of(nb05)
    expected = {
        "Accuracy:": sk.accuracy_score(y_true, y_pred),
        "Precision:": sk.precision_score(y_true, y_pred, average="macro"),
        "Recall:": sk.recall_score(y_true, y_pred, average="macro"),
        "F1 Score:": sk.f1_score(y_true, y_pred, average="macro"),
    }
    for label, value in expected.items():
        assert re.search(rf"^ {label}\s+{value:.4f}$", text, re.M), f"{label} {value:.4f} not in the report"
    assert "========================Evaluation Metrics========================" in text
    assert "=========================Confusion Matrix=========================" in text
    assert "Precision, recall & F1: macro-averaged (equally weighted avg. of 10 classes)" in text
    # the hand computation for one digit agrees with sklearn's per-class values
    nine_precision = sk.precision_score(y_true, y_pred, labels=[9], average=None)[0]
    nine_recall = sk.recall_score(y_true, y_pred, labels=[9], average=None)[0]
    assert re.search(rf"precision = \d+ / \(\d+ \+ \d+\) = {nine_precision:.4f}", text)
    assert re.search(rf"recall    = \d+ / \(\d+ \+ \d+\) = {nine_recall:.4f}", text)


def test_05_per_class_table_equals_sklearn(nb05, reference_predictions):
    y_true, y_pred = reference_predictions
    text = text_of(nb05)
    p, r, f, support = sk.precision_recall_fscore_support(y_true, y_pred, labels=list(range(10)))
    for digit in range(10):
        row = rf"^\s+{digit}\s+{p[digit]:.4f}\s+{r[digit]:.4f}\s+{f[digit]:.4f}\s+{support[digit]}\s+\d+$"
        assert re.search(row, text, re.M), f"row of digit {digit}"


@pytest.mark.parametrize(
    "snippet, what",
    [
        ("plot_confusion(", "confusion-matrix heatmap"),
        ("show_predictions(test.images[first]", "gallery of misclassified digits with probabilities"),
        ("show_predictions(test.images[most_confident]", "most confident mistakes"),
        ("show_weights(", "hidden-layer weights as 28x28 images"),
        ("ax.plot(thresholds", "precision/recall against the threshold"),
    ],
)
def test_05_draws_its_pictures(nb05, snippet, what):
    assert all(images_of(cell) == 1 for cell in cells_with(nb05, snippet)), what


def test_05_explains_the_trade_off_with_a_medical_test(nb05):
    words = markdown_of(nb05)
    for term in ("disease", "sick patients", "false alarm", "threshold", "macro"):
        assert term in words
    # the table of thresholds: a lower threshold catches at least as many 9s
    rows = re.findall(
        r"^\s+(0\.\d\d)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d\.\d{4})\s+(\d\.\d{4})$", text_of(nb05), re.M
    )
    assert [row[0] for row in rows] == ["0.05", "0.50", "0.95"]
    caught = [int(row[2]) for row in rows]
    false_alarms = [int(row[4]) for row in rows]
    assert caught == sorted(caught, reverse=True) and false_alarms == sorted(false_alarms, reverse=True)


# ---------------------------------------------------------------- 07 · Next steps


@pytest.fixture(scope="module")
def nb07():
    return executed("07_next_steps")


def test_07_cnn_beats_the_reference_on_the_same_budget(nb07):
    assert not errors_in(nb07)
    text = text_of(nb07)
    mlp = re.search(r"reference MLP:\s+([\d,]+) parameters, test accuracy by epoch: .*?(\d+\.\d+)%$", text, re.M)
    cnn = re.search(r"small CNN:\s+([\d,]+) parameters, test accuracy by epoch: .*?(\d+\.\d+)%$", text, re.M)
    assert mlp and cnn
    assert int(cnn.group(1).replace(",", "")) < int(mlp.group(1).replace(",", "")) / 10
    assert float(cnn.group(2)) > float(mlp.group(2))
    assert "checks passed" in text


def test_07_shows_augmentation_and_covers_the_next_topics(nb07):
    assert images_of(cells_with(nb07, "show_digits(")[0]) == 1
    words = markdown_of(nb07)
    for topic in (
        "Deeper networks",
        "convolutional",
        "augmentation",
        "optimizer",
        "GPU",
        "many machines",
        "DistributedDataParallel",
    ):
        assert topic in words


def test_executed_notebooks_print_no_local_paths(nb04, nb05, nb07):
    for nb in (nb04, nb05, nb07):
        assert not re.search(r"(/root/|/home/|/tmp/|/work/)", text_of(nb))


def test_04_live_curves_redraw_a_few_times_per_epoch_and_keep_every_point():
    """The live figure of notebook 04: bounded redraws (each is a message to the notebook), a complete last picture."""
    import matplotlib
    import torch

    from helpers.data import Digits
    from helpers.loop import fit
    from helpers.model import mlp, sgd
    from helpers.plots import LiveCurves

    matplotlib.use("agg")
    pushed = []

    class Handle:  # stands in for IPython's display handle
        def update(self, fig):
            pushed.append([len(line.get_xdata()) for line in fig.axes[0].get_lines() + fig.axes[1].get_lines()])

    g = torch.Generator().manual_seed(0)
    data = Digits(torch.rand(6000, 784, generator=g), torch.randint(0, 10, (6000,), generator=g))
    model = mlp(784, 20, 10)
    live = LiveCurves(47, every=5, epochs=3, min_seconds=0, redraws_per_epoch=4)
    live.handle = Handle()
    history = fit(
        model,
        sgd(model, lr=0.01, momentum=0.9, l2=0.0, batch_size=128),
        data,
        data,
        epochs=3,
        batch_size=128,
        generator=g,
        callbacks=[live],
        progress=False,
    )
    assert history.epochs_done == 3
    assert 3 <= len(pushed) <= 3 * (4 + 1), len(pushed)  # at most 4 redraws during each epoch, plus its end
    # the last picture: 28 loss points (141 steps / 5), 3 epoch means, 3 accuracy points and the DL4J line
    assert pushed[-1] == [28, 3, 3, 2]
    assert live.progress(history).startswith("epoch 3/3 done, step 141 of 141 (100%), ")
