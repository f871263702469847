"""Understanding a result: contributions, supply-chain trees, structural paths and
sensitivities, as pandas tables with labels.

    lca.contributions(demand, category=0, top=10)    # processes and flows, top-N + rest
    lca.upstream(demand, category=0, top=10)         # cumulative (supply-chain) scores
    lca.tree(demand, cutoff=0.01, max_depth=10)      # Tree: .root, .to_json(), .sankey()
    lca.paths(demand, category=0, top=100)           # one row per structural path
    sens = lca.sensitivity(demand, category=0)       # sens.A, sens.B, sens.C, sens.top(20)
    lca.what_if(demand, [sc1, sc2])                  # hiili.scenario: scores per scenario

Every analysis reuses the Lca's factorisation (one forward and at most one transposed solve,
or r solves for a rank-r what-if); the numerical work is in the C++ core (hiili._core),
with the GIL released. Categories are given by index or label; demands as Lca.solve takes
them. The mathematics is in docs/analysis.md. Scenarios and what_if live in hiili.scenario
(beside scenario.hpp's mirror), the helpers both use in hiili._common; the names are
re-exported here as before.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _convert, _core, plots
from ._common import (
    _MATRIX_NAMES,
    _activity_labels,
    _categories,
    _category,
    _category_labels,
    _category_units,
    _dense_demand,
    _flow_labels,
    _matrix_name,
    display_labels,
)
from .scenario import Scenario, WhatIf, what_if

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from .lca import Lca
    from .model import Model


# ---- contributions --------------------------------------------------------------------------
def contributions(lca: Lca, demand: Any, category: Any = 0, top: int | None = 10) -> pd.DataFrame:
    """Process and flow contributions to the score of `category`, top-N with the rest summed.

    Returns a long table, one row per listed process or flow plus one "rest" row per kind and
    category: columns category, kind ("process" / "flow"), rank (1.., 0 for the rest), index
    (-1 for the rest), label, amount (supply s_j or inventory g_f), contribution (direct
    impact s_j (B^T c_q)_j, or c_qf g_f) and share (of the score). Each kind's contributions
    sum to the score. category=None (or "all") gives every category; top=None lists all
    nonzero contributions. frame.attrs["scores"] maps category labels to scores,
    frame.attrs["units"] to their units ('' where the model has none).
    """
    model = lca.model
    cats = _categories(model, category)
    top_n = -1 if top is None else _convert.integer(top, "top", (0, 2**63 - 1))
    if top is not None and top_n < 0:
        raise _core.InvalidInputError(f"top must be >= 0 or None, got {top}")
    f = _dense_demand(lca, demand)
    result = lca._cpp.solve(f)
    P = _core.process_contributions(model._cpp, result.supply)
    F = _core.flow_contributions(model._cpp, result.inventory)
    labels = {"process": _activity_labels(model), "flow": _flow_labels(model)}
    amounts = {"process": result.supply, "flow": result.inventory}
    category_labels = _category_labels(model)
    rows: list[dict[str, Any]] = []
    for q in cats:
        score = float(result.scores[q])
        for kind, values in (("process", P[q]), ("flow", F[q])):
            ranked = _core.rank_contributions(np.ascontiguousarray(values), top_n)
            for r, (i, v) in enumerate(zip(ranked.indices, ranked.values, strict=True), 1):
                rows.append(
                    {
                        "category": category_labels[q],
                        "kind": kind,
                        "rank": r,
                        "index": int(i),
                        "label": labels[kind][i],
                        "amount": float(amounts[kind][i]),
                        "contribution": float(v),
                        "share": _share(v, score),
                    }
                )
            rows.append(
                {
                    "category": category_labels[q],
                    "kind": kind,
                    "rank": 0,
                    "index": -1,
                    "label": f"rest ({ranked.rest_count} others)",
                    "amount": math.nan,
                    "contribution": float(ranked.rest),
                    "share": _share(ranked.rest, score),
                }
            )
    frame = pd.DataFrame(
        rows,
        columns=["category", "kind", "rank", "index", "label", "amount", "contribution", "share"],
    )
    frame.attrs["scores"] = {category_labels[q]: float(result.scores[q]) for q in cats}
    frame.attrs["units"] = {category_labels[q]: _category_units(model)[q] for q in cats}
    return frame


def _share(value: float, total: float) -> float:
    return float(value) / total if total != 0.0 else math.nan


def upstream(lca: Lca, demand: Any, category: Any = 0, top: int | None = 10) -> pd.DataFrame:
    """Cumulative (upstream) scores: for each activity, the score of everything it makes for
    this demand, its whole supply chain included (y_j A_jj s_j, y from one transposed solve).

    Columns index, label, supply, direct, cumulative, share (cumulative / score), ranked by
    |cumulative|. Activities in loops count the loop more than once: these do not add up to
    the score (the direct contributions do).
    """
    q = _category(lca.model, category)
    a = _core.analyze_score(lca._cpp, _dense_demand(lca, demand), q)
    cumulative = a.upstream_scores()
    direct = a.process_contributions()
    top_n = -1 if top is None else _convert.integer(top, "top", (0, 2**63 - 1))
    ranked = _core.rank_contributions(cumulative, top_n)
    idx = ranked.indices
    labels = _activity_labels(lca.model)
    frame = pd.DataFrame(
        {
            "index": idx,
            "label": [labels[i] for i in idx],
            "supply": a.supply[idx],
            "direct": direct[idx],
            "cumulative": cumulative[idx],
            "share": cumulative[idx] / a.score if a.score != 0 else np.nan,
        }
    )
    frame.attrs["score"] = a.score
    frame.attrs["category"] = _category_labels(lca.model)[q]
    return frame


# ---- supply-chain tree ---------------------------------------------------------------------
@dataclass(eq=False)
class TreeNode:
    """One node of a supply-chain tree: a product amount and its impacts.

    direct: impact of making `amount` (its own emissions only); cumulative: with its whole
    supply chain; rest: the summed cumulative impact of its inputs below the cutoff (not
    nodes). For an expanded node, cumulative = direct + sum(children) + rest. loop: the
    product already appears among its ancestors.
    """

    activity: int
    label: str
    depth: int
    amount: float
    direct: float
    cumulative: float
    share: float
    rest: float
    rest_count: int
    loop: bool
    expanded: bool
    children: list[TreeNode] = field(default_factory=list)

    def walk(self) -> Iterable[TreeNode]:
        """This node and everything below it, depth first (iteratively)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def __repr__(self) -> str:
        return (
            f"<TreeNode {self.label!r} depth={self.depth} cumulative={self.cumulative:.4g} "
            f"direct={self.direct:.4g} children={len(self.children)}>"
        )


