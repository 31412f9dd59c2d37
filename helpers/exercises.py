"""The notebooks' "Try it" exercises: check an answer, get a hint, see the solution only when you ask.

In a notebook each exercise is three cells: the task (markdown), a code cell to fill in,

    lazy_accuracy = ...  # your answer
    check("01.1", lazy_accuracy)

and the solution, folded away in a collapsed cell that never runs. `check` prints a verdict: right,
or not yet with a hint. An answer left as `...` (or None) prints "not answered yet" and never
raises, so a notebook runs top to bottom with its exercises open. Stuck? `hint("01.1")`.
Want to compare? `show_solution("01.1")`.

Each check works the right answer out from the data, a model or the objects you pass it, not from
a number typed in here, and leaves torch's random numbers as they were (your next cells give the
same results whether or not you checked).

Start over with DL4J's settings in one step: `config = Config()` (helpers.config); in the
playground, the "Reset to DL4J" button (or `pg.reset()`). `reset_help()` prints how.
"""

import math
from dataclasses import dataclass
from functools import cache

import torch

from helpers.config import Config

RESET_HELP = (
    "Back to DL4J's settings in one step:\n"
    "  config = Config()   # from helpers.config import Config: every field at DL4J's value\n"
    "  playground: press 'Reset to DL4J' (or run pg.reset()): every slider back to DL4J's value\n"
    "  a notebook whose cells you edited: in a terminal, git checkout notebooks/<name>.ipynb, then reopen it"
)


@dataclass(frozen=True)
class Exercise:
    """One "Try it": its task, the code a learner starts from, a hint, the solution and its check."""

    id: str  # "01.1": notebook 01, exercise 1
    title: str  # a few words, shown in the heading
    task: str  # markdown: what to do
    starter: str  # the code cell the learner fills in; it ends with the check(...) call
    solution: str  # code that answers it, in the notebook's variables
    why: str  # markdown: what the solution teaches
    hint: str  # a nudge that does not give the answer away
    judge: object  # judge(answer, given) -> praise (str); raises NotYet(hint) when wrong

    @property
    def notebook(self) -> str:
        """The notebook's number, e.g. "01"."""
        return self.id.split(".")[0]


@dataclass(frozen=True)
class Verdict:
    """What `check` found: status "right", "wrong" or "unanswered", and the message it prints."""

    exercise: str
    status: str
    message: str

    @property
    def right(self) -> bool:
        return self.status == "right"

    def __str__(self) -> str:
        mark = {"right": "✅", "wrong": "❌", "unanswered": "✏️"}[self.status]
        return f"{mark} {self.exercise}: {self.message}"


class NotYet(Exception):
    """Raised by a judge: the answer is not right; the message is the hint."""


class Unanswered(Exception):
    """Raised by a judge: there is nothing to check yet (e.g. a function that returns nothing)."""


EXERCISES = {}  # id -> Exercise, in the order they appear in the notebooks


def exercise(id, *, title, task, starter, solution, why, hint):
    """Register the decorated judge as exercise `id` (used below, once per exercise)."""

    def register(judge):
        if id in EXERCISES:
            raise ValueError(f"exercise {id} is defined twice")
        EXERCISES[id] = Exercise(
            id, title, task.strip(), starter.strip(), solution.strip(), why.strip(), hint.strip(), judge
        )
        return judge

    return register


def get(exercise_id: str) -> Exercise:
    """The exercise with this id, or a clear error listing the ids there are."""
    try:
        return EXERCISES[exercise_id]
    except (KeyError, TypeError):
        raise ValueError(f"There is no exercise {exercise_id!r}; the exercises are: {', '.join(EXERCISES)}.") from None


def verdict(exercise_id: str, answer, **given) -> Verdict:
    """Judge `answer` to exercise `exercise_id` (objects it needs passed as keywords); return the Verdict."""
    ex = get(exercise_id)
    if _unanswered(answer):
        return Verdict(
            ex.id, "unanswered", "Not answered yet. Replace the `...` with your answer and run the cell again."
        )
    try:
        praise = ex.judge(answer, given)
    except Unanswered as e:
        return Verdict(ex.id, "unanswered", _sentence(str(e)))
    except NotYet as e:
        more = f'More help: hint("{ex.id}"). The answer: show_solution("{ex.id}").'
        return Verdict(ex.id, "wrong", f"Not yet. {_sentence(str(e))}\n   {more}")
    return Verdict(ex.id, "right", f"Right! {_sentence(praise)}")


def check(exercise_id: str, answer, **given) -> None:
    """Print whether `answer` to exercise `exercise_id` is right, with a hint when it is not yet."""
    print(verdict(exercise_id, answer, **given))


def hint(exercise_id: str) -> None:
    """Print a nudge for the exercise, without the answer."""
    ex = get(exercise_id)
    print(f"💡 {ex.id} ({ex.title}): {ex.hint}")


def show_solution(exercise_id: str) -> None:
    """Print the exercise's solution and what it teaches: only call it when you want to see it."""
    ex = get(exercise_id)
    print(f"Solution {ex.id} ({ex.title}):\n\n{ex.solution}\n\n{ex.why}")


def exercises_of(notebook: str) -> list:
    """The exercises of one notebook ("01" or "01_dataset"), in order."""
    number = notebook[:2]
    return [ex for ex in EXERCISES.values() if ex.notebook == number]


def reset_help() -> None:
    """Print how to put the config and the playground back to DL4J's defaults."""
    print(RESET_HELP)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- reading answers ------------------------------------------------------------------------------


def _unanswered(answer) -> bool:
    """`...` or None, alone or inside a tuple/list (e.g. `(mean, std)` with one still open)."""
    if answer is None or answer is Ellipsis:
        return True
    return isinstance(answer, (tuple, list)) and any(a is None or a is Ellipsis for a in answer)


def _number(answer, what="your answer") -> float:
    """`answer` as a Python float (a one-element tensor or a NumPy number is fine), or NotYet saying why not."""
    if isinstance(answer, bool):
        raise NotYet(f"{what} is {answer}, a yes/no value; give a number.")
    if isinstance(answer, str):
        raise NotYet(f"{what} is the text {answer!r}; give a number (without quotes).")
    if isinstance(answer, torch.Tensor):
        if answer.numel() != 1:
            raise NotYet(
                f"{what} is a tensor of shape {list(answer.shape)}; give one number (`.item()` turns a one-element tensor into one)."
            )
        answer = answer.item()
    elif hasattr(answer, "item") and not isinstance(answer, (int, float)):  # a NumPy number
        answer = answer.item()
    if not isinstance(answer, (int, float)):
        raise NotYet(f"{what} is a {type(answer).__name__}; give a number.")
    if not math.isfinite(answer):
        raise NotYet(f"{what} is {answer}, not a finite number.")
    return float(answer)


def _whole_number(answer, what="your answer") -> int:
    """`answer` as an int; NotYet if it has a fractional part."""
    x = _number(answer, what)
    if x != int(x):
        raise NotYet(f"{what} is {x:g}; this asks for a whole number (a count).")
    return int(x)


def _given(given: dict, name: str, how: str):
    """The object the learner passed as `name=`, or NotYet telling how to pass it."""
    if name not in given:
        raise NotYet(f"this check also needs `{name}`: call it as {how}")
    return given[name]


