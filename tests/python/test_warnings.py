"""Warnings where a result would mislead (hiili/diagnostics.hpp): an ill-conditioned
technosphere, a Monte Carlo run without uncertainty, a climate indicator that does not count
CO2. Each fires where it should, carries its numbers, and stays silent otherwise."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import hiili
from hiili.footprint import footprint

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
V12, V20 = DATA / "useeio_v1.2", DATA / "useeio_v2.0_ghg"


def model_of(A: np.ndarray) -> hiili.Model:
    n = A.shape[0]
    return hiili.Model(sp.csc_matrix(A), sp.csc_matrix(np.eye(n)), sp.csc_matrix(np.ones((1, n))))


def test_ill_conditioned_lca_warns_with_the_estimate():
    A = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-13]])
    exact = np.linalg.norm(A, 1) * np.linalg.norm(np.linalg.inv(A), 1)
    assert exact > hiili.ILL_CONDITIONED_THRESHOLD
    match = r"condition estimate [\d.]+e\+13 is above 1e\+12"
    with pytest.warns(hiili.IllConditionedWarning, match=match):
        lca = hiili.Lca(model_of(A))
    assert lca.condition == pytest.approx(exact, rel=0.1)
    assert issubclass(hiili.IllConditionedWarning, hiili.HiiliWarning)
    assert issubclass(hiili.HiiliWarning, UserWarning)


def test_well_conditioned_lca_is_silent():
    A = np.array([[1.0, -0.5], [-0.2, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lca = hiili.Lca(model_of(A))
    assert lca.condition == pytest.approx(
        np.linalg.norm(A, 1) * np.linalg.norm(np.linalg.inv(A), 1), rel=1e-12
    )
    assert hiili.diagnostics.condition_warning(lca.condition) == ""


def test_monte_carlo_without_uncertainty_warns():
    model = model_of(np.array([[1.0, -0.5], [-0.2, 1.0]]))
    mc = hiili.MonteCarlo(model, {0: 1.0}, seed=1, threads=1)
    with pytest.warns(hiili.NoUncertaintyWarning, match="no entry .* is uncertain"):
        result = mc.run(20, progress=False)
    scores = result.scores_of(0)[:, 0]
    assert np.ptp(scores) == 0.0  # what the warning says: a point, not an interval
    assert result.report.sampled_entries == (0, 0, 0)


def test_monte_carlo_with_uncertainty_is_silent():
    mc = hiili.MonteCarlo(hiili.synth(200, k=1, seed=3, uncertainty=True), {150: 1.0}, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = mc.run(20, progress=False)
    assert np.ptp(result.scores_of(0)[:, 0]) > 0.0


def test_climate_notes_on_useeio():
    assert (V12 / "flows.json").is_file(), f"missing {V12}"
    v12 = hiili.read(V12)
    notes = hiili.climate_notes(v12)
    gcc = list(v12.categories["code"]).index("GCC")
    assert [q for q, _ in notes] == [gcc] * 3  # CO2, CH4 and N2O
    # The published C, read independently: CO2 (air) has no GCC factor, its 1 is in HAZW.
    C = np.array(json.loads((V12 / "matrix" / "C.json").read_text()))
    flows = json.loads((V12 / "flows.json").read_text())
    co2 = [f["index"] for f in flows if f["name"] == "Carbon dioxide" and f["category"] == "air"]
    assert co2
    assert C[gcc, co2].max() == 0.0
    assert "factor of 0" in notes[0][1]
    assert "carbon dioxide" in notes[0][1]
    assert "methane" in notes[1][1]
    assert "nitrous oxide" in notes[2][1]
    assert "'Hazardous Waste' (HAZW)" in notes[0][1]
    assert hiili.climate_notes(hiili.read(V20)) == []


def electricity() -> pd.DataFrame:
    return pd.DataFrame(
        {"year": ["2023"], "category": ["electricity"], "amount": ["1000"], "unit": ["kWh"]}
    )


def test_footprint_refuses_an_indicator_without_co2():
    with pytest.raises(hiili.InvalidInputError, match="cannot give a carbon footprint") as e:
        footprint(electricity(), V12, iterations=0)
    assert "carbon dioxide" in str(e.value)
    assert "--no-indicator-check" in str(e.value)


def test_footprint_unchecked_warns_and_reports():
    with pytest.warns(hiili.CharacterisationWarning) as caught:
        result = footprint(electricity(), V12, iterations=0, check_indicator=False)
    texts = [str(w.message) for w in caught]
    assert len(texts) == 3
    assert "carbon dioxide" in texts[0]
    assert texts == result.meta["warnings"]
    assert any("carbon dioxide" in w for w in result.meta["warnings"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fine = footprint(electricity(), V20, iterations=0)
    assert fine.meta["warnings"] == []
    # What the check protects against: orders of magnitude between the two models.
    assert fine.totals["kgco2e"].iloc[-1] > 50 * result.totals["kgco2e"].iloc[-1]
