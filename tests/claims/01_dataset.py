"""What notebook 01_dataset claims, asserted in its own kernel after its last cell (tests/nbrun.py)."""

# torchvision's Dataset hands out (image, label) with the image as [784] floats in [0, 1]
_image, _label = mnist[0]
assert _image.shape == (784,) and _image.dtype == torch.float32 and 0 <= _image.min() and _image.max() <= 1
# "what ToTensor and flatten make, all at once": the tensor in memory holds the Dataset's very images
for _i in (0, 1, 12_345, 59_999):
    assert torch.equal(train_set[_i][0], mnist[_i][0]) and train_set[_i][1] == mnist[_i][1]
# batch_loader serves the same kind of batches as the DataLoader: (images [128, 784], labels [128]), every image once
_seen = [labels for _, labels in batch_loader(train_set, 128, generator=torch.Generator().manual_seed(0))]
assert [len(b) for b in _seen[:-1]] == [128] * (len(_seen) - 1) and sum(len(b) for b in _seen) == 60_000
assert torch.equal(torch.cat(_seen).bincount(), train_counts)
# "load_mnist() does what the cells above did, for the training and the test files"
assert torch.equal(train_set.tensors[1], mnist.targets) and len(test_set) == 10_000
# the validation set: 5,000 training images held back, none also in the 55,000 to train on
assert len(fit_set) == 55_000 and len(val_set) == 5_000
_, _held_back = torch.utils.data.random_split(
    range(60_000), [55_000, 5_000], generator=torch.Generator().manual_seed(0)
)
assert torch.equal(val_set.tensors[0], train_set.tensors[0][_held_back.indices])  # training images, drawn at random
# the same draw every time, whatever torch's random state: every notebook holds back the same images
torch.manual_seed(999)
assert torch.equal(split_validation(train_set)[1].tensors[0], val_set.tensors[0])
# class balance: "about a tenth of the images" per digit, in both sets; 1 the most common training digit
assert train_counts.sum() == 60_000 and test_counts.sum() == 10_000
assert all(0.08 < n / 60_000 < 0.12 for n in train_counts) and all(0.08 < n / 10_000 < 0.12 for n in test_counts)
assert train_counts.argmax() == 1
# Going further: pixel statistics from the training set; most pixels are paper; never-inked positions
assert abs(pixel_mean - MEAN) < 1e-4 and abs(pixel_std - STD) < 1e-4
assert 0.80 < blank < 0.82
assert never_inked > 0 and (images[:, 0] == 0).all()  # a corner pixel (notebook 02's L2 example) is blank everywhere
assert counts[0] > counts[-1] > counts[1:-1].max()  # a tall bar at paper, a smaller one at full ink, the greys thin
# one image as numbers: position 28 * r + c holds row r, column c
assert grid.shape == (28, 28) and image[28 * r + c] == grid[r, c] / 255
torch.manual_seed(seed)  # the grid's draw again: its one 7 (with a bar) and its two 4s
_grid_labels = train_set.tensors[1][torch.randperm(60_000)[:30]].tolist()
assert _grid_labels.count(7) == 1 and _grid_labels.count(4) == 2 and len(digits) == 30
