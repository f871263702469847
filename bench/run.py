#!/usr/bin/env python3
"""`make bench`: run the benchmark suite and write docs/performance.md.

1. Installs the competitors into this Python environment (pypardiso, scikit-umfpack, bw2calc,
   bw_processing, matplotlib); one that fails to install is reported as missing, with why.
2. Runs the C++ suite (build/bench/bench_solver, Google Benchmark, JSON out).
3. Runs bench/compare.py (hiili through its Python bindings against scipy, pypardiso,
   scikit-umfpack and bw2calc on the same matrices).
4. Writes docs/performance.md (tables, machine, versions, peak memory, the Python-overhead
   rows, the targets) and docs/performance_time_vs_n.png (log-log, time against n per method),
   then appends bench/what_was_tried.md.

    .venv/bin/python bench/run.py            # the quick set (under 10 minutes on 2 cores)
    .venv/bin/python bench/run.py --full     # more repetitions, UMFPACK/Eigen at every size
    .venv/bin/python bench/run.py --large    # also n = 1,000,000 (time and peak RSS)
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

COMPETITORS = [
    # (pip name, import name)
    ("matplotlib", "matplotlib"),
    ("pypardiso", "pypardiso"),
    ("bw_processing", "bw_processing"),
    ("bw2calc", "bw2calc"),
    ("scikit-umfpack", "scikits.umfpack"),
]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def importable(module: str) -> bool:
    r = subprocess.run([PY, "-c", f"import {module}"], capture_output=True, text=True)
    return r.returncode == 0


def pip_install(name: str, env: dict | None = None) -> tuple[bool, str]:
    r = subprocess.run(
        [PY, "-m", "pip", "install", "-q", name], capture_output=True, text=True, env=env
    )
    tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
    return r.returncode == 0, " / ".join(tail)


def umfpack_pkgconfig_workaround(tmp: Path) -> dict:
    """scikit-umfpack 0.4.2 finds UMFPACK through pkg-config (as 'UMFPACK') and then expects
    UMFPACK 6's single header; Debian's SuiteSparse 5 ships neither. Give it a .pc file and a
    combined umfpack.h (the sub-headers inlined, SuiteSparse_long spelled int64_t) in `tmp`."""
    import re

    inc = Path("/usr/include/suitesparse")
    if not (inc / "umfpack.h").exists():
        return dict(os.environ)
    src = (inc / "umfpack.h").read_text()
    if "umfpack_solve.h" in src:  # multi-header UMFPACK 5

        def inline(m):
            name = m.group(1)
            return (
                (inc / name).read_text()
                if name.startswith("umfpack_") and (inc / name).exists()
                else m.group(0)
            )

        src = re.sub(r'#include "([^"]+)"', inline, src)
        src = re.sub(r"\bSuiteSparse_long\b", "int64_t", src)
        src = "#include <stdint.h>\n" + src
    (tmp / "include").mkdir(parents=True, exist_ok=True)
    (tmp / "include" / "umfpack.h").write_text(src)
    (tmp / "pc").mkdir(exist_ok=True)
    (tmp / "pc" / "UMFPACK.pc").write_text(
        "Name: UMFPACK\nDescription: UMFPACK (Debian SuiteSparse, combined header)\nVersion: 5.7\n"
        "Libs: -lumfpack -lamd -lcholmod -lsuitesparseconfig\n"
        f"Cflags: -I{tmp / 'include'} -I{inc}\n"
    )
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = str(tmp / "pc") + os.pathsep + env.get("PKG_CONFIG_PATH", "")
    return env


def install_competitors(skip: bool) -> dict:
    """Returns {pip name: reason} for the competitors that are not importable afterwards."""
    missing = {}
    for pip_name, module in COMPETITORS:
        if importable(module):
            continue
        if skip:
            missing[pip_name] = "not installed (--skip-install)"
            continue
        log(f"installing {pip_name}")
        ok, why = pip_install(pip_name)
        if not ok and pip_name == "scikit-umfpack":
            if shutil.which("swig") is None and os.geteuid() == 0 and shutil.which("apt-get"):
                log("scikit-umfpack needs swig: apt-get install swig")
                subprocess.run(["apt-get", "install", "-y", "-qq", "swig"], capture_output=True)
            with tempfile.TemporaryDirectory(prefix="hiili-umfpack-") as tmp:
                ok, why = pip_install(
                    pip_name + "==0.4.2", env=umfpack_pkgconfig_workaround(Path(tmp))
                )
                # the build is done: the combined header was only needed by SWIG and the compiler
        if not ok or not importable(module):
            missing[pip_name] = (
                f"pip install failed: {why}" if not ok else "installed but not importable"
            )
            log(f"{pip_name} is missing: {missing[pip_name]}")
    return missing


# ---- running --------------------------------------------------------------------------------


def load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def run_cpp(build: Path, out: Path, args) -> dict | None:
    exe = build / "bench" / "bench_solver"
    if not exe.exists():
        log(f"{exe} not found: build with `make build` (HIILI_BUILD_BENCH=ON)")
        return None
    cmd = [
        str(exe),
        f"--benchmark_out={out}",
        "--benchmark_out_format=json",
        "--benchmark_format=console",
        "--benchmark_repetitions=" + ("5" if args.full else "3"),
        "--benchmark_report_aggregates_only=true",
        "--benchmark_min_time=" + ("0.5" if args.full else "0.1"),
        "--sizes=" + args.sizes,
    ]
    if not args.full:
        cmd.append("--quick")
    else:
        cmd.append("--all-large")
    if args.large:
        cmd.append("--large")
    if args.data is not None:
        cmd.append(f"--data={args.data}")
    log("C++: " + " ".join(cmd))
    t0 = time.time()
    r = subprocess.run(cmd, cwd=ROOT, stdout=sys.stderr)
    log(f"C++ suite took {time.time() - t0:.0f} s (exit {r.returncode})")
    if not out.exists():
        return None
    return json.loads(out.read_text())


def run_compare(out: Path, args) -> dict | None:
    cmd = [
        PY,
        str(ROOT / "bench" / "compare.py"),
        "--json",
        str(out),
        "--sizes",
        args.sizes,
        "--reps",
        "7" if args.full else "5",
        "--budget",
        "5" if args.full else "1.5",
    ]
    if not args.full:
        cmd.append("--quick")
    if args.data is not None:
        cmd += ["--data", args.data]
    log("Python: " + " ".join(cmd))
    t0 = time.time()
    r = subprocess.run(cmd, cwd=ROOT)
    log(f"compare.py took {time.time() - t0:.0f} s (exit {r.returncode})")
    if not out.exists():
        return None
    return json.loads(out.read_text())


# ---- the report -----------------------------------------------------------------------------

CPP_JOBS = [
    "analyze",
    "factorize",
    "analyze_factor_solve",
    "refactor",
    "refactor_solve",
    "solve",
    "solve_transposed",
    "solve_many/d:1",
    "solve_many/d:16",
    "solve_many/d:256",
    "activity_scores",
    "lca_solve",
    "mc_refactor_solve/threads:1",
    "mc_refactor_solve/threads:2",
]


def cpp_rows(data: dict) -> list[dict]:
    """One row per benchmark: median real time (ms), counters."""
    rows = []
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name") or b["name"]
        parts = [
            x
            for x in name.split("/")
            if x != "real_time" and not x.startswith(("iterations:", "repeats:", "min_time:"))
        ]
        job, backend, problem = parts[0], parts[1], parts[2]
        if len(parts) > 3:
            job += "/" + parts[3]
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
        row = {
            "job": job,
            "backend": backend,
            "problem": problem,
            "ms": b["real_time"] * scale,
            "cpu_ms": b["cpu_time"] * scale,
        }
        if b.get("error_occurred"):
            row["error"] = b.get("error_message", "error")
        for k in (
            "n",
            "nnz",
            "fill",
            "blocks",
            "max_block",
            "residual",
            "peak_rss_mb",
            "job_rss_mb",
            "solves_per_second",
            "rhs_per_second",
        ):
            if k in b:
                row[k] = b[k]
        rows.append(row)
    return rows


def fmt_ms(v: float | None) -> str:
    if v is None:
        return ""
    if v >= 1000:
        return f"{v / 1000:.2f} s"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def problem_order(names):
    def key(p):
        if p.startswith("synth_"):
            return (0, int(p[6:]))
        return (1, p)

    return sorted(set(names), key=key)


def py_index(py: dict) -> dict:
    idx = {}
    for r in py.get("rows", []):
        idx[(r["problem"], r["job"], r["method"])] = r
    return idx


PY_JOB = {"solve_many/d:16": "solve_many_d16", "solve_many/d:256": "solve_many_d256"}
HIILI_PY = "hiili (Python, KLU)"


def section_problem(problem: str, cpp: list[dict], py: dict, pyidx: dict) -> str:
    """The main table of one problem: rows = jobs, columns = hiili C++ backends + Python methods."""
    crow = {(r["job"], r["backend"]): r for r in cpp if r["problem"] == problem}
    backends = [b for b in ("klu", "umfpack", "eigen") if any(k[1] == b for k in crow)]
    methods = []
    for r in py.get("rows", []):
        if r["problem"] == problem and r["method"] not in methods:
            methods.append(r["method"])
    jobs = [j for j in CPP_JOBS if any(k[0] == j for k in crow)]
    for r in py.get("rows", []):
        known = [PY_JOB.get(j, j) for j in jobs]
        if r["problem"] == problem and r["job"] not in known and r["job"] not in jobs:
            jobs.append(r["job"])
    header = ["job"] + [f"hiili C++ {b}" for b in backends] + methods
    rows = []
    for job in jobs:
        line = [job]
        for b in backends:
            r = crow.get((job, b))
            line.append("" if r is None else ("error" if "error" in r else fmt_ms(r["ms"])))
        for m in methods:
            r = pyidx.get((problem, PY_JOB.get(job, job), m))
            if r is None:
                line.append("")
            elif "median_s" in r:
                line.append(fmt_ms(r["median_s"] * 1e3))
            elif "lower_bound_s" in r:
                line.append(f"> {r['lower_bound_s']:.0f} s")
            elif "skipped" in r:
                line.append("skipped")
            else:
                line.append("error")
        if any(c for c in line[1:]):
            rows.append(line)
    info = py.get("problems", {}).get(problem, {})
    klu = crow.get(("analyze_factor_solve", "klu")) or crow.get(("factorize", "klu"))
    desc = f"n = {info.get('n', klu.get('n', '?') if klu else '?'):,}" if info or klu else ""
    if info:
        desc += (
            f", nnz(A) = {info.get('nnz', 0):,}, m = {info.get('m', 0):,}, k = {info.get('k', 0)}"
        )
    if klu and "fill" in klu:
        desc += (
            f"; KLU: fill {klu['fill']:.2f}x, {int(klu.get('blocks', 0)):,} BTF blocks, "
            f"largest {int(klu.get('max_block', 0)):,}"
        )
    return f"### {problem}\n\n{desc}. Median wall time in ms (s where marked).\n\n" + table(
        header, rows
    )


def notes_for_problem(problem: str, py: dict) -> list[str]:
    out = []
    for r in py.get("rows", []):
        if r["problem"] != problem:
            continue
        if "skipped" in r:
            out.append(f"- {r['method']}, {r['job']}: skipped: {r['skipped']}")
        elif "error" in r:
            out.append(f"- {r['method']}, {r['job']}: error: {r['error']}")
    return out


def ratios(problem: str, cpp: list[dict], pyidx: dict) -> list[list[str]]:
    """hiili's speed-up over each competitor, job by job (Python against Python)."""
    rows = []
    methods = sorted({m for (p, j, m) in pyidx if p == problem and m != HIILI_PY})
    for job in (
        "analyze_factor_solve",
        "refactor_solve",
        "solve",
        "solve_transposed",
        "solve_many_d16",
        "activity_scores",
        "datapackage_lca",
    ):
        h = pyidx.get((problem, job, HIILI_PY))
        if not h or "median_s" not in h:
            continue
        for m in methods:
            r = pyidx.get((problem, job, m))
            if r and "median_s" in r:
                rows.append([job, m, f"{r['median_s'] / h['median_s']:.1f}x"])
    return rows


