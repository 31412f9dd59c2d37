"""helpers.checkpoint: the round trip, partial models, failed writes, and bad, foreign, malicious or unloadable files refused."""

import pickle

import pytest
import torch
from support import ROOT, Payload, assert_same_state, bad_checkpoint, files_under, small_run

from helpers import checkpoint as ckpt
from helpers.checkpoint import CheckpointError, describe, load_checkpoint, save_checkpoint
from helpers.config import Config
from helpers.data import batch_loader
from helpers.loop import History, accuracy
from helpers.model import make_optimizer, mlp
from helpers.runs import load_or_train

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
    "no versions",
]


def test_checkpoint_round_trip_keeps_everything(tmp_path, small):
    train, test = small
    trained = small_run(train, seed=3)
    model, optimizer, history, config = trained.model, trained.optimizer, trained.history, trained.config
    metrics = {"accuracy": accuracy(model, batch_loader(test, 1000, shuffle=False))}
    path = save_checkpoint(
        tmp_path / "sub" / "model.pt", model, config, metrics=metrics, history=history, optimizer=optimizer
    )
    loaded = load_checkpoint(path)
    assert loaded["config"] == config and loaded["metrics"] == metrics and loaded["partial"] == ""
    assert loaded["history"] == history.to_dict() and History(**loaded["history"]) == history
    assert loaded["versions"]["torch"] == str(torch.__version__)
    assert describe(loaded, path) == f"the MLP from {path.as_posix()} (test accuracy {metrics['accuracy']:.2%})"
    for (name, a), b in zip(model.state_dict().items(), loaded["model"].state_dict().values()):
        assert torch.equal(a, b), name
    restored = make_optimizer(loaded["model"], config)
    restored.load_state_dict(loaded["optimizer"])  # training can go on where it stopped
    assert_same_state(model, optimizer, loaded["model"], restored)
    assert files_under(tmp_path / "sub") == ["model.pt"]  # no temporary file left behind


def test_a_run_stopped_early_is_saved_only_when_asked_and_then_said_to_be_partial(saved, capsys):
    path, model = saved
    before = path.read_bytes()
    history = History(epochs_done=3, steps=60, stopped="interrupted after 3 full epochs (60 steps)")
    with pytest.raises(CheckpointError) as raised:
        save_checkpoint(path, model, Config(), history=history)
    line = str(raised.value)
    assert "stopped early (interrupted after 3 full epochs (60 steps))" in line and "partial_ok=True" in line
    assert raised.value._render_traceback_() == [f"CheckpointError: {line}"] and "\n" not in line  # Jupyter: one line
    assert path.read_bytes() == before
    save_checkpoint(path, model, Config(), metrics={"accuracy": 0.9}, history=history, partial_ok=True)
    loaded = load_checkpoint(path)
    assert loaded["partial"] == history.stopped
    assert describe(loaded, path) == (
        f"the MLP from {path.as_posix()} (test accuracy 90.00%), "
        "from a run stopped early: interrupted after 3 full epochs (60 steps)"
    )
    load_or_train(path, Config())
    said = capsys.readouterr().out
    assert "from a run stopped early: interrupted after 3 full epochs" in said and "a partial model" in said


@pytest.mark.parametrize("crash", ["full disk", "ctrl-c"])
def test_a_failed_write_keeps_the_previous_checkpoint_and_says_why(crash, saved, monkeypatch):
    path, model = saved
    before = path.read_bytes()

    def half_a_save(obj, f, *args, **kwargs):
        f.write(before[: len(before) // 2])  # some bytes reach the disk, then the crash
        if crash == "ctrl-c":
            raise KeyboardInterrupt
        try:
            raise OSError(28, "No space left on device")
        except OSError:  # how torch.save reports a full disk: RuntimeError "unexpected pos" after the OSError
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534")  # noqa: B904

    monkeypatch.setattr(torch, "save", half_a_save)
    with pytest.raises(KeyboardInterrupt if crash == "ctrl-c" else CheckpointError) as raised:
        save_checkpoint(path, mlp(1000), Config(seed=1))
    monkeypatch.undo()
    assert path.read_bytes() == before and files_under(path.parent) == ["model.pt"]  # no temporary file left
    if crash == "full disk":
        assert str(raised.value) == (
            f"Could not write the checkpoint {path}: No space left on device. "
            "Nothing was written there (a file already there is as it was)."
        )


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_load_refuses_bad_checkpoint_with_a_clear_message(kind, tmp_path, saved):
    path, says = bad_checkpoint(kind, tmp_path, saved[0])
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path)
    assert str(path) in str(raised.value) and says in str(raised.value)


def test_load_refuses_weights_that_do_not_fit_the_config(tmp_path, saved):
    payload = torch.load(saved[0], weights_only=True)
    payload["config"]["hidden"] = 500  # the weights are a hidden=1000 network's
    del payload["sha256"]  # (a flipped byte would be caught by the SHA-256 first)
    path = tmp_path / "misfit.pt"
    torch.save(payload, path)
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path)
    message = str(raised.value)
    assert "holds weights that do not fit the MLP its config describes" in message
    assert "torch.Size([1000, 784]) from checkpoint" in message and "torch.Size([500, 784])" in message


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


def test_unreadable_or_unnameable_checkpoint_is_one_true_line(saved, tmp_path, monkeypatch):
    with pytest.raises(CheckpointError, match=r"cannot be read \(File name too long\)\.$"):
        load_checkpoint(tmp_path / ("a" * 300 + ".pt"))

    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ckpt, "open", unreadable, raising=False)  # root reads any file: fake the refusal
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(saved[0])
    assert f"{saved[0]} cannot be read (Permission denied)" in str(raised.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_load_onto_a_missing_gpu_says_so_not_damaged(saved):
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(saved[0], device="cuda")
    message = str(raised.value)
    assert "CUDA is not available on this machine" in message and "device='cpu'" in message
    assert "damaged" not in message


def test_advice_names_the_command_as_run_from_the_repository_root(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT / "notebooks")  # where the notebooks run: their paths start with ../
    name = f"{tmp_path.name}_cnn.pt"  # a file that is not there
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(f"../checkpoints/{name}")
    assert f"`python -m helpers.train --model cnn --save checkpoints/{name}` (from the repository root)" in str(
        raised.value
    )
