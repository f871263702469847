#!/usr/bin/env python3
"""Assembles the seed corpora of the fuzz targets (tests/fuzz) under OUT/<target>/.

Seeds are built at run time from the open data in ../shared/data (small pieces of it: a few
sectors of USEEIO, a few processes of USLCI, the bw2calc fixture packages) and from the test
data in tests/cpp/data; nothing of shared/ is copied into the repository. Multi-file inputs
use the harness's sections: a line "=== <relative path>" starts each file (tests/fuzz/harness.hpp).

Usage: make_corpus.py OUT [SHARED_DATA]   (standard library only)
"""

from __future__ import annotations

import io
import json
import pathlib
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def sections(files: dict[str, bytes | str]) -> bytes:
    """Files as one input: "=== name\n" + content, joined by "\n" (not part of the content)."""
    parts = []
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        parts.append(f"=== {name}\n".encode() + data)
    return b"\n".join(parts)


class Corpus:
    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.counts: dict[str, int] = {}

    def add(self, target: str, data: bytes | str) -> None:
        folder = self.root / target
        folder.mkdir(parents=True, exist_ok=True)
        n = self.counts.get(target, 0)
        (folder / f"seed-{n:03d}").write_bytes(data.encode() if isinstance(data, str) else data)
        self.counts[target] = n + 1


def dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def useeio_submodel(folder: pathlib.Path, n: int, m: int, k: int) -> dict[str, str]:
    """The first n sectors, m flows and k indicators of a USEEIO model, as its files."""
    load = lambda name: json.loads((folder / name).read_text())  # noqa: E731
    a = [row[:n] for row in load("matrix/A.json")[:n]]
    b = [row[:n] for row in load("matrix/B.json")[:m]]
    c = [row[:m] for row in load("matrix/C.json")[:k]]
    files = {"matrix/A.json": dumps(a), "matrix/B.json": dumps(b), "matrix/C.json": dumps(c)}
    sectors = sorted(load("sectors.json"), key=lambda s: s["index"])[:n]
    for s in sectors:
        s["description"] = s.get("description", "")[:40]
    files["sectors.json"] = dumps(sectors)
    if (folder / "flows.json").exists():
        files["flows.json"] = dumps(sorted(load("flows.json"), key=lambda f: f["index"])[:m])
    files["indicators.json"] = dumps(sorted(load("indicators.json"), key=lambda i: i["index"])[:k])
    demands = load("demands.json")[:1]
    files["demands.json"] = dumps(demands)
    ids = {s["id"] for s in sectors}
    for d in demands:
        rows = [r for r in load(f"demands/{d['id']}.json") if r["sector"] in ids][:n]
        if not rows:
            rows = [{"sector": sectors[0]["id"], "amount": 1000.0}]
        files[f"demands/{d['id']}.json"] = dumps(rows)
    return files


def matrix_market(matrix: list[list[float]]) -> str:
    entries = [(i, j, v) for i, row in enumerate(matrix) for j, v in enumerate(row) if v != 0]
    lines = ["%%MatrixMarket matrix coordinate real general", "% from USEEIO",
             f"{len(matrix)} {len(matrix[0])} {len(entries)}"]
    lines += [f"{i + 1} {j + 1} {v!r}" for i, j, v in entries]
    return "\n".join(lines) + "\n"


def csv_triplets(matrix: list[list[float]], uncertainty: bool) -> str:
    head = "row,col,value,flip,uncertainty_type,loc,scale,shape,minimum,maximum,negative"
    lines = [head if uncertainty else "row,col,value"]
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            if v == 0:
                continue
            if uncertainty:
                lines.append(f"{i},{j},{abs(v)!r},{'true' if v < 0 else 'false'},2,0.1,0.2,,,,false")
            else:
                lines.append(f"{i},{j},{v!r}")
    return "\n".join(lines) + "\n"


