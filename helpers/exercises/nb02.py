"""Notebook 02, hyperparameters: the checks of exercises 02.1, 02.2, 02.3; their text is in notebooks/02_hyperparameters.ipynb."""

import torch

from helpers.config import Config
from helpers.exercises.core import NotYet, _given, _number, exercises_in

exercise = exercises_in("02_hyperparameters")


@exercise(
    "02.1",
    title="Your own Config",
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
