"""hiili.Model: the three matrices and their labels, with scipy and pandas views."""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _convert, _core
from ._common import _MATRIX_KINDS as _KINDS


def _kind(matrix: str | _core.MatrixKind) -> _core.MatrixKind:
    if isinstance(matrix, _core.MatrixKind):
        return matrix
    try:
        return _KINDS[matrix]
    except KeyError:
        raise _core.InvalidInputError(
            f"unknown matrix {matrix!r}: expected one of {sorted(_KINDS)}"
        ) from None


class Model:
    """An LCA model: technosphere A (n x n), biosphere B (m x n), characterisation C (k x m).

    Parameters
    ----------
    A, B, C
        scipy.sparse matrices of any format, or dense arrays. Values are converted to float64;
        CSC input with float64 values is copied once, into the model's own storage. B and C
        may be None (no flows, no categories).
    activities, flows, categories
        Labels: a pandas DataFrame (each column a label column, e.g. "id", "name", "unit"),
        a list of str (the column "name"), or None. Demands may name activities by any label
        (Model.activity_index: id, name, any other column, the printed label, or "#i").

    A Model is immutable. Raises hiili.InvalidInputError for mismatched shapes, indices out of
    range, NaN or infinite values, and label tables of the wrong length.
    """

    _cpp: _core.Model

    def __init__(
        self,
        A: Any,
        B: Any = None,
        C: Any = None,
        activities: Any = None,
        flows: Any = None,
        categories: Any = None,
    ) -> None:
        A = _convert.as_csc(A, "A")
        n = A.shape[1]
        B = _convert.empty_csc(0, n) if B is None else _convert.as_csc(B, "B")
        C = _convert.empty_csc(0, B.shape[0]) if C is None else _convert.as_csc(C, "C")
        self._cpp = _core.Model.from_csc(
            A,
            B,
            C,
            _convert.labels(activities, A.shape[1], "activity"),
            _convert.labels(flows, B.shape[0], "flow"),
            _convert.labels(categories, C.shape[0], "category"),
        )

    @classmethod
    def from_entries(
        cls,
        n: int,
        m: int = 0,
        k: int = 0,
        *,
        A: Any,
        B: Any = None,
        C: Any = None,
        activities: Any = None,
        flows: Any = None,
        categories: Any = None,
    ) -> Model:
        """A model from entries (triplets), each of which may carry its own uncertainty.

        A, B and C are tables of entries: a pandas DataFrame or a dict of equal-length arrays
        with the columns row, col, amount, optionally flip (Brightway's sign flag) and the
        uncertainty columns uncertainty_type (stats_arrays id), loc, scale, shape, minimum,
        maximum, negative (the shape :meth:`entries` returns). Entries at the same position
        are summed in the matrix and keep their own uncertainty (each is drawn on its own in
        Monte Carlo). Raises hiili.InvalidInputError naming the matrix and entry for an index
        out of range, a non-finite amount or a missing column.
        """

        def table(entries: Any) -> dict[str, np.ndarray]:
            if entries is None:
                return {}
            if isinstance(entries, pd.DataFrame):
                return {c: entries[c].to_numpy() for c in entries.columns}
            return {str(c): np.asarray(v) for c, v in dict(entries).items()}

        core = _core.Model.from_entries(
            n,
            m,
            k,
            table(A),
            table(B),
            table(C),
            _convert.labels(activities, n, "activity"),
            _convert.labels(flows, m, "flow"),
            _convert.labels(categories, k, "category"),
        )
        return cls._wrap(core)

    @classmethod
    def from_pymrio(
        cls, io: Any, characterization: pd.DataFrame | None = None, extensions: Any = None
    ) -> Model:
        """A model of a pymrio IOSystem (EXIOBASE, pymrio's test MRIO, ...).

        The technosphere is I - A (A as the system holds it, else pymrio's Z diag(1/x) with
        x = Z and Y row sums); the biosphere stacks the stressor coefficients S of every
        extension (given, else F diag(1/x)), or of those named in `extensions`. A demand of one
        unit of sector j then has the inventory M[:, j], pymrio's multipliers. Activities are
        labelled "region|sector" (id), location, name; flows "<extension>|<stressor>|..."
        (id), name, compartment, extension, unit.

        characterization: a pymrio characterisation table (columns stressor, compartment, ...
        as the extensions' index level names, impact, factor, impact_unit), such as pymrio's
        emissions_charact.tsv: one row of C per impact. Factors naming no stressor of the
        system are counted in ``read_report`` and left out, as pymrio leaves them out.
        """
        from ._pymrio import model_parts

        technosphere, B, C, labels, report = model_parts(io, characterization, extensions)
        model = cls(technosphere, B, C, **labels)
        model._read_report = report
        return model

    @classmethod
    def _wrap(cls, core: _core.Model) -> Model:
        """A Model around an existing _core.Model (from synth, read, or C++)."""
        if not isinstance(core, _core.Model):
            raise TypeError(f"expected hiili._core.Model, got {type(core).__name__}")
        model = cls.__new__(cls)
        model._cpp = core
        return model

    # ---- what a reader said ---------------------------------------------------------------
    @property
    def read_report(self) -> dict[str, Any] | None:
        """What :func:`read` found and did: a dict with format, source, counts (name -> number:
        sizes, links made, cut-offs, unlinked flows, conversions, ...), warnings (one line
        each) and brief (one line). None for a model that was not read from a file."""
        return getattr(self, "_read_report", None)

    @property
    def demands(self) -> dict[str, dict[int, float]]:
        """Demands the source names, {name: {activity index: amount}}, ready for
        ``Lca.solve``: an openLCA export's product systems (name, else id). Empty when none."""
        return dict(getattr(self, "_demands", {}))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickles the C++ model's arrays (not the cached scipy and pandas views), with the
        read report and named demands where a reader gave them."""
        return (_unpickle, (self._cpp, self.read_report, getattr(self, "_demands", {})))

    # ---- sizes -------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of activities (and products)."""
        return self._cpp.num_activities

    @property
    def m(self) -> int:
        """Number of biosphere flows."""
        return self._cpp.num_flows

    @property
    def k(self) -> int:
        """Number of impact categories."""
        return self._cpp.num_categories

    # ---- matrices: read-only scipy CSC views of the model's own storage ---------------------
    @cached_property
    def A(self) -> sp.csc_array:
        return _convert.csc_view(self._cpp.A)

    @cached_property
    def B(self) -> sp.csc_array:
        return _convert.csc_view(self._cpp.B)

    @cached_property
    def C(self) -> sp.csc_array:
        return _convert.csc_view(self._cpp.C)

    # ---- labels --------------------------------------------------------------------------
    @cached_property
    def activities(self) -> pd.DataFrame:
        return _convert.labels_frame(self._cpp.activities, self.n)

    @cached_property
    def flows(self) -> pd.DataFrame:
        return _convert.labels_frame(self._cpp.flows, self.m)

    @cached_property
    def categories(self) -> pd.DataFrame:
        return _convert.labels_frame(self._cpp.categories, self.k)

    def activity_index(self, key: Any) -> int:
        """The index of an activity given by index or label: its id, name or any other label
        column, the label tables print ("name [location]"), or "#i" (hiili::resolve_label, the
        rule the CLI and C++ use too).

        Raises hiili.InvalidInputError for an unknown label or an index out of range, and for
        an ambiguous label, listing the candidates.
        """
        return _find(self._cpp.activity_index, key, self.n, "activity")

    def flow_index(self, key: Any) -> int:
        """As activity_index, for biosphere flows."""
        return _find(self._cpp.flow_index, key, self.m, "flow")

    def category_index(self, key: Any) -> int:
        """As activity_index, for impact categories (e.g. by code: "GCC")."""
        return _find(self._cpp.category_index, key, self.k, "category")

    def sparse_demand(self, demand: Any) -> tuple[np.ndarray, np.ndarray]:
        """(indices, amounts) of a dict or pandas Series {activity index or label: amount}."""
        items = list(demand.items())
        indices = np.empty(len(items), dtype=np.int64)
        amounts = np.empty(len(items), dtype=np.float64)
        for i, (key, amount) in enumerate(items):
            indices[i] = self.activity_index(key)
            amounts[i] = float(amount)
        return indices, amounts

    # ---- entries and uncertainty ------------------------------------------------------------
    def entries(self, matrix: str | _core.MatrixKind = "A") -> pd.DataFrame:
        """The entries matrix "A", "B" or "C" was built from, in input order.

        Columns: row, col, amount, flip, slot (its position in the CSC values); with
        uncertainty also uncertainty_type (stats_arrays id), loc, scale, shape, minimum,
        maximum, negative.
        """
        return pd.DataFrame(self._cpp.entries(_kind(matrix)))

    def has_uncertainty(self, matrix: str | _core.MatrixKind = "A") -> bool:
        return self._cpp.has_uncertainty(_kind(matrix))

    def __repr__(self) -> str:
        return (
            f"<hiili.Model n={self.n} m={self.m} k={self.k} "
            f"nnz(A)={self._cpp.A.nnz} nnz(B)={self._cpp.B.nnz} nnz(C)={self._cpp.C.nnz}>"
        )


