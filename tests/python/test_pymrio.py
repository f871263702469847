"""hiili.Model.from_pymrio on pymrio's test MRIO (../shared/data/pymrio_test_mrio: 6 regions x 8
sectors), checked against the multipliers M that pymrio's own tests assert (expected/, rtol 1e-5,
8 significant digits) and against pymrio's calc_all on the same data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pymrio  # requirements-dev.txt
import pytest

import hiili

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pymrio_test_mrio"


def load_shared(monkeypatch) -> object:
    """pymrio.load_test(), reading the MRIO from ../shared/data instead of pymrio's package."""
    assert (DATA / "test_mrio" / "mrio_data" / "trade_flows_Z.txt").is_file(), (
        f"{DATA} is missing: the tests read the shared data")
    paths = pymrio.load_test.__globals__["PYMRIO_PATH"]
    monkeypatch.setitem(paths, "test_mrio_data", DATA / "test_mrio" / "mrio_data")
    return pymrio.load_test()


def multipliers(model: hiili.Model) -> np.ndarray:
    """B A^-1, one unit of each sector at a time (m x n)."""
    lca = hiili.Lca(model)
    return np.column_stack([lca.solve({j: 1.0}).inventory for j in range(model.n)])


def test_multipliers_match_pymrios_expected_M(monkeypatch):
    io = load_shared(monkeypatch)
    model = hiili.Model.from_pymrio(io)
    assert model.n == 48
    flows = list(model.flows["id"])
    assert flows == ["factor_inputs|Value Added", "emissions|emission_type1|air",
                     "emissions|emission_type2|water"]
    assert model.activities["id"][0] == "reg1|food"
    assert model.read_report["counts"]["extensions"] == 2
    M = multipliers(model)

    expected = json.loads((DATA / "expected" / "test_integration_testmrio.json").read_text())["M"]
    assert [c.replace("/", "|") for c in expected["columns"]] == list(model.activities["id"])
    np.testing.assert_allclose(M[0], np.asarray(expected["values"][0]), rtol=expected["rtol"])

    io.calc_all()  # pymrio's own multipliers on the same data
    np.testing.assert_allclose(M[0], io.factor_inputs.M.to_numpy()[0], rtol=1e-10)
    np.testing.assert_allclose(M[1:], io.emissions.M.to_numpy(), rtol=1e-10)


def test_characterization_table_becomes_c(monkeypatch):
    io = load_shared(monkeypatch)
    table = pd.read_csv(DATA / "test_mrio" / "concordance" / "emissions_charact.tsv", sep="\t")
    model = hiili.Model.from_pymrio(io, characterization=table, extensions=["emissions"])
    assert list(model.categories["name"]) == [
        "air water impact", "total emissions", "total air emissions"]
    assert list(model.categories["unit"]) == ["t", "kg", "t"]
    assert model.read_report["counts"]["unmatched_characterization_factors"] == 1  # type3/land
    io.calc_all()
    M = io.emissions.M.to_numpy()  # rows: type1/air, type2/water
    factors = np.array([[2e-3, 1e-3], [1.0, 1.0], [1e-3, 0.0]])
    lca = hiili.Lca(model)
    for j in (0, 17, 47):
        np.testing.assert_allclose(lca.solve({j: 1.0}).scores, factors @ M[:, j], rtol=1e-10)


def test_not_an_io_system():
    with pytest.raises(hiili.InvalidInputError, match="Z"):
        hiili.Model.from_pymrio(object())
