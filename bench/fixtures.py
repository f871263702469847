#!/usr/bin/env python3
"""bw2calc's own test fixtures (../shared/data/bw2calc_fixtures), one engine per process:
the LCAs bw2calc's tests compute, timed as a Brightway script runs them (load the
datapackages, LCA + lci + lcia; MultiLCA for the multi_lca_simple packages). One JSON line per
case, with the score so that the engines can be compared.

    python bench/fixtures.py --peer "bw2calc (scipy)" --data ../shared/data/bw2calc_fixtures
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import measure, set_threads  # noqa: E402


def load(fx: Path, names):
    import bw_processing as bwp
    from fsspec.implementations.zip import ZipFileSystem

    return [bwp.load_datapackage(ZipFileSystem(fx / n)) for n in names]


def cases(fx: Path):
    mapping = dict(json.loads((fx / "bw2io_example_db_mapping.json").read_text()))
    yield "basic_fixture (LCA)", "lca", ["basic_fixture.zip"], {1: 1}, None
    yield (
        "mobility example (LCA, IPCC simple)", "lca",
        ["bw2io_example_db.zip", "ipcc_simple.zip"],
        {mapping["Driving an electric car"]: 1}, ("IPCC", "simple"),
    )
    yield (
        "multi_lca_simple 1-5 (MultiLCA, 3 demands x 2 methods)", "multilca",
        [f"multi_lca_simple_{i}.zip" for i in range(1, 6)],
        {"γ": {100: 1}, "ε": {103: 2}, "ζ": {105: 3}},
        {"impact_categories": [("first", "category"), ("second", "category")]},
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    set_threads(args.threads)
    import warnings

    warnings.simplefilter("ignore")
    if args.peer == "bw2calc (scipy)":
        sys.modules["pypardiso"] = None  # bw2calc without pypardiso and scikit-umfpack
        sys.modules["scikits.umfpack"] = None
    if args.peer.startswith("bw2calc"):
        import bw2calc as mod

        solver = (f"bw2calc {mod.__version__}: PYPARDISO = {mod.PYPARDISO}, "
                  f"UMFPACK = {getattr(mod, 'UMFPACK', False)}")
        if args.peer == "bw2calc (pypardiso)" and not mod.PYPARDISO:
            print(json.dumps({"peer": args.peer, "skipped": "pypardiso is not importable"}))
            return 0
    else:
        import hiili.bw as mod

        solver = "hiili.bw"
    fx = Path(args.data) / "fixtures"
    for name, kind, files, demand, method in cases(fx):
        row = {"peer": args.peer, "solver": solver, "case": name}
        try:
            dps = load(fx, files)
            if kind == "lca":

                def fn(dps=dps, demand=demand):
                    lca = mod.LCA(demand, data_objs=dps)
                    lca.lci()
                    lca.lcia()
                    return float(lca.score)

            else:

                def fn(dps=dps, demand=demand, method=method):
                    m = mod.MultiLCA(demand, method, dps)
                    m.lci()
                    m.lcia()
                    return {f"{k[0][0]}/{k[1]}": float(v) for k, v in m.scores.items()}

            stats, out = measure(fn, reps=20, budget=1.0)
            row.update(stats, result=out)
        except Exception as e:
            row["error"] = f"{type(e).__name__}: {e}"
        print(json.dumps(row, default=float), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
