"""The "Try it" exercises: every check accepts its solution, rejects a typical wrong answer with the
right hint, is gentle when unanswered; the notebooks hold 2-4 of them with hidden, matching solutions."""

import json
import re

import pytest
import torch

from helpers import exercises
from helpers.config import Config
from helpers.exercises import EXERCISES, exercises_of, verdict
from helpers.metrics import evaluate
from helpers.training import History
from nbrun import ROOT, code_cells, executed, notebook_paths, text_of

IDS = list(EXERCISES)

# A typical wrong answer to each exercise (code run in the notebook's variables), and a piece of the
# hint it must get: the check should say what is wrong, not only that it is.
WRONG = {
    "01.1": ("fives = 60_000 // 10", "balanced"),
    "01.2": ("grid = train.images[0].reshape(28, 28).T", "rows and columns swapped"),
    "01.3": ("background = (train.images == 0).float().mean().item() * 100", "percentage"),
    "02.1": ("fast = Config(lr=0.1)", "momentum"),
    "02.2": ("steps = (config.train_images // config.batch_size) * config.epochs", "rounded down"),
    "03.1": ("params_500 = 784 * 500 + 500 * 10", "bias"),
    "03.2": ("def my_softmax(scores):\n    return torch.exp(scores) / torch.exp(scores).sum(dim=0)", "row"),
    "03.3": ("xavier_std = 2 / (784 + 1000)", "variance"),
    "04.1": (
        "def train_step(model, optimizer, images, labels):\n"
        "    loss = loss_fn(model(images), labels)\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
        "    return loss",
        "zero_grad",
    ),
    "04.2": ("pixel_mean, pixel_std = test.images.mean().item(), test.images.std().item()", "test set"),
    "04.3": ("best_epoch = history.test_accuracy.index(max(history.test_accuracy))", "index"),
    "05.1": ("precision_3 = (evaluation.confusion[3, 3] / evaluation.confusion[3].sum()).item()", "recall"),
    "05.2": ("mistake = (9, 4)", "wrong way round"),
    "05.3": ("wrong = evaluation.confusion.trace().item()", "got right"),
}


@pytest.fixture(scope="module")
def context(mnist):
    """What the notebooks have in scope when their exercises come: data, config, helpers, results."""
    import math

    from helpers.model import count_parameters, loss_fn, mlp

    train, test = mnist
    # A confusion matrix with known mistakes: 40 fours called 9, 25 threes called 5, 10 sevens called 2.
    predictions = test.labels.clone()
    for actual, predicted, n in [(4, 9, 40), (3, 5, 25), (7, 2, 10), (5, 3, 3)]:
        predictions[(test.labels == actual).nonzero().flatten()[:n]] = predicted
    history = History(train_loss=[0.5, 0.3, 0.2, 0.15], test_accuracy=[0.95, 0.962, 0.9721, 0.9705], epochs_done=4)
    return dict(
        torch=torch, math=math, Config=Config, config=Config(), train=train, test=test, mlp=mlp,
        count_parameters=count_parameters, loss_fn=loss_fn, model=mlp(784, 1000, 10), history=history,
        evaluation=evaluate(test.labels, predictions),
    )


def run(ex, code: str, context: dict):
    """Run `code` then the exercise's check line in a copy of `context`; return the Verdicts it produced."""
    seen = []
    namespace = dict(context, check=lambda *a, **k: seen.append(verdict(*a, **k)))
    exec(code, namespace)
    assert len(seen) == 1, f"{ex.id}: the code should call check once"
    return seen[0]


def check_line(ex) -> str:
    return ex.starter.strip().splitlines()[-1]


# --- the registry ------------------------------------------------------------------------------

def test_every_exercise_has_a_typical_wrong_answer_here():
    assert set(WRONG) == set(EXERCISES)


@pytest.mark.parametrize("exercise_id", IDS)
def test_exercise_is_complete(exercise_id):
    ex = EXERCISES[exercise_id]
    assert re.fullmatch(r"0[1-7]\.[1-4]", ex.id)
    assert ex.title and ex.task and ex.hint and ex.why
    assert check_line(ex).startswith(f'check("{ex.id}", '), "the starter ends with the check call"
    assert "..." in ex.starter, "the starter leaves the answer open with ..."
    assert "check(" not in ex.solution, "the solution holds only the answer; the learner's cell already checks it"


@pytest.mark.parametrize("notebook", ["01", "02", "03", "04", "05", "06", "07"])
def test_each_notebook_has_two_to_four_exercises(notebook):
    assert 2 <= len(exercises_of(notebook)) <= 4


# --- every check: solution right, typical mistake wrong with its hint, open answer gentle --------

@pytest.mark.parametrize("exercise_id", IDS)
def test_check_accepts_the_solution(exercise_id, context):
    ex = EXERCISES[exercise_id]
    rng = torch.get_rng_state()
    result = run(ex, ex.solution + "\n" + check_line(ex), context)
    assert result.status == "right", result.message
    assert torch.equal(torch.get_rng_state(), rng), "a check must leave torch's random numbers as they were"


@pytest.mark.parametrize("exercise_id", IDS)
def test_check_rejects_a_typical_wrong_answer_with_a_hint(exercise_id, context):
    ex = EXERCISES[exercise_id]
    code, hint = WRONG[exercise_id]
    result = run(ex, code + "\n" + check_line(ex), context)
    assert result.status == "wrong"
    assert hint.lower() in result.message.lower(), result.message
    for line in ex.solution.splitlines():  # a hint must not hand out the solution
        code_part = line.split("#")[0].strip()
        if len(code_part) > 25:
            assert code_part not in result.message


