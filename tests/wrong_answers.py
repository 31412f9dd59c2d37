"""A typical wrong answer to each exercise, and a piece of the hint its check must give (tests/nbrun.py runs them).

Each is code run in a copy of the notebook's names after its last cell, then the exercise's own check line:
the check should say what is wrong, not only that it is.
"""

WRONG = {
    "01.1": ("lazy_accuracy = 0.1", "blind guess"),
    "01.2": ("most_ink = 1", "least"),
    "01.3": ("height, width = 14, 20", "swapped"),
    "02.1": ("diverged_lr = 0.9", "still settles"),
    "02.2": ("no_momentum = Config().replace(momentum=0.0)", "ten times shorter"),
    "02.3": ("weight_decay = config.l2", "same number"),
    "03.1": ("def my_softmax(scores):\n    return torch.exp(scores) / torch.exp(scores).sum(dim=0)", "row"),
    "03.2": ("deeper = nn.Sequential(nn.Linear(784, 256), nn.Linear(256, 128), nn.Linear(128, 10))", "ReLU"),
    "03.3": ("params_500 = 784 * 500 + 500 * 10", "bias"),
    "04.1": ("train_accuracy = report.accuracy", "test accuracy"),
    "04.2": ("last_gain = history.train_accuracy[-1] - history.train_accuracy[-2]", "percentage points"),
    "05.1": (
        "precision_3, recall_3 = (report.confusion[3, 3] / report.confusion[3].sum()).item(), "
        "(report.confusion[3, 3] / report.confusion[:, 3].sum()).item()",
        "swapped",
    ),
    "05.2": ("weighted_recall = report.class_recall.mean().item()", "plain mean"),
    "05.3": ("strict_threshold = 0.99", "lower threshold"),
    "06.1": ("edge = (0.006, 0.1)  # both trained in the notebook's session: 0.1 still learns", "still learns"),
    "06.2": ("fast_run = pg.runs[0]  # the notebook's run with DL4J's 0.006", "larger"),
    "07.1": ("conv2_params = 16 * 5 * 5 + 16", "all 8"),
    "07.2": ("deeper_accuracy = 0.95", "not been trained"),
}