def residual_table(py: dict, cpp: list[dict]) -> str:
    rows = []
    for r in py.get("rows", []):
        if "median_s" not in r:
            continue
        rows.append(
            [
                r["problem"],
                r["job"],
                r["method"],
                f"{r.get('residual', float('nan')):.1e}",
                f"{r.get('peak_rss_mb', float('nan')):.0f}",
                f"{r.get('job_rss_mb', float('nan')):.0f}",
                str(r.get("reps", "")),
            ]
        )
    return table(
        ["problem", "job", "method", "residual", "peak RSS MB", "job RSS MB", "reps"], rows
    )


def cpp_memory_table(cpp: list[dict]) -> str:
    rows = []
    for r in cpp:
        if "peak_rss_mb" not in r:
            continue
        rows.append(
            [
                r["problem"],
                r["job"],
                r["backend"],
                fmt_ms(r["ms"]),
                fmt_ms(r["cpu_ms"]),
                f"{r['peak_rss_mb']:.0f}",
                f"{r.get('job_rss_mb', 0):.0f}",
                f"{r['residual']:.1e}" if "residual" in r else "",
            ]
        )
    return table(
        [
            "problem",
            "job",
            "backend",
            "wall ms",
            "CPU ms",
            "peak RSS MB",
            "job RSS MB",
            "last residual",
        ],
        rows,
    )


