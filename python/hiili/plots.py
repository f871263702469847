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
from ._common import display_labels

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .analysis import Sensitivity, Tree

_POSITIVE = "#c0504d"  # adds to the impact
_NEGATIVE = "#4f81bd"  # reduces it (credits)
_REST = "#a6a6a6"


def _blank_figure(size: tuple[float, float]) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover
        raise ImportError("hiili.plots needs matplotlib: pip install 'hiili[plots]'") from e
    return Figure(figsize=size, layout="constrained")


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = _blank_figure(size)
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
    """Horizontal bars of the top contributions and the rest, one panel per category.

    frame: from lca.contributions(); kind: "process" or "flow"; category: a label in
    frame.category (default: every category in the table, one panel each; with ax= the table
    must then hold one category, else hiili.InvalidInputError). Bars are shares of the score
    in %, red where they add to it and blue where they reduce it; the rest is grey. Titles
    carry the score and its unit.
    """
    if kind not in ("process", "flow"):
        raise _core.InvalidInputError(f"kind must be 'process' or 'flow', got {kind!r}")
    if frame.empty:
        raise _core.InvalidInputError("contributions: the table is empty")
    categories = list(dict.fromkeys(frame["category"])) if category is None else [category]
    if ax is not None and len(categories) > 1:
        raise _core.InvalidInputError(
            f"contributions: the table has {len(categories)} categories and ax= draws one: "
            "pass category= (or no ax, for one panel per category)"
        )
    panels = [_contribution_bars(frame, kind, c, label_width) for c in categories]
    if ax is not None:
        fig = ax.figure
        axes = [ax]
    else:
        fig = _blank_figure((8.0, sum(0.45 * len(p[0]) + 1.6 for p in panels)))
        ratios = [len(p[0]) + 3 for p in panels]
        axes = list(np.atleast_1d(fig.subplots(len(panels), 1, height_ratios=ratios)))
    for axis, (labels, values, colors, title) in zip(axes, panels, strict=True):
        _draw_bars(axis, labels, values, colors, title)
    return fig


def _contribution_bars(
    frame: pd.DataFrame, kind: str, category: Any, label_width: int
) -> tuple[list[str], list[float], list[str], str]:
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
    score = frame.attrs.get("scores", {}).get(category)
    unit = frame.attrs.get("units", {}).get(category, "")
    title = f"{category}: {kind} contributions"
    if score is not None:
        title += f", total {_amount(score, unit)}"
    return labels, values, colors, title


def _draw_bars(
    ax: Axes, labels: list[str], values: list[float], colors: list[str], title: str
) -> None:
    y = np.arange(len(values))
    bars = ax.barh(y, values, color=colors)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.bar_label(bars, labels=[f"{v:.1f} %" for v in values], padding=3, fontsize=8)
    ax.margins(x=0.15)
    ax.set_title(title)
    ax.set_xlabel("share of the score (%)")


def _amount(value: float, unit: str) -> str:
    """4.49e+06 kg CO2 eq: a score with its unit, 4 significant digits."""
    return f"{value:.4g} {unit}".rstrip()


def _category_unit(model: Any, q: int) -> tuple[str, str]:
    """(label, unit) of category q ('' when the model's categories have no unit column)."""
    table = model._cpp.categories
    label = display_labels(table, model.k)[q]
    unit = str(table.column("unit")[q]) if "unit" in table.column_names() else ""
    return label, unit