def labels(rows: list[dict], columns: list[str]) -> str:
    def cell(value) -> str:
        text = str(value).replace('"', '""')
        return f'"{text}"' if any(ch in text for ch in ',"\n') else text

    lines = [",".join(columns)] + [",".join(cell(r.get(c, "")) for c in columns) for r in rows]
    return "\n".join(lines) + "\n"


def add_useeio(corpus: Corpus, shared: pathlib.Path) -> None:
    for name, (n, m, k) in {"useeio_v1.2": (4, 3, 2), "useeio_v2.0_ghg": (5, 3, 2)}.items():
        files = useeio_submodel(shared / name, n, m, k)
        corpus.add("useeio", sections(files))
        corpus.add("useeio", files["matrix/A.json"])
        a, b, c = (json.loads(files[f"matrix/{x}.json"]) for x in "ABC")
        sectors = json.loads(files["sectors.json"])
        mm = {"A.mtx": matrix_market(a), "B.mtx": matrix_market(b), "C.mtx": matrix_market(c),
              "activities.csv": labels(sectors, ["id", "name", "location"])}
        corpus.add("matrix_market", sections(mm))
        corpus.add("matrix_market", mm["A.mtx"])
        csv = {"A.csv": csv_triplets(a, True), "B.csv": csv_triplets(b, False),
               "C.csv": csv_triplets(c, False), "activities.csv": mm["activities.csv"]}
        corpus.add("csv_triplets", sections(csv))
        corpus.add("csv_triplets", csv_triplets(a, False))
    # Matrix Market variants the USEEIO pieces do not show.
    corpus.add("matrix_market", "%%MatrixMarket matrix array real general\n2 2\n1\n-0.5\n0\n1\n")
    corpus.add("matrix_market", "%%MatrixMarket matrix coordinate integer symmetric\n3 3 4\n"
               "1 1 1\n2 2 1\n3 3 1\n3 1 -2\n")
    corpus.add("matrix_market", "%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 1\n2 2\n")
    corpus.add("matrix_market", "%%MatrixMarket matrix array real skew-symmetric\n2 2\n0.5\n")
    corpus.add("matrix_market", b"%%MatrixMarket matrix coordinate real g\xe9n\xe9ral\n1 1 1\n1 1 1\n")


def add_datapackages(corpus: Corpus, shared: pathlib.Path) -> None:
    for package in sorted((shared / "bw2calc_fixtures" / "fixtures").glob("*.zip")):
        raw = package.read_bytes()
        corpus.add("datapackage", raw)
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            members = {name: z.read(name) for name in z.namelist() if not name.endswith("/")}
        corpus.add("datapackage", sections(members))
        for name, content in members.items():
            if name.endswith(".npy"):
                corpus.add("npy", content)


def add_npy_variants(corpus: Corpus) -> None:
    def npy(descr: str, shape: str, body: bytes, version: int = 1) -> bytes:
        header = f"{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}"
        pad = 64 - (10 + len(header) + 1) % 64
        header = header + " " * pad + "\n"
        size = len(header).to_bytes(2 if version == 1 else 4, "little")
        return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode() + body

    corpus.add("npy", npy("'<f4'", "(2,)", b"\x00\x00\x80?\x00\x00\x00@"))
    corpus.add("npy", npy("'>i8'", "(1,)", b"\x00" * 7 + b"\x05", version=2))
    corpus.add("npy", npy("'|b1'", "(3,)", b"\x01\x00\x01", version=3))
    corpus.add("npy", npy("[('row', '<i4'), ('col', '<u8')]", "(1,)", b"\x01\x00\x00\x00" + b"\x02" + b"\x00" * 7))


