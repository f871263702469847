"""An eco-industrial park as a foreground LCA model on a background, with each industrial
symbiosis link as a scenario, compared per company and for the park with Monte Carlo on
common random numbers.

    python examples/symbiosis/park.py                  # background synth n = 2,000
    python examples/symbiosis/park.py --n 20000 --iterations 300

The data are the CSV files beside this script (README.md says what each figure rests on).
Each company's score is the cradle-to-gate footprint of what it delivers out of the park
(park-internal supplies count with the buyer), so the park total is the sum over companies.
"""

from __future__ import annotations

import argparse
import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import hiili
from hiili.linking import apply_scenario, link

HERE = Path(__file__).resolve().parent
PARK = "park"
BASELINE = "baseline"
ALL_LINKS = "all links"

# file -> {column: "text" | "number"}; every file may have more columns (they are kept)
SCHEMAS: dict[str, dict[str, str]] = {
    "companies.csv": {"company": "text", "name": "text", "source": "text"},
    "activities.csv": {
        "id": "text",
        "name": "text",
        "company": "text",
        "unit": "text",
        "delivery": "number",
    },
    "background.csv": {
        "purchase": "text",
        "product": "text",
        "unit": "text",
        "upstream_kg_co2e_per_unit": "number",
        "source": "text",
    },
    "technosphere.csv": {
        "activity": "text",
        "input": "text",
        "amount": "number",
        "sigma": "number",
        "source": "text",
    },
    "emissions.csv": {
        "activity": "text",
        "flow": "text",
        "amount": "number",
        "sigma": "number",
        "source": "text",
    },
    "links.csv": {
        "link": "text",
        "name": "text",
        "receiver": "text",
        "byproduct": "text",
        "byproduct_amount": "number",
        "replaces": "text",
        "replaced_amount": "number",
        "sigma": "number",
        "source": "text",
    },
}


# ---- reading the data files ------------------------------------------------------------------
def _fail(path: Path, line: int, column: str, message: str) -> hiili.FormatError:
    return hiili.FormatError(f"{path}: line {line}, column {column!r}: {message}")


def read_table(path: Path, schema: dict[str, str]) -> pd.DataFrame:
    """A CSV file as a DataFrame with the schema's columns checked and numbers parsed.

    A "line" column holds each row's line number in the file (the header is line 1).
    Raises hiili.FormatError naming the file, line and column of the first problem.
    """
    if not path.is_file():
        raise hiili.FormatError(f"{path}: file not found")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in schema if c not in (reader.fieldnames or [])]
        if missing:
            raise hiili.FormatError(f"{path}: line 1: missing columns {missing}")
        rows = []
        for record in reader:
            rows.append(_parse_row(path, reader.line_num, record, schema))
    if not rows:
        raise hiili.FormatError(f"{path}: no data rows")
    return pd.DataFrame(rows)


def _parse_row(path: Path, line: int, record: dict[str, Any], schema: dict[str, str]) -> dict:
    if None in record:
        raise _fail(path, line, "(extra)", "more fields than the header has")
    row: dict[str, Any] = {"line": line}
    for column, value in record.items():
        value = "" if value is None else value.strip()
        kind = schema.get(column)
        if kind is not None and value == "" and column != "source":
            raise _fail(path, line, column, "empty")
        row[column] = _number(path, line, column, value) if kind == "number" else value
    return row


