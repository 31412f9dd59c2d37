"""Notebook 05, evaluating: the checks of exercises 05.1, 05.2, 05.3; their text is in notebooks/05_evaluating.ipynb."""

import torch

from helpers.exercises.core import NotYet, exercises_in, needs, number, share

exercise = exercises_in("05_evaluating")


def _confusion(given, how) -> torch.Tensor:
    """The learner's confusion matrix, passed as `confusion=`, as a [10, 10] int64 tensor on the CPU."""
    confusion = torch.as_tensor(needs(given, "confusion", how))
    if confusion.shape != (10, 10):
        raise NotYet(f"`confusion` should be the 10x10 confusion matrix; this one has shape {list(confusion.shape)}.")
    return confusion.long().cpu()


@exercise(
    "05.1",
    minutes=4,  # read the task, index one column and one row of the matrix, run the check
    title="Precision and recall of 3",
    hint="Both share the diagonal entry `confusion[3, 3]`. Precision divides it by column 3's sum, recall by row 3's sum.",
)
def _precision_recall(answer, given):
    confusion = _confusion(given, 'check("05.1", (precision_3, recall_3), confusion=report.confusion)')
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise NotYet('give two numbers, as in `check("05.1", (precision_3, recall_3), ...)`.')
    p, r = number(answer[0], "precision_3"), number(answer[1], "recall_3")
    tp, called, actual = confusion[3, 3].item(), confusion[:, 3].sum().item(), confusion[3].sum().item()
    true_p, true_r = tp / max(called, 1), tp / max(actual, 1)
    p_ok, r_ok = share(p, true_p, "precision_3"), share(r, true_r, "recall_3")
    if p_ok and r_ok:
        return f"precision {tp} / {called} = {true_p:.4f}, recall {tp} / {actual} = {true_r:.4f}."
    rule = "precision divides by column 3's sum (all called 3), recall by row 3's (all real 3s)"
    if abs(p - true_r) < 1e-4 and abs(r - true_p) < 1e-4:
        raise NotYet(f"precision and recall are swapped: {rule}.")
    if p_ok or r_ok:
        raise NotYet(f"the {'precision' if p_ok else 'recall'} is right, the other not: {rule}.")
    raise NotYet("start from the diagonal entry `confusion[3, 3]`, the 3s called 3.")


@exercise(
    "05.2",
    minutes=5,  # find class_recall and the row sums, weight, average, then think about which number it is
    title="Weighted recall",
    hint="`report.class_recall` holds the ten recalls; multiply each by its digit's image count, sum, and divide by all 10,000 images.",
)
def _weighted_recall(answer, given):
    confusion = _confusion(given, 'check("05.2", weighted_recall, confusion=report.confusion)')
    value = number(answer)
    support = confusion.sum(dim=1).double()
    recall = confusion.diag().double() / support
    truth = ((recall * support).sum() / support.sum()).item()
    macro = recall.mean().item()
    if abs(value - macro) < 1e-7 and abs(macro - truth) > 1e-7:
        raise NotYet("that is the plain mean (macro recall); weight each digit by its number of test images.")
    if share(value, truth):
        return f"{truth:.4f}, the report's accuracy."
    raise NotYet("multiply each digit's recall by its image count (the row sums), add up, divide by the total.")


@exercise(
    "05.3",
    minutes=5,  # walk `thresholds` and `precisions` together to the first precise-enough one
    title="Choose a threshold",
    hint="Go through `thresholds` and `precisions` together (`zip`) and stop at the first precision of at least 0.99.",
)
def _threshold(answer, given):
    how = 'check("05.3", strict_threshold, score=score, sick=sick)'
    score, sick = torch.as_tensor(needs(given, "score", how)), torch.as_tensor(needs(given, "sick", how)).bool()
    t = number(answer)
    if not 0 < t < 1:
        raise NotYet("a threshold on a probability lies between 0 and 1; give one of the values in `thresholds`.")

    def precision_recall(threshold):
        """Precision and recall of flagging as 9 every image whose score reaches `threshold`."""
        flagged = score >= threshold
        caught = (flagged & sick).sum().item()
        return caught / max(1, flagged.sum().item()), caught / max(1, sick.sum().item())

    grid = torch.linspace(0.01, 0.99, 99)
    good = [g.item() for g in grid if precision_recall(g.item())[0] >= 0.99]
    if not good:
        raise NotYet("no threshold reaches precision 0.99 with this model: train it longer (notebook 04).")
    lowest = good[0]
    p, r = precision_recall(t)
    if p < 0.99:
        raise NotYet(f"at {t:g} precision is {p:.4f}, below 0.99: raise the threshold.")
    if t <= lowest + 1e-6:
        return f"at {lowest:.2f} precision is {p:.4f} and recall {r:.4f}."
    raise NotYet(f"{t:g} reaches the precision, but a lower threshold does too and finds more 9s: find the lowest.")
