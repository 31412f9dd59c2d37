"""helpers.model: DL4J's network shape and init, sgd's two L2 rules written out by hand, the loss, one step."""

import math
from collections import OrderedDict

import pytest
import torch

from helpers.config import Config
from helpers.model import count_parameters, loss_fn, mlp, sgd


def test_model_has_dl4j_shape_and_795010_parameters():
    model = mlp(784, 1000, 10)
    assert count_parameters(model) == 795_010  # 784*1000 + 1000 + 1000*10 + 10
    assert [name for name, _ in model.named_children()] == ["hidden", "relu", "output"]
    assert model.hidden.weight.shape == (1000, 784) and model.output.weight.shape == (10, 1000)
    assert model(torch.rand(3, 784)).shape == (3, 10)


def test_xavier_normal_init_and_zero_biases():
    torch.manual_seed(0)
    model = mlp(784, 1000, 10)
    for layer, fan_in, fan_out in ((model.hidden, 784, 1000), (model.output, 1000, 10)):
        std = math.sqrt(2 / (fan_in + fan_out))
        assert layer.weight.std().item() == pytest.approx(std, rel=0.03)
        assert abs(layer.weight.mean().item()) < 0.05 * std
        assert torch.count_nonzero(layer.bias) == 0


def test_sgd_is_nesterov_with_l2_on_weights_only():
    model = mlp(784, 1000, 10)
    optimizer = sgd(model, lr=0.006, momentum=0.9, l2=1e-4, batch_size=128)
    weights, biases = optimizer.param_groups
    assert [p.shape for p in weights["params"]] == [(1000, 784), (10, 1000)]
    assert (
        weights["dl4j_shrink"] == pytest.approx(1e-4 / 128) and weights["weight_decay"] == 0
    )  # DL4J's rule by default
    assert [p.shape for p in biases["params"]] == [(1000,), (10,)] and biases["weight_decay"] == biases[
        "dl4j_shrink"
    ] == 0
    assert all(g["lr"] == 0.006 and g["momentum"] == 0.9 and g["nesterov"] for g in optimizer.param_groups)
    assert not sgd(model, lr=0.1, momentum=0.0, l2=0.0, batch_size=128).param_groups[0][
        "nesterov"
    ]  # Nesterov needs momentum


def _tiny_model():
    """A 3 -> 2 -> 2 network with both weights and biases, in float64 so that rules differ above rounding."""
    torch.manual_seed(7)
    return torch.nn.Sequential(OrderedDict(hidden=torch.nn.Linear(3, 2), output=torch.nn.Linear(2, 2))).double()


def _given_gradients(steps=3):
    """Fixed gradients (the batch's MEAN gradient, as cross_entropy gives) for each step and parameter."""
    g = torch.Generator().manual_seed(3)
    return [
        {
            name: torch.randn(shape, generator=g, dtype=torch.float64)
            for name, shape in [
                ("hidden.weight", (2, 3)),
                ("hidden.bias", (2,)),
                ("output.weight", (2, 2)),
                ("output.bias", (2,)),
            ]
        }
        for _ in range(steps)
    ]


def _run_optimizer(model, optimizer, gradients):
    for grads in gradients:
        for name, p in model.named_parameters():
            p.grad = grads[name].clone()
        optimizer.step()
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def test_sgd_dl4j_rule_matches_dl4j_written_out():
    # DL4J 0.9.x-1.0.0-beta3, per minibatch of B: the SUMMED gradient goes through ND4J's Nesterovs
    # (v = mu*v - lr*g; update = mu*v_prev - (1 + mu)*v), UpdaterBlock.postApply adds l2*w to the
    # weights' update (not the biases'), BaseMultiLayerUpdater divides the update by B, params -= update.
    lr, mu, l2, B = 0.1, 0.9, 0.05, 4  # large enough that the two L2 rules differ clearly
    gradients = _given_gradients()
    model = _tiny_model()
    params = {name: p.detach().clone() for name, p in model.named_parameters()}
    velocity = {name: torch.zeros_like(p) for name, p in params.items()}
    for grads in gradients:
        for name, w in params.items():
            summed = B * grads[name]
            v_prev = velocity[name].clone()
            velocity[name] = mu * velocity[name] - lr * summed
            update = mu * v_prev - (1 + mu) * velocity[name]
            if name.endswith("weight"):
                update = update + l2 * w
            params[name] = w - update / B
    ours = _run_optimizer(model, sgd(model, lr=lr, momentum=mu, l2=l2, batch_size=B), gradients)
    for name in params:
        torch.testing.assert_close(ours[name], params[name], rtol=1e-12, atol=1e-12)
    coupled = _tiny_model()
    pytorch_rule = _run_optimizer(
        coupled, sgd(coupled, lr=lr, momentum=mu, l2=l2, batch_size=B, l2_rule="pytorch"), gradients
    )
    assert (pytorch_rule["hidden.weight"] - params["hidden.weight"]).abs().max() > 1e-3  # the rules really differ
    torch.testing.assert_close(pytorch_rule["hidden.bias"], params["hidden.bias"])  # biases: no L2 in either


