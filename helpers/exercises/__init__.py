"""The notebooks' "Try it" exercises: check an answer, get a hint, see the solution only when you ask.

In a notebook each exercise is three cells: the task (markdown), a code cell to fill in,

    lazy_accuracy = ...  # your answer
    check("01.1", lazy_accuracy)

and the solution, folded away in a collapsed cell that never runs. `check` prints a verdict: right,
or not yet with a hint. An answer left as `...` (or None) prints "not answered yet" and never
raises, so a notebook runs top to bottom with its exercises open. Stuck? `hint("01.1")`.
Want to compare? `show_solution("01.1")` prints the folded cell.

The notebooks hold each exercise's text; this package holds the checks, one module per notebook
(nb01 ... nb07), on the framework in `core`. Each check works the right answer out from the data, a
model or the objects you pass it, not from a number typed in here, and leaves torch's random numbers
as they were (your next cells give the same results whether or not you checked).

Start over with DL4J's settings in one step: `config = Config()` (helpers.config); in the
playground, the "Reset to DL4J" button (or `pg.reset()`). `reset_help()` prints how.
"""

# Importing the notebooks' modules registers their checks, in the order of the notebooks.
from helpers.exercises import nb01, nb02, nb03, nb04, nb05, nb06, nb07  # noqa: F401
from helpers.exercises.core import (
    EXERCISES,
    RESET_HELP,
    Exercise,
    NotYet,
    Unanswered,
    Verdict,
    check,
    exercises_of,
    get,
    hint,
    reset_help,
    show_solution,
    verdict,
)

__all__ = [
    "EXERCISES",
    "RESET_HELP",
    "Exercise",
    "NotYet",
    "Unanswered",
    "Verdict",
    "check",
    "exercises_of",
    "get",
    "hint",
    "reset_help",
    "show_solution",
    "verdict",
]
