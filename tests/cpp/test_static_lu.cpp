// The static-pivot refactor kernel (FactorizationOptions::static_refactor, KLU backend):
// answers against a dense LU of the same matrix, bit-for-bit determinism, agreement with
// klu_refactor, fallbacks and errors.
#include <gtest/gtest.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <string>

#include "../../src/solver/backend.hpp"    // force_static_factor: the rule fires on small systems
#include "../../src/solver/static_lu.hpp"  // force_plain_kernels: test both kernel variants
#include "hiili/error.hpp"
#include "hiili/solver.hpp"
#include "hiili/synth.hpp"
#include "test_util.hpp"

using namespace hiili;
using test_util::rel_error;
using test_util::to_csc;

namespace {

// A scrambled block upper triangular system: singletons, a few small strongly connected
// blocks and one core of `core` activities (a cycle keeps it strongly connected) whose first
// `hubs` activities supply and use about half of the core (the market hubs AMD orders last,
// whose trailing block fills in and goes dense). hubs = 0: the core is a cycle with one more
// band (little fill, no dense part); hubs < 0: a random sparse core without hubs. Activities
// are permuted at random (rows and columns alike, as products and activities pair up in LCA)
// so that BTF has to find the blocks.
Eigen::MatrixXd block_system(Index singletons, Index core, Index hubs, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<Index> sizes(singletons, 1);
  for (Index s : {2, 3, 5}) sizes.push_back(s);
  sizes.push_back(core);
  std::shuffle(sizes.begin(), sizes.end(), rng);
  const Index n = std::accumulate(sizes.begin(), sizes.end(), Index(0));
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n, n);
  Index r0 = 0;
  for (Index size : sizes) {
    for (Index j = r0; j < r0 + size; ++j) {
      for (Index i = 0; i < r0; ++i)  // inputs from earlier blocks (the off-diagonal part)
        if (u(rng) < 3.0 / double(n)) A(i, j) = -u(rng);
      if (size > 1) {
        A(r0 + (j - r0 + 1) % size, j) = -0.2 - u(rng);  // the cycle
        const bool is_core = size == core;
        for (Index i = r0; i < r0 + size; ++i) {
          const bool hub = is_core && (i - r0 < hubs || j - r0 < hubs);
          const double sparse = hubs == 0 ? 0.0 : 4.0 / double(size);
          const double density = hub ? 0.5 : (is_core ? sparse : 0.5);
          if (i != j && u(rng) < density) A(i, j) = -0.3 * u(rng) - 0.01;
        }
        if (is_core && hubs == 0) A(r0 + (j - r0 + 2) % size, j) = -0.1 - 0.2 * u(rng);
      }
      // Not diagonally dominant (KLU pivots off the diagonal at times), except the banded core
      // (a cyclic band is close to singular otherwise).
      const double dominance = hubs == 0 ? 1.5 : 0.5;
      A(j, j) = 1.0 + 2.0 * u(rng) + dominance * A.col(j).cwiseAbs().sum();
      if (u(rng) < 0.2) A(j, j) = -A(j, j);
    }
    r0 += size;
  }
  std::vector<Index> p(n);
  std::iota(p.begin(), p.end(), 0);
  std::shuffle(p.begin(), p.end(), rng);
  Eigen::MatrixXd B(n, n);
  for (Index j = 0; j < n; ++j)
    for (Index i = 0; i < n; ++i) B(i, j) = A(p[i], p[j]);
  return B;
}

// The same pattern with every value scaled by a factor in [1 - spread, 1 + spread].
std::vector<double> perturbed(const CscMatrix& A, double spread, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(1.0 - spread, 1.0 + spread);
  std::vector<double> v = A.values;
  for (double& x : v) x *= u(rng);
  return v;
}

Eigen::MatrixXd dense_of(const CscMatrix& pattern, const std::vector<double>& values) {
  CscMatrix m = pattern;
  m.values = values;
  return m.to_dense();
}

FactorizationOptions with_static(bool on) {
  FactorizationOptions o;
  o.static_refactor = on;
  return o;
}

bool same_bits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * std::size_t(a.size())) == 0;
}

// x = A^-1 b, A^-T b and A^-1 F (3 columns) from `f`, against a dense LU of the same values.
void expect_matches_dense(Factorization& f, const Eigen::MatrixXd& dense, double tol) {
  const Index n = dense.rows();
  Eigen::PartialPivLU<Eigen::MatrixXd> lu(dense);
  const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(n, -1.0, 2.0);
  EXPECT_LT(rel_error(f.solve({b.data(), std::size_t(n)}), lu.solve(b)), tol);
  EXPECT_LT(rel_error(f.solve_transposed({b.data(), std::size_t(n)}), lu.transpose().solve(b)),
            tol);
  Eigen::MatrixXd F = test_util::random_dense(n, 3, 0.3, 9) + Eigen::MatrixXd::Identity(n, 3);
  for (bool transposed : {false, true}) {
    Eigen::MatrixXd X = F;
    f.solve_many_in_place(X, transposed);
    const Eigen::MatrixXd want = transposed ? Eigen::MatrixXd(lu.transpose().solve(F))
                                            : Eigen::MatrixXd(lu.solve(F));
    EXPECT_LT(rel_error(X, want), tol) << "transposed=" << transposed;
  }
}

struct Shape {
  Index singletons, core, hubs;
};

class StaticLuTest : public ::testing::TestWithParam<Shape> {};

}  // namespace

