"""Errors of hiili.bw, named after bw2calc's.

Each is a hiili.InvalidInputError (so a ValueError and a hiili.Error) and, where bw2calc uses a
built-in type, also that type, so that ``except ValueError`` or ``except AssertionError`` in
existing scripts keeps working. They are not subclasses of bw2calc's own classes: importing
bw2calc only to subclass its errors would cost seconds at import time.
"""

from __future__ import annotations

from .._core import InvalidInputError


class BW2CalcError(InvalidInputError):
    """Base class of hiili.bw's errors (bw2calc.errors.BW2CalcError's counterpart)."""


class OutsideTechnosphere(BW2CalcError):
    """A demand key is not a product of the technosphere matrix."""


class NonsquareTechnosphere(BW2CalcError):
    """The datapackages give a different number of products (rows) and activities (columns)."""


class EmptyBiosphere(BW2CalcError):
    """lcia() was asked for, but the datapackages have no biosphere flows."""


class MultipleValues(BW2CalcError):
    """A weighting datapackage gives more than one value."""


class InconsistentGlobalIndex(BW2CalcError):
    """Characterization datapackages disagree on the id of the global location."""


class InconsistentLCIA(BW2CalcError):
    """A MultiLCA method_config whose normalizations or weightings do not cover its categories."""


class NotCalculatedError(BW2CalcError, AssertionError, AttributeError):
    """A result was read before the step that makes it. bw2calc asserts (AssertionError) or
    has no such attribute yet (AttributeError, so ``hasattr(lca, "supply_array")`` is False
    before lci()); this error is both."""