class Tree:
    """A supply-chain tree (hiili::supply_chain_tree) with labels.

    root is the demanded product (or a virtual "demand" node, activity -1, when the demand
    names several); nodes lists every node in creation order (parents before children).
    """

    def __init__(self, core: _core.SupplyTree, model: Model) -> None:
        self._core = core
        self._model = model
        self.score: float = core.score
        self.category: int = core.category
        self.truncated: bool = core.truncated
        labels = _activity_labels(model)
        cols = core.columns
        self.nodes: list[TreeNode] = []
        for t in range(len(cols["activity"])):
            a = int(cols["activity"][t])
            cumulative = float(cols["cumulative"][t])
            self.nodes.append(
                TreeNode(
                    activity=a,
                    label=labels[a] if a >= 0 else "demand",
                    depth=int(cols["depth"][t]),
                    amount=float(cols["amount"][t]),
                    direct=float(cols["direct"][t]),
                    cumulative=cumulative,
                    share=_share(cumulative, self.score),
                    rest=float(cols["rest"][t]),
                    rest_count=int(cols["rest_count"][t]),
                    loop=bool(cols["loop"][t]),
                    expanded=bool(cols["expanded"][t]),
                )
            )
        self._parents = [int(p) for p in cols["parent"]]
        for node, core_node in zip(self.nodes, core.nodes, strict=True):
            node.children = [self.nodes[c] for c in core_node.children]
        self.root: TreeNode = self.nodes[0]

    def __len__(self) -> int:
        return len(self.nodes)

    def parent(self, node: int) -> int:
        """The index (in nodes) of node's parent; -1 for the root."""
        return self._parents[node]

    def to_json(self, indent: int | None = None) -> str:
        """Nested JSON: {"category", "score", "cutoff", ..., "root": {"activity", "label",
        "amount", "direct", "cumulative", "share", "rest", "loop", "children": [...]}}."""
        return self._core.to_json(self._model._cpp.activities, -1 if indent is None else indent)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.to_json())

    def to_frame(self) -> pd.DataFrame:
        """One row per node: node, parent, depth, activity, label, amount, direct, cumulative,
        share, rest, loop, expanded."""
        frame = pd.DataFrame(
            {
                "node": range(len(self.nodes)),
                "parent": self._parents,
                "depth": [n.depth for n in self.nodes],
                "activity": [n.activity for n in self.nodes],
                "label": [n.label for n in self.nodes],
                "amount": [n.amount for n in self.nodes],
                "direct": [n.direct for n in self.nodes],
                "cumulative": [n.cumulative for n in self.nodes],
                "share": [n.share for n in self.nodes],
                "rest": [n.rest for n in self.nodes],
                "loop": [n.loop for n in self.nodes],
                "expanded": [n.expanded for n in self.nodes],
            }
        )
        return frame

    def sankey(self, format: str = "d3", include_rest: bool = True) -> dict[str, Any]:
        """The tree as Sankey data: impact flows from each supplier to its consumer.

        format="d3": {"nodes": [{"id", "name", "activity", "depth", "direct", "cumulative",
        "loop"}], "links": [{"source", "target", "value", "signed_value"}]} (d3-sankey: source
        and target are node positions). format="plotly": a trace dict for
        plotly.graph_objects.Figure(data=[...]): {"type": "sankey", "node": {"label": [...]},
        "link": {"source", "target", "value", "label"}}. Values are |cumulative| (Sankey
        widths cannot be negative); signed_value keeps the sign (credits). include_rest adds
        one "other inputs" node per parent for the inputs below the cutoff.
        """
        if format not in ("d3", "plotly"):
            raise _core.InvalidInputError(f"sankey format must be 'd3' or 'plotly', got {format!r}")
        nodes: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for t, node in enumerate(self.nodes):
            nodes.append(
                {
                    "id": t,
                    "name": node.label,
                    "activity": node.activity,
                    "depth": node.depth,
                    "direct": node.direct,
                    "cumulative": node.cumulative,
                    "loop": node.loop,
                }
            )
            parent = self._parents[t]
            if parent >= 0:
                links.append(
                    {
                        "source": t,
                        "target": parent,
                        "value": abs(node.cumulative),
                        "signed_value": node.cumulative,
                    }
                )
        if include_rest:
            for t, node in enumerate(self.nodes):
                if node.rest_count > 0 and node.rest != 0.0:
                    nodes.append(
                        {
                            "id": len(nodes),
                            "name": f"other inputs ({node.rest_count})",
                            "activity": -1,
                            "depth": node.depth + 1,
                            "direct": 0.0,
                            "cumulative": node.rest,
                            "loop": False,
                        }
                    )
                    links.append(
                        {
                            "source": len(nodes) - 1,
                            "target": t,
                            "value": abs(node.rest),
                            "signed_value": node.rest,
                        }
                    )
        if format == "d3":
            return {"nodes": nodes, "links": links}
        return {
            "type": "sankey",
            "node": {"label": [n["name"] for n in nodes]},
            "link": {
                "source": [link["source"] for link in links],
                "target": [link["target"] for link in links],
                "value": [link["value"] for link in links],
                "label": [f"{link['signed_value']:.4g}" for link in links],
            },
        }

    def figure(self, **kwargs: Any) -> Figure:
        """A static picture of the tree (hiili.plots.tree)."""
        return plots.tree(self, **kwargs)

    def __repr__(self) -> str:
        return (
            f"<hiili.Tree nodes={len(self.nodes)} score={self.score:.6g} "
            f"root={self.root.label!r} truncated={self.truncated}>"
        )


