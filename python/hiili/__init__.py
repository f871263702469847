"""hiili: a fast LCA inventory solver.

    import hiili
    model = hiili.Model(A, B, C, activities=..., flows=..., categories=...)
    lca = hiili.Lca(model, solver="klu")
    r = lca.solve({"some activity": 1.0})
    r.supply, r.inventory, r.scores, r.to_frame()

The numerical work happens in the C++ core (hiili._core) with the GIL released.
"""

from __future__ import annotations

from . import _core, linking
from ._core import (
    Backend,
    CacheWarning,
    Error,
    FactorizationOptions,
    FactorizationReport,
    FormatError,
    IllConditionedError,
    InvalidInputError,
    Ordering,
    SingularMatrixError,
    SynthOptions,
)
from .scenario import Scenario
from .diagnostics import (
    ILL_CONDITIONED_THRESHOLD,
    CharacterisationWarning,
    HiiliWarning,
    IllConditionedWarning,
    NoUncertaintyWarning,
    climate_notes,
)
from .lca import Factorization, Lca, Result, Results, factorization_options
from .model import Model, default_model, detect_format, read, reader_options, synth
from .monte_carlo import (
    Comparison,
    MonteCarlo,
    MonteCarloResult,
    check_uncertainty,
    sample_distribution,
    with_uncertainty,
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hiili")
    except PackageNotFoundError:  # an in-tree build without installed metadata
        return _core.__version__


__version__ = _version()

__all__ = [
    "CacheWarning",
    "ILL_CONDITIONED_THRESHOLD",
    "Backend",
    "CharacterisationWarning",
    "Comparison",
    "Error",
    "Factorization",
    "FactorizationOptions",
    "FactorizationReport",
    "FormatError",
    "HiiliWarning",
    "IllConditionedError",
    "IllConditionedWarning",
    "InvalidInputError",
    "Lca",
    "Model",
    "MonteCarlo",
    "MonteCarloResult",
    "NoUncertaintyWarning",
    "Ordering",
    "Result",
    "Results",
    "Scenario",
    "SingularMatrixError",
    "SynthOptions",
    "__version__",
    "check_uncertainty",
    "climate_notes",
    "default_model",
    "detect_format",
    "factorization_options",
    "linking",
    "read",
    "reader_options",
    "sample_distribution",
    "synth",
    "with_uncertainty",
]