def tree(
    tree: Tree,
    *,
    max_depth: int | None = None,
    min_share: float = 0.0,
    label_width: int = 34,
    ax: Axes | None = None,
) -> Figure:
    """The supply chain as an icicle diagram: where the score comes from, level by level.

    Column 0 is the demand, its bar the whole |score|. Each bar's span is split in the next
    column into its suppliers (red adds, blue credits; loops hatched), its own direct impact
    (dark, "direct: ...") and the rest: inputs below the tree's cutoff, below min_share or
    deeper than max_depth (grey, "rest: N inputs"). So each column adds up to its parent and
    every part is named. Bars carry their full names, wrapped to label_width characters, as
    many lines as fit (with the share in %); the title carries the score and its unit. In an
    SVG (tree_svg) every bar also shows its full name, amount and share on hover.
    """
    total = abs(tree.score) or max((abs(n.cumulative) for n in tree.nodes), default=1.0) or 1.0
    deepest = max(n.depth for n in tree.nodes)
    depth_limit = deepest if max_depth is None else min(max_depth, deepest)
    columns = depth_limit + 2  # one more for the direct and rest parts of the last nodes
    fig, ax = _figure(ax, (2.6 * (columns + 1) + 0.6, 7.0))  # a column more for the key
    blocks: list[_Block] = []
    _layout(tree, 0, 0.0, total, depth_limit, min_share, blocks)
    used = max(b.depth for b in blocks) + 1
    height_pt = ax.figure.get_figheight() * 72.0 * 0.85  # the axes' height, about
    unlabelled = [
        b for t, b in enumerate(blocks) if not _draw_block(ax, b, t, label_width, height_pt)
    ]
    key = _key_of_small_parts(ax, unlabelled, used, label_width)
    # tree_svg's hover texts, by the bars' SVG ids.
    fig._hiili_titles = {f"hiili-block-{t}": b.hover or b.label for t, b in enumerate(blocks)}
    ax.set_xlim(0.0, used + (1 if key else 0))
    ax.set_ylim(1.0, 0.0)
    ax.set_xticks([d + 0.47 for d in range(used)], [f"level {d}" for d in range(used)])
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    label, unit = _category_unit(tree._model, tree.category)
    ax.set_title(
        f"Supply chain of {_short(tree.root.label, 60)}: {label} {_amount(tree.score, unit)}\n"
        "bar height = share of the score; dark: direct impact; grey: rest; hatched: loop",
        fontsize=9,
    )
    return fig


sankey = tree  # the static Sankey picture of Tree.sankey()'s data
_tree_figure = tree  # tree_svg's parameter is named tree too


def tree_svg(tree: Tree, **options: Any) -> str:
    """tree() as an SVG document in which every bar shows, on hover, its full name, amount and
    share (an SVG <title>): for HTML pages and reports. options as for tree()."""
    import io
    import re
    from xml.sax.saxutils import escape

    fig = _tree_figure(tree, **options)
    titles = getattr(fig, "_hiili_titles", {})
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    text = buffer.getvalue()

    def add_title(match: re.Match[str]) -> str:
        hover = titles.get(match.group(1), "")
        return f"{match.group(0)}<title>{escape(hover)}</title>"

    return re.sub(r'<g id="(hiili-block-\d+)">', add_title, text)


class _Block:
    """One bar of the icicle: a node, a node's direct impact, or a node's rest."""

    def __init__(
        self, depth: int, bottom: float, height: float, label: str, kind: str, value: float
    ) -> None:
        self.depth, self.bottom, self.height = depth, bottom, height
        self.label, self.kind, self.value = label, kind, value
        self.loop = False
        self.hover = ""


def _layout(
    tree: Tree,
    t: int,
    bottom: float,
    total: float,
    depth_limit: int,
    min_share: float,
    out: list[_Block],
) -> None:
    """Appends node t's bar, then splits its span in the next column (suppliers, direct, rest)."""
    node = tree.nodes[t]
    height = abs(node.cumulative) / total
    block = _Block(node.depth, bottom, height, node.label, "node", node.cumulative)
    block.loop = node.loop
    block.hover = f"{node.label}\namount {node.amount:.4g}\n{100 * node.cumulative / total:.1f} %"
    out.append(block)
    shown = [
        c
        for c in node.children
        if c.depth <= depth_limit and abs(c.cumulative) / total >= min_share
    ]
    if node.depth >= depth_limit + 1 or (not node.children and node.direct == node.cumulative):
        return
    cursor = bottom
    index = {id(n): i for i, n in enumerate(tree.nodes)}
    for child in shown:
        _layout(tree, index[id(child)], cursor, total, depth_limit, min_share, out)
        cursor += abs(child.cumulative) / total
    direct = min(abs(node.direct) / total, max(bottom + height - cursor, 0.0))
    if direct > 0:
        out.append(
            _Block(node.depth + 1, cursor, direct, f"direct: {node.label}", "direct", node.direct)
        )
        out[-1].hover = f"direct impact of {node.label}\n{100 * node.direct / total:.1f} %"
        cursor += direct
    rest = bottom + height - cursor
    if rest > 1e-9:
        others = node.rest_count + len(node.children) - len(shown)
        label = f"rest: {others} other inputs" if others else "rest"
        out.append(_Block(node.depth + 1, cursor, rest, label, "rest", rest * total))
        out[-1].hover = f"{label} of {node.label}\n{100 * rest:.1f} %"


