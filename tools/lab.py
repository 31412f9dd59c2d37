"""Start JupyterLab on the tutorial (the repository as its root, opened on notebooks/01_dataset.ipynb), or the app.

    python3 tools/lab.py                 # JupyterLab; opens your browser
    python3 tools/lab.py --no-browser    # a server, WSL or SSH: open the printed http://127.0.0.1:8888/lab/tree/...?token=... link
    python3 tools/lab.py --app           # the playground and the drawing pad as a web page, no code (Voila)

Any other Jupyter flag passes through (for example --port=8890). Ctrl-C (or closing the terminal, or
SIGTERM) stops the server and every kernel it started. The server gets Binder's settings, from a Jupyter
config folder of the launcher's own (your own settings are not changed, and a setting you made still wins):
binder/overrides.json as JupyterLab's defaults (no news prompt; closing a notebook shuts its kernel down)
and binder/jupyter_server_config.py (closing the app's tab ends its kernel).
"""

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = "notebooks/01_dataset.ipynb"
APP = "notebooks/app.ipynb"
BINDER = ROOT / "binder"  # overrides.json: JupyterLab's defaults; jupyter_server_config.py: the server's settings
STOP_SIGNALS = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
GRACE = 15.0  # seconds the server gets to shut its kernels down before it is killed
# The app's kernels end when their tab closes (Voila tells the server); one whose tab vanished without a word
# (a crashed browser, a lost network) is ended after 10 idle minutes instead of holding ~0.7 GB for good.
APP_CULLING = ("--MappingKernelManager.cull_idle_timeout=600", "--MappingKernelManager.cull_interval=60")


def command(args=(), *, euid=None, app=False) -> list:
    """The server's command line for `args`: `jupyter lab`, or with `app` Voila's page; `--allow-root` for root."""
    euid = os.geteuid() if euid is None and hasattr(os, "geteuid") else euid  # Windows has no user ids
    if app:  # Voila inside a Jupyter server, as on Binder (urlpath=voila/render/notebooks/app.ipynb)
        opens = ["server", f"--ServerApp.default_url=/voila/render/{APP}", *APP_CULLING]
    else:  # default_url: the page a browser (or the printed link, with --no-browser) opens: notebook 01
        opens = ["lab", f"--LabApp.default_url=/lab/tree/{FIRST}"]
    cmd = [sys.executable, "-m", "jupyter", opens[0], f"--ServerApp.root_dir={ROOT}", *opens[1:], *args]
    if euid == 0 and "--allow-root" not in args:
        # Jupyter refuses to run as root unless told to; as root in a container that is the normal case
        cmd.append("--allow-root")
    return cmd


def binder_settings(config_dir: Path, *, binder: Path = BINDER) -> list:
    """Write Binder's settings into the Jupyter config folder `config_dir`; return the files written.

    JupyterLab 4 reads labconfig/default_setting_overrides.json, and Jupyter Server jupyter_server_config.py,
    from every folder on the Jupyter config path: there, this folder changes the defaults of this server
    only, and a setting you made yourself (Settings editor, ~/.jupyter) still wins over them.
    """
    defaults = Path(config_dir) / "labconfig" / "default_setting_overrides.json"
    defaults.parent.mkdir(parents=True, exist_ok=True)
    defaults.write_text(json.dumps(json.loads((binder / "overrides.json").read_text()), indent=2))  # checked JSON
    server = Path(shutil.copy(binder / "jupyter_server_config.py", Path(config_dir) / "jupyter_server_config.py"))
    return [defaults, server]


def environment(config_dir: Path, *, base=None) -> dict:
    """The server's environment: `base` (os.environ) with `config_dir` last on the Jupyter config path."""
    env = dict(os.environ if base is None else base)
    # last: a config folder you named yourself (JUPYTER_CONFIG_PATH, ~/.jupyter) keeps priority over ours
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (env.get("JUPYTER_CONFIG_PATH"), str(config_dir)) if p)
    # PyTorch's OpenMP threads spin after each step; on a small machine beside a browser that made
    # training 2-3x slower (README, "Results"). CI and Binder set the same; a value you set wins.
    env.setdefault("GOMP_SPINCOUNT", "1000")
    return env


