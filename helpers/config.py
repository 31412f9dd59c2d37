"""The settings of one training run, with DL4J's MLPMnistSingleLayerExample as the defaults."""

from dataclasses import asdict, dataclass, fields, replace
from math import isfinite

from helpers.errors import UserError

DL4J_ACCURACY = 0.971  # the test accuracy DL4J's tutorial reports for this network (97.1%)
TRAIN_SIZE = 60_000  # images in MNIST's training set
# what `--model cnn` changes besides the network: standardised pixels, a learning rate that rises and falls once
# over the run (one-cycle), 8 epochs (README, "Results": 99.33% test accuracy at seed 123)
CNN_RECIPE = {"model": "cnn", "normalize": True, "lr": 0.1, "epochs": 8, "schedule": "one-cycle"}


class ConfigError(UserError, ValueError):
    """A setting outside its allowed range."""


@dataclass(frozen=True)
class Config:
    """Every setting of one training run; `Config()` is DL4J's MLPMnistSingleLayerExample exactly."""

    # data: 28 x 28 = 784 pixels in (DL4J numRows, numColumns), 10 digits out (outputNum), fixed by MNIST and the network
    normalize: bool = False  # standardise pixels with the training set's mean/std; DL4J only scales to [0, 1]
    train_fraction: float = 1.0  # share of the training images used; 1.0 as in DL4J, less for quick runs
    # model: "mlp" is DL4J's 784 -> hidden relu units -> 10 scores; "cnn" the small CNN of `--model cnn`
    model: str = "mlp"
    hidden: int = 1000  # units in the MLP's hidden layer (DL4J DenseLayer nOut); the CNN ignores it
    # training: stochastic gradient descent with Nesterov momentum
    batch_size: int = 128  # images per gradient step (DL4J batchSize)
    epochs: int = 15  # full passes over the training images (DL4J numEpochs)
    lr: float = 0.006  # learning rate, the size of each step (DL4J Nesterovs learningRate)
    momentum: float = 0.9  # share of the previous update carried into the next (DL4J Nesterovs momentum)
    l2: float = 1e-4  # pull of the weights (not biases) towards zero (DL4J l2; l2Bias is 0)
    l2_rule: str = "dl4j"  # "dl4j": each step shrinks weights by l2 / batch size (DL4J before 1.0.0-beta4); "pytorch": weight_decay
    schedule: str = "constant"  # the learning rate over the run: "constant" (DL4J) or "one-cycle" (up, then to ~0)
    seed: int = 123  # start weights, which images a share keeps, batch order (DL4J rngSeed)

    def __post_init__(self):
        for f in fields(self):
            _check(f.name, getattr(self, f.name))
        if self.batch_size > self.train_images:
            raise ConfigError(
                f"batch_size = {self.batch_size} is more than the {self.train_images:,} training images in use "
                f"(train_fraction {self.train_fraction:g}); allowed: 1 to {self.train_images:,}. Lower batch_size."
            )

    @property
    def train_images(self) -> int:
        """train_fraction of MNIST's 60,000 training images (share_of counts it of the set a run is given)."""
        return max(1, round(self.train_fraction * TRAIN_SIZE))

    def replace(self, **changes) -> "Config":
        """A copy with some fields changed, checked like a new Config."""
        unknown = sorted(set(changes) - set(RANGES))
        if unknown:
            raise ConfigError(f"Config has no field {', '.join(unknown)}; the fields are {', '.join(RANGES)}.")
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """The fields as a plain dict (what a checkpoint stores)."""
        return asdict(self)


# The allowed values, written once (argparse's choices and types come from here): a tuple of choices, or
# (type, lowest, highest) with "<" marking an end that is not allowed itself.
RANGES = {
    "normalize": (False, True),
    "train_fraction": (float, "<", 0.0, 1.0),
    "model": ("mlp", "cnn"),
    "hidden": (int, 1, 10_000),
    "batch_size": (int, 1, TRAIN_SIZE),
    "epochs": (int, 1, 1000),
    "lr": (float, "<", 0.0, 10.0),
    "momentum": (float, 0.0, 1.0, "<"),
    "l2": (float, 0.0, 1.0),
    "l2_rule": ("dl4j", "pytorch"),
    "schedule": ("constant", "one-cycle"),
    "seed": (int, 0, 2**63 - 1),
}


def allowed(name: str) -> str:
    """The allowed values of a field in words, e.g. '0 < lr <= 10' or "'dl4j' or 'pytorch'"."""
    spec = RANGES[name]
    if not isinstance(spec[0], type):
        return " or ".join(repr(choice) for choice in spec)
    kind, low, high = (x for x in spec if x != "<")
    show = (lambda v: f"{v:,}") if kind is int else (lambda v: f"{v:g}")
    low_op = "<" if spec[1] == "<" else "<="
    high_op = "<" if spec[-1] == "<" else "<="
    return f"{show(low)} {low_op} {name} {high_op} {show(high)}"


def _check(name, value):
    spec = RANGES[name]
    if not isinstance(spec[0], type):  # a choice (True/False included)
        if value not in spec or isinstance(value, bool) != isinstance(spec[0], bool):
            raise ConfigError(f"Config.{name} = {value!r} is not allowed: use {allowed(name)}.")
        return
    kind, low, high = (x for x in spec if x != "<")
    number = isinstance(value, (int, kind)) and not isinstance(value, bool)  # an int is a float's value too
    too_low = number and (value < low or (value == low and spec[1] == "<"))
    too_high = number and (value > high or (value == high and spec[-1] == "<"))
    if not number or not isfinite(value) or too_low or too_high:
        raise ConfigError(
            f"Config.{name} = {value!r} is not allowed: use {allowed(name)} (DL4J: {getattr(Config, name)!r})."
        )
