"""The footprint model: an input-output model extended by one foreground activity per part
of each mapped category, with explicit uncertainty.

For category c the "IO part" is an activity that buys ``usd_per_unit`` (in the model's
year's USD) of c's sector per unit of c; the "factor part" is an activity that emits
``factor`` kg CO2e per unit of c as one extra flow, characterised by 1 in the chosen indicator.
One unit of demand for both parts is one unit of the category, so a year's footprint is the
score of the demand {part: amount}. Prices and factors are matrix entries, so the Monte Carlo
engine draws them too.

Uncertainty (USEEIO's files carry none; see docs/footprint.md): lognormal with geometric
standard deviation ``gsd_a`` on every off-diagonal entry of the model's technosphere,
``gsd_b`` on every entry of its biosphere, and the mapping's price_gsd / factor_gsd on the
foreground entries. The diagonal and the characterisation stay fixed.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import Model, with_uncertainty
from .. import read as read_model
from ..linking import link
from .._core import InvalidInputError
from .mapping import Entry, Mapping

FACTOR_FLOW = "CO2e counted directly (footprint factor)"
DEFAULT_GSD_A = 1.1
DEFAULT_GSD_B = 1.2


@dataclass
class FootprintModel:
    """The extended model and where each category's parts sit in it."""

    model: Model
    base_n: int
    indicator: int
    indicator_name: str
    indicator_unit: str
    model_year: int
    io_part: dict[str, int] = field(default_factory=dict)  # category -> activity index
    factor_part: dict[str, int] = field(default_factory=dict)
    sectors: dict[str, int] = field(default_factory=dict)  # category -> base sector index
    prices: dict[str, float] = field(default_factory=dict)  # model-year USD per unit
    source: str = ""
    gsd_a: float = DEFAULT_GSD_A
    gsd_b: float = DEFAULT_GSD_B


def load_base(model: Any) -> tuple[Model, str]:
    """A hiili.Model and a description of where it came from (a path is read)."""
    if isinstance(model, Model):
        return model, "a hiili.Model"
    if model is None or model == "":
        model = os.environ.get("HIILI_FOOTPRINT_MODEL", "")
        if not model:
            raise InvalidInputError(
                "no model: give --model (a USEEIO model folder, e.g. USEEIO v2.0 GHG) or set "
                "HIILI_FOOTPRINT_MODEL"
            )
    return read_model(model), os.fspath(model)


def model_year_of(model: Any) -> int | None:
    """The year of a USEEIO model folder, from the years of its demands.json (None when there
    is no such file or the years differ)."""
    if isinstance(model, Model) or model is None:
        return None
    path = os.path.join(os.fspath(model), "demands.json")
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            years = {int(d["year"]) for d in json.load(f)}
    except (ValueError, KeyError, TypeError):
        return None
    return years.pop() if len(years) == 1 else None


def choose_indicator(model: Model, indicator: Any = None) -> int:
    """The category index: given by index, code, id or name; default GHG, else GCC."""
    table = model.categories
    codes = [str(c).upper() for c in table["code"]] if "code" in table.columns else []
    if indicator is None:
        for code in ("GHG", "GCC"):
            if code in codes:
                return codes.index(code)
        raise InvalidInputError(
            "the model has no GHG or GCC indicator: choose one with --indicator "
            f"(categories: {_labels(table)})"
        )
    if isinstance(indicator, str) and indicator.upper() in codes:
        return codes.index(indicator.upper())
    if isinstance(indicator, str) and indicator.isdigit():
        indicator = int(indicator)
    try:
        return model.category_index(indicator)
    except InvalidInputError:
        raise InvalidInputError(
            f"unknown indicator {indicator!r}; the model has: {_labels(table)}"
        ) from None


def _labels(table: pd.DataFrame) -> str:
    column = "code" if "code" in table.columns else table.columns[0]
    return ", ".join(str(x) for x in table[column])


def find_sector(model: Model, code: str, where: str) -> int:
    """The index of a sector by its code (case-insensitive), else by any label."""
    table = model.activities
    if "code" in table.columns:
        codes = [str(c).upper() for c in table["code"]]
        if code.upper() in codes:
            return codes.index(code.upper())
    try:
        return model.activity_index(code)
    except InvalidInputError:
        raise InvalidInputError(
            f"{where}, column 'sector': sector {code!r} is not in the model "
            f"({model.n} sectors; codes like {', '.join(map(str, table.iloc[:3, 0]))}, ...)"
        ) from None


def build(
    base: Model,
    mapping: Mapping,
    categories: list[str],
    *,
    indicator: int,
    model_year: int,
    gsd_a: float = DEFAULT_GSD_A,
    gsd_b: float = DEFAULT_GSD_B,
    source: str = "",
) -> FootprintModel:
    """The extended model with foreground parts for ``categories`` (with uncertainty)."""
    for name, gsd in (("gsd_a", gsd_a), ("gsd_b", gsd_b)):
        if not (math.isfinite(gsd) and gsd >= 1.0):
            raise InvalidInputError(f"{name} must be a number >= 1, got {gsd}")
    cats = base.categories
    fm = FootprintModel(
        model=base,
        base_n=base.n,
        indicator=indicator,
        indicator_name=str(cats["name"].iloc[indicator]) if "name" in cats else str(indicator),
        indicator_unit=str(cats["unit"].iloc[indicator]) if "unit" in cats else "",
        model_year=model_year,
        source=source,
        gsd_a=gsd_a,
        gsd_b=gsd_b,
    )
    columns = _foreground_columns(base, mapping, categories, fm)
    fm.model = _extended_model(base, mapping, columns, fm)
    fm.model = _attach_uncertainty(fm.model, mapping, columns, fm.base_n, gsd_a, gsd_b)
    return fm


