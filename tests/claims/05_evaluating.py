"""What notebook 05_evaluating claims, asserted in its own kernel after its last cell (tests/nbrun.py)."""

from sklearn import metrics as sk  # the notebook computes everything itself; the tests compare with scikit-learn

from helpers.config import Config

# DL4J's report is scikit-learn's macro report
assert not report.never_predicted and not report.never_present, "every digit is predicted and present"
assert abs(report.accuracy - sk.accuracy_score(test_labels, predicted)) < 1e-12
assert abs(report.precision - sk.precision_score(test_labels, predicted, average="macro")) < 1e-12
assert abs(report.recall - sk.recall_score(test_labels, predicted, average="macro")) < 1e-12
assert abs(report.f1 - sk.f1_score(test_labels, predicted, average="macro")) < 1e-12
assert (tp, fp, fn) == (
    int(report.true_positives[digit]),
    int(report.predicted_counts[digit]) - tp,
    int(report.actual_counts[digit]) - tp,
)
# "fewer than one test digit in ten is a 5, so a network that read every other digit right and never a 5
# would still score over 90%"
assert int((test_labels == 5).sum()) < len(test_labels) / 10
# 05.2's solution: recall weighted by each digit's images is the accuracy
support = report.confusion.sum(dim=1)
assert abs(((report.class_recall * support).sum() / support.sum()).item() - report.accuracy) < 1e-12
# the gallery: among the first 16 mistakes are near misses, the true digit the network's second choice
second_choice = probabilities[wrong[:16]].topk(2, dim=1).indices[:, 1]
assert (second_choice == test_labels[wrong[:16]]).any()
# the learned features: the random start is still the larger part of the weights
assert start.std() > learned.std()

if config == Config():  # claims about the reference model (a quick run trains a weaker one)
    assert recalls[0] >= recalls[-1] and precisions[-1] >= precisions[0], "lower threshold: more recall, less precision"
    # the reliability diagram: in every bin of more than a hundred answers, right more often than confident;
    # over all answers, mean confidence below accuracy (not overconfident)
    for b in bin_of.unique().tolist():
        inside = bin_of == b
        if inside.sum() > 100:
            assert is_right[inside].mean() > confidence[inside].mean(), f"bin {b}"
    assert confidence.mean() < is_right.mean()
    assert (confidence[most_confident] > 0.95).all(), "the surest mistakes: nearly all the probability"
    # 05.3's solution: the lowest threshold precise to 0.99, and what it costs in recall
    strict = next(i for i, p in enumerate(precisions) if p >= 0.99)
    assert f"{thresholds[strict]:.2f}" == "0.69" and round(recalls[strict], 2) == 0.91
    assert round(recall, 2) == 0.95 and round(precision, 2) == 0.98, "digit 9 at the most probable answer"