TEST_P(StaticLuTest, RefactorMatchesDenseLu) {
  const Shape s = GetParam();
  const CscMatrix A = to_csc(block_system(s.singletons, s.core, s.hubs, 17 + unsigned(s.core)));
  auto symbolic = SymbolicAnalysis::create(A);
  Factorization f(symbolic);
  f.factorize(A.values);
  for (unsigned round = 0; round < 4; ++round) {
    const std::vector<double> v = perturbed(A, 0.3, 100 + round);
    f.refactor(v);
    SCOPED_TRACE("round " + std::to_string(round) + ": " + f.report().brief());
    expect_matches_dense(f, dense_of(A, v), 1e-12);
  }
  EXPECT_EQ(f.report().static_refactors, 4);
  EXPECT_EQ(f.report().refactor_fallbacks, 0);
  if (s.hubs >= 40) EXPECT_GE(f.report().dense_columns, 32) << f.report().brief();
  if (s.hubs == 0) EXPECT_EQ(f.report().dense_columns, 0) << f.report().brief();
}

TEST_P(StaticLuTest, SameValuesSameReferenceSameBits) {
  const Shape s = GetParam();
  const CscMatrix A = to_csc(block_system(s.singletons, s.core, s.hubs, 5 + unsigned(s.core)));
  auto symbolic = SymbolicAnalysis::create(A);
  const std::vector<double> v1 = perturbed(A, 0.3, 1), v2 = perturbed(A, 0.3, 2);
  const Index n = A.rows;
  Eigen::MatrixXd B = test_util::random_dense(n, 2, 0.5, 3);
  auto solved = [&](Factorization& f) {
    Eigen::MatrixXd X = B, Y = B;
    f.solve_many_in_place(X);
    f.solve_many_in_place(Y, true);
    Eigen::MatrixXd both(n, 4);
    both << X, Y;
    return both;
  };
  Factorization fresh(symbolic), used(symbolic);
  fresh.factorize(A.values);
  fresh.refactor(v2);
  used.factorize(A.values);
  used.refactor(v1);
  solved(used);
  used.refactor(v2);
  EXPECT_TRUE(same_bits(solved(fresh), solved(used)));
  // After a fresh factorisation of other values and of the reference again (what the Monte
  // Carlo engine does after a fallback), the same bits again.
  used.factorize(v1);
  used.factorize(A.values);
  used.refactor(v2);
  EXPECT_TRUE(same_bits(solved(fresh), solved(used)));
}

TEST_P(StaticLuTest, AgreesWithKluRefactor) {
  const Shape s = GetParam();
  const CscMatrix A = to_csc(block_system(s.singletons, s.core, s.hubs, 29 + unsigned(s.core)));
  Factorization on(A, with_static(true)), off(A, with_static(false));
  const std::vector<double> v = perturbed(A, 0.2, 7);
  on.refactor(v);
  off.refactor(v);
  EXPECT_EQ(on.report().static_refactors, 1);
  EXPECT_EQ(off.report().static_refactors, 0);
  EXPECT_EQ(off.report().refactors, 1);
  const Eigen::VectorXd b = Eigen::VectorXd::Ones(A.rows);
  EXPECT_LT(rel_error(on.solve({b.data(), std::size_t(b.size())}),
                      off.solve({b.data(), std::size_t(b.size())})),
            1e-12);
  EXPECT_LT(rel_error(on.solve_transposed({b.data(), std::size_t(b.size())}),
                      off.solve_transposed({b.data(), std::size_t(b.size())})),
            1e-12);
  // rcond: min/max |pivot| on KLU's row scaling, which the static kernel keeps from the
  // reference; on new values it may differ from klu_refactor's (KLU rescales, and keeps the
  // reference's pivots in the hub block where the static kernel pivots afresh).
  EXPECT_GT(on.rcond(), 0.0);
  EXPECT_LE(on.rcond(), 1.0);
  Factorization same(A);
  const double at_factor = same.rcond();
  same.refactor(A.values);
  EXPECT_EQ(same.report().static_refactors, 1);
  if (same.report().dense_columns == 0) EXPECT_NEAR(same.rcond(), at_factor, 1e-12 * at_factor);
  const double cond = dense_of(A, v).inverse().cwiseAbs().colwise().sum().maxCoeff() *
                      dense_of(A, v).cwiseAbs().colwise().sum().maxCoeff();
  const double est = on.condition_estimate();
  EXPECT_LE(est, cond * (1 + 1e-9));
  EXPECT_GE(est, cond / 10.0);
}

// Several columns per pass (2, 4 or 8 side by side, with padding) must give exactly the bits
// of one column at a time, also for zero and single-entry columns (the zero-row skips).
TEST_P(StaticLuTest, ManyColumnsAtOnceGiveTheBitsOfOneAtATime) {
  const Shape s = GetParam();
  const CscMatrix A = to_csc(block_system(s.singletons, s.core, s.hubs, 41 + unsigned(s.core)));
  const Index n = A.rows;
  Factorization f(A);
  const std::vector<double> v = perturbed(A, 0.3, 8);
  f.refactor(v);
  ASSERT_EQ(f.report().static_refactors, 1);
  Eigen::PartialPivLU<Eigen::MatrixXd> lu(dense_of(A, v));
  for (Index cols : {2, 3, 4, 5, 7, 8, 9, 13, 17}) {
    Eigen::MatrixXd F = test_util::random_dense(n, cols, 0.3, unsigned(cols));
    F.col(0).setZero();
    F.col(1).setZero();
    F(n - 1, 1) = 1.0;
    for (bool transposed : {false, true}) {
      SCOPED_TRACE("columns " + std::to_string(cols) + (transposed ? ", transposed" : ""));
      Eigen::MatrixXd together = F, apart = F;
      f.solve_many_unchecked(together, transposed);
      for (Index c = 0; c < cols; ++c) {
        Eigen::MatrixXd one = F.col(c);
        f.solve_many_unchecked(one, transposed);
        apart.col(c) = one;
      }
      EXPECT_TRUE(same_bits(together, apart));
      const Eigen::MatrixXd want = transposed ? Eigen::MatrixXd(lu.transpose().solve(F))
                                              : Eigen::MatrixXd(lu.solve(F));
      EXPECT_LT(rel_error(together, want), 1e-12);
    }
  }
}

