"""`hiili footprint` and `python -m hiili.footprint`: output against the library, exit codes, the
hand-over from the C++ command to Python, and the HTML report rendered in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from hiili.footprint import footprint

ROOT = Path(__file__).resolve().parents[2]
USEEIO = ROOT.parent / "shared" / "data" / "useeio_v2.0_ghg"
ACTIVITY = ROOT / "examples" / "footprint" / "activity.csv"
MEASURES = ROOT / "examples" / "footprint" / "measures.csv"
INSTALLED = Path(sys.executable).parent / "hiili"  # where pip puts the command


def run(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 120):
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, env=env
    )


def python_m() -> list[str]:
    return [sys.executable, "-m", "hiili.footprint"]


@pytest.fixture(scope="module")
def reference():
    return footprint(ACTIVITY, USEEIO, measures=MEASURES, iterations=0)


def check_json(stdout: str, reference) -> None:
    data = json.loads(stdout)
    totals = {row["year"]: row["kgco2e"] for row in data["totals"]}
    for year, value in reference.totals["kgco2e"].items():
        assert totals[year] == pytest.approx(value, rel=1e-12)
    measures = {row["measure"]: row["reduction"] for row in data["measures"]}
    for name, value in zip(
        reference.measures["measure"], reference.measures["reduction"], strict=True
    ):
        assert measures[name] == pytest.approx(value, rel=1e-12)


# ---- python -m hiili.footprint ------------------------------------------------------------------


def test_python_m_json_matches_the_library(reference):
    out = run(
        [*python_m(), ACTIVITY, "--model", USEEIO, "--measures", MEASURES, "--json", "-N", "0"]
    )
    assert out.returncode == 0, out.stderr
    check_json(out.stdout, reference)


def test_python_m_csv_and_text(reference):
    out = run([*python_m(), ACTIVITY, "--model", USEEIO, "--csv", "-N", "0", "--year", "2023"])
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("year,category,group,scope,amount,unit,model_usd,kgco2e")
    total = sum(float(line.split(",")[7]) for line in lines[1:])
    assert total == pytest.approx(reference.totals.loc[2023, "kgco2e"], rel=1e-9)
    text = run([*python_m(), ACTIVITY, "--model", USEEIO, "-N", "0"])
    assert text.returncode == 0
    assert "By scope-like group" in text.stdout
    assert "Year on year" in text.stdout


def test_python_m_exit_codes(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("year,category,amount,unit\n2023,electricity,-5,kWh\n")
    out = run([*python_m(), bad, "--model", USEEIO, "-N", "0"])
    assert out.returncode == 3
    assert re.search(r"bad.csv, line 2, column 'amount': negative amount", out.stderr)
    usage = run([*python_m(), ACTIVITY, "--iterations", "many"])
    assert usage.returncode == 2
    # The one form of the hiili command: "<prog>: error: <what>", no usage block.
    assert usage.stderr.startswith("python -m hiili.footprint: error: argument --iterations/-N")
    assert "usage:" not in usage.stderr
    both = run([*python_m(), ACTIVITY, "--json", "--csv"])
    assert both.returncode == 2


# ---- the hiili command hands over to Python -----------------------------------------------------


def binaries() -> list:
    return [
        pytest.param(INSTALLED, id="installed"),
    ]


def require_footprint(binary: Path) -> None:
    if not binary.exists():
        pytest.fail(f"no hiili command at {binary}: install the package (make python)")
    env = {**os.environ, "HIILI_PYTHON": sys.executable}
    out = run([binary, "footprint", "--help"], env=env)
    if out.returncode != 0 or "activity data" not in out.stdout:
        pytest.fail(
            f"{binary} has no working `footprint` subcommand (an older build?): reinstall the "
            f"package so that the binary is rebuilt.\nrc={out.returncode}\n{out.stderr[-800:]}"
        )


@pytest.mark.parametrize("binary", binaries())
def test_hiili_footprint_json_matches_the_library(binary, reference):
    require_footprint(binary)
    env = {**os.environ, "HIILI_PYTHON": sys.executable}
    out = run(
        [
            binary,
            "footprint",
            ACTIVITY,
            "--model",
            USEEIO,
            "--measures",
            MEASURES,
            "--json",
            "-N",
            "0",
        ],
        env=env,
    )
    assert out.returncode == 0, out.stderr
    check_json(out.stdout, reference)


@pytest.mark.parametrize("binary", binaries())
def test_hiili_footprint_help_and_exit_codes(binary, tmp_path):
    require_footprint(binary)
    env = {**os.environ, "HIILI_PYTHON": sys.executable}
    help_text = run([binary, "footprint", "--help"], env=env).stdout
    assert help_text.startswith("usage: hiili footprint")
    bad = tmp_path / "bad.csv"
    bad.write_text("year,category,amount,unit\n2023,rockets,1,kg\n")
    out = run([binary, "footprint", bad, "--model", USEEIO, "-N", "0"], env=env)
    assert out.returncode == 3
    assert "line 2, column 'category': unknown category 'rockets'" in out.stderr
    assert run([binary, "footprint", ACTIVITY, "--seed", "x"], env=env).returncode == 2


def installed_binary() -> Path:
    """The command's ELF binary: bin/hiili itself, or, from the binary wheel, the one its
    launcher (auditwheel's) runs in site-packages/hiili.scripts/."""
    if INSTALLED.read_bytes()[:4] == b"\x7fELF":
        return INSTALLED
    return Path(sysconfig.get_path("platlib")) / "hiili.scripts" / "hiili"


def test_hiili_footprint_without_python(tmp_path):
    require_footprint(INSTALLED)
    binary = installed_binary()
    lonely = tmp_path / "bin" / "hiili"  # no python3 beside it, none on PATH
    lonely.parent.mkdir()
    shutil.copy(binary, lonely)
    libs = binary.parent.parent / "hiili.libs"  # the wheel's libraries, at $ORIGIN/../hiili.libs
    if libs.is_dir():
        (tmp_path / "hiili.libs").symlink_to(libs)
    env = {"PATH": str(tmp_path / "empty"), "HOME": str(tmp_path)}
    out = run([lonely, "footprint", ACTIVITY], env=env)
    assert out.returncode == 2, out.stderr
    assert "needs a Python interpreter with the hiili package" in out.stderr
    env["HIILI_PYTHON"] = str(tmp_path / "no-such-python")
    out = run([lonely, "footprint", ACTIVITY], env=env)
    assert out.returncode == 2
    assert "no-such-python ($HIILI_PYTHON): no hiili.footprint" in out.stderr


# ---- the HTML report in headless Chromium -------------------------------------------------------


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        "Chromium is not installed (Debian: apt-get install chromium); it renders the "
        "footprint report in this test"
    )
    return ""


