"""Every typed error, raised through the Python API, with the class hierarchy users catch."""

import numpy as np
import pytest
import scipy.sparse as sp

import hiili
from hiili import _core

from helpers import technosphere

A_OK = np.array([[1.0, -0.5], [-0.2, 1.0]])
B_OK = np.array([[1.0, 2.0]])
C_OK = np.array([[3.0]])


@pytest.fixture(scope="module")
def lca():
    return hiili.Lca(hiili.Model(A_OK, B_OK, C_OK, activities=["a", "b"]))


def test_hierarchy():
    for cls in (
        hiili.InvalidInputError,
        hiili.SingularMatrixError,
        hiili.IllConditionedError,
        hiili.FormatError,
    ):
        assert issubclass(cls, hiili.Error)
        assert cls.__module__ == "hiili"
    assert issubclass(hiili.Error, RuntimeError)
    assert issubclass(hiili.InvalidInputError, ValueError)
    assert hiili.Error is _core.Error


# ---- singular technosphere ---------------------------------------------------------------


def test_structurally_singular(backend):
    A = np.array([[1.0, 0.0], [1.0, 0.0]])  # column 1 is empty
    with pytest.raises(hiili.SingularMatrixError) as info:
        hiili.Lca(hiili.Model(A), solver=backend)
    assert isinstance(info.value.column, int)
    assert info.value.column in (-1, 0, 1)
    assert isinstance(info.value.rcond, float)
    assert "singular" in str(info.value)


def test_numerically_singular(backend):
    A = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 1.0]])  # rank 2
    with pytest.raises(hiili.SingularMatrixError):
        hiili.Lca(hiili.Model(A), solver=backend)


def test_singular_factorization_and_refactor(backend):
    F = hiili.Factorization(sp.csc_array(np.array([[1.0, 2.0], [3.0, 4.0]])), solver=backend)
    # Same pattern, values of a rank-1 matrix (CSC order: column 0 then column 1).
    with pytest.raises(hiili.SingularMatrixError):
        F.refactor(np.array([1.0, 2.0, 2.0, 4.0]))
    with pytest.raises(hiili.SingularMatrixError):
        F.factorize(np.array([1.0, 2.0, 2.0, 4.0]))


# ---- residual check ------------------------------------------------------------------------


def test_ill_conditioned_when_residual_cannot_meet_tolerance(backend):
    # A tolerance no floating-point answer meets makes every solve fail its residual check.
    A = technosphere(50, 4, "general", seed=1)
    lca = hiili.Lca(hiili.Model(A), solver=backend, residual_tolerance=1e-300)
    with pytest.raises(hiili.IllConditionedError) as info:
        lca.solve(np.random.default_rng(0).standard_normal(50))
    assert info.value.residual > 1e-300
    assert isinstance(info.value.rcond, float)


def test_an_answer_that_overflows_is_refused_not_returned():
    # Finite A and b whose solution is NaN in every entry after overflow: the residual's
    # norm once dropped the NaN and returned the answer with a backward error of 0.
    A = np.array([[0.84407868, 0.0, 1.57440828, -0.43278585],
                  [0.0, 0.07559361, 0.0, 0.16100958],
                  [-0.58552882, -1.34121971, -1.42677385, 0.50268285],
                  [0.0, -0.16429459, -1.07436486, -0.1350451]])
    f = hiili.Factorization(sp.csc_matrix(A))
    with pytest.raises(hiili.IllConditionedError, match="not finite"):
        f.solve(np.array([-1e308, -1e308, 1e308, 1e308]))
    x = f.solve(np.ones(4))  # the same factorisation, a right-hand side in range
    np.testing.assert_allclose(A @ x, np.ones(4), rtol=0, atol=1e-12)


# ---- invalid input -------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["A", "B", "C"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_matrix_values(where, bad):
    mats = {"A": A_OK.copy(), "B": B_OK.copy(), "C": C_OK.copy()}
    mats[where][0, 0] = bad
    with pytest.raises(hiili.InvalidInputError, match="not finite"):
        hiili.Model(mats["A"], mats["B"], mats["C"])


def test_wrong_shapes():
    with pytest.raises(hiili.InvalidInputError, match="square"):
        hiili.Model(np.ones((2, 3)))
    with pytest.raises(hiili.InvalidInputError, match="biosphere"):
        hiili.Model(A_OK, np.ones((1, 3)), C_OK)
    with pytest.raises(hiili.InvalidInputError, match="characterization"):
        hiili.Model(A_OK, B_OK, np.ones((1, 2)))
    with pytest.raises(hiili.InvalidInputError):
        hiili.Model(np.ones(3))  # not 2-d
    with pytest.raises(hiili.InvalidInputError):
        hiili.Model(np.zeros((0, 0)))  # no activities
    with pytest.raises(hiili.InvalidInputError, match="labels"):
        hiili.Model(A_OK, activities=["only one"])