// The parallel refactor (FactorizationOptions::refactor_threads): with every block forced
// onto the parallel path (one column per chunk), a refactor in a 4-thread task_arena, on the
// arena's threads (0) or on an own arena of 2, gives the bits of a serial one and agrees with
// a dense LU.
TEST_P(StaticLuTest, ParallelRefactorGivesTheSerialBits) {
  const Shape s = GetParam();
  const CscMatrix A = to_csc(block_system(s.singletons, s.core, s.hubs, 53 + unsigned(s.core)));
  const Index n = A.rows;
  const std::vector<double> v = perturbed(A, 0.3, 12);
  FactorizationOptions one;
  one.refactor_threads = 1;
  Factorization serial(A, one);
  serial.refactor(v);
  ASSERT_EQ(serial.report().static_refactors, 1);
  const Eigen::MatrixXd B = test_util::random_dense(n, 3, 0.5, 4);
  auto solved = [&](Factorization& f) {
    Eigen::MatrixXd X = B, Y = B;
    f.solve_many_in_place(X);
    f.solve_many_in_place(Y, true);
    Eigen::MatrixXd both(n, 6);
    both << X, Y;
    return both;
  };
  const Eigen::MatrixXd want = solved(serial);
  detail::force_fine_chunks(true);
  for (int threads : {0, 2}) {
    SCOPED_TRACE("refactor_threads " + std::to_string(threads));
    FactorizationOptions o;
    o.refactor_threads = threads;
    Factorization parallel(A, o);
    oneapi::tbb::task_arena arena(4);
    arena.execute([&] { parallel.refactor(v); });
    EXPECT_EQ(parallel.report().static_refactors, 1);
    EXPECT_EQ(parallel.report().refactor_fallbacks, 0);
    EXPECT_TRUE(same_bits(solved(parallel), want));
    EXPECT_EQ(parallel.rcond(), serial.rcond());
    expect_matches_dense(parallel, dense_of(A, v), 1e-12);
  }
  detail::force_fine_chunks(false);
}

// Relaxed panels (explicit zeros in L, a column's updates from one panel summed densely) and
// one column at a time: both agree with a dense LU, in both kernel variants.
TEST_P(StaticLuTest, WithAndWithoutPanelsMatchDenseLu) {
  const Shape s = GetParam();
  const CscMatrix A = to_csc(block_system(s.singletons, s.core, s.hubs, 61 + unsigned(s.core)));
  const std::vector<double> v = perturbed(A, 0.3, 14);
  for (bool none : {false, true})
    for (bool plain : {false, true}) {
      SCOPED_TRACE(std::string(none ? "no panels" : "panels") + (plain ? ", portable" : ""));
      detail::force_no_panels(none);
      detail::force_plain_kernels(plain);
      Factorization f(A);
      f.refactor(v);
      EXPECT_EQ(f.report().static_refactors, 1);
      EXPECT_EQ(f.report().refactor_fallbacks, 0);
      expect_matches_dense(f, dense_of(A, v), 1e-12);
    }
  detail::force_no_panels(false);
  detail::force_plain_kernels(false);
}

// The static first factorisation (FactorizationOptions::static_factor) on systems too small
// for its rule: forced for the lifetime of this object (analyses made meanwhile).
struct ForceStaticFactor {
  ForceStaticFactor() { detail::force_static_factor(true); }
  ~ForceStaticFactor() { detail::force_static_factor(false); }
};

TEST_P(StaticLuTest, StaticFirstFactorMatchesDenseLu) {
  const Shape s = GetParam();
  const CscMatrix A = to_csc(block_system(s.singletons, s.core, s.hubs, 41 + unsigned(s.core)));
  ForceStaticFactor force;
  Factorization f(A);
  SCOPED_TRACE(f.report().brief());
  EXPECT_EQ(f.report().factorizations, 1);
  // Either the static kernel holds the factors or it refused the diagonal pivots and KLU
  // factorized (counted); the banded cores are diagonally dominant: no refusal there.
  EXPECT_NE(f.report().static_factor, f.report().static_factor_fallbacks == 1);
  if (s.hubs == 0) EXPECT_TRUE(f.report().static_factor);
  EXPECT_TRUE(f.is_factorized());
  EXPECT_GT(f.rcond(), 0.0);
  expect_matches_dense(f, A.to_dense(), 1e-12);
  FactorizationOptions klu;
  klu.static_factor = false;
  Factorization g(A, klu);
  EXPECT_FALSE(g.report().static_factor);
  EXPECT_NEAR(f.condition_estimate(), g.condition_estimate(), 1e-9 * g.condition_estimate());
  // Refactors (static or fallback) and transposed solves after it.
  for (unsigned round = 0; round < 3; ++round) {
    const std::vector<double> v = perturbed(A, 0.3, 200 + round);
    f.refactor(v);
    expect_matches_dense(f, dense_of(A, v), 1e-12);
  }
  EXPECT_EQ(f.report().refactors + f.report().refactor_fallbacks, 3);
}