def _foreground_columns(
    base: Model, mapping: Mapping, categories: list[str], fm: FootprintModel
) -> list[tuple[str, str]]:
    """[(category, "io" | "factor")] in column order; fills fm's part indices and prices."""
    columns: list[tuple[str, str]] = []
    for category in categories:
        entry = mapping[category]
        if entry.sector is not None:
            fm.sectors[category] = find_sector(base, entry.sector, entry.source)
            fm.prices[category] = _price(entry, mapping, fm.model_year)
            fm.io_part[category] = base.n + len(columns)
            columns.append((category, "io"))
        if entry.factor is not None:
            fm.factor_part[category] = base.n + len(columns)
            columns.append((category, "factor"))
    return columns


def _price(entry: Entry, mapping: Mapping, model_year: int) -> float:
    """USD of the model's year per unit: a USD category buys 1 USD (the demand is deflated);
    a physical price is moved from its price year to the model's year with CPI-U."""
    if entry.unit == "USD" or entry.price_year is None:
        return entry.usd_per_unit
    return entry.usd_per_unit * mapping.deflator(entry.price_year, model_year, entry.source)


def _extended_model(
    base: Model, mapping: Mapping, columns: list[tuple[str, str]], fm: FootprintModel
) -> Model:
    """The base model with the parts linked to it (hiili.linking.link): per part a diagonal
    1, an IO part's price bought from its sector, a factor part's factor on FACTOR_FLOW (one
    foreground flow, characterised by 1 in the indicator)."""
    ids = [f"footprint/{c}/{part}" for c, part in columns]
    tech: list[tuple[Any, str, float]] = []
    bio: list[tuple[str, str, float]] = []
    for key, (category, part) in zip(ids, columns, strict=True):
        tech.append((key, key, 1.0))
        if part == "io":
            tech.append((fm.sectors[category], key, -fm.prices[category]))
        else:
            bio.append((FACTOR_FLOW, key, float(mapping[category].factor)))
    return link(
        base,
        _part_labels(columns, ids),
        _triplets(tech),
        _triplets(bio),
        flows=pd.DataFrame({"name": [FACTOR_FLOW], "id": [FACTOR_FLOW]}),
        characterization=_triplets([(fm.indicator, FACTOR_FLOW, 1.0)]),
    )


def _triplets(rows: list[tuple[Any, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["row", "col", "amount"])


def _part_labels(columns: list[tuple[str, str]], ids: list[str]) -> pd.DataFrame:
    """The parts' labels (id, name, code)."""
    return pd.DataFrame(
        {
            "id": ids,
            "name": [f"{c} ({part} part)" for c, part in columns],
            "code": [f"FP:{c}:{part}" for c, part in columns],
        }
    )


def _attach_uncertainty(
    model: Model,
    mapping: Mapping,
    columns: list[tuple[str, str]],
    n: int,
    gsd_a: float,
    gsd_b: float,
) -> Model:
    fore_gsd = [
        mapping[c].price_gsd if part == "io" else mapping[c].factor_gsd for c, part in columns
    ]
    fore = np.asarray(fore_gsd, dtype=float)

    def gsd_of(col: np.ndarray, base_gsd: float) -> np.ndarray:
        return np.where(col < n, base_gsd, fore[np.clip(col - n, 0, len(fore) - 1)])

    a = model.entries("A")
    col = a["col"].to_numpy()
    gsd = np.where(a["row"].to_numpy() == col, 1.0, gsd_of(col, gsd_a))
    model = with_uncertainty(model, "A", _lognormal(a["amount"].to_numpy(), gsd))
    b = model.entries("B")
    gsd = gsd_of(b["col"].to_numpy(), gsd_b)
    return with_uncertainty(model, "B", _lognormal(b["amount"].to_numpy(), gsd))


def _lognormal(amount: np.ndarray, gsd: np.ndarray) -> dict[str, np.ndarray]:
    """stats_arrays lognormal (type 2) with median |amount| and sigma ln(gsd); type 0 (fixed)
    where gsd is 1 or the amount is 0."""
    uncertain = (gsd > 1.0) & (amount != 0.0)
    with np.errstate(divide="ignore"):
        loc = np.where(uncertain, np.log(np.abs(amount)), np.nan)
    return {
        "uncertainty_type": np.where(uncertain, 2, 0).astype(np.uint8),
        "loc": loc,
        "scale": np.where(uncertain, np.log(gsd), np.nan),
        "negative": uncertain & (amount < 0),
    }
