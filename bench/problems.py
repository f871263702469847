"""The benchmark's problems: built once with hiili, written as plain scipy files for the peers.

Families: hiili.synth's default ("ecoinvent", calibrated to real databases) and its "stress"
structure, at any n; the real datasets in ../shared/data (USLCI, USEEIO v1.2, USEEIO v2.0 GHG);
and a multi-region stacking of USEEIO v1.2 (how it is built: `useeio_mr`).

Each problem folder holds A.npz, B.npz, C.npz (scipy CSC), draws.npy (two copies of A's values
with every off-diagonal entry scaled by a factor in [0.9, 1.1]: the refactorisation jobs'
draws), uncertainty.npz (the entries and stats_arrays fields of A and B, synth only) and
meta.json (name, family, n, nnz, the demand, how it was built). The peers read only these
files: their processes never import hiili.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

import hiili

SYNTH_K = 20  # impact categories of the synthetic models (activity scores k = 20)
FAMILIES = ("ecoinvent", "stress")

REAL = {
    # name: (family label, path under the data folder)
    "uslci": ("USLCI", "uslci/uslci_olca1_5_0_json_ld.zip"),
    "useeio_v1.2": ("USEEIO v1.2", "useeio_v1.2"),
    "useeio_v2.0": ("USEEIO v2.0 GHG", "useeio_v2.0_ghg"),
}


def synth_supports_family() -> bool:
    try:
        hiili._core.SynthOptions(n=10, m=-1, k=1, seed=1, uncertainty=False, family="stress")
        return True
    except TypeError:
        return False


def synth_model(n: int, family: str, uncertainty: bool = False):
    """hiili.synth(n, seed=1, family=...). Before the family argument existed, synth's only
    structure was today's "stress" one; "ecoinvent" then raises."""
    if synth_supports_family():
        return hiili.synth(n, seed=1, k=SYNTH_K, family=family, uncertainty=uncertainty)
    if family == "stress":
        return hiili.synth(n, seed=1, k=SYNTH_K, uncertainty=uncertainty)
    raise RuntimeError(f"hiili.synth has no family argument in this build: no {family!r} family")


def synth_recipe(n: int, family: str) -> dict:
    args = {"n": n, "seed": 1, "k": SYNTH_K}
    if synth_supports_family():
        args["family"] = family
    return {"kind": "synth", "args": args}


def useeio_mr(data: Path, regions: int, trade: float = 0.2, seed: int = 1):
    """A multi-region stacking of USEEIO v1.2 (real coefficients, synthetic trade): `regions`
    copies of A; region r buys the share 1 - trade of each input at home and trade / 2 from
    each of regions r + 1 and r + 7 (mod R), and each region's coefficients are scaled
    entry-wise by a lognormal factor (sigma 0.1, seeded) so that the regions differ. B and C
    are USEEIO's, stacked the same way (B block-diagonal, C repeated). The technosphere is
    I - A_mr."""
    m = hiili.read(data / "useeio_v1.2")
    T = m.A.tocsc()  # I - A
    n0 = T.shape[0]
    A0 = (sp.identity(n0, format="csc") - T).tocoo()
    rng = np.random.default_rng(seed)
    rows, cols, vals = [], [], []
    partners = (1, 7)
    for r in range(regions):
        noise = np.exp(0.1 * rng.standard_normal(A0.nnz))
        v = A0.data * noise
        for src, share in ((r, 1 - trade), *(((r + d) % regions, trade / 2) for d in partners)):
            rows.append(A0.row + src * n0)
            cols.append(A0.col + r * n0)
            vals.append(v * share)
    n = n0 * regions
    A = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    T_mr = (sp.identity(n, format="csc") - A).tocsc()
    B = sp.block_diag([m.B] * regions, format="csc")
    C = sp.hstack([m.C] * regions, format="csc") if m.k else sp.csc_matrix((0, B.shape[0]))
    return T_mr, B, C


def perturbed(A: sp.csc_matrix, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = A.data.copy()
    rows = A.indices
    cols = np.repeat(np.arange(A.shape[1]), np.diff(A.indptr))
    off = rows != cols
    v[off] *= 0.9 + 0.2 * rng.random(int(off.sum()))
    return v


def demand_column(A: sp.csc_matrix, synth: bool) -> int:
    """The demand: one unit of the last activity for synth (a periphery activity whose supply
    chain reaches the core); for the real datasets the activity with the most inputs."""
    if synth:
        return A.shape[0] - 1
    return int(np.argmax(np.diff(A.indptr)))


def write(folder: Path, name: str, family: str, A, B, C, recipe: dict, model=None) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    A = sp.csc_matrix(A)
    A.sum_duplicates()
    A.sort_indices()
    A.indices = A.indices.astype(np.int32)
    A.indptr = A.indptr.astype(np.int32)
    sp.save_npz(folder / "A.npz", A, compressed=False)
    sp.save_npz(folder / "B.npz", sp.csc_matrix(B), compressed=False)
    sp.save_npz(folder / "C.npz", sp.csc_matrix(C), compressed=False)
    np.save(folder / "draws.npy", np.vstack([perturbed(A, 2), perturbed(A, 3)]))
    synth = recipe.get("kind") == "synth"
    j = demand_column(A, synth)
    meta = {
        "name": name,
        "family": family,
        "n": int(A.shape[0]),
        "nnz": int(A.nnz),
        "m": int(B.shape[0]),
        "k": int(C.shape[0]),
        "nnz_B": int(sp.csc_matrix(B).nnz),
        "demand": j,
        "demand2": int((j + 7919) % A.shape[0]) if A.shape[0] > 1 else 0,
        "recipe": recipe,
    }
    if model is not None and model.has_uncertainty("A"):
        write_uncertainty(folder / "uncertainty.npz", model)
        meta["uncertainty"] = True
    (folder / "meta.json").write_text(json.dumps(meta, indent=1))
    return meta


def write_uncertainty(path: Path, model) -> None:
    out = {}
    for mat in ("A", "B"):
        e = model.entries(mat)
        out[f"{mat}_row"] = e["row"].to_numpy()
        out[f"{mat}_col"] = e["col"].to_numpy()
        out[f"{mat}_amount"] = e["amount"].to_numpy(float)
        out[f"{mat}_flip"] = e["flip"].to_numpy(bool)
        out[f"{mat}_type"] = e["uncertainty_type"].to_numpy()
        for c in ("loc", "scale", "shape", "minimum", "maximum"):
            out[f"{mat}_{c}"] = e[c].to_numpy(float)
        out[f"{mat}_negative"] = e["negative"].to_numpy(bool)
    np.savez(path, **out)


def build_synth(root: Path, n: int, family: str, uncertainty: bool) -> dict:
    name = f"{family}_{n}"
    model = synth_model(n, family, uncertainty=uncertainty)
    return write(
        root / name, name, family, model.A, model.B, model.C, synth_recipe(n, family),
        model if uncertainty else None,
    )


def build_real(root: Path, data: Path, name: str) -> dict:
    label, rel = REAL[name]
    path = data / rel
    model = hiili.read(path)
    return write(
        root / name, name, label, model.A, model.B, model.C, {"kind": "read", "path": str(path)}
    )


def build_useeio_mr(root: Path, data: Path, regions: int) -> dict:
    name = f"useeio_mr{regions}"
    A, B, C = useeio_mr(data, regions)
    recipe = {"kind": "useeio_mr", "regions": regions, "path": str(data / "useeio_v1.2")}
    return write(root / name, name, "USEEIO v1.2 x regions", A, B, C, recipe)