def _call(function, *args, name="your function"):
    """Call the learner's function; its errors and a missing `return` become messages, never exceptions."""
    if not callable(function):
        raise NotYet(f"give the function itself (its name, without parentheses), not a {type(function).__name__}.")
    try:
        result = function(*args)
    except Exception as e:  # noqa: BLE001 - any error in the learner's code is reported, never raised
        raise NotYet(f"{name} raised {type(e).__name__}: {e}") from None
    if result is None or result is Ellipsis:
        raise Unanswered(
            f"Not answered yet: {name} returns nothing. Finish it, `return` the result, and run the cell again."
        )
    return result


# --- the data the checks compare with, read straight from the MNIST files ---------------------------
# Small and fast: labels are 60 KB, the per-digit ink is 10 numbers. Loading the images as float
# tensors again would cost ~220 MB and seconds, in a kernel that already holds them once.


def _path(name: str):
    from helpers.data import check_file, data_root, raw_folder

    path = raw_folder(data_root()) / name
    check_file(path)  # a clear MnistError (what is wrong, what to do) if it is missing or damaged
    return path


def _file(kind: str, split: str) -> str:
    return f"{'train' if split == 'train' else 't10k'}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"


@cache
def _labels(split: str) -> torch.Tensor:
    """[N] int64 labels of "train" or "test"."""
    data = _path(_file("labels", split)).read_bytes()
    return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()  # after the 8-byte IDX header


@cache
def _ink_per_digit() -> torch.Tensor:
    """[10] float64: the mean pixel value (0-1) of the training images of each digit."""
    pixels = torch.frombuffer(bytearray(_path(_file("images", "train")).read_bytes()[16:]), dtype=torch.uint8)
    per_image = torch.cat([chunk.double().sum(dim=1) for chunk in pixels.view(-1, 784).split(10_000)])  # [60000]
    labels = _labels("train")
    sums = torch.zeros(10, dtype=torch.float64).index_add_(0, labels, per_image)
    return sums / torch.bincount(labels, minlength=10) / 784 / 255


def _training_image(index: int) -> torch.Tensor:
    """[784] float32 in [0, 1]: training image `index`, as load_mnist gives it."""
    with open(_path(_file("images", "train")), "rb") as f:
        f.seek(16 + 784 * index)
        return torch.frombuffer(bytearray(f.read(784)), dtype=torch.uint8).to(torch.float32).div(255)


def _quiet_model(*sizes):
    """mlp(*sizes) built without touching torch's global random numbers."""
    from helpers.model import mlp

    with torch.random.fork_rng(devices=[]):
        return mlp(*sizes)


# ==================================================================================================
# 01 · The dataset
# ==================================================================================================


@exercise(
    "01.1",
    title="The lazy network",
    task="""
A lazy "network" ignores the picture and always answers the digit that is most common in the
**training** set. What accuracy would it score on the **test** set? Give a share between 0 and 1.
(This is the score any real network must beat by far.)
""",
    starter="""
lazy_accuracy = ...  # your answer: a share between 0 and 1

check("01.1", lazy_accuracy)
""",
    solution="""
most_common = train_counts.argmax()  # the digit with the most training images
lazy_accuracy = (test.labels == most_common).float().mean().item()  # right exactly when a test image shows it
""",
    why="""
The most common training digit is 1, and 1,135 of the 10,000 test images are ones, so always
answering "1" scores 11.35%: barely better than a blind guess (10%), because the classes are
nearly balanced. On an unbalanced dataset (say 90% ones) the same lazy rule would score 90%, and a
high accuracy would prove nothing. `test.labels == most_common` marks the test images the lazy
rule gets right; the mean of those True/False values is the share.
""",
    hint="First find the most common digit in `train_counts`. The lazy rule is right on exactly the test images that show it.",
)
def _lazy(answer, given):
    share = _number(answer)
    train_counts = torch.bincount(_labels("train"), minlength=10)
    most_common = int(train_counts.argmax())
    test_labels = _labels("test")
    truth = (test_labels == most_common).double().mean().item()
    if abs(share - truth) < 1e-4:
        return (
            f"always answering {most_common} scores {truth:.2%} on the test set, barely above a blind guess (10%): "
            "the classes are nearly balanced, so accuracy is a fair score."
        )
    if abs(share / 100 - truth) < 1e-4:
        raise NotYet("that is a percentage; give it as a share between 0 and 1 (divide by 100).")
    if abs(share - train_counts[most_common].item() / len(_labels("train"))) < 1e-4:
        raise NotYet("that is the digit's share of the training set; the lazy network is scored on the test set.")
    if abs(share - 0.1) < 1e-9:
        raise NotYet("10% is a blind guess among ten digits; the lazy network always gives the most common one.")
    shares = torch.bincount(test_labels, minlength=10).double() / len(test_labels)
    if any(abs(share - s) < 1e-4 for s in shares.tolist()):
        raise NotYet("that is the test share of another digit; which digit is most common in the *training* set?")
    if share > 1:
        raise NotYet("that looks like a count of images; divide by the 10,000 test images for a share.")
    raise NotYet("find the most common training digit, then the share of the test images that show it.")


@exercise(
    "01.2",
    title="Which digit uses the most ink?",
    task="""
Some digits take more ink to write than others. Which digit has the highest **mean pixel value**
over its training images? Compute it for all ten digits (`train.images[train.labels == d]` are the
images of digit `d`) and give the digit.
""",
    starter="""
most_ink = ...  # your answer: a digit, 0-9

check("01.2", most_ink)
""",
    solution="""
ink = torch.stack([train.images[train.labels == d].mean() for d in range(10)])  # [10]: mean pixel per digit
most_ink = ink.argmax().item()
""",
    why="""
Zeros carry the most ink (a mean pixel of about 0.17), ones the least (about 0.08, less than half
as much). Indexing with a True/False tensor, `train.images[train.labels == d]`, keeps the rows
where the condition holds: a simple way to look at one class at a time. The amount of ink alone
already tells a 1 from a 0 quite well; the network will find far subtler clues.
""",
    hint="Loop over the digits 0-9, take the mean of `train.images[train.labels == d]`, and look for the largest.",
)
def _most_ink(answer, given):
    digit = _whole_number(answer, "your answer")
    if not 0 <= digit <= 9:
        raise NotYet(f"{digit} is not a digit; give one of 0-9 (not the amount of ink).")
    ink = _ink_per_digit()
    ranking = ink.argsort(descending=True).tolist()
    if digit == ranking[0]:
        return f"{digit}s average {ink[digit]:.3f} per pixel, the most ink; {ranking[-1]}s the least ({ink[ranking[-1]]:.3f})."
    if digit == ranking[-1]:
        raise NotYet(f"{digit} is the digit with the *least* ink; the question asks for the most.")
    raise NotYet(f"{digit} is number {ranking.index(digit) + 1} of 10; one digit has more ink on average.")


