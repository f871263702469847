"""Sweeps: many demands x many model variants x categories, as Dask tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import _convert, _core
from ..analysis import Scenario
from ..model import Model
from ._worker import cached, fingerprint, named_error

# Variants per task when variants_per_task is not given: a few tasks per worker thread.
TASKS_PER_THREAD = 2


def _variants(
    model: Any, scenarios: Sequence[Scenario] | None, include_base: bool
) -> tuple[dict[str, Model], list[tuple[str, str, Scenario | None]]]:
    """The models to ship ({fingerprint: Model}) and the variants
    [(name, model fingerprint, scenario or None)]."""
    from ..monte_carlo import _as_model

    if isinstance(model, Mapping):
        models = {str(name): _as_model(m) for name, m in model.items()}
    elif isinstance(model, Sequence) and not isinstance(model, str):
        models = {f"model {i}": _as_model(m) for i, m in enumerate(model)}
    else:
        models = {"base": _as_model(model)}
    if not models:
        raise _core.InvalidInputError("sweep: no model given")
    shipped = {fingerprint(m): m for m in models.values()}
    variants: list[tuple[str, str, Scenario | None]] = []
    if scenarios is None or include_base:
        variants += [(name, fingerprint(m), None) for name, m in models.items()]
    for scenario in scenarios or ():
        if not isinstance(scenario, Scenario):
            raise TypeError(
                f"sweep: expected hiili.Scenario objects, got {type(scenario).__name__}"
            )
        for name, m in models.items():
            label = scenario.name if len(models) == 1 else f"{name} / {scenario.name}"
            variants.append((label, fingerprint(m), scenario))
    names = [v[0] for v in variants]
    if len(set(names)) != len(names):
        raise _core.InvalidInputError(f"sweep: variant names must be distinct, got {names}")
    return shipped, variants


def _variant_lca(models: dict[str, Model], variant: tuple[str, str, Scenario | None]) -> Any:
    """The factorised Lca of one variant; a hiili error names the variant."""
    from ..lca import Lca
    from ..linking import apply_scenario

    name, key, scenario = variant
    try:
        model = models[key]
        if scenario is None:
            return cached(f"lca-{key}", lambda: Lca(model))
        return Lca(apply_scenario(model, scenario))
    except _core.Error as error:
        raise named_error(error, name) from error


def _demand_matrix(lca: Any, demands: list[Any]) -> np.ndarray:
    return np.column_stack([lca.demand_vector(d) for d in demands])


def _sweep_task(
    models: dict[str, Model], variants: list[tuple[str, str, Scenario | None]], demands: list[Any]
) -> list[np.ndarray]:
    """Scores (k x d) of each variant in this task."""
    out = []
    for variant in variants:
        lca = _variant_lca(models, variant)
        try:
            out.append(np.asarray(lca.solve_many(_demand_matrix(lca, demands)).scores))
        except _core.Error as error:
            raise named_error(error, variant[0]) from error
    return out


def _activity_task(
    models: dict[str, Model], variants: list[tuple[str, str, Scenario | None]]
) -> list[np.ndarray]:
    """All-activity scores (k x n) of each variant in this task."""
    out = []
    for variant in variants:
        lca = _variant_lca(models, variant)
        try:
            out.append(np.asarray(lca.activity_scores()))
        except _core.Error as error:
            raise named_error(error, variant[0]) from error
    return out


def _batches(items: list[Any], per_task: int) -> list[list[Any]]:
    return [items[i : i + per_task] for i in range(0, len(items), per_task)]


def _run_batches(
    client: Any,
    task: Any,
    shipped: dict[str, Model],
    variants: list[Any],
    per_task: int | None,
    *args: Any,
) -> list[Any]:
    """Runs task(models, batch, *args) for each batch of variants; results in variant order."""
    if per_task is None:
        threads = max(1, sum(client.nthreads().values()))
        per_task = max(1, -(-len(variants) // (TASKS_PER_THREAD * threads)))
    per_task = _convert.integer(per_task, "variants_per_task", (1, 2**31))
    # A list, not the dict: scatter would make the dict's keys (fingerprints) the Dask keys,
    # shared by every sweep on the same model, and one sweep's release would lose another's data.
    models = dict(
        zip(
            shipped, client.scatter(list(shipped.values()), broadcast=True, hash=False), strict=True
        )
    )
    futures = [
        client.submit(task, models, batch, *args, pure=False)
        for batch in _batches(variants, per_task)
    ]
    try:
        return [scores for batch in client.gather(futures) for scores in batch]
    finally:
        client.cancel(futures)


def _category_labels(model: Model) -> list[str]:
    from ..analysis import _category_labels

    return _category_labels(model)


def sweep(
    client: Any,
    model: Any,
    demands: Any,
    scenarios: Sequence[Scenario] | None = None,
    *,
    categories: Sequence[int | str] | None = None,
    include_base: bool = True,
    variants_per_task: int | None = None,
) -> pd.DataFrame:
    """Scores of many demands on many model variants, computed on a Dask cluster.

    model: one Model (the base), a dict {name: Model} or a list of models (several models
    with one pattern of labels, e.g. scenario databases or years). scenarios: hiili.Scenario
    objects applied to each model (hiili.linking.apply_scenario); the variants are the models
    themselves (unless include_base is False) and each model with each scenario. demands: a
    dict {label: demand} or a list (labels "demand 0", ...), each as Lca.solve takes it.
    categories: the categories to keep (indices or labels; default all).

    Returns a tidy DataFrame with columns variant, demand, category, score (one row per
    variant x demand x category). A singular variant raises the typed hiili error
    (SingularMatrixError, ...) with the variant's name in its message and ``variant``.
    """
    shipped, variants = _variants(model, scenarios, include_base)
    if isinstance(demands, Mapping):
        demand_labels, demand_list = [str(k) for k in demands], list(demands.values())
    else:
        demand_list = list(demands)
        demand_labels = [f"demand {i}" for i in range(len(demand_list))]
    if not demand_list:
        raise _core.InvalidInputError("sweep: no demand given")
    first = next(iter(shipped.values()))
    labels = _category_labels(first)
    keep = (
        list(range(first.k))
        if categories is None
        else [c if isinstance(c, int) else first.category_index(c) for c in categories]
    )
    scores = _run_batches(client, _sweep_task, shipped, variants, variants_per_task, demand_list)
    rows = []
    for (name, _, _), h in zip(variants, scores, strict=True):
        for d, demand in enumerate(demand_labels):
            for q in keep:
                rows.append((name, demand, labels[q], float(h[q, d])))
    return pd.DataFrame(rows, columns=["variant", "demand", "category", "score"])


def activity_scores(
    client: Any,
    model: Any,
    scenarios: Sequence[Scenario] | None = None,
    *,
    include_base: bool = True,
    variants_per_task: int | None = None,
) -> pd.DataFrame:
    """All-activity scores (Lca.activity_scores: k transposed solves per variant) of many
    variants on a Dask cluster. Variants as for sweep. Returns a DataFrame indexed by
    (variant, category) with one column per activity."""
    shipped, variants = _variants(model, scenarios, include_base)
    scores = _run_batches(client, _activity_task, shipped, variants, variants_per_task)
    first = next(iter(shipped.values()))
    frames = {}
    for (name, _, _), h in zip(variants, scores, strict=True):
        frames[name] = pd.DataFrame(
            h,
            index=_convert.label_index(first._cpp.categories, first.k, "category"),
            columns=_convert.label_index(first._cpp.activities, first.n, "activity"),
        )
    return pd.concat(frames, names=["variant"])