TEST(StaticFirstFactor, SomeHubbedShapesRunOnTheStaticKernel) {
  // Not only the diagonally dominant ones: the hub shapes of the suite above too, with a
  // dense tail (the assertion that the path is taken at all, not only its fallback).
  ForceStaticFactor force;
  int on_static = 0;
  for (unsigned seed = 0; seed < 6; ++seed) {
    const CscMatrix A = to_csc(block_system(20, 200, 60, 300 + seed));
    Factorization f(A);
    if (!f.report().static_factor) continue;
    ++on_static;
    EXPECT_GE(f.report().dense_columns, 32) << f.report().brief();
    expect_matches_dense(f, A.to_dense(), 1e-12);
  }
  EXPECT_GE(on_static, 3);
}

TEST(StaticFirstFactor, SameBitsInArenasOfOneAndFourThreads) {
  // The first static factorisation runs on the arena's threads (refactor_threads = 1 here);
  // with one column per chunk even these small systems take the parallel path.
  ForceStaticFactor force;
  detail::force_fine_chunks(true);
  const CscMatrix A = to_csc(block_system(20, 200, 60, 302));
  Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(A.rows, -1.0, 2.0);
  auto solved_in = [&](int threads) {
    oneapi::tbb::task_arena arena(threads);
    Eigen::MatrixXd x(A.rows, 2);
    arena.execute([&] {
      Factorization f(A);
      EXPECT_TRUE(f.report().static_factor) << f.report().brief();
      x.col(0) = f.solve({b.data(), std::size_t(A.rows)});
      x.col(1) = f.solve_transposed({b.data(), std::size_t(A.rows)});
    });
    return x;
  };
  const Eigen::MatrixXd one = solved_in(1);
  EXPECT_TRUE(same_bits(solved_in(4), one));
  const auto lu = A.to_dense().partialPivLu();
  EXPECT_LT(rel_error(Eigen::VectorXd(one.col(0)), lu.solve(b)), 1e-12);
  EXPECT_LT(rel_error(Eigen::VectorXd(one.col(1)), lu.transpose().solve(b)), 1e-12);
  detail::force_fine_chunks(false);
}

TEST(StaticFirstFactor, TinyOrZeroDiagonalPivotsFallBackToKlu) {
  // A 2 x 2 strongly connected block after a singleton whose diagonal entries are both tiny
  // or zero: any order without row exchanges meets a tiny pivot first; KLU pivots off the
  // diagonal.
  ForceStaticFactor force;
  for (double pivot : {0.0, 1e-17, 1e-10}) {
    const Eigen::MatrixXd A =
        (Eigen::MatrixXd(3, 3) << 1, -1, -1, 0, pivot, 1, 0, 1, pivot).finished();
    const CscMatrix csc = to_csc(A, true);
    Factorization f(csc);
    SCOPED_TRACE("pivot " + std::to_string(pivot) + ": " + f.report().brief());
    EXPECT_FALSE(f.report().static_factor);
    EXPECT_EQ(f.report().static_factor_fallbacks, 1);
    EXPECT_EQ(f.report().factorizations, 1);
    expect_matches_dense(f, A, 1e-12);
    // A later full factorisation of good values goes static again.
    Eigen::MatrixXd B = A;
    B(1, 1) = B(2, 2) = 4.0;
    f.factorize(to_csc(B, true).values);
    EXPECT_TRUE(f.report().static_factor);
    expect_matches_dense(f, B, 1e-12);
  }
}

TEST(StaticFirstFactor, RefusedRefactorFallsBackToKluAndBack) {
  const Eigen::MatrixXd A = (Eigen::MatrixXd(3, 3) << 1, -1, -1, 0, 4, 1, 0, 1, 4).finished();
  const CscMatrix csc = to_csc(A, true);
  ForceStaticFactor force;
  Factorization f(csc);
  ASSERT_TRUE(f.report().static_factor);
  Eigen::MatrixXd B = A;
  B(1, 1) = B(2, 2) = 1e-17;
  f.refactor(to_csc(B, true).values);
  EXPECT_EQ(f.report().refactor_fallbacks, 1);
  EXPECT_EQ(f.report().factorizations, 2);
  EXPECT_FALSE(f.report().static_factor);  // KLU's, with pivoting
  expect_matches_dense(f, B, 1e-12);
  f.refactor(csc.values);  // the static kernel on KLU's pivots
  EXPECT_EQ(f.report().static_refactors, 1);
  expect_matches_dense(f, A, 1e-12);
}

TEST(StaticFirstFactor, SingularValuesThrowWhatKluThrows) {
  const CscMatrix A = to_csc(block_system(10, 100, 40, 3));
  FactorizationOptions klu;
  klu.static_factor = false;
  auto thrown = [&](const std::vector<double>& v, const FactorizationOptions& o) {
    Factorization f(SymbolicAnalysis::create(A, o));
    try {
      f.factorize(v);
    } catch (const SingularMatrixError& e) {
      EXPECT_FALSE(f.is_factorized());
      return std::string(e.what()) + " column " + std::to_string(e.column());
    }
    return std::string("no error");
  };
  std::vector<double> col = A.values, row = A.values;
  const Index j = A.cols / 2;
  for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) col[p] = 0.0;
  for (Index p = 0; p < A.nnz(); ++p)
    if (A.row_idx[p] == 0) row[p] = 0.0;
  for (const auto& v : {col, row}) {
    const std::string want = thrown(v, klu);
    EXPECT_NE(want, "no error");
    ForceStaticFactor force;
    EXPECT_EQ(thrown(v, FactorizationOptions{}), want);
  }
}

