"""What notebook 08_your_handwriting claims, asserted in its own kernel after its last cell (tests/nbrun.py).

Its prose must hold for the real networks (the committed run) and for a CNN trained here for one epoch
(the tests' run, without checkpoints/cnn.pt) alike.
"""

assert preset in PRESETS and pad.strokes == PRESETS[preset], "a run without a screen draws the preset"
assert {int(re.search(r"\d", name)[0]) for name in PRESETS} == set(range(10)), "each digit at least once"
assert tally.total() == len(PRESETS) * len(SLANTS) * len(SIZES) * len(WIDTHS) == len(PRESETS) * 45
for name, strokes in PRESETS.items():  # "Every preset as drawn is read right by both networks"
    readings = [int(p.argmax()) for p in reader.read(strokes)["probabilities"].values()]
    assert readings == [int(re.search(r"\d", name)[0])] * 2, (name, readings)
only_mlp, only_cnn, both = tally["MLP wrong, CNN right"], tally["MLP right, CNN wrong"], tally["MLP wrong, CNN wrong"]
assert only_mlp + both > only_cnn + both, tally  # "The MLP misread more of them than the CNN"
assert only_mlp > only_cnn, tally  # "where the two disagree, the MLP is usually the one that is wrong"
assert both > 0, tally  # "some drawings fooled both"
# the drawings shown were found by the search: for each preset, one that only the MLP misreads
assert fools_the_mlp, "at least one drawing fools the MLP and not the CNN"
for name, (_image, title) in fools_the_mlp.items():
    digit = int(re.search(r"\d", name)[0])
    mlp_read, cnn_read = map(int, re.fullmatch(r"MLP (\d), CNN (\d)", title).groups())
    assert mlp_read != digit and cnn_read == digit, (name, title)
