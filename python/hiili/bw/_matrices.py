"""bw_processing datapackages to matrix entries, by matrix_utils' rules (as bw2calc 2.x/3.x).

What bw2calc's MappedMatrix does, in numpy and without building scipy matrices entry by entry:

- the ids of each matrix axis are the sorted unique ids of all its resource groups (products
  and activities from the technosphere, flows from the biosphere rows); an entry whose row or
  column id is not mapped is dropped (biosphere entries of unknown activities, characterization
  factors of flows outside the biosphere);
- characterization, normalization and weighting are diagonal: only the ``row`` id counts; a
  consistent ``global_index`` keeps only the factors whose ``col`` is that location;
- values are ``data`` (or a draw of ``distributions``), negated where ``flip``, times
  ``rescale``; NaN means "no value" and is skipped;
- within a resource group duplicates add up (``sum_intra_duplicates``); a later group
  replaces earlier values at the same position unless its package says
  ``sum_inter_duplicates``.

Only vector resources are read; array resources (scenarios, presamples) and interfaces raise
NotImplementedError (bw2calc's LCA ignores arrays unless ``use_arrays=True``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._core import InvalidInputError
from ._deps import require
from .errors import InconsistentGlobalIndex, MultipleValues, NonsquareTechnosphere

TECHNOSPHERE = "technosphere_matrix"
BIOSPHERE = "biosphere_matrix"
CHARACTERIZATION = "characterization_matrix"
NORMALIZATION = "normalization_matrix"
WEIGHTING = "weighting_matrix"


def load(obj: Any) -> Any:
    """A bw_processing Datapackage from a Datapackage, an fsspec filesystem, or a path to a
    zip file or folder (bw2calc.utils.get_datapackage's rules)."""
    bwp = require("bw_processing", "to read Brightway datapackages")
    if isinstance(obj, bwp.DatapackageBase):
        return obj
    fsspec = require("fsspec", "to open datapackage files")
    if isinstance(obj, fsspec.AbstractFileSystem):
        return bwp.load_datapackage(obj)
    if isinstance(obj, str | Path):
        path = Path(obj)
        if path.is_file() and path.suffix.lower() == ".zip":
            from fsspec.implementations.zip import ZipFileSystem

            return bwp.load_datapackage(ZipFileSystem(path))
        if path.is_dir():
            return bwp.load_datapackage(bwp.io_helpers.generic_directory_filesystem(dirpath=path))
        raise InvalidInputError(f"datapackage {str(obj)!r}: no such zip file or folder")
    raise TypeError(
        f"data_objs: expected bw_processing Datapackages, filesystems or paths, got "
        f"{type(obj).__name__}"
    )


@dataclass
class Group:
    """The vector data of one resource group, in its package's order."""

    package: str
    label: str
    rows: np.ndarray
    cols: np.ndarray
    data: np.ndarray
    flip: np.ndarray | None
    rescale: np.ndarray | None
    distributions: np.ndarray | None
    sum_intra: bool
    sum_inter: bool
    identifier: Any
    global_index: int | None


def _resource(package: Any, name: str) -> tuple[Any, dict] | None:
    try:
        return package.get_resource(name)
    except (KeyError, IndexError, ValueError):
        return None


def _identifier(metadata: dict) -> Any:
    ident = metadata.get("identifier")
    return tuple(ident) if isinstance(ident, list) else ident


def _read_group(package: Any, label: str, use_arrays: bool) -> Group | None:
    name = package.metadata.get("name", "?")
    where = f"datapackage {name!r}, resource group {label!r}"
    found = _resource(package, label + ".data")
    if found is None:
        return None
    data, meta = found
    if meta.get("profile") == "interface" or not isinstance(data, np.ndarray):
        raise NotImplementedError(f"{where}: interfaces are not supported by hiili.bw")
    if meta.get("category") != "vector":
        if use_arrays:
            raise NotImplementedError(
                f"{where}: array resources (scenarios, presamples) are not supported by hiili.bw"
            )
        return None
    indices, imeta = _resource(package, label + ".indices") or (None, {})
    if indices is None or indices.dtype.names is None or "row" not in indices.dtype.names:
        raise InvalidInputError(f"{where}: no structured indices resource with row and col")
    if len(indices) != len(data):
        raise InvalidInputError(f"{where}: {len(indices)} indices but {len(data)} data values")
    if data.dtype.kind not in "biuf":
        raise InvalidInputError(f"{where}: data must be numbers, got dtype {data.dtype}")
    flip = _resource(package, label + ".flip")
    rescale = _resource(package, label + ".rescale")
    dist = _resource(package, label + ".distributions")
    return Group(
        package=name,
        label=label,
        rows=np.ascontiguousarray(indices["row"], dtype=np.int64),
        cols=np.ascontiguousarray(indices["col"], dtype=np.int64),
        data=np.asarray(data, dtype=np.float64),
        flip=None if flip is None else np.asarray(flip[0], dtype=bool),
        rescale=None if rescale is None else np.asarray(rescale[0], dtype=np.float64),
        distributions=None if dist is None else dist[0],
        sum_intra=bool(package.metadata.get("sum_intra_duplicates", True)),
        sum_inter=bool(package.metadata.get("sum_inter_duplicates", False)),
        identifier=_identifier(imeta) or _identifier(meta),
        global_index=imeta.get("global_index"),
    )


def read_groups(packages: Sequence[Any], matrix: str, use_arrays: bool = False) -> list[Group]:
    """The vector resource groups of `matrix` in all packages, in order."""
    groups = []
    for package in packages:
        for label, part in package.filter_by_attribute("matrix", matrix).groups.items():
            group = _read_group(part, label, use_arrays)
            if group is not None:
                groups.append(group)
    return groups


class IdMap:
    """Sorted unique ids to matrix indices 0..len-1 (matrix_utils.ArrayMapper)."""

    def __init__(self, arrays: Iterable[np.ndarray]) -> None:
        arrays = [a for a in arrays if len(a)]
        self.ids = np.unique(np.concatenate(arrays)) if arrays else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def find(self, ids: np.ndarray) -> np.ndarray:
        """Indices of `ids`, -1 where an id is not mapped."""
        if len(self.ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return np.where(self.ids[pos] == ids, pos, -1)

    def to_dict(self) -> dict[int, int]:
        """{id: index}, as bw2calc's dicts."""
        return dict(zip(self.ids.tolist(), range(len(self.ids)), strict=True))


@dataclass
class Entries:
    """The surviving entries of one matrix: mapped row and column, amount (rescaled, flip not
    applied), flip, the stats_arrays record or None, the group each came from, and each entry's
    rescale factor (None: no group has a rescale vector)."""

    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cols: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    amounts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    flip: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    distributions: list[np.ndarray | None] = field(default_factory=list)
    group: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    rescale: np.ndarray | None = None

    @property
    def values(self) -> np.ndarray:
        """The signed values that go into the matrix."""
        return np.where(self.flip, -self.amounts, self.amounts)

    def distribution_table(self) -> np.ndarray | None:
        """One stats_arrays record per entry (type 0 where a group has none), or None when no
        group has distributions."""
        if all(d is None for d in self.distributions):
            return None
        bwp = require("bw_processing", "to read distributions")
        table = np.zeros(len(self.rows), dtype=bwp.UNCERTAINTY_DTYPE)
        for field_name in ("loc", "scale", "shape", "minimum", "maximum"):
            table[field_name] = np.nan
        for g, dist in enumerate(self.distributions):
            if dist is None:
                continue
            at = self.group == g
            for name in table.dtype.names:
                table[name][at] = dist[name]
        return table


def global_index(groups: Sequence[Group]) -> int | None:
    """The one global location id of the characterization groups (bw2calc's
    consistent_global_index), or None."""
    found = {g.global_index for g in groups}
    if len(found) > 1:
        raise InconsistentGlobalIndex(
            "multiple global index values found in the characterization data: "
            f"{sorted(found, key=str)}"
        )
    return found.pop() if found else None


def entries(
    groups: Sequence[Group],
    row_map: IdMap,
    col_map: IdMap | None,
    *,
    keep_col: int | None = None,
) -> Entries:
    """The entries of one matrix after mapping, masks, NaN and duplicate rules.

    col_map None: a diagonal matrix (column = row). keep_col: keep only entries whose raw
    column id is this (the global location of characterization factors).
    """
    parts: list[tuple[np.ndarray, ...]] = []
    dists: list[np.ndarray | None] = []
    for group in groups:
        keep = np.ones(len(group.rows), dtype=bool)
        if keep_col is not None:
            keep &= group.cols == keep_col
        rows = row_map.find(group.rows)
        cols = rows if col_map is None else col_map.find(group.cols)
        keep &= (rows >= 0) & (cols >= 0)
        keep &= ~np.isnan(group.data)
        rescale = np.ones(len(rows)) if group.rescale is None else group.rescale
        flip = np.zeros(len(rows), bool) if group.flip is None else group.flip
        idx = np.flatnonzero(keep)
        parts.append(
            (rows[idx], cols[idx], group.data[idx] * rescale[idx], flip[idx], rescale[idx])
        )
        dists.append(None if group.distributions is None else group.distributions[idx])
    if not parts:
        return Entries()
    out = Entries(*(np.concatenate([p[i] for p in parts]) for i in range(4)))
    out.group = np.concatenate([np.full(len(p[0]), g) for g, p in enumerate(parts)])
    out.distributions = dists
    if any(g.rescale is not None for g in groups):
        out.rescale = np.concatenate([p[4] for p in parts])
    alive = _resolve_duplicates(out, groups)
    if not alive.all():
        out = _select(out, alive)
    return out


def _select(e: Entries, alive: np.ndarray) -> Entries:
    kept_groups = e.group[alive]
    offsets = {g: np.flatnonzero(alive[e.group == g]) for g in range(len(e.distributions))}
    dists = [None if d is None else d[offsets[g]] for g, d in enumerate(e.distributions)]
    out = Entries(e.rows[alive], e.cols[alive], e.amounts[alive], e.flip[alive])
    out.group = kept_groups
    out.distributions = dists
    out.rescale = None if e.rescale is None else e.rescale[alive]
    return out


def _resolve_duplicates(e: Entries, groups: Sequence[Group]) -> np.ndarray:
    """Which entries survive matrix_utils' rules: a group that does not sum across groups
    replaces earlier groups' values at its positions; one that does not sum within itself
    keeps only its last value at a position."""
    alive = np.ones(len(e.rows), dtype=bool)
    if len(groups) <= 1 and all(g.sum_intra for g in groups):
        return alive
    width = int(e.cols.max()) + 1 if len(e.cols) else 1
    key = e.rows * width + e.cols
    for g, group in enumerate(groups):
        mine = e.group == g
        if not mine.any():
            continue
        if not group.sum_inter:
            earlier = (e.group < g) & np.isin(key, key[mine])
            alive &= ~earlier
        if not group.sum_intra:
            idx = np.flatnonzero(mine)
            _, last = np.unique(key[idx][::-1], return_index=True)
            keep = np.zeros(len(idx), bool)
            keep[len(idx) - 1 - last] = True
            alive[idx] &= keep
    return alive


@dataclass
class Inventory:
    """Technosphere and biosphere entries and their id maps."""

    products: IdMap
    activities: IdMap
    flows: IdMap
    technosphere: Entries
    biosphere: Entries


def inventory(packages: Sequence[Any], use_arrays: bool = False) -> Inventory:
    """Technosphere and biosphere of `packages` (bw2calc's load_lci_data)."""
    tech = read_groups(packages, TECHNOSPHERE, use_arrays)
    if not any(len(g.rows) for g in tech):
        raise InvalidInputError("the datapackages have no technosphere_matrix data")
    products = IdMap(g.rows for g in tech)
    activities = IdMap(g.cols for g in tech)
    if len(products) != len(activities):
        raise NonsquareTechnosphere(
            f"Technosphere matrix is not square: {len(activities)} activities (columns) and "
            f"{len(products)} products (rows). Fix the input data (hiili.bw has no "
            "LeastSquaresLCA)"
        )
    bio = read_groups(packages, BIOSPHERE, use_arrays)
    flows = IdMap(g.rows for g in bio)
    return Inventory(
        products=products,
        activities=activities,
        flows=flows,
        technosphere=entries(tech, products, activities),
        biosphere=entries(bio, flows, activities),
    )


def diagonal(
    groups: Sequence[Group], flows: IdMap, row: int = 0, keep_col: int | None = None
) -> Entries:
    """Entries of one diagonal flow matrix (one characterization method, one normalization)
    folded into matrix row `row`: the column is the flow's index. Duplicate rules apply
    within these groups only, as bw2calc builds one matrix per method."""
    e = entries(groups, flows, None, keep_col=keep_col)
    e.cols = e.rows
    e.rows = np.full(len(e.cols), row, dtype=np.int64)
    return e


def weighting_value(groups: Sequence[Group]) -> float:
    """The single weighting value (bw2calc's SingleValueDiagonalMatrix)."""
    values = [v for g in groups for v in g.data[~np.isnan(g.data)]]
    if len(values) != 1:
        names = sorted({g.package for g in groups})
        raise MultipleValues(
            f"{len(values)} numerical weighting values found, but only one single value is "
            f"allowed (datapackages {names})"
        )
    return float(values[0])
