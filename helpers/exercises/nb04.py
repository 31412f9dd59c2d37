"""Notebook 04, training: the checks of exercises 04.1 and 04.2; their text is in notebooks/04_training.ipynb."""

import torch

from helpers.exercises.core import NotYet, exercises_in, needs, number

exercise = exercises_in("04_training")


def _accuracy(model, images, labels) -> float:
    """The share of `images` whose highest score is at their label, in batches of 1000; torch's random state untouched."""
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        model.eval()
        right = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in zip(images.split(1000), labels.split(1000)))
    return right / len(labels)


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
    share = number(answer)
    truth = _accuracy(model, *train_set.tensors)
    if abs(share - truth) < 1e-4:
        return (
            f"{truth:.2%} of the training images right. Compare with the test accuracy in the report: "
            "the gap is what the network learned about its training images that does not carry over."
        )
    if abs(share / 100 - truth) < 1e-4:
        raise NotYet("that is a percentage; give a share between 0 and 1, as `accuracy` returns it.")
    if abs(share - _test_accuracy(model)) < 1e-4:
        raise NotYet(
            "that is the test accuracy; the question asks about the training images: a loader over `train_set`."
        )
    raise NotYet("measure it with `accuracy` and a loader over `train_set` (every training image once).")


def _test_accuracy(model) -> float:
    """The model's accuracy on MNIST's 10,000 test images, pixels in [0, 1] as in notebook 04."""
    from torchvision import datasets

    from helpers.data import ensure_mnist

    test = datasets.MNIST(ensure_mnist(), train=False)
    return _accuracy(model, test.data.reshape(-1, 784).float() / 255, test.targets)


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
        first = 100 * (shares[1] - shares[0])
        trend = "still rising" if truth > 0 else "no longer rising"
        return f"{truth:+.3f} points in the last epoch ({trend}), against {first:+.2f} in epoch 2."
    if abs(value - truth / 100) < 1e-8:
        raise NotYet("that is a difference of shares; times 100 gives percentage points.")
    if abs(value + truth) < 1e-6:
        raise NotYet("the sign is flipped: the last epoch's accuracy minus the one before it.")
    if min(abs(value - shares[-1]), abs(value - 100 * shares[-1])) < 1e-6:
        raise NotYet("that is the last epoch's accuracy itself; the question asks how much it rose: subtract [-2].")
    if abs(value - 100 * (shares[1] - shares[0])) < 1e-6:
        raise NotYet("that is the rise in epoch 2 (indexes 1 and 0); the last epoch is index -1.")
    raise NotYet("subtract the accuracy of the epoch before the last ([-2]) from the last one's ([-1]), times 100.")
