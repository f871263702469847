#!/usr/bin/env python3
"""`make bench`: hiili against its peers, per family of model, and docs/performance.md from it.

    .venv-bench/bin/python bench/run.py            # the full run (docs/performance.md)
    .venv-bench/bin/python bench/run.py --quick    # CI-sized: small n, short limits

1. Problems (bench/problems.py): hiili.synth's default family ("ecoinvent") and its "stress"
   family at n = 20,000, the real datasets of ../shared/data (USLCI, USEEIO v1.2, USEEIO v2.0
   GHG), a multi-region stacking of USEEIO v1.2, and the bw2calc test fixtures; written once
   as scipy files.
2. Peers (bench/peers.py), each in its own process, warmed up, at the machine's core count
   and, for those that thread (MKL, OpenBLAS), at one thread: scipy (spsolve on CSR and CSC,
   splu), pypardiso, scikit-umfpack, PyKLU, kvxopt (UMFPACK, KLU), hiili; bw2calc with
   pypardiso and with scipy, hiili.bw and hiili.MonteCarlo for one LCA, a new demand,
   MultiLCA and Monte Carlo iterations. A job that runs past --limit seconds is killed and
   reported as such; what ran (solver, threads, versions) is read in that process.
3. Time against n per synth family (peers to 100,000, hiili to 1,000,000): log-log plots.
4. The Python overhead, like for like (bench/overhead.py with bench_overhead).
5. docs/performance.md (bench/report.py), with the date, commit, load and versions.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

CORES = os.cpu_count() or 1

SOLVER_JOBS = ["factor_solve", "solve", "scores_k", "refactor_solve"]
BW_JOBS = ["lca", "lcia_new_demand", "multilca", "mc_iteration"]

# (peer, threads): every peer at the machine's cores; those whose libraries thread (MKL,
# OpenBLAS) also at one thread.
SOLVER_PEERS = [
    ("hiili", CORES),
    ("hiili (cached analysis)", CORES),
    ("scipy spsolve (CSR)", CORES),
    ("scipy spsolve (CSC)", CORES),
    ("scipy splu", CORES),
    ("pypardiso", CORES),
    ("pypardiso", 1),
    ("scikit-umfpack", CORES),
    ("scikit-umfpack", 1),
    ("pyklu", CORES),
    ("kvxopt umfpack", CORES),
    ("kvxopt umfpack", 1),
    ("kvxopt klu", CORES),
]
BW_PEERS = [
    ("hiili.bw", CORES),
    ("bw2calc (pypardiso)", CORES),
    ("bw2calc (scipy)", CORES),
    ("hiili.MonteCarlo", 1),
    ("hiili.MonteCarlo", CORES),
]
SWEEP_PEERS = [p for p in SOLVER_PEERS if p[1] == CORES]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- installing the peers -----------------------------------------------------------------


def importable(module: str) -> tuple[bool, str]:
    r = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    return r.returncode == 0, (r.stderr.strip().splitlines() or [""])[-1]


def umfpack_env(tmp: Path) -> dict:
    """scikit-umfpack 0.4.2 finds UMFPACK through pkg-config (as 'UMFPACK') and expects
    UMFPACK 6's single header; Debian's SuiteSparse 5 ships neither. A .pc file and a combined
    umfpack.h (the sub-headers inlined, SuiteSparse_long spelled int64_t) in `tmp` for the
    build."""
    import re

    inc = Path("/usr/include/suitesparse")
    env = dict(os.environ)
    if not (inc / "umfpack.h").exists():
        return env
    src = (inc / "umfpack.h").read_text()
    if "umfpack_solve.h" in src:

        def inline(m):
            f = inc / m.group(1)
            return f.read_text() if m.group(1).startswith("umfpack_") and f.exists() else m.group(0)

        src = "#include <stdint.h>\n" + re.sub(
            r"\bSuiteSparse_long\b", "int64_t", re.sub(r'#include "([^"]+)"', inline, src)
        )
    (tmp / "include").mkdir(parents=True, exist_ok=True)
    (tmp / "include" / "umfpack.h").write_text(src)
    (tmp / "pc").mkdir(exist_ok=True)
    (tmp / "pc" / "UMFPACK.pc").write_text(
        "Name: UMFPACK\nDescription: UMFPACK (Debian SuiteSparse, combined header)\nVersion: 5.7\n"
        "Libs: -lumfpack -lamd -lcholmod -lsuitesparseconfig\n"
        f"Cflags: -I{tmp / 'include'} -I{inc}\n"
    )
    env["PKG_CONFIG_PATH"] = str(tmp / "pc") + os.pathsep + env.get("PKG_CONFIG_PATH", "")
    return env


def install_scikit_umfpack() -> str | None:
    """scikit-umfpack has no wheel for this Python: it builds from source (swig, Debian's
    SuiteSparse). Returns None when importable afterwards, else why not."""
    ok, _ = importable("scikits.umfpack")
    if ok:
        return None
    if shutil.which("swig") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "swig"], capture_output=True)
    with tempfile.TemporaryDirectory(prefix="hiili-umfpack-") as tmp:
        r = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "scikit-umfpack==0.4.2"],
            capture_output=True,
            text=True,
            env=umfpack_env(Path(tmp)),
        )
    ok, why = importable("scikits.umfpack")
    if ok:
        return None
    tail = " / ".join((r.stderr or r.stdout).strip().splitlines()[-2:])
    return f"pip install scikit-umfpack==0.4.2 failed (no wheel; source build): {tail or why}"


PEER_MODULES = {
    "pypardiso": "pypardiso",
    "scikit-umfpack": "scikits.umfpack",
    "pyklu": "PyKLU",
    "kvxopt umfpack": "kvxopt.umfpack",
    "kvxopt klu": "kvxopt.klu",
    "bw2calc (pypardiso)": "bw2calc",
    "bw2calc (scipy)": "bw2calc",
    "threadpoolctl": "threadpoolctl",
}


def missing_peers() -> dict:
    """{peer: why} for the peers that cannot be imported (requirements-bench.txt is installed
    by `make bench`; scikit-umfpack here)."""
    out = {}
    why = install_scikit_umfpack()
    if why:
        out["scikit-umfpack"] = why
    for peer, module in PEER_MODULES.items():
        if peer in out:
            continue
        ok, err = importable(module)
        if not ok:
            out[peer] = f"import {module} failed: {err}"
    return out


# ---- load ---------------------------------------------------------------------------------


class LoadSampler(threading.Thread):
    """The 1-minute load average every 10 s while the benchmark runs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self):
        t0 = time.time()
        while not self.stop.is_set():
            self.samples.append((time.time() - t0, os.getloadavg()[0]))
            self.stop.wait(10)


