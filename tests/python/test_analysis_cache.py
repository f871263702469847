"""Lca(model, cache=DIR): the symbolic analysis kept across processes (docs/analysis-cache.md).

A hit in a new process gives the uncached supply to the bit; a corrupt or foreign file, or a
directory that cannot be written, is a hiili.CacheWarning and a fresh analysis, never an error.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse.linalg as sla

import hiili

N = 2500
# One run in a fresh interpreter: the outcome on stdout, the supply in OUT.npy.
SCRIPT = """
import sys, warnings, numpy as np, hiili
warnings.simplefilter("error", hiili.CacheWarning)
model = hiili.synth({n}, seed={seed})
lca = hiili.Lca(model, cache=sys.argv[1])
np.save(sys.argv[2], lca.solve({{0: 1.0, 7: 2.0}}).supply)
print(lca.report.cache)
"""


def run_in_new_process(cache: Path, out: Path, seed: int = 2) -> subprocess.Popen[str]:
    code = SCRIPT.format(n=N, seed=seed)
    return subprocess.Popen(
        [sys.executable, "-c", code, str(cache), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out.strip()


def uncached_supply(seed: int = 2) -> np.ndarray:
    return hiili.Lca(hiili.synth(N, seed=seed)).solve({0: 1.0, 7: 2.0}).supply


def test_hit_in_a_new_process_gives_the_same_bits(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert finish(run_in_new_process(cache, tmp_path / "a.npy")) == "stored"
    assert finish(run_in_new_process(cache, tmp_path / "b.npy")) == "hit"
    plain = uncached_supply()
    first, second = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert first.tobytes() == plain.tobytes()
    assert second.tobytes() == plain.tobytes()
    # And the answer is A^-1 f (scipy's SuperLU as the independent solver).
    model = hiili.synth(N, seed=2)
    f = np.zeros(N)
    f[0], f[7] = 1.0, 2.0
    reference = sla.spsolve(model.A.tocsc(), f)
    np.testing.assert_allclose(second, reference, rtol=1e-9, atol=1e-12)


def test_report_and_option_or_pattern_change(tmp_path: Path) -> None:
    model = hiili.synth(N, seed=3)
    assert hiili.Lca(model).report.cache == "off"
    first = hiili.Lca(model, cache=tmp_path)
    assert first.report.cache == "stored"
    assert Path(first.report.cache_path).is_file()
    assert hiili.Lca(model, cache=str(tmp_path)).report.cache == "hit"
    assert "cache=hit" in hiili.Lca(model, cache=tmp_path).report.brief()
    assert hiili.Lca(model, cache=tmp_path, btf=False).report.cache == "stored"
    assert hiili.Lca(model, cache=tmp_path, amd_dense=4.0).report.cache == "stored"
    assert hiili.Lca(hiili.synth(N, seed=4), cache=tmp_path).report.cache == "stored"
    # Options that do not change the analysis share its file.
    assert hiili.Lca(model, cache=tmp_path, residual_tolerance=1e-8).report.cache == "hit"
    assert hiili.Lca(model, "umfpack", cache=tmp_path).report.cache == "off"


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda b: b[: len(b) // 2], "truncated"),
        (lambda b: b[:-3] + bytes([b[-3] ^ 0x40]) + b[-2:], "checksum"),
        (lambda b: b[:8] + b[8:12][::-1] + b[12:], "byte order"),
        (lambda b: b"garbage" * 40, "not a hiili analysis file"),
    ],
)
def test_a_bad_file_is_a_warning_and_is_replaced(tmp_path: Path, damage, reason: str) -> None:
    model = hiili.synth(N, seed=5)
    plain = hiili.Lca(model).solve({3: 1.0}).supply
    path = Path(hiili.Lca(model, cache=tmp_path).report.cache_path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.warns(hiili.CacheWarning, match=reason):
        lca = hiili.Lca(model, cache=tmp_path)
    assert lca.report.cache == "stored"
    assert lca.solve({3: 1.0}).supply.tobytes() == plain.tobytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error", hiili.CacheWarning)
        assert hiili.Lca(model, cache=tmp_path).report.cache == "hit"


def test_unwritable_directory_is_a_warning(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory's parent should be")
    model = hiili.synth(N, seed=6)
    with pytest.warns(hiili.CacheWarning, match="not written"):
        lca = hiili.Lca(model, cache=blocker / "cache")
    assert lca.report.cache == "miss"
    plain = hiili.Lca(model).solve({0: 1.0}).supply
    assert lca.solve({0: 1.0}).supply.tobytes() == plain.tobytes()


def test_two_processes_write_the_same_key_at_once(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    procs = [run_in_new_process(cache, tmp_path / f"{i}.npy", seed=7) for i in range(3)]
    outcomes = [finish(p) for p in procs]
    assert all(o in ("stored", "hit") for o in outcomes), outcomes
    _only_file(cache)
    assert finish(run_in_new_process(cache, tmp_path / "last.npy", seed=7)) == "hit"
    plain = uncached_supply(seed=7)
    for i in range(3):
        assert np.load(tmp_path / f"{i}.npy").tobytes() == plain.tobytes()


def _only_file(directory: Path) -> Path:
    files = list(directory.iterdir())
    assert len(files) == 1, files  # no temporary file left behind
    return files[0]


def test_cache_expands_the_home_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    lca = hiili.Lca(hiili.synth(50), cache="~/hiili-cache")
    assert lca.report.cache == "stored"
    assert Path(lca.report.cache_path).parent == tmp_path / "hiili-cache"


def test_cache_must_be_a_path() -> None:
    with pytest.raises(hiili.InvalidInputError, match="analysis_cache"):
        hiili.Lca(hiili.synth(50), cache=3)