@exercise(
    "01.3",
    title="How big is a digit?",
    task="""
MNIST's makers scaled every digit to fit in a 20 × 20 box and then centred it in the 28 × 28
picture. Measure the **1** in training image 3: how many **rows** of its 28 × 28 grid contain some
ink (its height), and how many **columns** (its width)? Answer as `(height, width)`.
""",
    starter="""
height = ...  # your answer: rows with ink
width = ...  # your answer: columns with ink

check("01.3", (height, width))
""",
    solution="""
inked = train.images[3].reshape(28, 28) > 0  # [28, 28]: True where there is ink
height = inked.any(dim=1).sum().item()  # any(dim=1): does a row have ink anywhere along it?
width = inked.any(dim=0).sum().item()  # any(dim=0): does a column have ink anywhere down it?
""",
    why="""
The 1 is 20 pixels tall, filling the box, but only 14 wide. In a [28, 28] grid, dim 0 runs down
the rows and dim 1 along the columns: `any(dim=1)` asks each row "is there ink anywhere along
you?", leaving one answer per row. Most MNIST digits are 20 pixels tall; their width varies, and
the network must learn that a narrow stroke and a wide one can be the same digit.
""",
    hint="Reshape image 3 to 28 × 28 and compare with 0. `.any(dim=1)` gives one True/False per row; `.any(dim=0)` one per column.",
)
def _size(answer, given):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise NotYet('give two numbers, as in `check("01.3", (height, width))`.')
    height, width = _whole_number(answer[0], "height"), _whole_number(answer[1], "width")
    inked = _training_image(3).reshape(28, 28) > 0
    true_height, true_width = int(inked.any(dim=1).sum()), int(inked.any(dim=0).sum())
    if (height, width) == (true_height, true_width):
        return f"{true_height} rows tall, {true_width} columns wide: the height fills MNIST's 20-pixel box, the width does not."
    if (height, width) == (true_width, true_height):
        raise NotYet(
            "height and width are swapped. In a [28, 28] grid, dim 0 counts rows: a row has ink if `any(dim=1)`, along it."
        )
    if int(inked.sum()) in (height, width):
        raise NotYet("that counts inked *pixels*; count the rows (and columns) that hold at least one.")
    if height == true_height:
        raise NotYet("the height is right; the width counts the columns that have ink.")
    if width == true_width:
        raise NotYet("the width is right; the height counts the rows that have ink.")
    raise NotYet("reshape `train.images[3]` to 28 × 28 first, then count rows and columns that hold any ink (> 0).")


# ==================================================================================================
# 02 · Hyperparameters
# ==================================================================================================


@exercise(
    "02.1",
    title="Your own Config",
    task="""
Make `fast`, a `Config` that is DL4J's in every setting except two: a learning rate of 0.1 and
no momentum at all. Let `Config` check your values for you.
""",
    starter="""
fast = ...  # your answer: a Config

check("02.1", fast)
""",
    solution="""
fast = Config().replace(lr=0.1, momentum=0.0)  # Config(lr=0.1, momentum=0.0) works too
""",
    why="""
`Config()` is DL4J's run exactly; `.replace(...)` returns a copy with only the named fields
changed, checked like a new one (try `lr=-1`). Momentum 0 turns it off: each step then follows the
current gradient alone. `config = Config()` takes you back to DL4J's settings at any time.
""",
    hint="Start from `Config()`, DL4J's settings, and change just two fields with `.replace(name=value, ...)`.",
)
def _fast(answer, given):
    if not isinstance(answer, Config):
        raise NotYet(f"give a Config (e.g. `Config().replace(...)`), not a {type(answer).__name__}.")
    if answer == Config().replace(lr=0.1, momentum=0.0):
        return "everything else is still DL4J's: batch 128, 15 epochs, L2 1e-4, seed 123."
    if answer.lr != 0.1:
        raise NotYet(f"its learning rate is {answer.lr}; it should be 0.1.")
    if answer.momentum != 0:
        raise NotYet(f'its momentum is {answer.momentum}; "no momentum" means 0 (DL4J\'s default is 0.9).')
    changed = [k for k, v in answer.to_dict().items() if v != getattr(Config(), k) and k not in ("lr", "momentum")]
    raise NotYet(
        f"only lr and momentum should differ from DL4J's, but so do: {', '.join(changed)}. Start from `Config()`."
    )


@exercise(
    "02.2",
    title="Which learning rate diverges?",
    task="""
Back to the one-weight problem, loss = (w − 5)², lowest at w = 5. Starting from w = 2 each time,
run 20 SGD steps with each of the learning rates 0.1, 0.5, 0.9 and 1.1 (use a fresh weight and
optimizer for each, and new names such as `v` and `opt`, so that `w` above stays as it is).
Which learning rate **diverges**, ending further from 5 than where it started?
""",
    starter="""
diverged_lr = ...  # your answer: one of 0.1, 0.5, 0.9, 1.1

check("02.2", diverged_lr)
""",
    solution="""
for step_size in [0.1, 0.5, 0.9, 1.1]:
    v = torch.tensor([2.0], requires_grad=True)
    opt = torch.optim.SGD([v], lr=step_size)
    for _ in range(20):
        opt.zero_grad()
        ((v - 5) ** 2).backward()
        opt.step()
    print(f"lr {step_size}: w = {v.item():9.3f} after 20 steps, {abs(v.item() - 5):.3g} from the bottom")
diverged_lr = 1.1  # the only one that ended further from 5 than it started (3 away)
""",
    why="""
Each step moves w by lr × 2(w − 5), so the distance to 5 is multiplied by (1 − 2 lr) every step:
0.8 for lr 0.1 (a steady approach), 0 for lr 0.5 (one jump lands exactly on 5), −0.8 for 0.9
(it jumps across 5 every time, but each jump is shorter: it still settles) and −1.2 for 1.1
(each jump across is longer than the last: after 20 steps it is 115 away instead of 3). Past a limit set by the steepness of the loss, a bigger step does not learn faster; it
blows up. That is what lr = 2.0 did to the network above.
""",
    hint="Run the loop and print w after 20 steps for each learning rate. Overshooting 5 is not yet diverging: is the distance growing?",
)
def _diverged(answer, given):
    lr = _number(answer)
    candidates = (0.1, 0.5, 0.9, 1.1)
    if not any(abs(lr - c) < 1e-9 for c in candidates):
        raise NotYet(f"give one of the four learning rates tried: {', '.join(map(str, candidates))}.")
    distance = {}
    for c in candidates:  # the experiment itself, on a tensor of our own
        v = torch.tensor([2.0], requires_grad=True)
        opt = torch.optim.SGD([v], lr=c)
        for _ in range(20):
            opt.zero_grad()
            ((v - 5) ** 2).backward()
            opt.step()
        distance[c] = abs(v.item() - 5)
    lr = min(candidates, key=lambda c: abs(c - lr))
    diverged = [c for c in candidates if distance[c] > 3]
    if lr in diverged:
        return f"after 20 steps lr {lr} is {distance[lr]:,.0f} away from 5, having started 3 away: every jump overshoots further."
    if lr == 0.9:
        raise NotYet(
            "0.9 overshoots (w jumps across 5 each step), but each jump is shorter than the last, so it still settles. "
            "Look for one whose distance grows."
        )
    raise NotYet(
        f"lr {lr} ends {distance[lr]:.3g} from 5: it converged. Print w after 20 steps for each learning rate."
    )