def _key_of_small_parts(ax: Axes, small: list[_Block], column: int, label_width: int) -> bool:
    """Names the largest bars too thin for their whole name in one more column; False when
    there are none."""
    small = sorted(
        (b for b in small if b.kind == "node" and b.height >= 0.002),
        key=lambda b: -b.height,
    )[:14]
    if not small:
        return False
    import textwrap

    lines = ["Too thin for the whole name (level, name, share):"]
    for b in small:
        share = f"{100 * math.copysign(b.height, b.value):.1f} %"
        wrapped = textwrap.wrap(f"{b.depth}  {b.label}  {share}", label_width + 10)
        lines += [wrapped[0], *("      " + w for w in wrapped[1:])]
    ax.text(column + 0.02, 0.02, "\n".join(lines), va="top", fontsize=7, linespacing=1.4)
    return True


def _fit_label(label: str, percent: str, lines: int, width: int) -> tuple[list[str], bool]:
    """The name wrapped into at most `lines` lines with the share after it (on its own line
    where there is room), and whether the whole name fits (else it ends in "…")."""
    import textwrap

    for w in (width, width + 10):  # a column holds about width + 10 characters
        text = textwrap.wrap(label, w) or [""]
        if len(text) + 1 <= lines:
            return [*text, percent], True
        if len(text) <= lines:
            return [*text[:-1], f"{text[-1]}  {percent}"], True
    text = textwrap.wrap(label, width + 10)[:lines]
    text[-1] = f"{text[-1]} …  {percent}"
    return text, False


def _draw_block(ax: Axes, b: _Block, t: int, label_width: int, height_pt: float) -> bool:
    """Draws one bar, with its label where one line fits; returns whether its whole name shows
    (else the key beside the diagram names it)."""
    from matplotlib.patches import Rectangle

    if b.kind == "rest":
        face, alpha = _REST, 0.6
    else:
        face = _NEGATIVE if b.value < 0 else _POSITIVE
        alpha = 0.9 if b.kind == "direct" else 0.35
    patch = Rectangle(
        (b.depth, b.bottom),
        0.94,
        b.height,
        facecolor=face,
        alpha=alpha,
        edgecolor="white",
        linewidth=0.8,
        hatch="//" if b.loop else None,
    )
    patch.set_gid(f"hiili-block-{t}")
    ax.add_patch(patch)
    lines = int(b.height * height_pt // 8.5)  # 7 pt text, 8.5 pt a line
    if lines < 1:
        return False
    text, whole = _fit_label(
        b.label, f"{100 * math.copysign(b.height, b.value):.1f} %", lines, label_width
    )
    ax.text(
        b.depth + 0.02,
        b.bottom + b.height / 2,
        "\n".join(text),
        va="center",
        fontsize=7,
        color="white" if b.kind == "direct" else "black",
        clip_on=True,
    )
    return whole


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
    category, unit = _category_unit(sens.model, sens.category)
    ax.set_title(f"Sensitivity of {category}, score {_amount(sens.score, unit)}")
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
        unit = frame.attrs.get("units", {}).get(category, "")
        ax.set_ylabel("% of baseline" if relative else (unit or "score"))
        ax.set_title(f"{category}: scenarios" + (f", {unit}" if unit and not relative else ""))
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
    units = set(frame.attrs.get("units", {}).values())
    same = units.pop() if len(units) == 1 else ""  # one axis, one unit; else say so
    ax.set_ylabel("% of baseline" if relative else (same or "score (each in its category's unit)"))
    ax.set_title("Scenarios side by side")
    ax.legend(fontsize=8)
    return fig


__all__ = ["contributions", "sankey", "scenarios", "tornado", "tree", "tree_svg"]
