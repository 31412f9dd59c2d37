"""Notebook 04, training: the checks of exercises 04.1, 04.2, 04.3; their text is in notebooks/04_training.ipynb."""

import torch

from helpers.exercises.core import NotYet, _call, _given, _number, _quiet_model, _whole_number, exercises_in

exercise = exercises_in("04_training")


@exercise(
    "04.1",
    title="One training step",
    hint="Four calls: the loss of `model(images)`, `optimizer.zero_grad()`, `loss.backward()`, `optimizer.step()`.",
)
def _train_step(answer, given):
    import copy

    from helpers.model import loss_fn, sgd

    if not callable(answer):
        raise NotYet(f"give the function itself (`train_step`, no parentheses), not a {type(answer).__name__}.")
    g = torch.Generator().manual_seed(4)
    data = [(torch.rand(16, 784, generator=g), torch.randint(0, 10, (16,), generator=g)) for _ in range(3)]
    mine = _quiet_model(784, 32, 10)
    theirs = copy.deepcopy(mine)
    my_opt, their_opt = (sgd(m, lr=0.1, momentum=0.9, l2=1e-4, batch_size=128) for m in (mine, theirs))
    before = [p.detach().clone() for p in theirs.parameters()]
    for i, (images, labels) in enumerate(data):
        expected_loss = loss_fn(mine(images), labels)
        my_opt.zero_grad()
        expected_loss.backward()
        my_opt.step()
        loss = _call(answer, theirs, their_opt, images, labels, name="train_step")
        try:
            loss = _number(loss, "the value train_step returned")
        except NotYet as e:
            raise NotYet(f"{e} Return the loss (a one-element tensor is fine).") from None
        if abs(loss - expected_loss.item()) > 1e-4:
            raise NotYet(
                "the loss it returned is not the cross-entropy of `model(images)` and `labels` before the update."
            )
        if all(torch.allclose(p, q, atol=1e-6) for p, q in zip(mine.parameters(), theirs.parameters())):
            continue
        if all(torch.equal(p, q) for p, q in zip(before, theirs.parameters())):
            raise NotYet("the weights did not change: call `optimizer.step()` after `loss.backward()`.")
        if i == 0:
            raise NotYet(
                "the first update is off: zero the gradients, then `loss.backward()`, then `optimizer.step()`."
            )
        raise NotYet(
            "the first step is right but the next ones are off: the gradients pile up across steps. "
            "Call `optimizer.zero_grad()` every step, before `loss.backward()`."
        )
    return "forward, zero_grad, backward, step: the heart of every PyTorch training loop."


@exercise(
    "04.2",
    title="Read the history",
    hint="`max(history.test_accuracy)` is the best accuracy; `.index(...)` says where it is. Lists count from 0, epochs from 1.",
)
def _best_epoch(answer, given):
    history = _given(given, "history", 'check("04.2", best_epoch, history=history)')
    accs = list(getattr(history, "test_accuracy", []))
    if not accs:
        raise NotYet("this history has no test accuracies: train at least one epoch with a test set first.")
    best = max(accs)
    number = _number(answer)
    if abs(number - best) < 1e-6 or abs(number - 100 * best) < 1e-4:
        raise NotYet("that is the best accuracy itself; the question asks after which epoch it came.")
    epoch = _whole_number(answer)
    best_epochs = [i + 1 for i, a in enumerate(accs) if a == best]
    if epoch in best_epochs:
        return f"epoch {epoch} reached {best:.2%}."
    if epoch + 1 in best_epochs:
        raise NotYet("that is the list index; epochs count from 1, so add 1.")
    if not 1 <= epoch <= len(accs):
        raise NotYet(f"this run has {len(accs)} epochs, numbered 1 to {len(accs)}.")
    raise NotYet(f"after epoch {epoch} the accuracy was {accs[epoch - 1]:.2%}; another epoch did better.")


@exercise(
    "04.3",
    title="Training accuracy",
    hint="`predict(model, train.images)` gives the predicted digits; compare them with `train.labels` and take the mean.",
)
def _train_accuracy(answer, given):
    from helpers.loop import accuracy

    how = 'check("04.3", train_accuracy, model=model, train=train)'
    model, train = _given(given, "model", how), _given(given, "train", how)
    share = _number(answer)
    with torch.random.fork_rng(devices=[]):
        truth = accuracy(model, train)
    if abs(share - truth) < 1e-4:
        return f"{truth:.2%} of the training images right. Compare with the test accuracy: the gap is what the network memorised rather than learned."
    if abs(share / 100 - truth) < 1e-4:
        raise NotYet("that is a percentage; give a share between 0 and 1.")
    if share > 1:
        raise NotYet("that looks like a count; divide by the number of training images for a share.")
    raise NotYet("compare the model's predictions on `train.images` with `train.labels`: not the test set.")
