"""The functions a notebook writes are the library's functions, code for code (d2l's `#@save` discipline).

A learner writes `train_epoch` and `accuracy` in notebook 04, `mlp` in 03, `batch_loader` in 01...;
the library runs the same code. Compared as syntax trees, so comments, docstrings and formatting may differ.
"""

import ast
import inspect
import json
import textwrap

import pytest
from nbrun import NOTEBOOKS

from helpers import data, loop, model

SAME = {  # (notebook, function it defines in a code cell): the library's function
    ("01_dataset", "batch_loader"): data.batch_loader,
    ("01_dataset", "split_validation"): data.split_validation,
    ("03_building_layers", "mlp"): model.mlp,
    ("04_training", "train_epoch"): loop.train_epoch,
    ("04_training", "accuracy"): loop.accuracy,
}


def without_docstrings(function: ast.FunctionDef) -> str:
    """The function's syntax tree as text, its docstring left out."""
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    return ast.dump(
        ast.FunctionDef(function.name, function.args, body, function.decorator_list, function.returns, None)
    )


def defined_in(notebook: str, name: str) -> ast.FunctionDef:
    """The one definition of function `name` in the notebook's code cells."""
    found = []
    for cell in json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text())["cells"]:
        if cell["cell_type"] == "code":
            tree = ast.parse("".join(cell["source"]))
            found += [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name]
    assert len(found) == 1, f"{notebook} defines {name} {len(found)} times; it must write it once"
    return found[0]


@pytest.mark.parametrize(("notebook", "name"), list(SAME), ids=[f"{nb}-{name}" for nb, name in SAME])
def test_the_notebook_writes_the_library_function(notebook, name):
    library = ast.parse(textwrap.dedent(inspect.getsource(SAME[notebook, name]))).body[0]
    assert without_docstrings(defined_in(notebook, name)) == without_docstrings(library), (
        f"{notebook}'s {name} and helpers' {SAME[notebook, name].__module__}.{name} differ: change both alike"
    )
