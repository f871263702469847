"""docs/performance.md and its plots, from the results of one bench/run.py run.

    .venv-bench/bin/python bench/run.py --from-json build/bench-results.json   # rewrite only
"""

from __future__ import annotations

import math
import platform
import statistics
from pathlib import Path

JOB_TITLE = {
    "factor_solve": "analyse + factor + solve",
    "solve": "solve (new demand)",
    "refactor_solve": "refactor + solve (MC draw)",
    "scores_k": "activity scores (k transposed solves)",
    "lca": "LCA + lci + lcia",
    "lcia_new_demand": "lcia(new demand)",
    "multilca": "MultiLCA (10 demands x k methods)",
    "mc_iteration": "Monte Carlo iteration",
}
SOLVER_JOBS = ["factor_solve", "solve", "refactor_solve", "scores_k"]
BW_JOBS = ["lca", "lcia_new_demand", "multilca", "mc_iteration"]
HERE = Path(__file__).resolve().parent


def fmt_s(s: float | None) -> str:
    if s is None or (isinstance(s, float) and math.isnan(s)):
        return ""
    if s >= 1:
        return f"{s:.2f} s"
    ms = s * 1e3
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    if ms >= 1:
        return f"{ms:.2f} ms"
    if ms >= 0.01:
        return f"{ms:.3f} ms"
    return f"{ms * 1e3:.2f} µs"


def table(header, rows) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def label(row_or_setup) -> str:
    """The peer and the threads it ran with, e.g. 'pypardiso, 2 threads'."""
    t = row_or_setup.get("threads")
    if not isinstance(t, int):  # a setup record: "threads" holds threadpoolctl's list
        t = row_or_setup.get("threads_asked")
    name = row_or_setup.get("peer") or row_or_setup.get("peer_key")
    if name in ("hiili", "hiili (cached analysis)", "hiili.bw", "scipy spsolve (CSR)", "scipy spsolve (CSC)", "scipy splu",
                "pyklu", "kvxopt klu"):
        return name  # single-threaded solvers: the thread count changes nothing
    return f"{name}, {t} thread{'s' if t != 1 else ''}"


class Results:
    def __init__(self, r: dict):
        self.r = r
        self.rows = r["rows"]
        self.setups = {(s.get("peer_key"), s.get("threads_asked")): s for s in r["setups"]}

    def table_rows(self, problem):
        return [x for x in self.rows if x.get("section") == "table" and x.get("problem") == problem]

    def cell(self, problem, peer_key, threads, job):
        for x in self.table_rows(problem):
            if x.get("peer_key") == peer_key and x.get("threads") == threads and x["job"] == job:
                return x
        return None

    def hiili(self, problem, job, peer_key="hiili"):
        for x in self.table_rows(problem):
            if x.get("peer_key") == peer_key and x["job"] == job and "median_s" in x:
                return x["median_s"]
        return None


def show(x, ref: float | None, limit: float) -> str:
    """One cell: the time and, against hiili, the ratio (peer / hiili)."""
    if x is None:
        return ""
    if "median_s" in x:
        s = fmt_s(x["median_s"])
        if x.get("cold"):
            s += "¹"
        if ref and x.get("peer_key") not in ("hiili", "hiili.bw", "hiili.MonteCarlo"):
            s += f" ({x['median_s'] / ref:.1f}x)"
        return s
    if "timeout_s" in x:
        s = f"killed at {x['timeout_s']:.0f} s"
        if ref:
            s += f" (> {x['timeout_s'] / ref:.0f}x)"
        return s
    if "not_run" in x:
        return "not run²"
    if "skipped" in x:
        return "—"
    return "error³"


def peer_order(res: Results, problem: str, keys) -> list[tuple[str, int]]:
    seen = []
    for x in res.table_rows(problem):
        k = (x.get("peer_key"), x.get("threads"))
        if x.get("peer_key") in keys and k not in seen:
            seen.append(k)
    return seen


