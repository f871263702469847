"""The HTML report of a footprint: one self-contained file (figures are inline SVG images as
data: URIs, no scripts, no external files) that opens in any browser."""

from __future__ import annotations

import base64
import html
import io
import os
from typing import Any

import numpy as np
import pandas as pd

from .compute import ALL_MEASURES, FootprintResult

SCOPE_COLOURS = {"1": "#b2182b", "2": "#ef8a62", "3": "#67a9cf"}
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f0f0f0; } img { max-width: 100%; } .note { color: #555; font-size: 0.9em; }
.warning { border: 2px solid #d73027; background: #fff5f0; padding: 0.4em 1em; }
"""


def write_report(
    result: FootprintResult,
    path: str | os.PathLike[str],
    title: str | None = None,
    *,
    organisation: str | None = None,
    period: str | None = None,
) -> None:
    """Writes the report of ``result`` to ``path`` (HTML, UTF-8); see render()."""
    text = render(result, title, organisation=organisation, period=period)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def render(
    result: FootprintResult,
    title: str | None = None,
    *,
    organisation: str | None = None,
    period: str | None = None,
) -> str:
    """The report as an HTML string. The title is ``title`` when given, else "Carbon footprint
    of ORGANISATION, PERIOD" (period default: the reported years, e.g. "2022-2023")."""
    title = title or default_title(result, organisation, period)
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        _summary(result),
        _section_warnings(result),
        _section_totals(result),
        _section_categories(result),
        _section_year_on_year(result),
        _section_measures(result),
        _section_method(result),
    ]
    body = "\n".join(s for s in sections if s)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def default_title(
    result: FootprintResult, organisation: str | None = None, period: str | None = None
) -> str:
    """ "Carbon footprint of Hilltop School, 2022-2023"; without an organisation "Carbon
    footprint, 2022-2023"."""
    if not period:
        years = [int(y) for y in result.meta["years"]]
        period = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    who = f" of {organisation}" if organisation else ""
    return f"Carbon footprint{who}, {period}"


# ---- sections ---------------------------------------------------------------------------------


def _summary(result: FootprintResult) -> str:
    meta, totals = result.meta, result.totals
    last = totals.index[-1]
    text = (
        f"<p>Total {last}: <b>{_t(totals.loc[last, 'kgco2e'])} t CO2e</b>"
        f"{_interval(totals.loc[last])} ({meta['indicator']}, model {html.escape(meta['model'])}"
        f", {meta['sectors']} sectors, USD of {meta['model_year']}).</p>"
    )
    return text


def _section_warnings(result: FootprintResult) -> str:
    texts = result.meta.get("warnings", [])
    if not texts:
        return ""
    items = "".join(f"<li>{html.escape(t)}</li>" for t in texts)
    return f'<div class="warning"><b>Read with care:</b><ul>{items}</ul></div>'


def _section_totals(result: FootprintResult) -> str:
    frame = result.by_scope.reset_index()
    table = _table(
        frame,
        {"year": "Year", "scope": "Scope-like group", "kgco2e": "t CO2e", "share": "Share"},
        result,
    )
    totals = _table(result.totals.reset_index(), {"year": "Year", "kgco2e": "t CO2e"}, result)
    return (
        "<h2>Footprint by year and scope</h2>"
        + totals
        + table
        + _img(_figure_scopes(result), "Footprint by year and scope-like group")
    )


def _section_categories(result: FootprintResult) -> str:
    year = result.totals.index[-1]
    frame = result.by_category.loc[year].sort_values("kgco2e", ascending=False).reset_index()
    columns = {
        "category": "Category",
        "group": "Group",
        "scope": "Scope",
        "amount": "Amount",
        "unit": "Unit",
        "model_usd": f"USD {result.meta['model_year']}",
        "kgco2e": "t CO2e",
        "share": "Share",
    }
    return (
        f"<h2>Contributions in {year}</h2>"
        + _img(_figure_contributions(frame, result), f"Contributions by category in {year}")
        + _table(frame, columns, result)
    )


def _section_year_on_year(result: FootprintResult) -> str:
    if result.year_on_year.empty:
        return "<h2>Year on year</h2><p>One year of data: no comparison.</p>"
    yoy = result.year_on_year
    columns = {
        "from": "From",
        "to": "To",
        "kgco2e_from": "t CO2e before",
        "kgco2e_to": "t CO2e after",
        "change": "Change, t CO2e",
        "change_pct": "Change, %",
        "p_decrease": "P(decrease)",
    }
    by_cat = result.yoy_by_category.reset_index()
    cat_columns = {
        "category": "Category",
        "kgco2e_from": "t CO2e before",
        "kgco2e_to": "t CO2e after",
        "change": "Change, t CO2e",
    }
    return (
        "<h2>Year on year</h2>"
        + _table(yoy, columns, result, interval_of="change")
        + _img(_figure_year_on_year(result), "Change by category")
        + _table(by_cat, cat_columns, result, interval_of=None)
    )


def _section_measures(result: FootprintResult) -> str:
    if result.measures.empty:
        return ""
    frame = result.measures
    columns = {
        "rank": "Rank",
        "measure": "Measure",
        "description": "What",
        "reduction": "Reduction, t CO2e",
        "reduction_pct": "Reduction, %",
        "p_reduction": "P(reduction > 0)",
    }
    year = int(frame["year"].iloc[0])
    return (
        f"<h2>Reduction measures (on {year})</h2>"
        + _img(_figure_measures(result), "Reduction measures ranked by effect")
        + _table(frame, columns, result, interval_of="reduction")
    )


def _section_method(result: FootprintResult) -> str:
    """How the numbers were made, complete without any other document."""
    meta = result.meta
    mc = (
        f"{meta['iterations']} Monte Carlo iterations (seed {meta['seed']}); the intervals are "
        "the 2.5 % and 97.5 % quantiles. Every year, category and measure is evaluated on the "
        "same draws (common random numbers), so changes and reductions are paired, and "
        "P(decrease) and P(reduction &gt; 0) are the shares of draws where that happens."
        if meta["iterations"]
        else "No Monte Carlo run (0 iterations): deterministic values only, no intervals."
    )
    paragraphs = [
        "<b>Model.</b> An environmentally extended input-output model "
        f"({html.escape(str(meta['model']))}, {meta['sectors']} sectors, indicator "
        f"{html.escape(str(meta['indicator']))} in {html.escape(str(meta['unit']))}): each "
        "sector's greenhouse-gas emissions per dollar of its output, counting its whole supply "
        "chain. Amounts here are tonnes of CO2 equivalent (t CO2e = 1,000 kg).",
        "<b>Activity data to dollars.</b> Physical amounts (kWh, litres, km, kg) are converted "
        f"to US dollars of {meta['model_year']} with documented average retail prices; spend "
        f"is moved from its year to {meta['model_year']} with the US consumer price index "
        "(CPI-U). Fuels burnt on site (natural gas, diesel, gasoline) are also counted directly "
        "with US EPA emission factors (scope 1).",
        "<b>Purchaser and producer prices.</b> The model's dollars are producer prices: what "
        "the producing sector receives. Spend and the retail prices used are purchaser prices: "
        "they include taxes and trade and transport margins. They are assigned to the "
        "producing sector whole, without splitting off the margins, which overstates the "
        "footprint of goods with large retail margins (typically by tens of percent) and less "
        "so of energy bought from utilities; fuel taxes overstate fuel purchases too.",
        "<b>Scopes.</b> Scope-like groups, not a GHG Protocol inventory: scope 1 direct "
        "combustion, scope 2 purchased electricity and heat, scope 3 supply chains, travel, "
        "purchases and waste.",
        f"<b>Uncertainty.</b> {mc} The model's files carry no uncertainty; it is attached "
        f"here: lognormal, geometric standard deviation {meta.get('gsd_a', '?')} on the "
        f"model's technosphere coefficients, {meta.get('gsd_b', '?')} on its emission "
        "intensities, and per category on prices and emission factors.",
        "<b>Limits.</b> US prices and US supply chains; car travel counts fuel only; air "
        "travel has no radiative-forcing multiplier.",
    ]
    body = "".join(f'<p class="note">{p}</p>' for p in paragraphs)
    return f"<h2>Method</h2>{body}"


# ---- tables -----------------------------------------------------------------------------------


def _table(
    frame: pd.DataFrame,
    columns: dict[str, str],
    result: FootprintResult,
    interval_of: str | None = "kgco2e",
) -> str:
    with_interval = interval_of is not None and f"{_prefix(interval_of)}low" in frame.columns
    with_interval = with_interval and bool(result.meta["iterations"])
    head = "".join(f"<th>{html.escape(v)}</th>" for v in columns.values())
    if with_interval:
        head += "<th>95 % interval, t CO2e</th>"
    rows = []
    for record in frame.to_dict("records"):
        cells = [_cell(k, record.get(k)) for k in columns]
        if with_interval:
            p = _prefix(interval_of)
            cells.append(
                f'<td class="num">{_t(record[p + "low"])} to {_t(record[p + "high"])}</td>'
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _prefix(column: str) -> str:
    return "" if column == "kgco2e" else f"{column}_"


def _cell(column: str, value: Any) -> str:
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return "<td></td>"
        if column in ("share", "p_decrease", "p_reduction"):
            return f'<td class="num">{100 * value:.1f} %</td>'
        if column.endswith("_pct"):
            return f'<td class="num">{value:+.1f}</td>'
        if column in ("kgco2e", "kgco2e_from", "kgco2e_to", "change", "reduction"):
            return f'<td class="num">{_t(value)}</td>'
        return f'<td class="num">{value:,.0f}</td>'
    if isinstance(value, int | np.integer):
        return f'<td class="num">{value}</td>'
    return f"<td>{html.escape('' if value is None else str(value))}</td>"


def _t(kg: float) -> str:
    """kg as tonnes with 3 significant digits at least."""
    t = kg / 1000.0
    return f"{t:,.1f}" if abs(t) >= 100 else f"{t:,.2f}"


def _interval(row: pd.Series) -> str:
    if "low" not in row or np.isnan(row["low"]):
        return ""
    return f" (95 % interval {_t(row['low'])} to {_t(row['high'])})"


# ---- figures ----------------------------------------------------------------------------------


def _pyplot() -> Any:
    """pyplot, in whatever backend is active (the command line selects Agg; a notebook keeps
    its inline backend so that the figure_* functions display)."""
    import matplotlib.pyplot as plt

    return plt


def _img(figure: Any, alt: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    _pyplot().close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<p><img alt="{html.escape(alt)}" src="data:image/svg+xml;base64,{data}"></p>'


def _errors(frame: pd.DataFrame, value: str, prefix: str = "") -> np.ndarray | None:
    low, high = f"{prefix}low", f"{prefix}high"
    if low not in frame.columns or frame[low].isna().all():
        return None
    v = frame[value].to_numpy() / 1000.0
    return np.vstack(
        [v - frame[low].to_numpy() / 1000.0, frame[high].to_numpy() / 1000.0 - v]
    ).clip(min=0.0)


def figure_contributions(result: FootprintResult, year: int | None = None) -> Any:
    """Horizontal bars: t CO2e by category in ``year`` (default the last), coloured by scope,
    with 95 % intervals when there was a Monte Carlo run."""
    year = result.totals.index[-1] if year is None else year
    frame = result.by_category.loc[year].sort_values("kgco2e", ascending=False).reset_index()
    return _figure_contributions(frame, result)


def _figure_contributions(frame: pd.DataFrame, result: FootprintResult) -> Any:
    plt = _pyplot()
    frame = frame.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(frame) + 1.2))
    left = np.zeros(len(frame))
    for scope, colour in SCOPE_COLOURS.items():
        width = frame[f"scope{scope}"].to_numpy() / 1000.0
        ax.barh(frame["category"], width, left=left, color=colour)
        left += width
    errors = _errors(frame, "kgco2e")
    if errors is not None:
        ax.errorbar(
            frame["kgco2e"] / 1000.0,
            frame["category"],
            xerr=errors,
            fmt="none",
            ecolor="#444444",
            capsize=2,
        )
    ax.set_xlabel("t CO2e")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in SCOPE_COLOURS.values()]
    ax.legend(handles, ["scope 1", "scope 2", "scope 3"], loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return fig


def figure_scopes(result: FootprintResult) -> Any:
    """Stacked bars: t CO2e per year by scope-like group, with the total's 95 % interval."""
    return _figure_scopes(result)


def _figure_scopes(result: FootprintResult) -> Any:
    plt = _pyplot()
    table = result.by_scope["kgco2e"].unstack("scope").fillna(0.0) / 1000.0
    fig, ax = plt.subplots(figsize=(6, 3.6))
    bottom = np.zeros(len(table))
    labels = [str(y) for y in table.index]
    for name in table.columns:
        colour = SCOPE_COLOURS.get(name.split(":")[0][-1], "#999999")
        ax.bar(labels, table[name], bottom=bottom, color=colour, label=name)
        bottom += table[name].to_numpy()
    totals = result.totals
    errors = _errors(totals, "kgco2e")
    if errors is not None:
        ax.errorbar(
            labels, totals["kgco2e"] / 1000.0, yerr=errors, fmt="none", ecolor="k", capsize=4
        )
    ax.set_ylabel("t CO2e")
    ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(1.0, 0.0))
    return fig


