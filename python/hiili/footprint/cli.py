"""``hiili footprint`` / ``python -m hiili.footprint``: the command line.

Exit codes as the ``hiili`` command's: 0 ok, 2 bad usage, 3 bad input data (hiili.Error:
an unknown category, a negative amount, a sector the model lacks...), 1 anything else.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import pandas as pd

from .._core import Error
from .compute import FootprintResult, footprint
from .foreground import DEFAULT_GSD_A, DEFAULT_GSD_B

USAGE_ERROR, DATA_ERROR, INTERNAL_ERROR = 2, 3, 1


class _Parser(argparse.ArgumentParser):
    """Usage errors in the ``hiili`` command's one form: "<prog>: error: <what>", exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(
            USAGE_ERROR,
            f"{self.prog}: error: {message}\nRun '{self.prog} --help' for the options.\n",
        )


def parser() -> argparse.ArgumentParser:
    """The argument parser (prog is $HIILI_PROG when the ``hiili`` command hands over)."""
    p = _Parser(
        prog=os.environ.get("HIILI_PROG") or "python -m hiili.footprint",
        description="An organisation's carbon footprint from its activity data (CSV), on an "
        "input-output model such as USEEIO, with Monte Carlo uncertainty, the year-on-year "
        "comparison, reduction measures ranked by effect and an HTML report.",
        epilog="Exit codes: 0 ok, 2 bad usage, 3 bad input data, 1 other errors. "
        "Formats: docs/footprint.md.",
    )
    p.add_argument("data", nargs="+", help="activity data CSV file(s): year,category,amount,unit")
    p.add_argument("--model", help="USEEIO model folder (default: $HIILI_FOOTPRINT_MODEL)")
    p.add_argument("--mapping", help="mapping CSV: overrides and extends the shipped mapping")
    p.add_argument("--year", action="append", help="year(s) to report, e.g. 2023 or 2022,2023")
    p.add_argument("--measures", help="reduction measures CSV (applied to the last year)")
    p.add_argument("--html", help="write the HTML report to this file")
    p.add_argument(
        "--organisation",
        "--organization",
        help="organisation named in the report's title (default: none)",
    )
    p.add_argument(
        "--period", help="reporting period in the report's title (default: the data's years)"
    )
    p.add_argument(
        "--title", help="the report's whole title (default: 'Carbon footprint of ORG, PERIOD')"
    )
    p.add_argument(
        "--iterations",
        "-N",
        type=int,
        default=1000,
        help="Monte Carlo iterations (0: none; default 1000)",
    )
    p.add_argument("--seed", "-s", type=int, default=0, help="Monte Carlo seed (default 0)")
    p.add_argument("--threads", type=int, help="worker threads (default: all cores)")
    p.add_argument("--indicator", help="impact category: code, name or index (default GHG/GCC)")
    p.add_argument(
        "--no-indicator-check",
        action="store_true",
        help="compute even when the indicator does not count CO2, CH4 and N2O as a climate "
        "indicator should (hiili.climate_notes; e.g. USEEIO v1.2's GCC): only a warning",
    )
    p.add_argument(
        "--model-year",
        type=int,
        help="year of the model's USD (default: from the model folder's demands.json)",
    )
    p.add_argument(
        "--gsd-a",
        type=float,
        default=DEFAULT_GSD_A,
        help=f"GSD of the model's technosphere coefficients (default {DEFAULT_GSD_A})",
    )
    p.add_argument(
        "--gsd-b",
        type=float,
        default=DEFAULT_GSD_B,
        help=f"GSD of the model's emission intensities (default {DEFAULT_GSD_B})",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON (for machines)")
    out.add_argument("--csv", action="store_true", help="print the footprint by category as CSV")
    return p


def _years(values: list[str] | None, p: argparse.ArgumentParser) -> list[int] | None:
    if not values:
        return None
    try:
        return [int(y) for v in values for y in v.split(",") if y.strip()]
    except ValueError:
        p.error(f"--year: expected years such as 2023 or 2022,2023, got {values}")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command; returns the exit code."""
    p = parser()
    args = p.parse_args(argv)
    if args.iterations < 0:
        p.error("--iterations must be >= 0")
    if args.html and importlib.util.find_spec("matplotlib") is None:
        p.error("--html draws its figures with matplotlib: pip install 'hiili[footprint]'")
    if args.html:
        problem = _unwritable(args.html)
        if problem:
            p.error(f"--html {args.html}: {problem}")
    try:
        result = footprint(
            args.data,
            args.model,
            mapping=args.mapping,
            measures=args.measures,
            years=_years(args.year, p),
            iterations=args.iterations,
            seed=args.seed,
            threads=args.threads,
            indicator=args.indicator,
            model_year=args.model_year,
            gsd_a=args.gsd_a,
            gsd_b=args.gsd_b,
            check_indicator=not args.no_indicator_check,
        )
        if args.html:
            import matplotlib

            matplotlib.use("Agg")  # files only, never a window
            from .report import write_report

            write_report(
                result,
                args.html,
                args.title,
                organisation=args.organisation,
                period=args.period,
            )
    except Error as e:
        print(f"hiili footprint: error: {e}", file=sys.stderr)
        return DATA_ERROR
    _print(result, args)
    for text in result.meta["warnings"]:
        print(f"hiili footprint: warning: {text}", file=sys.stderr)
    return 0


def _unwritable(path: str) -> str:
    """Why a report could not be written to ``path``; '' when it can (checked before the work)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return "is a directory"
    if not os.path.isdir(folder):
        return f"the directory {folder} does not exist"
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return "not writable"
    return ""


def _print(result: FootprintResult, args: argparse.Namespace) -> None:
    if args.json:
        print(result.to_json())
    elif args.csv:
        sys.stdout.write(result.to_csv())
    else:
        print(text_summary(result))
        if args.html:
            print(f"\nreport: {args.html}")


def text_summary(result: FootprintResult) -> str:
    """The tables for a terminal. Every amount is in t CO2e (the model's kg / 1000), said once in
    each table's title; percentages and probabilities say % in their cells."""
    meta = result.meta
    lines = [
        f"Carbon footprint ({meta['indicator']}; model {meta['model']}, "
        f"USD {meta['model_year']}; {meta['iterations']} Monte Carlo iterations, seed "
        f"{meta['seed']}). Amounts in t CO2e; low and high: the 95 % interval.",
        "",
        _frame_text(result.totals, "Totals, t CO2e"),
        _frame_text(result.by_scope, "By scope-like group, t CO2e"),
    ]
    year = result.totals.index[-1]
    top = result.by_category.loc[year].sort_values("kgco2e", ascending=False)
    lines.append(
        _frame_text(top[["kgco2e", "share", "low", "high"]], f"By category, {year}, t CO2e")
    )
    if not result.year_on_year.empty:
        yoy = result.year_on_year.set_index(["from", "to"])
        cols = ["change", "change_pct", "change_low", "change_high", "p_decrease"]
        lines.append(_frame_text(yoy[[c for c in cols if c in yoy]], "Year on year, t CO2e"))
    if not result.measures.empty:
        m = result.measures.set_index("measure")
        cols = [
            "rank",
            "reduction",
            "reduction_pct",
            "reduction_low",
            "reduction_high",
            "p_reduction",
        ]
        lines.append(_frame_text(m[[c for c in cols if c in m]], "Reduction measures, t CO2e"))
    return "\n".join(lines)


def _frame_text(frame: pd.DataFrame, title: str) -> str:
    shown = frame.dropna(axis=1, how="all").copy()  # no MC run: no mean, std, low, high
    for column in shown.columns:
        if column in ("share", "p_decrease", "p_reduction"):
            shown[column] = shown[column].map(lambda v: f"{100 * v:.1f} %")
        elif column.endswith("_pct"):
            shown[column] = shown[column].map(lambda v: f"{v:+.2f} %")
        elif column not in ("rank",) and pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: f"{v / 1000:,.2f}")
    # The amounts are tonnes (the title says so): "kgco2e" would name the wrong unit.
    shown = shown.rename(columns={"kgco2e": "CO2e"})
    return f"{title}\n{shown.to_string()}\n"
