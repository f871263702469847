"""The footprint: by category, by scope-like group and by year, with Monte Carlo uncertainty,
the year-on-year comparison and the reduction measures ranked by effect.

Every number comes from demands on one footprint model (foreground.py): one demand per year,
category and part (IO or factor), and one per measure. The Monte Carlo engine evaluates all
of them on the same draws (common random numbers), so sums of parts are iteration by
iteration sums, and differences between years and between a measure and its base year are
paired differences.
"""

from __future__ import annotations

import itertools
import json
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import Lca, MonteCarlo
from .._convert import UINT64, integer
from .._core import InvalidInputError
from ..diagnostics import CharacterisationWarning, HiiliWarning, climate_notes
from . import measures as measures_mod
from .activity import read_activity
from .foreground import (
    DEFAULT_GSD_A,
    DEFAULT_GSD_B,
    FootprintModel,
    build,
    choose_indicator,
    load_base,
    model_year_of,
)
from .mapping import Mapping, load_mapping
from .measures import Measure, read_measures

LOW, HIGH = 0.025, 0.975
ALL_MEASURES = "all measures together"
SCOPE_NAMES = {
    1: "Scope 1: direct combustion",
    2: "Scope 2: purchased electricity and heat",
    3: "Scope 3: supply chains, travel, purchases, waste",
}

Demand = dict[int, float]


