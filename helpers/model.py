"""DL4J's network in plain torch.nn (notebook 03), its optimizer (notebooks 02 and 04), and the CNN of `--model cnn`."""

from collections import OrderedDict

import torch
from torch import nn


def mlp(hidden: int = 1000) -> nn.Sequential:
    """784 pixels -> `hidden` relu units -> 10 scores, started as DL4J starts them (Xavier normal, zero biases)."""
    model = nn.Sequential(
        OrderedDict(
            hidden=nn.Linear(784, hidden),  # DL4J DenseLayer: [B, 784] -> [B, 1000]
            relu=nn.ReLU(),  # .activation(Activation.RELU)
            output=nn.Linear(hidden, 10),  # DL4J OutputLayer: [B, 1000] -> [B, 10] scores; softmax is in the loss
        )
    )
    for layer in (model.hidden, model.output):
        nn.init.xavier_normal_(layer.weight)  # .weightInit(WeightInit.XAVIER): Normal(0, var 2 / (fan_in + fan_out))
        nn.init.zeros_(layer.bias)
    return model


def cnn() -> nn.Sequential:
    """The CNN of `--model cnn`: two 5x5 convolution + pooling stages, 128 relu units, 10 scores (215,370 parameters)."""
    return nn.Sequential(
        OrderedDict(
            image=nn.Unflatten(1, (1, 28, 28)),  # [B, 784] -> [B, 1, 28, 28]: the rows of pixels back into a picture
            conv1=nn.Conv2d(1, 16, kernel_size=5, padding=2),  # [B, 16, 28, 28]: 16 learned 5x5 stroke detectors
            relu1=nn.ReLU(),
            pool1=nn.MaxPool2d(2),  # [B, 16, 14, 14]: the strongest response in each 2x2 patch
            conv2=nn.Conv2d(16, 32, kernel_size=5, padding=2),  # [B, 32, 14, 14]: parts built from strokes
            relu2=nn.ReLU(),
            pool2=nn.MaxPool2d(2),  # [B, 32, 7, 7]
            flat=nn.Flatten(),  # [B, 1568]
            hidden=nn.Linear(32 * 7 * 7, 128),  # [B, 128]
            relu=nn.ReLU(),
            output=nn.Linear(128, 10),  # [B, 10] scores
        )
    )


def build(config, *, device="cpu") -> nn.Module:
    """The network config.model names, with the start weights config.seed gives; torch's own random state is left alone."""
    with torch.random.fork_rng(devices=[]):  # as `torch.manual_seed(seed)` before building, without moving yours
        torch.manual_seed(config.seed)
        model = cnn() if config.model == "cnn" else mlp(config.hidden)
    return model.to(device)


def make_optimizer(model: nn.Module, config) -> torch.optim.SGD:
    """DL4J's updater Nesterovs(lr, momentum) as torch.optim.SGD; with l2_rule "pytorch", l2 as weight_decay on the
    weights (with DL4J's rule the optimizer knows nothing of l2: train_epoch shrinks the weights itself)."""
    if config.l2_rule == "dl4j":
        parameters = model.parameters()
    else:  # PyTorch's rule: l2 * w joins each weight's gradient, so lr scales it and momentum carries it
        weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
        biases = [p for name, p in model.named_parameters() if not name.endswith("weight")]
        parameters = [{"params": weights, "weight_decay": config.l2}, {"params": biases}]  # DL4J's l2Bias is 0
    return torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum, nesterov=config.momentum > 0)


def count_parameters(model: nn.Module) -> int:
    """How many numbers the model learns (795,010 for DL4J's network)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
