"""python -m hiili.distributed mc ...: `hiili mc` on a Dask cluster.

`hiili mc ... --workers N` (a LocalCluster of N worker processes on this machine) and
`hiili mc ... --scheduler ADDRESS` (an existing cluster) hand their arguments over to this
module. It takes the options of `hiili mc` and prints the same JSON and CSV fields and the same
--scores file (byte for byte: the scores are the single-machine ones); the text output is a
shorter table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Iterator
from typing import Any

DEFAULT_MODEL = "synth:n=20000,k=3,seed=1,uncertainty=1"
INTERRUPTED = 130
AUTO_STREAM_BYTES = 256.0 * 1024 * 1024
_SYNTH_KEYS = {
    "n": int,
    "m": int,
    "k": int,
    "seed": int,
    "family": str,
    "core": float,
    "uncertainty": int,
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=os.environ.get("HIILI_PROG", "python -m hiili.distributed") + " mc",
        description="Monte Carlo uncertainty of the scores on a Dask cluster "
        "(the options of `hiili mc`).",
    )
    p.add_argument("model", nargs="?", default="", help=f"model (default {DEFAULT_MODEL})")
    p.add_argument("-d", "--demand", action="append", default=[], help="LABEL_OR_INDEX=AMOUNT")
    p.add_argument("--vs", action="append", default=[], help="alternative LABEL_OR_INDEX=AMOUNT")
    p.add_argument("-N", "--iterations", type=int, default=1000)
    p.add_argument("--first", type=int, default=0)
    p.add_argument("-s", "--seed", type=int, default=0)
    p.add_argument(
        "-t", "--threads", type=int, default=0, help="C++ threads per worker (0: its own)"
    )
    p.add_argument("-c", "--category", default="")
    p.add_argument("--quantiles", action="append", default=[])
    p.add_argument("--scores", default="")
    p.add_argument("--stream", action="store_true")
    p.add_argument("--format", default="auto")
    p.add_argument("--solver", default="klu")
    p.add_argument("--json", action="store_true")
    p.add_argument("--csv", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--workers", type=int, default=0, help="a LocalCluster of N processes")
    p.add_argument("--scheduler", default="", help="address of an existing Dask scheduler")
    p.add_argument("--iterations-per-task", type=int, default=None)
    return p


def _model(spec: str, format: str) -> Any:
    import hiili

    spec = spec or DEFAULT_MODEL
    if spec != "synth" and not spec.startswith("synth:"):
        return hiili.read(spec, None if format == "auto" else format)
    options: dict[str, Any] = {}
    for item in filter(None, spec.partition(":")[2].split(",")):
        key, _, value = item.partition("=")
        if key not in _SYNTH_KEYS:
            raise hiili.InvalidInputError(f"model '{spec}': unknown key '{key}'")
        options["core_fraction" if key == "core" else key] = _SYNTH_KEYS[key](value)
    options["uncertainty"] = bool(options.get("uncertainty", 0))
    return hiili.synth(options.pop("n", 20000), **options)


def _demand(model: Any, items: list[str]) -> dict[int, float]:
    import hiili

    demand: dict[int, float] = {}
    for item in items:
        key, _, amount = item.rpartition("=")
        digits = key[1:] if key.startswith("#") else key
        try:
            index = model.activity_index(key)
        except hiili.InvalidInputError:
            if not digits.isdigit():
                raise
            index = model.activity_index(int(digits))
        demand[index] = demand.get(index, 0.0) + float(amount)
    return demand


def _label(table: Any, i: int) -> str:
    """The command's row label: name (else id, else the first column), [location], (compartment)."""
    names = table.column_names()
    if not names:
        return f"#{i}"
    text = next(
        (table.column(c)[i] for c in ("name", "id") if c in names and table.column(c)[i]),
        table.column(names[0])[i],
    )
    if "location" in names and table.column("location")[i]:
        text += f" [{table.column('location')[i]}]"
    if "compartment" in names and table.column("compartment")[i]:
        text += f" ({table.column('compartment')[i]})"
    return text


