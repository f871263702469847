"""The industrial symbiosis example (examples/symbiosis): scenario scores against fresh dense
solves, the park as the sum of its companies, common random numbers, and bad data files."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import hiili

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "symbiosis"


def _import_park():
    spec = importlib.util.spec_from_file_location("symbiosis_park", FOLDER / "park.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


park_module = _import_park()


@pytest.fixture(scope="module")
def park():
    return park_module.build(hiili.synth(1000, seed=1, uncertainty=True))


def dense_scores(model: hiili.Model, scenario: hiili.Scenario | None, demands: list) -> np.ndarray:
    """C B A^-1 F (k x demands) with the scenario's changes written into a dense copy of A."""
    A = model.A.toarray()
    if scenario is not None:
        for matrix, row, col, value in scenario.resolved(model).changes:
            assert matrix == "A"
            A[row, col] = value
    F = np.zeros((model.n, len(demands)))
    for d, demand in enumerate(demands):
        for j, amount in demand.items():
            F[j, d] = amount
    return model.C.toarray() @ (model.B.toarray() @ np.linalg.solve(A, F))


def test_data_files_load_with_sources():
    data = park_module.load(FOLDER)
    for table in (data.companies, data.background, data.technosphere, data.emissions, data.links):
        assert (table["source"] != "").all()
    assert set(data.links["link"]) == {
        "slag",
        "fly_ash",
        "waste_heat",
        "bark",
        "gypsum",
        "warm_water",
    }


def test_every_scenario_equals_a_fresh_dense_solve(park):
    model = park.model
    q = park_module.climate_category(model)
    table = park_module.deterministic(park)
    assert list(table.index) == ["baseline", *park.scenarios]
    demands = list(park.demands.values())
    for name, scenario in [("baseline", None), *park.scenarios.items()]:
        expected = dense_scores(model, scenario, demands)[q]
        np.testing.assert_allclose(table.loc[name, list(park.demands)], expected, rtol=1e-10)


def test_scenario_models_equal_the_dense_solve_in_every_category(park):
    models = park_module.scenario_models(park)
    demand = park.demands[park_module.PARK]
    for name, scenario in park.scenarios.items():
        got = hiili.Lca(models[name]).solve(demand).scores
        expected = dense_scores(park.model, scenario, [demand])[:, 0]
        np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_links_lower_the_receivers_score(park):
    table = park_module.deterministic(park)
    base = table.loc["baseline"]
    assert table.loc["slag", "cement"] < base["cement"]
    assert table.loc["gypsum", "boards"] < base["boards"]
    assert table.loc["warm_water", "greenhouse"] < base["greenhouse"]
    assert table.loc["waste_heat", "energy"] < base["energy"]
    # a link that does not reach a company leaves it alone
    assert table.loc["slag", "greenhouse"] == pytest.approx(base["greenhouse"], rel=1e-12)


def test_park_total_is_the_sum_over_companies(park):
    table = park_module.deterministic(park)
    np.testing.assert_allclose(
        table[park.companies].sum(axis=1), table[park_module.PARK], rtol=1e-12
    )
    samples = park_module.monte_carlo(park, iterations=40, seed=2)
    for sample in samples.values():
        np.testing.assert_allclose(sample[:, :-1].sum(axis=1), sample[:, -1], rtol=1e-10)


def test_calibration_gives_the_documented_upstream_factor(park):
    lca = hiili.Lca(park.model)
    q = park_module.climate_category(park.model)
    upstream = dict(
        zip(
            park.data.background["purchase"],
            park.data.background["upstream_kg_co2e_per_unit"],
            strict=True,
        )
    )
    for row in park.choices.itertuples(index=False):
        score = lca.solve({int(row.activity): row.background_units_per_unit}).scores[q]
        assert score == pytest.approx(upstream[row.purchase], rel=1e-10)


