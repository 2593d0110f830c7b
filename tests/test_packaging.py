"""Packaging (issue 20 item 5): the sdist and wheel that ``python -m build`` makes of this checkout
hold every package and file of ``tracejit/`` (``py.typed`` included) and nothing else, declare the
extras and the Pythons that ``.ci/run`` tests, and the wheel installed into an empty directory
compiles a function.

The build runs without isolation (no download: the ``dev`` extra brings ``build`` and the
setuptools that pyproject.toml asks for) on a copy of the sources, so that no ``build/`` or
``*.egg-info`` of the checkout leaks in. About 10 s of CPU. ``.ci/run`` also builds with isolation
(as ``pip install .`` does) and runs a subset of the suite on that wheel under other Pythons."""
from __future__ import annotations

import email.parser
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import tracejit

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = {"test", "dev", "dask", "report", "plots", "peers", "export", "bench", "examples"}
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in")


def package_files() -> set[str]:
    """Every file under tracejit/ but bytecode, as a path relative to the checkout."""
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / "tracejit").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")}


def packages() -> set[str]:
    """tracejit's packages as setuptools' find_packages sees them: the folders with an __init__.py."""
    return {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "tracejit").rglob("__init__.py")}


def pyproject() -> str:
    """pyproject.toml's text (read as text: tomllib is 3.11+, and the suite also runs on 3.10)."""
    return (ROOT / "pyproject.toml").read_text()


def declared_pythons() -> list[tuple[int, int]]:
    """The Python versions pyproject.toml's classifiers name."""
    return sorted(tuple(map(int, v.split("."))) for v in re.findall(r'"Programming Language :: Python :: (3\.\d+)"',
                                                                     pyproject()))


def ci_pythons() -> list[tuple[int, int]]:
    """The other Pythons .ci/run tests the wheel on (its OTHER_PYTHONS line)."""
    found = re.search(r'^OTHER_PYTHONS="([\d. ]+)"', (ROOT / ".ci" / "run").read_text(), re.M)
    assert found, ".ci/run names no OTHER_PYTHONS"
    return sorted(tuple(map(int, v.split("."))) for v in found.group(1).split())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel built from it (``python -m build --no-isolation``)."""
    try:
        setuptools = tuple(int(x) for x in importlib.metadata.version("setuptools").split(".")[:2])
        importlib.metadata.version("build")
    except importlib.metadata.PackageNotFoundError:
        setuptools = (0, 0)
    if setuptools < (77, 0):
        pytest.skip("building needs the dev extra's build and setuptools>=77: pip install -e '.[dev]'")
    tmp = tmp_path_factory.mktemp("packaging")
    src, dist = tmp / "src", tmp / "dist"
    src.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "tracejit", src / "tracejit", ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"))
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheels, sdists = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, os.listdir(dist)
    return {"wheel": wheels[0], "sdist": sdists[0], "tmp": tmp}


def test_wheel_holds_every_file_of_the_package_and_nothing_else(built):
    wheel = built["wheel"]
    assert wheel.name == f"tracejit-{tracejit.__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    info = f"tracejit-{tracejit.__version__}.dist-info/"
    assert {n for n in names if not n.startswith(info)} == package_files()
    assert "tracejit/py.typed" in names
    assert {f"{p.replace('.', '/')}/__init__.py" for p in packages()} <= names
    assert {"tracejit.export", "tracejit.frontend.autograph", "tracejit.compiler.codegen.lowerings"} <= packages()
    assert {info + n for n in ("METADATA", "WHEEL", "RECORD", "top_level.txt", "licenses/LICENSE")} <= names
    assert zipfile.ZipFile(wheel).read(info + "top_level.txt").decode().split() == ["tracejit"]


def test_sdist_holds_the_sources_of_the_wheel(built):
    with tarfile.open(built["sdist"]) as tar:
        top = f"tracejit-{tracejit.__version__}/"
        names = {m.name[len(top):] for m in tar.getmembers() if m.isfile()}
    assert package_files() | set(SOURCES) <= names
    # beside them only what setuptools writes (PKG-INFO, setup.cfg, the egg-info): no tests, no caches
    assert {n.split("/")[0] for n in names - package_files() - set(SOURCES)} <= {"PKG-INFO", "setup.cfg",
                                                                                 "tracejit.egg-info"}


def test_wheel_metadata_declares_dependencies_extras_and_pythons(built):
    info = f"tracejit-{tracejit.__version__}.dist-info/METADATA"
    meta = email.parser.Parser().parsestr(zipfile.ZipFile(built["wheel"]).read(info).decode())
    assert meta["Name"] == "tracejit" and meta["Version"] == tracejit.__version__
    assert meta["License-Expression"] == "MIT"
    assert set(meta.get_all("Provides-Extra")) == EXTRAS
    requires = meta.get_all("Requires-Dist")
    assert sorted(r for r in requires if "extra ==" not in r) == ["llvmlite>=0.45", "networkx>=3.0", "numpy>=2.0"]
    assert not [r for r in requires if r.startswith("torch")]  # unpinned, it resolves to a CUDA build of GBs
    assert [r for r in requires if 'extra == "export"' in r] == []  # export needs nothing from PyPI
    pythons = sorted(tuple(map(int, c.rsplit(" ", 1)[1].split("."))) for c in meta.get_all("Classifier")
                     if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert pythons == declared_pythons()
    assert meta["Requires-Python"] == ">=%d.%d" % pythons[0]
    assert "Typing :: Typed" in meta.get_all("Classifier")


def test_declared_pythons_are_the_tested_ones():
    declared, tested = declared_pythons(), ci_pythons()
    # every minor version from the oldest to the newest tested one, and no other
    assert declared == [(3, minor) for minor in range(tested[0][1], tested[-1][1] + 1)]
    assert sys.version_info[:2] in declared, f"this Python ({sys.version_info[:2]}) is not declared"
    assert f'requires-python = ">={tested[0][0]}.{tested[0][1]}"' in pyproject()
    assert f'target-version = "py{tested[0][0]}{tested[0][1]}"' in pyproject()  # ruff: the oldest syntax


def test_wheel_installs_alone_and_compiles(built):
    """The wheel into an empty folder (``pip --target``, no dependencies: those of this environment
    serve): tracejit is imported from there, not from the checkout or an editable install."""
    site = built["tmp"] / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           "--target", str(site), str(built["wheel"])], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    code = """if 1:
        import importlib.resources, sys
        import numpy as np
        import tracejit, tracejit.export
        assert tracejit.__file__.startswith(sys.argv[1]), tracejit.__file__
        assert importlib.resources.files("tracejit").joinpath("py.typed").is_file()
        print(tracejit.jit(lambda x: np.sin(x) + 1)(np.zeros(3)).tolist())"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(site)}
    run = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True, env=env,
                         cwd=built["tmp"], timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == ["[1.0,", "1.0,", "1.0]"]