def add_openlca(corpus: Corpus, shared: pathlib.Path) -> None:
    with zipfile.ZipFile(shared / "uslci" / "uslci_olca1_5_0_json_ld.zip") as z:
        names = z.namelist()
        processes = sorted((n for n in names if n.startswith("processes/")), key=lambda n: z.getinfo(n).file_size)
        for count in (1, 3):
            chosen = processes[:count] if count == 1 else processes[5:5 + count]
            members: dict[str, bytes] = {}
            flows: set[str] = set()
            for name in chosen:
                members[name] = z.read(name)
                for exchange in json.loads(members[name]).get("exchanges", []):
                    if "flow" in exchange:
                        flows.add(exchange["flow"]["@id"])
            properties: set[str] = set()
            for flow in sorted(flows):
                name = f"flows/{flow}.json"
                if name in names:
                    members[name] = z.read(name)
                    for factor in json.loads(members[name]).get("flowProperties", []):
                        properties.add(factor["flowProperty"]["@id"])
            groups: set[str] = set()
            for prop in sorted(properties):
                name = f"flow_properties/{prop}.json"
                if name in names:
                    members[name] = z.read(name)
                    group = json.loads(members[name]).get("unitGroup")
                    if group:
                        groups.add(group["@id"])
            for group in sorted(groups):
                name = f"unit_groups/{group}.json"
                if name in names:
                    members[name] = z.read(name)
            corpus.add("openlca", sections(members))
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
                for name, content in members.items():
                    out.writestr(name, content)
            corpus.add("openlca", buffer.getvalue())


def add_ecoinvent(corpus: Corpus) -> None:
    folder = ROOT / "tests" / "cpp" / "data" / "io" / "ecoinvent" / "small"
    files = {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}
    corpus.add("ecoinvent", sections(files))
    corpus.add("ecoinvent", sections({k: v for k, v in files.items() if k in ("A_public.csv", "ie_index.csv")}))
    corpus.add("ecoinvent", sections(files) + b"\x06")  # last byte: Utf8, strict (see the target)


def add_scenarios(corpus: Corpus) -> None:
    corpus.add("scenario", dumps({"name": "coal out", "changes": [
        {"matrix": "A", "row": 1, "col": 0, "value": -0.25},
        {"matrix": "B", "row": "f1", "col": "a2", "value": 2.5},
        {"matrix": "C", "row": "c0", "col": "f0", "value": 1e-3}]}))
    corpus.add("scenario", dumps({"changes": [{"matrix": "technosphere", "row": "a0", "col": "a1", "value": 0}]}))
    corpus.add("scenario", '{"name":"x","changes":[]}')


def add_footprint_activity(corpus: Corpus) -> None:
    example = (ROOT / "examples" / "footprint" / "activity.csv").read_bytes()
    corpus.add("footprint_activity", example)
    corpus.add("footprint_activity", b"year,category,amount,unit,note\n# a comment\n"
               b"2023,electricity,1200.5,kWh,\"office, \"\"main\"\"\"\n2023,diesel,40,L,\n")


def add_analysis_cache(corpus: Corpus) -> None:
    # fuzz_analysis_cache: an even first byte XORs the rest onto a valid file's payload (zeros:
    # the valid file itself); an odd one gives the whole file.
    corpus.add("analysis_cache", b"\x00")
    corpus.add("analysis_cache", b"\x00" + bytes(96) + b"\x01")
    corpus.add("analysis_cache", b"\x01HIILIKLU" + bytes(72))


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = pathlib.Path(sys.argv[1])
    shared = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT.parent / "shared" / "data"
    if not shared.is_dir():
        print(f"make_corpus: {shared}: no such folder (the open data the seeds come from)", file=sys.stderr)
        return 1
    corpus = Corpus(out)
    add_useeio(corpus, shared)
    add_datapackages(corpus, shared)
    add_npy_variants(corpus)
    add_openlca(corpus, shared)
    add_ecoinvent(corpus)
    add_scenarios(corpus)
    add_footprint_activity(corpus)
    add_analysis_cache(corpus)
    for target, count in sorted(corpus.counts.items()):
        print(f"make_corpus: {count:3d} seeds for {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
