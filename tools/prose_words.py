"""Count the prose a reader reads in each numbered notebook: `python tools/prose_words.py`.

Prose is the text of the markdown cells, without the folded exercise solutions (<details> blocks),
fenced code blocks and HTML tags. The budget for the whole tutorial is BUDGET words.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 10_000  # words across all numbered notebooks (issue: "The lesson in front")


def prose(markdown: str) -> str:
    """The words a reader reads in one markdown cell."""
    text = re.sub(r"<details>.*?</details>", " ", markdown, flags=re.S)  # folded solutions
    text = re.sub(r"```.*?```", " ", text, flags=re.S)  # code blocks
    return re.sub(r"<[^>]+>", " ", text)  # tags


def words(markdown: str) -> int:
    """How many words the cell's prose has (runs of letters, digits and apostrophes)."""
    return len(re.findall(r"[\w'’.,%-]*\w", prose(markdown)))


def count(path: Path) -> int:
    """Words of prose in the notebook at `path`."""
    nb = json.loads(path.read_text())
    return sum(words("".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "markdown")


def main() -> int:
    """Print the words per notebook and in all; exit 1 when over BUDGET."""
    counts = {p.name: count(p) for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
    for name, n in counts.items():
        print(f"{name:<28}{n:>7,} words")
    total = sum(counts.values())
    print(f"{'all notebooks':<28}{total:>7,} words (budget {BUDGET:,})")
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