def tree(
    lca: Lca,
    demand: Any,
    category: Any = 0,
    cutoff: float = 0.01,
    max_depth: int = 10,
    max_nodes: int = 10000,
    expand_loops: bool = False,
) -> Tree:
    """The supply-chain tree of the demand: best-first from the demand down through A.

    Inputs whose cumulative impact is below cutoff * |score| are summed into their parent's
    rest; nodes deeper than max_depth are not expanded; at most max_nodes nodes. Loops: by
    default a product that already appears among a node's ancestors is a leaf (loop=True)
    carrying its exact cumulative impact; expand_loops=True unrolls them like the power series.
    """
    options = _core.TreeOptions()
    options.cutoff = _convert.real(cutoff, "cutoff", "[0, 1]")
    options.max_depth = _convert.integer(max_depth, "max_depth", (0, 10000), _convert.INT32)
    options.max_nodes = _convert.integer(max_nodes, "max_nodes", (1, 2**63 - 1))
    options.expand_loops = bool(expand_loops)
    q = _category(lca.model, category)
    core = _core.supply_chain_tree(lca._cpp, _dense_demand(lca, demand), q, options)
    return Tree(core, lca.model)


# ---- structural paths ----------------------------------------------------------------------
def paths(
    lca: Lca,
    demand: Any,
    category: Any = 0,
    top: int = 100,
    cutoff: float = 1e-6,
    max_length: int = 50,
    max_expansions: int = 1_000_000,
    separator: str = " > ",
) -> pd.DataFrame:
    """The top structural paths by |value|: one row per path.

    Columns: rank, value (the path's term of the power series: the direct impact of its last
    activity reached along it), share (value / score), cumulative (value plus every longer
    path through it), amount (product delivered along it), length (edges), activities (tuple
    of indices from the demanded product down), path (labels joined by `separator`),
    first/last labels. frame.attrs: score, coverage (sum of values / score), complete (the
    search proved no other path can enter the top; False when max_expansions stopped it),
    expansions. Paths may revisit products (loops): every round trip is its own, smaller path.
    """
    options = _core.PathOptions()
    options.top = _convert.integer(top, "top", (1, 2**63 - 1))
    options.cutoff = _convert.real(cutoff, "cutoff", "[0, 1]")
    options.max_length = _convert.integer(max_length, "max_length", (0, 2**63 - 1))
    options.max_expansions = _convert.integer(max_expansions, "max_expansions", (1, 2**63 - 1))
    q = _category(lca.model, category)
    result = _core.structural_paths(lca._cpp, _dense_demand(lca, demand), q, options)
    labels = _activity_labels(lca.model)
    rows = []
    for r, p in enumerate(result.paths, 1):
        acts = tuple(int(a) for a in p.activities)
        rows.append(
            {
                "rank": r,
                "value": p.value,
                "share": p.share,
                "cumulative": p.cumulative,
                "amount": p.amount,
                "length": len(acts) - 1,
                "activities": acts,
                "path": separator.join(labels[a] for a in acts),
                "first": labels[acts[0]],
                "last": labels[acts[-1]],
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "rank",
            "value",
            "share",
            "cumulative",
            "amount",
            "length",
            "activities",
            "path",
            "first",
            "last",
        ],
    )
    frame.attrs.update(
        score=result.score,
        category=_category_labels(lca.model)[q],
        coverage=result.coverage,
        complete=result.complete,
        expansions=result.expansions,
    )
    return frame


