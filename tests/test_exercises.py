"""The "Try it" exercises: in each executed notebook, every check accepts its folded solution and rejects a typical
wrong answer with the right hint (tests/nbrun.py runs both in the notebook's own variables); unanswered exercises
are gentle; each notebook holds 2-4 of them as well-formed cell trios (task, answer, folded solution)."""

import json
import re
from typing import NamedTuple

import pytest
import torch
from nbrun import answer_verdicts, code_cells, executed, notebook_paths, text_of
from wrong_answers import WRONG

from helpers import exercises
from helpers.exercises import EXERCISES, core, exercises_of, verdict

PATHS = notebook_paths()
NAMES = [p.stem for p in PATHS]
CHECK_CALL = re.compile(r'^check\("(\d\d\.\d)"', re.M)
PYTHON_BLOCK = re.compile(r"```python\n(.*?)\n```(.*)</details>", re.S)  # the solution's code, then its why
IMPORT = "from helpers.exercises import check, hint, show_solution"


class Trio(NamedTuple):
    """One exercise in a notebook: the task cell, the answer cell that checks, the folded solution."""

    path: object
    task: dict
    answer: dict
    solution: dict


def _source(cell) -> str:
    return "".join(cell["source"])


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _trios(path) -> list:
    """[(id, Trio)] of the notebook at `path`: each code cell that checks, with the cells on either side."""
    cells = _cells(path)
    return [
        (exercise_id, Trio(path, *cells[i - 1 : i + 2]))
        for i, cell in enumerate(cells)
        if cell["cell_type"] == "code"
        for exercise_id in CHECK_CALL.findall(_source(cell))
    ]


TRIOS = {exercise_id: trio for path in PATHS for exercise_id, trio in _trios(path)}  # id -> its cells


def starter(exercise_id) -> str:
    """The answer cell as the notebook gives it, `...` still open."""
    return _source(TRIOS[exercise_id].answer)


def check_line(exercise_id) -> str:
    return starter(exercise_id).strip().splitlines()[-1]


def solution_code(exercise_id) -> str:
    """The ```python block of the exercise's folded solution cell."""
    found = PYTHON_BLOCK.search(_source(TRIOS[exercise_id].solution))
    return found[1] if found else ""


def solution_why(exercise_id) -> str:
    """What the solution teaches: the text after its code, up to </details>."""
    found = PYTHON_BLOCK.search(_source(TRIOS[exercise_id].solution))
    return found[2].strip() if found else ""


IDS = list(EXERCISES)


def _long_code_lines(code: str) -> list:
    """The solution's lines of code long enough to give it away, comments cut off."""
    return [part for line in code.splitlines() if len(part := line.split("#")[0].strip()) > 25]


# --- the registry ------------------------------------------------------------------------------


def test_every_exercise_is_in_a_notebook_and_has_a_typical_wrong_answer():
    assert set(EXERCISES) == set(TRIOS), "a check without its cells (or cells without a check)"
    assert set(WRONG) == set(EXERCISES), "tests/wrong_answers.py: one typical wrong answer per exercise"


@pytest.mark.parametrize("exercise_id", IDS)
def test_exercise_is_complete(exercise_id):
    ex = EXERCISES[exercise_id]
    assert re.fullmatch(r"0[1-7]\.[1-4]", ex.id) and ex.title and ex.hint and callable(ex.judge)
    assert ex.notebook_name in NAMES and ex.notebook_name.startswith(ex.notebook), "show_solution reads this one"
    assert 2 <= ex.minutes <= 15, "minutes: a learner's time, estimated by trying it (tools/prose_words.py counts it)"


# --- every check, in its executed notebook: solution right, typical mistake wrong with its hint -----


@pytest.mark.parametrize("name", [n for n in NAMES if exercises_of(n)])
def test_every_check_judges_the_solution_and_a_typical_mistake_in_the_notebook(name):
    verdicts = answer_verdicts(executed(name))
    for ex in exercises_of(name):
        status, message, kept = verdicts[("solution", ex.id)]
        assert status == "right" and kept, f"{ex.id}'s folded solution: {status}, {message}"
        status, message, kept = verdicts[("wrong", ex.id)]
        assert status == "wrong" and kept, f"{ex.id}'s typical mistake: {status}, {message}"
        assert WRONG[ex.id][1].lower() in message.lower(), f"{ex.id}: the hint should say what is wrong: {message}"
        for code_part in _long_code_lines(solution_code(ex.id)):  # a hint must not hand out the solution
            assert code_part not in message, ex.id


