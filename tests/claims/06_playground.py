"""What notebook 06_playground claims, asserted in its own kernel after its last cell (tests/nbrun.py)."""

import math

import torch

from helpers.guard import CHANCE, EXPLODED, WARMUP_STEPS

# the guard as the notebook describes it: a loss above 50, over 20 times the even-guess loss ln 10;
# at chance, 12% or less, after 100 steps
assert (EXPLODED, CHANCE, WARMUP_STEPS) == (50, 0.12, 100) and EXPLODED > 20 * math.log(10)

# the session: DL4J's settings, then only the learning rate changed, then a run the guard stops
first, second, third = pg.runs[:3]
assert first.settings == dict(
    lr=0.006, momentum=0.9, l2=1e-4, batch_size=128, epochs=epochs, train_fraction=train_fraction
)
assert second.settings == {**first.settings, "lr": 0.1}
assert third.status == "diverged" and "too high" in third.message, third.message
assert abs(first.losses[0] - math.log(10)) < 0.3, "the loss starts near ln 10"


def weight_norm(model) -> float:
    """The length of all the weights (not the biases) as one vector."""
    return torch.cat([model.hidden.weight.flatten(), model.output.weight.flatten()]).norm().item()


if (epochs, train_fraction, experiment_fraction, seed) == (1, 0.25, 0.1, 123):  # the prose reads these runs
    assert second.accuracy >= first.accuracy + 0.03, "the larger step gets much further in one short epoch"
    assert first.accuracy < 0.92, "06.2 asks for more than DL4J's settings reach"

    small, dl4j, bold, wild = lr_pg.runs
    assert [r.config.lr for r in lr_pg.runs] == [0.0006, 0.006, 0.06, 2.0]
    assert small.accuracy < 0.5, "0.0006 reads fewer than half the validation images right"
    assert bold.accuracy == max(r.accuracy for r in lr_pg.runs), "0.06 gets furthest"
    assert wild.losses[0] < 3 and max(wild.losses[:10]) > 100, "lr 2: from about 2 to over 100 within a few steps"
    assert wild.status == "done" and wild.accuracy < 0.25, "without the guard, lr 2 runs on and ends near chance"

    momentum_accuracy = [r.accuracy for r in momentum_pg.runs]
    assert momentum_accuracy == sorted(momentum_accuracy), "momentum 0, 0.5, 0.9: better and better"

    no_l2, dl4j_l2, some_l2, strong_l2 = l2_pg.runs
    norms = [weight_norm(r.model) for r in l2_pg.runs]
    assert dl4j_l2.accuracy == no_l2.accuracy and f"{norms[1]:.2f}" == f"{norms[0]:.2f}", "1e-4: no visible change"
    assert abs(some_l2.accuracy - no_l2.accuracy) < 0.005 and abs(norms[2] / norms[0] - 1) < 0.01, "0.01: barely"
    assert norms[3] < 0.75 * norms[0] and strong_l2.accuracy < no_l2.accuracy, "1: over a quarter off, fewer right"

    b16, b128, b1024 = batch_pg.runs
    assert b16.accuracy > b128.accuracy > b1024.accuracy, "in one epoch, small batches get furthest"
    assert b1024.steps == 6
    assert b16.seconds > max(b128.seconds, b1024.seconds), "the epoch of batch 16 takes the longest"