# ---- sensitivity ---------------------------------------------------------------------------
class Sensitivity:
    """Derivatives of one score to every entry of A, B and C (one transposed solve).

    A, B, C: scipy.sparse CSC arrays with exactly the model's patterns (read-only):
    dh/dA_ij = -y_i s_j, dh/dB_fj = c_qf s_j, dh/dC_pf = g_f for p = q (0 elsewhere).
    top(n) ranks entries by |elasticity| = |dh/dx * x / h|.
    """

    def __init__(self, core: _core.Sensitivity, model: Model) -> None:
        self._core = core
        self.model = model
        self.score: float = core.score
        self.category: int = core.category
        self.A: sp.csc_array = _convert.csc_view(core.A)
        self.B: sp.csc_array = _convert.csc_view(core.B)
        self.C: sp.csc_array = _convert.csc_view(core.C)

    @property
    def supply(self) -> np.ndarray:
        return self._core.supply

    @property
    def inventory(self) -> np.ndarray:
        return self._core.inventory

    @property
    def adjoint(self) -> np.ndarray:
        """y = A^-T B^T c_q: the cumulative score of one unit of each product."""
        return self._core.adjoint

    def derivatives(self, matrix: str) -> sp.csc_array:
        return {"A": self.A, "B": self.B, "C": self.C}[_matrix_name(matrix)]

    def elasticities(self, matrix: str) -> sp.csc_array:
        """dh/dx * x / h on the pattern of `matrix` ("A", "B" or "C")."""
        name = _matrix_name(matrix)
        D = self.derivatives(name)
        values = getattr(self.model, name).data
        with np.errstate(invalid="ignore", divide="ignore"):
            data = D.data * values / self.score
        return sp.csc_array((data, D.indices, D.indptr), shape=D.shape)

    def top(self, n: int | None = 20, matrices: str = "ABC") -> pd.DataFrame:
        """The n entries with the largest |elasticity| (None: every nonzero one), over the
        matrices named in `matrices` (e.g. "A", "AB"): columns matrix, row, col, row_label,
        col_label, value, derivative, elasticity, and effect_10pct (the relative change of the
        score, to first order, when the entry grows by 10 %)."""
        unknown = set(matrices) - set(_MATRIX_NAMES)
        if unknown:
            raise _core.InvalidInputError(f"matrices must be letters of 'ABC', got {matrices!r}")
        raw = self._core.top(
            -1 if n is None else _convert.integer(n, "n", (0, 2**63 - 1)),
            "A" in matrices,
            "B" in matrices,
            "C" in matrices,
        )
        model = self.model
        activities, flows, categories = (
            _activity_labels(model),
            _flow_labels(model),
            _category_labels(model),
        )
        row_tables = (activities, flows, categories)
        col_tables = (activities, activities, flows)
        kinds = raw["matrix"]
        frame = pd.DataFrame(
            {
                "matrix": [_MATRIX_NAMES[k] for k in kinds],
                "row": raw["row"],
                "col": raw["col"],
                "row_label": [row_tables[k][r] for k, r in zip(kinds, raw["row"], strict=True)],
                "col_label": [col_tables[k][c] for k, c in zip(kinds, raw["col"], strict=True)],
                "value": raw["value"],
                "derivative": raw["derivative"],
                "elasticity": raw["elasticity"],
            }
        )
        frame["effect_10pct"] = 0.1 * frame["elasticity"]
        frame.attrs["score"] = self.score
        return frame

    def __repr__(self) -> str:
        return f"<hiili.Sensitivity category={self.category} score={self.score:.6g}>"