TEST(StaticFirstFactor, BadlyScaledRowsAndColumns) {
  // Rows and columns scaled by up to 1e+-8: KLU's row scaling makes the pivots what they were.
  const CscMatrix A = to_csc(block_system(30, 300, 0, 12));
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> e(-8.0, 8.0);
  std::vector<double> rs(A.rows), cs(A.cols);
  for (double& x : rs) x = std::pow(10.0, e(rng));
  for (double& x : cs) x = std::pow(10.0, e(rng));
  std::vector<double> v = A.values;
  for (Index j = 0; j < A.cols; ++j)
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) v[p] *= rs[A.row_idx[p]] * cs[j];
  ForceStaticFactor force;
  Factorization f(SymbolicAnalysis::create(A));
  f.factorize(v);
  EXPECT_TRUE(f.report().static_factor) << f.report().brief();
  // The oracle: a dense LU of the unscaled matrix, x = C^-1 A0^-1 R^-1 b (a dense LU of the
  // scaled one is itself inaccurate); x's entries differ by up to 1e16, each is compared to
  // its own size.
  Eigen::PartialPivLU<Eigen::MatrixXd> lu(A.to_dense());
  const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(A.rows, -1.0, 2.0);
  Eigen::VectorXd rb = b;
  for (Index i = 0; i < A.rows; ++i) rb[i] /= rs[i];
  Eigen::VectorXd want = lu.solve(rb);
  for (Index i = 0; i < A.rows; ++i) want[i] /= cs[i];
  const Eigen::VectorXd x = f.solve({b.data(), std::size_t(b.size())});
  for (Index i = 0; i < A.rows; ++i) EXPECT_NEAR(x[i], want[i], 1e-10 * std::abs(want[i]));
}

TEST(StaticFirstFactor, OffMeansKlu) {
  const CscMatrix A = to_csc(block_system(30, 300, 0, 12));
  ForceStaticFactor force;
  FactorizationOptions o;
  o.static_factor = false;
  EXPECT_FALSE(Factorization(A, o).report().static_factor);
  o.static_factor = true;
  o.static_refactor = false;  // the static kernel's refactors are its refactors
  EXPECT_FALSE(Factorization(A, o).report().static_factor);
  EXPECT_TRUE(Factorization(A).report().static_factor);
}

TEST(StaticFirstFactor, RuleDoesNotFireOnSmallSynth) {
  // The rule (not forced): neither family fires at n = 5,000 (a dense tail too small to pay
  // for the symbolic LU and the plan); where it fires is measured, not asserted.
  for (SynthFamily family : {SynthFamily::Ecoinvent, SynthFamily::Stress}) {
    SynthOptions so;
    so.n = 5000;
    so.labels = false;
    so.family = family;
    const Model m = synth(so);
    Factorization f(m.A());
    EXPECT_FALSE(f.report().static_factor) << f.report().brief();
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, StaticLuTest,
                         ::testing::Values(Shape{0, 2, 0}, Shape{10, 40, 0}, Shape{30, 300, 0},
                                           Shape{30, 150, -1}, Shape{20, 120, 40},
                                           Shape{50, 400, 60}, Shape{5, 60, 60}),
                         [](const ::testing::TestParamInfo<Shape>& info) {
                           const Shape& s = info.param;
                           return "s" + std::to_string(s.singletons) + "_core" +
                                  std::to_string(s.core) + "_hubs" +
                                  (s.hubs < 0 ? std::string("none") : std::to_string(s.hubs));
                         });

TEST(StaticLu, PortableAndFmaKernelsBothMatchDenseLu) {
  const CscMatrix A = to_csc(block_system(20, 200, 50, 77));
  const std::vector<double> v = perturbed(A, 0.3, 78);
  for (bool plain : {true, false}) {
    detail::force_plain_kernels(plain);
    Factorization f(A);
    f.refactor(v);
    EXPECT_EQ(f.report().static_refactors, 1);
    EXPECT_GE(f.report().dense_columns, 32);
    expect_matches_dense(f, dense_of(A, v), 1e-12);
  }
  detail::force_plain_kernels(false);
}

TEST(StaticLu, ZeroTinyOrHugeMultiplierPivotFallsBackAndStaysCorrect) {
  // A 2 x 2 strongly connected block after a singleton; KLU pivots on the dominant diagonal.
  const Eigen::MatrixXd A = (Eigen::MatrixXd(3, 3) << 1, -1, -1, 0, 4, 1, 0, 1, 4).finished();
  const CscMatrix csc = to_csc(A, true);
  for (double pivot : {0.0, 1e-17, 1e-10}) {  // zero, tiny, multiplier 1e10
    Factorization f(csc);
    Eigen::MatrixXd B = A;
    B(1, 1) = pivot;
    B(2, 2) = 1.0;
    const CscMatrix bad = to_csc(B, true);
    f.refactor(bad.values);
    EXPECT_EQ(f.report().refactor_fallbacks, 1) << "pivot " << pivot;
    EXPECT_EQ(f.report().static_refactors, 0);
    expect_matches_dense(f, B, 1e-12);
    // Back on the reference: the static kernel again.
    f.factorize(csc.values);
    f.refactor(csc.values);
    EXPECT_EQ(f.report().static_refactors, 1);
    expect_matches_dense(f, A, 1e-12);
  }
}

TEST(StaticLu, SingularValuesThrowSingularMatrixError) {
  const CscMatrix A = to_csc(block_system(10, 100, 40, 3));
  Factorization f(A);
  std::vector<double> v = A.values;
  // A zero column inside the pattern: no pivot, static or not.
  const Index j = A.cols / 2;
  for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) v[p] = 0.0;
  EXPECT_THROW(f.refactor(v), SingularMatrixError);
  // A zero row (first a hub row, then a row of the sparse part): no pivot, static or not.
  for (Index r : {Index(0), A.rows - 1}) {
    Factorization g(A);
    std::vector<double> w = A.values;
    for (Index p = 0; p < A.nnz(); ++p)
      if (A.row_idx[p] == r) w[p] = 0.0;
    EXPECT_THROW(g.refactor(w), SingularMatrixError) << "row " << r;
  }
}

