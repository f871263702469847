"""hiili.footprint against an independent dense numpy computation of USEEIO v2.0 GHG, and every
validation error. The CLI and the HTML report are in test_footprint_cli.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import hiili
from hiili.footprint import build, footprint, load_mapping
from hiili.footprint.foreground import choose_indicator

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
USEEIO = DATA / "useeio_v2.0_ghg"
SCHOOL = ROOT / "examples" / "footprint"
ACTIVITY = SCHOOL / "activity.csv"
MEASURES = SCHOOL / "measures.csv"
SHIPPED = ROOT / "python" / "hiili" / "footprint" / "data"


# Unit conversions written out independently of hiili.footprint.units.
TO_CANONICAL = {
    "kWh": 1.0,
    "therm": 100000 / 3412.14163,
    "L": 1.0,
    "gal": 3.785411784,
    "km": 1.0,
    "mi": 1.609344,
    "t": 1000.0,
    "kg": 1.0,
    "USD": 1.0,
}


# ---- the independent computation ----------------------------------------------------------


@pytest.fixture(scope="module")
def dense():
    """USEEIO v2.0 GHG read with json + numpy: the GHG intensity of final demand of every
    sector, N = d (I - A)^-1 with d the GHG row of C B, from one dense solve."""
    load = lambda name: np.array(json.loads((USEEIO / "matrix" / name).read_text()), float)  # noqa: E731
    A, B, C = load("A.json"), load("B.json"), load("C.json")
    sectors = json.loads((USEEIO / "sectors.json").read_text())
    codes = {s["code"]: s["index"] for s in sectors}
    N = np.linalg.solve((np.eye(A.shape[0]) - A).T, (C @ B)[0])
    return {"N": N, "codes": codes}


def independent_footprint(activity: pd.DataFrame, dense: dict) -> pd.Series:
    """kg CO2e per (year, category) from the dense intensities: spend f in 2012 USD, score
    N f, plus amount x factor for the direct part."""
    mapping = pd.read_csv(SHIPPED / "mapping_useeio_v2.csv", dtype={"sector": str})
    mapping = mapping.set_index("category")
    cpi = pd.read_csv(SHIPPED / "cpi_u.csv").set_index("year")["cpi_u"]
    out = {}
    for (year, category), rows in activity.groupby(["year", "category"]):
        row = mapping.loc[category]
        amount = sum(a * TO_CANONICAL[u] for a, u in zip(rows["amount"], rows["unit"], strict=True))
        total = 0.0
        if isinstance(row["sector"], str):
            usd = amount * (cpi[2012] / cpi[year] if row["unit"] == "USD" else row["usd_per_unit"])
            total += dense["N"][dense["codes"][row["sector"]]] * usd
        if not np.isnan(row["factor_kgco2e_per_unit"]):
            total += amount * row["factor_kgco2e_per_unit"]
        out[(int(year), category)] = total
    return pd.Series(out)


@pytest.fixture(scope="module")
def school():
    return pd.read_csv(ACTIVITY, comment="#")


@pytest.fixture(scope="module")
def result():
    """The sample school with 40 Monte Carlo iterations (seed 3) and its measures."""
    return footprint(ACTIVITY, USEEIO, measures=MEASURES, iterations=40, seed=3)


def rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# ---- numbers ------------------------------------------------------------------------------------


def test_by_category_equals_dense_solve(result, school, dense):
    expected = independent_footprint(school, dense)
    got = result.by_category["kgco2e"]
    assert set(got.index) == set(expected.index)
    assert rel(got[expected.index], expected) < 1e-9


def test_totals_equal_dense_solve(result, school, dense):
    expected = independent_footprint(school, dense).groupby(level=0).sum()
    assert rel(result.totals["kgco2e"][expected.index], expected) < 1e-9
    assert result.totals.loc[2023, "kgco2e"] == pytest.approx(1.9676e6, rel=1e-3)


def test_groupings_sum_to_the_total(result):
    totals = result.totals["kgco2e"]
    for frame in (result.by_scope, result.by_group, result.by_category):
        sums = frame["kgco2e"].groupby(level="year").sum()
        assert rel(sums[totals.index], totals) < 1e-12
        shares = frame["share"].groupby(level="year").sum()
        assert np.allclose(shares, 1.0, rtol=1e-12)
    split = result.by_category[["scope1", "scope2", "scope3"]].sum(axis=1)
    assert rel(split, result.by_category["kgco2e"]) < 1e-12
    # Monte Carlo: the categories' draws add up to the total's, iteration by iteration.
    means = result.by_category["mean"].groupby(level="year").sum()
    assert rel(means[totals.index], result.totals["mean"]) < 1e-12


def test_scope_1_is_the_direct_combustion(result, school):
    mapping = pd.read_csv(SHIPPED / "mapping_useeio_v2.csv").set_index("category")
    rows = school[(school["year"] == 2022) & school["category"].isin(["natural_gas", "diesel"])]
    rows = rows[rows["category"].isin(mapping.index[mapping["factor_scope"] == 1])]
    rows = school[school["year"] == 2022]
    direct = 0.0
    for category, amount, unit in zip(rows["category"], rows["amount"], rows["unit"], strict=True):
        if mapping.loc[category, "factor_scope"] == 1:
            direct += amount * TO_CANONICAL[unit] * mapping.loc[category, "factor_kgco2e_per_unit"]
    scope1 = result.by_scope.loc[(2022, "Scope 1: direct combustion"), "kgco2e"]
    assert scope1 == pytest.approx(direct, rel=1e-12)


def test_year_on_year(result):
    yoy = result.year_on_year.iloc[0]
    t = result.totals["kgco2e"]
    assert (yoy["from"], yoy["to"]) == (2022, 2023)
    assert yoy["change"] == pytest.approx(t[2023] - t[2022], rel=1e-12)
    assert yoy["change_pct"] == pytest.approx(100 * (t[2023] / t[2022] - 1), rel=1e-12)
    by_cat = result.yoy_by_category
    assert by_cat["change"].sum() == pytest.approx(t[2023] - t[2022], rel=1e-9)
    # Paired (common random numbers): the change's spread is far below the totals' spread.
    assert yoy["change_std"] < 0.2 * result.totals.loc[2023, "std"]
    assert 0.0 <= yoy["p_decrease"] <= 1.0


def _edit(rows: pd.DataFrame, category: str, share: float, target: str | None) -> pd.DataFrame:
    """The measure written out by hand: scale the category's rows, copy the moved part."""
    rows = rows.copy()
    hit = rows["category"] == category
    moved = rows[hit].copy()
    moved["amount"] *= share
    rows.loc[hit, "amount"] *= 1 - share
    if target is not None:
        moved["category"] = target
        rows = pd.concat([rows, moved], ignore_index=True)
    return rows