def test_common_random_numbers_share_the_draws(park):
    """warm_water changes the park by about 0.1 %: on common draws the paired difference
    varies far less than the scores; on independent draws (another seed) it does not."""
    samples = park_module.monte_carlo(park, iterations=100, seed=0)
    other = park_module.monte_carlo(park, iterations=100, seed=1)
    base, link = samples["baseline"][:, -1], samples["warm_water"][:, -1]
    total = base.var() + link.var()
    assert np.var(link - base) < 1e-4 * total
    assert np.var(other["warm_water"][:, -1] - base) > 0.5 * total
    # the engine compares demands on the same draws too: company columns come from one run
    assert np.all(link <= base)


def test_compare_table(park):
    samples = park_module.monte_carlo(park, iterations=50, seed=0)
    table = park_module.compare(park, samples)
    assert table.loc[("all links", "park"), "P(lower)"] == 1.0
    assert table.loc[("baseline", "park"), "change"] == 0.0
    assert table.loc[("slag", "cement"), "change q97.5"] < 0


# ---- bad data files ------------------------------------------------------------------------
def spoiled(tmp_path: Path, file: str, old: str, new: str) -> Path:
    folder = tmp_path / "park"
    shutil.copytree(FOLDER, folder, ignore=shutil.ignore_patterns("*.py", "*.md", "__pycache__"))
    path = folder / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return folder


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "technosphere.csv",
            "crude_steel,iron_ore,1.5,",
            "crude_steel,iron_ore,lots,",
            r"technosphere.csv: line 2, column 'amount': 'lots' is not a number",
        ),
        (
            "technosphere.csv",
            "crude_steel,iron_ore,1.5,",
            "crude_steel,iron_ore,-1.5,",
            r"technosphere.csv: line 2, column 'amount': '-1.5' must be",
        ),
        (
            "emissions.csv",
            'coal_burned,"carbon dioxide, fossil",94.6,',
            'coal_burned,"carbon dioxide, fossil",nan,',
            r"emissions.csv: line 3, column 'amount'",
        ),
        (
            "links.csv",
            "slag,Blast-furnace slag replaces clinker,cement,",
            "slag,Blast-furnace slag replaces clinker,cemnt,",
            r"links.csv: line 2, column 'receiver': unknown activity or purchase 'cemnt'",
        ),
        (
            "links.csv",
            "cement,slag,0.20,clinker,0.20,",
            "cement,slag,0.20,clinker,0.90,",
            r"links.csv: line 3, column 'replaced_amount': links replace 1 of 'clinker'",
        ),
        (
            "activities.csv",
            'fish,"trout, land-based farm",fish,',
            'fish,"trout, land-based farm",fishes,',
            r"activities.csv: line 20, column 'company': unknown company 'fishes'",
        ),
        (
            "activities.csv",
            'pulp,"bleached kraft pulp",pulp,ADt,500000',
            'pulp,"bleached kraft pulp",pulp,ADt,',
            r"activities.csv: line 5, column 'delivery': empty",
        ),
        (
            "background.csv",
            "purchase,product,",
            "purchase,produce,",
            r"background.csv: line 1: missing columns \['product'\]",
        ),
        (
            "companies.csv",
            "fish,Fish farm,",
            "steel,Fish farm,",
            r"companies.csv: line 8, column 'company': duplicate 'steel'",
        ),
        (
            "technosphere.csv",
            "fish,chp_electricity,2.0,MWh/t,0.3,",
            "fish,chp_electricity,2.0,MWh/t,0.3,x,y,",
            r"technosphere.csv: line 36, column '\(extra\)'",
        ),
    ],
)
def test_bad_files_name_file_line_and_column(tmp_path, file, old, new, message):
    folder = spoiled(tmp_path, file, old, new)
    with pytest.raises(hiili.FormatError, match=message):
        park_module.load(folder)


def test_missing_file(tmp_path):
    folder = spoiled(tmp_path, "links.csv", "slag,", "slag,")
    (folder / "emissions.csv").unlink()
    with pytest.raises(hiili.FormatError, match=r"emissions.csv: file not found"):
        park_module.load(folder)


def test_background_without_a_product_is_refused():
    tiny = hiili.synth(10, seed=1)
    with pytest.raises(hiili.InvalidInputError, match="has no activity making"):
        park_module.build(tiny)