def _number(path: Path, line: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _fail(path, line, column, f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise _fail(path, line, column, f"{text!r} must be a finite number >= 0")
    return value


@dataclass
class ParkData:
    """The park's data files, checked against each other."""

    folder: Path
    companies: pd.DataFrame
    activities: pd.DataFrame
    background: pd.DataFrame
    technosphere: pd.DataFrame
    emissions: pd.DataFrame
    links: pd.DataFrame


def load(folder: Path | str = HERE) -> ParkData:
    """Reads and cross-checks the six CSV files of a park folder (hiili.FormatError)."""
    folder = Path(folder)
    tables = {name: read_table(folder / name, schema) for name, schema in SCHEMAS.items()}
    data = ParkData(folder, *(tables[name] for name in SCHEMAS))
    _check_references(data)
    return data


def _check_unique(data: ParkData, file: str, column: str) -> None:
    table = getattr(data, file.removesuffix(".csv"))
    seen: set[str] = set()
    for line, value in zip(table["line"], table[column], strict=True):
        if value in seen:
            raise _fail(data.folder / file, line, column, f"duplicate {value!r}")
        seen.add(value)


def _check_in(data: ParkData, file: str, column: str, allowed: set[str], what: str) -> None:
    table = getattr(data, file.removesuffix(".csv"))
    for line, value in zip(table["line"], table[column], strict=True):
        if value not in allowed:
            raise _fail(data.folder / file, line, column, f"unknown {what} {value!r}")


def _check_references(data: ParkData) -> None:
    _check_unique(data, "companies.csv", "company")
    _check_unique(data, "activities.csv", "id")
    _check_unique(data, "background.csv", "purchase")
    activities = set(data.activities["id"])
    purchases = set(data.background["purchase"])
    clash = activities & purchases
    if clash:
        raise hiili.FormatError(
            f"{data.folder / 'background.csv'}: purchases {sorted(clash)} are also activity ids"
        )
    _check_in(data, "activities.csv", "company", set(data.companies["company"]), "company")
    _check_in(data, "technosphere.csv", "activity", activities, "activity")
    _check_in(data, "technosphere.csv", "input", activities | purchases, "activity or purchase")
    _check_in(data, "emissions.csv", "activity", activities, "activity")
    for column in ("receiver", "byproduct", "replaces"):
        _check_in(data, "links.csv", column, activities | purchases, "activity or purchase")
    _check_replacements(data)


def _check_replacements(data: ParkData) -> None:
    """A link cannot replace more of an input than the receiver uses, alone or all together."""
    used = {
        (a, i): x
        for a, i, x in data.technosphere[["activity", "input", "amount"]].itertuples(index=False)
    }
    total: dict[tuple[str, str], float] = {}
    for row in data.links.itertuples(index=False):
        key = (row.receiver, row.replaces)
        total[key] = total.get(key, 0.0) + row.replaced_amount
        if key not in used:
            raise _fail(
                data.folder / "links.csv",
                row.line,
                "replaces",
                f"{row.receiver!r} has no input {row.replaces!r} in technosphere.csv",
            )
        if total[key] > used[key] * (1 + 1e-12):
            raise _fail(
                data.folder / "links.csv",
                row.line,
                "replaced_amount",
                f"links replace {total[key]:g} of {row.replaces!r} in {row.receiver!r}, "
                f"which uses only {used[key]:g}",
            )


# ---- building the model ------------------------------------------------------------------------
def choose_background(background: hiili.Model, product: str) -> int:
    """The background activity that stands in for a purchase of `product`: the first
    "market for <product> N" activity, else the first "production of <product> N" one."""
    names = background.activities["name"]
    for prefix in ("market for", "production of"):
        found = np.flatnonzero(names.str.fullmatch(rf"{prefix} {product} \d+").to_numpy())
        if found.size:
            return int(found[0])
    raise hiili.InvalidInputError(f"the background has no activity making {product!r}")


def climate_category(model: hiili.Model) -> int:
    """The first category whose name mentions climate (else 0)."""
    names = model.categories.get("name", pd.Series(dtype=str)).str.lower()
    found = np.flatnonzero(names.str.contains("climate").to_numpy())
    return int(found[0]) if found.size else 0


def background_choices(background: hiili.Model, data: ParkData, calibrate: bool) -> pd.DataFrame:
    """One row per purchase: the chosen background activity and how many of its units one
    foreground unit buys. calibrate=True scales that amount so that one foreground unit's
    background climate score equals the documented upstream factor (background.csv);
    False buys one background unit per foreground unit."""
    rows = []
    q = climate_category(background)
    lca = hiili.Lca(background)
    index = [choose_background(background, p) for p in data.background["product"]]
    unit_scores = lca.solve_many(_unit_demands(background.n, index)).scores[q]
    for row, j, y in zip(data.background.itertuples(index=False), index, unit_scores, strict=True):
        if calibrate and not y > 0:
            raise hiili.InvalidInputError(
                f"background activity {j} for {row.purchase!r} has climate score {y}: "
                "cannot calibrate"
            )
        factor = row.upstream_kg_co2e_per_unit / y if calibrate else 1.0
        rows.append(
            {
                "purchase": row.purchase,
                "activity": j,
                "label": background.activities["id"].iloc[j],
                "name": background.activities["name"].iloc[j],
                "score_per_background_unit": y,
                "background_units_per_unit": factor,
            }
        )
    return pd.DataFrame(rows)


def _unit_demands(n: int, index: list[int]) -> np.ndarray:
    F = np.zeros((n, len(index)))
    F[index, np.arange(len(index))] = 1.0
    return F


@dataclass
class Park:
    """The linked model and everything needed to compare the links."""

    data: ParkData
    model: hiili.Model
    choices: pd.DataFrame
    demands: dict[str, dict[int, float]]  # company (and "park") -> {activity index: amount}
    scenarios: dict[str, hiili.Scenario]  # one per link, and "all links"
    sigmas: dict[str, dict[tuple[str, int, int], float]] = field(default_factory=dict)

    @property
    def companies(self) -> list[str]:
        return [c for c in self.demands if c != PARK]


def build(background: hiili.Model, data: ParkData | None = None, calibrate: bool = True) -> Park:
    """The park on `background`: foreground appended with hiili.linking.link, each link a
    hiili.Scenario of A entries (absolute values), demands per company."""
    data = load() if data is None else data
    choices = background_choices(background, data, calibrate)
    foreground = data.activities[["id", "name", "company", "unit"]].copy()
    tech = _technosphere_rows(data, choices)
    bio = _emission_rows(data)
    model = link(background, foreground, tech, bio)
    park = Park(data, model, choices, _demands(model, data), {})
    _add_scenarios(park, tech)
    return park


def _lognormal(amount: float, sigma: float, negative: bool) -> dict[str, Any]:
    if sigma == 0 or amount == 0:
        return {"uncertainty_type": 0, "loc": math.nan, "scale": math.nan, "negative": False}
    return {
        "uncertainty_type": 2,
        "loc": math.log(abs(amount)),
        "scale": sigma,
        "negative": negative,
    }


def _purchases(choices: pd.DataFrame) -> dict[str, tuple[str, float]]:
    """purchase -> (background activity label, background units per foreground unit)."""
    pairs = zip(choices["label"], choices["background_units_per_unit"], strict=True)
    return dict(zip(choices["purchase"], pairs, strict=True))


def _technosphere_rows(data: ParkData, choices: pd.DataFrame) -> pd.DataFrame:
    """A entries: outputs 1 on the diagonal, inputs negative (background purchases scaled),
    and explicit zeros where a link will put its by-product."""
    purchase = _purchases(choices)
    rows = [
        {"row": a, "col": a, "amount": 1.0, **_lognormal(1.0, 0, False)}
        for a in data.activities["id"]
    ]
    for r in data.technosphere.itertuples(index=False):
        label, factor = purchase.get(r.input, (r.input, 1.0))
        amount = -r.amount * factor
        rows.append(
            {"row": label, "col": r.activity, "amount": amount, **_lognormal(amount, r.sigma, True)}
        )
    for r in data.links.itertuples(index=False):
        label, _ = purchase.get(r.byproduct, (r.byproduct, 1.0))
        rows.append({"row": label, "col": r.receiver, "amount": 0.0, **_lognormal(0.0, 0, False)})
    return pd.DataFrame(rows)


def _emission_rows(data: ParkData) -> pd.DataFrame:
    rows = [
        {
            "row": r.flow,
            "col": r.activity,
            "amount": r.amount,
            **_lognormal(r.amount, r.sigma, False),
        }
        for r in data.emissions.itertuples(index=False)
    ]
    return pd.DataFrame(rows)


def _demands(model: hiili.Model, data: ParkData) -> dict[str, dict[int, float]]:
    demands: dict[str, dict[int, float]] = {}
    for r in data.activities.itertuples(index=False):
        if r.delivery > 0:
            demands.setdefault(r.company, {})[model.activity_index(r.id)] = r.delivery
    demands[PARK] = {j: x for d in demands.values() for j, x in d.items()}
    return demands


def _add_scenarios(park: Park, tech: pd.DataFrame) -> None:
    """One scenario per link id and one with every link: the receiver's by-product input is
    set and its replaced input reduced (amounts of the same entry add up across links)."""
    model, links = park.model, park.data.links
    purchase = _purchases(park.choices)

    def index(name: str) -> int:
        return model.activity_index(purchase.get(name, (name, 1.0))[0])

    def factor(name: str) -> float:
        return purchase.get(name, (name, 1.0))[1]

    base = {
        (index(r), index(c)): a
        for r, c, a in tech[["row", "col", "amount"]].itertuples(index=False)
    }
    groups = {name: links[links["link"] == name] for name in dict.fromkeys(links["link"])}
    groups[ALL_LINKS] = links
    for name, rows in groups.items():
        values: dict[tuple[int, int], float] = {}
        sigmas: dict[tuple[str, int, int], float] = {}
        for r in rows.itertuples(index=False):
            by = (index(r.byproduct), index(r.receiver))
            values[by] = values.get(by, 0.0) - r.byproduct_amount * factor(r.byproduct)
            sigmas[("A", *by)] = r.sigma
            old = (index(r.replaces), index(r.receiver))
            values[old] = values.get(old, base[old]) + r.replaced_amount * factor(r.replaces)
        park.scenarios[name] = hiili.Scenario(
            name, [("A", i, j, v) for (i, j), v in values.items()]
        )
        park.sigmas[name] = sigmas


# ---- comparing ---------------------------------------------------------------------------------
def deterministic(park: Park, category: int | None = None) -> pd.DataFrame:
    """Scores (one category) per company and the park: rows scenarios, columns companies,
    from one factorisation and a Woodbury what-if per scenario (lca.what_if)."""
    q = climate_category(park.model) if category is None else category
    lca = hiili.Lca(park.model)
    columns = {}
    for company, demand in park.demands.items():
        frame = lca.what_if(demand, list(park.scenarios.values()))
        columns[company] = frame.iloc[q].to_numpy()
    names = [BASELINE, *park.scenarios]
    return pd.DataFrame(columns, index=pd.Index(names, name="scenario"))


def scenario_models(park: Park) -> dict[str, hiili.Model]:
    """The baseline model and one model per scenario, all on the same entry pattern."""
    models = {BASELINE: park.model}
    for name, scenario in park.scenarios.items():
        models[name] = apply_scenario(park.model, scenario, park.sigmas[name])
    return models


def monte_carlo(
    park: Park,
    iterations: int = 200,
    seed: int = 0,
    threads: int | None = None,
    category: int | None = None,
) -> dict[str, np.ndarray]:
    """Monte Carlo scores of every scenario: {scenario: iterations x (companies + park)}.

    Every scenario runs with the same seed on a model with the same entry pattern, so each
    entry that a scenario leaves alone gets the same draw in iteration i of every run: common
    random numbers across scenarios (and, within a run, across companies).
    """
    q = climate_category(park.model) if category is None else category
    labels = list(park.demands)
    out = {}
    for name, model in scenario_models(park).items():
        mc = hiili.MonteCarlo(
            model, list(park.demands.values()), seed=seed, threads=threads, labels=labels
        )
        result = mc.run(iterations, progress=False)
        out[name] = np.column_stack([result.scores_of(c)[:, q] for c in labels])
    return out


def compare(park: Park, samples: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per scenario and company (and park): mean, 2.5 % and 97.5 % quantiles, the mean change
    against the baseline, its 95 % interval and P(scenario < baseline), from paired draws."""
    labels = list(park.demands)
    base = samples[BASELINE]
    rows = []
    for name, sample in samples.items():
        for c, label in enumerate(labels):
            diff = sample[:, c] - base[:, c]
            rows.append(
                {
                    "scenario": name,
                    "company": label,
                    "mean": sample[:, c].mean(),
                    "q2.5": np.quantile(sample[:, c], 0.025),
                    "q97.5": np.quantile(sample[:, c], 0.975),
                    "change": diff.mean(),
                    "change q2.5": np.quantile(diff, 0.025),
                    "change q97.5": np.quantile(diff, 0.975),
                    "P(lower)": float(np.mean(diff < 0)) if name != BASELINE else math.nan,
                }
            )
    return pd.DataFrame(rows).set_index(["scenario", "company"])


def main() -> None:
    """Prints the deterministic and Monte Carlo comparison tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="background size (hiili.synth)")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    park = build(hiili.synth(args.n, seed=1, uncertainty=True))
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", None)
    print("Climate score per company, kt CO2-eq a year (deterministic):")
    print((deterministic(park) / 1e6).round(1))
    table = compare(park, monte_carlo(park, args.iterations, args.seed))
    print(f"\nMonte Carlo, {args.iterations} iterations on common random numbers (kt CO2-eq):")
    scaled = table.copy()
    kt = [c for c in scaled.columns if c != "P(lower)"]
    scaled[kt] = scaled[kt] / 1e6
    print(scaled.xs(PARK, level="company").round(2))


if __name__ == "__main__":
    main()