# ---- running one peer ---------------------------------------------------------------------


def peer_cmd(peer: str, threads: int, tasks_file: Path, start: int) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "bench" / "peers.py"),
        "--peer",
        peer,
        "--threads",
        str(threads),
        "--tasks",
        str(tasks_file),
        "--start",
        str(start),
    ]


class LineReader:
    """Lines from a pipe with a deadline: next(deadline) returns a line (bytes, newline
    included), b"" at the end of the output, or None once the deadline has passed. Reads the
    file descriptor directly, so that no line waits in a buffer that select() cannot see."""

    def __init__(self, fd: int):
        self.fd, self.buf = fd, b""

    def next(self, deadline: float):
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                rest, self.buf = self.buf, b""
                return rest
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"


def run_peer(peer, threads, tasks, limit, work: Path, on_row=None) -> tuple[dict, list[dict]]:
    """Runs `peer` on `tasks` in a child process; a job past `limit` seconds is killed, its row
    says so, the rest of that problem's jobs are not run, and a new child goes on with the next
    task. on_row(row) -> None or a reason to stop this peer's remaining tasks (then they are
    reported with it). Returns (the setup record, rows)."""
    tasks_file = work / f"tasks_{abs(hash((peer, threads, len(tasks), id(tasks))))}.json"
    tasks_file.write_text(json.dumps(tasks))
    rows, setup, start = [], {}, 0
    stop_reason = None
    while start < len(tasks) and stop_reason is None:
        proc = subprocess.Popen(
            peer_cmd(peer, threads, tasks_file, start),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
        lines = LineReader(proc.stdout.fileno())
        current, deadline = None, time.time() + 300
        next_start = len(tasks)
        while True:
            line = lines.next(deadline)
            if line is None:  # past the deadline
                proc.kill()
                proc.wait()
                if current is None:
                    rows.append({"peer": peer, "threads": threads, "error": "did not start"})
                    return setup, rows
                rows.append({**current, "threads": threads, "timeout_s": limit})
                log(f"  {peer} ({threads}t) {current['problem']} {current['job']}: killed after {limit:.0f} s")
                t = current["task"]
                for job in tasks[t]["jobs"][tasks[t]["jobs"].index(current["job"]) + 1 :]:
                    rows.append(
                        {**current, "job": job, "threads": threads,
                         "not_run": f"{current['job']} ran past the {limit:.0f} s limit"}
                    )
                reason = on_row(rows[-1]) if on_row else None
                if reason:
                    stop_reason = reason
                next_start = t + 1
                break
            if not line:  # end of output
                proc.wait()
                if current is not None and (not rows or rows[-1].get("job") != current["job"]):
                    rows.append({**current, "threads": threads, "error": "the process died"})
                    next_start = current["task"] + 1
                break
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = ev.pop("event", None)
            if kind == "setup":
                setup = ev
                if "skipped" in ev or "error" in ev:
                    proc.wait()
                    return setup, rows
                deadline = time.time() + 300
            elif kind == "problem":
                deadline = time.time() + 300  # loading a problem
            elif kind == "job":
                current = ev
                deadline = time.time() + limit
            elif kind == "row":
                ev["threads"] = threads
                rows.append(ev)
                current = None
                deadline = time.time() + 300
                shown = (
                    f"{ev['median_s'] * 1e3:.3f} ms" if "median_s" in ev
                    else ev.get("skipped") or ev.get("error")
                )
                log(f"  {peer} ({threads}t) {ev['problem']} {ev['job']}: {shown}")
                reason = on_row(ev) if on_row else None
                if reason:
                    stop_reason = reason
                    proc.kill()
                    proc.wait()
                    next_start = len(tasks)
                    break
            elif kind == "done":
                proc.wait()
                break
        start = next_start
        if stop_reason:
            done = {r["task"] for r in rows if "task" in r}
            for t in range(len(tasks)):
                if t not in done:
                    meta = json.loads((Path(tasks[t]["problem"]) / "meta.json").read_text())
                    for job in tasks[t]["jobs"]:
                        rows.append({"task": t, "problem": meta["name"], "n": meta["n"],
                                     "peer": setup.get("peer", peer), "job": job,
                                     "threads": threads, "not_run": stop_reason})
    return setup, rows


# ---- the run ------------------------------------------------------------------------------


def table_tasks(folders, jobs, reps, budget):
    return [{"problem": str(f), "jobs": jobs, "reps": reps, "budget": budget} for f in folders]


# bw2calc factorises with these (its technosphere matrix is CSR): where the solver alone was
# killed at the limit on a model, bw2calc's LCA is not run there (the row says why).
DEPENDS = {"bw2calc (pypardiso)": "pypardiso", "bw2calc (scipy)": "scipy spsolve (CSR)"}


def killed_on(results, peer_key: str, threads: int) -> set[str]:
    return {
        r["problem"] for r in results["rows"]
        if r.get("section") == "table" and r.get("peer_key") == peer_key
        and r.get("threads") == threads and r["job"] == "factor_solve" and "timeout_s" in r
    }


def run_tables(folders, args, work, results):
    for peer, threads in SOLVER_PEERS + BW_PEERS:
        if peer in results["missing"]:
            continue
        jobs = SOLVER_JOBS if (peer, threads) in SOLVER_PEERS else BW_JOBS
        if peer == "hiili.MonteCarlo":
            jobs = ["mc_iteration"]
        log(f"{peer}, {threads} thread(s)")
        run_on, skipped = list(folders), []
        if peer in DEPENDS:
            killed = killed_on(results, DEPENDS[peer], threads)
            run_on = [f for f in folders if f.name not in killed]
            for f in folders:
                if f.name in killed:
                    meta = json.loads((f / "meta.json").read_text())
                    skipped += [{
                        "problem": f.name, "n": meta["n"], "peer": peer, "job": job,
                        "threads": threads,
                        "not_run": f"its solver ({DEPENDS[peer]}, {threads} threads) was killed "
                        f"at the {args.limit:.0f} s limit on this model",
                    } for job in jobs]
        setup, rows = run_peer(
            peer, threads, table_tasks(run_on, jobs, args.reps, args.budget), args.limit, work
        )
        rows += skipped
        results["setups"].append({**setup, "threads_asked": threads, "peer_key": peer})
        results["rows"] += [{**r, "peer_key": peer, "section": "table"} for r in rows]


def predictor(limit: float, sizes: list[int], known: list[tuple[int, float]]):
    """on_row for the sweep: stop a peer once its next size is predicted over the limit from
    its last two sizes (time ~ n^a, a between 1 and 3; a = 2 from a single size). `known`:
    (n, seconds) measured in the tables (the n = 20,000 point; inf where it was killed)."""
    import math

    seen: list[tuple[int, float]] = []

    def on_row(row):
        t = row.get("median_s") or (row.get("timeout_s") and float("inf"))
        if not t:
            return None
        if math.isinf(t):
            return f"killed at n = {row['n']:,}"
        seen.append((row["n"], t))
        bigger = [s for s in sizes if s > row["n"]]
        if not bigger:
            return None
        pts = sorted(set(seen) | {k for k in known if k[0] < bigger[0]})
        if math.isinf(pts[-1][1]):
            return f"killed at n = {pts[-1][0]:,} (the table above)"
        n1, t1 = pts[-1]
        a = 2.0
        if len(pts) >= 2 and pts[-2][0] != n1:
            n0, t0 = pts[-2]
            a = min(3.0, max(1.0, math.log(t1 / t0) / math.log(n1 / n0)))
        pred = t1 * (bigger[0] / n1) ** a
        if pred > limit:
            return (
                f"predicted {pred:.0f} s at n = {bigger[0]:,} from n = {n1:,} "
                f"(time ~ n^{a:.1f}), over the {limit:.0f} s limit"
            )
        return None

    return on_row


def run_sweep(families, sizes_peers, sizes_hiili, table_folders, args, work, root, results):
    """Analyse + factor + solve against n per synth family; the n of the tables is not run
    again (its table row is the point)."""
    import problems

    for family in families:
        folders = {}
        for n in sorted((set(sizes_peers) | set(sizes_hiili)) - {args.n}):
            t0 = time.time()
            meta = problems.build_synth(root, n, family, uncertainty=False)
            folders[n] = root / meta["name"]
            log(f"built {meta['name']} (nnz {meta['nnz']:,}) in {time.time() - t0:.1f} s")
        table_name = table_folders[family].name
        for peer, threads in SWEEP_PEERS:
            if peer in results["missing"]:
                continue
            sizes = [n for n in (sizes_hiili if peer == "hiili" else sizes_peers) if n != args.n]
            known = []
            for r in results["rows"]:
                if (r.get("section") == "table" and r.get("problem") == table_name
                        and r.get("peer_key") == peer and r.get("threads") == threads
                        and r["job"] == "factor_solve"):
                    t = r.get("median_s") or (float("inf") if "timeout_s" in r else None)
                    if t:
                        known.append((r["n"], t))
            tasks = table_tasks([folders[n] for n in sizes], ["factor_solve"], 3, args.budget)
            log(f"sweep {family}: {peer}")
            _, rows = run_peer(
                peer, threads, tasks, args.limit, work,
                on_row=predictor(args.limit, sizes, known),
            )
            results["rows"] += [
                {**r, "peer_key": peer, "section": "sweep", "family": family} for r in rows
            ]


def git(*a) -> str:
    r = subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.strip()


def fixtures_rows(data: Path, args) -> list[dict]:
    """bw2calc against hiili.bw on bw2calc's own test fixtures (each engine in its own
    process): one LCA of each fixture, as bw2calc's tests compute it."""
    out = []
    for peer in ("bw2calc (pypardiso)", "bw2calc (scipy)", "hiili.bw"):
        cmd = [sys.executable, str(ROOT / "bench" / "fixtures.py"), "--peer", peer,
               "--data", str(data), "--threads", str(CORES)]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.limit)
            for line in r.stdout.splitlines():
                out.append(json.loads(line))
            if r.returncode != 0:
                out.append({"peer": peer, "error": r.stderr.strip()[-300:]})
        except subprocess.TimeoutExpired:
            out.append({"peer": peer, "timeout_s": args.limit})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="CI-sized: small n, short limits")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--out", default=None, help="the document (default docs/performance.md; "
                    "--quick: build/bench-quick/performance.md)")
    ap.add_argument("--keep", default=None, help="keep problems and raw JSON in this folder")
    ap.add_argument("--from-json", default=None, help="only write the document from this JSON")
    ap.add_argument("--limit", type=float, default=None,
                    help="seconds after which a job is killed (default 60; --quick 20)")
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--mrio-regions", type=int, default=0,
                    help="also USEEIO v1.2 stacked over this many regions (problems.useeio_mr; "
                    "nearly dense blocks: slow for every peer, off by default)")
    args = ap.parse_args(argv)
    args.limit_arg = args.limit
    if args.quick:
        args.n, args.limit, args.reps, args.budget = 2000, 20.0, 3, 0.5
        sizes_peers, sizes_hiili = [500, 2000], [500, 2000, 8000]
    else:
        args.n, args.limit, args.reps, args.budget = 20000, 60.0, 5, 0.6
        sizes_peers = [1000, 3000, 10000, 20000, 50000, 100000]
        sizes_hiili = sizes_peers + [300000, 1000000]  # issue 14's scaling targets
    if args.limit_arg is not None:
        args.limit = args.limit_arg
    out = Path(args.out) if args.out else (
        ROOT / "build" / "bench-quick" / "performance.md" if args.quick
        else ROOT / "docs" / "performance.md"
    )
    import report

    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        report.write(results, out)
        log(f"wrote {out}")
        return 0

    t_start = time.time()
    sampler = LoadSampler()
    sampler.start()
    results = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "mode": "quick" if args.quick else "full",
        "cores": CORES,
        "limit_s": args.limit,
        "n": args.n,
        "setups": [],
        "rows": [],
        "problems": {},
    }
    log("checking the peers (requirements-bench.txt; scikit-umfpack from source)")
    results["missing"] = missing_peers()
    for k, v in results["missing"].items():
        log(f"missing: {k}: {v}")

    data = Path(args.data)
    keep = Path(args.keep) if args.keep else None
    with tempfile.TemporaryDirectory(prefix="hiili-bench-") as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        root = work / "problems"
        import problems

        folders, table_folders = [], {}
        for family in problems.FAMILIES:
            try:
                meta = problems.build_synth(root, args.n, family, uncertainty=True)
            except Exception as e:
                results["problems"][f"{family}_{args.n}"] = {"family": family, "error": str(e)}
                log(f"{family}: {e}")
                continue
            results["problems"][meta["name"]] = meta
            folders.append(root / meta["name"])
            table_folders[family] = root / meta["name"]
        for name in problems.REAL:
            try:
                meta = problems.build_real(root, data, name)
            except Exception as e:
                results["problems"][name] = {"family": problems.REAL[name][0], "error": str(e)}
                log(f"{name}: {e}")
                continue
            results["problems"][meta["name"]] = meta
            folders.append(root / meta["name"])
        if args.mrio_regions:
            try:
                meta = problems.build_useeio_mr(root, data, args.mrio_regions)
                results["problems"][meta["name"]] = meta
                folders.append(root / meta["name"])
            except Exception as e:
                results["problems"][f"useeio_mr{args.mrio_regions}"] = {"error": str(e)}
        log("problems: " + ", ".join(f"{f.name}" for f in folders))

        # the Python overhead, like for like
        exe = Path(args.build) / "bench" / "bench_overhead"
        results["overhead"] = []
        if exe.exists():
            import overhead

            for family, folder in table_folders.items():
                log(f"overhead: {folder.name}")
                try:
                    results["overhead"] += overhead.compare(
                        folder, exe, SOLVER_JOBS, reps=10 if not args.quick else 3,
                        rounds=3, work=work,
                    )
                except Exception as e:
                    results["overhead"].append({"problem": folder.name, "error": str(e)})
        else:
            results["overhead"].append({"error": f"{exe} not built"})

        run_tables(folders, args, work, results)
        if (data / "bw2calc_fixtures").exists():
            results["fixtures"] = fixtures_rows(data / "bw2calc_fixtures", args)
        if not args.skip_sweep:
            run_sweep(list(table_folders), sizes_peers, sizes_hiili, table_folders, args,
                      work, root, results)
        results["sizes"] = {"peers": sizes_peers, "hiili": sizes_hiili}
        sampler.stop.set()
        results["load"] = sampler.samples + [(time.time() - t_start, os.getloadavg()[0])]
        results["wall_s"] = time.time() - t_start
        (work / "results.json").write_text(json.dumps(results, indent=1, default=float))
        if keep is None:
            raw = out.parent / "performance.json" if args.quick else ROOT / "build" / "bench-results.json"
            raw.parent.mkdir(parents=True, exist_ok=True)
            raw.write_text(json.dumps(results, indent=1, default=float))
        report.write(results, out)
    log(f"wrote {out} ({results['wall_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
