"""Notebook 03, building the layers: the checks of exercises 03.1, 03.2, 03.3; their text is in notebooks/03_building_layers.ipynb."""

import torch

from helpers.exercises.core import NotYet, call, exercises_in, whole_number

exercise = exercises_in("03_building_layers")


@exercise(
    "03.1",
    minutes=4,  # read the task, write two lines (exp, then divide by the row sums), usually one retry for keepdim
    title="Softmax for a whole batch",
    hint="Exponentiate, then divide each row by the sum of that row: `.sum(dim=1, keepdim=True)`.",
)
def _softmax(answer, given):
    scores = torch.randn(4, 10, generator=torch.Generator().manual_seed(3)) * 3
    out = call(answer, scores.clone(), name="my_softmax")
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
            raise NotYet("all your numbers together sum to 1; each row should: sum over dim=1, keepdim=True.")
        if (out < 0).any():  # log-probabilities, or the scores themselves
            raise NotYet("some of your 'probabilities' are negative: exponentiate the scores first.")
        raise NotYet("each row should be exp(score) divided by the sum of exp over that row.")
    big = call(answer, scores.clone() + 1000, name="my_softmax")
    if isinstance(big, torch.Tensor) and torch.allclose(big.detach().to(torch.float32), expected, atol=1e-5):
        return "and it even survives huge scores (it subtracts the maximum first), like torch.softmax."
    return "it matches torch.softmax. Bonus: `my_softmax(scores + 1000)` gives nan, as exp(1000) overflows."


@exercise(
    "03.2",
    minutes=4,  # five parts in an nn.Sequential, each Linear's size matched to the one before
    title="A deeper network",
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
        raise NotYet(f"its Linear layers go {sizes}; they should go 784 → 256 → 128 → 10.")
    kinds = [type(m).__name__ for m in parts]
    if kinds != ["Linear", "ReLU", "Linear", "ReLU", "Linear"]:
        raise NotYet(f"its parts are {', '.join(kinds)}; they should be Linear, ReLU, Linear, ReLU, Linear.")
    scores = call(answer, torch.zeros(2, 784), name="deeper")
    if not isinstance(scores, torch.Tensor) or scores.shape != (2, 10):
        raise NotYet("for a batch of 2 images it should give scores of shape [2, 10].")
    n = count_parameters(answer)
    return f"{n:,} parameters, {n / 795_010:.0%} of DL4J's network."


@exercise(
    "03.3",
    minutes=3,  # two layers' weights and biases, by hand, then the one-line count
    title="Count the parameters",
    hint="Each Linear(n_in, n_out) has n_in × n_out weights and n_out biases. Add both layers.",
)
def _params(answer, given):
    from helpers.model import count_parameters, mlp

    n = whole_number(answer)
    truth = count_parameters(mlp(500))
    if n == truth:
        return f"{truth:,} parameters, as PyTorch counts them."
    if n == 784 * 500 + 500 * 10:
        raise NotYet("you counted the weights; each layer also has one bias per output unit.")
    if n == 795_010:
        raise NotYet("795,010 is DL4J's network with 1000 hidden units; this one has 500.")
    if n == 784 * 500 + 500:
        raise NotYet("that is the hidden layer alone; add the output layer (500 → 10).")
    raise NotYet("count each layer: weights (inputs × outputs) plus biases (one per output).")