def titled(text: str) -> str:
    """Job ids in a note written as the tables' column titles."""
    import re

    # ids with an underscore are unambiguous; "lca" and "solve" only as the subject of
    # run.py's "... ran past the limit" (elsewhere they are words of a title already)
    ids = "|".join(sorted((j for j in JOB_TITLE if "_" in j or j == "multilca"), key=len,
                          reverse=True))
    pattern = rf"\b({ids})\b|\b(lca|solve)(?= ran past)"
    return re.sub(pattern, lambda m: JOB_TITLE[m.group(1) or m.group(2)], text)


def solver_table(res: Results, problem: str, jobs, keys, ref_key, limit) -> tuple[str, list[str]]:
    rows, notes = [], []
    for peer_key, threads in peer_order(res, problem, keys):
        setup = res.setups.get((peer_key, threads), {})
        line = [label({"peer_key": peer_key, "threads": threads}), setup.get("solver", "")]
        any_cell = False
        for job in jobs:
            x = res.cell(problem, peer_key, threads, job)
            line.append(show(x, res.hiili(problem, job, ref_key), limit))
            any_cell |= bool(x) and "skipped" not in x
            if x and ("not_run" in x or "error" in x):
                why = titled(x.get("not_run") or x.get("error"))
                notes.append(f"{label(x)}, {JOB_TITLE[job]}: {why}")
            if x and "skipped" in x and "has no" not in x["skipped"]:
                notes.append(f"{label(x)}, {JOB_TITLE[job]}: {x['skipped']}")
        if any_cell:
            rows.append(line)
    header = ["peer (threads)", "solver that ran"] + [JOB_TITLE[j] for j in jobs]
    return table(header, rows), notes


def problem_line(meta: dict) -> str:
    rec = meta.get("recipe", {})
    if rec.get("kind") == "synth":
        a = rec["args"]
        how = (f"`hiili.synth({a['n']}, seed={a['seed']}, k={a['k']}"
               + (f", family=\"{a['family']}\"" if "family" in a else "") + ")`")
    elif rec.get("kind") == "useeio_mr":
        how = (f"USEEIO v1.2 stacked over {rec['regions']} regions (`bench/problems.py`, "
               "`useeio_mr`: real coefficients, synthetic trade)")
    else:
        path = str(rec.get("path", "?"))
        path = "../shared/data/" + path.split("/data/", 1)[1] if "/data/" in path else path
        how = f"`hiili.read(\"{path}\")`"
    return (f"{how}: n = {meta['n']:,}, nnz(A) = {meta['nnz']:,}, m = {meta['m']:,} flows, "
            f"k = {meta['k']} categories; demand: one unit of activity {meta['demand']}")


def summary(res: Results, problems: dict, limit: float) -> str:
    cores = res.r["cores"]
    rows, bw_rows = [], []
    for name, meta in problems.items():
        if "error" in meta:
            rows.append([meta.get("family", name), "", f"not built: {meta['error']}"])
            continue
        h = res.hiili(name, "factor_solve")
        line = [meta.get("family", name), f"{meta['n']:,}", fmt_s(h)]
        for key, threads in (("pypardiso", cores), ("pypardiso", 1),
                             ("scipy spsolve (CSR)", cores)):
            line.append(show(res.cell(name, key, threads, "factor_solve"), h, limit))
        best = None
        for x in res.table_rows(name):
            if (x["job"] == "factor_solve" and "median_s" in x
                    and not str(x.get("peer_key")).startswith("hiili")
                    and (best is None or x["median_s"] < best["median_s"])):
                best = x
        line.append(f"{label(best)}: {show(best, h, limit)}" if best else "")
        rows.append(line)
        bw = [meta.get("family", name)]
        for job in ("lca", "mc_iteration"):
            hb = res.hiili(name, job, "hiili.bw")
            bw.append(fmt_s(hb))
            for key in ("bw2calc (pypardiso)", "bw2calc (scipy)"):
                bw.append(show(res.cell(name, key, cores, job), hb, limit))
        bw_rows.append(bw)
    solver = table(
        ["family / dataset", "n", "hiili", f"pypardiso, {cores} threads", "pypardiso, 1 thread",
         "scipy spsolve (CSR)", "fastest peer"], rows)
    brightway = table(
        ["family / dataset", "hiili.bw LCA", "bw2calc + pypardiso LCA", "bw2calc + scipy LCA",
         "hiili.bw MC iteration", "bw2calc + pypardiso MC", "bw2calc + scipy MC"], bw_rows)
    return (
        "Analyse + factor + solve (ratios: peer / hiili):\n\n" + solver
        + "\n\nOne LCA (datapackages -> LCA + lci + lcia) and one Monte Carlo iteration "
        "(ratios: peer / hiili.bw):\n\n" + brightway
    )