def missing(*, app: bool) -> str:
    """What is not installed for this Python and how to install it, in one line; '' when all is there."""
    needed = ["jupyterlab", "voila"] if app else ["jupyterlab"]
    absent = [name for name in needed if importlib.util.find_spec(name) is None]
    if not absent:
        return ""
    return (
        f"tools/lab.py: {' and '.join(absent)} {'is' if len(absent) == 1 else 'are'} not installed for {sys.executable}. "
        "Install what the tutorial needs first: python3 -m pip install -r requirements.txt"
    )


def main(argv=None) -> int:
    """Run JupyterLab (or the app with --app) until it ends or is stopped; return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    app = "--app" in args
    args = [a for a in args if a != "--app"]
    problem = missing(app=app)
    if problem:
        say(problem)
        return 1
    received = []  # the stop signals that arrived, in order: noted from before the server starts, none is lost
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda signum, _frame: received.append(signum))
    config_dir = Path(tempfile.mkdtemp(prefix="mnist-for-beginners-jupyter-"))
    try:
        try:
            binder_settings(config_dir)
        except (OSError, ValueError) as e:  # a file of binder/ missing or not valid JSON: say which, in one line
            say(
                f"tools/lab.py: cannot apply Binder's settings from {BINDER}: {e}. Restore binder/ (git checkout binder)."
            )
            return 1
        # A session of its own (POSIX): Ctrl-C or a closed terminal reach the launcher, not the server, and
        # the launcher stops the server with SIGTERM, on which Jupyter shuts its kernels down without asking.
        server = subprocess.Popen(
            command(args, app=app),
            cwd=ROOT,
            env=environment(config_dir),
            stdin=subprocess.DEVNULL,
            start_new_session=os.name == "posix",
            preexec_fn=stop_with_parent if sys.platform == "linux" else None,
        )
        return supervise(server, received)
    finally:
        shutil.rmtree(config_dir, ignore_errors=True)


def stop_with_parent() -> None:
    """In the server's process, before it starts (Linux): SIGTERM it when the launcher dies, even by SIGKILL."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def supervise(server: subprocess.Popen, received: list) -> int:
    """Wait for `server` to end, or for a stop signal in `received` and then stop it; return the exit status."""
    while not received:
        try:
            return server.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue
    name = signal.Signals(received[0]).name
    say(f"tools/lab.py: {name} received: stopping the server and its kernels (again to stop them at once)...")
    forced = stop(server, hurry=lambda: len(received) > 1)
    say("tools/lab.py: stopped" + (", some by force." if forced else "."))
    return 0


def stop(server: subprocess.Popen, *, grace: float = GRACE, hurry=lambda: False) -> bool:
    """SIGTERM the server, SIGKILL it and any process it left (its kernels) after `grace` s or when `hurry()`.

    Returns whether anything had to be killed.
    """
    family = descendants(server.pid)  # now, while the server is alive: its kernels run in sessions of their own
    if server.poll() is None:
        server.terminate()
    deadline = time.monotonic() + grace
    while server.poll() is None and time.monotonic() < deadline and not hurry():
        time.sleep(0.1)
    forced = server.poll() is None
    if forced:
        server.kill()
        server.wait()
    left = [p for p in family if alive(p)]
    end = time.monotonic() + (0 if forced else 3)  # kernels the server shut down may take a moment to exit
    while left and time.monotonic() < end and not hurry():
        time.sleep(0.1)
        left = [p for p in left if alive(p)]
    for process in left:
        try:
            process.kill()
        except Exception:  # noqa: BLE001 - it ended on its own meanwhile
            pass
    return forced or bool(left)


def descendants(pid: int) -> list:
    """The processes started by `pid`, and by them, as psutil.Process objects ([] without psutil)."""
    try:
        import psutil  # comes with ipykernel, so with JupyterLab
    except ImportError:
        return []
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def alive(process) -> bool:
    """Whether a psutil.Process still runs (a zombie waiting for its parent counts as ended)."""
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def say(message: str) -> None:
    """Print to stderr; a terminal that is gone (closed, SIGHUP) is no reason for a traceback."""
    try:
        print(message, file=sys.stderr, flush=True)
    except OSError:
        pass


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:  # Ctrl-C in the instant before main() takes over the signal
        raise SystemExit(130) from None