def sensitivity(lca: Lca, demand: Any, category: Any = 0) -> Sensitivity:
    """All derivatives of the score of `category` for `demand` (see Sensitivity)."""
    q = _category(lca.model, category)
    core = _core.sensitivity(lca._cpp, _dense_demand(lca, demand), q)
    return Sensitivity(core, lca.model)


# ---- the methods of hiili.Lca --------------------------------------------------------------
class AnalysisMixin:
    """The analysis methods of hiili.Lca; each delegates to the function of the same name in
    hiili.analysis (see there for the arguments)."""

    def contributions(self, demand: Any, category: Any = 0, top: int | None = 10) -> pd.DataFrame:
        """Process and flow contributions, top-N with the rest summed (analysis.contributions)."""
        return contributions(self, demand, category, top)  # type: ignore[arg-type]

    def upstream(self, demand: Any, category: Any = 0, top: int | None = 10) -> pd.DataFrame:
        """Cumulative (supply-chain) scores of the activities (analysis.upstream)."""
        return upstream(self, demand, category, top)  # type: ignore[arg-type]

    def tree(
        self,
        demand: Any,
        cutoff: float = 0.01,
        max_depth: int = 10,
        *,
        category: Any = 0,
        max_nodes: int = 10000,
        expand_loops: bool = False,
    ) -> Tree:
        """The supply-chain tree of the demand (analysis.tree)."""
        return tree(self, demand, category, cutoff, max_depth, max_nodes, expand_loops)  # type: ignore[arg-type]

    def paths(self, demand: Any, category: Any = 0, top: int = 100, **options: Any) -> pd.DataFrame:
        """The top structural paths, one row per path (analysis.paths)."""
        return paths(self, demand, category, top, **options)  # type: ignore[arg-type]

    def sensitivity(self, demand: Any, category: Any = 0) -> Sensitivity:
        """Derivatives of the score to every entry of A, B, C (analysis.sensitivity)."""
        return sensitivity(self, demand, category)  # type: ignore[arg-type]

    def what_if(
        self, demand: Any, scenarios: Scenario | Iterable[Scenario], **options: Any
    ) -> pd.DataFrame | WhatIf:
        """Scores under each scenario, side by side (analysis.what_if)."""
        return what_if(self, demand, scenarios, **options)  # type: ignore[arg-type]


__all__ = [
    "AnalysisMixin",
    "Scenario",
    "Sensitivity",
    "Tree",
    "TreeNode",
    "WhatIf",
    "contributions",
    "display_labels",
    "paths",
    "sensitivity",
    "tree",
    "upstream",
    "what_if",
]