@pytest.mark.parametrize("exercise_id", IDS)
def test_unanswered_exercise_prints_gently(exercise_id, context, capsys):
    ex = EXERCISES[exercise_id]
    result = run(ex, ex.starter, context)
    assert result.status == "unanswered", result.message
    exec(ex.starter, dict(context, check=exercises.check))  # the real check prints, and does not raise
    out = capsys.readouterr().out
    assert "not answered yet" in out.lower() and ex.id in out


@pytest.mark.parametrize("answer", ["5421", True, torch.arange(3), float("nan"), [1, 2], object()])
def test_odd_answers_get_a_message_not_an_exception(answer):
    result = verdict("01.1", answer)
    assert result.status == "wrong" and "number" in result.message


def test_a_one_element_tensor_counts_as_a_number(mnist):
    train, _ = mnist
    assert verdict("01.1", (train.labels == 5).sum()).right


def test_an_error_in_the_learners_function_is_reported_not_raised():
    def my_softmax(scores):
        return scores.exp() / undefined_name  # noqa: F821 - the mistake under test

    result = verdict("03.2", my_softmax)
    assert result.status == "wrong" and "NameError" in result.message


def test_softmax_without_the_max_trick_is_right_with_a_bonus_note():
    result = verdict("03.2", lambda s: torch.exp(s) / torch.exp(s).sum(dim=1, keepdim=True))
    assert result.right and "overflow" in result.message


def test_a_check_that_needs_an_object_says_how_to_pass_it():
    result = verdict("05.1", 0.97)
    assert result.status == "wrong" and "confusion=evaluation.confusion" in result.message


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(ValueError, match="no exercise '09.9'.*01.1"):
        verdict("09.9", 1)


def test_hint_and_solution_print_only_when_asked(capsys):
    exercises.hint("01.1")
    assert EXERCISES["01.1"].solution not in capsys.readouterr().out
    exercises.show_solution("01.1")
    assert EXERCISES["01.1"].solution in capsys.readouterr().out


def test_reset_help_names_the_one_step_resets(capsys):
    exercises.reset_help()
    out = capsys.readouterr().out
    assert "config = Config()" in out and "Reset" in out
    assert Config() == Config().replace(lr=0.5).replace(lr=0.006), "Config() is DL4J's settings"


# --- the exercises in the notebooks ------------------------------------------------------------

PATHS = notebook_paths()
NAMES = [p.stem for p in PATHS]
CHECK_CALL = re.compile(r'^check\("(\d\d\.\d)"', re.M)
SOLUTION_CELL = re.compile(r"<summary>\s*Solution (\d\d\.\d)")


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _source(cell) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("path", PATHS, ids=NAMES)
def test_notebook_has_its_exercises(path):
    cells = _cells(path)
    used = [m for c in cells if c["cell_type"] == "code" for m in CHECK_CALL.findall(_source(c))]
    assert 2 <= len(used) <= 4, f"{path.stem} should have 2-4 'Try it' exercises; it has {len(used)}"
    assert len(set(used)) == len(used), "each exercise is checked in one cell"
    assert set(used) <= set(EXERCISES), f"unknown exercise ids {set(used) - set(EXERCISES)}"
    assert used == [ex.id for ex in exercises_of(path.stem)], "the registry's exercises of this notebook, in order"


@pytest.mark.parametrize("path", PATHS, ids=NAMES)
def test_notebook_solutions_are_hidden_and_match_the_registry(path):
    cells = _cells(path)
    for ex in exercises_of(path.stem):
        check_at = next(i for i, c in enumerate(cells) if c["cell_type"] == "code" and f'check("{ex.id}"' in _source(c))
        assert ex.task in _source(cells[check_at - 1]), f"{ex.id}: the 'Try it' cell above the check should hold the registry's task"
        assert _source(cells[check_at]) == ex.starter, f"{ex.id}: the answer cell should be the registry's starter"
        solution = cells[check_at + 1]
        assert SOLUTION_CELL.search(_source(solution)) and SOLUTION_CELL.search(_source(solution)).group(1) == ex.id
        assert solution["cell_type"] == "markdown", "a solution is markdown: it never runs, so it never prints"
        assert solution["metadata"].get("jupyter", {}).get("source_hidden") is True, "collapsed in JupyterLab"
        text = _source(solution)
        assert text.lstrip().startswith("<details>") and text.rstrip().endswith("</details>"), "folded on GitHub too"
        assert ex.solution in text, f"{ex.id}: the notebook's solution differs from helpers/exercises.py (run workshop/sync_exercises.py)"


@pytest.mark.parametrize("name", NAMES)
def test_executed_notebook_leaves_exercises_open_and_shows_no_solution(name):
    nb = executed(name)
    for ex in exercises_of(name):
        cell = next(c for c in code_cells(nb) if f'check("{ex.id}"' in _source(c))
        printed = "".join("".join(o.get("text", "")) for o in cell["outputs"])
        assert f"{ex.id}: Not answered yet" in printed, f"{ex.id} should run unanswered, gently; printed {printed!r}"
    shown = text_of(nb)
    for ex in exercises_of(name):
        assert f"Solution {ex.id}" not in shown
        for line in ex.solution.splitlines():
            code_part = line.split("#")[0].strip()
            if len(code_part) > 25:
                assert code_part not in shown, f"{ex.id}'s solution appears in an output"
