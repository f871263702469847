// sensitivity.hpp: adjoint derivatives of a score against central finite differences of a
// dense LU solve, on every backend, on small models and on a synthetic ecoinvent-like one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "hiili/error.hpp"
#include "hiili/sensitivity.hpp"
#include "hiili/synth.hpp"
#include "test_util.hpp"

using namespace hiili;
using test_util::rel_error;
using test_util::to_csc;

namespace {

struct Dense {
  Eigen::MatrixXd A, B, C;
};

Dense random_model(Index n, Index m, Index k, unsigned seed) {
  return {test_util::random_technosphere(n, 0.3, seed),
          test_util::random_dense(m, n, 0.4, seed + 1),
          test_util::random_dense(k, m, 0.6, seed + 2)};
}

std::shared_ptr<const Model> to_model(const Dense& d) {
  return std::make_shared<const Model>(
      Model::from_csc(to_csc(d.A, true), to_csc(d.B), to_csc(d.C)));
}

std::span<const double> span_of(const Eigen::VectorXd& v) {
  return {v.data(), static_cast<std::size_t>(v.size())};
}

// h_q with a dense LU: the independent reference.
double dense_score(const Dense& d, const Eigen::VectorXd& f, Index q) {
  return (d.C.row(q) * d.B * d.A.partialPivLu().solve(f))(0);
}

// Central difference of h_q in entry (i, j) of matrix `which` (0: A, 1: B, 2: C).
double finite_difference(Dense d, const Eigen::VectorXd& f, Index q, int which, Index i, Index j) {
  Eigen::MatrixXd& M = which == 0 ? d.A : which == 1 ? d.B : d.C;
  const double x = M(i, j);
  const double step = 1e-6 * std::max(std::abs(x), 1e-3);
  M(i, j) = x + step;
  const double up = dense_score(d, f, q);
  M(i, j) = x - step;
  const double down = dense_score(d, f, q);
  return (up - down) / (2 * step);
}

class SensitivityTest : public ::testing::TestWithParam<Backend> {
 protected:
  FactorizationOptions options() const {
    FactorizationOptions o;
    o.backend = GetParam();
    return o;
  }
};

}  // namespace

TEST_P(SensitivityTest, EveryEntryMatchesFiniteDifferences) {
  const Dense d = random_model(10, 5, 3, 101);
  Lca lca(to_model(d), options());
  Eigen::VectorXd f = Eigen::VectorXd::Zero(10);
  f[3] = 1.0;
  f[6] = 0.5;
  for (Index q : {0, 2}) {
    const Sensitivity s = sensitivity(lca, span_of(f), q);
    EXPECT_EQ(s.category, q);
    EXPECT_NEAR(s.score, dense_score(d, f, q), 1e-12 * std::abs(s.score));
    const Eigen::MatrixXd* dense[3] = {&d.A, &d.B, &d.C};
    const CscMatrix* der[3] = {&s.A, &s.B, &s.C};
    const CscMatrix* pattern[3] = {&lca.model().A(), &lca.model().B(), &lca.model().C()};
    for (int w = 0; w < 3; ++w) {
      // Exactly the model's pattern, slot for slot.
      EXPECT_EQ(der[w]->col_ptr, pattern[w]->col_ptr);
      EXPECT_EQ(der[w]->row_idx, pattern[w]->row_idx);
      ASSERT_EQ(der[w]->values.size(), pattern[w]->values.size());
      const double scale = std::abs(s.score) / dense[w]->cwiseAbs().maxCoeff();
      for (Index j = 0; j < der[w]->cols; ++j)
        for (Index p = der[w]->col_ptr[j]; p < der[w]->col_ptr[j + 1]; ++p) {
          const Index i = der[w]->row_idx[p];
          const double fd = finite_difference(d, f, q, w, i, j);
          EXPECT_NEAR(der[w]->values[p], fd, 1e-6 * scale + 1e-6 * std::abs(fd))
              << "matrix " << w << " entry (" << i << ", " << j << ")";
        }
    }
  }
}

