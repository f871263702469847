"""The mapping from activity categories to model sectors, prices and direct factors.

A mapping is a CSV table with one row per category (see docs/footprint.md). The shipped one,
``data/mapping_useeio_v2.csv``, maps common categories of an organisation's activity data to
sectors of USEEIO v2.0 (2012 USD, producer prices) and says where every price and factor
comes from. A user's mapping file overrides shipped rows of the same category and adds new
ones.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from .._core import InvalidInputError
from . import units

SHIPPED = "mapping_useeio_v2.csv"
CPI_FILE = "cpi_u.csv"

COLUMNS = (
    "category",
    "unit",
    "group",
    "scope",
    "sector",
    "usd_per_unit",
    "price_year",
    "price_gsd",
    "price_source",
    "factor_kgco2e_per_unit",
    "factor_scope",
    "factor_gsd",
    "factor_source",
    "description",
)
_REQUIRED = ("category", "unit", "group", "scope")


@dataclass(frozen=True)
class Entry:
    """One validated mapping row.

    The IO part (when ``sector`` is given) buys ``usd_per_unit`` USD of ``sector`` per unit
    (for unit USD, 1 USD of the row's year); the factor part adds ``factor`` kg CO2e per
    unit outside the model. Each part has its scope and its geometric standard deviation.
    """

    category: str
    unit: str
    group: str
    scope: int
    sector: str | None
    usd_per_unit: float
    price_year: int | None
    price_gsd: float
    factor: float | None
    factor_scope: int
    factor_gsd: float
    description: str
    source: str  # where the row came from: "file, line N"


class Mapping:
    """Validated mapping rows by category."""

    def __init__(self, entries: dict[str, Entry], cpi: dict[int, float]) -> None:
        self.entries = entries
        self.cpi = cpi

    def __contains__(self, category: str) -> bool:
        return category in self.entries

    def __getitem__(self, category: str) -> Entry:
        return self.entries[category]

    @property
    def categories(self) -> list[str]:
        return list(self.entries)

    def deflator(self, from_year: int, to_year: int, where: str) -> float:
        """CPI-U(to_year) / CPI-U(from_year); InvalidInputError naming ``where`` when a year
        is not in the table."""
        for year in (from_year, to_year):
            if year not in self.cpi:
                raise InvalidInputError(
                    f"{where}: no CPI-U for {year} to convert USD between years "
                    f"(known years: {min(self.cpi)}-{max(self.cpi)})"
                )
        return self.cpi[to_year] / self.cpi[from_year]

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame indexed by category."""
        rows = [e.__dict__ for e in self.entries.values()]
        return pd.DataFrame(rows).set_index("category")


def load_mapping(path: str | os.PathLike[str] | None = None) -> Mapping:
    """The shipped mapping, overridden and extended by the rows of ``path`` when given.

    Raises hiili.InvalidInputError naming the file, line and column of a bad row.
    """
    entries = _read_entries(_data_path(SHIPPED), SHIPPED)
    if path is not None:
        entries.update(_read_entries(path, os.fspath(path)))
    return Mapping(entries, _read_cpi())


def _data_path(name: str) -> str:
    return str(resources.files(__package__).joinpath("data").joinpath(name))


def _read_cpi() -> dict[int, float]:
    table = pd.read_csv(_data_path(CPI_FILE))
    return {int(y): float(v) for y, v in zip(table["year"], table["cpi_u"], strict=True)}


def _read_entries(path: str | os.PathLike[str], name: str) -> dict[str, Entry]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    except FileNotFoundError:
        raise InvalidInputError(f"mapping file {name!r} not found") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"mapping file {name}: not a readable CSV table: {e}") from None
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise InvalidInputError(
            f"mapping file {name}: missing column(s) {missing}; a mapping has the columns "
            f"{list(COLUMNS)}"
        )
    entries: dict[str, Entry] = {}
    for i, row in enumerate(table.to_dict("records")):
        where = f"mapping file {name}, line {i + 2}"
        entry = _entry(row, where)
        if entry.category in entries:
            raise InvalidInputError(
                f"{where}, column 'category': category {entry.category!r} appears twice"
            )
        entries[entry.category] = entry
    return entries


def _entry(row: dict[str, str], where: str) -> Entry:
    def text(column: str) -> str:
        return str(row.get(column, "")).strip()

    category = text("category")
    if not category:
        raise InvalidInputError(f"{where}, column 'category': empty category")
    unit = text("unit")
    if unit not in units.CANONICAL:
        raise InvalidInputError(
            f"{where}, column 'unit': unit {unit!r} of category {category!r} is not one of "
            f"{list(units.CANONICAL)}"
        )
    sector = text("sector") or None
    factor = _number(text("factor_kgco2e_per_unit"), where, "factor_kgco2e_per_unit", None)
    if sector is None and factor is None:
        raise InvalidInputError(
            f"{where}: category {category!r} has neither a sector nor factor_kgco2e_per_unit"
        )
    price = _number(text("usd_per_unit"), where, "usd_per_unit", None)
    if sector is not None and (price is None or price <= 0):
        raise InvalidInputError(
            f"{where}, column 'usd_per_unit': category {category!r} maps to sector {sector!r} "
            "and needs a price > 0"
        )
    if unit == "USD" and sector is not None and price != 1.0:
        raise InvalidInputError(f"{where}, column 'usd_per_unit': a USD category has price 1")
    if factor is not None and factor < 0:
        raise InvalidInputError(f"{where}, column 'factor_kgco2e_per_unit': negative factor")
    price_year = _year(text("price_year"), where) if unit != "USD" and sector else None
    scope = _scope(text("scope"), where, "scope")
    return Entry(
        category=category,
        unit=unit,
        group=text("group") or "Other",
        scope=scope,
        sector=sector,
        usd_per_unit=price if price is not None else 0.0,
        price_year=price_year,
        price_gsd=_gsd(text("price_gsd"), where, "price_gsd"),
        factor=factor,
        factor_scope=(
            _scope(text("factor_scope"), where, "factor_scope") if factor is not None else scope
        ),
        factor_gsd=_gsd(text("factor_gsd"), where, "factor_gsd"),
        description=text("description"),
        source=where,
    )


def _number(text: str, where: str, column: str, default: float | None) -> float | None:
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise InvalidInputError(f"{where}, column {column!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidInputError(f"{where}, column {column!r}: {text!r} is not finite")
    return value


def _year(text: str, where: str) -> int:
    if not text:
        raise InvalidInputError(f"{where}, column 'price_year': missing the year of the price")
    try:
        return int(text)
    except ValueError:
        raise InvalidInputError(f"{where}, column 'price_year': {text!r} is not a year") from None


def _scope(text: str, where: str, column: str) -> int:
    if text not in ("1", "2", "3"):
        raise InvalidInputError(
            f"{where}, column {column!r}: scope must be 1, 2 or 3, got {text!r}"
        )
    return int(text)


def _gsd(text: str, where: str, column: str) -> float:
    value = _number(text, where, column, 1.0)
    assert value is not None
    if value < 1.0:
        raise InvalidInputError(
            f"{where}, column {column!r}: a geometric standard deviation is >= 1, got {value}"
        )
    return value
