"""Count the prose a reader reads in each numbered notebook, and the time it takes: `python tools/prose_words.py`.

Prose is the text of the markdown cells, without the folded exercise solutions (<details> blocks),
fenced code blocks and HTML tags. The budget for the whole tutorial is BUDGET words. A notebook's
time is its prose at WORDS_PER_MINUTE, plus EXERCISE_MINUTES per exercise, plus its run time (each
notebook states the run time the test suite measured with papermill on the 2-core machine).
"""

import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 10_000  # words across all numbered notebooks
WORDS_PER_MINUTE = 200  # a careful reader of technical prose
EXERCISE_MINUTES = 3  # per "Try it": read the task, write a few lines, run the check


def prose(markdown: str) -> str:
    """The words a reader reads in one markdown cell."""
    text = re.sub(r"<details>.*?</details>", " ", markdown, flags=re.S)  # folded solutions
    text = re.sub(r"```.*?```", " ", text, flags=re.S)  # code blocks
    return re.sub(r"<[^>]+>", " ", text)  # tags


def words(markdown: str) -> int:
    """How many words the cell's prose has (runs of letters, digits and apostrophes)."""
    return len(re.findall(r"[\w'’.,%-]*\w", prose(markdown)))


def markdown_cells(path: Path) -> list:
    """The source of each markdown cell of the notebook at `path`."""
    nb = json.loads(Path(path).read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def count(path: Path) -> int:
    """Words of prose in the notebook at `path`."""
    return sum(words(cell) for cell in markdown_cells(path))


def budget(path: Path) -> dict:
    """Words, reading minutes, exercises and exercise minutes of the notebook at `path`."""
    n = count(path)
    exercises = sum(cell.startswith("### ✏️ Try it") for cell in markdown_cells(path))
    return {"words": n, "reading": math.ceil(n / WORDS_PER_MINUTE), "exercises": exercises,
            "exercise_minutes": EXERCISE_MINUTES * exercises}


def notebooks() -> list:
    """The numbered notebooks, in order."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def main() -> int:
    """Print words and minutes per notebook and in all; exit 1 when the words are over BUDGET."""
    total = 0
    for path in notebooks():
        b = budget(path)
        total += b["words"]
        print(f"{path.name:<28}{b['words']:>7,} words  {b['reading']:>3} min to read  "
              f"{b['exercises']} exercises, {b['exercise_minutes']:>2} min")
    print(f"{'all notebooks':<28}{total:>7,} words (budget {BUDGET:,})")
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
