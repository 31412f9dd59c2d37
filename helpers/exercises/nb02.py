"""Notebook 02, hyperparameters: the checks of exercises 02.1, 02.2, 02.3; their text is in notebooks/02_hyperparameters.ipynb."""

from helpers.config import Config
from helpers.exercises.core import NotYet, exercises_in, needs, number

exercise = exercises_in("02_hyperparameters")


@exercise(
    "02.1",
    minutes=3,  # copy the loop, change the rates, read 4 lines: tried, about three minutes
    title="Which learning rate diverges?",
    hint="Run the loop above with the four rates and print w after 20 steps. Jumping across 5 is not yet "
    "diverging: is the distance to 5 growing?",
)
def _diverged(answer, given):
    lr = round(number(answer), 9)
    candidates = (0.1, 0.5, 0.9, 1.1)
    if lr not in candidates:
        raise NotYet(f"give one of the four learning rates tried: {', '.join(map(str, candidates))}.")
    distance = 3 * abs(1 - 2 * lr) ** 20  # from w = 2, each step multiplies the distance to 5 by (1 - 2 lr)
    if distance > 3:
        return f"after 20 steps lr {lr} is {distance:,.0f} away from 5, having started 3 away."
    settles = "it jumps across 5, but ever less far, so it still settles" if lr > 0.5 else "it converged"
    raise NotYet(f"lr {lr} ends {distance:.3g} from 5: {settles}. Look for one whose distance grows.")


@exercise(
    "02.2",
    minutes=3,  # recall the tenfold, one .replace(...): tried, about three minutes
    title="Your own Config",
    hint="Start from `Config()` and change two fields with `.replace(...)`. With momentum 0.9 a steady step is "
    "1 / (1 - 0.9) times the plain one: how large must the plain learning rate be?",
)
def _no_momentum(answer, given):
    if not isinstance(answer, Config):
        raise NotYet(f"give a Config (e.g. `Config().replace(...)`), not a {type(answer).__name__}.")
    dl4j = Config()
    same_stride = dl4j.lr / (1 - dl4j.momentum)  # a steady step with momentum is lr / (1 - momentum) gradients long
    if answer.momentum != 0:
        raise NotYet(f"its momentum is {answer.momentum:g}; without momentum means 0 (DL4J's is {dl4j.momentum:g}).")
    if abs(answer.lr - dl4j.lr) < 1e-12:
        raise NotYet(f"with lr {dl4j.lr:g} and no momentum, a steady step is ten times shorter than DL4J's: raise lr.")
    if abs(answer.lr - same_stride) > 1e-9:
        raise NotYet(f"lr {answer.lr:g} does not match: momentum makes a steady step 1 / (1 - momentum) times lr long.")
    changed = [k for k, v in answer.to_dict().items() if v != getattr(dl4j, k) and k not in ("lr", "momentum")]
    if changed:
        raise NotYet(f"only lr and momentum should differ from DL4J's, not {', '.join(changed)}: start from Config().")
    return f"without momentum, lr {answer.lr:g} steps as far on a steady slope as DL4J's {dl4j.lr:g} with momentum."


@exercise(
    "02.3",
    minutes=5,  # equate two per-step shares, solve for weight_decay: tried, about five minutes
    title="DL4J's l2 in PyTorch",
    hint="Per step, DL4J's rule removes l2 / batch_size of each weight; PyTorch's about lr × weight_decay / (1 − momentum). "
    "Set the two equal and solve for weight_decay.",
)
def _weight_decay(answer, given):
    config = needs(given, "config", 'check("02.3", weight_decay, config=config)')
    if not isinstance(config, Config):
        raise NotYet("pass DL4J's settings: `config=config` (a Config).")
    decay = number(answer)
    dl4j_share = config.l2 / config.batch_size  # per step, outside lr and momentum
    truth = dl4j_share * (1 - config.momentum) / config.lr  # lr * decay / (1 - momentum) == dl4j_share
    if abs(decay - truth) <= 1e-2 * truth:  # two significant digits are enough
        return f"a weight_decay of {truth:.3g} pulls like DL4J's l2 {config.l2:g} at these settings."
    if abs(decay - config.l2) < 1e-12:
        raise NotYet("that is the same number, but PyTorch's acts through lr and momentum, DL4J's through batch size.")
    if abs(decay - dl4j_share / config.lr) <= 1e-3 * truth:
        raise NotYet("close: momentum carries PyTorch's pull too, making it 1 / (1 − momentum) times larger.")
    if abs(decay - dl4j_share * (1 - config.momentum)) <= 1e-3 * truth:
        raise NotYet("close: PyTorch's pull is multiplied by the learning rate as well; divide by lr.")
    raise NotYet("write both per-step shares, set them equal, and solve for weight_decay.")
