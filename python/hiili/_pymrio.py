"""Model.from_pymrio: a pymrio IOSystem (EXIOBASE, the test MRIO, ...) as a hiili Model.

Input-output tables are coefficient tables: the technosphere is I - A (A the direct
requirements, x-normalised Z), the biosphere the stressor coefficients S = F diag(1/x) of the
system's extensions, stacked. A demand of final demand y then gives supply x = (I - A)^-1 y and
inventory S x, so one unit of sector j's product has the inventory M[:, j], pymrio's multipliers.
pymrio itself is not a dependency of hiili: the object passed in is only read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _core


def _table(value: Any, what: str) -> pd.DataFrame:
    if not isinstance(value, pd.DataFrame):
        raise _core.InvalidInputError(f"from_pymrio: {what} is not a pandas DataFrame")
    return value


def _total_output(io: Any) -> pd.Series:
    """x as pymrio computes it: the given x, else Z's row sums plus Y's."""
    x = getattr(io, "x", None)
    if x is not None:
        return _table(x, "x").iloc[:, 0]
    Z = _table(getattr(io, "Z", None), "Z (and A)")
    Y = _table(getattr(io, "Y", None), "Y")
    return Z.sum(axis=1) + Y.sum(axis=1)


def _coefficients(io: Any) -> tuple[pd.DataFrame, pd.Series]:
    """A (given, or Z diag(1/x) with zero output columns left zero, as pymrio) and x."""
    A = getattr(io, "A", None)
    x = None
    if A is None:
        Z = _table(getattr(io, "Z", None), "Z (and A)")
        x = _total_output(io).reindex(Z.index)
        inverse = np.divide(1.0, x.to_numpy(), out=np.zeros(len(x)), where=x.to_numpy() != 0)
        A = Z * inverse
    A = _table(A, "A")
    if A.shape[0] != A.shape[1] or not A.index.equals(A.columns):
        raise _core.InvalidInputError(
            f"from_pymrio: A must be square with the same sectors on both axes, got {A.shape}"
        )
    if x is None and (getattr(io, "x", None) is not None or getattr(io, "Z", None) is not None):
        x = _total_output(io).reindex(A.columns)
    return A, x


def _stressors(ext: Any, sectors: pd.Index, x: pd.Series | None) -> pd.DataFrame | None:
    """S of one extension: given, else F diag(1/x)."""
    S = getattr(ext, "S", None)
    if S is None:
        F = getattr(ext, "F", None)
        if F is None:
            return None
        if x is None:
            raise _core.InvalidInputError(
                f"from_pymrio: extension {getattr(ext, 'name', '?')!r} has F but the system has "
                "neither x nor Z and Y to normalise it"
            )
        F = _table(F, "F").reindex(columns=sectors, fill_value=0.0)
        xs = x.reindex(sectors).to_numpy()
        S = F * np.divide(1.0, xs, out=np.zeros(len(xs)), where=xs != 0)
    return _table(S, "S").reindex(columns=sectors, fill_value=0.0)


def _extensions(io: Any) -> list[Any]:
    get = getattr(io, "get_extensions", None)
    if get is None:
        return []
    return list(get(data=True))


def _flow_labels(blocks: list[tuple[str, str, pd.DataFrame, pd.DataFrame | None]]) -> pd.DataFrame:
    rows = []
    for name, ext_name, S, unit in blocks:
        for key in S.index:
            parts = key if isinstance(key, tuple) else (key,)
            unit_text = ""
            if unit is not None and key in unit.index:
                unit_text = str(unit.loc[key].iloc[0]) if unit.ndim == 2 else str(unit.loc[key])
            rows.append({"id": f"{name}|" + "|".join(str(p) for p in parts),
                         "name": str(parts[0]),
                         "compartment": "|".join(str(p) for p in parts[1:]),
                         "extension": ext_name, "unit": unit_text})
    return pd.DataFrame(rows, columns=["id", "name", "compartment", "extension", "unit"])


def _characterization(
    table: pd.DataFrame, blocks: list[tuple[str, str, pd.DataFrame, pd.DataFrame | None]], m: int
) -> tuple[sp.csc_array, pd.DataFrame, int]:
    """C from a pymrio characterisation table (columns stressor, [compartment, ...], impact,
    factor, impact_unit): each row a factor of one stressor of an extension, matched by the
    extension's index level names. Returns C, its category labels and the unmatched rows."""
    for needed in ("impact", "factor"):
        if needed not in table.columns:
            raise _core.InvalidInputError(
                f"from_pymrio: the characterisation table has no '{needed}' column "
                f"(columns: {list(table.columns)})"
            )
    impacts = list(dict.fromkeys(table["impact"].astype(str)))
    unit_column = "impact_unit" if "impact_unit" in table.columns else None
    units = {str(r["impact"]): str(r[unit_column]) for _, r in table.iterrows()} if unit_column else {}
    rows, cols, vals = [], [], []
    matched = np.zeros(len(table), dtype=bool)
    offset = 0
    for _, _, S, _ in blocks:
        names = [n for n in S.index.names if n is not None]
        if names and all(n in table.columns for n in names):
            position = {k if isinstance(k, tuple) else (k,): i for i, k in enumerate(S.index)}
            for t, (_, r) in enumerate(table.iterrows()):
                key = tuple(r[n] for n in names)
                if key in position:
                    rows.append(impacts.index(str(r["impact"])))
                    cols.append(offset + position[key])
                    vals.append(float(r["factor"]))
                    matched[t] = True
        offset += S.shape[0]
    C = sp.coo_array((vals, (rows, cols)), shape=(len(impacts), m)).tocsc()
    labels = pd.DataFrame({"id": impacts, "name": impacts,
                           "unit": [units.get(i, "") for i in impacts]})
    return C, labels, int((~matched).sum())