def _find(resolve: Any, key: Any, size: int, what: str) -> int:
    """An index as given (checked against size), or a label resolved by the C++ rule."""
    if isinstance(key, bool):
        raise TypeError(f"{what}: expected an index or a label, got {key!r}")
    if isinstance(key, int | np.integer):
        index = int(key)
        if not 0 <= index < size:
            raise _core.InvalidInputError(f"{what} index {index} out of range [0, {size})")
        return index
    if isinstance(key, str):
        return int(resolve(key))
    raise TypeError(f"{what}: expected an index or a label, got {key!r}")


def _synth_arguments(n: Any, m: Any, k: Any, seed: Any, options: dict) -> tuple:
    """synth's numbers as the C++ types hold them (hiili.InvalidInputError otherwise); the
    ranges are checked by hiili::check_synth_options."""
    size = (1, _core.SYNTH_MAX_SIZE)
    n = _convert.integer(n, "synth: n", size)
    m = None if m is None else _convert.integer(m, "synth: m", size)
    k = _convert.integer(k, "synth: k", (0, _core.SYNTH_MAX_CATEGORIES))
    seed = _convert.integer(seed, "synth: seed", _convert.UINT64, _convert.UINT64)
    reals = {"core_fraction": "[0, 1]", "mean_inputs": "[0, 400]", "mean_flows": "[0, 10000]"}
    options = {
        key: _convert.real(value, f"synth: {key}", reals[key]) if key in reals else value
        for key, value in options.items()
    }
    return n, m, k, seed, options


