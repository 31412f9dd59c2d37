"""Notebook 04, training: the checks of exercises 04.1 and 04.2; their text is in notebooks/04_training.ipynb."""

from helpers.data import batch_loader, load_mnist
from helpers.exercises.core import NotYet, exercises_in, needs, number, share
from helpers.loop import accuracy

exercise = exercises_in("04_training")


@exercise(
    "04.1",
    minutes=3,  # read the task, one line with `accuracy` and a loader over train_set, compare with the report
    title="Training accuracy",
    hint="`accuracy(model, loader)` works on any loader: give it one over `train_set`, e.g. "
    "`batch_loader(train_set, 1000, shuffle=False)` (the `in_order` of the epoch by hand).",
)
def _train_accuracy(answer, given):
    how = 'check("04.1", train_accuracy, model=model, train_set=train_set)'
    model, train_set = needs(given, "model", how), needs(given, "train_set", how)
    value = number(answer)
    truth = accuracy(model, batch_loader(train_set, 1000, shuffle=False))
    if share(value, truth):
        return f"{truth:.2%} of the training images right; compare it with the test accuracy in the report."
    if share(value, accuracy(model, batch_loader(load_mnist()[1], 1000, shuffle=False))):  # the test images
        raise NotYet("that is the test accuracy; the question asks about the training images, `train_set`.")
    raise NotYet("measure it with `accuracy` and a loader over `train_set` (every training image once).")


@exercise(
    "04.2",
    minutes=4,  # read the task, find the last two entries of a list, subtract, scale to points
    title="Still learning?",
    hint="`history.train_accuracy[-1]` is the last epoch's accuracy and `[-2]` the one before, both shares "
    "0-1: subtract, then times 100 for percentage points.",
)
def _last_gain(answer, given):
    history = needs(given, "history", 'check("04.2", last_gain, history=history)')
    shares = list(getattr(history, "train_accuracy", []))
    if len(shares) < 2:
        raise NotYet(f"this history has {len(shares)} epoch(s); the question needs two or more (run with epochs = 15).")
    value = number(answer)
    truth = 100 * (shares[-1] - shares[-2])  # percentage points
    if abs(value - truth) < 1e-6:
        return f"{truth:+.3f} percentage points in the last epoch."
    if abs(value - truth / 100) < 1e-8:
        raise NotYet("that is a difference of shares; times 100 gives percentage points.")
    if abs(value + truth) < 1e-6:
        raise NotYet("the sign is flipped: the last epoch's accuracy minus the one before it.")
    if min(abs(value - shares[-1]), abs(value - 100 * shares[-1])) < 1e-6:
        raise NotYet("that is the last epoch's accuracy itself; the question asks how much it rose: subtract [-2].")
    raise NotYet("subtract the accuracy of the epoch before the last ([-2]) from the last one's ([-1]), times 100.")