def test_bad_csc_arrays_through_the_core():
    # Row index out of range in a hand-made CSC matrix.
    bad = sp.csc_array((2, 2))
    bad.data = np.array([1.0, 1.0])
    bad.indices = np.array([0, 5], dtype=np.int32)
    bad.indptr = np.array([0, 1, 2], dtype=np.int32)
    with pytest.raises(hiili.InvalidInputError, match="out of range"):
        _core.Model.from_csc(bad, sp.csc_array((0, 2)), sp.csc_array((0, 0)))


def test_demand_errors(lca):
    with pytest.raises(hiili.InvalidInputError, match="out of range"):
        lca.solve({2: 1.0})
    with pytest.raises(hiili.InvalidInputError, match="out of range"):
        lca.solve({-1: 1.0})
    with pytest.raises(hiili.InvalidInputError, match="unknown activity label"):
        lca.solve({"c": 1.0})
    with pytest.raises(hiili.InvalidInputError, match="empty"):
        lca.solve({})
    with pytest.raises(hiili.InvalidInputError, match="empty"):
        lca.solve(np.zeros(2))
    with pytest.raises(hiili.InvalidInputError, match="empty"):
        lca.solve({0: 0.0})
    with pytest.raises(hiili.InvalidInputError, match="not finite"):
        lca.solve({0: np.nan})
    with pytest.raises(hiili.InvalidInputError, match="not finite"):
        lca.solve(np.array([1.0, np.inf]))
    with pytest.raises(hiili.InvalidInputError, match="entries"):
        lca.solve(np.ones(3))
    with pytest.raises(hiili.InvalidInputError):
        lca.solve(np.ones((2, 2)))
    with pytest.raises(hiili.InvalidInputError, match="rows"):
        lca.solve_many(np.ones((3, 2)))
    with pytest.raises(hiili.InvalidInputError, match="empty"):
        lca.solve_many(np.array([[1.0, 0.0], [1.0, 0.0]]))
    with pytest.raises(hiili.InvalidInputError, match="not finite"):
        lca.solve_many(np.array([[1.0, np.nan], [1.0, 0.0]]))
    with pytest.raises(hiili.InvalidInputError):
        lca.solve_many(np.ones(2))
    with pytest.raises(TypeError):
        lca.solve({1.5: 1.0})
    with pytest.raises(TypeError):
        lca.solve(np.array([1 + 1j, 0]))
    # InvalidInputError is also a ValueError, and a hiili.Error.
    with pytest.raises(ValueError, match="empty"):
        lca.solve({})
    with pytest.raises(hiili.Error):
        lca.solve({})


def test_update_technosphere_errors(lca):
    with pytest.raises(hiili.InvalidInputError):
        lca.update_technosphere(np.ones(3))  # wrong count
    with pytest.raises(hiili.InvalidInputError):
        lca.update_technosphere(np.array([1.0, np.nan, 1.0, 1.0]))


def test_option_errors():
    model = hiili.Model(A_OK)
    with pytest.raises(hiili.InvalidInputError, match="superlu"):
        hiili.Lca(model, solver="superlu")
    with pytest.raises(hiili.InvalidInputError, match="residual_tolerance"):
        hiili.Lca(model, residual_tolerance=0.0)
    with pytest.raises(hiili.InvalidInputError):
        hiili.synth(n=0)
    with pytest.raises(TypeError):
        hiili.Lca("not a model")


def test_types_are_not_cast_silently():
    with pytest.raises(TypeError, match="real"):
        hiili.Model(A_OK.astype(complex))
    with pytest.raises(TypeError, match="real"):
        hiili.Model(np.array([["1", "0"], ["0", "1"]]))
    # The core itself takes float64 only and says so; the Python layer converts on purpose.
    A32 = sp.csc_array(A_OK.astype(np.float32))
    with pytest.raises(TypeError, match="float64"):
        _core.Model.from_csc(A32, sp.csc_array((0, 2)), sp.csc_array((0, 0)))
    with pytest.raises(TypeError):
        _core.Model.from_csc(A_OK, sp.csc_array((0, 2)), sp.csc_array((0, 0)))  # dense
    with pytest.raises(TypeError):
        _core.Lca(hiili.Model(A_OK)._cpp).solve_many(np.ones((2, 1), dtype=np.float32))