HAND_EDITS = {
    "Wind power for half of the electricity": [("electricity", 0.5, "electricity_wind")],
    "Cut air travel by 30 %": [("air_km", 0.3, None)],
    "A fifth of car commuting to bus": [("car_km", 0.2, "bus_km")],
    "Plant-richer canteen": [("food_meat", 0.4, "food_vegetables")],
    "Heating 1 degree lower": [("natural_gas", 0.06, None)],
    "Laptops kept five years instead of four": [("it_equipment", 0.2, None)],
}


def test_measures_equal_fresh_solves_of_the_edited_data(result, school, dense):
    base = school[school["year"] == 2023]
    base_total = independent_footprint(base, dense).sum()
    measures = result.measures.set_index("measure")
    every = base
    for name, edits in HAND_EDITS.items():
        edited = base
        for edit in edits:
            edited = _edit(edited, *edit)
            every = _edit(every, *edit)
        fresh = footprint(edited, USEEIO, iterations=0).totals.loc[2023, "kgco2e"]
        assert measures.loc[name, "reduction"] == pytest.approx(base_total - fresh, rel=1e-9)
        by_numpy = independent_footprint(edited, dense).sum()
        assert fresh == pytest.approx(by_numpy, rel=1e-9)
    together = independent_footprint(every, dense).sum()
    assert measures.loc["all measures together", "reduction"] == pytest.approx(
        base_total - together, rel=1e-9
    )


def test_measures_ranked_with_probabilities(result):
    m = result.measures
    single = m[m["measure"] != "all measures together"]
    assert list(single["rank"]) == list(range(1, len(single) + 1))
    assert np.all(np.diff(single["reduction"].to_numpy()) <= 0)
    assert single["measure"].iloc[0] == "Wind power for half of the electricity"
    assert ((m["p_reduction"] >= 0) & (m["p_reduction"] <= 1)).all()
    # Common random numbers: a small measure's paired reduction is far tighter than the
    # base year's own spread, and positive in every iteration.
    laptops = m.set_index("measure").loc["Laptops kept five years instead of four"]
    assert laptops["reduction_std"] < 0.01 * result.totals.loc[2023, "std"]
    assert laptops["p_reduction"] == 1.0


