"""Notebook 01, the dataset: the checks of exercises 01.1, 01.2, 01.3; their text is in notebooks/01_dataset.ipynb."""

from functools import cache

import torch

from helpers.data import load_mnist
from helpers.exercises.core import NotYet, exercises_in, number, share, whole_number

exercise = exercises_in("01_dataset")


@cache
def _facts() -> dict:
    """What the checks compare with, worked out from MNIST itself rather than typed in; only these small results stay."""
    train_set, test_set = load_mnist()  # the notebook has loaded it: nothing is downloaded, and this copy is freed
    images, labels = train_set.tensors
    ink = torch.stack([images[labels == d].double().mean() for d in range(10)])  # [10]: each digit's mean pixel
    return {"train_labels": labels, "test_labels": test_set.tensors[1], "ink": ink, "image_3": images[3].clone()}


@exercise(
    "01.1",
    minutes=2,  # read the table above, divide: tried, about two minutes
    title="The lazy network",
    hint="First find the most common digit in `train_counts`. The lazy rule is right on exactly the test images that show it.",
)
def _lazy(answer, given):
    value = number(answer)
    facts = _facts()
    train_counts = torch.bincount(facts["train_labels"], minlength=10)
    most_common = int(train_counts.argmax())
    truth = (facts["test_labels"] == most_common).double().mean().item()
    if share(value, truth):
        return f"always answering {most_common} scores {truth:.2%} on the test set, barely above a blind guess (10%)."
    if abs(value - train_counts[most_common].item() / len(facts["train_labels"])) < 1e-4:
        raise NotYet("that is the digit's share of the training set; the lazy network is scored on the test set.")
    if abs(value - 0.1) < 1e-9:
        raise NotYet("10% is a blind guess among ten digits; the lazy network always gives the most common one.")
    if value > 1:
        raise NotYet("that looks like a count of images; divide by the 10,000 test images for a share.")
    raise NotYet("find the most common training digit, then the share of the test images that show it.")


@exercise(
    "01.2",
    minutes=4,  # a loop (or comprehension) over the ten digits with a mask: tried, about four minutes
    title="Which digit uses the most ink?",
    hint="Loop over the digits 0-9, take the mean of `images[labels == d]`, and look for the largest.",
)
def _most_ink(answer, given):
    digit = whole_number(answer)
    if not 0 <= digit <= 9:
        raise NotYet(f"{digit} is not a digit; give one of 0-9 (not the amount of ink).")
    ink = _facts()["ink"]
    ranking = ink.argsort(descending=True).tolist()
    if digit == ranking[0]:
        return f"{digit}s average {ink[digit]:.3f} per pixel, the most ink."
    if digit == ranking[-1]:
        raise NotYet(f"{digit} is the digit with the *least* ink; the question asks for the most.")
    raise NotYet(f"{digit} is number {ranking.index(digit) + 1} of 10; one digit has more ink on average.")


@exercise(
    "01.3",
    minutes=5,  # reshape, compare, any(dim=...), and which dim is which: tried, about five minutes
    title="How big is a digit?",
    hint="Reshape image 3 (`train_set[3][0]`) to 28 × 28 and compare with 0. `.any(dim=1)` gives one True/False per row; `.any(dim=0)` one per column.",
)
def _size(answer, given):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise NotYet('give two numbers, as in `check("01.3", (height, width))`.')
    height, width = whole_number(answer[0], "height"), whole_number(answer[1], "width")
    inked = _facts()["image_3"].reshape(28, 28) > 0
    true_height, true_width = int(inked.any(dim=1).sum()), int(inked.any(dim=0).sum())
    if (height, width) == (true_height, true_width):
        return f"{true_height} rows tall and {true_width} columns wide."
    if (height, width) == (true_width, true_height):
        raise NotYet("height and width are swapped: dim 0 counts rows, and a row has ink if `any(dim=1)`, along it.")
    if int(inked.sum()) in (height, width):
        raise NotYet("that counts inked *pixels*; count the rows (and columns) that hold at least one.")
    if height == true_height:
        raise NotYet("the height is right; the width counts the columns that have ink.")
    if width == true_width:
        raise NotYet("the width is right; the height counts the rows that have ink.")
    raise NotYet("reshape `train_set[3][0]` to 28 × 28 first, then count rows and columns that hold any ink (> 0).")