@dataclass
class FootprintResult:
    """The tables of a footprint (kg CO2e in the model's indicator unless said).

    by_category: per year and category: group, scope, amount and unit, model-year USD,
        kgco2e (deterministic), share of the year's total, and MC mean / low / high.
    by_scope, by_group: per year and group the same columns.
    totals: per year: kgco2e, mean, std, low, high.
    year_on_year: consecutive years: change, change_pct, MC low / high of the paired
        change, p_decrease. yoy_by_category: per category, the deterministic change.
    measures: per measure: reduction (base-year total minus total with the measure),
        reduction_pct, MC mean / low / high, p_reduction = P(reduction > 0); ranked.
    samples: label -> MC scores (iterations,) of every demand; empty without MC.
    """

    by_category: pd.DataFrame
    by_scope: pd.DataFrame
    by_group: pd.DataFrame
    totals: pd.DataFrame
    year_on_year: pd.DataFrame
    yoy_by_category: pd.DataFrame
    measures: pd.DataFrame
    meta: dict[str, Any]
    samples: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: meta and each table as a list of records."""
        tables = {
            "totals": self.totals,
            "by_scope": self.by_scope,
            "by_group": self.by_group,
            "by_category": self.by_category,
            "year_on_year": self.year_on_year,
            "yoy_by_category": self.yoy_by_category,
            "measures": self.measures,
        }
        out: dict[str, Any] = {"meta": self.meta}
        for name, frame in tables.items():
            out[name] = json.loads(frame.reset_index().to_json(orient="records"))
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_csv(self) -> str:
        """The footprint by category (all years) as CSV."""
        return self.by_category.reset_index().to_csv(index=False, float_format="%.10g")


def footprint(
    activity: Any,
    model: Any = None,
    *,
    mapping: Mapping | str | os.PathLike[str] | None = None,
    measures: Sequence[Measure] | str | os.PathLike[str] | None = None,
    years: Iterable[int] | None = None,
    iterations: int = 1000,
    seed: int = 0,
    threads: int | None = None,
    indicator: Any = None,
    model_year: int | None = None,
    gsd_a: float = DEFAULT_GSD_A,
    gsd_b: float = DEFAULT_GSD_B,
    check_indicator: bool = True,
) -> FootprintResult:
    """The footprint of activity data on an input-output model.

    activity: CSV path(s) or a DataFrame (activity.py); model: a USEEIO folder or a
    hiili.Model (default: $HIILI_FOOTPRINT_MODEL); mapping: a Mapping or a CSV path that
    overrides the shipped one; measures: a list of Measure or a CSV path; years: the years
    to report (default all); iterations: Monte Carlo iterations (0: none); model_year: the
    year of the model's USD (default: from the USEEIO folder's demands.json).
    File names may be str or os.PathLike (pathlib.Path).

    The indicator must count the main greenhouse gases as a climate indicator should (CO2 about
    1, methane and nitrous oxide their GWPs: hiili.climate_notes); USEEIO v1.2's published
    "Global Climate Change" row does not, and a footprint on it would be off by orders of
    magnitude. Such an indicator raises hiili.InvalidInputError naming the reason;
    check_indicator=False computes anyway, with a hiili.CharacterisationWarning.
    Warnings (hiili.IllConditionedWarning, NoUncertaintyWarning, CharacterisationWarning) are
    also kept in ``result.meta["warnings"]`` for the report.
    Raises hiili.InvalidInputError for any bad input, naming where it is.
    """
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    table = read_activity(activity, mapping)
    if isinstance(measures, str | os.PathLike):
        measures = read_measures(measures, mapping)
    measures = list(measures or [])
    table = _select_years(table, years)
    # Whole numbers only: 2.5 iterations or seed 2.5 is a mistake to name, not to round.
    iterations = integer(iterations, "iterations", (0, 2**40))
    seed = integer(seed, "seed", (0, 2**64 - 1), bits=UINT64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", HiiliWarning)
        fm = _footprint_model(
            model, mapping, table, measures, indicator, model_year, gsd_a, gsd_b, check_indicator
        )
        result = _compute(table, fm, mapping, measures, iterations, seed, threads)
    for w in caught:  # kept for the report, and passed on to the caller
        if issubclass(w.category, HiiliWarning):
            result.meta["warnings"].append(str(w.message))
        warnings.warn(w.message, w.category, stacklevel=2)
    return result


def _check_indicator(base: Any, indicator: int, source: str, check: bool) -> None:
    """Refuses (or, unchecked, warns about) an indicator that does not count CO2, CH4, N2O."""
    notes = [text for q, text in climate_notes(base) if q == indicator]
    if not notes:
        return
    if check:
        raise InvalidInputError(
            f"model {source}: its indicator cannot give a carbon footprint: {notes[0]}. "
            "(USEEIO v1.2's published climate row is such a case: use "
            "USEEIO v2.0, choose another indicator, or pass --no-indicator-check / "
            "check_indicator=False to compute anyway.)"
        )
    for text in notes:
        warnings.warn(text, CharacterisationWarning, stacklevel=3)


def _select_years(table: pd.DataFrame, years: Iterable[int] | None) -> pd.DataFrame:
    if years is None:
        return table
    wanted = sorted({int(y) for y in years})
    have = sorted(set(table["year"]))
    missing = [y for y in wanted if y not in have]
    if missing:
        raise InvalidInputError(
            f"year(s) {missing} not in the activity data (it has {', '.join(map(str, have))})"
        )
    return table[table["year"].isin(wanted)].reset_index(drop=True)


def _footprint_model(
    model: Any,
    mapping: Mapping,
    table: pd.DataFrame,
    measures: list[Measure],
    indicator: Any,
    model_year: int | None,
    gsd_a: float,
    gsd_b: float,
    check_indicator: bool = True,
) -> FootprintModel:
    base, source = load_base(model)
    chosen = choose_indicator(base, indicator)
    _check_indicator(base, chosen, source, check_indicator)
    year = model_year if model_year is not None else model_year_of(model or source)
    if year is None:
        raise InvalidInputError(
            "the model's price year is unknown (no single year in its demands.json): give "
            "--model-year (USEEIO v2.0: 2012, v1.2: 2007)"
        )
    used = list(dict.fromkeys(table["category"]))
    for m in measures:
        used += [c.target for c in m.changes if c.target and c.target not in used]
    return build(
        base,
        mapping,
        used,
        indicator=chosen,
        model_year=int(year),
        gsd_a=gsd_a,
        gsd_b=gsd_b,
        source=source,
    )


# ---- demands ----------------------------------------------------------------------------------


def part_demands(
    rows: pd.DataFrame, fm: FootprintModel, mapping: Mapping
) -> dict[tuple[str, str], Demand]:
    """{(category, "io" | "factor"): demand} for activity rows of one year.

    The IO part's amount is the canonical amount (a USD amount deflated from its row's year
    to the model's year); the factor part's is the canonical amount.
    """
    out: dict[tuple[str, str], Demand] = {}
    for row in rows.to_dict("records"):
        category, amount = row["category"], float(row["canonical_amount"])
        if category in fm.io_part:
            usd = amount * _deflator(row, mapping, fm)
            _add(out, (category, "io"), fm.io_part[category], usd)
        if category in fm.factor_part:
            _add(out, (category, "factor"), fm.factor_part[category], amount)
    return {key: d for key, d in out.items() if any(v != 0.0 for v in d.values())}


def _deflator(row: dict[str, Any], mapping: Mapping, fm: FootprintModel) -> float:
    if mapping[row["category"]].unit != "USD":
        return 1.0
    return mapping.deflator(int(row["year"]), fm.model_year, row.get("where", "activity data"))


def _add(out: dict[tuple[str, str], Demand], key: tuple[str, str], index: int, v: float) -> None:
    demand = out.setdefault(key, {})
    demand[index] = demand.get(index, 0.0) + v


def merge(demands: Iterable[Demand]) -> Demand:
    """The sum of demands."""
    total: Demand = {}
    for d in demands:
        for index, amount in d.items():
            total[index] = total.get(index, 0.0) + amount
    return total


def spend(demand: Demand, fm: FootprintModel) -> float:
    """Model-year USD bought by the IO parts of a demand."""
    by_index = {i: fm.prices[c] for c, i in fm.io_part.items()}
    return sum(amount * by_index.get(i, 0.0) for i, amount in demand.items())


# ---- evaluation -------------------------------------------------------------------------------


def _compute(
    table: pd.DataFrame,
    fm: FootprintModel,
    mapping: Mapping,
    measures: list[Measure],
    iterations: int,
    seed: int,
    threads: int | None,
) -> FootprintResult:
    years = sorted(set(table["year"]))
    parts = {y: part_demands(table[table["year"] == y], fm, mapping) for y in years}
    scenario = _measure_demands(table[table["year"] == years[-1]], fm, mapping, measures)
    labels, demands = _labelled(parts, scenario)
    values = _deterministic(fm, demands)
    samples = _monte_carlo(fm, labels, demands, iterations, seed, threads)
    ev = _Evaluator(dict(zip(labels, values, strict=True)), samples)
    by_category = _by_category(table, parts, fm, mapping, ev)
    totals = _totals(years, parts, ev)
    result = FootprintResult(
        by_category=by_category,
        by_scope=_by_key(parts, mapping, ev, totals, "scope"),
        by_group=_by_key(parts, mapping, ev, totals, "group"),
        totals=totals,
        year_on_year=_year_on_year(years, parts, ev),
        yoy_by_category=_yoy_by_category(by_category, years),
        measures=_measures(measures, scenario, parts[years[-1]], ev, years[-1]),
        meta=_meta(fm, years, iterations, seed, table),
        samples=samples,
    )
    return result


def _measure_demands(
    rows: pd.DataFrame, fm: FootprintModel, mapping: Mapping, measures: list[Measure]
) -> dict[str, Demand]:
    out: dict[str, Demand] = {}
    changed = rows
    for measure in measures:
        modified = measures_mod.apply(rows, measure)
        out[measure.name] = merge(part_demands(modified, fm, mapping).values())
        changed = measures_mod.apply(changed, measure)
    if len(measures) > 1:
        out[ALL_MEASURES] = merge(part_demands(changed, fm, mapping).values())
    return {name: d for name, d in out.items() if d}


def _part_label(year: int, category: str, part: str) -> str:
    return f"{year}|{category}|{part}"


def _labelled(
    parts: dict[int, dict[tuple[str, str], Demand]], scenario: dict[str, Demand]
) -> tuple[list[str], list[Demand]]:
    labels, demands = [], []
    for year, by_part in parts.items():
        for (category, part), demand in by_part.items():
            labels.append(_part_label(year, category, part))
            demands.append(demand)
    for name, demand in scenario.items():
        labels.append(f"measure|{name}")
        demands.append(demand)
    return labels, demands


def _deterministic(fm: FootprintModel, demands: list[Demand]) -> np.ndarray:
    results = Lca(fm.model).solve_many(demands)
    return np.asarray(results.scores[fm.indicator, :], dtype=float)


def _monte_carlo(
    fm: FootprintModel,
    labels: list[str],
    demands: list[Demand],
    iterations: int,
    seed: int,
    threads: int | None,
) -> dict[str, np.ndarray]:
    if iterations == 0:
        return {}
    mc = MonteCarlo(fm.model, demands, seed, threads, labels=labels, sample=("A", "B"))
    result = mc.run(iterations, progress=False)
    return {label: result.scores_of(label)[:, fm.indicator] for label in labels}


class _Evaluator:
    """Deterministic values and MC samples of labelled demands, and of their sums."""

    def __init__(self, values: dict[str, float], samples: dict[str, np.ndarray]) -> None:
        self.values = values
        self.samples = samples

    def value(self, labels: Iterable[str]) -> float:
        return float(sum(self.values[label] for label in labels))

    def sample(self, labels: Iterable[str]) -> np.ndarray | None:
        if not self.samples:
            return None
        labels = list(labels)
        if not labels:
            return np.zeros(len(next(iter(self.samples.values()))))
        return np.sum([self.samples[label] for label in labels], axis=0)


def stats(sample: np.ndarray | None) -> dict[str, float]:
    """mean, std and the 2.5 % / 97.5 % quantiles of a sample (NaN rows skipped)."""
    if sample is None:
        return {"mean": np.nan, "std": np.nan, "low": np.nan, "high": np.nan}
    ok = sample[np.isfinite(sample)]
    if ok.size == 0:
        return {"mean": np.nan, "std": np.nan, "low": np.nan, "high": np.nan}
    return {
        "mean": float(ok.mean()),
        "std": float(ok.std(ddof=1)) if ok.size > 1 else np.nan,
        "low": float(np.quantile(ok, LOW)),
        "high": float(np.quantile(ok, HIGH)),
    }


def _year_labels(year: int, parts: dict[int, dict[tuple[str, str], Demand]]) -> list[str]:
    return [_part_label(year, c, p) for c, p in parts[year]]


def _totals(years: list[int], parts: dict, ev: _Evaluator) -> pd.DataFrame:
    rows = []
    for year in years:
        labels = _year_labels(year, parts)
        rows.append({"year": year, "kgco2e": ev.value(labels), **stats(ev.sample(labels))})
    return pd.DataFrame(rows).set_index("year")


def _by_category(
    table: pd.DataFrame,
    parts: dict[int, dict[tuple[str, str], Demand]],
    fm: FootprintModel,
    mapping: Mapping,
    ev: _Evaluator,
) -> pd.DataFrame:
    rows = []
    for (year, category), group in table.groupby(["year", "category"], sort=True):
        keys = [(c, p) for c, p in parts[year] if c == category]
        labels = [_part_label(year, c, p) for c, p in keys]
        entry = mapping[category]
        rows.append(
            {
                "year": year,
                "category": category,
                "group": entry.group,
                "scope": _scope_text(entry),
                "amount": float(group["canonical_amount"].sum()),
                "unit": entry.unit,
                "model_usd": spend(merge(parts[year][k] for k in keys if k[1] == "io"), fm),
                "kgco2e": ev.value(labels),
                **stats(ev.sample(labels)),
                **_scope_split(year, keys, mapping, ev),
            }
        )
    frame = pd.DataFrame(rows).set_index(["year", "category"])
    totals = frame.groupby(level="year")["kgco2e"].transform("sum")
    frame.insert(frame.columns.get_loc("kgco2e") + 1, "share", frame["kgco2e"] / totals)
    return frame


def _scope_split(
    year: int, keys: list[tuple[str, str]], mapping: Mapping, ev: _Evaluator
) -> dict[str, float]:
    """{"scope1": kg, "scope2": kg, "scope3": kg}: the category's parts by scope."""
    out = {f"scope{s}": 0.0 for s in SCOPE_NAMES}
    for category, part in keys:
        entry = mapping[category]
        scope = entry.scope if part == "io" else entry.factor_scope
        out[f"scope{scope}"] += ev.values[_part_label(year, category, part)]
    return out