# ---- Monte Carlo --------------------------------------------------------------------------------


def test_monte_carlo_reproducible_by_seed(result):
    again = footprint(ACTIVITY, USEEIO, measures=MEASURES, iterations=40, seed=3)
    for label, sample in result.samples.items():
        np.testing.assert_array_equal(sample, again.samples[label])
    other = footprint(ACTIVITY, USEEIO, years=[2023], iterations=40, seed=4)
    assert not np.array_equal(
        other.samples["2023|electricity|io"], result.samples["2023|electricity|io"]
    )


def test_monte_carlo_mean_near_the_deterministic_value(result):
    # Lognormals are centred on their median: the mean sits above by about exp(sigma^2 / 2)
    # per factor (a few %); 40 iterations of a spread of about 8 % give a standard error
    # near 1.3 %. 10 % leaves a wide margin (and the seed is fixed).
    t = result.totals
    assert np.all(np.abs(t["mean"] / t["kgco2e"] - 1) < 0.10)
    assert np.all((t["low"] < t["kgco2e"]) & (t["kgco2e"] < t["high"]))


def test_monte_carlo_without_uncertainty_is_deterministic():
    spend = pd.DataFrame(
        {
            "year": [2023, 2023],
            "category": ["food_meat", "paper"],
            "amount": [1e4, 2e3],
            "unit": ["USD", "USD"],
        }
    )
    with pytest.warns(hiili.NoUncertaintyWarning):
        r = footprint(spend, USEEIO, iterations=5, gsd_a=1.0, gsd_b=1.0)
    assert any("no entry" in w for w in r.meta["warnings"])  # and the report shows it
    for label, sample in r.samples.items():
        year, category, _ = label.split("|")
        expected = r.by_category.loc[(int(year), category), "kgco2e"]
        np.testing.assert_allclose(sample, expected, rtol=1e-12)


# ---- validation ---------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


HEADER = "year,category,amount,unit\n"


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ("2023,electricity,10,kWh\n2023,rockets,1,kg\n", r"line 3, column 'category': unknown"),
        ("2023,electricity,10,kWhh\n", r"line 2, column 'unit': unit 'kWhh' does not fit"),
        ("2023,electricity,10,kg\n", r"line 2, column 'unit'.*measured in kWh"),
        ("2023,electricity,-10,kWh\n", r"line 2, column 'amount': negative amount -10"),
        ("2023,electricity,ten,kWh\n", r"line 2, column 'amount': 'ten' is not a number"),
        # found by fuzzing: float() takes it, pandas did not (ValueError, not a hiili error)
        ("2023,electricity,1_000,kWh\n", r"line 2, column 'amount': '1_000' is not a number"),
        ("2023,electricity,nan,kWh\n", r"line 2, column 'amount': 'nan' is not finite"),
        ("2023,electricity,,kWh\n", r"line 2, column 'amount': missing amount"),
        (",electricity,10,kWh\n", r"line 2, column 'year': missing year"),
        ("20x3,electricity,10,kWh\n", r"line 2, column 'year': '20x3' is not a year"),
        ("1999,food_meat,10,USD\n", r"line 2: no CPI-U for 1999"),
    ],
)
def test_activity_errors_name_line_and_column(tmp_path, rows, match):
    path = write(tmp_path, "a.csv", HEADER + rows)
    with pytest.raises(hiili.InvalidInputError, match=match):
        footprint(path, USEEIO, iterations=0)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        # found by fuzzing: pandas reads the form feed after the carriage returns as a row that
        # the line count skips (a ValueError in pandas, not a hiili error)
        ("2023,electricity,10,kWh\n\r\r\x0c\r\r", r"data row 2, column 'year': missing year"),
        # a quoted line break: one row, two lines
        (
            '2023,electricity,10,kWh,"two\nlines"\n2023,nonsense,1,kWh\n',
            r"data row 2, column 'category'",
        ),
    ],
)
def test_rows_whose_line_is_uncertain_are_named_by_data_row(tmp_path, rows, match):
    path = write(tmp_path, "a.csv", "year,category,amount,unit,note\n" + rows)
    with pytest.raises(hiili.InvalidInputError, match=match):
        footprint(path, USEEIO, iterations=0)


