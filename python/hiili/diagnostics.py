"""Warnings where a result would mislead without a word (the rules: hiili/diagnostics.hpp).

Each warning has a category of hiili's own, so that it can be filtered or turned into an
error with the warnings module::

    import warnings, hiili
    warnings.simplefilter("error", hiili.IllConditionedWarning)

- IllConditionedWarning: hiili.Lca factorised a technosphere whose condition estimate is above
  hiili.ILL_CONDITIONED_THRESHOLD (1e12): fewer than about 4 correct digits are guaranteed.
- NoUncertaintyWarning: a Monte Carlo run drew no uncertain entry, so every iteration repeats
  the deterministic scores.
- CharacterisationWarning: a climate indicator does not give carbon dioxide, methane or
  nitrous oxide the factor it should (see climate_notes).
"""

from __future__ import annotations

import warnings
from typing import Any

from . import _core

ILL_CONDITIONED_THRESHOLD: float = _core.ILL_CONDITIONED_THRESHOLD


class HiiliWarning(UserWarning):
    """Base class of hiili's warnings."""


class IllConditionedWarning(HiiliWarning):
    """The technosphere's condition estimate is above ILL_CONDITIONED_THRESHOLD."""


class NoUncertaintyWarning(HiiliWarning):
    """A Monte Carlo run drew no uncertain entry: its intervals are single points."""


class CharacterisationWarning(HiiliWarning):
    """A climate indicator's factors for the main greenhouse gases are off."""


def condition_warning(condition_estimate: float) -> str:
    """'' when the estimate is at most ILL_CONDITIONED_THRESHOLD; else the warning's text."""
    return _core.condition_warning(float(condition_estimate))


def climate_notes(model: Any) -> list[tuple[int, str]]:
    """[(category index, message)]: climate categories (GHG, GCC, GWP, "climate change", ...)
    whose factor for carbon dioxide is not about 1, for methane not in [1, 100] or for nitrous
    oxide not in [100, 400]; empty when all is well or the flows carry no names to check."""
    cpp = getattr(model, "_cpp", model)
    return [(int(q), str(text)) for q, text in _core.climate_notes(cpp)]


def warn(text: str, category: type[HiiliWarning], stacklevel: int = 2) -> None:
    """Issues `text` as a warning of `category` when it is not empty."""
    if text:
        warnings.warn(text, category, stacklevel=stacklevel + 1)
