"""helpers.checkpoint: the round trip, a crash mid-write, and bad, foreign, malicious or unreadable files refused."""

import pickle

import pytest
import torch
from support import Payload, assert_same_state, bad_checkpoint, files_under, small_run

from helpers import checkpoint as ckpt
from helpers.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from helpers.config import Config
from helpers.loop import History, predict
from helpers.model import mlp
from helpers.runs import optimizer_for

pytestmark = pytest.mark.usefixtures("one_thread")

BAD_KINDS = [
    "missing",
    "truncated",
    "flipped byte",
    "random bytes",
    "empty",
    "text",
    "not ours",
    "bare state_dict",
    "other version",
    "no config",
]


def test_checkpoint_round_trip_keeps_everything(tmp_path, small):
    train, test = small
    trained = small_run(train, test, seed=3)
    model, optimizer, history, config = trained.model, trained.optimizer, trained.history, trained.config
    metrics = {"accuracy": history.test_accuracy[-1]}
    path = save_checkpoint(
        tmp_path / "sub" / "model.pt", model, config, metrics=metrics, history=history, optimizer=optimizer
    )
    loaded = load_checkpoint(path)
    assert loaded["config"] == config and loaded["metrics"] == metrics
    assert loaded["history"] == history.to_dict() and History(**loaded["history"]) == history
    assert loaded["versions"]["torch"] == str(torch.__version__)
    for (name, a), b in zip(model.state_dict().items(), loaded["model"].state_dict().values()):
        assert torch.equal(a, b), name
    assert torch.equal(predict(loaded["model"], test.images), predict(model, test.images))
    restored = optimizer_for(loaded["model"], config)
    restored.load_state_dict(loaded["optimizer"])  # training can go on where it stopped
    assert_same_state(model, optimizer, loaded["model"], restored)
    assert files_under(tmp_path / "sub") == ["model.pt"]  # no temporary file left behind


@pytest.mark.parametrize(
    "crash", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=["disk full", "ctrl-c"]
)
def test_crash_mid_write_keeps_the_previous_checkpoint(crash, saved, monkeypatch):
    path, model = saved
    before = path.read_bytes()

    def half_a_save(obj, f, *args, **kwargs):
        f.write(before[: len(before) // 2])  # some bytes reach the disk, then the crash
        raise crash

    monkeypatch.setattr(torch, "save", half_a_save)
    torch.manual_seed(1)
    with pytest.raises(type(crash)):
        save_checkpoint(path, mlp(784, 1000, 10), Config(seed=1))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert files_under(path.parent) == ["model.pt"]  # no temporary file left
    loaded = load_checkpoint(path)
    assert loaded["config"] == Config() and loaded["metrics"] == {"accuracy": 0.5}
    assert torch.equal(loaded["model"].hidden.weight, model.hidden.weight)


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_load_refuses_bad_checkpoint_with_a_clear_message(kind, tmp_path, saved):
    path, says = bad_checkpoint(kind, tmp_path, saved[0])
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path)
    assert str(path) in str(raised.value) and says in str(raised.value)


def test_load_refuses_another_architecture_naming_both_shapes(tmp_path):
    path = save_checkpoint(tmp_path / "small.pt", mlp(784, 500, 10), Config(hidden=500))
    model = mlp(784, 1000, 10)
    before = model.hidden.weight.clone()
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path, model)
    message = str(raised.value)
    assert "is for another architecture" in message
    assert (
        "[500, 784] in the checkpoint" in message and "[1000, 784] in the model" in message and "hidden=500" in message
    )
    assert torch.equal(model.hidden.weight, before)  # the model was left untouched
    assert load_checkpoint(path)["model"].hidden.out_features == 500  # without a model, it builds the right one


@pytest.mark.parametrize("form", ["torch.save", "plain pickle"])
def test_load_refuses_a_pickle_that_would_run_code(form, tmp_path):
    target = tmp_path / "PWNED"
    payload = {"format": ckpt.FORMAT, "version": ckpt.VERSION, "model": Payload(target)}
    path = tmp_path / "evil.pt"
    if form == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    # first prove the payload is live: an unsafe load does create the file
    loaded = torch.load(path, weights_only=False) if form == "torch.save" else pickle.loads(path.read_bytes())
    loaded["model"].close()
    assert target.exists()
    target.unlink()
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path)
    assert "refused" in str(raised.value) and str(path) in str(raised.value)
    assert not target.exists()  # nothing ran


def test_load_calls_a_garbled_pickle_damaged_not_dangerous(tmp_path):
    path = tmp_path / "garbled.pt"
    path.write_bytes(b"\x80\x02garbage")
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path)
    assert "is damaged or not a PyTorch file" in str(raised.value) and "run code" not in str(raised.value)


def test_unreadable_checkpoint_is_one_clear_line(saved, monkeypatch):
    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ckpt, "open", unreadable, raising=False)  # root reads any file: fake the refusal
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(saved[0])
    assert f"{saved[0]} cannot be read (Permission denied)" in str(raised.value)
