#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "hiili/diagnostics.hpp"
#include "hiili/error.hpp"
#include "hiili/solver.hpp"
#include "hiili/synth.hpp"
#include "test_util.hpp"

using namespace hiili;
using test_util::rel_error;
using test_util::to_csc;

namespace {

FactorizationOptions options_for(Backend b) {
  FactorizationOptions o;
  o.backend = b;
  return o;
}

Eigen::VectorXd span_solve(Factorization& f, const Eigen::VectorXd& b, bool transposed = false) {
  return transposed ? f.solve_transposed({b.data(), std::size_t(b.size())})
                    : f.solve({b.data(), std::size_t(b.size())});
}

class SolverTest : public ::testing::TestWithParam<Backend> {};

}  // namespace

TEST_P(SolverTest, MatchesDenseLuOnRandomSystems) {
  for (Index n : {1, 2, 5, 30, 120}) {
    for (bool dominant : {true, false}) {
      const Eigen::MatrixXd A = test_util::random_technosphere(n, 0.1, unsigned(n) * 7 + dominant, dominant);
      Eigen::PartialPivLU<Eigen::MatrixXd> dense(A);
      const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(n, 1.0, 2.0);
      Factorization f(to_csc(A, true), options_for(GetParam()));
      EXPECT_LT(rel_error(span_solve(f, b), dense.solve(b)), 1e-10) << "n=" << n;
      EXPECT_LT(rel_error(span_solve(f, b, true), dense.transpose().solve(b)), 1e-10) << "n=" << n;
      EXPECT_LE(f.report().last_residual, 1e-9);
    }
  }
}

TEST_P(SolverTest, SolveManyEqualsColumnByColumn) {
  const Eigen::MatrixXd A = test_util::random_technosphere(60, 0.08, 11);
  const Eigen::MatrixXd F = test_util::random_dense(60, 7, 0.2, 12) + Eigen::MatrixXd::Identity(60, 7);
  Factorization f(to_csc(A, true), options_for(GetParam()));
  for (bool transposed : {false, true}) {
    Eigen::MatrixXd X = F;
    f.solve_many_in_place(X, transposed);
    const Eigen::MatrixXd want =
        transposed ? Eigen::MatrixXd(A.transpose().partialPivLu().solve(F)) : Eigen::MatrixXd(A.partialPivLu().solve(F));
    EXPECT_LT(rel_error(X, want), 1e-10);
  }
}

TEST_P(SolverTest, RefactorWithNewValuesEqualsFreshFactorization) {
  const Eigen::MatrixXd A = test_util::random_technosphere(80, 0.06, 21);
  CscMatrix csc = to_csc(A, true);
  auto symbolic = SymbolicAnalysis::create(csc, options_for(GetParam()));
  Factorization f(symbolic);
  f.factorize(csc.values);
  const Eigen::VectorXd b = Eigen::VectorXd::Ones(80);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.5, 1.5);
  for (int round = 0; round < 5; ++round) {
    for (Index p = 0; p < csc.nnz(); ++p) csc.values[p] *= u(rng);
    f.refactor(csc.values);
    Factorization fresh(csc, options_for(GetParam()));
    EXPECT_LT(rel_error(span_solve(f, b), span_solve(fresh, b)), 1e-11);
    EXPECT_LT(rel_error(span_solve(f, b), csc.to_dense().partialPivLu().solve(b)), 1e-10);
  }
  if (GetParam() == Backend::Klu) EXPECT_GE(f.report().refactors + f.report().refactor_fallbacks, 5);
}

TEST_P(SolverTest, RefactorFallsBackWhenOldPivotsBreak) {
  // 2x2 with pivots chosen on the first values; new values make the old pivot zero.
  Eigen::MatrixXd A(2, 2);
  A << 2.0, 1.0, 1.0, 1.0;
  CscMatrix csc = to_csc(A, true);
  Factorization f(csc, options_for(GetParam()));
  Eigen::MatrixXd A2(2, 2);
  A2 << 0.0, 1.0, 1.0, 1.0;  // nonsingular, but the (0,0) pivot is gone
  CscMatrix csc2 = to_csc(A2, true);
  f.refactor(csc2.values);
  const Eigen::VectorXd b = Eigen::VectorXd::Ones(2);
  EXPECT_LT(rel_error(span_solve(f, b), A2.partialPivLu().solve(b)), 1e-12);
}

