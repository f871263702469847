"""`hiili mc --workers N` and `--scheduler ADDRESS` (python -m hiili.distributed): the same
scores as the single-machine `hiili mc`, byte for byte in the --scores file."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from distributed import LocalCluster

HIILI = Path(sys.executable).parent / "hiili"  # where pip puts the command


def run(args, timeout=300):
    return subprocess.run([str(HIILI), *args], capture_output=True, text=True, timeout=timeout)


def mc(tmp_path, name, extra, model=()):
    scores = tmp_path / f"{name}.csv"
    out = run(
        [
            "mc",
            *model,
            "-d",
            "#499=1",
            "-N",
            "120",
            "--seed",
            "3",
            "--first",
            "7",
            "--scores",
            str(scores),
            "--json",
            "-q",
            *extra,
        ]
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout), scores.read_bytes()


def test_workers_on_the_default_model_match_one_machine(tmp_path):
    one, one_scores = mc(tmp_path, "one", [])
    two, two_scores = mc(tmp_path, "two", ["--workers", "2"])
    assert two_scores == one_scores
    assert one_scores.count(b"\n") == 121
    for key in (
        "seed",
        "first_iteration",
        "requested",
        "completed",
        "interrupted",
        "active_activities",
        "failed",
    ):
        assert two[key] == one[key], key
    assert two["model"]["activities"] == one["model"]["activities"] == 20000
    for a, b in zip(one["categories"], two["categories"], strict=True):
        assert a["category"] == b["category"]
        assert b["deterministic"] == pytest.approx(a["deterministic"], rel=1e-14)
        for stat in ("mean", "std", "min", "max"):
            assert b["scores"][stat] == pytest.approx(a["scores"][stat], rel=1e-12), stat
        for level, value in a["scores"]["quantiles"].items():
            assert b["scores"]["quantiles"][level] == pytest.approx(value, rel=1e-12)


def test_scheduler_of_an_existing_cluster(tmp_path):
    model = ["synth:n=600,k=2,seed=4,uncertainty=1"]
    one, one_scores = mc(tmp_path, "one", [], model)
    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        two, two_scores = mc(tmp_path, "two", ["--scheduler", cluster.scheduler_address], model)
    assert two_scores == one_scores
    assert two["completed"] == one["completed"] == 120


def test_bad_worker_count_is_refused():
    out = run(["mc", "-d", "#499=1", "--workers", "0"])
    assert out.returncode != 0
    assert "--workers" in out.stderr


def test_csv_with_an_alternative_matches_one_machine():
    args = [
        "mc",
        "synth:n=500,k=2,seed=2,uncertainty=1",
        "-d",
        "#99=1",
        "--vs",
        "#98=1",
        "-N",
        "60",
        "--csv",
        "-q",
    ]
    one, two = run(args), run([*args, "--workers", "2"])
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    rows_one = [line.split(",") for line in one.stdout.splitlines()]
    rows_two = [line.split(",") for line in two.stdout.splitlines()]
    assert rows_two[0] == rows_one[0]  # the header, p_less included
    assert [r[:2] for r in rows_two] == [r[:2] for r in rows_one]
    assert len(rows_one) == 1 + 2 * 3  # demand, alternative, difference per category
    for a, b in zip(rows_one[1:], rows_two[1:], strict=True):
        assert b[-2] == a[-2]  # iterations
        assert (b[-1] == "") == (a[-1] == "")
        for x, y in zip(a[2:-2] + a[-1:], b[2:-2] + b[-1:], strict=True):
            if x:
                assert float(y) == pytest.approx(float(x), rel=1e-12, abs=1e-300)
