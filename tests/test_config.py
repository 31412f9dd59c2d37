"""helpers.config: DL4J's defaults, every bad value a Config refuses (naming field, value and range), replace."""

import dataclasses
import math

import pytest

from helpers.config import RANGES, TRAIN_SIZE, Config, ConfigError, allowed


def test_config_defaults_are_dl4j_settings():
    c = Config()
    assert c.hidden == 1000
    assert (c.batch_size, c.epochs, c.lr, c.momentum, c.l2, c.seed) == (128, 15, 0.006, 0.9, 1e-4, 123)
    assert c.normalize is False and c.train_fraction == 1.0
    assert c.train_images == 60_000


BAD_CONFIG = [  # field, value: out of range, or of the wrong type
    ("lr", 0),
    ("lr", 0.0),
    ("lr", -0.1),
    ("lr", 11.0),
    ("lr", math.nan),
    ("lr", math.inf),
    ("lr", "0.1"),
    ("lr", None),
    ("lr", True),
    ("momentum", 1.0),
    ("momentum", 1.5),
    ("momentum", -0.1),
    ("l2", -1e-4),
    ("l2", 2.0),
    ("batch_size", 0),
    ("batch_size", -1),
    ("batch_size", TRAIN_SIZE + 1),
    ("batch_size", 12.5),
    ("batch_size", "128"),
    ("batch_size", True),
    ("epochs", 0),
    ("epochs", -3),
    ("epochs", 1.0),
    ("epochs", 1.5),
    ("epochs", 1001),
    ("hidden", 0),
    ("hidden", 10_001),
    ("train_fraction", 0.0),
    ("train_fraction", -0.5),
    ("train_fraction", 1.5),
    ("seed", -1),
    ("seed", 1.5),
    ("normalize", 1),
    ("normalize", "yes"),
]


@pytest.mark.parametrize("field, value", BAD_CONFIG, ids=[f"{f}={v!r}" for f, v in BAD_CONFIG])
def test_config_rejects_bad_value_naming_field_value_and_range(field, value):
    with pytest.raises(ConfigError) as raised:
        Config(**{field: value})
    message = str(raised.value)
    assert f"Config.{field} = {value!r}" in message and allowed(field) in message
    assert raised.value._render_traceback_() == [f"ConfigError: {message}"]  # one line in Jupyter, no traceback
    with pytest.raises(ConfigError):  # .replace validates exactly like a new Config
        Config().replace(**{field: value})


def test_config_accepts_every_edge_of_its_ranges():
    edges = dict(lr=10.0, momentum=0.0, l2=0.0, batch_size=TRAIN_SIZE, train_fraction=1.0, epochs=1, hidden=1, seed=0)
    assert Config(**edges).to_dict().items() >= edges.items()
    assert Config(lr=1e-9, l2=1.0, epochs=1000, hidden=10_000, momentum=0.999).momentum == 0.999
    assert set(RANGES) == set(Config().to_dict())  # every field has a range


def test_config_batch_larger_than_the_training_set_in_use_is_refused():
    with pytest.raises(ConfigError) as raised:
        Config(train_fraction=0.001, batch_size=128)  # 60 images
    message = str(raised.value)
    assert "batch_size = 128 is more than the 60 training images in use (train_fraction 0.001)" in message
    assert "allowed: 1 to 60" in message
    assert Config(train_fraction=0.001, batch_size=60).train_images == 60


def test_config_replace_validates_and_is_frozen():
    c = Config()
    assert c.replace(lr=0.1).lr == 0.1 and c.lr == 0.006  # a copy; the original is unchanged
    with pytest.raises(ValueError, match="Config.epochs"):
        c.replace(epochs=0)
    with pytest.raises(ConfigError, match=r"no field learning_rate; the fields are .*\blr\b"):
        c.replace(learning_rate=0.1)  # an unknown field lists the fields there are
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.lr = 0.1
    assert Config(**c.to_dict()) == c


def test_allowed_ranges_in_words():
    assert allowed("lr") == "0 < lr <= 10"
    assert allowed("momentum") == "0 <= momentum < 1"
    assert allowed("normalize") == "False or True" and allowed("l2_rule") == "'dl4j' or 'pytorch'"


@pytest.mark.parametrize("field, value", [("model", "resnet"), ("schedule", "cosine")])
def test_config_refuses_an_unknown_model_or_schedule(field, value):
    with pytest.raises(ValueError, match=f"Config.{field} = '{value}' is not allowed"):
        Config(**{field: value})