def overhead_rows(cpp: list[dict], pyidx: dict, problem: str) -> list[list[str]]:
    out = []
    crow = {(r["job"], r["backend"]): r for r in cpp if r["problem"] == problem}
    for job in ("analyze_factor_solve", "refactor_solve", "solve", "activity_scores", "lca_solve"):
        c = crow.get((job, "klu"))
        p = pyidx.get((problem, job, HIILI_PY))
        if c and p and "median_s" in p and "error" not in c:
            py_ms = p["median_s"] * 1e3
            row = [job, fmt_ms(c["ms"]), fmt_ms(py_ms), f"{(py_ms / c['ms'] - 1) * 100:+.1f} %"]
            if "cpu_median_s" in p:
                pc = p["cpu_median_s"] * 1e3
                row += [fmt_ms(c["cpu_ms"]), fmt_ms(pc), f"{(pc / c['cpu_ms'] - 1) * 100:+.1f} %"]
            out.append(row)
    return out


def targets(cpp: list[dict], pyidx: dict) -> list[list[str]]:
    P = "synth_20000"
    crow = {(r["job"], r["backend"]): r for r in cpp if r["problem"] == P}
    rows = []

    def cpp_ms(job):
        r = crow.get((job, "klu"))
        return None if r is None or "error" in r else r["ms"]

    def cpp_cpu(job):
        r = crow.get((job, "klu"))
        return "" if r is None or "error" in r else f" (CPU {fmt_ms(r['cpu_ms'])} ms)"

    def py_ms(job, method):
        r = pyidx.get((P, job, method))
        return None if r is None or "median_s" not in r else r["median_s"] * 1e3

    afs = cpp_ms("analyze_factor_solve")
    if afs is not None:
        rows.append(
            [
                "analyse + factor + solve under 25 ms",
                fmt_ms(afs) + " ms" + cpp_cpu("analyze_factor_solve"),
                "met" if afs < 25 else "not met",
            ]
        )
    h = py_ms("analyze_factor_solve", HIILI_PY)
    s = py_ms("analyze_factor_solve", "scipy spsolve (CSR)")
    if h and s:
        rows.append(
            [
                "... at least 10x faster than scipy spsolve (CSR)",
                f"{s / h:.1f}x",
                "met" if s / h >= 10 else "not met",
            ]
        )
    pp = py_ms("analyze_factor_solve", "pypardiso")
    ppr = pyidx.get((P, "analyze_factor_solve", "pypardiso")) or {}
    if h and pp:
        rows.append(["... faster than pypardiso", f"{pp / h:.1f}x", "met" if pp > h else "not met"])
    elif h and "lower_bound_s" in ppr:
        lb = ppr["lower_bound_s"] * 1e3
        rows.append(
            [
                "... faster than pypardiso",
                f"more than {lb / h:.0f}x (pypardiso killed after {lb / 1e3:.0f} s)",
                "met",
            ]
        )
    elif h:
        rows.append(["... faster than pypardiso", "pypardiso not measured", "unknown"])
    rs = cpp_ms("refactor_solve")
    if rs is not None:
        rows.append(
            [
                "refactor + solve under 2 ms",
                fmt_ms(rs) + " ms" + cpp_cpu("refactor_solve"),
                "met" if rs < 2 else "not met",
            ]
        )
    a = cpp_ms("activity_scores")
    if a is not None:
        rows.append(
            [
                "activity_scores k = 20 under 25 ms",
                fmt_ms(a) + " ms" + cpp_cpu("activity_scores"),
                "met" if a < 25 else "not met",
            ]
        )
    worst = None
    for job in ("analyze_factor_solve", "refactor_solve", "activity_scores"):
        c, p = cpp_ms(job), py_ms(job, HIILI_PY)
        if c and p:
            o = (p / c - 1) * 100
            worst = o if worst is None else max(worst, o)
    if worst is not None:
        rows.append(
            [
                "Python overhead under 5 % (worst of the jobs above)",
                f"{worst:+.1f} %",
                "met" if worst < 5 else "not met",
            ]
        )
    mc = crow.get(("mc_refactor_solve/threads:2", "klu"))
    if mc and "solves_per_second" in mc:
        v = mc["solves_per_second"]
        rows.append(
            [
                "Monte Carlo >= 1,000 iterations/s on 2 threads "
                "(proxy: refactor + solve, no sampling)",
                f"{v:,.0f} /s",
                "met" if v >= 1000 else "not met",
            ]
        )
    return rows