def model_parts(io: Any, characterization: pd.DataFrame | None = None, extensions: Any = None):
    """What hiili.Model.from_pymrio builds its Model from: (technosphere, B, C, labels as keyword
    arguments of Model, the read report without the category count)."""
    A, x = _coefficients(io)
    sectors = A.columns
    n = A.shape[0]
    technosphere = sp.identity(n, format="csc") - sp.csc_array(A.to_numpy(dtype=float))
    wanted = None if extensions is None else {str(e) for e in ([extensions] if isinstance(extensions, str) else extensions)}
    blocks = []
    for ext in _extensions(io):
        ext_name = str(getattr(ext, "name", ""))
        short = ext_name.replace(" ", "_").lower()
        if wanted is not None and ext_name not in wanted and short not in wanted:
            continue
        S = _stressors(ext, sectors, x)
        if S is not None and S.shape[0] > 0:
            blocks.append((short, ext_name, S, getattr(ext, "unit", None)))
    m = sum(S.shape[0] for _, _, S, _ in blocks)
    B = (sp.csc_array(np.vstack([S.to_numpy(dtype=float) for _, _, S, _ in blocks]))
         if blocks else None)
    activities = pd.DataFrame({
        "id": ["|".join(str(p) for p in (k if isinstance(k, tuple) else (k,))) for k in sectors],
        "location": [str(k[0]) if isinstance(k, tuple) else "" for k in sectors],
        "name": [str(k[-1]) if isinstance(k, tuple) else str(k) for k in sectors],
    })
    C, categories, unmatched = None, None, 0
    if characterization is not None:
        C, categories, unmatched = _characterization(
            _table(characterization, "characterization"), blocks, m)
    labels = {"activities": activities, "flows": _flow_labels(blocks) if blocks else None,
              "categories": categories}
    k = 0 if C is None else C.shape[0]
    report = {
        "format": "pymrio",
        "source": str(getattr(getattr(io, "meta", None), "name", "")),
        "counts": {"activities": n, "flows": m, "categories": k,
                   "extensions": len(blocks), "unmatched_characterization_factors": unmatched},
        "warnings": ([f"{unmatched} characterisation factors name no stressor of the system"]
                     if unmatched else []),
        "brief": f"pymrio: n={n} m={m} k={k}, {len(blocks)} extensions",
    }
    return technosphere, B, C, labels, report