@pytest.mark.parametrize("name", [n for n in NAMES if exercises_of(n)])
def test_executed_notebook_leaves_exercises_open_and_shows_no_solution(name):
    nb = executed(name)
    for ex in exercises_of(name):
        cell = next(c for c in code_cells(nb) if f'check("{ex.id}"' in _source(c))
        printed = "".join("".join(o.get("text", "")) for o in cell["outputs"])
        assert f"{ex.id}: Not answered yet" in printed, f"{ex.id} should run unanswered, gently; printed {printed!r}"
    shown = text_of(nb)
    for ex in exercises_of(name):
        assert f"Solution {ex.id}" not in shown
        for code_part in _long_code_lines(solution_code(ex.id)):
            assert code_part not in shown, f"{ex.id}'s solution appears in an output"


@pytest.mark.parametrize("answer", ["5421", True, torch.arange(3), float("nan"), [1, 2], object()])
def test_odd_answers_get_a_message_not_an_exception(answer):
    result = verdict("01.1", answer)
    assert result.status == "wrong" and "number" in result.message


def test_an_error_in_the_learners_function_is_reported_not_raised():
    def my_softmax(scores):
        return scores.exp() / undefined_name  # noqa: F821 - the mistake under test

    result = verdict("03.1", my_softmax)
    assert result.status == "wrong" and "NameError" in result.message


def test_softmax_without_the_max_trick_is_right_with_a_bonus_note():
    result = verdict("03.1", lambda s: torch.exp(s) / torch.exp(s).sum(dim=1, keepdim=True))
    assert result.right and "overflow" in result.message


def test_a_check_that_needs_an_object_says_how_to_pass_it():
    result = verdict("05.1", (0.97, 0.98))
    assert result.status == "wrong" and "confusion=report.confusion" in result.message


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(ValueError, match="no exercise '09.9'.*01.1"):
        verdict("09.9", 1)


# --- hint, solution, reset ---------------------------------------------------------------------


def test_hint_and_solution_print_only_when_asked(capsys):
    exercises.hint("01.1")
    assert solution_code("01.1") not in capsys.readouterr().out
    exercises.show_solution("01.1")
    assert solution_code("01.1") in capsys.readouterr().out


