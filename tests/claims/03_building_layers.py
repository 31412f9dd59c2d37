"""What notebook 03_building_layers claims, asserted in its own kernel after its last cell (tests/nbrun.py)."""

import helpers.model

# "helpers.model holds this same mlp, and count_parameters, the sum above": same code (tests/test_same_code.py),
# so the same start weights from the same seed; "795,010 parameters"
assert by_hand == sum(p.numel() for p in model.parameters()) == helpers.model.count_parameters(model)
assert hidden != 1000 or by_hand == 795_010
torch.manual_seed(seed)
assert all(torch.equal(a, b) for a, b in zip(model.parameters(), helpers.model.mlp(hidden).parameters()))

# a dense layer: every unit's weighted sum plus its bias, one matrix product on a batch
assert torch.allclose(z, images @ model.hidden.weight.T + model.hidden.bias, atol=1e-5)
assert abs(one - z[0, 0]) < 1e-5
assert torch.equal(h, z.clamp(min=0))  # relu: a negative sum becomes 0, a positive one passes

# softmax: positive, in the scores' order, each row adding up to 1; untrained, image 0 gets about a tenth for each digit
assert (probabilities > 0).all() and torch.allclose(probabilities.sum(dim=1), torch.ones(len(images)))
assert torch.equal(probabilities.argmax(dim=1), scores.argmax(dim=1))
assert ((probabilities[0] - 0.1).abs() < 0.05).all()

# cross-entropy is -ln p(right digit), averaged; untrained, near an even guess's ln 10
assert torch.allclose(-right.log().mean(), F.cross_entropy(scores, labels), atol=1e-5)
assert abs(F.cross_entropy(scores, labels).item() - math.log(10)) < 0.2

# Xavier: normal, std sqrt(2 / (fan in + fan out)), biases 0
assert abs(model.hidden.weight.std().item() / math.sqrt(2 / (784 + hidden)) - 1) < 0.01
assert abs(model.output.weight.std().item() / math.sqrt(2 / (hidden + 10)) - 1) < 0.05
assert (model.hidden.bias == 0).all() and (model.output.bias == 0).all()

# backpropagation by hand: step 1 is autograd's gradient of the loss by the scores; step 4 agrees with loss.backward()
scores_1 = tiny.output(torch.relu(z_tiny)).detach().requires_grad_()
F.cross_entropy(scores_1[None], y[None]).backward()
assert torch.allclose(scores_1.grad, d_scores, atol=1e-6)
assert torch.allclose(d_weights, tiny.hidden.weight.grad)
assert z_tiny[0] > 0 and 0 < x[j] < 1 and d_weights[0, j] != 0  # the example: an active unit, a pixel with some ink

# Going further: the signal through the layers
input_std = images.std().item()
assert 0.5 < signal["Xavier"][0] / input_std < 2  # Xavier keeps about the pixels' spread ...
assert abs(signal["Xavier"][2] - math.log(10)) < 0.2  # ... and starts near an even guess's loss
assert signal["tiny: std 0.001"][0] < input_std / 10 < 10 * input_std < signal["huge: std 1"][0]
assert hidden != 1000 or 100 <= signal["huge: std 1"][1] < 1000  # huge weights: scores in the hundreds ...
assert hidden != 1000 or signal["huge: std 1"][2] > 100 * math.log(10)  # ... a start loss over 100 times a guess's

# Going further: PyTorch's default start is uniform in +-1/sqrt(fan in), narrower than Xavier's normal here
assert default.abs().max() <= 1 / math.sqrt(784)
assert abs(default.std().item() * math.sqrt(3 * 784) - 1) < 0.01
assert model.hidden.weight.std() > default.std()