def _csv(field: str) -> str:
    if not any(c in field for c in ',"\r\n'):
        return field
    return '"' + field.replace('"', '""') + '"'


def _g17(value: float) -> str:
    return (
        f"{value:.17g}"
        if math.isfinite(value)
        else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    )


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@contextlib.contextmanager
def _client(args: argparse.Namespace) -> Iterator[Any]:
    """A client of the --scheduler's cluster, or of a LocalCluster of --workers processes."""
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if args.scheduler:
            yield stack.enter_context(Client(args.scheduler))
            return
        cluster = stack.enter_context(
            LocalCluster(
                n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
        )
        yield stack.enter_context(Client(cluster))


def _write_scores(path: str, result: Any, model: Any) -> None:
    categories = [_csv(_label(model._cpp.categories, q)) for q in range(model.k)]
    with open(path, "w", encoding="utf-8") as f:
        f.write("iteration,demand" + "".join("," + c for c in categories) + "\n")
        scores = [result.scores_of(d) for d in range(len(result.labels))]
        for i in range(result.completed):
            for d, s in enumerate(scores):
                row = ",".join(_g17(v) for v in s[i])
                f.write(
                    f"{result.first_iteration + i},{'demand' if d == 0 else 'alternative'},{row}\n"
                )


def _summary_json(frame: Any, q: int, levels: list[float]) -> dict[str, Any]:
    row = frame.iloc[q]
    return {
        "mean": _finite(row["mean"]),
        "std": _finite(row["std"]),
        "min": _finite(row["min"]),
        "quantiles": {f"{lv:g}": _finite(row[f"q{lv:g}"]) for lv in levels},
        "max": _finite(row["max"]),
    }


def _print_csv(
    result: Any, sums: list[Any], categories: list[int], labels: list[str], levels: list[float]
) -> None:
    """The CSV of `hiili mc --csv`: per category the demand's (and the alternative's, and their
    difference's with P(demand < alternative)) summary statistics."""
    from ..monte_carlo import _summarize

    frames = [("demand", sums[0], None)]
    if len(sums) > 1:
        deterministic = sums[1]["deterministic"].to_numpy() - sums[0]["deterministic"].to_numpy()
        diff = _summarize(result.difference(1, 0), sums[0].index, deterministic, levels)
        frames += [
            ("alternative", sums[1], None),
            ("alternative - demand", diff, result.probability_less(0, 1)),
        ]
    header = ["demand", "category", "deterministic", "mean", "std", "min"]
    print(",".join(header + [f"q{lv:g}" for lv in levels] + ["max", "iterations", "p_less"]))
    for q, label in zip(categories, labels, strict=True):
        for who, frame, p_less in frames:
            row = frame.iloc[q]
            values = [row["deterministic"], row["mean"], row["std"], row["min"]]
            values += [row[f"q{lv:g}"] for lv in levels] + [row["max"]]
            cells = [
                who,
                _csv(label),
                *(_g17(float(v)) for v in values),
                str(int(row["iterations"])),
            ]
            cells.append("" if p_less is None else _g17(float(p_less.iloc[q])))
            print(",".join(cells))


def _print(
    args: argparse.Namespace,
    model: Any,
    mc: Any,
    result: Any,
    levels: list[float],
    categories: list[int],
    seconds: float,
) -> None:
    import hiili

    sums = [result.summary(d, levels) for d in range(len(result.labels))]
    labels = [_label(model._cpp.categories, q) for q in categories]
    if args.json:
        out = {
            "hiili_version": hiili.__version__,
            "command": "mc",
            "model": {
                "source": args.model or DEFAULT_MODEL,
                "activities": model.n,
                "flows": model.m,
                "categories": model.k,
            },
            "seed": args.seed,
            "first_iteration": result.first_iteration,
            "requested": int(result._raw.requested),
            "completed": result.completed,
            "interrupted": result.cancelled,
            "seconds": seconds,
            "active_activities": result.report.activities,
            "failed": [int(i) for i in result.failed],
            "streamed": not result.scores_kept,
            "workers": args.workers or None,
            "scheduler": args.scheduler or None,
        }
        cats = []
        for q, label in zip(categories, labels, strict=True):
            cj = {
                "index": q,
                "category": label,
                "deterministic": float(sums[0]["deterministic"].iloc[q]),
                "scores": _summary_json(sums[0], q, levels),
            }
            if len(sums) > 1:
                cj["alternative_deterministic"] = float(sums[1]["deterministic"].iloc[q])
                cj["alternative_scores"] = _summary_json(sums[1], q, levels)
                cj["probability_less"] = _finite(result.probability_less(0, 1).iloc[q])
            cats.append(cj)
        out["categories"] = cats
        print(json.dumps(out, indent=2))
        return
    if args.csv:
        _print_csv(result, sums, categories, labels, levels)
        return
    where = args.scheduler or f"a local cluster of {args.workers} worker processes"
    print(
        f"model     {args.model or DEFAULT_MODEL} ({model.n:,} activities, {model.m:,} flows, "
        f"{model.k:,} categories)"
    )
    print(
        f"monte carlo {result.completed:,} iterations (from {result.first_iteration}, seed "
        f"{args.seed}) in {seconds:.2f} s on {where}; {len(result.failed)} singular"
    )
    if result.cancelled:
        print(
            f"interrupted: {result.completed:,} of {int(result._raw.requested):,} iterations done"
        )
    for d, frame in enumerate(sums):
        print("\n  " + ("Scores" if d == 0 else "Scores of the alternative (same draws)"))
        print(
            frame.iloc[categories]
            .drop(columns="iterations")
            .to_string(float_format="{:.6g}".format)
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "mc":
        print(
            "usage: python -m hiili.distributed mc [options of hiili mc] "
            "(--workers N | --scheduler ADDRESS)",
            file=sys.stderr,
        )
        return 2
    args = _parser().parse_args(argv[1:])
    if args.workers <= 0 and not args.scheduler:
        print("hiili mc: give --workers N or --scheduler ADDRESS", file=sys.stderr)
        return 2
    if not args.demand:
        print("hiili mc: --demand is required", file=sys.stderr)
        return 2
    import time

    import hiili

    levels = [float(x) for q in args.quantiles for x in q.split(",")] or [0.025, 0.5, 0.975]
    try:
        model = _model(args.model, args.format)
        demands = [_demand(model, args.demand)] + ([_demand(model, args.vs)] if args.vs else [])
        table = 8.0 * args.iterations * model.k * len(demands)
        keep = not args.stream and (
            table <= AUTO_STREAM_BYTES or bool(args.vs) or bool(args.scores)
        )
        categories = (
            list(range(model.k)) if not args.category else [model.category_index(args.category)]
        )
        mc = hiili.MonteCarlo(
            model,
            demands,
            seed=args.seed,
            threads=args.threads or None,
            keep_scores=keep,
            solver=args.solver,
        )
        started = time.perf_counter()
        with _client(args) as client:
            try:
                result = mc.run(
                    args.iterations,
                    first_iteration=args.first,
                    client=client,
                    progress=False if args.quiet or args.json or args.csv else None,
                    iterations_per_task=args.iterations_per_task,
                )
            except KeyboardInterrupt:
                result = mc.partial
        seconds = time.perf_counter() - started
    except hiili.Error as error:
        print(f"hiili mc: {error}", file=sys.stderr)
        return 1
    if args.scores:
        _write_scores(args.scores, result, model)
    _print(args, model, mc, result, levels, categories, seconds)
    return INTERRUPTED if result.cancelled else 0


if __name__ == "__main__":
    sys.exit(main())