def linearity(cpp: list[dict]) -> list[list[str]]:
    rows = []
    pts = {}
    for r in cpp:
        if (
            r["backend"] == "klu"
            and r["job"] == "analyze_factor_solve"
            and r["problem"].startswith("synth_")
            and "error" not in r
            and "nnz" in r
        ):
            pts[int(r["problem"][6:])] = (r["nnz"], r["ms"], r.get("peak_rss_mb"))
    for n in sorted(pts):
        nnz, ms, rss = pts[n]
        rows.append(
            [
                f"{n:,}",
                f"{int(nnz):,}",
                fmt_ms(ms),
                f"{ms * 1e3 / nnz:.2f}",
                "" if rss is None else f"{rss:.0f}",
            ]
        )
    return rows


def plot(cpp: list[dict], py: dict, path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as e:
        return f"matplotlib missing ({e}): no plot"
    fig, ax = plt.subplots(figsize=(8, 5.5))
    series = {}
    for r in cpp:
        if (
            r["job"] == "analyze_factor_solve"
            and r["problem"].startswith("synth_")
            and "error" not in r
        ):
            series.setdefault(f"hiili C++ {r['backend']}", []).append(
                (int(r["problem"][6:]), r["ms"])
            )
    for r in py.get("rows", []):
        if (
            r["job"] == "analyze_factor_solve"
            and r["problem"].startswith("synth_")
            and "median_s" in r
        ):
            series.setdefault(r["method"], []).append((int(r["problem"][6:]), r["median_s"] * 1e3))
    bounds = {}
    for r in py.get("rows", []):
        if (
            r["job"] == "analyze_factor_solve"
            and r["problem"].startswith("synth_")
            and "lower_bound_s" in r
        ):
            bounds.setdefault(r["method"], []).append(
                (int(r["problem"][6:]), r["lower_bound_s"] * 1e3)
            )
    colors = {}
    for name, pts in sorted(series.items()):
        pts.sort()
        xs, ys = zip(*pts, strict=False)
        style = "-o" if name.startswith("hiili") else "--s"
        (line,) = ax.loglog(xs, ys, style, label=name)
        colors[name] = line.get_color()
    for name, pts in sorted(bounds.items()):
        xs, ys = zip(*sorted(pts), strict=False)
        ax.loglog(
            xs,
            ys,
            "^",
            markerfacecolor="none",
            color=colors.get(name),
            label=f"{name}: killed after (lower bound)",
        )
    ax.set_xlabel("n (activities), synthetic ecoinvent-like system")
    ax.set_ylabel("analyse + factor + solve, median wall time (ms)")
    ax.set_title("hiili against the alternatives (lower is better)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux; platform.processor() elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_report(
    cpp_json: dict | None, py: dict | None, missing_install: dict, args, meta: dict
) -> str:
    cpp = cpp_rows(cpp_json) if cpp_json else []
    py = py or {"rows": [], "problems": {}, "missing": {}}
    pyidx = py_index(py)
    problems = problem_order(
        [r["problem"] for r in cpp] + [r["problem"] for r in py.get("rows", [])]
    )
    machine = py.get("machine", {})
    ctx = (cpp_json or {}).get("context", {})
    lines = [
        "# Performance",
        "",
        "Generated by `make bench` (`bench/run.py`) on "
        f"{meta['date']}; the hand-written part is the last section (`bench/what_was_tried.md`).",
        "",
        "## Machine and versions",
        "",
        f"- CPU: {machine.get('cpu') or cpu_model()}, "
        f"{machine.get('cores') or os.cpu_count()} cores"
        f" (Google Benchmark: {ctx.get('num_cpus', '?')} x {ctx.get('mhz_per_cpu', '?')} MHz)",
        f"- load average (1 min) at the start {meta['load_start'][0]:.2f}, "
        f"at the end {meta['load_end'][0]:.2f}",
        f"- run: {meta['mode']}; C++ {meta['cpp_s']:.0f} s, Python {meta['py_s']:.0f} s",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in py.get("versions", {}).items()),
        f"- Python {machine.get('python', platform.python_version())}; BLAS for UMFPACK: "
        f"{meta.get('blas', '?')}",
        "",
    ]
    miss = dict(missing_install)
    miss.update(py.get("missing", {}))
    if miss:
        lines += ["Missing competitors (not measured):", ""]
        lines += [f"- {k}: {v}" for k, v in miss.items()]
        lines.append("")
    lines += ["## Targets (synth n = 20,000; ARCHITECTURE.md section 5)", ""]
    t = targets(cpp, pyidx)
    lines.append(table(["target", "measured", ""], t) if t else "(synth_20000 was not run)")
    lines += [
        "",
        "Ratios are from this one run. hiili's Python rows go through the bindings "
        "(`hiili.Factorization`, `hiili.Lca`), like the competitors' rows; the C++ rows "
        "are Google Benchmark medians.",
        "",
    ]
    ov = overhead_rows(cpp, pyidx, "synth_20000")
    if ov:
        lines += [
            "## Python overhead (synth n = 20,000, KLU)",
            "",
            table(
                [
                    "job",
                    "C++ ms",
                    "Python ms",
                    "overhead (wall)",
                    "C++ CPU ms",
                    "Python CPU ms",
                    "overhead (CPU)",
                ][: len(ov[0])],
                ov,
            ),
            "",
            "Wall-time ratios on a loaded machine carry the noise of the other processes; "
            "the CPU-time columns compare what each process itself used.",
            "",
        ]
    lines += [
        "## Tables per problem",
        "",
        "Jobs: `analyze_factor_solve` = a fresh factorisation and one solve (the demand is one "
        "unit of the last activity); `refactor_solve` = new values on the same pattern and a "
        "solve (competitors without a numeric-only refactorisation factorize afresh); "
        "`solve_many/d` = d demands at once; `activity_scores` = k x n cumulative scores with k "
        "transposed solves; `datapackage_lca` = read a bw_processing datapackage from disk, "
        "factorize, solve, score; `monte_carlo_iteration` = bw2calc's next(lca) with A and B "
        "uncertain. Empty cells: the method has no such job.",
        "",
    ]
    for p in problems:
        lines.append(section_problem(p, cpp, py, pyidx))
        lines.append("")
        r = ratios(p, cpp, pyidx)
        if r:
            lines += ["hiili (Python) speed-up:", "", table(["job", "against", "speed-up"], r), ""]
        notes = notes_for_problem(p, py)
        if notes:
            lines += [*notes, ""]
    lin = linearity(cpp)
    if lin:
        lines += [
            "## Scaling (KLU, analyse + factor + solve)",
            "",
            table(["n", "nnz(A)", "ms", "ns per nonzero", "peak RSS MB"], lin),
            "",
        ]
    if args.full:
        pass
    else:
        lines += [
            "The quick set: UMFPACK and Eigen run every job below n = 20,000; at 20,000 "
            "UMFPACK's analyse + factor + solve runs once and Eigen not at all, and neither "
            "runs at 100,000 (their factorisations fill 10x-100x more than KLU's and take "
            "seconds to minutes there). At 100,000 KLU runs the headline jobs once. In "
            "compare.py a competitor whose time at the next size is predicted (time ~ n^2) "
            "above 5 s runs once in a child process killed after 45 s (shown as '> 45 s'), "
            "and one whose analyse + factor + solve took over 3 s skips its other jobs at "
            "that size. `bench/run.py --full` lifts these limits.",
            "",
        ]
    err = plot(cpp, py, ROOT / "docs" / "performance_time_vs_n.png")
    lines += ["## Time against n", ""]
    lines.append(err or "![analyse + factor + solve against n](performance_time_vs_n.png)")
    lines += [
        "",
        "## Residuals and peak memory",
        "",
        "Peak RSS is the process's high-water mark while the job ran (reset before each job "
        "through /proc/self/clear_refs); job RSS is that mark above the resident set at the "
        "start of the job, i.e. the memory the job itself needed.",
        "",
        "### C++ (hiili)",
        "",
        cpp_memory_table(cpp),
        "",
        "### Python (every method)",
        "",
        residual_table(py, cpp),
        "",
    ]
    tried = ROOT / "bench" / "what_was_tried.md"
    if tried.exists():
        lines += [tried.read_text().rstrip(), ""]
    return "\n".join(lines)


