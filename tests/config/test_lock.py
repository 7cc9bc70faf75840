"""The environment the suite runs in is the one uv.lock describes, package for package."""

import importlib.metadata
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_installed_package_is_locked_at_the_installed_version():
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {_norm(p["name"]): p["version"] for p in lock["package"] if "version" in p}
    installed = {_norm(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    strays = {name: version for name, version in installed.items() if locked.get(name) != version}
    assert not strays, f"installed outside the lock (install with make, change with make lock): {strays}"


def test_every_dependency_in_pyproject_is_in_the_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {_norm(p["name"]) for p in lock["package"]}
    missing = [spec for spec in wanted if _norm(re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0]) not in locked]
    assert not missing, f"run make lock: {missing}"
