"""DL4J's Evaluation in a few lines: accuracy, precision, recall, F1 and the confusion matrix.

Everything comes from the confusion matrix (row = the actual digit, column = the predicted one). The averages are
macro averages, as DL4J's for more than two classes, over the classes where each is defined: a class never
predicted has no precision (0/0: nan), one absent from the labels no recall, and F1 needs both; the report names
the classes left out. tests/test_metrics.py checks all of it against scikit-learn.
"""

import math
from dataclasses import dataclass

import torch


def confusion_matrix(y_true, y_pred, num_classes: int = 10) -> torch.Tensor:
    """[num_classes, num_classes] counts: row = actual digit, column = predicted digit."""
    y_true = _as_classes(y_true, "y_true", num_classes)
    y_pred = _as_classes(y_pred, "y_pred", num_classes)
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)} predictions; pass one prediction per label."
        )
    # each (actual, predicted) pair gets its own number actual * C + predicted; count them all at once
    return torch.bincount(y_true * num_classes + y_pred, minlength=num_classes**2).reshape(num_classes, num_classes)


@dataclass
class Evaluation:
    """The results DL4J's `Evaluation` reports, computed from a confusion matrix."""

    confusion: torch.Tensor  # [C, C] int64, rows = actual, columns = predicted

    @property
    def num_classes(self) -> int:
        return len(self.confusion)

    @property
    def true_positives(self) -> torch.Tensor:
        return self.confusion.diag()  # [C]: images of class c predicted as c

    @property
    def predicted_counts(self) -> torch.Tensor:
        return self.confusion.sum(dim=0)  # [C]: how often each class was predicted (TP + FP)

    @property
    def actual_counts(self) -> torch.Tensor:
        return self.confusion.sum(dim=1)  # [C]: how many images of each class there are (TP + FN), the "support"

    @property
    def accuracy(self) -> float:
        """Share of all images classified right."""
        return self.true_positives.sum().item() / self.confusion.sum().item()

    @property
    def class_precision(self) -> torch.Tensor:
        """[C] float64: of the images predicted as c, the share that really are c (nan if c was never predicted)."""
        return self.true_positives.double() / self.predicted_counts.double()  # 0/0 gives nan

    @property
    def class_recall(self) -> torch.Tensor:
        """[C] float64: of the images that are c, the share predicted as c (nan if c is absent from the labels)."""
        return self.true_positives.double() / self.actual_counts.double()

    @property
    def class_f1(self) -> torch.Tensor:
        """[C] float64: harmonic mean of precision and recall; 0 if either is 0, nan if either is undefined."""
        p, r = self.class_precision, self.class_recall
        f1 = torch.where((p == 0) | (r == 0), 0.0, 2 * p * r / (p + r))
        return torch.where(p.isnan() | r.isnan(), math.nan, f1)

    @property
    def precision(self) -> float:
        """Macro average over the classes that were predicted at least once (DL4J leaves the others out)."""
        return _mean_of_defined(self.class_precision)

    @property
    def recall(self) -> float:
        """Macro average over the classes present in the labels."""
        return _mean_of_defined(self.class_recall)

    @property
    def f1(self) -> float:
        """Macro average of the per-class F1 over the classes both predicted and present."""
        return _mean_of_defined(self.class_f1)

    @property
    def never_predicted(self) -> list:
        """Classes the model never predicted: left out of the average precision."""
        return [c for c in range(self.num_classes) if self.predicted_counts[c] == 0]

    @property
    def never_present(self) -> list:
        """Classes absent from the labels: left out of the average recall."""
        return [c for c in range(self.num_classes) if self.actual_counts[c] == 0]

    def stats(self) -> str:
        """The report in DL4J's text layout (Evaluation.stats()), line for line."""
        c = self.num_classes

        def note(values):  # DL4J appends this to a metric's line when classes were left out of its average
            n = int(values.isnan().sum())
            return f"\t({n} class{'es' if n > 1 else ''} excluded from average)" if c > 2 and n else ""

        lines = [
            "",
            "",
            "========================Evaluation Metrics========================",
            f" # of classes:    {c}",
            f" Accuracy:        {_fmt(self.accuracy)}",
            f" Precision:       {_fmt(self.precision)}{note(self.class_precision)}",
            f" Recall:          {_fmt(self.recall)}{note(self.class_recall)}",
            f" F1 Score:        {_fmt(self.f1)}{note(self.class_f1)}",
            f"Precision, recall & F1: macro-averaged (equally weighted avg. of {c} classes)",
            "",
        ]
        for classes, why, metric in [
            (self.never_predicted, "never predicted by the model", "precision"),
            (self.never_present, "never present in the labels", "recall"),
        ]:
            if classes:
                was = "was" if len(classes) == 1 else "were"
                lines += [
                    f"Warning: {len(classes)} class{'es' if len(classes) > 1 else ''} {was} {why} "
                    f"and {was} excluded from average {metric}",
                    f"Classes excluded from average {metric}: {classes}",
                ]
        lines += [
            "",
            "=========================Confusion Matrix=========================",
            *self._matrix_lines(),
            "==================================================================",
        ]
        return "\n".join(lines)

    def _matrix_lines(self) -> list:
        # DL4J's column width: digits of the largest count (at least of the class count) plus one space
        c = self.num_classes
        biggest = max(1, c, int(self.confusion.max()))
        width = max(1, math.ceil(math.log10(biggest))) + 1
        lines = ["".join(f"{i:{width}d}" for i in range(c)), "-" * (width * c + 1)]
        for actual, row in enumerate(self.confusion.tolist()):
            lines.append("".join(f"{n:{width}d}" for n in row) + f" | {actual} = {actual}")
        return lines + ["", "Confusion matrix format: Actual (rowClass) predicted as (columnClass) N times"]

    def class_table(self) -> str:
        """Per-class precision, recall, F1 and image count as a text table ('-' where undefined)."""

        def row(name, p, r, f, images, predicted):
            p, r, f = (_fmt(x, "-") for x in (p, r, f))
            return f"{name:>5}  {p:>9}  {r:>6}  {f:>6}  {int(images):>6}  {int(predicted):>9}"

        total = int(self.confusion.sum())
        columns = zip(self.class_precision, self.class_recall, self.class_f1, self.actual_counts, self.predicted_counts)
        rows = [row(c, *values) for c, values in enumerate(columns)]
        header = f"{'digit':>5}  {'precision':>9}  {'recall':>6}  {'F1':>6}  {'images':>6}  {'predicted':>9}"
        return "\n".join([header, *rows, row("macro", self.precision, self.recall, self.f1, total, total)])