def blas_info() -> str:
    try:
        r = subprocess.run(
            ["update-alternatives", "--query", "libblas.so.3-x86_64-linux-gnu"],
            capture_output=True,
            text=True,
        )
        for line in r.stdout.splitlines():
            if line.startswith("Value:"):
                return line.split(":", 1)[1].strip()
    except Exception:
        pass
    return "unknown"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--full", action="store_true", help="more repetitions, every backend at every size"
    )
    ap.add_argument("--large", action="store_true", help="also n = 1,000,000 (C++)")
    ap.add_argument("--sizes", default="2000,20000,100000")
    ap.add_argument(
        "--data", default=None, help="folder with the real models (default ../shared/data)"
    )
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    ap.add_argument("--skip-install", action="store_true")
    ap.add_argument("--skip-cpp", action="store_true")
    ap.add_argument("--skip-python", action="store_true")
    ap.add_argument("--keep", default=None, help="keep the raw JSON in this folder")
    ap.add_argument(
        "--from-json",
        default=None,
        help="only write the report from cpp.json and py.json in this folder",
    )
    args = ap.parse_args(argv)

    meta = {
        "date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "load_start": load_average(),
        "mode": "full" if args.full else "quick",
        "cpp_s": 0.0,
        "py_s": 0.0,
        "blas": blas_info(),
    }
    missing = {}
    with tempfile.TemporaryDirectory(prefix="hiili-run-") as tmp:
        tmp = Path(args.keep or args.from_json or tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        cpp_json = py_json = None
        if args.from_json:
            cpp_json = (
                json.loads((tmp / "cpp.json").read_text()) if (tmp / "cpp.json").exists() else None
            )
            py_json = (
                json.loads((tmp / "py.json").read_text()) if (tmp / "py.json").exists() else None
            )
            meta.update(
                json.loads((tmp / "meta.json").read_text()) if (tmp / "meta.json").exists() else {}
            )
        else:
            missing = install_competitors(args.skip_install)
            meta["load_start"] = load_average()
            if not args.skip_cpp:
                t0 = time.time()
                cpp_json = run_cpp(Path(args.build), tmp / "cpp.json", args)
                meta["cpp_s"] = time.time() - t0
            if not args.skip_python:
                t0 = time.time()
                py_json = run_compare(tmp / "py.json", args)
                meta["py_s"] = time.time() - t0
            meta["load_end"] = load_average()
            meta["missing_install"] = missing
            (tmp / "meta.json").write_text(json.dumps(meta))
        missing = meta.get("missing_install", missing)
        meta.setdefault("load_end", load_average())
        text = write_report(cpp_json, py_json, missing, args, meta)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
