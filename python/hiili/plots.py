"""Figures for understanding a result (matplotlib; install hiili[plots]).

    from hiili import plots
    plots.contributions(lca.contributions(demand, top=10))     # bars: top-N + rest
    plots.tree(lca.tree(demand))                               # supply-chain tree / Sankey
    plots.tornado(lca.sensitivity(demand))                     # sensitivity tornado
    plots.scenarios(lca.what_if(demand, [sc1, sc2]))           # scenario comparison bars

Each function returns a matplotlib Figure (made without pyplot, so it works on any backend
and in scripts: fig.savefig("x.png")); pass ax= to draw into an existing Axes instead.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _core

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .analysis import Sensitivity, Tree

_POSITIVE = "#c0504d"  # adds to the impact
_NEGATIVE = "#4f81bd"  # reduces it (credits)
_REST = "#a6a6a6"


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    try:
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover
        raise ImportError("hiili.plots needs matplotlib: pip install 'hiili[plots]'") from e
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def contributions(
    frame: pd.DataFrame,
    kind: str = "process",
    category: Any = None,
    *,
    label_width: int = 40,
    ax: Axes | None = None,
) -> Figure:
    """Horizontal bars of the top contributions and the rest, for one category.

    frame: from lca.contributions(); kind: "process" or "flow"; category: a label in
    frame.category (default: the first). Bars are shares of the score in %, red where they
    add to it and blue where they reduce it; the rest is grey.
    """
    if kind not in ("process", "flow"):
        raise _core.InvalidInputError(f"kind must be 'process' or 'flow', got {kind!r}")
    if frame.empty:
        raise _core.InvalidInputError("contributions: the table is empty")
    if category is None:
        category = frame["category"].iloc[0]
    rows = frame[(frame["category"] == category) & (frame["kind"] == kind)]
    if rows.empty:
        raise _core.InvalidInputError(f"contributions: no {kind} rows for category {category!r}")
    listed = rows[rows["rank"] > 0]
    rest = rows[rows["rank"] == 0]
    labels = [_short(str(x), label_width) for x in listed["label"]]
    values = list(listed["share"] * 100.0)
    colors = [_POSITIVE if v >= 0 else _NEGATIVE for v in values]
    if not rest.empty and rest["contribution"].iloc[0] != 0.0:
        labels.append(str(rest["label"].iloc[0]))
        values.append(float(rest["share"].iloc[0]) * 100.0)
        colors.append(_REST)
    fig, ax = _figure(ax, (8.0, 0.45 * len(values) + 1.6))
    y = np.arange(len(values))
    bars = ax.barh(y, values, color=colors)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.bar_label(bars, labels=[f"{v:.1f} %" for v in values], padding=3, fontsize=8)
    ax.margins(x=0.15)
    score = frame.attrs.get("scores", {}).get(category)
    title = f"{category}: {kind} contributions"
    if score is not None:
        title += f" (total {score:.4g})"
    ax.set_title(title)
    ax.set_xlabel("share of the score (%)")
    return fig


def tree(
    tree: Tree,
    *,
    max_depth: int | None = None,
    min_share: float = 0.0,
    label_width: int = 28,
    ax: Axes | None = None,
) -> Figure:
    """The supply-chain tree as a Sankey-like partition diagram.

    Each column is one depth (the demand on the left); each node is a bar whose height is
    its share of |score| (|cumulative|), stacked inside its parent's span, with a band to its
    parent (impact flowing from supplier to consumer). The dark part of each bar is the
    node's direct impact; loop nodes are hatched; red adds, blue credits. Nodes below
    min_share (of |score|) or deeper than max_depth are left out.
    """
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path

    total = abs(tree.score) or max((abs(n.cumulative) for n in tree.nodes), default=1.0) or 1.0
    depth_limit = max(n.depth for n in tree.nodes) if max_depth is None else max_depth
    columns = depth_limit + 1
    fig, ax = _figure(ax, (3.2 * columns + 1.0, 6.0))
    width, gap = 0.22, 1.0  # bar width and column pitch (data units)
    spans: dict[int, tuple[float, float]] = {}  # node -> (bottom, top) in [0, 1]

    def draw(t: int, bottom: float) -> None:
        node = tree.nodes[t]
        height = abs(node.cumulative) / total
        spans[t] = (bottom, bottom + height)
        x = node.depth * gap
        color = _NEGATIVE if node.cumulative < 0 else _POSITIVE
        ax.add_patch(
            Rectangle(
                (x, bottom),
                width,
                height,
                facecolor=color,
                alpha=0.35,
                edgecolor=color,
                hatch="//" if node.loop else None,
                linewidth=0.6,
            )
        )
        direct = min(abs(node.direct) / total, height)
        ax.add_patch(
            Rectangle(
                (x, bottom + height - direct),
                width,
                direct,
                facecolor=color,
                alpha=0.9,
                linewidth=0,
            )
        )
        if height >= 0.03:  # room for one line of text
            ax.text(
                x + width + 0.03,
                bottom + height / 2,
                f"{_short(node.label, label_width)}  {100 * node.cumulative / total:.1f} %",
                va="center",
                fontsize=7,
                clip_on=True,
            )
        cursor = bottom
        for child in node.children:
            c = child_index[id(child)]
            if child.depth > depth_limit or abs(child.cumulative) / total < min_share:
                cursor += abs(child.cumulative) / total
                continue
            draw(c, cursor)
            cb, ct = spans[c]
            # Band from the child's bar (left edge) to its slot in the parent's bar.
            x0, x1 = child.depth * gap, x + width
            xm = (x0 + x1) / 2
            verts = [
                (x0, cb),
                (xm, cb),
                (xm, cb),
                (x1, cb),
                (x1, ct),
                (xm, ct),
                (xm, ct),
                (x0, ct),
                (x0, cb),
            ]
            codes = [
                Path.MOVETO,
                Path.CURVE4,
                Path.CURVE4,
                Path.CURVE4,
                Path.LINETO,
                Path.CURVE4,
                Path.CURVE4,
                Path.CURVE4,
                Path.CLOSEPOLY,
            ]
            band_color = _NEGATIVE if child.cumulative < 0 else _POSITIVE
            ax.add_patch(
                PathPatch(Path(verts, codes), facecolor=band_color, alpha=0.15, linewidth=0)
            )
            cursor = ct

    child_index = {id(n): t for t, n in enumerate(tree.nodes)}
    draw(0, 0.0)
    tops = [top for _, top in spans.values()]
    ax.set_xlim(-0.1, (columns - 1) * gap + width + 0.9)
    ax.set_ylim(max([*tops, 1.0]) * 1.02, 0.0)
    ax.set_xticks(
        [d * gap + width / 2 for d in range(columns)], [f"depth {d}" for d in range(columns)]
    )
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        f"Supply chain of {tree.root.label} (score {tree.score:.4g}; "
        f"dark: direct impact, hatched: loop)"
    )
    return fig


sankey = tree  # the static Sankey picture of Tree.sankey()'s data


def tornado(
    sens: Sensitivity,
    top: int = 15,
    *,
    matrices: str = "ABC",
    change: float = 0.1,
    label_width: int = 45,
    ax: Axes | None = None,
) -> Figure:
    """Tornado chart: the entries whose change moves the score most.

    For each of the `top` entries by |elasticity|, the bar spans the first-order relative
    change of the score (in %) when the entry moves by -change and +change (default ±10 %).
    """
    if not 0 < change <= 1 or not math.isfinite(change):
        raise _core.InvalidInputError(f"change must be in (0, 1], got {change}")
    frame = sens.top(top, matrices)
    if frame.empty:
        raise _core.InvalidInputError("tornado: no entry changes the score")
    labels = [
        _entry_label(m, i, j, r, c, label_width // 2)
        for m, i, j, r, c in zip(
            frame["matrix"],
            frame["row"],
            frame["col"],
            frame["row_label"],
            frame["col_label"],
            strict=True,
        )
    ]
    e = frame["elasticity"].to_numpy() * change * 100.0
    fig, ax = _figure(ax, (8.0, 0.4 * len(e) + 1.6))
    y = np.arange(len(e))
    ax.barh(y, e, color=_POSITIVE, label=f"entry +{change:.0%}")
    ax.barh(y, -e, color=_NEGATIVE, label=f"entry -{change:.0%}")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel("change of the score (%), first order")
    from .analysis import display_labels

    category = display_labels(sens.model._cpp.categories, sens.model.k)[sens.category]
    ax.set_title(f"Sensitivity of {category} (score {sens.score:.4g})")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def _entry_label(matrix: str, row: int, col: int, rlabel: str, clabel: str, width: int) -> str:
    """A: "input → activity" (or "output of X" on the diagonal); B: "flow from activity";
    C: "factor of flow"."""
    r, c = _short(str(rlabel), width), _short(str(clabel), width)
    if matrix == "A":
        return f"A: output of {c}" if row == col else f"A: {r} → {c}"
    if matrix == "B":
        return f"B: {r} from {c}"
    return f"C: factor of {c}"


def scenarios(
    frame: pd.DataFrame,
    category: Any = None,
    *,
    relative: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Scenario comparison bars from lca.what_if().

    category=None: grouped bars for every category (relative=True draws each as % of the
    baseline, which makes categories of different units comparable); a category label: one
    bar per scenario for that category, with its change against the baseline written on it.
    """
    if hasattr(frame, "scores") and not isinstance(frame, pd.DataFrame):
        frame = frame.scores  # a WhatIf
    if "baseline" not in frame.columns:
        raise _core.InvalidInputError("scenarios: expected the table of lca.what_if()")
    data = frame
    if relative:
        with np.errstate(divide="ignore", invalid="ignore"):
            data = frame.div(frame["baseline"], axis=0) * 100.0
    if category is not None:
        if category not in frame.index:
            raise _core.InvalidInputError(f"scenarios: no category {category!r}")
        row = data.loc[category]
        fig, ax = _figure(ax, (1.3 * len(row) + 3.0, 4.5))
        x = np.arange(len(row))
        colors = [_REST] + [_POSITIVE if v > row.iloc[0] else _NEGATIVE for v in row.iloc[1:]]
        bars = ax.bar(x, row.to_numpy(), color=colors)
        base = frame.loc[category, "baseline"]
        texts = ["baseline"] + [
            f"{100 * (v / base - 1):+.1f} %" if base != 0 else ""
            for v in frame.loc[category].iloc[1:]
        ]
        ax.bar_label(bars, labels=texts, padding=3, fontsize=8)
        ax.set_xticks(x, list(row.index), rotation=20, ha="right")
        ax.set_ylabel("% of baseline" if relative else "score")
        ax.set_title(f"{category}: scenarios")
        ax.margins(y=0.15)
        return fig
    k, s = data.shape
    fig, ax = _figure(ax, (max(6.0, 1.2 * k * s / 2 + 3.0), 4.8))
    x = np.arange(k)
    w = 0.8 / s
    for t, name in enumerate(data.columns):
        ax.bar(
            x + (t - (s - 1) / 2) * w,
            data[name].to_numpy(),
            w,
            label=str(name),
            color=_REST if name == "baseline" else None,
        )
    ax.set_xticks(x, [str(c) for c in data.index], rotation=20, ha="right")
    if relative:
        ax.axhline(100.0, color="black", linewidth=0.8)
    ax.set_ylabel("% of baseline" if relative else "score")
    ax.set_title("Scenarios side by side")
    ax.legend(fontsize=8)
    return fig


__all__ = ["contributions", "sankey", "scenarios", "tornado", "tree"]