TEST_P(SolverTest, AgreesWithOtherBackendsOnSynth) {
  SynthOptions o;
  o.n = 1500;
  o.labels = false;
  const Model m = synth(o);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(o.n);
  b[17] = 1.0;
  b[1234] = 2.0;
  Factorization ref(m.A(), options_for(Backend::Klu));
  Factorization f(m.A(), options_for(GetParam()));
  EXPECT_LT(rel_error(span_solve(f, b), span_solve(ref, b)), 1e-11);
  EXPECT_LT(rel_error(span_solve(f, b, true), span_solve(ref, b, true)), 1e-11);
}

TEST_P(SolverTest, ConditionEstimateMatchesDenseOneNormCondition) {
  const Eigen::MatrixXd A = test_util::random_technosphere(40, 0.1, 31, false);
  Factorization f(to_csc(A, true), options_for(GetParam()));
  const Eigen::MatrixXd inv = A.inverse();
  const double cond1 = A.cwiseAbs().colwise().sum().maxCoeff() * inv.cwiseAbs().colwise().sum().maxCoeff();
  const double est = f.condition_estimate();
  // Hager/Higham estimates are lower bounds, usually within a factor of 3.
  EXPECT_LE(est, cond1 * (1 + 1e-8));
  EXPECT_GE(est, cond1 / 10);
}

TEST_P(SolverTest, EmptyColumnIsSingularNamingTheColumn) {
  Eigen::MatrixXd A = Eigen::MatrixXd::Identity(4, 4);
  A(2, 2) = 0.0;
  try {
    Factorization f(to_csc(A), options_for(GetParam()));
    FAIL() << "expected SingularMatrixError";
  } catch (const SingularMatrixError& e) {
    EXPECT_EQ(e.column(), 2);
  }
}

TEST_P(SolverTest, StructurallySingularPatternIsRejected) {
  // Rows 0 and 1 only have entries in column 0: no perfect matching.
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(3, 3);
  A(0, 0) = 1;
  A(1, 0) = 1;
  A(2, 1) = 1;
  A(2, 2) = 1;
  EXPECT_THROW(Factorization(to_csc(A), options_for(GetParam())), SingularMatrixError);
}

TEST_P(SolverTest, NumericallySingularIsRejected) {
  Eigen::MatrixXd A(3, 3);
  A << 1, 2, 3, 2, 4, 6, 1, 0, 1;  // row 1 = 2 x row 0
  EXPECT_THROW(Factorization(to_csc(A), options_for(GetParam())), SingularMatrixError);
}

TEST_P(SolverTest, IllConditionedSolveIsRefusedOrAccurate) {
  // Nearly singular: either the factorisation is refused, or every answer it gives is checked.
  Eigen::MatrixXd A(2, 2);
  A << 1.0, 1.0, 1.0, 1.0 + 1e-13;
  try {
    Factorization f(to_csc(A), options_for(GetParam()));
    Eigen::VectorXd b(2);
    b << 1.0, 2.0;
    try {
      const Eigen::VectorXd x = span_solve(f, b);
      const double backward = (A * x - b).cwiseAbs().maxCoeff() /
                              (A.cwiseAbs().rowwise().sum().maxCoeff() * x.cwiseAbs().maxCoeff() + 2.0);
      EXPECT_LT(backward, 1e-9);
      EXPECT_GT(f.condition_estimate(), 1e10);  // the estimate says x may be far off
    } catch (const IllConditionedError& e) {
      EXPECT_GT(e.residual(), 1e-9);
    }
  } catch (const SingularMatrixError&) {
  }
}

TEST_P(SolverTest, ToleranceBelowRoundingRefinesThenRaises) {
  const Eigen::MatrixXd A = test_util::random_technosphere(30, 0.2, 43, false);
  FactorizationOptions o = options_for(GetParam());
  o.residual_tolerance = 1e-300;  // no floating-point answer can meet this
  Factorization f(test_util::to_csc(A, true), o);
  test_util::expect_refused_below_rounding([&] { span_solve(f, Eigen::VectorXd::Ones(30)); });
  EXPECT_EQ(f.report().refinements, 1);
}

