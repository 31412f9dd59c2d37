"""The tutorial's variables and hyperparameters, with the DL4J example's values as defaults."""

from dataclasses import asdict, dataclass, fields, replace
from math import isfinite

TRAIN_SIZE = 60_000  # images in MNIST's training set
DL4J_ACCURACY = 0.971  # the test accuracy DL4J's tutorial reports for this network (97.1%)
TEST_SIZE = 10_000  # images in MNIST's test set
# what `--model cnn` changes besides the network: standardised pixels, a larger learning rate that rises and
# falls once over the run, 8 epochs. Measured: 99.45% at seed 123, 93 s of training on 2 CPU cores (Intel Xeon,
# torch 2.14.1, 2026-12-03; 10-11 s per epoch beside other work, against 1.2-2.5 s for the MLP).
CNN_RECIPE = {"model": "cnn", "normalize": True, "lr": 0.1, "epochs": 8, "schedule": "one-cycle"}


@dataclass(frozen=True)
class Config:
    """Every setting of one training run; `Config()` is DL4J's MLPMnistSingleLayerExample exactly."""

    # data: what goes into the network
    num_rows: int = 28  # image height in pixels (DL4J numRows); MNIST's images are 28x28
    num_columns: int = 28  # image width in pixels (DL4J numColumns)
    output_num: int = 10  # number of classes, the digits 0-9 (DL4J outputNum)
    normalize: bool = False  # standardise pixels with the training set's mean/std; DL4J only scales to [0, 1]
    train_fraction: float = 1.0  # share of the 60,000 training images used; 1.0 as in DL4J, less for quick runs
    # model: "mlp" is DL4J's, 784 inputs -> dense relu layer -> softmax over 10 classes; "cnn" a small CNN (notebook 07)
    model: str = "mlp"  # which network; the CNN's own recipe is CNN_RECIPE
    hidden: int = 1000  # units in the MLP's hidden layer (DL4J DenseLayer nOut); the CNN ignores it
    # training: stochastic gradient descent with Nesterov momentum
    batch_size: int = 128  # images per gradient step (DL4J batchSize)
    epochs: int = 15  # full passes over the training images (DL4J numEpochs)
    lr: float = 0.006  # learning rate, the step size of each update (DL4J Nesterovs learningRate)
    momentum: float = 0.9  # share of the previous update carried into the next (DL4J Nesterovs momentum)
    l2: float = 1e-4  # L2 penalty on weights, not biases (DL4J l2; l2Bias is 0)
    l2_rule: str = "dl4j"  # how l2 acts: "dl4j", each step shrinks weights by l2/batch_size (DL4J 0.9-1.0.0-beta3); "pytorch", weight_decay
    schedule: str = "constant"  # learning rate over the run: "constant" as DL4J, or "one-cycle" (up, then down to ~0)
    seed: int = 123  # seeds weight init and shuffling, for repeatable runs (DL4J rngSeed)

    def __post_init__(self):
        for f in fields(self):
            _check(f.name, getattr(self, f.name))
        if self.l2_rule == "dl4j" and self.l2 >= self.batch_size:  # DL4J's rule shrinks by l2 / batch_size per step
            raise ValueError(
                f"Config.l2 = {self.l2!r} with batch_size = {self.batch_size} would shrink every weight to zero or "
                "below at each step (DL4J's rule removes l2 / batch_size of it); allowed: l2 < batch_size. Lower l2."
            )
        used = self.train_images
        if self.batch_size > used:
            raise ValueError(
                f"Config.batch_size = {self.batch_size} is larger than the training set in use "
                f"({used} images = {self.train_fraction} x {TRAIN_SIZE}); allowed: 1 to {used}. "
                "Lower batch_size or raise train_fraction."
            )

    @property
    def num_inputs(self) -> int:
        """Pixels per image, the network's input size: 28 x 28 = 784."""
        return self.num_rows * self.num_columns

    @property
    def train_images(self) -> int:
        """How many training images a run uses (train_fraction of 60,000)."""
        return max(1, round(self.train_fraction * TRAIN_SIZE))

    def replace(self, **changes) -> "Config":
        """A copy with some fields changed, validated like a new Config."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            names = ", ".join(f.name for f in fields(self))
            raise TypeError(f"Config has no field {', '.join(unknown)}; the fields are: {names}")
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """The fields as a plain dict (what a checkpoint stores)."""
        return asdict(self)


# field -> (type, low, high, low_inclusive, high_inclusive, what it means when out of range)
RANGES = {
    "num_rows": (int, 28, 28, True, True, "MNIST images are 28 pixels high"),
    "num_columns": (int, 28, 28, True, True, "MNIST images are 28 pixels wide"),
    "output_num": (int, 10, 10, True, True, "MNIST has 10 classes, the digits 0-9"),
    "normalize": (bool, None, None, True, True, "DL4J uses False: pixels only scaled to [0, 1]"),
    "train_fraction": (float, 0.0, 1.0, False, True, "a share of the training set, e.g. 0.1 for 6,000 images"),
    "model": (str, ("mlp", "cnn"), None, True, True, "'mlp' is DL4J's network; 'cnn' the small CNN of notebook 07"),
    "hidden": (int, 1, 10_000, True, True, "DL4J uses 1000"),
    "batch_size": (int, 1, TRAIN_SIZE, True, True, "DL4J uses 128"),
    "epochs": (int, 1, 1000, True, True, "DL4J uses 15"),
    "lr": (float, 0.0, 10.0, False, True, "DL4J uses 0.006"),
    "momentum": (float, 0.0, 1.0, True, False, "0 turns momentum off; DL4J uses 0.9"),
    "l2": (float, 0.0, 1.0, True, True, "0 turns L2 off; DL4J uses 1e-4"),
    "l2_rule": (str, ("dl4j", "pytorch"), None, True, True, "DL4J's rule is 'dl4j'; 'pytorch' is torch's weight_decay"),
    "schedule": (str, ("constant", "one-cycle"), None, True, True, "DL4J keeps the learning rate 'constant'"),
    "seed": (int, 0, 2**63 - 1, True, True, "any whole number >= 0; DL4J uses 123"),
}


def allowed(name: str) -> str:
    """The allowed range of a field in words, e.g. '0 < lr <= 10'."""
    kind, low, high, low_in, high_in, _ = RANGES[name]
    if kind is bool:
        return "True or False"
    if kind is str:  # `low` holds the choices
        return " or ".join(repr(choice) for choice in low)
    if low == high:
        return f"exactly {low}"
    fmt = (lambda v: f"{v:,}") if kind is int else (lambda v: f"{v:g}")
    return f"{fmt(low)} {'<=' if low_in else '<'} {name} {'<=' if high_in else '<'} {fmt(high)}"


def _check(name, value):
    kind, low, high, low_in, high_in, hint = RANGES[name]
    if kind is str:
        if value not in low:
            raise ValueError(f"Config.{name} = {value!r} is not allowed: use {allowed(name)} ({hint}).")
        return
    # bool is a subclass of int in Python: refuse True as a batch size, and 1 as a bool
    ok_type = (
        isinstance(value, bool)
        if kind is bool
        else (isinstance(value, (int, float) if kind is float else int) and not isinstance(value, bool))
    )
    if not ok_type:
        raise TypeError(
            f"Config.{name} = {value!r} has type {type(value).__name__}; it must be "
            f"{'a whole number' if kind is int else 'a number' if kind is float else 'True or False'} "
            f"({allowed(name)}; {hint})."
        )
    if kind is bool:
        return
    too_low = value < low or (value == low and not low_in)
    too_high = value > high or (value == high and not high_in)
    if not isfinite(value) or too_low or too_high:
        raise ValueError(f"Config.{name} = {value!r} is out of range: allowed {allowed(name)} ({hint}).")