def _scope_text(entry: Any) -> str:
    scopes = {entry.scope} if entry.sector else set()
    if entry.factor is not None:
        scopes.add(entry.factor_scope)
    return "+".join(str(s) for s in sorted(scopes))


def _key_of(mapping: Mapping, category: str, part: str, key: str) -> Any:
    entry = mapping[category]
    if key == "group":
        return entry.group
    scope = entry.scope if part == "io" else entry.factor_scope
    return SCOPE_NAMES[scope]


def _by_key(
    parts: dict[int, dict[tuple[str, str], Demand]],
    mapping: Mapping,
    ev: _Evaluator,
    totals: pd.DataFrame,
    key: str,
) -> pd.DataFrame:
    rows = []
    for year, by_part in parts.items():
        groups: dict[Any, list[str]] = {}
        for category, part in by_part:
            name = _key_of(mapping, category, part, key)
            groups.setdefault(name, []).append(_part_label(year, category, part))
        for name in sorted(groups):
            value = ev.value(groups[name])
            rows.append(
                {
                    "year": year,
                    key: name,
                    "kgco2e": value,
                    "share": value / totals.loc[year, "kgco2e"],
                    **stats(ev.sample(groups[name])),
                }
            )
    return pd.DataFrame(rows).set_index(["year", key])


