"""helpers.metrics against scikit-learn, on random and real predictions, edge cases and DL4J's layout."""

import math
import re

import numpy as np
import pytest
import torch
from sklearn import metrics as sk

from helpers.metrics import confusion_matrix, evaluate

LABELS = list(range(10))


def sklearn_reference(y_true, y_pred):
    """What DL4J's Evaluation reports, phrased in scikit-learn: each average over the classes where it is defined."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    predicted, present = sorted(set(y_pred.tolist())), sorted(set(y_true.tolist()))
    both = sorted(set(predicted) & set(present))
    return {
        "accuracy": sk.accuracy_score(y_true, y_pred),
        # a class never predicted has no precision: DL4J averages over the predicted classes only
        "precision": sk.precision_score(y_true, y_pred, labels=predicted, average="macro"),
        # a class absent from the labels has no recall: averaged over the present classes only
        "recall": sk.recall_score(y_true, y_pred, labels=present, average="macro"),
        # F1 needs both: averaged over the classes both predicted and present
        "f1": sk.f1_score(y_true, y_pred, labels=both, average="macro") if both else math.nan,
        "class_precision": sk.precision_score(y_true, y_pred, labels=LABELS, average=None, zero_division=np.nan),
        "class_recall": sk.recall_score(y_true, y_pred, labels=LABELS, average=None, zero_division=np.nan),
        "confusion": sk.confusion_matrix(y_true, y_pred, labels=LABELS),
    }


def assert_matches_sklearn(y_true, y_pred):
    ours, ref = evaluate(y_true, y_pred), sklearn_reference(y_true, y_pred)
    assert ours.accuracy == pytest.approx(ref["accuracy"], abs=1e-12)
    assert ours.precision == pytest.approx(ref["precision"], abs=1e-12)
    assert ours.recall == pytest.approx(ref["recall"], abs=1e-12)
    if math.isnan(ref["f1"]):
        assert math.isnan(ours.f1)
    else:
        assert ours.f1 == pytest.approx(ref["f1"], abs=1e-12)
    np.testing.assert_allclose(ours.class_precision.numpy(), ref["class_precision"], atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(ours.class_recall.numpy(), ref["class_recall"], atol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(ours.confusion.numpy(), ref["confusion"])
    # per-class F1 where both precision and recall are defined equals sklearn's; elsewhere it is undefined
    defined = ~(np.isnan(ref["class_precision"]) | np.isnan(ref["class_recall"]))
    sk_f1 = sk.f1_score(y_true, y_pred, labels=LABELS, average=None, zero_division=0.0)
    np.testing.assert_allclose(ours.class_f1.numpy()[defined], sk_f1[defined], atol=1e-12)
    assert ours.class_f1.isnan().numpy().tolist() == (~defined).tolist()
    # the report prints each number to 4 decimals, as sklearn's values round
    text = ours.stats()
    for line, key in [
        ("Accuracy:", "accuracy"),
        ("Precision:", "precision"),
        ("Recall:", "recall"),
        ("F1 Score:", "f1"),
    ]:
        expected = "NaN" if math.isnan(ref[key]) else f"{ref[key]:.4f}"
        assert re.search(rf"^ {line}\s+{expected}\b", text, re.M), (line, expected, text)
    return ours


@pytest.mark.parametrize("seed", range(20))
def test_random_predictions_match_sklearn(seed):
    g = torch.Generator().manual_seed(seed)
    n = int(torch.randint(1, 500, (1,), generator=g))
    y_true = torch.randint(0, 10, (n,), generator=g)
    # a mix of right answers and random ones, so that the metrics are neither 0 nor 1
    right = torch.rand(n, generator=g) < 0.7
    y_pred = torch.where(right, y_true, torch.randint(0, 10, (n,), generator=g))
    assert_matches_sklearn(y_true, y_pred)


def test_a_class_never_predicted_is_left_out_of_precision_and_f1():
    g = torch.Generator().manual_seed(0)
    y_true = torch.randint(0, 10, (300,), generator=g)
    y_pred = y_true.clone()
    y_pred[y_pred == 3] = 5  # every 3 is called a 5: class 3 is never predicted
    y_pred[:40] = torch.randint(0, 10, (40,), generator=g)
    y_pred[y_pred == 3] = 8
    report = assert_matches_sklearn(y_true, y_pred)
    assert report.never_predicted == [3] and report.never_present == []
    assert math.isnan(report.class_precision[3]) and report.class_recall[3] == 0 and math.isnan(report.class_f1[3])
    # the average is over the 9 predicted classes, not 10 with a 0 for class 3
    assert report.precision == pytest.approx(np.nanmean(report.class_precision.numpy()))
    assert report.precision > report.class_precision.nan_to_num(0.0).mean().item()
    text = report.stats()
    assert "Warning: 1 class was never predicted by the model and was excluded from average precision" in text
    assert "Classes excluded from average precision: [3]" in text
    assert re.search(r"^ Precision:\s+\d\.\d{4}\t\(1 class excluded from average\)$", text, re.M)
    assert re.search(r"^ F1 Score:\s+\d\.\d{4}\t\(1 class excluded from average\)$", text, re.M)
    assert "average recall" not in text


def test_a_class_absent_from_the_labels_is_left_out_of_recall_and_f1():
    g = torch.Generator().manual_seed(1)
    y_true = torch.randint(0, 10, (300,), generator=g)
    y_true[y_true == 7] = 1  # no 7 in the labels
    y_pred = torch.where(torch.rand(300, generator=g) < 0.6, y_true, torch.randint(0, 10, (300,), generator=g))
    assert (y_pred == 7).any(), "the model does predict 7 (wrongly)"
    report = assert_matches_sklearn(y_true, y_pred)
    assert report.never_present == [7] and report.never_predicted == []
    assert report.class_precision[7] == 0 and math.isnan(report.class_recall[7]) and math.isnan(report.class_f1[7])
    text = report.stats()
    assert "Warning: 1 class was never present in the labels and was excluded from average recall" in text
    assert "Classes excluded from average recall: [7]" in text


def test_both_edge_cases_at_once_and_plural_wording():
    y_true = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3, 4, 4] * 3)  # 5-9 absent
    y_pred = torch.tensor([0, 1, 1, 1, 2, 9, 3, 0, 4, 8] * 3)  # 5, 6, 7 never predicted
    report = assert_matches_sklearn(y_true, y_pred)
    assert report.never_predicted == [5, 6, 7] and report.never_present == [5, 6, 7, 8, 9]
    text = report.stats()
    assert "Warning: 3 classes were never predicted by the model and were excluded from average precision" in text
    assert "Classes excluded from average precision: [5, 6, 7]" in text
    assert "Warning: 5 classes were never present in the labels and were excluded from average recall" in text
    assert "Classes excluded from average recall: [5, 6, 7, 8, 9]" in text
    assert re.search(r"^ F1 Score:\s+\d\.\d{4}\t\(5 classes excluded from average\)$", text, re.M)


def test_hand_computed_example():
    # 3 classes. Actual 0: 0,0,1 ; actual 1: 1,1 ; actual 2: 0,2,2,2
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 0, 1, 1, 1, 0, 2, 2, 2]
    r = evaluate(y_true, y_pred, num_classes=3)
    assert r.confusion.tolist() == [[2, 1, 0], [0, 2, 0], [1, 0, 3]]
    assert r.accuracy == pytest.approx(7 / 9)
    assert r.class_precision.tolist() == pytest.approx([2 / 3, 2 / 3, 1.0])
    assert r.class_recall.tolist() == pytest.approx([2 / 3, 1.0, 3 / 4])
    assert r.class_f1.tolist() == pytest.approx([2 / 3, 0.8, 6 / 7])
    assert r.precision == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert r.recall == pytest.approx((2 / 3 + 1 + 3 / 4) / 3)
    assert r.f1 == pytest.approx((2 / 3 + 0.8 + 6 / 7) / 3)


def test_zero_precision_gives_zero_f1_not_undefined():
    # class 1 is predicted (wrongly) and present (missed): precision 0, recall 0, so F1 is 0 and it counts
    r = evaluate([0, 1, 2], [1, 0, 2], num_classes=3)
    assert r.class_f1.tolist() == [0.0, 0.0, 1.0]
    assert r.f1 == pytest.approx(1 / 3)


def test_nothing_defined_gives_nan_like_java():
    r = evaluate([0, 0], [1, 1], num_classes=3)  # 0 never predicted, 1 never present, 2 neither
    assert math.isnan(r.f1) and r.precision == 0.0 and r.recall == 0.0
    assert re.search(r"^ F1 Score:\s+NaN\t\(3 classes excluded from average\)$", r.stats(), re.M)


def test_report_layout_is_dl4j_line_for_line():
    y_true = torch.tensor([0] * 50 + [1] * 30 + [2] * 20)
    y_pred = torch.tensor([0] * 45 + [1] * 5 + [1] * 30 + [2] * 18 + [0] * 2)
    text = evaluate(y_true, y_pred, num_classes=3).stats()
    expected = "\n".join(
        [
            "",
            "",
            "========================Evaluation Metrics========================",
            " # of classes:    3",
            " Accuracy:        0.9300",
            " Precision:       0.9382",  # (45/47 + 30/35 + 18/18) / 3
            " Recall:          0.9333",  # (45/50 + 30/30 + 18/20) / 3
            " F1 Score:        0.9328",
            "Precision, recall & F1: macro-averaged (equally weighted avg. of 3 classes)",
            "",
            "",
            "=========================Confusion Matrix=========================",
            "  0  1  2",
            "----------",
            " 45  5  0 | 0 = 0",
            "  0 30  0 | 1 = 1",
            "  2  0 18 | 2 = 2",
            "",
            "Confusion matrix format: Actual (rowClass) predicted as (columnClass) N times",
            "==================================================================",
        ]
    )
    assert text == expected


@pytest.mark.parametrize(
    "biggest, width", [(9, 2), (10, 2), (11, 3), (100, 3), (999, 4), (1000, 4), (1001, 5), (1135, 5)]
)
def test_matrix_column_width_follows_dl4j(biggest, width):
    # DL4J: ceil(log10(largest count, at least the number of classes)) digits, plus one space
    y = torch.tensor([0] * (biggest - 1) + list(range(10)))  # class 0 occurs `biggest` times
    lines = evaluate(y, y).stats().splitlines()
    header = lines[lines.index("=========================Confusion Matrix=========================") + 1]
    assert header == "".join(f"{i:>{width}}" for i in range(10))
    assert lines[lines.index(header) + 1] == "-" * (10 * width + 1)


def test_real_predictions_match_sklearn(mnist):
    from helpers.cli import test_report
    from helpers.config import Config
    from helpers.runs import train_run

    train, test = mnist
    model = train_run(Config(hidden=100, lr=0.05, train_fraction=0.1, epochs=1), train).model
    images, labels = test.tensors
    with torch.no_grad():
        y_pred = model(images).argmax(dim=1)
    report = test_report(model, test)  # what the command line prints
    assert torch.equal(assert_matches_sklearn(labels, y_pred).confusion, report.confusion)
    assert 0.5 < report.accuracy < 0.99
    nines = labels == 9  # only the 9s: some classes go missing, the averages must still agree
    assert_matches_sklearn(labels[nines], y_pred[nines])


def test_scores_are_turned_into_predictions_by_argmax():
    g = torch.Generator().manual_seed(3)
    scores = torch.randn(100, 10, generator=g)
    y_true = torch.randint(0, 10, (100,), generator=g)
    assert torch.equal(evaluate(y_true, scores).confusion, evaluate(y_true, scores.argmax(1)).confusion)
    assert torch.equal(
        evaluate(y_true.numpy(), scores.argmax(1).tolist()).confusion, confusion_matrix(y_true, scores.argmax(1))
    )


@pytest.mark.parametrize(
    "y_true, y_pred, message",
    [
        ([1, 2, 3], [1, 2], "y_true has 3 labels but y_pred has 2"),
        ([1, 2, 10], [1, 2, 3], r"y_true holds class 10; allowed 0 to 9"),
        ([1, 2, 3], [-1, 2, 3], r"y_pred holds class -1; allowed 0 to 9"),
        ([1.0, 2.0], [1, 2], "y_true has dtype torch.float32"),
        ([], [], "y_true is empty"),
        ([[1, 2]], [1], r"y_true has shape \[1, 2\]"),
        ([1, 2], torch.zeros(2, 5), "y_pred has 5 scores per image but num_classes is 10"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        evaluate(y_true, y_pred)
