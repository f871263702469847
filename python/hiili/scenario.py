"""What-if scenarios: hiili.Scenario (the mirror of hiili::Scenario, scenario.hpp) and
Lca.what_if, the scores of a demand under each scenario side by side with the baseline.

    sc = hiili.Scenario("wind power", [("A", i, j, new_value), ("B", f, j, new_value)])
    lca.what_if(demand, [sc1, sc2])                  # scores per scenario, side by side

Changes of A are answered by a low-rank (Woodbury) update of the Lca's factorisation or by
refactoring (the C++ what_if, src/analysis/what_if.cpp); the mathematics is in
docs/analysis.md.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _convert, _core
from ._common import (
    _KIND_NAME,
    _MATRIX_KINDS,
    _category_labels,
    _category_units,
    _dense_demand,
    _matrix_name,
)
from .result import Result

if TYPE_CHECKING:  # pragma: no cover
    from .lca import Lca
    from .model import Model


class Scenario:
    """A named list of changes, each setting one entry of A, B or C to a new value.

        Scenario("wind power", [("A", i, j, new_value), ("B", "CO2", "steel", 1.7)])

    Rows and columns are indices or labels (A: activities, B: flows x activities,
    C: categories x flows), looked up in the model when the scenario is used, so one scenario
    fits any model with those labels. The new value replaces the entry (0 if it is not
    stored; an entry outside A's pattern is a new exchange). Save and load as JSON with
    save()/load() or to_json()/from_json(); the format is the C++ one (hiili::Scenario).
    """

    def __init__(self, name: str, changes: Iterable[Sequence[Any]] = ()) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Scenario name must be a str, got {type(name).__name__}")
        self.name = name
        self.changes: list[tuple[str, int | str, int | str, float]] = []
        for change in changes:
            if isinstance(change, str) or len(change) != 4:
                raise _core.InvalidInputError(
                    f"scenario {name!r}: a change is (matrix, row, col, value), got {change!r}"
                )
            self.add(*change)

    def add(self, matrix: str, row: int | str, col: int | str, value: float) -> Scenario:
        """Appends a change; returns the scenario (for chaining)."""
        where = f"scenario {self.name!r}, change {len(self.changes)}"
        name = _matrix_name(matrix)
        row, col = _position(row, where, "row"), _position(col, where, "col")
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise TypeError(f"{where}: value must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise _core.InvalidInputError(f"{where}: value is not finite")
        self.changes.append((name, row, col, value))
        return self

    def _to_core(self) -> _core.Scenario:
        changes = []
        for name, row, col, value in self.changes:
            changes.append(
                _core.Change(
                    _MATRIX_KINDS[name],
                    row if isinstance(row, int) else 0,
                    col if isinstance(col, int) else 0,
                    value,
                    row if isinstance(row, str) else "",
                    col if isinstance(col, str) else "",
                )
            )
        return _core.Scenario(self.name, changes)

    @classmethod
    def _from_core(cls, core: _core.Scenario) -> Scenario:
        out = cls(core.name)
        for c in core.changes:
            out.changes.append(
                (
                    _KIND_NAME[c.matrix],
                    c.row_label if c.row_label else int(c.row),
                    c.col_label if c.col_label else int(c.col),
                    float(c.value),
                )
            )
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return self._to_core().to_json(-1 if indent is None else indent)

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        """Raises hiili.FormatError naming the field when `text` is not a scenario."""
        return cls._from_core(_core.Scenario.from_json(text))

    def save(self, path: str | os.PathLike[str]) -> None:
        self._to_core().save(os.fspath(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Scenario:
        return cls._from_core(_core.Scenario.load(os.fspath(path)))

    def resolved(self, model: Model) -> Scenario:
        """A copy with labels replaced by indices in `model` (checks every change)."""
        return Scenario._from_core(self._to_core().resolved(model._cpp))

    def __len__(self) -> int:
        return len(self.changes)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Scenario)
            and self.name == other.name
            and self.changes == other.changes
        )

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.changes)))

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, {self.changes!r})"


def _position(value: Any, where: str, axis: str) -> int | str:
    if isinstance(value, bool):
        raise TypeError(f"{where}: {axis} must be an index or a label, got {value!r}")
    if isinstance(value, int | np.integer):
        if value < 0:
            raise _core.InvalidInputError(f"{where}: {axis} {value} is negative")
        return int(value)
    if isinstance(value, str):
        if not value:
            raise _core.InvalidInputError(f"{where}: {axis} is an empty label")
        return value
    raise TypeError(f"{where}: {axis} must be an index or a label, got {value!r}")


_STRATEGIES = {
    "auto": _core.WhatIfStrategy.Auto,
    "woodbury": _core.WhatIfStrategy.Woodbury,
    "refactor": _core.WhatIfStrategy.Refactor,
}


class WhatIf:
    """what_if(..., full=True): every scenario's Result and how it was computed.

    scores: the side-by-side DataFrame (categories x [baseline, scenarios...]); results:
    {name: hiili.Result}; details: one row per scenario with method ("woodbury", "refactor",
    "factorize", "unchanged"), rank, residual, refined, fell_back.
    """

    def __init__(self, scores: pd.DataFrame, results: dict[str, Any], details: pd.DataFrame):
        self.scores = scores
        self.results = results
        self.details = details

    def __repr__(self) -> str:
        return f"<hiili.WhatIf scenarios={list(self.results)[1:]}>"


def what_if(
    lca: Lca,
    demand: Any,
    scenarios: Scenario | Iterable[Scenario],
    *,
    strategy: str = "auto",
    max_rank: int = 32,
    residual_tolerance: float = 1e-12,
    full: bool = False,
) -> pd.DataFrame | WhatIf:
    """Scores of the demand under each scenario, side by side with the baseline.

    Returns a DataFrame indexed by category label with columns "baseline" and one per
    scenario name (repeated names get " (2)", " (3)"...). Changes of A are answered with a
    Woodbury low-rank update of the existing factorisation when the rank r (distinct changed
    columns or rows, whichever is fewer) is small (strategy "auto": r <= max_rank and
    r <= n / 4), else by refactoring; the Lca itself is never changed. strategy "woodbury" or
    "refactor" forces one. full=True returns a WhatIf with every Result and the details.
    """
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    scenarios = list(scenarios)
    for s in scenarios:
        if not isinstance(s, Scenario):
            raise TypeError(f"what_if: expected hiili.Scenario objects, got {type(s).__name__}")
    try:
        chosen = _STRATEGIES[strategy.lower()]
    except (KeyError, AttributeError):
        raise _core.InvalidInputError(
            f"unknown strategy {strategy!r}: expected 'auto', 'woodbury' or 'refactor'"
        ) from None
    options = _core.WhatIfOptions()
    options.strategy = chosen
    options.max_rank = _convert.integer(max_rank, "max_rank", (0, 2**63 - 1))
    options.residual_tolerance = _convert.real(residual_tolerance, "residual_tolerance", "(0, inf)")
    raw = _core.what_if(
        lca._cpp, _dense_demand(lca, demand), [s._to_core() for s in scenarios], options
    )
    names = ["baseline"]
    for s in scenarios:
        name, k = s.name or "scenario", 2
        candidate = name
        while candidate in names:
            candidate = f"{name} ({k})"
            k += 1
        names.append(candidate)
    model = lca.model
    index = pd.Index(_category_labels(model), name="category")
    columns = [np.array(raw.baseline.scores)] + [np.array(r.result.scores) for r in raw.scenarios]
    frame = pd.DataFrame(dict(zip(names, columns, strict=True)), index=index)
    frame.attrs["units"] = dict(zip(index, _category_units(model), strict=True))
    if not full:
        return frame
    base = raw.baseline
    results = {"baseline": Result(model, base.supply, base.inventory, base.scores)}
    rows = []
    for name, r in zip(names[1:], raw.scenarios, strict=True):
        res = r.result
        results[name] = Result(model, res.supply, res.inventory, res.scores)
        rows.append(
            {
                "scenario": name,
                "method": _core.to_string(r.method),
                "rank": r.rank,
                "residual": r.residual,
                "refined": r.refined,
                "fell_back": r.fell_back,
            }
        )
    details = pd.DataFrame(
        rows, columns=["scenario", "method", "rank", "residual", "refined", "fell_back"]
    )
    return WhatIf(frame, results, details)


__all__ = ["Scenario", "WhatIf", "what_if"]