@pytest.mark.parametrize("exercise_id", IDS)
def test_show_solution_prints_the_notebooks_folded_cell(exercise_id, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no notebook here: it reads the repository's
    ex = EXERCISES[exercise_id]
    exercises.show_solution(exercise_id)
    expected = f"Solution {ex.id} ({ex.title}):\n\n{solution_code(ex.id)}\n\n{solution_why(ex.id)}\n"
    assert capsys.readouterr().out == expected


def _copy_of_01(folder, *, solution: str = None):
    """notebooks/01_dataset.ipynb copied into `folder`, with 01.1's solution cell replaced by `solution`."""
    nb = json.loads((core.NOTEBOOKS / "01_dataset.ipynb").read_text())
    if solution is not None:
        cell = next(c for c in nb["cells"] if "<summary>Solution 01.1" in _source(c))
        cell["source"] = solution.splitlines(keepends=True)
    (folder / "01_dataset.ipynb").write_text(json.dumps(nb))


def test_show_solution_reads_the_notebook_in_the_working_folder_first(tmp_path, monkeypatch, capsys):
    mine = "<details><summary>Solution 01.1 (mine)</summary>\n\n```python\nlazy_accuracy = 0.1135\n```\n\nMy notes.\n\n</details>"
    _copy_of_01(tmp_path, solution=mine)
    monkeypatch.chdir(tmp_path)  # a notebook runs in its own folder: a learner's copy there comes first
    exercises.show_solution("01.1")
    assert capsys.readouterr().out == "Solution 01.1 (The lazy network):\n\nlazy_accuracy = 0.1135\n\nMy notes.\n"
    (tmp_path / "01_dataset.ipynb").write_text("{ not json")  # a damaged copy: the repository's still helps
    exercises.show_solution("01.1")
    assert solution_code("01.1") in capsys.readouterr().out


@pytest.mark.parametrize("copy", ["none", "damaged", "without the cell"])
def test_show_solution_without_the_notebook_says_where_it_looked(copy, tmp_path, monkeypatch, capsys):
    if copy == "damaged":
        (tmp_path / "01_dataset.ipynb").write_text("{ not json")
    elif copy == "without the cell":
        _copy_of_01(tmp_path, solution="The solution was here.")
    monkeypatch.setattr(core, "NOTEBOOKS", tmp_path / "gone")  # no repository notebooks either
    monkeypatch.chdir(tmp_path)
    exercises.show_solution("01.1")
    out = capsys.readouterr().out
    assert out.startswith("Solution 01.1: ") and out.count("\n") == 1, "one clear line, no traceback"
    assert str(tmp_path / "01_dataset.ipynb") in out and str(tmp_path / "gone" / "01_dataset.ipynb") in out
    reason = {"none": "no such file", "damaged": "unreadable", "without the cell": "no folded solution 01.1"}[copy]
    assert reason in out and "git checkout notebooks/01_dataset.ipynb" in out, out


def test_reset_help_names_the_one_step_resets(capsys):
    exercises.reset_help()
    out = capsys.readouterr().out
    assert "config = Config()" in out and "Reset" in out


# --- the exercises in the notebooks ------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS, ids=NAMES)
def test_notebook_has_its_exercises(path):
    used = [exercise_id for exercise_id, _ in _trios(path)]
    drawing_only = path.stem == "08_your_handwriting"  # its exercise is the drawing pad itself
    assert (drawing_only and not used) or 2 <= len(used) <= 4, (
        f"{path.stem} should have 2-4 'Try it' exercises; it has {len(used)}"
    )
    assert len(set(used)) == len(used), "each exercise is checked in one cell"
    assert used == [ex.id for ex in exercises_of(path.stem)], "the checks registered for it are its exercises, in order"
    assert all(ex.notebook_name == path.stem for ex in exercises_of(path.stem))
    if used:  # the learner's cells call check, hint and show_solution: imported before the first exercise
        sources = [_source(c) if c["cell_type"] == "code" else "" for c in _cells(path)]
        first = next(i for i, s in enumerate(sources) if CHECK_CALL.search(s))
        assert any(IMPORT in s for s in sources[:first]), f"{path.stem} should `{IMPORT}` before its exercises"


@pytest.mark.parametrize("exercise_id", IDS)
def test_exercise_cells_are_well_formed(exercise_id):
    ex = EXERCISES[exercise_id]
    trio = TRIOS[exercise_id]
    task, answer, solution = _source(trio.task), _source(trio.answer), _source(trio.solution)
    assert trio.task["cell_type"] == "markdown" and task.startswith(f"### ✏️ Try it {ex.id}: {ex.title}\n"), (
        f"{ex.id}: the cell above the check is the task, headed with the id and the registered title"
    )
    assert f'hint("{ex.id}")' in task, "the task says how to get a hint"
    assert check_line(ex.id).startswith(f'check("{ex.id}", '), "the answer cell ends with the check call"
    assert "..." in answer, "the answer cell leaves the answer open with ..."
    assert trio.solution["cell_type"] == "markdown", "a solution is markdown: it never runs, so it never prints"
    assert not trio.solution["metadata"].get("jupyter", {}).get("source_hidden"), "one rendered Solution line"
    assert solution.lstrip().startswith("<details>") and solution.rstrip().endswith("</details>"), "folded on GitHub"
    assert re.search(rf"<summary>\s*Solution {re.escape(ex.id)}\b[^<]*</summary>", solution), "its summary names it"
    assert solution_code(ex.id), "the solution holds its code in a ```python block"
    assert "check(" not in solution_code(ex.id), "the solution holds only the answer; the answer cell checks it"
    assert solution_why(ex.id), "after the code, what the solution teaches"