@exercise(
    "02.3",
    title="How strong is a strong pull?",
    task="""
The experiment above went up to l2 = 1. With DL4J's rule, by what **factor** would L2 alone scale
the weights over the whole quick run (the settings in `quick`, with l2 = 1)? Compare with the
weight norm the l2 = 1 run ended with.
""",
    starter="""
l2_factor = ...  # your answer: a number between 0 and 1

check("02.3", l2_factor, config=quick)
""",
    solution="""
quick_steps = math.ceil(quick.train_images / quick.batch_size) * quick.epochs  # 47 with the defaults
strong_pull = 1.0 / quick.batch_size  # DL4J's rule: l2 / batch size of each weight per step, l2 = 1
l2_factor = (1 - strong_pull) ** quick_steps
""",
    why="""
With DL4J's rule each step removes 1 / 128 = 0.78% of every weight, whatever the learning rate and
momentum; over the 47 steps of one quick epoch that compounds to a factor of about 0.69. The l2 = 1
run ended at almost exactly that share of its start: in one short epoch the gradient hardly changes
the weights' overall size (the no-L2 run's norm barely moved), so the shrink is nearly all there is.
PyTorch's rule would remove lr × l2 / (1 − momentum) = 6% per step at l2 = 1: after 47 steps less
than a tenth of the weights would be left.
""",
    hint="Two numbers first: the quick run's steps (batches per epoch × epochs) and DL4J's share removed per step, l2 / batch size.",
)
def _l2_factor(answer, given):
    config = _given(given, "config", 'check("02.3", l2_factor, config=quick)')
    if not isinstance(config, Config):
        raise NotYet("pass the quick run's Config: `config=quick`.")
    factor = _number(answer)
    steps = -(-config.train_images // config.batch_size) * config.epochs
    strong = 1.0  # the experiment's strongest l2
    pull = strong / config.batch_size
    truth = (1 - pull) ** steps
    if abs(factor - truth) <= 1e-3 * truth:
        return f"{steps} steps removing {pull:.2%} each: the weights would shrink to {truth:.1%} of their size, if the gradient did not push back."
    if abs(factor - (1 - config.lr * strong / (1 - config.momentum)) ** steps) < 1e-6:
        raise NotYet(
            "that is PyTorch's weight_decay rule, lr × l2 / (1 − momentum) per step; DL4J's removes l2 / batch size, with no learning rate or momentum in it."
        )
    if abs(factor - (1 - config.l2 / config.batch_size) ** steps) < 1e-6:
        raise NotYet(f"that uses the config's l2 ({config.l2:g}); the experiment's strong pull is l2 = 1.")
    if abs(factor - (1 - pull) ** (15 * 469)) < 1e-6 or factor < 1e-6:
        raise NotYet(f"that is over DL4J's full run; the quick run has only {steps} steps.")
    if abs(factor - (1 - pull)) < 1e-9:
        raise NotYet(f"that is the factor for one step; the quick run has {steps}.")
    raise NotYet(
        "compute the quick run's steps and the per-step share, then raise (1 − share) to the power of the steps."
    )


# ==================================================================================================
# 03 · Building the layers
# ==================================================================================================


@exercise(
    "03.1",
    title="Softmax for a whole batch",
    task="""
The cell above computed softmax by hand for one image. Write `my_softmax(scores)` for a whole
batch: it takes scores of shape [B, 10] (one row per image) and returns probabilities of the same
shape, every entry positive and every **row** summing to 1. Use `torch.exp`, not `torch.softmax`
(that is what the check compares you with).
""",
    starter="""
def my_softmax(scores):
    # your code: return a [B, 10] tensor of probabilities
    ...


check("03.1", my_softmax)
""",
    solution="""
def my_softmax(scores):
    exps = torch.exp(scores - scores.max(dim=1, keepdim=True).values)  # minus the row's max: no overflow
    return exps / exps.sum(dim=1, keepdim=True)  # each row divided by its own sum
""",
    why="""
`exp` makes every score positive and keeps their order; dividing each row by its own sum makes the
row add up to 1. `keepdim=True` keeps the sums as a [B, 1] column, so that the division lines up
row by row; without it, or with `dim=0`, the rows get mixed up. Subtracting each row's maximum
first changes nothing mathematically (it cancels in the division) but keeps `exp` from
overflowing to infinity for large scores: `torch.softmax` does the same.
""",
    hint="Exponentiate, then divide each row by the sum of that row: `.sum(dim=1, keepdim=True)`.",
)
def _softmax(answer, given):
    g = torch.Generator().manual_seed(3)
    scores = torch.randn(4, 10, generator=g) * 3
    out = _call(answer, scores.clone(), name="my_softmax")
    if not isinstance(out, torch.Tensor):
        raise NotYet(f"my_softmax returned a {type(out).__name__}; return a tensor.")
    if out.shape != scores.shape:
        raise NotYet(f"for scores of shape [4, 10] it returned shape {list(out.shape)}; it should keep the shape.")
    expected = torch.softmax(scores, dim=1)
    out = out.detach().to(torch.float32)
    if not torch.allclose(out, expected, atol=1e-5):
        if torch.allclose(out.sum(dim=0), torch.ones(10), atol=1e-4):
            raise NotYet("your columns sum to 1, but each row (one image) should: sum over dim=1.")
        if abs(out.sum().item() - 1) < 1e-4:
            raise NotYet(
                "all your numbers together sum to 1, but each row should on its own: sum over dim=1, keepdim=True."
            )
        if torch.allclose(out, torch.log_softmax(scores, dim=1), atol=1e-4):
            raise NotYet(
                "those are log-probabilities (negative numbers); softmax returns probabilities between 0 and 1."
            )
        if (out < 0).any():
            raise NotYet("some of your 'probabilities' are negative: exponentiate the scores first.")
        raise NotYet("each row should be exp(score) divided by the sum of exp over that row.")
    big = _call(answer, scores.clone() + 1000, name="my_softmax")
    if isinstance(big, torch.Tensor) and torch.allclose(big.detach().to(torch.float32), expected, atol=1e-5):
        return "and it even survives huge scores (it subtracts the maximum first), like torch.softmax."
    return (
        "it matches torch.softmax. Bonus: try `my_softmax(scores + 1000)`: exp(1000) overflows to inf and "
        "you get nan. Subtracting each row's max before exp fixes it without changing the result."
    )


@exercise(
    "03.2",
    title="A deeper network",
    task="""
Build `deeper`, a network with **two** hidden layers, from the same parts: 784 inputs → 256 relu
units → 128 relu units → 10 scores, as an `nn.Sequential`. No softmax at the end: the loss
applies it. (Plain PyTorch start weights are fine here.)
""",
    starter="""
deeper = ...  # your answer: an nn.Sequential

check("03.2", deeper)
""",
    solution="""
deeper = nn.Sequential(
    nn.Linear(784, 256), nn.ReLU(),  # first hidden layer
    nn.Linear(256, 128), nn.ReLU(),  # second hidden layer: it reads the first one's 256 outputs
    nn.Linear(128, 10),  # ten scores; softmax lives in the loss
)
""",
    why="""
Each `nn.Linear` must take as many inputs as the layer before it gives outputs (784 → 256,
256 → 128, 128 → 10), and a relu after each hidden layer keeps the two from collapsing into a
single weighted sum. This network has 235,146 parameters, under a third of DL4J's 795,010, yet
with two hidden layers it can build features out of features. Whether that beats one wide layer
is a question for an experiment, not a rule: notebook 07 tries it.
""",
    hint="`nn.Sequential(nn.Linear(784, 256), nn.ReLU(), ...)`: five parts in all, and each Linear's input size is the previous one's output size.",
)
def _deeper(answer, given):
    from torch import nn

    from helpers.model import count_parameters

    if not isinstance(answer, nn.Module):
        raise NotYet(f"give the network (an nn.Sequential), not a {type(answer).__name__}.")
    parts = [m for m in answer.modules() if not list(m.children())]  # the layers, in order
    linears = [(m.in_features, m.out_features) for m in parts if isinstance(m, nn.Linear)]
    if linears != [(784, 256), (256, 128), (128, 10)]:
        sizes = " → ".join([str(linears[0][0])] + [str(b) for _, b in linears]) if linears else "nowhere (no nn.Linear)"
        raise NotYet(
            f"its Linear layers go {sizes}; they should go 784 → 256 → 128 → 10, each taking the previous one's outputs."
        )
    kinds = [type(m).__name__ for m in parts]
    if kinds[-1] != "Linear":
        raise NotYet(
            f"it ends with {kinds[-1]}; end with the Linear that gives the 10 scores (the loss applies softmax)."
        )
    if kinds != ["Linear", "ReLU", "Linear", "ReLU", "Linear"]:
        raise NotYet(
            f"its parts are {', '.join(kinds)}; put one ReLU after each hidden Linear, or the two layers "
            "collapse into one weighted sum."
        )
    scores = _call(answer, torch.zeros(2, 784), name="deeper")
    if not isinstance(scores, torch.Tensor) or scores.shape != (2, 10):
        raise NotYet("for a batch of 2 images it should give scores of shape [2, 10].")
    n = count_parameters(answer)
    return f"{n:,} parameters, {n / 795_010:.0%} of DL4J's network, in two hidden layers instead of one."


@exercise(
    "03.3",
    title="Count the parameters",
    task="""
DL4J's network, 784 → 1000 → 10, has 795,010 parameters. How many does a **smaller** network
with 500 hidden units (784 → 500 → 10) have? Work it out by hand, weights and biases of each
layer, then confirm with `count_parameters(mlp(784, 500, 10))`.
""",
    starter="""
params_500 = ...  # your answer: a whole number

check("03.3", params_500)
""",
    solution="""
params_500 = (784 * 500 + 500) + (500 * 10 + 10)  # hidden layer: weights + biases; output layer: the same
""",
    why="""
A Linear layer from `n_in` to `n_out` has a weight for every (input, output) pair, `n_in × n_out`,
plus one bias per output. 784 × 500 + 500 = 392,500 and 500 × 10 + 10 = 5,010: 397,510 in all.
Almost all of them sit in the first layer, because every one of the 784 pixels connects to every
hidden unit: halving the hidden units nearly halves the parameters.
""",
    hint="Each Linear(n_in, n_out) has n_in × n_out weights and n_out biases. Add both layers.",
)
def _params(answer, given):
    from helpers.model import count_parameters

    n = _whole_number(answer)
    truth = count_parameters(_quiet_model(784, 500, 10))
    if n == truth:
        return f"{truth:,} = 784×500 + 500 (hidden) + 500×10 + 10 (output). `count_parameters` agrees."
    if n == 784 * 500 + 500 * 10:
        raise NotYet("you counted the weights; each layer also has one bias per output unit.")
    if n == 795_010:
        raise NotYet("795,010 is DL4J's network with 1000 hidden units; this one has 500.")
    if n == 784 * 500 + 500:
        raise NotYet("that is the hidden layer alone; add the output layer (500 → 10).")
    raise NotYet("count each layer: weights (inputs × outputs) plus biases (one per output).")


# ==================================================================================================
# 04 · Training
# ==================================================================================================


@exercise(
    "04.1",
    title="One training step",
    task="""
`fit` hides the step it repeats 469 times an epoch. Write it yourself: `train_step(model,
optimizer, images, labels)` computes the cross-entropy loss of the model's scores
(`torch.nn.functional.cross_entropy`), works out the gradients, updates the weights, and returns
the loss.
""",
    starter="""
def train_step(model, optimizer, images, labels):
    # your code: a few lines, then return the loss
    ...


check("04.1", train_step)
""",
    solution="""
def train_step(model, optimizer, images, labels):
    loss = torch.nn.functional.cross_entropy(model(images), labels)  # forward: [B, 10] scores -> one number
    optimizer.zero_grad()  # clear the gradients of the previous step
    loss.backward()  # backward: d loss / d parameter, for every parameter
    optimizer.step()  # update: each parameter moves against its gradient
    return loss
""",
    why="""
Forward, zero the gradients, backward, step: these four lines train almost every PyTorch model,
and they are the heart of `helpers.loop.fit`. `zero_grad()` matters because `backward()`
*adds* to the gradients already stored: forget it and each step follows the sum of all gradients
so far. It may come anywhere before `backward()`.
""",
    hint="Four calls: the loss of `model(images)`, `optimizer.zero_grad()`, `loss.backward()`, `optimizer.step()`.",
)
def _train_step(answer, given):
    import copy

    from helpers.model import loss_fn, sgd

    if not callable(answer):
        raise NotYet(f"give the function itself (`train_step`, no parentheses), not a {type(answer).__name__}.")
    g = torch.Generator().manual_seed(4)
    data = [(torch.rand(16, 784, generator=g), torch.randint(0, 10, (16,), generator=g)) for _ in range(3)]
    mine = _quiet_model(784, 32, 10)
    theirs = copy.deepcopy(mine)
    my_opt, their_opt = (sgd(m, lr=0.1, momentum=0.9, l2=1e-4, batch_size=128) for m in (mine, theirs))
    before = [p.detach().clone() for p in theirs.parameters()]
    for i, (images, labels) in enumerate(data):
        expected_loss = loss_fn(mine(images), labels)
        my_opt.zero_grad()
        expected_loss.backward()
        my_opt.step()
        loss = _call(answer, theirs, their_opt, images, labels, name="train_step")
        try:
            loss = _number(loss, "the value train_step returned")
        except NotYet as e:
            raise NotYet(f"{e} Return the loss (a one-element tensor is fine).") from None
        if abs(loss - expected_loss.item()) > 1e-4:
            raise NotYet(
                "the loss it returned is not the cross-entropy of `model(images)` and `labels` before the update."
            )
        if all(torch.allclose(p, q, atol=1e-6) for p, q in zip(mine.parameters(), theirs.parameters())):
            continue
        if all(torch.equal(p, q) for p, q in zip(before, theirs.parameters())):
            raise NotYet("the weights did not change: call `optimizer.step()` after `loss.backward()`.")
        if i == 0:
            raise NotYet(
                "the first update is off: zero the gradients, then `loss.backward()`, then `optimizer.step()`."
            )
        raise NotYet(
            "the first step is right but the next ones are off: the gradients pile up across steps. "
            "Call `optimizer.zero_grad()` every step, before `loss.backward()`."
        )
    return "forward, zero_grad, backward, step: the heart of every PyTorch training loop."


@exercise(
    "04.2",
    title="Read the history",
    task="""
`fit` returned a `History`: `history.test_accuracy` holds the test accuracy after each epoch, the
first epoch's at index 0. After which **epoch** (counting from 1, as the table does) was the test
accuracy highest?
""",
    starter="""
best_epoch = ...  # your answer: an epoch number, from 1

check("04.2", best_epoch, history=history)
""",
    solution="""
best_epoch = history.test_accuracy.index(max(history.test_accuracy)) + 1  # index 0 is epoch 1
""",
    why="""
`max` finds the best accuracy and `.index` where it is; the `+ 1` turns a list position (from 0)
into an epoch number (from 1). With DL4J's settings the best epoch is one of the last: the network
is still improving slowly when the 15 epochs end. When the best epoch comes early and later ones
get worse, the network is overfitting. Choosing that epoch by its *test* accuracy would be
cheating, though: the test set is the exam, and the exam must not decide the training. The fair way
sets aside part of the training images as a **validation set**, picks the epoch on it, and only then
reports the test accuracy once.
""",
    hint="`max(history.test_accuracy)` is the best accuracy; `.index(...)` says where it is. Lists count from 0, epochs from 1.",
)
def _best_epoch(answer, given):
    history = _given(given, "history", 'check("04.2", best_epoch, history=history)')
    accs = list(getattr(history, "test_accuracy", []))
    if not accs:
        raise NotYet("this history has no test accuracies: train at least one epoch with a test set first.")
    best = max(accs)
    number = _number(answer)
    if abs(number - best) < 1e-6 or abs(number - 100 * best) < 1e-4:
        raise NotYet("that is the best accuracy itself; the question asks after which epoch it came.")
    epoch = _whole_number(answer)
    best_epochs = [i + 1 for i, a in enumerate(accs) if a == best]
    if epoch in best_epochs:
        return f"epoch {epoch} reached {best:.2%}."
    if epoch + 1 in best_epochs:
        raise NotYet("that is the list index; epochs count from 1, so add 1.")
    if not 1 <= epoch <= len(accs):
        raise NotYet(f"this run has {len(accs)} epochs, numbered 1 to {len(accs)}.")
    raise NotYet(f"after epoch {epoch} the accuracy was {accs[epoch - 1]:.2%}; another epoch did better.")


@exercise(
    "04.3",
    title="Training accuracy",
    task="""
The curves showed the training loss falling further than the test accuracy rises. Measure the
gap directly: what share of the **training** images does the trained `model` classify right?
Compare it with the test accuracy above.
""",
    starter="""
train_accuracy = ...  # your answer: a share between 0 and 1

check("04.3", train_accuracy, model=model, train=train)
""",
    solution="""
train_accuracy = (predict(model, train.images) == train.labels).float().mean().item()
""",
    why="""
The reference run gets 97.9% of its training images right and 97.2% of the test images: a
small gap. It does a little better on what it has seen, the first sign of overfitting, but mostly
it has learned what generalises. A large gap (say 100% on training, 90% on test) would mean it
memorised its examples instead; more data, L2 or fewer epochs are the usual cures.
""",
    hint="`predict(model, train.images)` gives the predicted digits; compare them with `train.labels` and take the mean.",
)
def _train_accuracy(answer, given):
    from helpers.loop import accuracy

    how = 'check("04.3", train_accuracy, model=model, train=train)'
    model, train = _given(given, "model", how), _given(given, "train", how)
    share = _number(answer)
    with torch.random.fork_rng(devices=[]):
        truth = accuracy(model, train)
    if abs(share - truth) < 1e-4:
        return f"{truth:.2%} of the training images right. Compare with the test accuracy: the gap is what the network memorised rather than learned."
    if abs(share / 100 - truth) < 1e-4:
        raise NotYet("that is a percentage; give a share between 0 and 1.")
    if share > 1:
        raise NotYet("that looks like a count; divide by the number of training images for a share.")
    raise NotYet("compare the model's predictions on `train.images` with `train.labels`: not the test set.")


# ==================================================================================================
# 05 · Evaluating
# ==================================================================================================


def _confusion(given, how) -> torch.Tensor:
    confusion = torch.as_tensor(_given(given, "confusion", how))
    if confusion.shape != (10, 10):
        raise NotYet(f"`confusion` should be the 10x10 confusion matrix; this one has shape {list(confusion.shape)}.")
    return confusion.long().cpu()


@exercise(
    "05.1",
    title="Precision and recall of 3",
    task="""
Do for the digit **3** what the cell above did for 9: from the confusion matrix alone
(`report.confusion`, rows = true digit, columns = the network's answer), compute the
**precision** and the **recall** of 3. The table further down lets you compare.
""",
    starter="""
precision_3 = ...  # your answer: a share between 0 and 1
recall_3 = ...  # your answer: a share between 0 and 1

check("05.1", (precision_3, recall_3), confusion=report.confusion)
""",
    solution="""
tp_3 = report.confusion[3, 3].item()  # 3s called 3: the diagonal
precision_3 = tp_3 / report.confusion[:, 3].sum().item()  # column 3: every image the network called 3
recall_3 = tp_3 / report.confusion[3, :].sum().item()  # row 3: every image that really is a 3
""",
    why="""
Precision looks down a **column**: everything the network called 3, of which the diagonal entry
was right. Recall looks along a **row**: every real 3, of which the diagonal entry was found. The
same diagonal count is divided by two different totals, which is why the two numbers differ: a
network that rarely says "3" can have high precision and low recall at once.
""",
    hint="Both share the diagonal entry `confusion[3, 3]`. Precision divides it by column 3's sum, recall by row 3's sum.",
)
def _precision_recall(answer, given):
    confusion = _confusion(given, 'check("05.1", (precision_3, recall_3), confusion=report.confusion)')
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise NotYet('give two numbers, as in `check("05.1", (precision_3, recall_3), ...)`.')
    p, r = _number(answer[0], "precision_3"), _number(answer[1], "recall_3")
    tp, called, actual = confusion[3, 3].item(), confusion[:, 3].sum().item(), confusion[3].sum().item()
    if not called or not actual:
        raise NotYet("this model never predicted a 3 (or there are no 3s): precision or recall is 0/0, undefined.")
    true_p, true_r = tp / called, tp / actual
    p_ok, r_ok = abs(p - true_p) < 1e-4, abs(r - true_r) < 1e-4
    if p_ok and r_ok:
        return (
            f"precision {tp} / {called} = {true_p:.4f}, recall {tp} / {actual} = {true_r:.4f}, as in the table below."
        )
    if abs(p - true_r) < 1e-4 and abs(r - true_p) < 1e-4:
        raise NotYet(
            "precision and recall are swapped. Precision divides by column 3 (everything *called* 3), recall by row 3 (every real 3)."
        )
    if abs(p / 100 - true_p) < 1e-4 or abs(r / 100 - true_r) < 1e-4:
        raise NotYet("those are percentages; give shares between 0 and 1.")
    if p_ok:
        raise NotYet("the precision is right; recall divides the same diagonal count by row 3's sum, the real 3s.")
    if r_ok:
        raise NotYet(
            "the recall is right; precision divides the same diagonal count by column 3's sum, everything called 3."
        )
    raise NotYet("start from the diagonal entry `confusion[3, 3]`, the 3s called 3.")


@exercise(
    "05.2",
    title="Weighted recall",
    task="""
The report's recall is a plain (macro) mean: every digit counts the same. Instead, weight each
digit's recall by how many test images it has (`report.confusion.sum(dim=1)`, the row sums) and
take that average. Which other number of the report do you get, and why?
""",
    starter="""
weighted_recall = ...  # your answer: a number between 0 and 1

check("05.2", weighted_recall, confusion=report.confusion)
""",
    solution="""
support = report.confusion.sum(dim=1)  # [10]: test images of each digit
weighted_recall = ((report.class_recall * support).sum() / support.sum()).item()
""",
    why="""
It is exactly the accuracy. Each digit's recall is its right answers divided by its number of
images, so weighting it by that number gives back the right answers; summed over the digits and
divided by all images, that is accuracy. So the weighted average hides a weak rare digit just as
accuracy does, while the macro average lets every digit count the same: that is why DL4J (and
most reports) prefer it for per-class metrics.
""",
    hint="`report.class_recall` holds the ten recalls; multiply each by its digit's image count, sum, and divide by all 10,000 images.",
)
def _weighted_recall(answer, given):
    confusion = _confusion(given, 'check("05.2", weighted_recall, confusion=report.confusion)')
    value = _number(answer)
    support = confusion.sum(dim=1).double()
    recall = confusion.diag().double() / support
    truth = ((recall * support).sum() / support.sum()).item()
    macro = recall.mean().item()
    if abs(value - macro) < 1e-7 and abs(macro - truth) > 1e-7:
        raise NotYet(
            "that is the plain mean, the report's macro recall; weight each digit by its number of test images."
        )
    if abs(value - truth) < 1e-6:
        return f"{truth:.4f}, the report's accuracy: weighting each recall by its images gives back right answers / all images."
    if abs(value / 100 - truth) < 1e-4:
        raise NotYet("that is a percentage; give a share between 0 and 1.")
    raise NotYet(
        "multiply each digit's recall by its image count (the row sums), add them up, then divide by the total."
    )


@exercise(
    "05.3",
    title="Choose a threshold",
    task="""
Say a wrong "9" is very costly: you want **precision of at least 0.99** when flagging 9s, and
as much recall as that allows. Which is the **lowest** threshold in `thresholds` that reaches
precision 0.99? (The curves above and the lists `precisions` and `recalls` hold what you need.)
""",
    starter="""
strict_threshold = ...  # your answer: one of the values in `thresholds`

check("05.3", strict_threshold, score=score, sick=sick)
""",
    solution="""
strict_threshold = next(t.item() for t, p in zip(thresholds, precisions) if p >= 0.99)  # the first one precise enough
""",
    why="""
Precision mostly rises with the threshold while recall falls, so the first threshold that reaches
0.99 keeps the most recall: any higher one would miss more 9s for no gain. With the reference model it
is 0.81: the network then finds about 91% of the 9s, against about 96% at its usual decision,
the most probable digit, where its precision for 9 is 0.97. That is the trade-off in numbers:
five points of recall buy two points of precision.
""",
    hint="Go through `thresholds` and `precisions` together (`zip`) and stop at the first precision of at least 0.99.",
)
def _threshold(answer, given):
    how = 'check("05.3", strict_threshold, score=score, sick=sick)'
    score, sick = torch.as_tensor(_given(given, "score", how)), torch.as_tensor(_given(given, "sick", how)).bool()
    t = _number(answer)
    if not 0 < t < 1:
        raise NotYet("a threshold on a probability lies between 0 and 1; give one of the values in `thresholds`.")

    def precision_recall(threshold):
        flagged = score >= threshold
        caught = (flagged & sick).sum().item()
        return caught / max(1, flagged.sum().item()), caught / max(1, sick.sum().item())

    grid = torch.linspace(0.01, 0.99, 99)
    good = [g.item() for g in grid if precision_recall(g.item())[0] >= 0.99]
    if not good:
        raise NotYet(
            "no threshold in `thresholds` reaches precision 0.99 with this model: a better-trained one does (notebook 04)."
        )
    lowest = good[0]
    p, r = precision_recall(t)
    if p < 0.99:
        raise NotYet(f"at {t:g} precision is {p:.4f}, below 0.99: raise the threshold.")
    if t <= lowest + 1e-6:
        return f"at {lowest:.2f} precision is {p:.4f} and recall {r:.4f}: the most 9s you can find while staying 99% precise."
    raise NotYet(
        f"{t:g} reaches the precision, but a lower threshold does too and finds more 9s (recall {r:.4f} here): find the lowest."
    )


# ==================================================================================================
# 06 · The playground
# ==================================================================================================


def _runs_with_lr(runs, lr):
    """The runs whose learning rate is `lr` (to 6 significant digits), latest last."""
    return [r for r in runs if math.isclose(r.config.lr, lr, rel_tol=1e-6)]


def _learned(run) -> bool:
    """A run that ran to its end and reads at least half the test digits right."""
    return run.status == "done" and run.accuracy >= 0.5


@exercise(
    "06.1",
    title="Find the edge",
    task="""
Somewhere between DL4J's cautious 0.006 and the 5 that blew up, the learning rate crosses an
edge. Find it to within a factor of 2: a learning rate whose run **learns** (finishes with at
least 50% test accuracy) and one at most twice as large that **fails** (the guard stops it, or it
ends below 50%). Change only the learning rate between the two runs; one epoch on 25% of the
images is plenty (`pg.run(lr=..., epochs=1)` or the sliders).
""",
    starter="""
edge = (..., ...)  # your answer: (a learning rate that learns, one at most 2x larger that fails)

check("06.1", edge, runs=pg.runs)
""",
    solution="""
for trial_lr in [0.5, 1.0]:
    print(pg.run(lr=trial_lr, momentum=0.9, l2=1e-4, epochs=1, train_fraction=0.25))
edge = (0.5, 1.0)  # 0.5 learns (about 84% after one epoch, less than 0.3's 93%); 1.0 ends near 30%, 2 and more diverge
""",
    why="""
With momentum 0.9, learning rates up to about 0.5 learn, and faster than DL4J's 0.006 in a short
run, though 0.5 already does worse than 0.3. Around 1 the loss jumps to tens in the first steps and the network ends far below where it
started to learn; from 2 on the guard stops the run within a few steps. The edge moves with the
other settings: without momentum every step is about ten times shorter, so the edge sits about
ten times higher. Safe training stays well below the edge: DL4J's 0.006 gives up speed for
a steady descent over many epochs.
""",
    hint="Try 0.3, 1 and 3 with the same other settings; then halve the gap between the last one that learned and the first that failed.",
)
def _edge(answer, given):
    runs = list(_given(given, "runs", 'check("06.1", edge, runs=pg.runs)'))
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise NotYet("give two learning rates, as `edge = (learns, fails)`.")
    low, high = _number(answer[0], "the first learning rate"), _number(answer[1], "the second learning rate")
    if not low < high:
        raise NotYet("put the smaller learning rate first: `(one that learns, a larger one that fails)`.")
    for lr in (low, high):
        if not _runs_with_lr(runs, lr):
            raise NotYet(
                f"no run in `pg.runs` has lr = {lr:g}: train it first (`pg.run(lr={lr:g}, epochs=1)` or the sliders)."
            )
    pairs = [
        (a, b)
        for a in _runs_with_lr(runs, low)
        for b in _runs_with_lr(runs, high)
        if {k: v for k, v in a.settings.items() if k != "lr"} == {k: v for k, v in b.settings.items() if k != "lr"}
    ]
    if not pairs:
        raise NotYet(
            "your two runs differ in more than the learning rate: rerun them with the same momentum, L2, epochs and share."
        )
    a, b = pairs[-1]
    if not _learned(a):
        raise NotYet(
            f"the run with lr = {low:g} did not learn either ({a.status}, {a.accuracy:.1%}): try smaller values."
        )
    if _learned(b):
        raise NotYet(f"lr = {high:g} still learns ({b.accuracy:.1%}): the edge is higher. Try larger values.")
    if high > 2 * low * (1 + 1e-9):
        raise NotYet(
            f"the edge is between {low:g} and {high:g}, {high / low:.3g} times apart: try a value in between to narrow it to 2x."
        )
    failed = "the guard stopped it" if b.status == "diverged" else f"it ended at {b.accuracy:.1%}"
    return (
        f"with momentum {a.config.momentum:g}, lr {low:g} learns ({a.accuracy:.1%}) and lr {high:g} fails "
        f"({failed}): the edge lies between them."
    )


@exercise(
    "06.2",
    title="Beat the cautious default",
    task="""
One epoch on 25% of the training images with DL4J's settings reads about 88% of the test digits
right. With the **same budget** (1 epoch, 25% of the images), find settings that reach **at least
92%**. Any learning rate, momentum and L2 are allowed. Then hand in that run. When you are done,
**Reset to DL4J** puts every slider back.
""",
    starter="""
fast_run = ...  # your answer: a run from the playground, e.g. pg.runs[-1]

check("06.2", fast_run)
""",
    solution="""
fast_run = pg.run(lr=0.3, momentum=0.9, l2=1e-4, epochs=1, train_fraction=0.25)  # about 93%
""",
    why="""
A learning rate of 0.2 to 0.3 with DL4J's momentum reaches 92-93% in one short epoch, against
88% for 0.006: in a short run, bolder steps pay. Go much further (0.7 and up) and the first steps
overshoot, and the run ends worse. DL4J's careful 0.006 is tuned for the long run: over 15 epochs
its steadiness adds up to 97%. Finding such settings by trying them, one change at a time, is how
hyperparameters get tuned in practice.
""",
    hint="DL4J's learning rate is tuned for 15 epochs; for one short epoch, try learning rates 10 to 50 times larger.",
)
def _fast_run(answer, given):
    needed = ("config", "status", "accuracy")
    if not all(hasattr(answer, name) for name in needed):
        raise NotYet(f"give one run of the playground (e.g. `pg.runs[-1]`), not a {type(answer).__name__}.")
    c = answer.config
    if c.epochs != 1 or c.train_fraction > 0.25 + 1e-9:
        raise NotYet(
            f"that run had {c.epochs} epochs on {c.train_fraction:.0%} of the images; the budget is 1 epoch on 25% (or less)."
        )
    if answer.status != "done":
        raise NotYet(f"that run did not finish ({answer.status}); hand in one that ran its epoch to the end.")
    if answer.accuracy >= 0.92:
        return f"{answer.accuracy:.2%} in one short epoch, with lr {c.lr:g}, momentum {c.momentum:g}, L2 {c.l2:g}."
    if c.lr <= 0.01:
        raise NotYet(
            f"{answer.accuracy:.1%}: with lr {c.lr:g} each step is small, and one short epoch is only {answer.steps} steps. Try larger."
        )
    raise NotYet(
        f"{answer.accuracy:.1%} with lr {c.lr:g}, momentum {c.momentum:g}: close? Try neighbouring learning rates, and keep momentum."
    )


# ==================================================================================================
# 07 · Next steps
# ==================================================================================================


@exercise(
    "07.1",
    title="Weights of a convolution",
    task="""
How many parameters does the CNN's **second** convolutional layer, `nn.Conv2d(8, 16,
kernel_size=5)`, have? Each of its 16 filters is 5 × 5 pixels over **all 8 channels** the first
layer produced, and each filter has one bias. Work it out, then compare with the printed total.
""",
    starter="""
conv2_params = ...  # your answer: a whole number

check("07.1", conv2_params, model=small_cnn)
""",
    solution="""
conv2_params = 16 * (8 * 5 * 5) + 16  # 16 filters of 8 x 5 x 5 weights, plus 16 biases
""",
    why="""
16 × 8 × 5 × 5 + 16 = 3,216. A filter looks at a 5 × 5 patch in every one of the 8 input
channels at once, so it has 200 weights, not 25. Even so the whole CNN has about 11,000
parameters, some 70 times fewer than the reference MLP: each filter is reused at every position of
the image instead of having its own weight per pixel.
""",
    hint="One filter = 8 channels × 5 × 5 weights. There are 16 filters, and each has a bias.",
)
def _conv_params(answer, given):
    from torch import nn

    model = _given(given, "model", 'check("07.1", conv2_params, model=small_cnn)')
    if callable(model) and not isinstance(model, nn.Module):  # the function that builds the CNN
        with torch.random.fork_rng(devices=[]):
            model = model()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)] if isinstance(model, nn.Module) else []
    if len(convs) < 2:
        raise NotYet("pass the function that builds the CNN: `model=small_cnn`.")
    conv = convs[1]
    n = _whole_number(answer)
    truth = sum(p.numel() for p in conv.parameters())
    k = conv.kernel_size[0] * conv.kernel_size[1]
    if n == truth:
        return f"{conv.out_channels} × {conv.in_channels} × {k} + {conv.out_channels} = {truth:,}: each filter sees all {conv.in_channels} channels."
    if n == conv.out_channels * k + conv.out_channels:
        raise NotYet(
            f"each filter covers all {conv.in_channels} input channels, not just one: {conv.in_channels} × 5 × 5 weights per filter."
        )
    if n == truth - conv.out_channels:
        raise NotYet("you counted the weights; add one bias per filter.")
    raise NotYet("weights per filter (input channels × 5 × 5) times the number of filters, plus one bias per filter.")