TEST_P(SensitivityTest, ClosedFormsAndElasticitySums) {
  const Dense d = random_model(14, 6, 2, 111);
  Lca lca(to_model(d), options());
  Eigen::VectorXd f = Eigen::VectorXd::Zero(14);
  f[0] = 2.0;
  const Sensitivity s = sensitivity(lca, span_of(f), 1);
  const Eigen::VectorXd sv = d.A.partialPivLu().solve(f);
  const Eigen::VectorXd y =
      d.A.transpose().partialPivLu().solve(d.B.transpose() * d.C.row(1).transpose());
  EXPECT_LT(rel_error(s.supply, sv), 1e-12);
  EXPECT_LT(rel_error(s.adjoint, y), 1e-12);
  EXPECT_LT(rel_error(s.inventory, d.B * sv), 1e-12);
  // dh/dA = -y s^T and dh/dB = c s^T on the patterns; dh/dC row q = g^T, other rows 0.
  const Eigen::MatrixXd dA = s.A.to_dense(), dB = s.B.to_dense(), dC = s.C.to_dense();
  const Eigen::MatrixXd pA = (d.A.array() != 0.0).cast<double>();
  const Eigen::MatrixXd pB = (d.B.array() != 0.0).cast<double>();
  EXPECT_LT(rel_error(dA, (-y * sv.transpose()).cwiseProduct(pA)), 1e-12);
  EXPECT_LT(rel_error(dB, (d.C.row(1).transpose() * sv.transpose()).cwiseProduct(pB)), 1e-12);
  EXPECT_TRUE(dC.row(0).isZero());
  for (Index f2 = 0; f2 < d.C.cols(); ++f2)
    EXPECT_NEAR(dC(1, f2), d.C(1, f2) != 0.0 ? s.inventory[f2] : 0.0, 1e-14);
  // h is homogeneous of degree 1 in B and in row q of C, of degree -1 in A: elasticities sum
  // to 1, 1 and -1.
  const auto all = s.top(-1);
  double sums[3] = {0, 0, 0};
  for (const auto& e : all) sums[static_cast<int>(e.matrix)] += e.elasticity;
  EXPECT_NEAR(sums[0], -1.0, 1e-12);
  EXPECT_NEAR(sums[1], 1.0, 1e-12);
  EXPECT_NEAR(sums[2], 1.0, 1e-12);
}

TEST(Sensitivity, TopIsRankedByElasticity) {
  const Dense d = random_model(12, 5, 2, 121);
  Lca lca(to_model(d));
  Eigen::VectorXd f = Eigen::VectorXd::Zero(12);
  f[5] = 1.0;
  const Sensitivity s = sensitivity(lca, span_of(f), 0);
  const auto top = s.top(10);
  ASSERT_EQ(top.size(), 10u);
  for (std::size_t t = 1; t < top.size(); ++t)
    EXPECT_GE(std::abs(top[t - 1].elasticity), std::abs(top[t].elasticity));
  for (const auto& e : top) {
    const Eigen::MatrixXd& M = e.matrix == MatrixKind::Technosphere ? d.A
                               : e.matrix == MatrixKind::Biosphere  ? d.B
                                                                    : d.C;
    EXPECT_EQ(e.value, M(e.row, e.col));
    EXPECT_NEAR(e.derivative, s.derivatives(e.matrix).to_dense()(e.row, e.col), 0.0);
    EXPECT_NEAR(e.elasticity, e.derivative * e.value / s.score, 1e-15);
  }
  // The largest |elasticity| over everything is at least as large as any single matrix's.
  const auto only_b = s.top(3, false, true, false);
  ASSERT_EQ(only_b.size(), 3u);
  for (const auto& e : only_b) EXPECT_EQ(e.matrix, MatrixKind::Biosphere);
  EXPECT_GE(std::abs(top[0].elasticity), std::abs(only_b[0].elasticity));
  EXPECT_TRUE(s.top(0).empty());
  EXPECT_TRUE(s.top(5, false, false, false).empty());
  // The demanded activity's diagonal: elasticity -y_j s_j A_jj / h.
  const auto all = s.top(-1, true, false, false);
  const auto diag = std::find_if(
      all.begin(), all.end(), [](const SensitivityEntry& e) { return e.row == 5 && e.col == 5; });
  ASSERT_NE(diag, all.end());
  EXPECT_NEAR(diag->derivative, -s.adjoint[5] * s.supply[5], 1e-15);
}

