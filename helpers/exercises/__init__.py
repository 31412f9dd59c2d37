"""The notebooks' "Try it" exercises: `check(id, answer)` says whether an answer is right, `hint(id)` gives a nudge,
`show_solution(id)` prints the folded solution. The checks live in one module per notebook, on the framework in `core`.
"""

# Importing the notebooks' modules registers their checks, in the order of the notebooks.
from helpers.exercises import nb01, nb02, nb03, nb04, nb05, nb06, nb07  # noqa: F401
from helpers.exercises.core import EXERCISES, check, exercises_of, hint, reset_help, show_solution, verdict

__all__ = ["EXERCISES", "check", "exercises_of", "hint", "reset_help", "show_solution", "verdict"]