# Issue 14's targets: (what, job, peer key, threads or None for the machine's cores, limit in
# seconds). Each is read from this run's rows; nothing here is a measured number.
TARGETS = [
    ("one LCA from scratch (analyse + factor + solve)", "factor_solve", "hiili", None, 0.025),
    ("one LCA with the analysis loaded from a cache directory", "factor_solve",
     "hiili (cached analysis)", None, 0.010),
    ("refactor + solve", "refactor_solve", "hiili", None, 0.002),
    ("Monte Carlo iteration, A and B uncertain (1,000 it/s)", "mc_iteration", "hiili.MonteCarlo",
     None, 0.001),
]


TARGET_N = 20000  # the n for every target but the scaling ones


def verdict(ok: bool, n: int | None = TARGET_N) -> str:
    """n: the problem's size, checked against the issue's; None where the row names its n."""
    if n is not None and n != TARGET_N:
        return f"(the target is for n = {TARGET_N:,})"
    return "met" if ok else "**not met**"


def targets_section(res: Results, problems: dict) -> list[str]:
    """Issue 14's targets against this run, per synthetic family at the tables' n, with the
    ratios the issue asks for (pypardiso on one LCA, bw2calc + pypardiso on Monte Carlo)."""
    cores = res.r["cores"]
    synth = {name: meta for name, meta in problems.items()
             if meta.get("recipe", {}).get("kind") == "synth" and "error" not in meta}
    if not synth:
        return []
    names = list(synth)
    rows = []
    for what, job, key, threads, limit in TARGETS:
        line = [what, f"< {fmt_s(limit)}"]
        for name in names:
            x = res.cell(name, key, threads or cores, job)
            v = x.get("median_s") if x else None
            line.append(f"{fmt_s(v)}: {verdict(v < limit, synth[name]['n'])}" if v is not None
                        else show(x, None, 0) or "not measured")
        rows.append(line)
    ratio_rows = [
        ("one LCA: pypardiso / hiili", "factor_solve", "pypardiso", "hiili", 5.0),
        # like for like: the Brightway job (next(lca) + one method's score) on both engines;
        # hiili.MonteCarlo scores every category, so it draws more of B
        ("Monte Carlo iteration (next(lca) + score): bw2calc + pypardiso / hiili.bw",
         "mc_iteration", "bw2calc (pypardiso)", "hiili.bw", 200.0),
    ]
    for what, job, peer, ours, goal in ratio_rows:
        line = [what, f">= {goal:.0f}x"]
        for name in names:
            p, h = res.cell(name, peer, cores, job), res.cell(name, ours, cores, job)
            if p and h and "median_s" in p and "median_s" in h:
                r = p["median_s"] / h["median_s"]
                line.append(f"{r:.1f}x: {verdict(r >= goal, synth[name]['n'])}")
            else:
                line.append("not measured (" + (show(p, None, 0) or "no row") + ")")
        rows.append(line)
    rows += [scaling_row(res, synth, names, 300000, 5.0, None),
             scaling_row(res, synth, names, 1000000, 60.0, 24.0)]
    header = ["target (issue 14)", "goal"] + [
        f"{synth[name].get('family', name)}, n = {synth[name]['n']:,}" for name in names]
    return [
        "## Issue 14's targets in this run", "",
        f"Read from the tables below (hiili at {cores} threads; n = 300,000 and 1,000,000 from "
        "the time-against-n sweep, its peak memory the benchmark process's high-water mark). "
        "Why a target is not met: \"What is slow for hiili, and why\".", "",
        table(header, rows), "",
    ]