TEST(Sensitivity, Errors) {
  const Dense d = random_model(6, 3, 2, 131);
  Lca lca(to_model(d));
  Eigen::VectorXd f = Eigen::VectorXd::Zero(6);
  f[0] = 1.0;
  EXPECT_THROW(sensitivity(lca, span_of(f), 2), InvalidInputError);
  EXPECT_THROW(sensitivity(lca, span_of(f), -1), InvalidInputError);
  EXPECT_THROW(sensitivity(lca, span_of(Eigen::VectorXd::Zero(6)), 0), InvalidInputError);
  EXPECT_THROW(sensitivity(lca, SparseDemand{{-1, 1.0}}, 0), InvalidInputError);
  const ScoreAnalysis a = analyze_score(lca, span_of(f), 0);
  EXPECT_THROW(sensitivity(nullptr, a), InvalidInputError);
  const Dense other = random_model(5, 3, 2, 132);
  EXPECT_THROW(sensitivity(to_model(other), a), InvalidInputError);
  Sensitivity empty;
  EXPECT_THROW(empty.top(3), InvalidInputError);
}

TEST(Sensitivity, ZeroScoreGivesNanElasticities) {
  // An emission and an equal uptake cancel: h = 0, derivatives still defined.
  const Eigen::MatrixXd A = Eigen::MatrixXd::Identity(2, 2);
  Eigen::MatrixXd B(1, 2);
  B << 1.0, -1.0;
  const Eigen::MatrixXd C = Eigen::MatrixXd::Ones(1, 1);
  Lca lca(Model::from_csc(to_csc(A, true), to_csc(B), to_csc(C)));
  const Eigen::VectorXd f = Eigen::VectorXd::Ones(2);
  const Sensitivity s = sensitivity(lca, span_of(f), 0);
  EXPECT_EQ(s.score, 0.0);
  EXPECT_EQ(s.B.values, (std::vector<double>{1.0, 1.0}));
  const auto top = s.top(-1);
  ASSERT_EQ(top.size(), 4u);  // A's diagonal and B's two entries (C's product g * c = 0)
  for (const auto& e : top) EXPECT_TRUE(std::isnan(e.elasticity));
}

TEST(Sensitivity, SynthMatchesFiniteDifferencesOfFreshSolves) {
  SynthOptions so;
  so.n = 3000;
  so.k = 2;
  so.seed = 3;
  auto model = std::make_shared<const Model>(synth(so));
  Lca lca(model);
  Eigen::VectorXd f = Eigen::VectorXd::Zero(so.n);
  f[2500] = 1.0;
  const Sensitivity s = sensitivity(lca, span_of(f), 1);
  const auto top = s.top(8, true, true, false);
  ASSERT_EQ(top.size(), 8u);
  // Perturb each of the top entries in a copy of the model and solve afresh.
  for (const auto& e : top) {
    const CscMatrix& M = model->data(e.matrix).matrix;
    Index slot = -1;
    for (Index p = M.col_ptr[e.col]; p < M.col_ptr[e.col + 1]; ++p)
      if (M.row_idx[p] == e.row) slot = p;
    ASSERT_GE(slot, 0);
    const double step = 1e-6 * std::abs(e.value);
    double h[2];
    for (int side = 0; side < 2; ++side) {
      CscMatrix A = model->A(), B = model->B();
      CscMatrix& X = e.matrix == MatrixKind::Technosphere ? A : B;
      X.values[slot] += side == 0 ? step : -step;
      Lca fresh(Model::from_csc(A, B, model->C()));
      h[side] = fresh.solve(span_of(f)).scores[1];
    }
    const double fd = (h[0] - h[1]) / (2 * step);
    EXPECT_NEAR(e.derivative, fd, 1e-5 * std::abs(fd) + 1e-9 * std::abs(s.score / e.value))
        << to_string(e.matrix) << " (" << e.row << ", " << e.col << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SensitivityTest,
                         ::testing::Values(Backend::Klu, Backend::Umfpack, Backend::Eigen),
                         [](const auto& info) { return std::string(to_string(info.param)); });
