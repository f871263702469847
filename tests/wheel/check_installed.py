"""Checks an installed hiili wheel from inside a fresh venv (run by test_wheel.sh, python -I, cwd
a temporary folder): where hiili comes from, the optional extras, the default synthetic model and
USEEIO v1.2 solved against scipy.sparse.linalg.spsolve, the `hiili` command, and with ldd that
_core and the command load every shared library from the wheel or the base system (glibc,
libstdc++, libgcc_s), none from the system's SuiteSparse, TBB, libzip or BLAS.
Exits 1 naming every check that failed."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import traceback
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

import hiili

# The libraries a manylinux wheel may take from the system (glibc, the GCC runtime, and zlib,
# which the manylinux policies list and auditwheel leaves to the system), and the kernel's vDSO.
BASE = re.compile(
    r"^(linux-vdso\.so\.1|ld-linux-x86-64\.so\.2|"
    r"(libc|libm|libpthread|libdl|librt|libutil|libresolv|libstdc\+\+|libgcc_s|libz)\.so\.\d+)$"
)
# What auditwheel must have vendored: each name must resolve inside the venv.
VENDORED = ("libklu", "libumfpack", "libamd", "libtbb", "libzip")
EXTRAS = {"plots": ["matplotlib"], "bw": ["bw_processing", "bw2data"], "progress": ["tqdm"]}
RTOL = 1e-9


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def check_origin(args: argparse.Namespace) -> None:
    where = Path(hiili.__file__).resolve()
    assert Path(sys.prefix).resolve() in where.parents, f"hiili imported from {where}"
    assert args.repo.resolve() not in where.parents, f"hiili imported from the source tree: {where}"
    core = Path(hiili._core.__file__).resolve()
    assert Path(sys.prefix).resolve() in core.parents, f"_core loaded from {core}"
    versions = (hiili.__version__, hiili._core.__version__)
    assert versions[0] == versions[1], versions
    package = where.parent
    assert (package / "py.typed").is_file(), "py.typed missing from the wheel"
    assert (package / "_core.pyi").is_file(), "the stubs (_core.pyi) missing from the wheel"


def check_no_extras(args: argparse.Namespace) -> None:
    """import hiili worked above with none of the extras; a missing one is named."""
    present = [m for ms in EXTRAS.values() for m in ms if importlib.util.find_spec(m)]
    assert not present, f"the fresh venv should have no optional dependency, has {present}"
    from hiili import plots

    try:
        lca = hiili.Lca(hiili.synth(50, seed=3))
        plots.contributions(lca.contributions({0: 1.0}))
    except ImportError as e:
        assert "hiili[plots]" in str(e), f"hiili.plots without matplotlib says: {e}"
    else:
        raise AssertionError("hiili.plots drew a figure without matplotlib")
    from hiili.bw import _deps

    try:
        _deps.require("bw2data", "to read a project")
    except ImportError as e:
        assert "hiili[bw]" in str(e), f"hiili.bw without bw2data says: {e}"
    else:
        raise AssertionError("hiili.bw found bw2data in a venv without it")


def check_against_spsolve(model: hiili.Model, demand: dict, solver: str) -> hiili.Result:
    r = hiili.Lca(model, solver=solver).solve(demand)
    f = np.zeros(model.n)
    for j, amount in demand.items():
        f[j] = amount
    s = spsolve(sp.csc_matrix(model.A), f)
    g = model.B @ s
    h = model.C @ g
    for name, ours, theirs in (("supply", r.supply, s), ("inventory", r.inventory, g),
                               ("scores", r.scores, h)):
        err = rel_err(ours, theirs)
        assert err < RTOL, f"{solver}: {name} differs from spsolve by {err:.2e}"
    return r


def check_default_model(args: argparse.Namespace) -> None:
    model = hiili.default_model()
    assert model.n == 20000, model.n
    for solver in ("klu", "umfpack"):
        check_against_spsolve(model, {0: 1.0, 1234: 2.5}, solver)


def useeio(args: argparse.Namespace) -> Path:
    return args.data / "useeio_v1.2"


def check_useeio(args: argparse.Namespace) -> None:
    model = hiili.read(useeio(args))
    assert (model.n, model.m, model.k) == (388, 2412, 24), (model.n, model.m, model.k)
    for solver in ("klu", "umfpack"):
        r = check_against_spsolve(model, {5: 1.0}, solver)
    # And against the published Leontief inverse: sector 5's total requirements (SOURCE.txt).
    L = np.array(json.loads((useeio(args) / "matrix" / "L.json").read_text()))
    assert rel_err(r.supply, L[:, 5]) < RTOL, "USEEIO supply differs from the published L"


def hiili_command() -> str:
    exe = shutil.which("hiili")
    assert exe, "no hiili command on PATH in the venv"
    assert Path(sys.prefix).resolve() in Path(exe).resolve().parents, f"hiili command at {exe}"
    return exe


def check_command(args: argparse.Namespace) -> None:
    exe = hiili_command()
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    assert hiili.__version__ in out, f"hiili --version: {out!r}, the package {hiili.__version__}"
    run = subprocess.run([exe, "solve", str(useeio(args)), "-d", "#5=1", "--json", "-q"],
                         capture_output=True, text=True)
    assert run.returncode == 0, f"hiili solve failed ({run.returncode}): {run.stderr}"
    scores = np.array([row["score"] for row in json.loads(run.stdout)["scores"]])
    model = hiili.read(useeio(args))
    f = np.zeros(model.n)
    f[5] = 1.0
    expected = model.C @ (model.B @ spsolve(sp.csc_matrix(model.A), f))
    assert rel_err(scores, expected) < RTOL, "hiili solve's scores differ from spsolve"


def check_footprint_hand_over(args: argparse.Namespace) -> None:
    """`hiili footprint` finds the venv's interpreter with the venv not on PATH."""
    run = subprocess.run([hiili_command(), "footprint", "--help"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
    assert run.returncode == 0, f"hiili footprint --help: {run.returncode}: {run.stderr}"
    assert "usage" in run.stdout.lower(), run.stdout


def check_footprint_html_names_extra(args: argparse.Namespace) -> None:
    """`hiili footprint --html` without matplotlib: exit code 2 naming hiili[footprint]."""
    activity = args.repo / "examples" / "footprint" / "activity.csv"
    model = args.data / "useeio_v2.0_ghg"
    run = subprocess.run([hiili_command(), "footprint", str(activity), "--model", str(model),
                          "--html", "report.html"], capture_output=True, text=True)
    assert run.returncode == 2, f"hiili footprint --html: {run.returncode}: {run.stderr}"
    assert "hiili[footprint]" in run.stderr, run.stderr
    assert not Path("report.html").exists(), "a report was written without matplotlib"


def ldd(path: str) -> dict[str, str]:
    """{library name: the path ldd resolves it to ("not found" when it does not)}."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    libs = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+)\s*(?:=>\s*(\S+(?: found)?))?", line)
        if m:
            libs[m.group(1)] = m.group(2) or m.group(1)
    return libs


def check_libraries(path: str) -> None:
    prefix = Path(sys.prefix).resolve()
    libs = ldd(path)
    leaks = {}
    for name, where in libs.items():
        inside = where.startswith("/") and prefix in Path(where).resolve().parents
        if not inside and not BASE.match(Path(name).name):
            leaks[name] = where
    assert not leaks, f"{path} loads libraries from outside the wheel: {leaks}"
    for want in VENDORED:
        hits = [w for n, w in libs.items() if n.startswith(want)]
        assert hits and all(prefix in Path(w).resolve().parents for w in hits), (
            f"{path}: {want} not loaded from the wheel ({hits})")


def check_ldd_core(args: argparse.Namespace) -> None:
    check_libraries(hiili._core.__file__)


def check_ldd_command(args: argparse.Namespace) -> None:
    """bin/hiili is auditwheel's launcher; it execs the binary in site-packages/hiili.scripts."""
    launcher = Path(hiili_command()).read_bytes()
    if launcher.startswith(b"\x7fELF"):
        check_libraries(hiili_command())
        return
    assert b"hiili.scripts/hiili" in launcher, "bin/hiili neither the binary nor its launcher"
    binary = Path(sysconfig.get_path("platlib")) / "hiili.scripts" / "hiili"
    assert binary.read_bytes().startswith(b"\x7fELF"), f"{binary} is not the binary"
    check_libraries(str(binary))


def check_licences(args: argparse.Namespace) -> None:
    """Every library in hiili.libs/ is listed in VENDORED.txt, with its copyright file."""
    package = Path(hiili.__file__).parent
    licences = package / "_vendor_licenses"
    table = {}
    for line in (licences / "VENDORED.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            prefix, debian, spdx = (cell.strip() for cell in line.split("|"))
            table[prefix] = (debian, spdx)
    libs = sorted((package.parent / "hiili.libs").iterdir())
    assert libs, "the wheel vendors no library (hiili.libs/ is empty)"
    for lib in libs:
        prefix = re.match(r"(lib[^-.]+)", lib.name).group(1)
        assert prefix in table, f"{lib.name} is vendored but not listed in VENDORED.txt"
        copyright_file = licences / f"{table[prefix][0]}.copyright"
        assert copyright_file.is_file(), f"{lib.name}: {copyright_file.name} missing"
    for text in ("LGPL-2.1", "GPL-2", "GPL-3", "Apache-2.0"):
        assert (licences / f"{text}.txt").is_file(), f"the {text} licence text is missing"
    print("     vendored: " + ", ".join(
        f"{lib.name} ({table[re.match(r'(lib[^-.]+)', lib.name).group(1)][1]})" for lib in libs))


CHECKS = [
    check_origin,
    check_licences,
    check_no_extras,
    check_default_model,
    check_useeio,
    check_command,
    check_footprint_hand_over,
    check_footprint_html_names_extra,
    check_ldd_core,
    check_ldd_command,
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True, help="the shared/data folder")
    parser.add_argument("--repo", type=Path, required=True, help="the source tree (unused)")
    args = parser.parse_args()
    failed = []
    for check in CHECKS:
        try:
            check(args)
            print(f"ok   {check.__name__}")
        except Exception:
            failed.append(check.__name__)
            print(f"FAIL {check.__name__}\n{traceback.format_exc()}")
    print(f"hiili {hiili.__version__} from {Path(hiili.__file__).parent}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