TEST_P(SolverTest, OverflowingAnswerIsRefusedNeverReturned) {
  // Finite A and b whose solve overflows: KLU's answer is NaN in every entry, its residual NaN
  // too, and a NaN-blind norm once called that a backward error of 0 and returned it.
  Eigen::MatrixXd A(4, 4);
  A << 0.84407868, 0.0, 1.57440828, -0.43278585, 0.0, 0.07559361, 0.0, 0.16100958, -0.58552882,
      -1.34121971, -1.42677385, 0.50268285, 0.0, -0.16429459, -1.07436486, -0.1350451;
  Eigen::VectorXd b(4);
  b << -1e308, -1e308, 1e308, 1e308;
  Factorization f(to_csc(A), options_for(GetParam()));
  for (bool transposed : {false, true}) {
    try {
      const Eigen::VectorXd x = span_solve(f, b, transposed);
      ASSERT_TRUE(x.allFinite()) << "a non-finite answer was returned";
      const Eigen::MatrixXd M = transposed ? Eigen::MatrixXd(A.transpose()) : A;
      EXPECT_LT(rel_error(M * x, b), 1e-9);
    } catch (const IllConditionedError& e) {
      EXPECT_FALSE(e.residual() <= 1e-9) << e.what();
    }
  }
  if (GetParam() == Backend::Klu) {
    try {
      span_solve(f, b);
      FAIL() << "expected IllConditionedError";
    } catch (const IllConditionedError& e) {
      EXPECT_NE(std::string(e.what()).find("not finite"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("-nan"), std::string::npos) << e.what();
    }
  }
  // The same matrix still answers a right-hand side in range.
  const Eigen::VectorXd x = span_solve(f, Eigen::VectorXd::Ones(4));
  EXPECT_LT(rel_error(A * x, Eigen::VectorXd::Ones(4)), 1e-12);
}

TEST_P(SolverTest, RejectsBadInputs) {
  const Eigen::MatrixXd A = test_util::random_technosphere(5, 0.3, 41);
  CscMatrix csc = to_csc(A, true);
  EXPECT_THROW(Factorization(to_csc(test_util::random_dense(3, 4, 1.0, 1)), options_for(GetParam())),
               InvalidInputError);
  EXPECT_THROW(Factorization(CscMatrix::zeros(0, 0), options_for(GetParam())), InvalidInputError);
  CscMatrix nan = csc;
  nan.values[3] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(Factorization(nan, options_for(GetParam())), InvalidInputError);
  Factorization f(csc, options_for(GetParam()));
  Eigen::VectorXd wrong = Eigen::VectorXd::Ones(4);
  EXPECT_THROW(span_solve(f, wrong), InvalidInputError);
  Eigen::VectorXd inf = Eigen::VectorXd::Ones(5);
  inf[2] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(span_solve(f, inf), InvalidInputError);
  EXPECT_THROW(f.refactor(std::vector<double>(3, 1.0)), InvalidInputError);
  Factorization unfactored(SymbolicAnalysis::create(csc, options_for(GetParam())));
  EXPECT_THROW(span_solve(unfactored, Eigen::VectorXd::Ones(5)), InvalidInputError);
  // Options that would switch a check off (NaN compares false) are refused, naming the option.
  const double nan_value = std::numeric_limits<double>::quiet_NaN();
  for (double FactorizationOptions::*field :
       {&FactorizationOptions::singular_rcond, &FactorizationOptions::refactor_rcond_ratio,
        &FactorizationOptions::amd_dense, &FactorizationOptions::residual_tolerance}) {
    FactorizationOptions o = options_for(GetParam());
    o.*field = nan_value;
    EXPECT_THROW(Factorization(csc, o), InvalidInputError);
  }
  FactorizationOptions ratio = options_for(GetParam());
  ratio.refactor_rcond_ratio = 2.0;
  try {
    Factorization bad(csc, ratio);
    ADD_FAILURE() << "refactor_rcond_ratio = 2 was accepted";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("refactor_rcond_ratio"), std::string::npos) << e.what();
  }
}

