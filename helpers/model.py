"""DL4J's single-hidden-layer network in plain torch.nn, its Xavier init, and its optimizer."""

from collections import OrderedDict

import torch
from torch import nn


def mlp(num_inputs: int = 784, hidden: int = 1000, num_outputs: int = 10) -> nn.Sequential:
    """784 -> `hidden` relu units -> 10 scores, initialised like DL4J (Xavier normal, zero bias)."""
    model = nn.Sequential(
        OrderedDict(
            hidden=nn.Linear(num_inputs, hidden),  # DL4J DenseLayer: [B, 784] -> [B, 1000]
            relu=nn.ReLU(),  # activation("relu")
            output=nn.Linear(hidden, num_outputs),  # DL4J OutputLayer: [B, 1000] -> [B, 10] scores
            # softmax is not a layer here: cross_entropy applies it inside the loss (see `loss_fn`)
        )
    )
    xavier_init_(model)
    return model


def xavier_init_(model: nn.Module) -> nn.Module:
    """DL4J's WeightInit.XAVIER: weights ~ Normal(0, var 2/(fan_in + fan_out)), biases 0."""
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_normal_(layer.weight)  # std = sqrt(2 / (fan_in + fan_out))
            nn.init.zeros_(layer.bias)
    return model


def loss_fn(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Softmax + negative log-likelihood (DL4J's OutputLayer with NEGATIVELOGLIKELIHOOD), averaged over the batch."""
    return nn.functional.cross_entropy(scores, labels)  # log_softmax then NLL, in one stable step


def sgd(model: nn.Module, *, lr: float, momentum: float, l2: float) -> torch.optim.SGD:
    """DL4J's Nesterovs(lr, momentum) updater with l2 on the weights only (DL4J's l2Bias is 0)."""
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if not name.endswith("weight")]
    return torch.optim.SGD(
        [{"params": weights, "weight_decay": l2}, {"params": biases, "weight_decay": 0.0}],
        lr=lr,
        momentum=momentum,
        nesterov=momentum > 0,  # Nesterov needs momentum; with 0 it is plain SGD
        # fused: one kernel updates every tensor, ~10% faster per step on CPU; it has no GPU-only
        # limits for SGD, but older torch builds lack it, hence the check
        fused=_fused_available(),
    )


def _fused_available() -> bool:
    try:
        torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in the model (795,010 for DL4J's network)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