@pytest.mark.parametrize(
    ("option", "value"), [("iterations", 2.5), ("iterations", -1), ("seed", 2.5), ("seed", -1)]
)
def test_counts_and_seeds_must_be_whole_numbers_in_range(tmp_path, option, value):
    path = write(tmp_path, "a.csv", HEADER + "2023,electricity,10,kWh\n")
    with pytest.raises(hiili.InvalidInputError, match=option):
        footprint(path, USEEIO, **{"iterations": 0, option: value})


def test_missing_column(tmp_path):
    path = write(tmp_path, "a.csv", "year,category,amount\n2023,electricity,1\n")
    with pytest.raises(hiili.InvalidInputError, match=r"missing column\(s\) \['unit'\]"):
        footprint(path, USEEIO, iterations=0)


def test_mapping_to_a_sector_the_model_lacks(tmp_path):
    mapping = write(
        tmp_path,
        "map.csv",
        "category,unit,group,scope,sector,usd_per_unit,price_year\n"
        "robots,USD,Purchases,3,999999,1,\n",
    )
    data = write(tmp_path, "a.csv", HEADER + "2023,robots,100,USD\n")
    with pytest.raises(hiili.InvalidInputError, match=r"map.csv, line 2, column 'sector'.*999999"):
        footprint(data, USEEIO, mapping=mapping, iterations=0)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("x,kWh,Energy,4,221100,0.1,2012", r"line 2, column 'scope'"),
        ("x,kWh,Energy,2,221100,,2012", r"line 2, column 'usd_per_unit'"),
        ("x,kWh,Energy,2,221100,0.1,", r"line 2, column 'price_year'"),
        ("x,furlong,Energy,2,221100,0.1,2012", r"line 2, column 'unit'"),
        ("x,kWh,Energy,2,,,", r"line 2: category 'x' has neither a sector"),
    ],
)
def test_mapping_errors(tmp_path, row, match):
    path = write(
        tmp_path, "map.csv", "category,unit,group,scope,sector,usd_per_unit,price_year\n" + row
    )
    with pytest.raises(hiili.InvalidInputError, match=match):
        load_mapping(path)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("m,air_km,fly,30%,", r"line 2, column 'action': unknown action 'fly'"),
        ("m,air_km,reduce,130%,", r"line 2, column 'share': '130%' is outside"),
        ("m,air_km,shift,30%,food_meat", r"line 2, column 'target'.*km.*USD"),
        ("m,air_km,shift,30%,", r"line 2, column 'target': a shift needs a target"),
        ("m,rockets,reduce,30%,", r"line 2, column 'category': unknown category 'rockets'"),
        ("m,water,reduce,30%,", r"line 2: measure 'm' changes 'water', which has no activity"),
    ],
)
def test_measure_errors(tmp_path, row, match):
    data = write(tmp_path, "a.csv", HEADER + "2023,air_km,1000,km\n")
    measures = write(tmp_path, "m.csv", "measure,category,action,share,target\n" + row + "\n")
    with pytest.raises(hiili.InvalidInputError, match=match):
        footprint(data, USEEIO, measures=measures, iterations=0)


def test_other_errors(tmp_path, monkeypatch):
    data = write(tmp_path, "a.csv", HEADER + "2023,air_km,1000,km\n")
    with pytest.raises(hiili.InvalidInputError, match=r"year\(s\) \[2030\] not in the activity"):
        footprint(data, USEEIO, years=[2030], iterations=0)
    monkeypatch.delenv("HIILI_FOOTPRINT_MODEL", raising=False)
    with pytest.raises(hiili.InvalidInputError, match="no model: give --model"):
        footprint(data, None, iterations=0)
    with pytest.raises(hiili.InvalidInputError, match="price year is unknown"):
        footprint(data, hiili.read(USEEIO), iterations=0)
    with pytest.raises(hiili.InvalidInputError, match="unknown indicator 'XYZ'"):
        footprint(data, USEEIO, indicator="XYZ", iterations=0)
    with pytest.raises(hiili.InvalidInputError, match="gsd_a must be a number >= 1"):
        footprint(data, USEEIO, iterations=0, gsd_a=0.5)
    with pytest.raises(hiili.InvalidInputError, match="not found"):
        footprint(str(tmp_path / "nope.csv"), USEEIO, iterations=0)