TEST(StaticLu, NonFiniteValuesAreRejected) {
  const CscMatrix A = to_csc(block_system(5, 60, 40, 4));
  Factorization f(A);
  std::vector<double> v = A.values;
  v[7] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(f.refactor(v), InvalidInputError);
  v[7] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(f.refactor(v), InvalidInputError);
  f.refactor(A.values);  // still usable
  expect_matches_dense(f, A.to_dense(), 1e-12);
}

TEST(StaticLu, RefactorBeforeFactorizeFactorizes) {
  const CscMatrix A = to_csc(block_system(5, 60, 40, 6));
  Factorization f(SymbolicAnalysis::create(A));
  EXPECT_FALSE(f.is_factorized());
  f.refactor(A.values);
  EXPECT_EQ(f.report().factorizations, 1);
  EXPECT_EQ(f.report().refactors, 0);
  expect_matches_dense(f, A.to_dense(), 1e-12);
}

TEST(StaticLu, SynthEndToEnd) {
  SynthOptions o;
  o.n = 2000;
  o.labels = false;
  const Model m = synth(o);
  const CscMatrix& A = m.A();
  Factorization on(A, with_static(true)), off(A, with_static(false));
  const std::vector<double> v = perturbed(A, 0.1, 11);
  on.refactor(v);
  off.refactor(v);
  EXPECT_EQ(on.report().static_refactors, 1) << on.report().brief();
  EXPECT_EQ(on.report().refactor_fallbacks, 0);
  expect_matches_dense(on, dense_of(A, v), 1e-12);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(A.rows);
  b[A.rows - 1] = 1.0;
  EXPECT_LT(rel_error(on.solve({b.data(), std::size_t(b.size())}),
                      off.solve({b.data(), std::size_t(b.size())})),
            1e-12);
}

// Past static_solve_after columns on one factorisation, solves move to the static kernel's
// factors (same values): same answers to 1e-12; a new factorisation starts the count again.
TEST(StaticLu, SolvesMoveToTheStaticFactorsAfterManyColumns) {
  const CscMatrix A = to_csc(block_system(30, 300, 60, 12));
  const Index n = A.rows;
  Eigen::PartialPivLU<Eigen::MatrixXd> lu(A.to_dense());
  const Eigen::MatrixXd F = test_util::random_dense(n, 3, 0.5, 13);
  FactorizationOptions o;
  o.static_solve_after = 5;
  Factorization f(A, o);
  for (int round = 0; round < 2; ++round) {
    Eigen::MatrixXd X = F;
    f.solve_many_in_place(X);  // columns 1-3
    EXPECT_FALSE(f.report().static_solves);
    X = F.leftCols(2);
    f.solve_many_in_place(X, true);  // 4-5
    EXPECT_FALSE(f.report().static_solves);
    X = F;
    f.solve_many_in_place(X);  // 6-8: now on the static factors
    EXPECT_TRUE(f.report().static_solves) << f.report().brief();
    EXPECT_LT(rel_error(X, lu.solve(F)), 1e-12);
    X = F;
    f.solve_many_in_place(X, true);
    EXPECT_LT(rel_error(X, lu.transpose().solve(F)), 1e-12);
    EXPECT_EQ(f.report().refinements, 0);
    f.factorize(A.values);  // counts again from zero
    Eigen::VectorXd b = F.col(0);
    f.solve_in_place({b.data(), std::size_t(n)});
    EXPECT_FALSE(f.report().static_solves);
    f.factorize(A.values);
  }
  // Never (negative), and from the first solve (0).
  const Eigen::VectorXd b0 = F.col(0);
  const std::span<const double> b{b0.data(), std::size_t(n)};
  o.static_solve_after = -1;
  Factorization never(A, o);
  for (int i = 0; i < 40; ++i) never.solve(b);
  EXPECT_FALSE(never.report().static_solves);
  o.static_solve_after = 0;
  Factorization first(A, o);
  EXPECT_LT(rel_error(first.solve(b), lu.solve(b0)), 1e-12);
  EXPECT_TRUE(first.report().static_solves);
  // And never without the static kernel.
  o.static_refactor = false;
  Factorization off(A, o);
  off.solve(b);
  EXPECT_FALSE(off.report().static_solves);
}

