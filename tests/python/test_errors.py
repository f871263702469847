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