def test_a_model_object_with_its_year(school):
    r = footprint(ACTIVITY, hiili.read(USEEIO), model_year=2012, iterations=0)
    ref = footprint(ACTIVITY, USEEIO, iterations=0)
    assert rel(r.totals["kgco2e"], ref.totals["kgco2e"]) < 1e-14


# ---- the extended model's entry order (which Monte Carlo stream draws which entry) ----------


def blocks_by_hand(base: hiili.Model, fm, mapping) -> dict[str, sp.csc_array]:
    """A, B, C of the extended model assembled here from dense blocks: each part a column of
    A with 1 on the diagonal and -price in its sector's row, a factor part's factor in B's
    one extra row, characterised by 1 in the indicator's row of C's extra column."""
    n, m, r = base.n, base.m, len(fm.io_part) + len(fm.factor_part)
    A = np.zeros((n + r, n + r))
    A[:n, :n] = base.A.toarray()
    B = np.zeros((m + 1, n + r))
    B[:m, :n] = base.B.toarray()
    C = np.zeros((base.k, m + 1))
    C[:, :m] = base.C.toarray()
    C[fm.indicator, m] = 1.0
    for category, j in fm.io_part.items():
        A[j, j] = 1.0
        A[fm.sectors[category], j] = -fm.prices[category]
    for category, j in fm.factor_part.items():
        A[j, j] = 1.0
        B[m, j] = mapping[category].factor
    return {"A": sp.csc_array(A), "B": sp.csc_array(B), "C": sp.csc_array(C)}


def lognormal_by_hand(M: sp.csc_array, gsd: np.ndarray) -> dict[str, np.ndarray]:
    """docs/footprint.md's uncertainty, one row per CSC slot of M (gsd per slot)."""
    drawn = (gsd > 1.0) & (M.data != 0.0)
    return {
        "uncertainty_type": np.where(drawn, 2, 0).astype(np.uint8),
        "loc": np.where(drawn, np.log(np.abs(M.data)), np.nan),
        "scale": np.where(drawn, np.log(gsd), np.nan),
        "negative": drawn & (M.data < 0),
    }


def test_extended_model_entries_are_the_csc_slots_and_draw_as_built_by_hand(school):
    """Entry e of the extended model is slot e of the block matrices built by hand (the base
    model's slots first, then each part's column), with its uncertainty: a seeded Monte
    Carlo run on a model built here from those matrices gives the footprint model's scores
    bit for bit. Entries in another order would be drawn from other random streams."""
    base, mapping = hiili.read(USEEIO), load_mapping()
    categories = list(dict.fromkeys(school["category"])) + ["electricity_wind"]
    fm = build(base, mapping, categories, indicator=choose_indicator(base), model_year=2012)
    blocks = blocks_by_hand(base, fm, mapping)
    part_gsd = {j: mapping[c].price_gsd for c, j in fm.io_part.items()}
    part_gsd |= {j: mapping[c].factor_gsd for c, j in fm.factor_part.items()}
    expected = hiili.Model(blocks["A"], blocks["B"], blocks["C"])
    for name, base_gsd in (("A", fm.gsd_a), ("B", fm.gsd_b)):
        M = blocks[name]
        rows, cols = M.indices, np.repeat(np.arange(M.shape[1]), np.diff(M.indptr))
        gsd = np.array([part_gsd.get(c, base_gsd) for c in cols])
        if name == "A":
            gsd[rows == cols] = 1.0
        entries = fm.model.entries(name)
        np.testing.assert_array_equal(entries["row"].to_numpy(), rows)
        np.testing.assert_array_equal(entries["col"].to_numpy(), cols)
        np.testing.assert_array_equal(entries["amount"].to_numpy(), M.data)
        table = lognormal_by_hand(M, gsd)
        for column, values in table.items():
            np.testing.assert_array_equal(entries[column].to_numpy(), values)
        expected = hiili.with_uncertainty(expected, name, table)
    np.testing.assert_array_equal(fm.model.entries("C")["amount"], blocks["C"].data)
    demands = [
        {fm.io_part["electricity"]: 30000.0, fm.factor_part["diesel"]: 500.0},
        {fm.factor_part["electricity_wind"]: 1000.0},
    ]
    runs = [
        hiili.MonteCarlo(model, demands, seed=11, sample=("A", "B")).run(12, progress=False)
        for model in (fm.model, expected)
    ]
    assert np.isfinite(runs[0].scores_of(0)).all()
    for d in range(len(demands)):
        np.testing.assert_array_equal(runs[0].scores_of(d), runs[1].scores_of(d))