def chromium_args(tmp_path: Path) -> list[str]:
    return [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,2400",
    ]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    out = run(
        [
            *python_m(),
            ACTIVITY,
            "--model",
            USEEIO,
            "--measures",
            MEASURES,
            "--html",
            path,
            "-N",
            "20",
            "--organisation",
            "Maple Ridge Technical College",
        ]
    )
    assert out.returncode == 0, out.stderr
    return path


def test_report_dom_has_tables_and_images(report, tmp_path):
    out = run([*chromium_args(tmp_path), "--dump-dom", report.as_uri()])
    assert out.returncode == 0, out.stderr[-2000:]
    dom = out.stdout
    assert "<h1>Carbon footprint of Maple Ridge Technical College, 2022-2023</h1>" in dom
    assert dom.count("<table") >= 6
    images = re.findall(r'<img alt="([^"]+)" src="data:image/svg\+xml;base64,', dom)
    assert len(images) == 4, images
    for heading in (
        "Footprint by year and scope",
        "Contributions in 2023",
        "Year on year",
        "Reduction measures",
    ):
        assert heading in dom
    assert "Wind power for half of the electricity" in dom


def test_report_screenshot_is_not_blank(report, tmp_path):
    import matplotlib.image

    shot = tmp_path / "shot.png"
    out = run([*chromium_args(tmp_path), f"--screenshot={shot}", report.as_uri()])
    assert out.returncode == 0, out.stderr[-2000:]
    assert shot.exists()
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2400, 1200)
    not_white = np.any(pixels < 0.9, axis=2).mean()
    coloured = (np.ptp(pixels, axis=2) > 0.2).mean()  # the bars are coloured, text is grey
    assert not_white > 0.03, not_white
    assert coloured > 0.005, coloured


# ---- what the report and the text say (issue #19) ----------------------------------------------


def test_unwritable_report_path_is_a_usage_error_before_any_work(tmp_path):
    # The model does not exist either: the --html check comes first, so that is what is said.
    out = run(
        [*python_m(), ACTIVITY, "--model", tmp_path / "nope", "--html", "/nonexistent/dir/r.html"]
    )
    assert out.returncode == 2, out.stderr
    assert "--html /nonexistent/dir/r.html: the directory /nonexistent/dir does not exist" in (
        out.stderr
    )
    assert "Traceback" not in out.stderr
    assert out.stdout == ""
    folder = run([*python_m(), ACTIVITY, "--model", USEEIO, "--html", tmp_path])
    assert folder.returncode == 2
    assert "is a directory" in folder.stderr


def test_text_tables_state_one_unit(reference):
    from hiili.footprint.cli import text_summary

    text = text_summary(reference)
    assert "kgco2e" not in text
    for title in ("Totals, t CO2e", "By scope-like group, t CO2e", "By category, 2023, t CO2e"):
        assert title in text
    # The totals are tonnes: the library's kg / 1000.
    block = text.split("Totals, t CO2e\n")[1].split("\n\n")[0].splitlines()
    assert block[0].split() == ["CO2e"]
    row = dict(line.split() for line in block[2:])
    for year, kg in reference.totals["kgco2e"].items():
        assert float(row[str(year)].replace(",", "")) == pytest.approx(kg / 1000, abs=0.006)


def test_report_title_and_a_self_contained_method(reference):
    from hiili.footprint import render

    page = render(reference, organisation="Hilltop School", period="school year 2023")
    assert "<h1>Carbon footprint of Hilltop School, school year 2023</h1>" in page
    assert "<h1>Carbon footprint, 2022-2023</h1>" in render(reference)
    assert "<h1>Own title</h1>" in render(reference, "Own title")
    method = page.split("<h2>Method</h2>")[1]
    assert "docs/footprint.md" not in method
    for words in ("purchaser prices", "producer prices", "t CO2e = 1,000 kg", "CPI-U"):
        assert words in method


def test_paths_are_accepted_where_file_names_are(reference):
    result = footprint(ACTIVITY, USEEIO, measures=MEASURES, mapping=None, iterations=0)
    assert list(result.measures["reduction"]) == pytest.approx(
        list(reference.measures["reduction"]), rel=1e-12
    )
