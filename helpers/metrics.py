"""DL4J's Evaluation in a few lines: accuracy, precision, recall, F1 and the confusion matrix."""

from dataclasses import dataclass

import torch


def confusion_matrix(y_true, y_pred, num_classes: int = 10) -> torch.Tensor:
    """[num_classes, num_classes] counts: row = actual digit, column = predicted digit."""
    y_true, y_pred = torch.as_tensor(y_true).long().cpu(), torch.as_tensor(y_pred).long().cpu()
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
        return self.confusion.sum(dim=1)  # [C]: how many images of each class there are (TP + FN)

    @property
    def accuracy(self) -> float:
        """Share of all images classified right."""
        return (self.true_positives.sum() / self.confusion.sum()).item()

    @property
    def class_precision(self) -> torch.Tensor:
        """Per class: of the images predicted as c, the share that really are c (nan if c was never predicted)."""
        return self.true_positives / self.predicted_counts

    @property
    def class_recall(self) -> torch.Tensor:
        """Per class: of the images that are c, the share predicted as c (nan if c never occurs)."""
        return self.true_positives / self.actual_counts

    @property
    def class_f1(self) -> torch.Tensor:
        """Per class: the harmonic mean of precision and recall (0 where both are 0)."""
        p, r = self.class_precision, self.class_recall
        return torch.where(p + r > 0, 2 * p * r / (p + r), torch.zeros_like(p))

    @property
    def precision(self) -> float:
        """Macro average: the mean over classes, each weighted equally; never-predicted classes left out, as DL4J does."""
        return self.class_precision.nanmean().item()

    @property
    def recall(self) -> float:
        """Macro average over the classes that occur in the labels."""
        return self.class_recall.nanmean().item()

    @property
    def f1(self) -> float:
        """Macro average of the per-class F1 over the classes that occur or are predicted."""
        return self.class_f1.nanmean().item()

    def stats(self) -> str:
        """The report in DL4J's text layout (Evaluation.stats())."""
        c = self.num_classes
        lines = [
            "",
            "========================Evaluation Metrics========================",
            f" # of classes:    {c}",
            f" Accuracy:        {self.accuracy:.4f}",
            f" Precision:       {self.precision:.4f}",
            f" Recall:          {self.recall:.4f}",
            f" F1 Score:        {self.f1:.4f}",
            f"Precision, recall & F1: macro-averaged (equally weighted avg. of {c} classes)",
        ]
        never_predicted = [i for i in range(c) if self.predicted_counts[i] == 0]
        if never_predicted:
            n = len(never_predicted)
            lines += [
                f"Warning: {n} class{'es were' if n > 1 else ' was'} never predicted by the model and "
                "was excluded from average precision",
                f"Classes excluded from average precision: {never_predicted}",
            ]
        absent = [i for i in range(c) if self.actual_counts[i] == 0]
        if absent:
            n = len(absent)
            lines += [
                f"Warning: {n} class{'es were' if n > 1 else ' was'} never present in the labels and "
                "was excluded from average recall",
                f"Classes excluded from average recall: {absent}",
            ]
        width = max(5, len(str(self.confusion.max().item())) + 1)
        header = "".join(f"{i:>{width}}" for i in range(c))
        lines += ["", "", "=========================Confusion Matrix=========================", header, "-" * len(header)]
        for i, row in enumerate(self.confusion.tolist()):
            lines.append("".join(f"{n:>{width}}" for n in row) + f" | {i} = {i}")
        lines += [
            "",
            "Confusion matrix format: Actual (rowClass) predicted as (columnClass) N times",
            "==================================================================",
        ]
        return "\n".join(lines)


def evaluate(y_true, y_pred, num_classes: int = 10) -> Evaluation:
    """Compare true labels with predicted ones; `.stats()` prints DL4J's report."""
    return Evaluation(confusion_matrix(y_true, y_pred, num_classes))