def scaling_row(res: Results, synth: dict, names: list, n: int, limit: float,
                gib: float | None) -> list[str]:
    """The sweep's analyse + factor + solve at n per family against the issue's limit (and
    its memory limit, from the peer process's peak RSS, where the issue gives one)."""
    what = f"n = {n:,}: analyse + factor (+ solve, the sweep's job)"
    goal = f"< {fmt_s(limit)}"
    if gib is not None:
        what, goal = what + ", peak memory", goal + f", < {gib:.0f} GiB"
    line = [what, goal]
    for name in names:
        x = next((y for y in sweep_rows(res, synth[name].get("family"))
                  if y.get("peer_key") == "hiili" and y["n"] == n), None)
        v = x.get("median_s") if x else None
        if v is None:
            line.append(show(x, None, 0) or "not in this run")
            continue
        ok, cell = v < limit, fmt_s(v)
        if gib is not None:
            mib = x.get("peak_rss_mib")
            ok = ok and mib is not None and mib < gib * 1024
            cell += f", {mib / 1024:.1f} GiB" if mib is not None else ", memory not recorded"
        line.append(f"{cell}: {verdict(ok, None)}")
    return line


def overhead_section(res: Results) -> list[str]:
    ov = [o for o in res.r.get("overhead", []) if "cpp_s" in o]
    errs = [o for o in res.r.get("overhead", []) if "error" in o]
    out = ["## The Python overhead, like for like", ""]
    if ov:
        out += [
            "`bench/overhead.py` times each job through hiili's Python bindings and "
            "`bench_overhead` (bench/bench_overhead.cpp) through the C++ API: the same matrix "
            "(one file both read), the same warm-up (factor_solve: one untimed call; solve and "
            "activity scores: until solves run on the static kernel's factors; refactor: one "
            "untimed refactor), the same repetitions and a monotonic clock in each process; "
            f"{ov[0]['rounds']} rounds of {ov[0]['reps']} repetitions, C++ and Python "
            "alternating, medians over all rounds (refactor + solve: of the means of "
            "consecutive pairs, one call on each of its two draws).",
            "",
            table(
                ["problem", "job", "C++", "Python", "overhead"],
                [[o["problem"], JOB_TITLE[o["job"]], fmt_s(o["cpp_s"]), fmt_s(o["python_s"]),
                  f"{o['overhead'] * 100:+.1f} %"] for o in ov],
            ),
            "",
        ]
    out += [f"- overhead not measured: {e['error']}" for e in errs]
    return out + [""]


def sweep_rows(res: Results, family: str) -> list[dict]:
    """The sweep's rows of a family, with the tables' analyse + factor + solve rows of that
    family's problem at the machine's cores (the n of the tables is not run twice)."""
    rows = [x for x in res.rows if x.get("section") == "sweep" and x.get("family") == family
            and x["job"] == "factor_solve"]
    keys = {(x.get("peer_key"), x.get("threads")) for x in rows}
    for name, meta in res.r["problems"].items():
        if meta.get("family") == family and "error" not in meta:
            rows += [x for x in res.table_rows(name) if x["job"] == "factor_solve"
                     and (x.get("peer_key"), x.get("threads")) in keys]
    return rows


