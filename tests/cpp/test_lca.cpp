#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "hiili/error.hpp"
#include "hiili/lca.hpp"
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
  return {test_util::random_technosphere(n, 0.1, seed), test_util::random_dense(m, n, 0.3, seed + 1),
          test_util::random_dense(k, m, 0.5, seed + 2)};
}

Model to_model(const Dense& d) {
  return Model::from_csc(to_csc(d.A, true), to_csc(d.B), to_csc(d.C));
}

class LcaTest : public ::testing::TestWithParam<Backend> {
 protected:
  FactorizationOptions options() const {
    FactorizationOptions o;
    o.backend = GetParam();
    return o;
  }
};

}  // namespace

TEST_P(LcaTest, SolveMatchesDenseInverse) {
  const Dense d = random_model(50, 12, 3, 3);
  Lca lca(to_model(d), options());
  Eigen::VectorXd f = Eigen::VectorXd::Zero(50);
  f[7] = 1.0;
  f[20] = -0.5;
  const LcaResult r = lca.solve(std::span<const double>(f.data(), 50));
  const Eigen::VectorXd s = d.A.partialPivLu().solve(f);
  EXPECT_LT(rel_error(r.supply, s), 1e-10);
  EXPECT_LT(rel_error(r.inventory, d.B * s), 1e-10);
  EXPECT_LT(rel_error(r.scores, d.C * d.B * s), 1e-10);
  const LcaResult sparse = lca.solve(SparseDemand{{7, 1.0}, {20, -0.25}, {20, -0.25}});
  EXPECT_LT(rel_error(sparse.scores, r.scores), 1e-14);
}

TEST_P(LcaTest, SolveManyEqualsSingleSolves) {
  const Dense d = random_model(40, 9, 4, 5);
  Lca lca(to_model(d), options());
  Eigen::MatrixXd F = test_util::random_dense(40, 6, 0.1, 9);
  F.row(0).setConstant(1.0);
  const LcaResults all = lca.solve_many(F);
  ASSERT_EQ(all.scores.rows(), 4);
  ASSERT_EQ(all.scores.cols(), 6);
  for (Index c = 0; c < 6; ++c) {
    const Eigen::VectorXd fc = F.col(c);
    const LcaResult one = lca.solve(std::span<const double>(fc.data(), 40));
    EXPECT_LT(rel_error(all.supply.col(c), one.supply), 1e-12);
    EXPECT_LT(rel_error(all.scores.col(c), one.scores), 1e-12);
  }
}

TEST_P(LcaTest, ActivityScoresEqualCBInverseA) {
  const Dense d = random_model(60, 15, 5, 7);
  Lca lca(to_model(d), options());
  const Eigen::MatrixXd S = lca.activity_scores();
  const Eigen::MatrixXd want = d.C * d.B * d.A.inverse();
  ASSERT_EQ(S.rows(), 5);
  ASSERT_EQ(S.cols(), 60);
  EXPECT_LT(rel_error(S, want), 1e-10);
}

TEST_P(LcaTest, ActivityScoresAgreeWithForwardSolvesOnSynth) {
  SynthOptions o;
  o.n = 1500;
  o.k = 4;
  Lca lca(synth(o), options());
  const Eigen::MatrixXd S = lca.activity_scores();
  for (Index j : {0, 1, 700, 1499}) {
    const LcaResult r = lca.solve(SparseDemand{{j, 1.0}});
    EXPECT_LT(rel_error(S.col(j), r.scores), 1e-10) << "activity " << j;
  }
}

TEST_P(LcaTest, UpdateTechnosphereRefactors) {
  const Dense d = random_model(30, 5, 2, 13);
  Model m = to_model(d);
  Lca lca(m, options());
  std::vector<double> values = m.A().values;
  for (double& v : values) v *= 1.05;
  lca.update_technosphere(values);
  Eigen::VectorXd f = Eigen::VectorXd::Unit(30, 3);
  const LcaResult r = lca.solve(std::span<const double>(f.data(), 30));
  EXPECT_LT(rel_error(r.supply, (1.05 * d.A).partialPivLu().solve(f)), 1e-10);
}

TEST_P(LcaTest, KnowsWhetherItsFactorisationMatchesTheModel) {
  const Dense d = random_model(30, 5, 2, 14);
  Model m = to_model(d);
  Lca lca(m, options());
  EXPECT_TRUE(lca.factorization_matches_model());
  std::vector<double> values = m.A().values;
  values[3] *= 1.0 + 1e-15;
  lca.update_technosphere(values);
  EXPECT_FALSE(lca.factorization_matches_model());
  lca.update_technosphere(m.A().values);
  EXPECT_TRUE(lca.factorization_matches_model());
  lca.factorization().factorize(values);
  EXPECT_FALSE(lca.factorization_matches_model());
}

TEST_P(LcaTest, RejectsBadDemands) {
  const Dense d = random_model(10, 3, 2, 17);
  Lca lca(to_model(d), options());
  EXPECT_THROW(lca.solve(SparseDemand{{10, 1.0}}), InvalidInputError);
  EXPECT_THROW(lca.solve(SparseDemand{{-1, 1.0}}), InvalidInputError);
  EXPECT_THROW(lca.solve(SparseDemand{{1, std::nan("")}}), InvalidInputError);
  EXPECT_THROW(lca.solve(SparseDemand{}), InvalidInputError);
  std::vector<double> zero(10, 0.0), short_demand(9, 1.0);
  EXPECT_THROW(lca.solve(std::span<const double>(zero)), InvalidInputError);
  EXPECT_THROW(lca.solve(std::span<const double>(short_demand)), InvalidInputError);
  EXPECT_THROW(lca.solve_many(Eigen::MatrixXd::Ones(9, 2)), InvalidInputError);
  EXPECT_THROW(lca.solve_many(Eigen::MatrixXd::Zero(10, 2)), InvalidInputError);
}

TEST_P(LcaTest, SingularModelIsRejected) {
  Dense d = random_model(10, 3, 2, 19);
  d.A.col(4) = d.A.col(3);  // two equal columns
  EXPECT_THROW(Lca(to_model(d), options()), SingularMatrixError);
}

INSTANTIATE_TEST_SUITE_P(Backends, LcaTest,
                         ::testing::Values(Backend::Klu, Backend::Umfpack, Backend::Eigen),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(Lca, NoFlowsOrCategoriesGiveEmptyResults) {
  Lca lca(Model::from_csc(to_csc(Eigen::MatrixXd::Identity(3, 3)), CscMatrix::zeros(0, 3),
                          CscMatrix::zeros(0, 0)));
  const LcaResult r = lca.solve(SparseDemand{{1, 2.0}});
  EXPECT_EQ(r.supply[1], 2.0);
  EXPECT_EQ(r.inventory.size(), 0);
  EXPECT_EQ(r.scores.size(), 0);
  EXPECT_EQ(lca.activity_scores().rows(), 0);
}