def figure_year_on_year(result: FootprintResult) -> Any:
    """Bars: change in t CO2e by category between the last two years."""
    return _figure_year_on_year(result)


def _figure_year_on_year(result: FootprintResult) -> Any:
    plt = _pyplot()
    frame = result.yoy_by_category.reset_index()
    frame = frame[frame["change"] != 0].sort_values("change")
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(frame) + 1.2))
    colours = ["#1a9850" if c < 0 else "#d73027" for c in frame["change"]]
    ax.barh(frame["category"], frame["change"] / 1000.0, color=colours)
    ax.axvline(0, color="k", lw=0.8)
    row = result.year_on_year.iloc[-1]
    ax.set_xlabel(f"change {int(row['from'])} to {int(row['to'])}, t CO2e")
    ax.grid(axis="x", alpha=0.3)
    return fig


def figure_measures(result: FootprintResult) -> Any:
    """Horizontal bars: reduction by measure (ranked), 95 % intervals, P(reduction > 0)."""
    return _figure_measures(result)


def _figure_measures(result: FootprintResult) -> Any:
    plt = _pyplot()
    frame = result.measures.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(frame) + 1.2))
    colours = ["#7570b3" if m == ALL_MEASURES else "#1b9e77" for m in frame["measure"]]
    ax.barh(
        frame["measure"],
        frame["reduction"] / 1000.0,
        color=colours,
        xerr=_errors(frame, "reduction", "reduction_"),
        ecolor="#444444",
        capsize=2,
    )
    if "p_reduction" in frame.columns:
        ends = frame[["reduction", "reduction_high"]].max(axis=1, skipna=True) / 1000.0
        for i, (p, end) in enumerate(zip(frame["p_reduction"], ends, strict=True)):
            if not np.isnan(p):
                ax.annotate(
                    f"P(>0) = {p:.2f}",
                    (max(end, 0.0), i),
                    xytext=(6, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=7,
                    color="#333333",
                )
        ax.margins(x=0.15)
    ax.set_xlabel("reduction, t CO2e")
    ax.grid(axis="x", alpha=0.3)
    return fig
