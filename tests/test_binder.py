"""Binder: what repo2docker builds from binder/ installs CPU-only PyTorch at our versions, postBuild
puts MNIST into the image (that every notebook fits in a session's 2 GB, the browser test measures)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from nbrun import NOTEBOOKS, ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

BINDER = ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
REQUIREMENTS = ("requirements.txt", "requirements-test.txt")  # the tutorial's, and the tests' on top


def requirement_lines(path: Path) -> list:
    """The requirement lines of a requirements file, comments and blank lines dropped."""
    lines = (line.split(" #")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def ranges() -> dict:
    """requirements.txt and requirements-test.txt as {name: Requirement}, without their options (-e ., -r)."""
    lines = [line for name in REQUIREMENTS for line in requirement_lines(ROOT / name) if not line.startswith("-")]
    return {canonicalize_name(r.name): r for r in map(Requirement, lines)}


def pins() -> dict:
    """binder/requirements.txt as {name: Version}; every package line must be an exact `==` pin."""
    found = {}
    for line in requirement_lines(BINDER / "requirements.txt"):
        if line.startswith("-"):
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"binder/requirements.txt: pin {line!r} exactly (name==version)"
        )
        found[canonicalize_name(req.name)] = Version(specs[0].version)
    return found


def test_binder_pins_every_package_of_requirements_within_its_range():
    pinned = pins()
    missing = sorted(set(ranges()) - set(pinned))
    assert not missing, f"binder/requirements.txt does not pin {missing}: add name==version for each"
    outside = {
        name: f"{pinned[name]} not in {req.specifier}"
        for name, req in ranges().items()
        if not req.specifier.contains(pinned[name], prereleases=True)
    }
    assert not outside, f"binder/requirements.txt pins outside requirements.txt's ranges: {outside}"
    extra = sorted(set(pinned) - set(ranges()))
    assert not extra, f"binder/requirements.txt pins {extra}, which neither {' nor '.join(REQUIREMENTS)} lists"


def test_requirements_are_the_runtime_and_the_tests_add_theirs_on_top():
    lines = requirement_lines(ROOT / "requirements.txt")
    runtime = {canonicalize_name(Requirement(line).name) for line in lines if not line.startswith("-")}
    assert {"torch", "jupyterlab", "ipykernel", "voila"} <= runtime
    assert not runtime & {"pytest", "papermill", "playwright", "ruff", "psutil"}, "test tools in requirements.txt"
    test_lines = requirement_lines(ROOT / "requirements-test.txt")
    assert "-r requirements.txt" in test_lines, "requirements-test.txt installs the tutorial too"
    assert "-e ." in lines, "requirements.txt installs the repository's helpers"


def test_binder_installs_cpu_only_pytorch():
    lines = requirement_lines(BINDER / "requirements.txt")
    assert f"--extra-index-url {CPU_INDEX}" in lines, "take torch from PyTorch's CPU wheel index"
    pinned = pins()
    for name in ("torch", "torchvision"):
        assert pinned[name].local == "cpu", f"pin {name}==X+cpu: PyPI's Linux wheel pulls in GBs of CUDA libraries"
    assert not [n for n in pinned if n.startswith("nvidia") or "cuda" in n], "no CUDA packages on Binder"


def test_binder_start_shortens_openmp_spinning_and_runs_the_command():
    start = BINDER / "start"
    assert os.access(start, os.X_OK), "binder/start must be executable"
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    run = subprocess.run(
        [str(start), sys.executable, "-c", "import os; print(os.environ['GOMP_SPINCOUNT'])"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0 and run.stdout.strip() == "1000", run.stdout + run.stderr


def test_binder_python_is_one_the_project_supports():
    from packaging.specifiers import SpecifierSet

    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), (
        f"binder/runtime.txt: {runtime!r}, repo2docker expects e.g. python-3.11"
    )
    supported = SpecifierSet(
        re.search(r'requires-python\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    )
    assert supported.contains(runtime.removeprefix("python-")), (
        f"{runtime} is outside pyproject's requires-python {supported}"
    )


def _postbuild(tmp_path, mnist_root, extra_env=None):
    """Run binder/postBuild as repo2docker does (./binder/postBuild in the repository folder), with
    `pip` replaced by a recorder (nothing is installed here), MNIST_ROOT at `mnist_root` and
    JupyterLab's application folder (where overrides.json goes) under `tmp_path`."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "pip").write_text(f'#!/bin/sh\necho "$@" >> "{tmp_path / "pip.log"}"\n')
    (shim / "pip").chmod(0o755)
    # a wrapper, not a symlink: a symlinked venv python finds no pyvenv.cfg beside it and runs the base
    # interpreter, without the venv's packages
    (shim / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (shim / "python").chmod(0o755)
    (tmp_path / "lab-app").mkdir()
    env = {
        **os.environ,
        # the interpreter's own bin folder next: its `jupyter`, even when pytest runs as a venv's bin/python
        # without that venv on PATH
        "PATH": os.pathsep.join([str(shim), str(Path(sys.executable).parent), os.environ["PATH"]]),
        "MNIST_ROOT": str(mnist_root),
        "JUPYTERLAB_DIR": str(tmp_path / "lab-app"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),  # where the server's settings go
        **(extra_env or {}),
    }
    run = subprocess.run(["./binder/postBuild"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    pip_log = (tmp_path / "pip.log").read_text() if (tmp_path / "pip.log").exists() else ""
    return run, pip_log


def test_postbuild_installs_helpers_sets_lab_defaults_and_puts_mnist_in_the_data_root(tmp_path, mnist_root):
    postbuild = BINDER / "postBuild"
    assert postbuild.read_text().startswith("#!/bin/bash") and os.access(postbuild, os.X_OK)
    data = tmp_path / "data"
    raw = data / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f in (Path(mnist_root) / "MNIST" / "raw").iterdir():  # the "download" is already done: no network here
        (raw / f.name).symlink_to(f.resolve())
    run, pip_log = _postbuild(tmp_path, data)
    assert run.returncode == 0, run.stdout + run.stderr
    assert pip_log.split() == ["install", "--no-cache-dir", "-e", "."], pip_log
    assert "60,000 training and 10,000 test images" in run.stdout
    overrides = json.loads((tmp_path / "lab-app" / "settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/notebook-extension:tracker"]["kernelShutdown"] is True
    server_config = (tmp_path / "config" / "jupyter_server_config.py").read_text()
    assert server_config == (BINDER / "jupyter_server_config.py").read_text()  # the app's tab ends its kernel


def test_binder_lab_overrides_are_settings_jupyterlab_knows():
    # A misspelt plugin or key in overrides.json is ignored without a word: check them against the schemas.
    # JupyterLab's schemas sit under the prefix it was installed into: a venv's, or (for a venv that
    # sees the system's packages) the base Python's
    prefixes = [Path(p) / "share" / "jupyter" / "lab" / "schemas" for p in (sys.prefix, sys.base_prefix)]
    schemas = next((p for p in prefixes if p.is_dir()), None)
    assert schemas is not None, f"JupyterLab's settings schemas not found in {prefixes}"
    for plugin, settings in json.loads((BINDER / "overrides.json").read_text()).items():
        package, name = plugin.split(":")
        schema = json.loads((schemas / package / f"{name}.json").read_text())
        for key, value in settings.items():
            spec = schema["properties"][key]
            allowed = [c["const"] for c in spec.get("oneOf", [])] or None
            assert allowed is None or value in allowed, f"{plugin} {key}={value!r}: allowed {allowed}"
            assert {"boolean": bool, "string": str}[spec["type"]] is type(value), (
                f"{plugin} {key}={value!r} is not a {spec['type']}"
            )


def test_postbuild_fails_the_build_when_mnist_cannot_be_fetched(tmp_path):
    # An image without the data must not be built silently: a refused download fails postBuild.
    closed = "http://127.0.0.1:9"  # nothing listens there: every download is refused at once
    proxies = {k: closed for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}
    run, _ = _postbuild(tmp_path, tmp_path / "empty", {**proxies, "no_proxy": "", "NO_PROXY": ""})
    assert run.returncode != 0
    assert "MnistError" in run.stderr and "MNIST is not in" in run.stderr


def test_readme_has_binder_badges_for_lab_on_the_first_notebook_and_for_the_app():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\(https://mybinder\.org/v2/gh/[^/\s]+/[^/\s]+/[^?\s)]+\?urlpath=([^)\s]+)\)", readme)
    assert "lab/tree/notebooks/01_dataset.ipynb" in links, (
        "README.md: add the Binder badge (mybinder.org/v2/gh/OWNER/REPO/HEAD?urlpath=lab/tree/notebooks/01_dataset.ipynb)"
    )
    assert "voila/render/notebooks/app.ipynb" in links, (
        "README.md: add the app's Binder badge (...?urlpath=voila/render/notebooks/app.ipynb)"
    )
    assert set(links) == {"lab/tree/notebooks/01_dataset.ipynb", "voila/render/notebooks/app.ipynb"}, links
    assert (NOTEBOOKS / "01_dataset.ipynb").exists() and (NOTEBOOKS / "app.ipynb").exists()
    assert re.search(r"(?i)binder.{0,300}\b\d(\.\d+)? ?GB", readme, re.S), (
        "README.md: say how much memory a session takes"
    )
