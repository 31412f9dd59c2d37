"""The exercises' framework: the registry, check/hint/show_solution, and the helpers that read an answer.

Each notebook's module (nb01 ... nb07) registers its judges with `exercises_in(notebook)`; a judge works the right
answer out from the data, a model or the objects it is given. The task, starter and solution are notebook cells.
"""

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import torch

# The repository's notebooks: where show_solution looks when the working folder holds no copy.
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

# The folded solution cell: <details><summary>Solution 01.1 (...)</summary>, a ```python block, then the why.
SOLUTION = r"<summary>\s*Solution {id}\b[^<]*</summary>\s*```python\n(.*?)\n```(.*?)</details>"


@dataclass(frozen=True)
class Exercise:
    """One "Try it": its id, title and hint, the notebook whose cells hold its text, and its check."""

    id: str  # "01.1": notebook 01, exercise 1
    title: str  # a few words, as in the notebook's heading "### ✏️ Try it 01.1: TITLE"
    hint: str  # a nudge that does not give the answer away
    minutes: int  # what it takes a learner, estimated by trying it (tools/prose_words.py counts it)
    judge: object  # judge(answer, given) -> praise (str); raises NotYet(hint) when wrong
    notebook_name: str  # "01_dataset": the task, starter and solution are cells of 01_dataset.ipynb

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
        """Whether the answer was right."""
        return self.status == "right"

    def __str__(self) -> str:
        mark = {"right": "✅", "wrong": "❌", "unanswered": "✏️"}[self.status]
        return f"{mark} {self.exercise}: {self.message}"


class NotYet(Exception):
    """Raised by a judge: the answer is not right; the message is the hint."""


class Unanswered(Exception):
    """Raised by a judge: there is nothing to check yet (e.g. a function that returns nothing)."""


EXERCISES = {}  # id -> Exercise, in the order they appear in the notebooks (nb01 ... nb07 register in turn)


def exercises_in(notebook_name: str):
    """The decorator `@exercise(id, title=..., hint=...)` that registers a judge of notebook `notebook_name`."""

    def exercise(id, *, title, hint, minutes):
        def register(judge):
            EXERCISES[id] = Exercise(id, title, hint.strip(), minutes, judge, notebook_name)
            return judge

        return register

    return exercise


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
        with torch.random.fork_rng(devices=[]):  # a check leaves the notebook's random numbers as they were
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
    """Print the exercise's solution and what it teaches, read from its notebook: call it only when you want it."""
    ex = get(exercise_id)
    looked = []
    for folder in _folders():
        path = folder / f"{ex.notebook_name}.ipynb"
        try:
            code, why = _read_solution(path, ex.id)
        except LookupError as e:
            looked.append(f"{path} ({e})")
            continue
        print(f"Solution {ex.id} ({ex.title}):\n\n{code}\n\n{why}")
        return
    # One line, never a traceback: the learner asked for help, not for a new problem.
    print(
        f"Solution {ex.id}: its notebook was not found; looked in {' and '.join(looked)}. "
        f"Run this from the tutorial's notebooks/ folder, or get the notebook back: "
        f"git checkout notebooks/{ex.notebook_name}.ipynb"
    )


def exercises_of(notebook: str) -> list:
    """The exercises of one notebook ("01" or "01_dataset"), in order."""
    return [ex for ex in EXERCISES.values() if ex.notebook == notebook[:2]]


def reset_help() -> None:
    """Print how to put the config and the playground back to DL4J's defaults."""
    print(
        "Back to DL4J's settings in one step:\n"
        "  config = Config()   # from helpers.config import Config: every field at DL4J's value\n"
        "  playground: press 'Reset to DL4J' (or run pg.reset()): every slider back to DL4J's value\n"
        "  a notebook whose cells you edited: in a terminal, git checkout notebooks/<name>.ipynb, then reopen it"
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _folders() -> list:
    """Where to look for a notebook: the working folder first (a notebook runs in its own), then the repository's."""
    try:
        here = Path.cwd()
    except OSError:  # the working folder was deleted under the kernel
        return [NOTEBOOKS]
    return [here] if here.resolve() == NOTEBOOKS.resolve() else [here, NOTEBOOKS]


def _read_solution(path: Path, exercise_id: str) -> tuple:
    """(code, why) of the folded solution cell of `exercise_id` in the notebook at `path`; LookupError says why not."""
    if not path.is_file():
        raise LookupError("no such file")
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources = ["".join(c["source"]) for c in cells if c.get("cell_type") == "markdown"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:  # not a notebook, or a damaged one
        raise LookupError(f"unreadable: {type(e).__name__}") from None
    pattern = re.compile(SOLUTION.replace("{id}", re.escape(exercise_id)), re.S)
    for source in sources:
        found = pattern.search(source)
        if found:
            return found[1], found[2].strip()
    raise LookupError(f"no folded solution {exercise_id} in it")


def _unanswered(answer) -> bool:
    """`...` or None, alone or inside a tuple/list (e.g. `(mean, std)` with one still open)."""
    parts = answer if isinstance(answer, (tuple, list)) else [answer]
    return any(a is None or a is Ellipsis for a in parts)


def number(answer, what="your answer") -> float:
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


def whole_number(answer, what="your answer") -> int:
    """`answer` as an int; NotYet if it has a fractional part."""
    x = number(answer, what)
    if x != int(x):
        raise NotYet(f"{what} is {x:g}; this asks for a whole number (a count).")
    return int(x)


def share(answer, truth: float, what="your answer") -> bool:
    """Whether `answer` is the share `truth` (0-1, to 1e-4); NotYet when it is that share as a percentage."""
    x = number(answer, what)
    if abs(x - truth) >= 1e-4 and abs(x / 100 - truth) < 1e-4:
        raise NotYet(f"{what} is a percentage; give a share between 0 and 1 (divide by 100).")
    return abs(x - truth) < 1e-4


def needs(given: dict, name: str, how: str):
    """The object the learner passed as `name=`, or NotYet telling how to pass it."""
    if name not in given:
        raise NotYet(f"this check also needs `{name}`: call it as {how}")
    return given[name]


def call(function, *args, name="your function"):
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
