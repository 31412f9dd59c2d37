"""helpers.model and train_epoch's step: DL4J's network, its initialisation, and its update rule written out as ND4J does it."""

import math
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F

from helpers.config import Config
from helpers.loop import train_epoch
from helpers.model import count_parameters, make_optimizer, mlp


def test_the_network_has_dl4js_shape_and_795010_parameters():
    model = mlp()
    assert count_parameters(model) == 795_010  # 784*1000 + 1000 + 1000*10 + 10
    assert [name for name, _ in model.named_children()] == ["hidden", "relu", "output"]
    assert model.hidden.weight.shape == (1000, 784) and model.output.weight.shape == (10, 1000)
    assert model(torch.rand(3, 784)).shape == (3, 10) and count_parameters(mlp(500)) == 397_510


def test_xavier_normal_weights_and_zero_biases():
    torch.manual_seed(0)
    model = mlp()
    for layer, fan_in, fan_out in ((model.hidden, 784, 1000), (model.output, 1000, 10)):
        std = math.sqrt(2 / (fan_in + fan_out))
        assert layer.weight.std().item() == pytest.approx(std, rel=0.03)
        assert abs(layer.weight.mean().item()) < 0.05 * std and torch.count_nonzero(layer.bias) == 0


def test_the_optimizer_is_nesterov_sgd_with_dl4js_settings():
    (group,) = make_optimizer(mlp(), Config()).param_groups
    assert (group["lr"], group["momentum"], group["nesterov"], group["weight_decay"]) == (0.006, 0.9, True, 0)
    assert not make_optimizer(mlp(), Config(momentum=0.0)).param_groups[0]["nesterov"]  # Nesterov needs momentum


def tiny():
    """A 3 -> 2 -> 2 network with weights and biases, in float64 so that the rules differ above rounding."""
    torch.manual_seed(7)
    return torch.nn.Sequential(OrderedDict(hidden=torch.nn.Linear(3, 2), output=torch.nn.Linear(2, 2))).double()


def test_train_epoch_steps_as_dl4j_0_9_did():
    # DL4J 0.9.x-1.0.0-beta3, per minibatch of B images: the SUMMED gradient goes through ND4J's Nesterovs
    # (v = mu*v - lr*g; update = mu*v_prev - (1 + mu)*v), UpdaterBlock.postApply adds l2*w to the weights'
    # update (not the biases'), BaseMultiLayerUpdater divides the update by B, and params -= update.
    # With equal batches that is PyTorch's Nesterov on the mean gradient plus the l2 shrink, exactly. (DL4J's
    # momentum holds summed gradients, so around an epoch's smaller last batch it weighs the steps a little
    # differently: there the port follows PyTorch's form; train_epoch's l2 divides by that batch's own size.)
    lr, mu, l2 = 0.1, 0.9, 0.05  # large enough that the two L2 rules differ clearly
    g = torch.Generator().manual_seed(3)
    batches = [
        (torch.randn(b, 3, generator=g, dtype=torch.float64), torch.randint(0, 2, (b,), generator=g)) for b in (4, 4, 4)
    ]
    reference = tiny()
    velocity = {name: torch.zeros_like(p) for name, p in reference.named_parameters()}
    for images, labels in batches:
        reference.zero_grad()
        F.cross_entropy(reference(images), labels).backward()  # the mean gradient: B times smaller than DL4J's sum
        with torch.no_grad():
            for name, w in reference.named_parameters():
                v_prev = velocity[name].clone()
                velocity[name] = mu * velocity[name] - lr * len(labels) * w.grad
                update = mu * v_prev - (1 + mu) * velocity[name] + (l2 * w if name.endswith("weight") else 0)
                w -= update / len(labels)
    ours = tiny()
    train_epoch(ours, batches, torch.optim.SGD(ours.parameters(), lr=lr, momentum=mu, nesterov=True), l2=l2)
    for (name, a), b in zip(ours.named_parameters(), reference.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12, msg=name)
    pytorch_rule = tiny()
    config = Config(lr=lr, momentum=mu, l2=l2, l2_rule="pytorch", batch_size=4)
    train_epoch(pytorch_rule, batches, make_optimizer(pytorch_rule, config), l2=0.0)
    assert (
        pytorch_rule.hidden.weight - reference.hidden.weight
    ).abs().max() > 1e-4  # the rules really differ (rounding: 1e-16)


def test_pytorch_nesterov_equals_nd4j_nesterovs_at_a_constant_learning_rate():
    # PyTorch: buf = mu*buf + g; p -= lr*(g + mu*buf).  ND4J: v = mu*v - lr*g; p -= mu*v_prev - (1 + mu)*v.
    # With v = -lr*buf both move p by -lr*(1 + mu)*g - lr*mu^2*buf_prev: the same step, written two ways.
    lr, mu = 0.05, 0.9
    gradients = [torch.randn(5, generator=torch.Generator().manual_seed(i), dtype=torch.float64) for i in range(10)]
    p_torch = torch.nn.Parameter(torch.ones(5, dtype=torch.float64))
    optimizer = torch.optim.SGD([p_torch], lr=lr, momentum=mu, nesterov=True)
    p_nd4j, v = torch.ones(5, dtype=torch.float64), torch.zeros(5, dtype=torch.float64)
    for grad in gradients:
        p_torch.grad = grad.clone()
        optimizer.step()
        v_prev, v = v, mu * v - lr * grad
        p_nd4j = p_nd4j - (mu * v_prev - (1 + mu) * v)
    torch.testing.assert_close(p_torch.detach(), p_nd4j, rtol=1e-12, atol=1e-12)