TEST_P(SolverTest, ThreadsShareTheAnalysisWithTheirOwnNumerics) {
  SynthOptions o;
  o.n = GetParam() == Backend::Klu ? 2000 : 500;  // UMFPACK and Eigen fill far more
  o.labels = false;
  const Model m = synth(o);
  auto symbolic = SymbolicAnalysis::create(m.A(), options_for(GetParam()));
  Factorization ref(symbolic);
  ref.factorize(m.A().values);
  std::vector<Eigen::VectorXd> want(2), got(2);
  std::vector<std::vector<double>> values(2, m.A().values);
  for (int t = 0; t < 2; ++t) {
    for (double& v : values[t]) v *= (t == 0 ? 1.0 : 1.1);
  }
  for (int t = 0; t < 2; ++t) {
    Factorization f(symbolic);
    f.factorize(values[t]);
    want[t] = span_solve(f, Eigen::VectorXd::Ones(o.n));
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Factorization f(symbolic);
      for (int r = 0; r < 8; ++r) {
        f.refactor(values[t]);
        got[t] = span_solve(f, Eigen::VectorXd::Ones(o.n));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 2; ++t) EXPECT_LT(rel_error(got[t], want[t]), 1e-13);
}

INSTANTIATE_TEST_SUITE_P(Backends, SolverTest,
                         ::testing::Values(Backend::Klu, Backend::Umfpack, Backend::Eigen),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(Solver, BackendNames) {
  EXPECT_EQ(backend_from_string("KLU"), Backend::Klu);
  EXPECT_EQ(backend_from_string("umfpack"), Backend::Umfpack);
  EXPECT_EQ(backend_from_string("eigen"), Backend::Eigen);
  EXPECT_THROW(backend_from_string("pardiso"), InvalidInputError);
}

TEST(Solver, ReportSaysWhatHappened) {
  SynthOptions o;
  o.n = 1000;
  const Model m = synth(o);
  Factorization f(m.A());
  const FactorizationReport& r = f.report();
  EXPECT_EQ(r.n, 1000);
  EXPECT_EQ(r.nnz, m.A().nnz());
  EXPECT_GT(r.nnz_factors, 0);
  EXPECT_GT(r.rcond, 0.0);
  EXPECT_EQ(r.factorizations, 1);
  EXPECT_GE(r.max_block, 300);  // the strongly connected core (~40 %)
  EXPECT_NE(r.brief().find("klu n=1000"), std::string::npos) << r.brief();
}

TEST(Solver, AmdDenseThresholdKeepsTheAnswer) {
  // A core with a few dense hub rows and columns: every threshold (hubs ordered last, or
  // no row treated as dense) must give the dense LU's answer.
  Eigen::MatrixXd A = test_util::random_technosphere(150, 0.03, 41);
  for (Index h = 0; h < 4; ++h)
    for (Index i = 0; i < 150; ++i)
      if (i != h && i % 3 != 0) A(h, i) = A(i, h) = -0.001 * double(1 + (i % 7));
  const CscMatrix csc = to_csc(A, true);
  const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(150, 1.0, 3.0);
  const Eigen::VectorXd want = A.partialPivLu().solve(b);
  for (double dense : {10.0, 2.0, 1.0, 0.5, -1.0}) {
    FactorizationOptions o;
    o.amd_dense = dense;
    Factorization f(csc, o);
    EXPECT_LT(rel_error(span_solve(f, b), want), 1e-11) << "amd_dense=" << dense;
  }
  FactorizationOptions bad;
  bad.amd_dense = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(SymbolicAnalysis::create(csc, bad), InvalidInputError);
}

// ---- diagnostics.hpp: conditioning; numbers in messages ---------------------------------------

TEST(Conditioning, TheWarningFiresAboveTheDocumentedThreshold) {
  EXPECT_FALSE(is_ill_conditioned(1e12));
  EXPECT_TRUE(is_ill_conditioned(1.0000001e12));
  EXPECT_FALSE(is_ill_conditioned(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_TRUE(is_ill_conditioned(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(condition_warning(1e3), "");
  // diag(1, 1e-13): condition number 1e13 exactly (1-norm), and the estimate finds it.
  Eigen::MatrixXd D(2, 2);
  D << 1.0, 0.0, 0.0, 1e-13;
  Factorization f(to_csc(D));
  const double estimate = f.condition_estimate();
  EXPECT_NEAR(estimate, 1e13, 1e13 * 1e-12);
  const std::string text = condition_warning(estimate);
  EXPECT_NE(text.find("ill-conditioned"), std::string::npos) << text;
  EXPECT_NE(text.find("1e+13"), std::string::npos) << text;
  EXPECT_NE(text.find("above 1e+12"), std::string::npos) << text;
}

TEST(Conditioning, MessagesShowNanWithoutASign) {
  EXPECT_EQ(message_number(std::nan("")), "nan");
  EXPECT_EQ(message_number(-std::nan("")), "nan");
  EXPECT_EQ(message_number(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(message_number(2.5e-16), "2.5e-16");
}

TEST(Conditioning, SingularMessagesShowSmallNumbers) {
  // Pivots 1 and 2^-52 (row scaling cannot hide the second): rcond 2.22e-16 < 1e-15.
  Eigen::MatrixXd D(2, 2);
  D << 1.0, 1.0, 1.0, 1.0 + std::ldexp(1.0, -52);
  try {
    Factorization f(to_csc(D));
    FAIL() << "expected SingularMatrixError";
  } catch (const SingularMatrixError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("estimate 2.22e-16 is below"), std::string::npos) << text;
    EXPECT_NE(text.find("below 1e-15"), std::string::npos) << text;
    EXPECT_EQ(text.find("0.000000"), std::string::npos) << text;
  }
}
