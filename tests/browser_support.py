"""JupyterLab for the tests: a private server on 127.0.0.1 (random token, free port) and what drives it.

`JupyterLab` starts `jupyter lab` with fresh settings, workspaces and runtime folders, answers the
REST API, measures the memory of the server and its kernels, and stops them by process id.
The page helpers below drive it in Chromium through Playwright, started from Debian's `chromium` with
`executable_path` (Playwright's own browser download is not used).
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))  # Debian's package: apt-get install chromium
# Flags that keep a headless Chromium quiet on a closed network (no update checks, no QUIC probes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KERNEL_IDLE = "Python 3 (ipykernel) | Idle"  # the status bar once the kernel has started and is waiting
BINDER_MEMORY = 2 * 10**9  # mybinder.org's memory limit per session, "2 GB" (2 GiB would be more: test the stricter)
# No "fetch Jupyter news?" toast over the page: it would cover the cells.
QUIET = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def require_chromium() -> Path:
    """The Chromium binary; skip the test without it, except in CI (CI is set), where that is a failure."""
    if CHROMIUM.exists():
        return CHROMIUM
    why = f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium) or point $CHROMIUM at the binary"
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(why + " (CI is set: .ci/run installs it, so this is a failure)")
    pytest.skip(why)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """`jupyter lab` serving `root` on 127.0.0.1 with a random token, in folders of its own under `home`.

    `settings` are the user's JupyterLab settings, as {"@scope/package:plugin": {setting: value}}.

    Use as a context manager: the server and its kernels are stopped by process id on exit, pass or fail.
    """

    def __init__(self, root: Path, home: Path, *, settings: dict = QUIET, env: dict | None = None):
        self.root, self.home, self.settings = Path(root), Path(home), settings
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.log_path = self.home / "jupyterlab.log"
        self.env = dict(os.environ if env is None else env)
        self.process = None

    # --- start and stop -----------------------------------------------------------------------
    def start(self, timeout: float = 90) -> "JupyterLab":
        """Start the server and wait until its API answers; raise with the server's log if it does not."""
        settings = self.home_folders()["settings"]
        for (
            plugin,
            values,
        ) in self.settings.items():  # {"@scope/package:plugin": {setting: value}}, as in overrides.json
            package, name = plugin.split(":")
            path = settings / package / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.news_url=None",
            "--ServerApp.open_browser=False",
        ]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(cmd, cwd=self.root, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        return self.wait_until_up(timeout, what="jupyter lab")

    def home_folders(self) -> dict:
        """Jupyter's config, runtime, data, settings and workspace folders under self.home, set in self.env."""
        folders = {
            name: self.home / name for name in ("config", "runtime", "data", "ipython", "settings", "workspaces")
        }
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        self.env.update(
            JUPYTER_CONFIG_DIR=str(folders["config"]),
            JUPYTER_RUNTIME_DIR=str(folders["runtime"]),
            JUPYTER_DATA_DIR=str(folders["data"]),
            IPYTHONDIR=str(folders["ipython"]),
            JUPYTERLAB_SETTINGS_DIR=str(folders["settings"]),
            JUPYTERLAB_WORKSPACES_DIR=str(folders["workspaces"]),
            PYTHONUNBUFFERED="1",
        )
        for name in ("JUPYTER_TOKEN", "JUPYTER_PORT", "JUPYTER_CONFIG_PATH"):
            self.env.pop(name, None)
        return folders

    def wait_until_up(self, timeout: float, *, what: str):
        """Wait until the started server's API answers; raise with its log if `what` exits or `timeout` s pass."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{what} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "api/status")
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{what} did not answer on port {self.port} within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 20) -> None:
        """Stop the server by its process id (SIGTERM, then SIGKILL), then any kernel it left behind."""
        if self.process is None:
            return
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        _, alive = psutil.wait_procs(children, timeout=5)
        for child in alive:
            try:
                os.kill(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        psutil.wait_procs(alive, timeout=5)
        self._log.close()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log_tail(self, n: int = 40) -> str:
        """The last `n` lines the server logged."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    # --- REST API ---------------------------------------------------------------------------
    def url(self, path: str = "lab") -> str:
        """http://127.0.0.1:PORT/<path> with the token."""
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path}{sep}token={self.token}"

    def lab_url(self, notebook: str, *, workspace: str) -> str:
        """JupyterLab opened on `notebook` (relative to root), in a workspace of its own (no tabs restored)."""
        return self.url(f"lab/workspaces/{workspace}/tree/{notebook}")

    def api(self, method: str, path: str, body=None):
        """Call the server's REST API; return the decoded JSON (None for an empty answer)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
        return json.loads(text) if text else None

    def shutdown_kernels(self) -> None:
        """Shut down every kernel the server runs (each notebook then starts with a fresh one)."""
        for kernel in self.api("GET", "api/kernels"):
            self.api("DELETE", f"api/kernels/{kernel['id']}")

    # --- memory ---------------------------------------------------------------------------
    def rss(self) -> int:
        """Resident memory, in bytes, of the server and all its child processes (the kernels) right now."""
        total = 0
        try:
            server = psutil.Process(self.process.pid)
            processes = [server, *server.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        for p in processes:
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total


class PeakMemory:
    """Sample a callable returning bytes every `interval` seconds in a thread; `.peak` is the largest seen."""

    def __init__(self, sample, interval: float = 0.1):
        self.sample, self.interval, self.peak = sample, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.sample())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.sample())


def run_through_server(
    lab: JupyterLab, notebook: str, *, parameters: dict | None = None, cell_timeout: float = 1800
) -> list:
    """Execute `notebook`'s code cells in a kernel the server starts for it, as JupyterLab would; return errors.

    The kernel is started through the sessions API (its working folder is the notebook's), then
    driven over the kernel protocol. `parameters` are assigned right after the cell tagged
    `parameters`, as papermill does. Returns "ename: evalue" of the first failing cell (execution
    stops there), or [] when every cell ran.
    """
    from jupyter_client import BlockingKernelClient

    sources = []
    for cell in json.loads((lab.root / notebook).read_text())["cells"]:
        if cell["cell_type"] == "code":
            sources.append("".join(cell["source"]))
            if parameters and "parameters" in cell.get("metadata", {}).get("tags", []):
                sources.append("\n".join(f"{name} = {value!r}" for name, value in parameters.items()))
    session = lab.api(
        "POST",
        "api/sessions",
        {"path": notebook, "name": Path(notebook).name, "type": "notebook", "kernel": {"name": "python3"}},
    )
    client = BlockingKernelClient(
        connection_file=str(Path(lab.env["JUPYTER_RUNTIME_DIR"]) / f"kernel-{session['kernel']['id']}.json")
    )
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        for source in sources:
            reply = client.execute_interactive(source, timeout=cell_timeout, output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                return [f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}"]
        return []
    finally:
        client.stop_channels()
        lab.api("DELETE", f"api/sessions/{session['id']}")


def copy_notebooks(src: Path, dest_root: Path) -> Path:
    """A copy of the notebooks folder under `dest_root` (JupyterLab's autosave rewrites what it opens)."""
    dest = dest_root / src.name
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest


# --- driving a notebook in the page ---------------------------------------------------------------
# Prompts read "[ ]:" before a cell ran, "[*]:" while it is queued or running, "[7]:" after.
_PROMPTS = "[...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim())"


def open_notebook(page, lab: JupyterLab, notebook: str, *, workspace: str, timeout: float = 120) -> None:
    """Open `notebook` in JupyterLab and wait until its kernel is started and idle."""
    page.goto(lab.lab_url(notebook, workspace=workspace), timeout=timeout * 1000)
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=timeout * 1000)
    # Executions sent before the kernel is ready can be dropped silently: wait for the status bar.
    page.get_by_text(KERNEL_IDLE).wait_for(timeout=timeout * 1000)


def run_all(page, *, timeout: float) -> None:
    """Run > Run All Cells, and wait until no cell is queued or running any more (or `timeout` s pass)."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator('li[data-command="runmenu:run-all"]').click()
    # All cells are queued at once, so "no [*] and at least one [n]" only holds once the run ended
    # (finished, or stopped by an error that cancelled the cells after it).
    page.wait_for_function(
        f"(() => {{ const p = {_PROMPTS}; return p.length > 0 && !p.some(t => t.includes('*')) && p.some(t => /\\d/.test(t)); }})()",
        timeout=timeout * 1000,
        polling=500,
    )
    page.get_by_text(KERNEL_IDLE).wait_for(timeout=60_000)


def settle(page, *, quiet: float = 1.0, timeout: float = 120) -> None:
    """Wait until the kernel has been idle for `quiet` seconds, e.g. after moving a widget.

    ipywidgets sends slider moves to the kernel throttled, but a button click at once: click too
    soon after a move and the kernel can run the click with the old value. A reader's pause is enough.
    """
    deadline, idle_since = time.monotonic() + timeout, None
    status = page.get_by_text(KERNEL_IDLE)
    while time.monotonic() < deadline:
        if status.count():
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= quiet:
                return
        else:
            idle_since = None
        time.sleep(0.1)
    raise AssertionError(f"the kernel did not settle (idle for {quiet} s) within {timeout:.0f} s")


def prompts(page) -> list:
    """The code cells' prompts, in order, e.g. ['[1]:', '[2]:', '[ ]:']."""
    return page.evaluate(_PROMPTS)


def save(page, notebook_file: Path, *, timeout: float = 30) -> dict:
    """Save the open notebook (Ctrl+S) and return the JSON written to `notebook_file`."""
    before = notebook_file.stat().st_mtime_ns
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + timeout
    while notebook_file.stat().st_mtime_ns == before:
        if time.monotonic() > deadline:
            raise AssertionError(f"JupyterLab did not save {notebook_file.name} within {timeout:.0f} s")
        time.sleep(0.2)
    time.sleep(0.5)  # let the write finish
    return json.loads(notebook_file.read_text())


# --- tools/lab.py, started as a person starts it ------------------------------------------------
def launcher_root(dest: Path, *, files=()) -> Path:
    """`dest` made a root for tools/lab.py: the launcher and the Binder settings it applies copied in (it serves
    the folder above its own), plus `files` (paths relative to the repository); returns `dest`."""
    repo = Path(__file__).resolve().parent.parent
    for name in ("tools/lab.py", "binder/overrides.json", "binder/jupyter_server_config.py", *files):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo / name, dest / name)
    return dest