// Every column of a many-column solve is checked: with a refinement threshold no residual
// meets, each column is refined once (KLU's factors and the static kernel's, both directions).
TEST(StaticLu, EveryColumnOfAManyColumnSolveIsChecked) {
  const CscMatrix A = to_csc(block_system(20, 200, 50, 21));
  const Index n = A.rows;
  Eigen::PartialPivLU<Eigen::MatrixXd> lu(A.to_dense());
  const Eigen::MatrixXd F = test_util::random_dense(n, 11, 0.4, 22);
  for (Index after : {Index(-1), Index(0)}) {
    FactorizationOptions o;
    o.refine_tolerance = 1e-300;
    o.static_solve_after = after;
    Factorization f(A, o);
    for (bool transposed : {false, true}) {
      const long before = f.report().refinements;
      Eigen::MatrixXd X = F;
      f.solve_many_in_place(X, transposed);
      EXPECT_EQ(f.report().refinements - before, F.cols()) << "after " << after;
      EXPECT_EQ(f.report().static_solves, after == 0);
      const Eigen::MatrixXd want = transposed ? Eigen::MatrixXd(lu.transpose().solve(F))
                                              : Eigen::MatrixXd(lu.solve(F));
      EXPECT_LT(rel_error(X, want), 1e-12);
      EXPECT_GT(f.report().last_residual, 0.0);
      EXPECT_LT(f.report().last_residual, 1e-13);
    }
  }
}

// On a large synthetic system of each family (the parallel path by size, no forcing): the
// same bits at 1, 2 and 4 threads, and the answers of klu_refactor. Also from inside a
// Monte-Carlo-like parallel loop (one Factorization per job, the refactor nested in it).
TEST(StaticLu, ParallelRefactorOnLargeSynthGivesTheSerialBits) {
  for (SynthFamily family : {SynthFamily::Ecoinvent, SynthFamily::Stress}) {
    SCOPED_TRACE(std::string(synth_family_name(family)));
    SynthOptions so;
    so.n = 20000;
    so.labels = false;
    so.family = family;
    const Model m = synth(so);
    const CscMatrix& A = m.A();
    const Index n = A.rows;
    const std::vector<double> v = perturbed(A, 0.1, 13);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
    b[n - 1] = 1.0;
    b[n / 2] = -2.0;
    auto solved = [&](Factorization& f) {
      Eigen::MatrixXd both(n, 2);
      both.col(0) = f.solve({b.data(), std::size_t(n)});
      both.col(1) = f.solve_transposed({b.data(), std::size_t(n)});
      return both;
    };
    FactorizationOptions one;
    one.refactor_threads = 1;
    auto symbolic = SymbolicAnalysis::create(A, one);
    Factorization serial(symbolic);
    serial.factorize(A.values);
    serial.refactor(v);
    ASSERT_EQ(serial.report().static_refactors, 1) << serial.report().brief();
    const Eigen::MatrixXd want = solved(serial);
    Factorization klu(A, with_static(false));
    klu.refactor(v);
    EXPECT_LT(rel_error(want, solved(klu)), 1e-10);
    FactorizationOptions all;
    all.refactor_threads = 0;
    auto parallel_symbolic = SymbolicAnalysis::create(A, all);
    for (int arena_threads : {2, 4}) {
      Factorization parallel(parallel_symbolic);
      parallel.factorize(A.values);
      oneapi::tbb::task_arena arena(arena_threads);
      arena.execute([&] { parallel.refactor(v); });
      EXPECT_EQ(parallel.report().static_refactors, 1);
      EXPECT_TRUE(same_bits(solved(parallel), want)) << arena_threads << " threads";
      EXPECT_EQ(parallel.rcond(), serial.rcond());
    }
    // Nested: 2 threads, each refactoring its own Factorizations inside a parallel loop.
    std::vector<std::unique_ptr<Factorization>> jobs;
    for (int j = 0; j < 4; ++j) {
      jobs.push_back(std::make_unique<Factorization>(parallel_symbolic));
      jobs.back()->factorize(A.values);
    }
    oneapi::tbb::task_arena arena(2);
    arena.execute([&] {
      oneapi::tbb::parallel_for(0, 4, [&](int j) { jobs[std::size_t(j)]->refactor(v); });
    });
    for (auto& f : jobs) EXPECT_TRUE(same_bits(solved(*f), want));
  }
}

TEST(StaticLu, RefactorThreadsOutOfRangeIsRejected) {
  const CscMatrix A = to_csc(block_system(5, 20, 0, 3));
  for (int threads : {-1, 1025}) {
    FactorizationOptions o;
    o.refactor_threads = threads;
    try {
      SymbolicAnalysis::create(A, o);
      ADD_FAILURE() << "accepted refactor_threads = " << threads;
    } catch (const InvalidInputError& e) {
      EXPECT_NE(std::string(e.what()).find("refactor_threads"), std::string::npos) << e.what();
    }
  }
}