def test_errors_raised_from_python_have_default_attributes():
    err = hiili.SingularMatrixError("by hand")
    assert err.column == -1
    assert err.rcond == 0.0
    assert np.isnan(hiili.IllConditionedError("by hand").residual)


# ---- arguments at the edges (hiili/limits.hpp) -----------------------------------------------
# Each bad number is a hiili.InvalidInputError (never pybind's TypeError, MemoryError or a
# crash) whose message names the argument and the range it may take.


def _raises(call, *parts):
    with pytest.raises(hiili.InvalidInputError) as info:
        call()
    for part in parts:
        assert part in str(info.value), str(info.value)
    return str(info.value)


def test_synth_sizes_at_the_edges():
    size = f"[1, {hiili._core.SYNTH_MAX_SIZE}]"
    _raises(lambda: hiili.synth(10**12), "synth: n must be in " + size, "got 1000000000000")
    _raises(lambda: hiili.synth(10**30), "synth: n must be in " + size, "got 1" + "0" * 30)
    _raises(lambda: hiili.synth(2.5), "synth: n must be an integer in " + size, "2.5")
    _raises(lambda: hiili.synth(float("nan")), "synth: n must be an integer")
    _raises(lambda: hiili.synth(True), "synth: n must be an integer")
    _raises(lambda: hiili.synth("100"), "synth: n must be an integer")
    _raises(lambda: hiili.synth(0), "synth: n must be in " + size, "got 0")
    _raises(lambda: hiili.synth(50, k=-1), "synth: k must be in [0, 100000]")
    _raises(lambda: hiili.synth(50, m=0), "synth: m (-1: n / 8) must be in [1, ")
    _raises(lambda: hiili.synth(50, seed=-1), "synth: seed must be in [0, 18446744073709551615]")
    _raises(lambda: hiili.synth(50, seed=2**64), "synth: seed")
    _raises(lambda: hiili.synth(50, core_fraction=float("nan")), "core_fraction must be in [0, 1]")
    _raises(lambda: hiili.synth(50, mean_inputs="many"), "mean_inputs must be a number")
    # Within the bound but beyond any machine's memory: refused by the estimate.
    _raises(
        lambda: hiili.synth(10**9, mean_inputs=400), "synth: a model with n = 1000000000", "memory"
    )
    # Whole floats are whole numbers; the largest seed is fine.
    assert hiili.synth(1e2, seed=2**64 - 1).n == 100


def test_synth_memory_estimate_against_an_explicit_limit(monkeypatch):
    hiili.synth(2000)
    monkeypatch.setenv("HIILI_MEMORY_LIMIT", "100k")
    _raises(lambda: hiili.synth(2000), "n = 2000", "more than the 100 KiB of memory available")
    monkeypatch.setenv("HIILI_MEMORY_LIMIT", "plenty")
    _raises(lambda: hiili.synth(50), "HIILI_MEMORY_LIMIT")


def test_factorisation_too_large_for_memory(monkeypatch):
    model = hiili.synth(2000)
    monkeypatch.setenv("HIILI_MEMORY_LIMIT", "64k")
    _raises(lambda: hiili.Lca(model), "factorising the 2000 x 2000 technosphere (KLU predicts")


@pytest.fixture(scope="module")
def uncertain_model():
    return hiili.synth(300, seed=3, uncertainty=True)


def test_monte_carlo_arguments_at_the_edges(uncertain_model):
    model, demand = uncertain_model, {299: 1.0}
    top = hiili._core.max_threads()
    threads = f"threads must be 0 (all cores) or in [1, {top}]"
    for bad in (-1, top + 1, 100000, 10**30):
        _raises(lambda bad=bad: hiili.MonteCarlo(model, demand, threads=bad), threads)
    for bad in (2.5, True, "2", float("nan")):
        _raises(
            lambda bad=bad: hiili.MonteCarlo(model, demand, threads=bad),
            "threads must be an integer",
        )
    seed = "seed must be in [0, 18446744073709551615]"
    _raises(lambda: hiili.MonteCarlo(model, demand, seed=-1), seed)
    _raises(lambda: hiili.MonteCarlo(model, demand, seed=0.5), "seed must be an integer")
    _raises(lambda: hiili.MonteCarlo(model, demand, chunk=-1), "chunk must be in [0, 1048576]")
    _raises(lambda: hiili.MonteCarlo(model, demand, chunk=2**80), "chunk must be in [0, 1048576]")
    _raises(lambda: hiili.MonteCarlo(model, demand, sketch_accuracy=float("nan")), "accuracy")
    _raises(lambda: hiili.MonteCarlo(model, demand, progress_interval=-1), "progress_interval")
    _raises(lambda: hiili.MonteCarlo(model, demand, progress_interval="x"), "progress_interval")
    mc = hiili.MonteCarlo(model, demand, threads=1)
    _raises(lambda: mc.run(-5), "iterations must be >= 0")
    _raises(lambda: mc.run(2.5), "iterations must be an integer")
    _raises(lambda: mc.run(10**30), "iterations must be in [0, 1099511627776]")
    _raises(lambda: mc.run(5, first_iteration=-1), "first_iteration must be >= 0")
    # A table of 2^40 x 3 scores cannot be kept: the error names the option that streams.
    _raises(lambda: mc.run(2**40), "keep_scores", "TiB")
    assert mc.run(3).completed == 3