def _year_on_year(years: list[int], parts: dict, ev: _Evaluator) -> pd.DataFrame:
    rows = []
    for before, after in itertools.pairwise(years):
        a, b = _year_labels(before, parts), _year_labels(after, parts)
        va, vb = ev.value(a), ev.value(b)
        sa, sb = ev.sample(a), ev.sample(b)
        diff = None if sa is None else sb - sa
        rows.append(
            {
                "from": before,
                "to": after,
                "kgco2e_from": va,
                "kgco2e_to": vb,
                "change": vb - va,
                "change_pct": 100.0 * (vb - va) / va,
                **{f"change_{k}": v for k, v in stats(diff).items()},
                "p_decrease": np.nan if diff is None else float(np.mean(diff < 0)),
            }
        )
    columns = ["from", "to", "kgco2e_from", "kgco2e_to", "change", "change_pct"]
    return pd.DataFrame(rows, columns=None if rows else columns)


def _yoy_by_category(by_category: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    if len(years) < 2:
        return pd.DataFrame(columns=["category", "from", "to", "kgco2e_from", "kgco2e_to"])
    values = by_category["kgco2e"].unstack("year").fillna(0.0)
    before, after = years[-2], years[-1]
    frame = pd.DataFrame(
        {
            "from": before,
            "to": after,
            "kgco2e_from": values[before],
            "kgco2e_to": values[after],
        }
    )
    frame["change"] = frame["kgco2e_to"] - frame["kgco2e_from"]
    return frame.sort_values("change")


def _measures(
    measures: list[Measure],
    scenario: dict[str, Demand],
    base_parts: dict[tuple[str, str], Demand],
    ev: _Evaluator,
    year: int,
) -> pd.DataFrame:
    base_labels = [_part_label(year, c, p) for c, p in base_parts]
    base_value, base_sample = ev.value(base_labels), ev.sample(base_labels)
    descriptions = {m.name: m.description for m in measures}
    rows = []
    for name in scenario:
        label = f"measure|{name}"
        reduction = base_value - ev.values[label]
        sample = None if base_sample is None else base_sample - ev.samples[label]
        rows.append(
            {
                "measure": name,
                "description": descriptions.get(name, "the measures above applied in order"),
                "year": year,
                "reduction": reduction,
                "reduction_pct": 100.0 * reduction / base_value,
                **{f"reduction_{k}": v for k, v in stats(sample).items()},
                "p_reduction": np.nan if sample is None else float(np.mean(sample > 0)),
            }
        )
    if not rows:
        return pd.DataFrame(columns=["measure", "description", "year", "reduction"])
    frame = pd.DataFrame(rows)
    single = frame[frame["measure"] != ALL_MEASURES].sort_values("reduction", ascending=False)
    frame = pd.concat([single, frame[frame["measure"] == ALL_MEASURES]], ignore_index=True)
    ranks = [*range(1, len(single) + 1), *([None] * (len(frame) - len(single)))]
    frame.insert(0, "rank", pd.array(ranks, dtype="Int64"))
    return frame


def _meta(
    fm: FootprintModel, years: list[int], iterations: int, seed: int, table: pd.DataFrame
) -> dict[str, Any]:
    return {
        "model": fm.source,
        "model_year": fm.model_year,
        "sectors": fm.base_n,
        "indicator": fm.indicator_name,
        "unit": fm.indicator_unit or "kg CO2 eq",
        "years": years,
        "iterations": iterations,
        "seed": seed,
        "rows": len(table),
        "quantiles": [LOW, HIGH],
        "gsd_a": fm.gsd_a,
        "gsd_b": fm.gsd_b,
        "warnings": [],
    }