@exercise(
    "07.2",
    title="Train the deeper MLP",
    task="""
Train the deeper MLP of section 1 on the same quick budget as the two networks above (same seed,
optimizer settings, batch order and epochs; `fit` takes any model) and give its final **test
accuracy**. How does it compare with the reference MLP and the CNN?
""",
    starter="""
deeper_accuracy = ...  # your answer: a share between 0 and 1

check("07.2", deeper_accuracy, model=deeper, test=test)
""",
    solution="""
torch.manual_seed(config.seed)
deeper = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
batch_order = torch.Generator().manual_seed(config.seed)
deeper_history = fit(deeper, sgd(deeper, lr=config.lr, momentum=config.momentum, l2=config.l2, batch_size=config.batch_size, l2_rule=config.l2_rule), train, test,
                     epochs=config.epochs, batch_size=config.batch_size, generator=batch_order)
deeper_accuracy = deeper_history.test_accuracy[-1]
""",
    why="""
`fit` does not care which network it trains: any `nn.Module` that maps [B, 784] images to [B, 10]
scores will do. On this short budget the deeper MLP (with PyTorch's default start weights) ends
behind the reference MLP, and far behind the CNN: more layers make training more delicate, and
they still do not tell the network that pixels have neighbours. Comparisons like this one, same data, same budget, one change, are how you find out
which idea is worth its cost.
""",
    hint="The loop of the comparison cell does it for two models; do the same for `deeper`: seed, optimizer with `sgd`, then `fit`.",
)
def _deeper_accuracy(answer, given):
    from helpers.loop import accuracy

    how = 'check("07.2", deeper_accuracy, model=deeper, test=test)'
    model, test = _given(given, "model", how), _given(given, "test", how)
    share = _number(answer)
    truth = accuracy(model, test)
    if truth < 0.2:
        raise NotYet(
            f"`deeper` reads only {truth:.0%} of the test digits right: it has not been trained yet. Train it with `fit` first."
        )
    if abs(share - truth) < 1e-4:
        return f"the deeper MLP reads {truth:.2%} of the test digits right. Compare with the table above."
    if abs(share / 100 - truth) < 1e-4:
        raise NotYet("that is a percentage; give a share between 0 and 1.")
    raise NotYet(
        "that is not what `deeper` scores now; give its last test accuracy (`history.test_accuracy[-1]` of its run)."
    )