def test_factorization_options_at_the_edges(uncertain_model):
    for name in ("residual_tolerance", "singular_rcond", "refactor_rcond_ratio", "amd_dense"):
        _raises(lambda name=name: hiili.Lca(uncertain_model, **{name: float("nan")}), name)
        _raises(lambda name=name: hiili.Lca(uncertain_model, **{name: "small"}), name)
    _raises(lambda: hiili.Lca(uncertain_model, static_solve_after=2.5), "static_solve_after")
    _raises(lambda: hiili.Lca(uncertain_model, static_solve_after=10**30), "static_solve_after")
    _raises(lambda: hiili.Lca(uncertain_model, refactor_threads=-1), "refactor_threads")
    _raises(lambda: hiili.Lca(uncertain_model, refactor_threads=2.5), "refactor_threads")
    _raises(lambda: hiili.Lca(uncertain_model, refactor_threads=2**40), "refactor_threads")
    _raises(lambda: hiili.Lca(uncertain_model, btf="yes"), "btf must be True or False")


def test_analysis_arguments_at_the_edges(uncertain_model):
    lca = hiili.Lca(uncertain_model)
    _raises(lambda: lca.contributions({299: 1.0}, top=2.5), "top must be an integer")
    _raises(lambda: lca.contributions({299: 1.0}, top=-1), "top")
    _raises(lambda: lca.paths({299: 1.0}, top=10**30), "top must be in")
    _raises(lambda: lca.paths({299: 1.0}, cutoff=float("nan")), "cutoff")
    _raises(lambda: lca.paths({299: 1.0}, max_length=True), "max_length must be an integer")
    _raises(lambda: lca.tree({299: 1.0}, max_depth=10**12), "max_depth must be in [0, 10000]")
    _raises(lambda: lca.tree({299: 1.0}, max_nodes=0), "max_nodes")


def test_sample_distribution_arguments_at_the_edges():
    lognormal = {"loc": 0.0, "scale": 0.1}
    _raises(lambda: hiili.sample_distribution(2, **lognormal, count=-1), "count must be >= 0")
    _raises(lambda: hiili.sample_distribution(2, loc=0.0, scale=0.1, count=2.5), "count")
    _raises(lambda: hiili.sample_distribution(2, loc=0.0, scale=0.1, seed=-1), "seed must be in")
    _raises(lambda: hiili.sample_distribution(True, loc=0.0, scale=0.1), "type must be an integer")
    # 2^40 draws (8 TiB) are refused before allocating, not by MemoryError.
    _raises(lambda: hiili.sample_distribution(2, **lognormal, count=2**40), "draws", "memory")
    assert hiili.sample_distribution(2, loc=0.0, scale=0.1, count=3).shape == (3,)


def test_message_quoting_non_utf8_bytes_is_an_escaped_format_error(tmp_path):
    # A Latin-1 header: the reader quotes the bytes, hiili::Error escapes them as \xNN, so the
    # message is a str and the exception is hiili.FormatError, not UnicodeDecodeError.
    (tmp_path / "A.mtx").write_bytes(
        b"%%MatrixMarket matrix coordinate real g\xe9n\xe9ral\n1 1 1\n1 1 1\n"
    )
    with pytest.raises(hiili.FormatError) as info:
        hiili.read(tmp_path / "A.mtx", format="matrix_market")
    message = str(info.value)
    assert "g\\xe9n\\xe9ral" in message
    assert "line 1" in message
    message.encode("utf-8")  # a str of valid code points: no lone surrogates