def synth(
    n: int = 20000,
    *,
    seed: int = 1,
    family: str = "ecoinvent",
    k: int = 3,
    m: int | None = None,
    uncertainty: bool = False,
    **options: Any,
) -> Model:
    """A seeded LCA system (hiili::synth): the same arguments give the same model.

    family "ecoinvent" (the default) is calibrated to real LCI databases (regional clusters
    joined by a few global hub markets, a strongly connected background of ~40 %); "stress"
    is the first, unrealistic structure, on which nested-dissection solvers fill in densely
    (docs/synth.md). uncertainty=True attaches lognormal distributions (medians = the
    amounts) to exactly the system uncertainty=False gives. m defaults to n / 8 flows.
    Further options: core_fraction, mean_inputs, mean_flows.
    hiili.InvalidInputError, naming the argument and its range, for sizes beyond the limits
    (hiili/limits.hpp: n and m up to 10^9, k up to 10^5, and what fits in memory).
    """
    n, m, k, seed, options = _synth_arguments(n, m, k, seed, options)
    opts = _core.SynthOptions(
        n=n,
        m=-1 if m is None else m,
        k=k,
        seed=seed,
        family=family,
        uncertainty=uncertainty,
        **options,
    )
    return Model._wrap(_core.synth(opts))


def _format(format: str | None) -> Any:
    if format is None:
        return _core.Format.Auto
    if isinstance(format, _core.Format):
        return format
    return _core.format_from_string(format)


def _option_text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | os.PathLike):
        return os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    raise _core.InvalidInputError(
        f"reader option {name}={value!r}: expected text, a number or True/False"
    )


def reader_options(format: str) -> list[str]:
    """The reader options ``read(path, format, **options)`` accepts for `format`."""
    return list(_core.reader_options(_format(format)))


def read(path: str | os.PathLike[str], format: str | None = None, **options: Any) -> Model:
    """Reads a model from a file or folder: USEEIO CSVs, a Brightway datapackage, an ecoinvent
    matrix export, an openLCA JSON-LD export, Matrix Market, CSV triplets. The format is
    detected when not given.

    Reader options go by name, for example ``read(export, allocation="physical")`` for an
    openLCA export (allocation: default, none, physical, economic, causal; default_providers,
    unlinked: drop or biosphere, biosphere_inputs_negative, uncertainty, strict_uncertainty,
    cutoff_prefix, product_systems, lcia, lcia_method), ``encoding="latin1"`` for ecoinvent,
    ``strict=True`` for a datapackage, ``io_coefficients=True`` for Matrix Market and CSV
    triplets; :func:`reader_options` lists them. The model's :attr:`Model.read_report` says
    what the reader found and did, and :attr:`Model.demands` holds the demands the source
    names (openLCA product systems).

    Raises hiili.FormatError naming the file and entry when the content is bad, and
    hiili.InvalidInputError for an unknown option or a bad value.
    """
    pairs = [(str(name), _option_text(name, value)) for name, value in options.items()]
    core, report, demands = _core.read_with_report(os.fspath(path), _format(format), pairs)
    model = Model._wrap(core)
    model._read_report = report
    names: dict[str, dict[int, float]] = {}
    for demand_id, name, entries in demands:
        key = name if name and name not in names else demand_id
        names[key] = {int(j): float(a) for j, a in entries}
    model._demands = names
    return model


def _unpickle(
    core: _core.Model, read_report: dict[str, Any] | None, demands: dict[str, dict[int, float]]
) -> Model:
    model = Model._wrap(core)
    if read_report is not None:
        model._read_report = read_report
    model._demands = dict(demands)
    return model


def detect_format(path: str | os.PathLike[str]) -> str:
    """The name of the format read() would use for `path`."""
    return _core.to_string(_core.detect_format(os.fspath(path)))


def default_model() -> Model:
    """The model `hiili demo` uses: the seeded synthetic system with n = 20,000 (labelled)."""
    return synth(20000, seed=1)