def plot_family(res: Results, family: str, path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as e:  # pragma: no cover
        return f"(no plot: matplotlib missing: {e})"
    rows = sweep_rows(res, family)
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 7.5))
    by = {}
    for x in rows:
        setup = res.setups.get((x.get("peer_key"), x.get("threads")), {})
        solver = (setup.get("solver") or "?").split(";")[0]
        by.setdefault(f"{label(x)}: {solver}", []).append(x)
    for name in sorted(by, key=lambda s: (not s.startswith("hiili"), s)):
        pts = sorted((x["n"], x["median_s"]) for x in by[name] if "median_s" in x)
        if pts:
            xs, ys = zip(*pts, strict=True)
            (ln,) = ax.loglog(xs, ys, "-o" if name.startswith("hiili") else "--s", label=name,
                              lw=2.5 if name.startswith("hiili") else 1.2)
            color = ln.get_color()
        else:
            color = None
        killed = [(x["n"], x["timeout_s"]) for x in by[name] if "timeout_s" in x]
        if killed:
            ax.loglog(*zip(*killed, strict=True), "x", ms=11, mew=2.5, color=color,
                      label=f"{name}: killed at the {res.r['limit_s']:.0f} s limit")
    ax.axhline(res.r["limit_s"], color="grey", ls=":", lw=1,
               label=f"the {res.r['limit_s']:.0f} s limit")
    ax.set_xlabel(f"n (activities), hiili.synth family \"{family}\"")
    ax.set_ylabel("analyse + factor + solve, median wall time (s)")
    ax.set_title(f"Time against n, family \"{family}\" (lower is better; one run, 2 cores shared)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None


def sweep_table(res: Results, family: str) -> str:
    rows = sweep_rows(res, family)
    sizes = sorted({x["n"] for x in rows})
    names = []
    for x in rows:
        if label(x) not in names:
            names.append(label(x))
    body = []
    for name in names:
        line = [name]
        for n in sizes:
            x = next((y for y in rows if label(y) == name and y["n"] == n), None)
            if x is None:
                line.append("")
            elif "median_s" in x:
                line.append(fmt_s(x["median_s"]))
            elif "timeout_s" in x:
                line.append(f"killed at {x['timeout_s']:.0f} s")
            elif "not_run" in x:
                line.append("not run²")
            else:
                line.append(x.get("skipped") or x.get("error") or "?")
        body.append(line)
    return table(["peer"] + [f"n = {n:,}" for n in sizes], body)


def sweep_notes(res: Results, family: str) -> list[str]:
    out = []
    for x in res.rows:
        if (x.get("section") == "sweep" and x.get("family") == family and "not_run" in x
                and (label(x), x["not_run"]) not in [(a, b) for a, b, _ in out]):
            out.append((label(x), x["not_run"], x["n"]))
    return [f"- {a}: not run from n = {n:,}: {titled(b)}" for a, b, n in out]


def why_slow(res: Results, problems: dict) -> list[str]:
    rows = []
    for name, meta in problems.items():
        x = next((y for y in res.table_rows(name) if y.get("peer_key") == "hiili"
                  and y["job"] == "factor_solve" and "info" in y), None)
        if not x:
            continue
        i = x["info"]
        rows.append([
            meta.get("family", name), f"{meta['n']:,}", f"{meta['nnz']:,}",
            f"{i.get('nnz_factors', 0) / max(1, i.get('nnz', 1)):.2f}x",
            f"{int(i.get('blocks', 0)):,}", f"{int(i.get('max_block', 0)):,}",
            fmt_s(i.get("analyze_seconds")), fmt_s(i.get("factor_seconds")),
            fmt_s(x["median_s"]),
        ])
    beaten = []
    for name, meta in problems.items():
        if "error" in meta:
            continue
        for jobs, ref_key in ((SOLVER_JOBS, "hiili"), (BW_JOBS, "hiili.bw")):
            for job in jobs:
                h = res.hiili(name, job, ref_key)
                if not h:
                    continue
                faster = sorted(
                    (x["median_s"], label(x)) for x in res.table_rows(name)
                    if x["job"] == job and "median_s" in x and x["median_s"] < h
                    and not str(x.get("peer_key")).startswith("hiili")
                )
                if faster:
                    names = ", ".join(f"{lab} {fmt_s(t)}" for t, lab in faster)
                    beaten.append(f"- {meta.get('family', name)}, {JOB_TITLE[job]}: "
                                  f"{ref_key} {fmt_s(h)}; faster: {names}")
    intro = ["Where a peer was faster than hiili in this run (same model, same job):", ""]
    intro += beaten or ["- nowhere"]
    intro.append("")
    out = intro + [
        "hiili's own report (`Factorization.report`) from the analyse + factor + solve rows:",
        "",
        table(["family / dataset", "n", "nnz(A)", "fill (nnz(L+U) / nnz(A))", "BTF blocks",
               "largest block", "analyse (last call)", "factor (last call)",
               "analyse + factor + solve (median)"], rows),
        "",
    ]
    notes = HERE / "why_slow.md"
    if notes.exists():
        out += [notes.read_text().strip(), ""]
    return out


def versions_section(res: Results) -> list[str]:
    rows = []
    vers = {}
    for s in res.r["setups"]:
        vers.update(s.get("versions", {}))
        libs = "; ".join(
            f"{t.get('internal_api')} {t.get('version') or ''} ({t.get('num_threads')} thr"
            + (f", {t['threading_layer']}" if t.get("threading_layer") else "") + ")"
            for t in s.get("threads", []) if "internal_api" in t
        )
        state = s.get("solver") or s.get("skipped") or s.get("error", "")
        rows.append([label(s), state, libs])
    out = [
        "Read in each peer's own process after it loaded (threadpoolctl for the BLAS/OpenMP "
        "libraries and their thread counts; `bw2calc.PYPARDISO`; scipy's UMFPACK switch). "
        "OMP_NUM_THREADS, MKL_NUM_THREADS and OPENBLAS_NUM_THREADS were set to the thread "
        "count before the process imported numpy.",
        "",
        table(["peer process", "solver that ran", "thread pools (threadpoolctl)"], rows),
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(vers.items())) + f"; Python "
        f"{platform.python_version()}.",
        "",
    ]
    return out


