"""Notebook 06, the playground: the checks of exercises 06.1, 06.2; their text is in notebooks/06_playground.ipynb."""

import math

from helpers.exercises.core import NotYet, exercises_in, needs, number

exercise = exercises_in("06_playground")

# The checks read a run only through pg.runs and each run's config, status, accuracy and steps: the
# playground's public face, so that they keep working whatever it does inside.


def _runs_with_lr(runs, lr):
    """The runs whose learning rate is `lr` (to 6 significant digits), latest last."""
    return [r for r in runs if math.isclose(r.config.lr, lr, rel_tol=1e-6)]


def _learned(run) -> bool:
    """A run that ran to its end and reads at least half the validation images right."""
    return run.status == "done" and run.accuracy >= 0.5


@exercise(
    "06.1",
    minutes=4,  # four one-epoch runs of a few seconds each (0.3, 1, 3, then 2), then the answer
    title="Find the edge",
    hint="Try 0.3, 1 and 3 with the same other settings; then halve the gap between the last one that learned and the first that failed.",
)
def _edge(answer, given):
    runs = list(needs(given, "runs", 'check("06.1", edge, runs=pg.runs)'))
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise NotYet("give two learning rates, as `edge = (learns, fails)`.")
    low, high = sorted((number(answer[0], "the first learning rate"), number(answer[1], "the second learning rate")))
    lows, highs = _runs_with_lr(runs, low), _runs_with_lr(runs, high)
    for lr, found in ((low, lows), (high, highs)):
        if not found:
            raise NotYet(f"no run in `pg.runs` has lr = {lr:g}: train it first (`pg.run(lr={lr:g}, epochs=1)`).")
    pairs = [(a, b) for a in lows for b in highs if a.config.replace(lr=b.config.lr) == b.config]
    if not pairs:
        raise NotYet("your two runs differ in more than the learning rate: rerun them with the same other settings.")
    a, b = pairs[-1]
    if not _learned(a):
        raise NotYet(f"lr {low:g} did not learn either ({a.status}, {a.accuracy:.1%}): try smaller values.")
    if _learned(b):
        raise NotYet(f"lr {high:g} still learns ({b.accuracy:.1%}): the edge is higher. Try larger values.")
    if high > 2 * low * (1 + 1e-9):
        raise NotYet(f"the edge is between {low:g} and {high:g}, {high / low:.3g} times apart: narrow it to 2x.")
    return f"lr {low:g} learns ({a.accuracy:.1%}) and lr {high:g} fails: the edge lies between them."


@exercise(
    "06.2",
    minutes=4,  # two or three runs with bolder learning rates, then hand one in
    title="Beat the cautious default",
    hint="DL4J's learning rate is tuned for 15 epochs; for one short epoch, try learning rates 10 to 50 times larger.",
)
def _fast_run(answer, given):
    needed = ("config", "status", "accuracy", "steps")
    if not all(hasattr(answer, name) for name in needed):
        raise NotYet(f"give one run of the playground (e.g. `pg.runs[-1]`), not a {type(answer).__name__}.")
    c = answer.config
    if c.epochs != 1 or c.train_fraction > 0.25 + 1e-9:
        raise NotYet(f"that run had {c.epochs} epochs on {c.train_fraction:.0%} of the images; the budget is 1 on 25%.")
    if answer.status != "done":
        raise NotYet(f"that run did not finish ({answer.status}); hand in one that ran its epoch to the end.")
    if answer.accuracy >= 0.92:
        return f"{answer.accuracy:.2%} of the validation images in one short epoch, with lr {c.lr:g}."
    if c.lr <= 0.01:
        raise NotYet(f"{answer.accuracy:.1%}: lr {c.lr:g} takes small steps, {answer.steps} in all. Try larger.")
    raise NotYet(f"{answer.accuracy:.1%} with lr {c.lr:g}: close? Try neighbouring learning rates, and keep momentum.")
