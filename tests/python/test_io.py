"""hiili.read on the shared data sets, checked against published oracles; FormatError."""

import json
from pathlib import Path

import numpy as np
import pytest

import hiili

from helpers import rel_err

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
USEEIO = DATA / "useeio_v1.2"
BASIC = DATA / "bw2calc_fixtures" / "fixtures" / "basic_fixture.zip"


def _dense(path: Path) -> np.ndarray:
    return np.array(json.loads(path.read_text()), dtype=float)


def test_useeio_total_impacts_match_published_oracle():
    model = hiili.read(USEEIO)
    assert hiili.detect_format(USEEIO) == "useeio"
    assert (model.n, model.m, model.k) == (388, 2412, 24)
    # The technosphere is I - A (SOURCE.txt); the activity labels follow sectors.json.
    A_io = _dense(USEEIO / "matrix" / "A.json")
    np.testing.assert_allclose(model.A.toarray(), np.eye(388) - A_io, rtol=0, atol=1e-15)
    sectors = json.loads((USEEIO / "sectors.json").read_text())
    assert model.activities["name"].tolist() == [s["name"] for s in sectors]
    # U.json: the published total impacts per $ of each sector, N = C B (I - A)^-1.
    U = _dense(USEEIO / "matrix" / "U.json")
    N = hiili.Lca(model).activity_scores()
    big = np.abs(U) > 1e-12 * np.abs(U).max()
    assert np.max(np.abs(N[big] - U[big]) / np.abs(U[big])) < 1e-9
    # A sector's total requirements are its column of the published Leontief inverse L.
    L = _dense(USEEIO / "matrix" / "L.json")
    r = hiili.Lca(model, solver="umfpack").solve({sectors[5]["id"]: 1.0})
    assert rel_err(r.supply, L[:, 5]) < 1e-9


def test_brightway_basic_fixture():
    # bw2calc tests/test_lca.py::test_basic: supply of 101 -> 1.0 and 102 -> 0.5.
    model = hiili.read(BASIC, format="datapackage")
    r = hiili.Lca(model).solve({"101": 1.0})
    series = r.to_series("supply")
    assert series["101"] == pytest.approx(1.0, rel=1e-14)
    assert series["102"] == pytest.approx(0.5, rel=1e-14)


def test_format_errors(tmp_path):
    garbage = tmp_path / "model.mtx"
    garbage.write_text("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 oops\n")
    with pytest.raises(hiili.FormatError) as info:
        hiili.read(garbage)
    assert "model.mtx" in str(info.value)
    unknown = tmp_path / "notes.txt"
    unknown.write_text("nothing a reader knows\n")
    with pytest.raises(hiili.FormatError):
        hiili.detect_format(unknown)
    with pytest.raises(hiili.InvalidInputError):
        hiili.read(garbage, format="no-such-format")
    with pytest.raises(hiili.Error):
        hiili.read(tmp_path / "missing")
