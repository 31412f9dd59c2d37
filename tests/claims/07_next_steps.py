"""What notebook 07_next_steps claims, asserted in its own kernel after its last cell (tests/nbrun.py)."""

(mlp_size, mlp_curve), (cnn_size, cnn_curve) = results["reference MLP"], results["tiny CNN"]
# "11,274 parameters against 795,010", "about 70 times fewer" (07.1's solution)
assert (cnn_size, mlp_size) == (11_274, 795_010) and abs(mlp_size / cnn_size - 70) < 1
assert count_parameters(cnn()) == 215_370, "the CNN of --model cnn is not tiny_cnn"
assert augmented.shape == originals.shape and not torch.equal(augmented, originals), "augment changes the images"
if (train_fraction, epochs, seed) == (0.1, 3, 123):  # the notebook's own budget, which its prose describes
    # "the tiny CNN starts behind and ends ahead"
    assert cnn_curve[0] < mlp_curve[0] and cnn_curve[-1] > mlp_curve[-1], (cnn_curve, mlp_curve)