def load_line(r: dict) -> str:
    loads = [v for _, v in r.get("load", [])]
    if not loads:
        return "load average: not recorded"
    return (f"load average (1 min, sampled every 10 s): min {min(loads):.2f}, median "
            f"{statistics.median(loads):.2f}, max {max(loads):.2f} on {r['cores']} cores")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write(r: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    res = Results(r)
    limit = r["limit_s"]
    problems = r["problems"]
    docs = out.parent
    lines = [
        "# Performance",
        "",
        f"Generated by `make bench` (`bench/run.py`, {r['mode']} run) on {r['date']} at commit "
        f"`{r['commit']}`{' (with uncommitted changes)' if r.get('dirty') else ''}; the run took "
        f"{r.get('wall_s', 0) / 60:.1f} min. Machine: {cpu_model()}, {r['cores']} cores, shared "
        f"with other work: {load_line(r)}. Compare within this run, not across runs.",
        "",
        "How to read the tables: every peer ran in its own process, warmed up (one call on a "
        "50 x 50 system when it started, then one untimed call of each job before the timed "
        "ones), with the thread count shown and the solver that actually ran, read from the "
        f"peer. Times are medians. A job still running after {limit:.0f} s was killed and says "
        "so; a killed row is a failure, never a result. `(3.1x)` after a peer's time is that "
        "time divided by hiili's (hiili.bw's for the Brightway jobs) on the same job and "
        "model: above 1, hiili is faster. A Monte Carlo iteration is the mean over consecutive "
        "iterations for about 2 s after one untimed draw (hiili.bw and hiili.MonteCarlo draw in "
        "batches, so single calls would time the batches, not the iterations). Refactor + "
        "solve alternates between two draws of A's values whose costs can differ: its time is "
        "the median of the means of consecutive pairs.",
        "",
        "¹ one timed call: the warm-up call alone took more than half the job's time budget, so "
        "it is the measurement. ² not run: see the notes under the table. ³ error: see the notes.",
        "",
    ]
    if r.get("missing"):
        lines += ["Peers that could not be installed or imported here (not measured):", ""]
        lines += [f"- {k}: {v}" for k, v in r["missing"].items()] + [""]
    lines += [
        f"## Summary: analyse + factor + solve, and one Brightway LCA",
        "",
        f"Synthetic families at n = {r['n']:,}, real datasets at their size. One unit of one "
        "activity's product as the demand.",
        "",
        summary(res, problems, limit),
        "",
    ]
    lines += targets_section(res, problems)
    for name, meta in problems.items():
        if "error" in meta:
            continue
        lines += [f"## {meta.get('family', name)}: {name}", "", problem_line(meta) + ".", ""]
        t, notes = solver_table(
            res, name, SOLVER_JOBS,
            {"hiili", "hiili (cached analysis)", "scipy spsolve (CSR)", "scipy spsolve (CSC)",
             "scipy splu", "pypardiso", "scikit-umfpack", "pyklu", "kvxopt umfpack", "kvxopt klu"},
            "hiili", limit,
        )
        lines += ["Sparse solvers (ratios against hiili):", "", t, ""]
        t2, notes2 = solver_table(
            res, name, BW_JOBS,
            {"hiili.bw", "bw2calc (pypardiso)", "bw2calc (scipy)", "hiili.MonteCarlo"},
            "hiili.bw", limit,
        )
        lines += ["Brightway-level jobs (ratios against hiili.bw):", "", t2, ""]
        lines += [f"- {n}" for n in dict.fromkeys(notes + notes2)]
        lines.append("")
    fx = r.get("fixtures") or []
    if fx:
        lines += ["## bw2calc's own test fixtures", "",
                  "bw2calc's test datapackages (`../shared/data/bw2calc_fixtures`), each engine "
                  "in its own process: load the datapackages, LCA (or MultiLCA) + lci + lcia. "
                  "Systems of 2 to 8 activities: these time the Python around the solver.", ""]
        cases = list(dict.fromkeys(x.get("case") for x in fx if x.get("case")))
        engines = list(dict.fromkeys(x["peer"] for x in fx))
        body = []
        for c in cases:
            line = [c]
            for e in engines:
                x = next((y for y in fx if y["peer"] == e and y.get("case") == c), None)
                line.append("" if x is None else fmt_s(x["median_s"]) if "median_s" in x
                            else x.get("error", "?")[:80])
            body.append(line)
        for line, c in zip(body, cases, strict=True):
            ref = next((y.get("result") for y in fx if y["peer"] == "hiili.bw"
                        and y.get("case") == c), None)
            worst = 0.0
            for y in fx:
                if y.get("case") == c and "result" in y and ref is not None:
                    a, b = y["result"], ref
                    pairs = [(a[k], b[k]) for k in b] if isinstance(b, dict) else [(a, b)]
                    for u, v in pairs:
                        worst = max(worst, abs(u - v) / max(abs(v), 1e-300))
            line.append(f"{worst:.1e}" if ref is not None else "")
        lines += [table(["case"] + engines + ["largest relative difference of the scores"],
                        body), ""]
        for x in fx:
            if "case" not in x:
                lines.append(f"- {x['peer']}: {x.get('skipped') or x.get('error') or x}")
        lines.append("")
    lines += overhead_section(res)
    lines += ["## Time against n", "",
              "Analyse + factor + solve per synth family, each peer at the machine's cores; "
              f"peers to n = {max(r['sizes']['peers']):,}, hiili to {max(r['sizes']['hiili']):,}. "
              f"A peer killed at the {limit:.0f} s limit is drawn as a cross; a peer whose next "
              "size is predicted past the limit from its last two sizes is not run there (the "
              "notes say so).", ""]
    for family in ("ecoinvent", "stress"):
        if not any(x.get("family") == family for x in res.rows):
            continue
        png = docs / f"performance_{family}.png"
        err = plot_family(res, family, png)
        lines += [f"### family \"{family}\"", "", err or f"![time against n, {family}]({png.name})",
                  "", sweep_table(res, family), ""]
        lines += sweep_notes(res, family) + [""]
    scaling = HERE / "scaling.md"  # hand-written: bench_scaling's runs (issue 14)
    if scaling.exists():
        lines += [scaling.read_text().strip(), ""]
    lines += ["## What is slow for hiili, and why", ""]
    lines += why_slow(res, problems)
    lines += ["## Versions and thread settings", ""]
    lines += versions_section(res)
    lines += [
        "## Reproduce",
        "",
        "`make bench` (installs requirements-bench.txt into .venv-bench, builds, runs "
        "`bench/run.py`, writes this file and docs/performance_*.png; raw results in "
        "build/bench-results.json). `make bench-quick` (`bench/run.py --quick`) is the "
        "CI-sized check: n = 2,000, 20 s limits, output in build/bench-quick/. Earlier "
        "measurements and what was tried: `bench/what_was_tried.md`.",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
