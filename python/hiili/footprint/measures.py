"""Reduction measures: changes to one year's activity data.

A CSV table with the columns ``measure`` (its name; several rows with one name form one
measure), ``category``, ``action`` and ``share`` (a fraction 0..1, or a percentage such as
``30%``), ``target`` (for shift) and optionally ``description``:

- ``reduce``: the category's amount shrinks by ``share`` ("cut air travel by 30 %");
- ``shift``: ``share`` of the category's amount moves to ``target``, a category of the same
  unit ("switch 50 % of electricity to wind": electricity -> electricity_wind).

Rows apply in file order. Every row is checked; a bad one raises hiili.InvalidInputError
naming the file, line and column.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import pandas as pd

from .._core import InvalidInputError
from .mapping import Mapping

ACTIONS = ("reduce", "shift")
REQUIRED = ("measure", "category", "action", "share")


@dataclass(frozen=True)
class Change:
    """One row of a measure."""

    category: str
    action: str
    share: float
    target: str | None
    where: str


@dataclass
class Measure:
    """A named set of changes."""

    name: str
    description: str = ""
    changes: list[Change] = field(default_factory=list)


def read_measures(path: str | os.PathLike[str], mapping: Mapping) -> list[Measure]:
    """The measures of a CSV file, in the order of their first row."""
    name = os.fspath(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    except FileNotFoundError:
        raise InvalidInputError(f"measures file {name!r} not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"measures file {name}: not a readable CSV table: {e}") from None
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise InvalidInputError(
            f"measures file {name}: missing column(s) {missing}; a measures file has "
            f"{[*REQUIRED, 'target', 'description']}"
        )
    measures: dict[str, Measure] = {}
    for i, row in enumerate(table.to_dict("records")):
        where = f"measures file {name}, line {i + 2}"
        label = row["measure"].strip()
        if not label:
            raise InvalidInputError(f"{where}, column 'measure': missing name")
        measure = measures.setdefault(label, Measure(label))
        measure.description = measure.description or row.get("description", "").strip()
        measure.changes.append(_change(row, mapping, where))
    if not measures:
        raise InvalidInputError(f"measures file {name}: no measures")
    return list(measures.values())


def _change(row: dict[str, str], mapping: Mapping, where: str) -> Change:
    category = row["category"].strip()
    if category not in mapping:
        raise InvalidInputError(f"{where}, column 'category': unknown category {category!r}")
    action = row["action"].strip().lower()
    if action not in ACTIONS:
        raise InvalidInputError(
            f"{where}, column 'action': unknown action {row['action']!r} (use {list(ACTIONS)})"
        )
    target = row.get("target", "").strip() or None
    if action == "shift":
        _check_target(category, target, mapping, where)
    elif target is not None:
        raise InvalidInputError(f"{where}, column 'target': only a shift has a target")
    return Change(category, action, _share(row["share"], where), target, where)


def _check_target(category: str, target: str | None, mapping: Mapping, where: str) -> None:
    if target is None:
        raise InvalidInputError(f"{where}, column 'target': a shift needs a target category")
    if target not in mapping:
        raise InvalidInputError(f"{where}, column 'target': unknown category {target!r}")
    if mapping[target].unit != mapping[category].unit:
        raise InvalidInputError(
            f"{where}, column 'target': {category!r} is measured in {mapping[category].unit} "
            f"but {target!r} in {mapping[target].unit}; a shift keeps the amount"
        )
    if target == category:
        raise InvalidInputError(f"{where}, column 'target': a shift to the same category")


def _share(text: str, where: str) -> float:
    text = text.strip()
    percent = text.endswith("%")
    try:
        value = float(text.rstrip("%").strip()) / (100.0 if percent else 1.0)
    except ValueError:
        raise InvalidInputError(
            f"{where}, column 'share': {text!r} is not a fraction or a percentage"
        ) from None
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise InvalidInputError(f"{where}, column 'share': {text!r} is outside 0..1 (0 %..100 %)")
    return value


def apply(activity: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    """The activity rows of one year with the measure's changes applied in order.

    Works on ``canonical_amount``; a category with no rows in ``activity`` raises
    InvalidInputError naming the measure's row (the measure would change nothing).
    """
    rows = activity.copy()
    for change in measure.changes:
        selected = rows["category"] == change.category
        if not selected.any() or rows.loc[selected, "canonical_amount"].sum() == 0:
            years = sorted(set(activity["year"]))
            raise InvalidInputError(
                f"{change.where}: measure {measure.name!r} changes {change.category!r}, which "
                f"has no activity in {', '.join(map(str, years))}"
            )
        moved = rows.loc[selected].copy()
        moved["canonical_amount"] *= change.share
        rows.loc[selected, "canonical_amount"] *= 1.0 - change.share
        if change.action == "shift":
            moved["category"] = change.target
            rows = pd.concat([rows, moved], ignore_index=True)
    return rows
