"""DL4J's single-hidden-layer network in plain torch.nn, its Xavier init and its optimizer; a small CNN beside it."""

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


def cnn(num_outputs: int = 10) -> nn.Sequential:
    """A small convolutional network sized for a CPU: two 5x5 convolution + pooling stages, 128 relu units, 10 scores.

    PyTorch's default initialisation (Kaiming uniform) throughout; 215,370 parameters, a quarter of the MLP's.
    """
    return nn.Sequential(
        OrderedDict(
            image=nn.Unflatten(1, (1, 28, 28)),  # [B, 784] -> [B, 1, 28, 28]: the rows of pixels back into a picture
            conv1=nn.Conv2d(1, 16, kernel_size=5, padding=2),  # [B, 16, 28, 28]: 16 learned 5x5 stroke detectors
            relu1=nn.ReLU(),
            pool1=nn.MaxPool2d(2),  # [B, 16, 14, 14]: keep the strongest response in each 2x2 patch
            conv2=nn.Conv2d(16, 32, kernel_size=5, padding=2),  # [B, 32, 14, 14]: parts built from strokes
            relu2=nn.ReLU(),
            pool2=nn.MaxPool2d(2),  # [B, 32, 7, 7]
            flat=nn.Flatten(),  # [B, 1568]
            hidden=nn.Linear(32 * 7 * 7, 128),  # [B, 128]
            relu=nn.ReLU(),
            output=nn.Linear(128, num_outputs),  # [B, 10] scores
        )
    )


MODELS = ("mlp", "cnn")  # Config.model: DL4J's network, or the small CNN


def network(config) -> nn.Module:
    """The network `config.model` names, freshly initialised from torch's global random numbers."""
    if config.model == "cnn":
        return cnn(config.output_num)
    return mlp(config.num_inputs, config.hidden, config.output_num)


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


L2_RULES = ("dl4j", "pytorch")  # how `l2` acts: DL4J 0.9.x-1.0.0-beta3's rule, or PyTorch's weight_decay


def sgd(
    model: nn.Module, *, lr: float, momentum: float, l2: float, batch_size: int, l2_rule: str = "dl4j"
) -> torch.optim.SGD:
    """DL4J's Nesterovs(lr, momentum) updater with l2 on the weights only, as `l2_rule` applies it ("dl4j" or "pytorch").

    "dl4j" is what DL4J did before 1.0.0-beta4 (deeplearning4j issues #7076, #7079): it added l2 * w to
    the updater's step and divided the whole step by the batch size. The updater being linear, that is
    Nesterov SGD on the mean gradient, then every weight shrinks by (l2 / batch_size) * w: not scaled
    by the learning rate and never passing through momentum.
    "pytorch" is PyTorch's weight_decay: l2 * w added to the gradient, so lr scales it and momentum carries it.
    """
    if l2_rule not in L2_RULES:
        raise ValueError(
            f"l2_rule = {l2_rule!r} is not a rule this port knows; allowed: 'dl4j' (DL4J's, the default) or 'pytorch' (weight_decay)."
        )
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if not name.endswith("weight")]
    dl4j = l2_rule == "dl4j"
    optimizer = torch.optim.SGD(
        [
            # "dl4j_shrink": the share of each weight DL4J's l2 removes per step; saved in the state_dict with the rest
            {"params": weights, "weight_decay": 0.0 if dl4j else l2, "dl4j_shrink": l2 / batch_size if dl4j else 0.0},
            {"params": biases, "weight_decay": 0.0, "dl4j_shrink": 0.0},  # DL4J's l2Bias is 0
        ],
        lr=lr,
        momentum=momentum,
        nesterov=momentum > 0,  # Nesterov needs momentum; with 0 it is plain SGD
        # fused: one kernel updates every tensor, ~10% faster per step on CPU; it has no GPU-only
        # limits for SGD, but older torch builds lack it, hence the check
        fused=_fused_available(),
    )
    # DL4J divides by the size of each minibatch, so its last, smaller batch of an epoch (96 images of
    # 60,000 = 468 x 128 + 96) shrinks by l2 / 96. An optimizer does not see the batch, so every step here
    # uses l2 / batch_size: over DL4J's 15 epochs that leaves the weights 4 parts per million larger, far below noise.
    optimizer.register_step_pre_hook(_shrink_weights)
    return optimizer


@torch.no_grad()
def _shrink_weights(optimizer, args, kwargs):
    """DL4J's l2 step, w -= shrink * w, on the weights as they are before this step's update (as DL4J adds l2 * w)."""
    for group in optimizer.param_groups:
        if group.get("dl4j_shrink", 0.0) > 0:
            for weight in group["params"]:
                weight.mul_(1.0 - group["dl4j_shrink"])


def _fused_available() -> bool:
    try:
        torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in the model (795,010 for DL4J's network)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