def evaluate(y_true, y_pred, num_classes: int = 10) -> Evaluation:
    """Compare true labels [N] with predictions ([N] classes, or [N, C] scores: argmax); `.stats()` prints DL4J's report."""
    y_pred = torch.as_tensor(y_pred)
    if y_pred.dim() == 2:  # scores or probabilities per class: the prediction is the highest, as in DL4J's eval()
        if y_pred.shape[1] != num_classes:
            raise ValueError(f"y_pred has {y_pred.shape[1]} scores per image but num_classes is {num_classes}.")
        y_pred = y_pred.argmax(dim=1)
    return Evaluation(confusion_matrix(y_true, y_pred, num_classes))


def _as_classes(values, name, num_classes) -> torch.Tensor:
    """`values` as a 1-D int64 CPU tensor of classes, or a clear error."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes = {num_classes!r}; it must be a whole number >= 1 (10 for MNIST).")
    t = torch.as_tensor(values).detach().cpu()
    if t.dim() != 1:
        raise ValueError(f"{name} has shape {list(t.shape)}; pass one class per image, a 1-D sequence like [7, 2, 1].")
    if len(t) == 0:
        raise ValueError(f"{name} is empty: there is nothing to evaluate.")
    if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        raise ValueError(
            f"{name} has dtype {t.dtype}; pass class numbers as integers (e.g. `.long()`), or scores as [N, C]."
        )
    low, high = int(t.min()), int(t.max())
    if low < 0 or high >= num_classes:
        bad = low if low < 0 else high
        raise ValueError(f"{name} holds class {bad}; allowed 0 to {num_classes - 1} (num_classes={num_classes}).")
    return t.long()


def _mean_of_defined(values: torch.Tensor) -> float:
    """Mean over the entries that are not nan; nan if all are (Java's 0.0 / 0)."""
    defined = values[~values.isnan()]
    return defined.sum().item() / len(defined) if len(defined) else math.nan


def _fmt(x, nan="NaN") -> str:
    """DL4J's DecimalFormat("0.0000"), which prints nan as NaN (the per-class table: as `nan`)."""
    x = float(x)
    return nan if math.isnan(x) else f"{x:.4f}"
