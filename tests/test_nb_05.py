"""The claims of notebook 05 (evaluating), checked on its executed copy against scikit-learn.

tests/claims/05_evaluating.py asserts the claims that need the notebook's variables, in its own kernel;
these read what it printed and drew, and recompute the report from the checkpoint 04 saved.
"""

import json
import re

import pytest
import torch
from nbrun import CHECKPOINTS, NOTEBOOKS, cells_with, code_cells, executed, markdown_of, text_of
from sklearn import metrics as sk

REFERENCE_CHECKPOINT = CHECKPOINTS / "04_reference.pt"  # the one the executed 04 wrote


def images_of(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


@pytest.fixture(scope="module")
def nb05():
    return executed("05_evaluating")  # nbrun runs 04 first: it writes the model 05 evaluates


@pytest.fixture(scope="module")
def reference_predictions(nb05, mnist):
    """(labels, answers) of 04's reference model on the test set, computed here without the notebook's code."""
    from helpers.checkpoint import load_checkpoint

    images, labels = mnist[1].tensors
    model = load_checkpoint(REFERENCE_CHECKPOINT)["model"].eval()
    with torch.no_grad():
        return labels, model(images).argmax(dim=1)


def test_05_evaluates_the_model_of_04_and_gets_its_recorded_accuracy(nb05, reference_predictions):
    text = text_of(nb05)
    loaded = re.search(
        r"^Loaded the MLP from \.\./checkpoints/04_reference\.pt \(test accuracy (\d+\.\d\d)%\) \(written by notebook 04\)\.$",
        text,
        re.M,
    )
    assert loaded, "05 loads the checkpoint 04 saved, and says so"
    accuracy = float(re.search(r"^ Accuracy:\s+(\d\.\d{4})$", text, re.M)[1])
    assert accuracy == pytest.approx(float(loaded[1]) / 100, abs=5e-5), "the accuracy 04 recorded is the one 05 finds"
    labels, answers = reference_predictions
    assert f"{int((answers == labels).sum()):,} right out of 10,000: accuracy {accuracy:.4f}" in text


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


def test_05_imports_no_scikit_learn():
    # scikit-learn is a test dependency: the notebook computes everything itself, the tests compare
    nb = json.loads((NOTEBOOKS / "05_evaluating.ipynb").read_text())
    assert not [c for c in code_cells(nb) if re.search(r"^\s*(from|import) sklearn", "".join(c["source"]), re.M)]


@pytest.mark.parametrize(
    "snippet, what",
    [
        ("plot_confusion(", "confusion-matrix heatmap"),
        ("show_predictions(test_images[first]", "gallery of misread digits with probabilities"),
        ("show_predictions(test_images[most_confident]", "most confident mistakes"),
        ("show_weights(", "hidden-layer weights as 28x28 images"),
        ("ax.plot(thresholds", "precision/recall against the threshold"),
        ("perfect calibration", "reliability diagram"),
    ],
)
def test_05_draws_its_pictures(nb05, snippet, what):
    assert all(images_of(cell) == 1 for cell in cells_with(nb05, snippet)), what


def test_05_reliability_table_covers_every_test_answer(nb05):
    rows = re.findall(r"^\s*(\d+)%-(\d+)%\s+(\d+)\s+(\d+\.\d)%\s+(\d+\.\d)%$", text_of(nb05), re.M)
    assert rows and sum(int(row[2]) for row in rows) == 10_000
    for low, high, _, confidence, _ in rows:  # each bin's mean confidence lies in the bin
        assert int(low) <= float(confidence) <= int(high)


def test_05_explains_the_trade_off_with_a_medical_test(nb05):
    words = markdown_of(nb05)
    for term in ("disease", "sick patients", "false alarm", "threshold", "macro"):
        assert term in words
    # the table of thresholds: a lower threshold catches at least as many 9s, with at least as many false alarms
    rows = re.findall(
        r"^\s+(0\.\d\d)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d\.\d{4})\s+(\d\.\d{4})$", text_of(nb05), re.M
    )
    assert [row[0] for row in rows] == ["0.05", "0.50", "0.95"]
    caught = [int(row[2]) for row in rows]
    false_alarms = [int(row[4]) for row in rows]
    assert caught == sorted(caught, reverse=True) and false_alarms == sorted(false_alarms, reverse=True)


def test_05_prints_no_local_paths(nb05):
    assert not re.search(r"(/root/|/home/|/tmp/|/work/)", text_of(nb05))