// The value check after a refactor's new values: a NaN or an infinity anywhere in a column
// (first, middle or last entry) is refused with its (row, column), the first one in CSC
// order when there are several; the factorisation keeps its previous values. Finite values
// whose column sum overflows are not refused as non-finite.
TEST(StaticLu, NonFiniteValueIsRefusedByItsEntry) {
  const CscMatrix A = to_csc(block_system(5, 60, 40, 31));
  const std::vector<double> v0 = perturbed(A, 0.2, 32);
  Factorization f(A);
  f.refactor(v0);
  Index col = 0;  // a column with at least three entries
  while (A.col_ptr[col + 1] - A.col_ptr[col] < 3) ++col;
  const double bad[] = {std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::infinity(),
                        -std::numeric_limits<double>::infinity()};
  for (const Index p : {A.col_ptr[col], A.col_ptr[col] + 1, A.col_ptr[col + 1] - 1}) {
    for (const double b : bad) {
      std::vector<double> v = v0;
      v[p] = b;
      v[A.nnz() - 1] = b;  // a later one: not the one named
      const std::string want =
          "(" + std::to_string(A.row_idx[p]) + ", " + std::to_string(col) + ") is not finite";
      try {
        f.refactor(v);
        ADD_FAILURE() << "no error for " << b << " at " << p;
      } catch (const InvalidInputError& e) {
        EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      }
    }
  }
  expect_matches_dense(f, dense_of(A, v0), 1e-12);  // still the values before
  std::vector<double> huge = v0;
  for (Index p = A.col_ptr[col]; p < A.col_ptr[col + 1]; ++p) huge[p] = 1e308;
  try {
    f.refactor(huge);
  } catch (const InvalidInputError& e) {
    ADD_FAILURE() << "finite values refused: " << e.what();
  } catch (const Error&) {  // singular or ill-conditioned values may be refused so
  }
}

// ||A||_inf after a refactor is computed when first needed: by norm_inf() alone, inside the
// residual of a single solve (whose answer has zero entries, so that columns the residual
// skips still count), or before a many-column or transposed solve. Each time it equals the
// largest row sum of the dense matrix, and the residual check that uses it still refuses what
// cannot meet its tolerance.
TEST(StaticLu, RowNormAfterRefactorMatchesTheDenseOneOnEveryPath) {
  const CscMatrix A = to_csc(block_system(30, 80, 30, 41));
  const Index n = A.rows;
  Factorization f(A);
  auto dense_norms = [&](const std::vector<double>& v) {
    const Eigen::MatrixXd D = dense_of(A, v).cwiseAbs();
    return std::pair{D.rowwise().sum().maxCoeff(), D.colwise().sum().maxCoeff()};
  };
  // A unit demand whose answer has zero entries (activities it does not reach).
  Index unit = -1;
  Eigen::VectorXd b, x0;
  for (Index i = 0; i < n && unit < 0; ++i) {
    b = Eigen::VectorXd::Unit(n, i);
    x0 = f.solve({b.data(), std::size_t(n)});
    if ((x0.array() == 0.0).any() && (x0.array() != 0.0).count() > 1) unit = i;
  }
  ASSERT_GE(unit, 0);
  for (int path = 0; path < 4; ++path) {
    // The columns the answer does not reach (zero entries whatever the values) made large,
    // so that the largest row sum depends on them.
    std::vector<double> v = perturbed(A, 0.3, 50 + unsigned(path));
    for (Index j = 0; j < n; ++j)
      if (x0[j] == 0.0)
        for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) v[p] *= 50.0;
    f.refactor(v);
    Eigen::MatrixXd X = Eigen::MatrixXd::Zero(n, 3);
    X.col(0) = b;
    if (path == 1) f.solve({b.data(), std::size_t(n)});
    if (path == 2) f.solve_many_in_place(X);
    if (path == 3) f.solve_transposed({b.data(), std::size_t(n)});
    const auto [inf, one] = dense_norms(v);
    EXPECT_NEAR(f.norm_inf(), inf, 1e-14 * inf) << "path " << path;
    EXPECT_NEAR(f.norm_one(), one, 1e-14 * one) << "path " << path;
  }
  FactorizationOptions o;
  o.residual_tolerance = 1e-300;  // no floating-point answer can meet this
  Factorization g(A, o);
  g.refactor(perturbed(A, 0.3, 60));
  test_util::expect_refused_below_rounding([&] { g.solve({b.data(), std::size_t(n)}); });
  EXPECT_EQ(g.report().refinements, 1);
}

// The residual and ||A||_inf by rows (after a refactor) give the bits of the column-wise pass
// (before any refactor): KLU's own refactor of the same values gives the same answer, so the
// two residuals of the same x must be equal, bit for bit, and so must the norms.
TEST(StaticLu, ResidualByRowsHasTheBitsOfTheColumnWiseOne) {
  for (const Shape s : {Shape{30, 80, 30}, Shape{10, 200, 0}, Shape{20, 150, -1}}) {
    const CscMatrix A = to_csc(block_system(s.singletons, s.core, s.hubs, 71));
    const Index n = A.rows;
    const std::vector<double> v = perturbed(A, 0.3, 72);
    FactorizationOptions o;
    o.static_refactor = false;  // klu_refactor: the factors of the factorisation, same bits
    o.static_solve_after = -1;
    o.refine_tolerance = 1.0;  // no refinement: the residual of the solve's own x
    Factorization f(A, o);
    f.factorize(v);
    const double norm_by_columns = f.norm_inf();
    const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(n, -1.0, 2.0);
    const Eigen::VectorXd x1 = f.solve({b.data(), std::size_t(n)});
    const double r1 = f.report().last_residual;
    f.refactor(v);
    const Eigen::VectorXd x2 = f.solve({b.data(), std::size_t(n)});
    const double r2 = f.report().last_residual;
    ASSERT_TRUE(same_bits(x1, x2)) << "klu_refactor changed the answer";
    EXPECT_EQ(r1, r2) << "core " << s.core;
    EXPECT_GT(r1, 0.0);
    EXPECT_EQ(f.norm_inf(), norm_by_columns) << "core " << s.core;
  }
}