def test_sgd_pytorch_rule_is_weight_decay_on_weights_only():
    lr, mu, l2 = 0.1, 0.9, 0.05
    gradients = _given_gradients()
    model = _tiny_model()
    ours = _run_optimizer(model, sgd(model, lr=lr, momentum=mu, l2=l2, batch_size=4, l2_rule="pytorch"), gradients)
    reference = _tiny_model()
    groups = [
        {"params": [reference.hidden.weight, reference.output.weight], "weight_decay": l2},
        {"params": [reference.hidden.bias, reference.output.bias], "weight_decay": 0.0},
    ]
    theirs = _run_optimizer(reference, torch.optim.SGD(groups, lr=lr, momentum=mu, nesterov=True), gradients)
    for name in ours:
        torch.testing.assert_close(ours[name], theirs[name], rtol=1e-12, atol=1e-12)


def test_pytorch_nesterov_equals_nd4j_nesterovs_at_a_constant_learning_rate():
    # PyTorch: buf = mu*buf + g; p -= lr*(g + mu*buf).  ND4J: v = mu*v - lr*g; p -= mu*v_prev - (1 + mu)*v.
    # With v = -lr*buf both move p by -lr*(1 + mu)*g - lr*mu^2*buf_prev: the same step, written two ways.
    lr, mu = 0.05, 0.9
    gradients = [torch.randn(5, generator=torch.Generator().manual_seed(i), dtype=torch.float64) for i in range(10)]
    p_torch = torch.nn.Parameter(torch.ones(5, dtype=torch.float64))
    optimizer = torch.optim.SGD([p_torch], lr=lr, momentum=mu, nesterov=True)
    p_nd4j, v = torch.ones(5, dtype=torch.float64), torch.zeros(5, dtype=torch.float64)
    for g in gradients:
        p_torch.grad = g.clone()
        optimizer.step()
        v_prev, v = v, mu * v - lr * g
        p_nd4j = p_nd4j - (mu * v_prev - (1 + mu) * v)
    torch.testing.assert_close(p_torch.detach(), p_nd4j, rtol=1e-12, atol=1e-12)


def test_sgd_refuses_an_unknown_l2_rule():
    with pytest.raises(ValueError, match="l2_rule = 'torch'.*'dl4j'.*'pytorch'"):
        sgd(mlp(), lr=0.1, momentum=0.9, l2=1e-4, batch_size=128, l2_rule="torch")
    with pytest.raises(ValueError, match=r"Config.l2_rule = 'DL4J' is not allowed: use 'dl4j' or 'pytorch'"):
        Config(l2_rule="DL4J")


def test_loss_is_softmax_then_negative_log_likelihood():
    scores, labels = torch.randn(5, 10), torch.tensor([0, 3, 9, 3, 1])
    by_hand = -torch.log(torch.softmax(scores, dim=1)[torch.arange(5), labels]).mean()
    assert loss_fn(scores, labels).item() == pytest.approx(by_hand.item(), rel=1e-5)


def test_one_training_step_decreases_the_loss(mnist):
    train, _ = mnist
    torch.manual_seed(0)
    model = mlp(784, 1000, 10)
    optimizer = sgd(model, lr=0.006, momentum=0.9, l2=1e-4, batch_size=128)
    images, labels = train.images[:128], train.labels[:128]
    before = loss_fn(model(images), labels)
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after = loss_fn(model(images), labels)
    assert after.item() < before.item()
