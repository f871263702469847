"""Independent reference answers and seeded random systems for the Python tests."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

BACKENDS = ("klu", "umfpack", "eigen")


def sparse_random(rng: np.random.Generator, rows: int, cols: int, per_col: float) -> sp.csc_array:
    """A random sparse pattern with about `per_col` entries per column, N(0, 1) values."""
    nnz = round(per_col * cols)
    r = rng.integers(0, rows, nnz)
    c = rng.integers(0, cols, nnz)
    v = rng.standard_normal(nnz)
    M = sp.coo_array((v, (r, c)), shape=(rows, cols)).tocsc()
    M.sum_duplicates()
    return M


def technosphere(n: int, per_col: float, kind: str, seed: int) -> sp.csc_array:
    """A nonsingular n x n test matrix.

    dominant: LCA-like, negative inputs off the diagonal, strictly column diagonally dominant.
    permuted: `dominant` with rows permuted (zeros on the diagonal: needs pivoting) and columns
              scaled over four orders of magnitude.
    general:  N(0, 1) entries plus a diagonal of random sign, not diagonally dominant.
    """
    rng = np.random.default_rng(seed)
    R = sparse_random(rng, n, n, per_col)
    R.setdiag(0)
    R.eliminate_zeros()
    if kind in ("dominant", "permuted"):
        R.data = -np.abs(R.data)
        colsum = np.asarray(abs(R).sum(axis=0)).ravel()
        diag = (colsum + 0.1) * rng.uniform(1.1, 2.0, n)
        A = (R + sp.diags_array(diag)).tocsc()
        if kind == "permuted":
            P = sp.eye_array(n, format="csc")[rng.permutation(n)]
            S = sp.diags_array(10.0 ** rng.uniform(-2, 2, n))
            A = (P @ A @ S).tocsc()
    elif kind == "general":
        scale = 2.0 * np.sqrt(max(per_col, 1.0))
        diag = rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 1.5, n) * scale
        A = (R + sp.diags_array(diag)).tocsc()
    else:
        raise ValueError(kind)
    A.sum_duplicates()
    A.sort_indices()
    return A


def model_matrices(n: int, m: int, k: int, per_col: float, kind: str, seed: int):
    A = technosphere(n, per_col, kind, seed)
    rng = np.random.default_rng(seed + 1000)
    B = sparse_random(rng, m, n, 3.0)
    B.data = np.abs(B.data)
    C = sparse_random(rng, k, m, 0.8 * k + 0.5)
    return A, B, C


def spsolve(A, b, transposed: bool = False) -> np.ndarray:
    """scipy's answer (CSR input: scipy's faster path for these structures)."""
    M = (A.T if transposed else A).tocsr()
    x = sla.spsolve(M, b)
    return np.asarray(x).reshape(np.shape(b))


def rel_err(x, ref) -> float:
    """max-norm relative error of x against the reference."""
    x, ref = np.asarray(x), np.asarray(ref)
    scale = np.max(np.abs(ref))
    return float(np.max(np.abs(x - ref)) / scale) if scale > 0 else float(np.max(np.abs(x)))
