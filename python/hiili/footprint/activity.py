"""Activity data: what an organisation used in a year, one row per use.

A CSV table with the columns ``year``, ``category``, ``amount`` and ``unit`` (and any others,
e.g. ``note``, which are kept). Several files may be given (one per year, say); they are
concatenated. Every row is checked against a mapping; a bad row raises
hiili.InvalidInputError naming the file, the line and the column.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable

import pandas as pd

from .._core import InvalidInputError
from . import units
from .mapping import Mapping

REQUIRED = ("year", "category", "amount", "unit")


def read_activity(
    sources: str | os.PathLike[str] | pd.DataFrame | Iterable[str | os.PathLike[str]],
    mapping: Mapping,
) -> pd.DataFrame:
    """Reads and validates activity data.

    sources: a CSV path, a list of them, or a DataFrame with the required columns. Returns
    a DataFrame with the given columns plus ``canonical_amount`` and ``canonical_unit`` (the
    amount in the mapping's unit: kWh, L, km, kg or USD) and ``where`` (file and line).
    """
    if isinstance(sources, pd.DataFrame):
        frames = [_check_columns(sources.astype(str), "activity data")]
        frames[0]["where"] = [f"activity data, row {i}" for i in range(len(sources))]
    else:
        paths = [sources] if isinstance(sources, str | os.PathLike) else list(sources)
        if not paths:
            raise InvalidInputError("activity data: no file given")
        frames = [_read_file(p) for p in paths]
    table = pd.concat(frames, ignore_index=True)
    if table.empty:
        raise InvalidInputError("activity data: no rows")
    return _validate(table, mapping)


def _read_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    name = os.fspath(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    except FileNotFoundError:
        raise InvalidInputError(f"activity data file {name!r} not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InvalidInputError(
            f"activity data file {name}: not a readable CSV table: {e}"
        ) from None
    table = _check_columns(table, f"activity data file {name}")
    # pandas drops comment lines, so count lines from the file itself. Where the two disagree
    # (a quoted line break, a stray carriage return or form feed) the line is not certain and
    # the row is named by its number among the data rows instead.
    lines = _data_lines(name)
    if len(lines) == len(table):
        table["where"] = [f"{name}, line {n}" for n in lines]
    else:
        table["where"] = [f"{name}, data row {i + 1}" for i in range(len(table))]
    return table


def _data_lines(name: str) -> list[int]:
    """Line numbers (1-based) of the data rows: not the header, not blank, not comments."""
    with open(name, encoding="utf-8", errors="replace") as f:
        lines = [i + 1 for i, line in enumerate(f) if line.strip() and not line.startswith("#")]
    return lines[1:]


def _check_columns(table: pd.DataFrame, name: str) -> pd.DataFrame:
    table = table.copy()
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise InvalidInputError(
            f"{name}: missing column(s) {missing}; activity data needs {list(REQUIRED)} "
            f"(has {list(table.columns)})"
        )
    return table


def _validate(table: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    years, raw, amounts, units_out = [], [], [], []
    for row in table.to_dict("records"):
        where = row["where"]
        years.append(_year(row["year"], where))
        category = _category(row["category"], mapping, where)
        unit, factor = _unit(row["unit"], mapping[category].unit, category, where)
        raw.append(_amount(row["amount"], where))
        amounts.append(raw[-1] * factor)
        units_out.append(unit)
    out = table.copy()
    out["year"] = years
    out["category"] = out["category"].str.strip()
    out["amount"] = raw
    out["canonical_amount"] = amounts
    out["canonical_unit"] = units_out
    return out


def _year(text: str, where: str) -> int:
    text = str(text).strip()
    if not text:
        raise InvalidInputError(f"{where}, column 'year': missing year")
    try:
        number = float(text)  # "2023" or "2023.0" (a DataFrame column with gaps is float)
    except ValueError:
        raise InvalidInputError(f"{where}, column 'year': {text!r} is not a year") from None
    if not (math.isfinite(number) and number == int(number)):
        raise InvalidInputError(f"{where}, column 'year': {text!r} is not a year")
    year = int(number)
    if not 1900 <= year <= 2200:
        raise InvalidInputError(f"{where}, column 'year': {year} is not a plausible year")
    return year


def _category(text: str, mapping: Mapping, where: str) -> str:
    category = str(text).strip()
    if not category:
        raise InvalidInputError(f"{where}, column 'category': missing category")
    if category not in mapping:
        raise InvalidInputError(
            f"{where}, column 'category': unknown category {category!r}; known: "
            f"{', '.join(sorted(mapping.categories))} (add it with --mapping)"
        )
    return category


def _unit(text: str, expected: str, category: str, where: str) -> tuple[str, float]:
    found = units.canonical(str(text))
    if found is None or found[0] != expected:
        raise InvalidInputError(
            f"{where}, column 'unit': unit {str(text).strip()!r} does not fit category "
            f"{category!r}, which is measured in {expected} "
            f"(accepted: {', '.join(units.units_of(expected))})"
        )
    return found


def _amount(text: str, where: str) -> float:
    text = str(text).strip()
    if not text:
        raise InvalidInputError(f"{where}, column 'amount': missing amount")
    # Python's float() also takes "1_000"; a CSV number never has underscores (the C++ readers
    # refuse them too), so they are refused rather than read differently by different tools.
    if "_" in text:
        raise InvalidInputError(f"{where}, column 'amount': {text!r} is not a number")
    try:
        value = float(text)
    except ValueError:
        raise InvalidInputError(f"{where}, column 'amount': {text!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidInputError(f"{where}, column 'amount': {text!r} is not finite")
    if value < 0:
        raise InvalidInputError(
            f"{where}, column 'amount': negative amount {value:g}; record uses only "
            "(credits and returns are not part of a footprint here)"
        )
    return value
