"""The claims each notebook makes, checked in its own kernel after its last cell (see nbrun.executed).

They were the notebooks' "Check" cells; they live here so that a learner's cells hold only the lesson.
Each runs with the notebook's variables in scope; a failed assert fails that notebook's tests.
"""

CLAIMS = {
    "01_dataset": """\
assert len(train) == 60_000 and len(test) == 10_000
assert train.images.shape == (60_000, 784) and test.images.shape == (10_000, 784)
assert train.labels.unique().tolist() == list(range(10))
assert 0 <= train.images.min() and train.images.max() <= 1  # scaled to [0, 1], nothing more
assert train_counts.sum() == 60_000 and test_counts.sum() == 10_000
assert train_counts.argmax() == 1 and train_counts.max() == 6_742  # the most common digit
assert train_counts.argmin() == 5 and train_counts.min() == 5_421  # the rarest digit
assert abs(pixel_mean - MEAN) < 1e-4 and abs(pixel_std - STD) < 1e-4  # helpers.data's values fit the data
assert 0.80 < blank < 0.82  # about four in five pixels are blank paper
assert grid.shape == (28, 28) and image[28 * r + c] == grid[r, c] / 255
assert len(picks) == num_examples
print("All claims checked.")
""",
    "02_hyperparameters": """\
by_lr = {run.config.lr: run for run in lr_runs}
assert by_lr[2.0].accuracy < by_lr[0.006].accuracy - 0.3  # far too large a step: far worse
assert max(by_lr[2.0].losses) > 10 * by_lr[2.0].losses[0]  # ... and its loss explodes
assert by_lr[0.0006].final_loss > by_lr[0.006].final_loss  # too small a step: slow learning
assert by_lr[0.0006].final_loss > 0.9 * by_lr[0.0006].losses[0]  # ... the loss hardly moves
assert baseline.losses[0] > 2.0 and baseline.accuracy > 0.7  # the quick baseline learns
assert again.losses == baseline.losses and again.accuracy == baseline.accuracy  # same seed, same run
assert other.losses != baseline.losses  # another seed, another run
assert abs(w.item() - 2.6) < 1e-6  # one SGD step, as computed by hand
assert paths[0.9][-1].norm() < paths[0.0][-1].norm() / 3  # momentum gets much closer to the bottom
losses_by_momentum = [run.final_loss for run in momentum_runs]
assert losses_by_momentum == sorted(losses_by_momentum, reverse=True)  # more momentum, faster learning here
assert momentum_runs[-1].accuracy > momentum_runs[0].accuracy + 0.1
print("All claims checked.")
""",
    "03_building_layers": """\
assert count_parameters(model) == hidden_params + output_params == 784 * hidden + hidden + hidden * 10 + 10
assert hidden != 1000 or count_parameters(model) == 795_010  # DL4J's network
assert same  # mlp() is the network assembled by hand
assert matmul_matches and abs(one_unit - z[0, 0]) < 1e-5  # a dense layer is a weighted sum plus a bias
assert torch.allclose(probabilities.sum(dim=1), torch.ones(batch_size)) and (probabilities > 0).all()
assert torch.allclose(manual_loss, library_loss, atol=1e-5)  # cross-entropy = -log p(right digit)
assert abs(model.hidden.weight.std().item() / math.sqrt(2 / (784 + hidden)) - 1) < 0.01  # Xavier's std
assert abs(model.output.weight.std().item() / math.sqrt(2 / (hidden + 10)) - 1) < 0.05
assert (model.hidden.bias == 0).all() and (model.output.bias == 0).all()  # DL4J's zero biases
assert abs(default_weights.std().item() * math.sqrt(3 * 784) - 1) < 0.01  # PyTorch's default: uniform
assert default_weights.abs().max() <= 1 / math.sqrt(784)
input_std = images.std().item()
assert 0.5 < signal["Xavier"][0] / input_std < 2  # Xavier keeps the signal's spread steady ...
assert signal["tiny: std 0.001"][0] < input_std / 10 < 10 * input_std < signal["huge: std 1"][0]  # ... the others do not
assert hidden != 1000 or signal["huge: std 1"][2] > 100 * math.log(10)  # huge weights: a start loss 100 times a guess's
assert out.shape == (batch_size, 10) and sums.shape == (batch_size, hidden)
assert abs(loss.item() - math.log(10)) < 0.5 and correct < 0.3  # untrained: about a guess
print("All claims checked.")
""",
    "04_training": """\
from helpers.config import DL4J_ACCURACY
assert same, "the loop written out and fit must end with the same weights"
assert same_seed_equal and not other_seed_equal, "same seed must give the same weights, another seed others"
if is_reference:
    assert abs(final_accuracy - DL4J_ACCURACY) <= 0.003, f"{final_accuracy:.4f} is not within 97.1% +- 0.3 points of DL4J"
    assert final_accuracy_std >= 0.98, f"standardised pixels reached {final_accuracy_std:.4f}, below 98%"
    assert checkpoint_path.exists()
    print(f"checks passed: {final_accuracy:.2%} (DL4J 97.1%), standardised {final_accuracy_std:.2%} (>= 98%)")
else:
    print("custom run: checks skipped")
""",
    "05_evaluating": """\
from helpers.config import DL4J_ACCURACY
assert not report.never_predicted and not report.never_present, "every digit is predicted and present"
assert abs(report.accuracy - sk.accuracy_score(test.labels, predicted)) < 1e-12
assert abs(report.precision - sk.precision_score(test.labels, predicted, average="macro")) < 1e-12
assert abs(report.recall - sk.recall_score(test.labels, predicted, average="macro")) < 1e-12
assert abs(report.f1 - sk.f1_score(test.labels, predicted, average="macro")) < 1e-12
assert (tp, fp, fn) == (int(report.true_positives[digit]), int(report.predicted_counts[digit]) - tp, int(report.actual_counts[digit]) - tp)
if config == Config():  # claims about the reference model (a quick run may flag nobody at the top threshold)
    assert recalls[0] >= recalls[-1] and precisions[-1] >= precisions[0], "lower threshold: more recall, less precision"
    assert abs(report.accuracy - DL4J_ACCURACY) <= 0.003, f"the reference model scores {report.accuracy:.4f}, not 97.1% +- 0.3"
print("checks passed")
""",
    "06_playground": """\
first, second, third = pg.runs
assert first.settings == dict(lr=lr, momentum=momentum, l2=l2, batch_size=128, epochs=epochs, train_fraction=train_fraction)
assert second.settings == {**first.settings, "lr": compare_lr}
assert third.status == "diverged" and "too high" in third.message, third.message
assert all(run.status in ("done", "diverged") for run in pg.runs)
if (lr, momentum, l2, epochs, train_fraction, compare_lr) == (0.006, 0.9, 1e-4, 5, 0.25, 0.1):
    assert 0.90 <= first.accuracy <= 0.95, first.accuracy  # DL4J's cautious learning rate, short run
    assert second.accuracy >= first.accuracy + 0.02, (first.accuracy, second.accuracy)  # 17x the step
print("All checks passed.")
""",
    "07_next_steps": """\
mlp_accuracy, cnn_accuracy = results["reference MLP"][1][-1], results["small CNN"][1][-1]
assert results["small CNN"][0] < results["reference MLP"][0] / 10, "the CNN has far fewer parameters"
assert augmented.shape == originals.shape and not torch.equal(augmented, originals)
if (train_fraction, epochs, seed) == (0.1, 3, 123):  # the notebook's own budget
    assert cnn_accuracy > mlp_accuracy, f"CNN {cnn_accuracy:.4f} vs MLP {mlp_accuracy:.4f}"
print(f"checks passed: CNN {cnn_accuracy:.2%} vs reference MLP {mlp_accuracy:.2%} on the same budget")
""",
    "08_your_handwriting": """\
assert read["image"].shape == (784,) and 0 <= read["image"].min() and read["image"].max() <= 1
assert set(read["probabilities"]) == {"MLP", "CNN"}
assert all(abs(float(p.sum()) - 1) < 1e-5 for p in read["probabilities"].values())
assert len(images) == len(PRESETS) and preset in PRESETS
print("All claims checked.")
""",
}
