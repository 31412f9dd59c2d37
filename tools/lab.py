"""Start JupyterLab on the tutorial: the repository as its root, opened on notebooks/01_dataset.ipynb.

    python3 tools/lab.py                 # opens your browser
    python3 tools/lab.py --no-browser    # a server, WSL or SSH: open the printed http://127.0.0.1:8888/lab/tree/...?token=... link

Any other JupyterLab flag passes through (for example --port=8890). Stop the server with Ctrl-C,
then `y` (or Ctrl-C twice). Binder opens the same way: the repository's root, on notebook 01.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = "notebooks/01_dataset.ipynb"


def command(args=(), *, euid=None) -> list:
    """The `jupyter lab` command line for `args`; `--allow-root` is added for the root user (containers, CI)."""
    euid = os.geteuid() if euid is None and hasattr(os, "geteuid") else euid  # Windows has no user ids
    # default_url: the page a browser (or the printed link, with --no-browser) opens: notebook 01
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        f"--ServerApp.root_dir={ROOT}",
        f"--LabApp.default_url=/lab/tree/{FIRST}",
        *args,
    ]
    if euid == 0 and "--allow-root" not in args:
        # Jupyter refuses to run as root unless told to; as root in a container that is the normal case
        cmd.append("--allow-root")
    return cmd


def main(argv=None) -> int:
    """Run JupyterLab until it is stopped; return its exit status."""
    args = sys.argv[1:] if argv is None else argv
    if importlib.util.find_spec("jupyterlab") is None:
        print(
            f"tools/lab.py: JupyterLab is not installed for {sys.executable}. "
            "Install what the tutorial needs first: python3 -m pip install -r requirements.txt",
            file=sys.stderr,
        )
        return 1
    env = dict(os.environ)
    # PyTorch's OpenMP threads spin after each step; on a small machine beside a browser that made
    # training 2-3x slower (README, "Results"). CI and Binder set the same; a value you set wins.
    env.setdefault("GOMP_SPINCOUNT", "1000")
    server = subprocess.Popen(command(args), cwd=ROOT, env=env)
    while True:
        try:
            return server.wait()
        except KeyboardInterrupt:  # Jupyter got the Ctrl-C too and asks whether to stop: wait for it
            continue


if __name__ == "__main__":
    raise SystemExit(main())