class Launched(JupyterLab):
    """`python3 tools/lab.py ARGS` under `root` (see launcher_root), as from a terminal: a process group of its own,
    a free port, a random token, fresh Jupyter folders under `home` and no settings: what the launcher applies shows.

    `interrupt(sig)` signals it as a terminal or `kill` would and returns its exit status and output; used as a
    context manager, whatever is left of it (launcher, server, kernels) is killed on exit, pass or fail.
    """

    def __init__(self, root: Path, home: Path, *args: str, env: dict | None = None):
        super().__init__(root, home, settings={}, env=env)
        self.args, self.log_path = args, self.home / "launcher.log"
        self.seen = []  # every process of the server's family seen so far (psutil.Process)

    def start(self, timeout: float = 120) -> "Launched":
        """Start the launcher and wait until its server's API answers; raise with the log if it does not."""
        self.home_folders()
        flags = ["--no-browser", "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0"]
        cmd = [
            sys.executable,
            str(self.root / "tools" / "lab.py"),
            *self.args,
            *flags,
            f"--IdentityProvider.token={self.token}",
        ]
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            cmd, cwd=self.home, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self.wait_until_up(timeout, what="tools/lab.py's server")

    def family(self) -> list:
        """The launcher's processes now: the server and its kernels (each also remembered in `seen`)."""
        try:
            found = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        self.seen += [p for p in found if p not in self.seen]
        return found

    def rss(self) -> int:
        """Resident memory, in bytes, of the server and its kernels (not the launcher: Binder runs none)."""
        total = 0
        for p in self.family():
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def interrupt(self, sig: int, *, group: bool = True, timeout: float = 60) -> tuple:
        """Send `sig` to the launcher's process group (a terminal's Ctrl-C or hang-up) or, without `group`, to the
        launcher alone (`kill`); wait for it to exit; return (exit status, everything it printed)."""
        self.family()  # remember the kernels, to check that none outlives the launcher
        (os.killpg if group else os.kill)(self.process.pid, sig)
        code = self.process.wait(timeout)
        return code, self.log_path.read_text(errors="replace")

    def left(self) -> list:
        """Processes of the family ever seen that still run (zombies count as ended)."""
        running = []
        for p in self.seen:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    running.append(p)
            except psutil.NoSuchProcess:
                pass
        return running

    def stop(self, timeout: float = 20) -> None:
        """Kill whatever is left of the launcher, its server and its kernels (a test's clean-up, pass or fail)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.family()
            try:
                os.killpg(self.process.pid, signal.SIGTERM)  # the launcher's own way out first
                self.process.wait(timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        for p in self.left():
            p.kill()
        psutil.wait_procs(self.seen, timeout=5)
        self._log.close()
        self.process = None


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port` (a connection is refused)."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def draw_stroke(page, canvas, points) -> None:
    """One stroke with the mouse across `canvas` through `points`, given as shares (0-1) of its width and height."""
    box = canvas.bounding_box()
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
