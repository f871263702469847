// Tests for monte_carlo.hpp: the engine against a dense brute-force reference built from the
// same draws; exact agreement with Lca when nothing varies; bit-identical results at 1, 2 and 4
// threads and across split runs; analytic means for lognormal models; singular iterations
// counted and listed; common random numbers; cancellation and progress; every input error at
// construction; the streaming inventory statistics.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hiili/distributions.hpp"
#include "hiili/error.hpp"
#include "hiili/lca.hpp"
#include "hiili/limits.hpp"
#include "hiili/monte_carlo.hpp"
#include "hiili/synth.hpp"
#include "test_util.hpp"

namespace hiili {
namespace {

using test_util::invalid_input_message;
using test_util::uncertainty;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();


bool same_bits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * std::size_t(a.size())) == 0;
}

std::shared_ptr<const Model> synth_model(Index n, std::uint64_t seed = 3) {
  SynthOptions o;
  o.n = n;
  o.seed = seed;
  o.uncertainty = true;
  return std::make_shared<const Model>(synth(o));
}

// A small model with duplicates, flips, every kind of distribution, an activity that is not
// upstream of the demand, and an uncertain characterisation factor.
std::shared_ptr<const Model> mixed_model() {
  ModelBuilder b(6, 4, 2);
  using K = MatrixKind;
  for (Index j = 0; j < 6; ++j) b.add(K::Technosphere, Entry{j, j, 1.0, false}, uncertainty(1));
  b.add(K::Technosphere, Entry{1, 0, 0.3, true}, uncertainty(2, std::log(0.3), 0.2));       // flipped
  b.add(K::Technosphere, Entry{2, 0, -0.2, false}, uncertainty(3, -0.2, 0.02, kNaN, -0.3, -0.1));
  b.add(K::Technosphere, Entry{2, 0, -0.05, false}, uncertainty(0));                        // duplicate, fixed
  b.add(K::Technosphere, Entry{3, 1, -0.1, false}, uncertainty(4, kNaN, kNaN, kNaN, -0.2, -0.05));
  b.add(K::Technosphere, Entry{3, 1, -0.1, false}, uncertainty(5, -0.1, kNaN, kNaN, -0.15, -0.02));  // duplicate, both drawn
  b.add(K::Technosphere, Entry{0, 2, -0.4, false}, uncertainty(2, std::log(0.4), 0.3, kNaN, kNaN, kNaN, true));
  b.add(K::Technosphere, Entry{4, 3, -0.3, false}, uncertainty(9, -0.5, 0.1, 2.0, kNaN, kNaN));
  b.add(K::Technosphere, Entry{2, 4, -0.2, false}, uncertainty(12, -0.2, 0.01, 4.0, -0.3, -0.1));
  b.add(K::Technosphere, Entry{0, 5, -0.5, false}, uncertainty(2, std::log(0.5), 0.3, kNaN, kNaN, kNaN, true));  // 5 not upstream
  b.add(K::Technosphere, Entry{5, 5, 0.2, false}, uncertainty(4, kNaN, kNaN, kNaN, 0.1, 0.3));  // dup. diagonal, not upstream
  b.add(K::Biosphere, Entry{0, 0, 2.0, false}, uncertainty(2, std::log(2.0), 0.3));
  b.add(K::Biosphere, Entry{1, 0, 1.0, false}, uncertainty(8, 0.5, 1.0, 2.0));
  b.add(K::Biosphere, Entry{0, 1, 0.5, false}, uncertainty(10, 2.0, kNaN, 3.0, 0.0, 1.0));
  b.add(K::Biosphere, Entry{2, 2, 3.0, false}, uncertainty(11, 3.0, 0.5, 0.0));
  b.add(K::Biosphere, Entry{3, 3, 1.0, true}, uncertainty(6, 0.7));                          // flipped Bernoulli
  b.add(K::Biosphere, Entry{0, 4, 1.5, false}, uncertainty(7, kNaN, kNaN, kNaN, 1.0, 4.0));
  b.add(K::Biosphere, Entry{0, 4, 0.5, false}, uncertainty(1));
  b.add(K::Biosphere, Entry{1, 5, 9.0, false}, uncertainty(2, std::log(9.0), 0.5));          // not upstream
  b.add(K::Characterization, Entry{0, 0, 1.0, false}, uncertainty(0));
  b.add(K::Characterization, Entry{0, 1, 2.0, false}, uncertainty(3, 2.0, 0.1));
  b.add(K::Characterization, Entry{1, 2, 0.5, false}, uncertainty(1));
  b.add(K::Characterization, Entry{1, 3, 1.0, false}, uncertainty(0));
  b.add(K::Characterization, Entry{1, 0, 0.1, false}, uncertainty(1));
  return std::make_shared<const Model>(b.build());
}

// Dense A, B, C for one iteration from the same draws, entry by entry, as the engine defines
// them: value = flip ? -x : x, duplicates summed.
Eigen::MatrixXd reference_scores(const Model& M, std::uint64_t seed, std::uint64_t it,
                                 const Eigen::VectorXd& f) {
  Eigen::MatrixXd D[3] = {Eigen::MatrixXd::Zero(M.num_activities(), M.num_activities()),
                          Eigen::MatrixXd::Zero(M.num_flows(), M.num_activities()),
                          Eigen::MatrixXd::Zero(M.num_categories(), M.num_flows())};
  const MatrixKind kinds[3] = {MatrixKind::Technosphere, MatrixKind::Biosphere,
                               MatrixKind::Characterization};
  for (int q = 0; q < 3; ++q) {
    const MatrixData& md = M.data(kinds[q]);
    for (std::size_t e = 0; e < md.entries.size(); ++e) {
      const Entry& en = md.entries[e];
      double x = en.amount;
      if (md.has_uncertainty() && md.uncertainty[e].type > 1)
        x = sample_distribution(md.uncertainty[e], en.amount, seed, 1, it,
                                stream_id(kinds[q], Index(e)))[0];
      D[q](en.row, en.col) += en.flip ? -x : x;
    }
  }
  const Eigen::VectorXd s = D[0].fullPivLu().solve(f);
  return (D[2] * (D[1] * s)).transpose();
}

// ---- correctness --------------------------------------------------------------------------

TEST(MonteCarlo, MatchesADenseReferenceBuiltFromTheSameDraws) {
  auto model = mixed_model();
  MonteCarloOptions o;
  o.seed = 12345;
  MonteCarlo mc(model, SparseDemand{{0, 1.0}, {4, 0.5}}, o);
  EXPECT_EQ(mc.num_active(), 5);  // activity 5 is not upstream of the demand
  const MonteCarloResult r = mc.run(300);
  ASSERT_EQ(r.completed, 300);
  EXPECT_TRUE(r.failed.empty());
  Eigen::VectorXd f = Eigen::VectorXd::Zero(6);
  f[0] = 1.0;
  f[4] = 0.5;
  double worst = 0.0;
  for (Index i = 0; i < 300; ++i) {
    const Eigen::MatrixXd want = reference_scores(*model, 12345, std::uint64_t(i), f);
    for (Index q = 0; q < 2; ++q)
      worst = std::max(worst, std::abs(r.scores[0](i, q) - want(0, q)) / std::abs(want(0, q)));
  }
  EXPECT_LT(worst, 1e-12);
  // Activity 5's entries are never drawn; the rest are.
  EXPECT_EQ(r.report.uncertain_entries[0], 9);
  EXPECT_EQ(r.report.sampled_entries[0], 7);
  EXPECT_EQ(r.report.sampled_entries[1], 6);
  EXPECT_EQ(r.report.sampled_entries[2], 1);
  EXPECT_EQ(r.report.activities, 5);
}

// Dense matrix of a CSC pattern with other values.
Eigen::MatrixXd dense_with(const CscMatrix& M, const std::vector<double>& values) {
  Eigen::MatrixXd D = Eigen::MatrixXd::Zero(M.rows, M.cols);
  for (Index j = 0; j < M.cols; ++j)
    for (Index p = M.col_ptr[j]; p < M.col_ptr[j + 1]; ++p) D(M.row_idx[p], j) = values[p];
  return D;
}

TEST(MonteCarlo, SampledValuesAreTheIterationsMatrices) {
  auto model = mixed_model();
  MonteCarloOptions o;
  o.seed = 777;
  MonteCarlo mc(model, SparseDemand{{0, 1.0}, {4, 0.5}}, o);
  const MonteCarloResult r = mc.run(20, 40);
  ASSERT_EQ(r.completed, 20);
  Eigen::VectorXd f = Eigen::VectorXd::Zero(6);
  f[0] = 1.0;
  f[4] = 0.5;
  const MatrixKind kinds[3] = {MatrixKind::Technosphere, MatrixKind::Biosphere,
                               MatrixKind::Characterization};
  double worst = 0.0;
  for (std::uint64_t it = 40; it < 60; ++it) {
    Eigen::MatrixXd D[3];
    for (int q = 0; q < 3; ++q) {
      const MatrixData& md = model->data(kinds[q]);
      D[q] = dense_with(md.matrix, sampled_values(*model, kinds[q], 777, it));
      // Entry by entry: each drawn one from stream entry | kind << 62, signed by its flip.
      Eigen::MatrixXd want = Eigen::MatrixXd::Zero(md.matrix.rows, md.matrix.cols);
      for (std::size_t e = 0; e < md.entries.size(); ++e) {
        const Entry& en = md.entries[e];
        double x = en.amount;
        if (md.has_uncertainty() && md.uncertainty[e].type > 1)
          x = sample_distribution(md.uncertainty[e], en.amount, 777, 1, it,
                                  std::uint64_t(e) | (std::uint64_t(q) << 62))[0];
        want(en.row, en.col) += en.flip ? -x : x;
      }
      EXPECT_LT((D[q] - want).cwiseAbs().maxCoeff(), 1e-14 * (1.0 + want.cwiseAbs().maxCoeff()));
    }
    const Eigen::VectorXd s = D[0].fullPivLu().solve(f);
    const Eigen::VectorXd h = D[2] * (D[1] * s);
    for (Index c = 0; c < h.size(); ++c)
      worst = std::max(worst, std::abs(r.scores[0](Index(it - 40), c) - h[c]) / std::abs(h[c]));
  }
  EXPECT_LT(worst, 1e-12);
  // Without uncertainty a matrix keeps the model's values; iterations stop at 2^40.
  EXPECT_EQ(sampled_values(Model::from_csc(model->A(), model->B(), model->C()),
                           MatrixKind::Technosphere, 1, 0),
            model->A().values);
  EXPECT_THROW(sampled_values(*model, MatrixKind::Technosphere, 1, std::uint64_t{1} << 40),
               InvalidInputError);
}

TEST(MonteCarlo, FixedEntriesGiveTheLcaResultExactly) {
  // Every entry of type 0 or 1: each iteration is the deterministic result, bit for bit.
  auto base = synth_model(400);
  ModelBuilder b(base->num_activities(), base->num_flows(), base->num_categories());
  const MatrixKind kinds[3] = {MatrixKind::Technosphere, MatrixKind::Biosphere,
                               MatrixKind::Characterization};
  for (int q = 0; q < 3; ++q) {
    const MatrixData& md = base->data(kinds[q]);
    for (std::size_t e = 0; e < md.entries.size(); ++e)
      b.add(kinds[q], md.entries[e], uncertainty(e % 2 == 0 ? 0 : 1, 123.0, 4.0));
  }
  auto fixed = std::make_shared<const Model>(b.build());
  const SparseDemand demand{{399, 1.0}, {17, 2.5}};
  Lca lca(fixed);
  const LcaResult want = lca.solve(demand);
  MonteCarlo mc(fixed, demand);
  const MonteCarloResult r = mc.run(20);
  ASSERT_EQ(r.completed, 20);
  for (Index i = 0; i < 20; ++i)
    for (Index q = 0; q < fixed->num_categories(); ++q) EXPECT_EQ(r.scores[0](i, q), want.scores[q]);
  for (Index q = 0; q < fixed->num_categories(); ++q)
    EXPECT_EQ(mc.deterministic_scores()(q, 0), want.scores[q]);

  // The same with a model full of uncertainty when no matrix is sampled.
  MonteCarloOptions off;
  off.sample_technosphere = off.sample_biosphere = off.sample_characterization = false;
  Lca lca2(base);
  const LcaResult want2 = lca2.solve(demand);
  MonteCarlo mc2(base, demand, off);
  const MonteCarloResult r2 = mc2.run(5);
  for (Index i = 0; i < 5; ++i)
    for (Index q = 0; q < base->num_categories(); ++q) EXPECT_EQ(r2.scores[0](i, q), want2.scores[q]);
}

TEST(MonteCarlo, BitIdenticalAtOneTwoAndFourThreads) {
  auto model = synth_model(600);
  const SparseDemand demand{{599, 1.0}};
  Eigen::MatrixXd first;
  for (int threads : {1, 2, 4}) {
    for (Index chunk : {0, 1, 7}) {
      MonteCarloOptions o;
      o.seed = 99;
      o.threads = threads;
      o.chunk = chunk;
      MonteCarlo mc(model, demand, o);
      const MonteCarloResult r = mc.run(120);
      ASSERT_EQ(r.completed, 120);
      if (first.size() == 0) {
        first = r.scores[0];
        EXPECT_TRUE(first.allFinite());
        EXPECT_GT((first.row(0) - first.row(1)).norm(), 0.0);
      } else {
        EXPECT_TRUE(same_bits(r.scores[0], first)) << threads << " threads, chunk " << chunk;
      }
    }
  }
}

TEST(MonteCarlo, SplitRunsEqualOneRun) {
  auto model = synth_model(300, 8);
  MonteCarloOptions o;
  o.seed = 5;
  o.inventory_statistics = true;
  MonteCarlo whole(model, SparseDemand{{299, 1.0}}, o);
  const MonteCarloResult all = whole.run(1000);
  MonteCarlo pieces(model, SparseDemand{{299, 1.0}}, o);
  MonteCarloResult joined = pieces.run(500, 0);
  joined.append(pieces.run(500, 500));
  EXPECT_EQ(joined.completed, 1000);
  EXPECT_TRUE(same_bits(joined.scores[0], all.scores[0]));
  EXPECT_EQ(joined.failed, all.failed);
  // Iterations 500-999 alone are the second half.
  MonteCarlo late(model, SparseDemand{{299, 1.0}}, o);
  EXPECT_TRUE(same_bits(late.run(500, 500).scores[0], all.scores[0].bottomRows(500)));
  // Streaming statistics: sketches merge exactly; sums agree to double-double precision.
  const FlowStatistics& a = all.inventory[0];
  const FlowStatistics& b = joined.inventory[0];
  EXPECT_EQ(a.count(), 1000);
  EXPECT_EQ(b.count(), 1000);
  EXPECT_TRUE(same_bits(a.quantile(0.5), b.quantile(0.5)));
  EXPECT_TRUE(same_bits(a.quantile(0.975), b.quantile(0.975)));
  EXPECT_TRUE(same_bits(a.min(), b.min()));
  EXPECT_TRUE(same_bits(a.max(), b.max()));
  EXPECT_LT((a.mean() - b.mean()).cwiseAbs().maxCoeff(), 1e-14 * a.mean().cwiseAbs().maxCoeff());
  EXPECT_LT((a.variance() - b.variance()).cwiseAbs().maxCoeff(),
            1e-12 * a.variance().cwiseAbs().maxCoeff());
}

TEST(MonteCarlo, StatisticsDoNotDependOnThreads) {
  auto model = synth_model(300, 8);
  MonteCarloOptions o;
  o.seed = 5;
  o.inventory_statistics = true;
  o.threads = 1;
  MonteCarlo one(model, SparseDemand{{299, 1.0}}, o);
  o.threads = 3;
  o.chunk = 3;
  MonteCarlo three(model, SparseDemand{{299, 1.0}}, o);
  const MonteCarloResult a = one.run(300), b = three.run(300);
  EXPECT_TRUE(same_bits(a.inventory[0].mean(), b.inventory[0].mean()));
  EXPECT_TRUE(same_bits(a.inventory[0].variance(), b.inventory[0].variance()));
  EXPECT_TRUE(same_bits(a.inventory[0].quantile(0.1), b.inventory[0].quantile(0.1)));
  // h = C g is linear: the mean score is C times the mean inventory.
  const Eigen::VectorXd mean_h = a.scores[0].colwise().mean().transpose();
  const Eigen::VectorXd c_mean_g = model->C().multiply(
      std::span<const double>(a.inventory[0].mean().data(), std::size_t(model->num_flows())));
  EXPECT_LT((mean_h - c_mean_g).cwiseAbs().maxCoeff(), 1e-10 * mean_h.cwiseAbs().maxCoeff());
}

TEST(MonteCarlo, LognormalMeansMatchAnalyticValues) {
  // s = 1 / a with a lognormal (median 2, sigma 0.3): E[s] = exp(-mu + sigma^2 / 2).
  // Score = b s with b lognormal (median 3, sigma 0.2), independent: E = E[b] E[s],
  // Var = E[b^2] E[s^2] - E^2.
  ModelBuilder mb(1, 1, 1);
  mb.add(MatrixKind::Technosphere, Entry{0, 0, 2.0, false}, uncertainty(2, std::log(2.0), 0.3));
  mb.add(MatrixKind::Biosphere, Entry{0, 0, 3.0, false}, uncertainty(2, std::log(3.0), 0.2));
  mb.add_characterization(0, 0, 1.0);
  auto model = std::make_shared<const Model>(mb.build());
  MonteCarlo mc(model, SparseDemand{{0, 1.0}});
  const Index n = 40000;
  const MonteCarloResult r = mc.run(n);
  const Eigen::VectorXd h = r.scores[0].col(0);
  const double mean = h.mean();
  const double var = (h.array() - mean).square().sum() / double(n - 1);
  const double es = std::exp(-std::log(2.0) + 0.045), es2 = std::exp(-2 * std::log(2.0) + 0.18);
  const double eb = std::exp(std::log(3.0) + 0.02), eb2 = std::exp(2 * std::log(3.0) + 0.08);
  const double want_mean = eb * es, want_var = eb2 * es2 - want_mean * want_mean;
  EXPECT_NEAR(mean, want_mean, 5 * std::sqrt(want_var / n));
  EXPECT_NEAR(var, want_var, 0.04 * want_var);

  // Only B uncertain (lognormal): the score is a sum of independent lognormals times fixed
  // supplies; mean and variance are exact sums.
  ModelBuilder b2(2, 3, 1);
  b2.add_technosphere(0, 0, 1.0);
  b2.add_technosphere(1, 1, 1.0);
  b2.add_technosphere(1, 0, -0.5);
  const double med[3] = {1.0, 4.0, 0.5}, sig[3] = {0.1, 0.4, 0.25};
  b2.add(MatrixKind::Biosphere, Entry{0, 0, 1.0, false}, uncertainty(2, std::log(med[0]), sig[0]));
  b2.add(MatrixKind::Biosphere, Entry{1, 1, 4.0, false}, uncertainty(2, std::log(med[1]), sig[1]));
  b2.add(MatrixKind::Biosphere, Entry{2, 0, 0.5, false}, uncertainty(2, std::log(med[2]), sig[2]));
  b2.add_characterization(0, 0, 1.0);
  b2.add_characterization(0, 1, 2.0);
  b2.add_characterization(0, 2, 3.0);
  auto m2 = std::make_shared<const Model>(b2.build());
  MonteCarlo mc2(m2, SparseDemand{{0, 1.0}});
  const MonteCarloResult r2 = mc2.run(n);
  const double w[3] = {1.0 * 1.0, 2.0 * 0.5, 3.0 * 1.0};  // factor x supply (s = [1, 0.5])
  double m_exp = 0, v_exp = 0;
  for (int e = 0; e < 3; ++e) {
    m_exp += w[e] * med[e] * std::exp(sig[e] * sig[e] / 2);
    v_exp += w[e] * w[e] * med[e] * med[e] * (std::exp(sig[e] * sig[e]) - 1) * std::exp(sig[e] * sig[e]);
  }
  const Eigen::VectorXd h2 = r2.scores[0].col(0);
  const double mean2 = h2.mean();
  const double var2 = (h2.array() - mean2).square().sum() / double(n - 1);
  EXPECT_NEAR(mean2, m_exp, 5 * std::sqrt(v_exp / n));
  EXPECT_NEAR(var2, v_exp, 0.04 * v_exp);
  EXPECT_EQ(r2.report.sampled_entries[0], 0);
  EXPECT_EQ(r2.report.factorizations, 0);  // A fixed: factorised once, at construction
}

// ---- singular iterations ---------------------------------------------------------------------

TEST(MonteCarlo, SingularIterationsAreCountedListedAndNaN) {
  // A = [[1, 0, 0], [-0.5, b, 0], [0, -0.2, 1]] with b Bernoulli(0.7): singular when b = 0.
  ModelBuilder mb(3, 1, 1);
  mb.add_technosphere(0, 0, 1.0);
  mb.add_technosphere(1, 0, -0.5);
  const Index bern = mb.add(MatrixKind::Technosphere, Entry{1, 1, 1.0, false}, uncertainty(6, 0.7));
  mb.add(MatrixKind::Technosphere, Entry{2, 1, -0.2, false}, uncertainty(2, std::log(0.2), 0.1, kNaN, kNaN, kNaN, true));
  mb.add_technosphere(2, 2, 1.0);
  mb.add_biosphere(0, 0, 1.0);
  mb.add_biosphere(0, 1, 2.0);
  mb.add_biosphere(0, 2, 3.0);
  mb.add_characterization(0, 0, 1.0);
  auto model = std::make_shared<const Model>(mb.build());
  Eigen::MatrixXd first;
  std::vector<Index> first_failed;
  for (int threads : {1, 2, 4}) {
    MonteCarloOptions o;
    o.seed = 31;
    o.threads = threads;
    MonteCarlo mc(model, SparseDemand{{0, 1.0}}, o);
    const MonteCarloResult r = mc.run(400);
    ASSERT_EQ(r.completed, 400);  // the run completes
    EXPECT_EQ(r.report.failed, Index(r.failed.size()));
    // Exactly the iterations whose Bernoulli draw was 0.
    const auto draws = sample_distribution(uncertainty(6, 0.7), 1.0, 31, 400, 0,
                                           stream_id(MatrixKind::Technosphere, bern));
    std::vector<Index> want;
    for (Index i = 0; i < 400; ++i)
      if (draws[i] == 0.0) want.push_back(i);
    EXPECT_EQ(r.failed, want);
    EXPECT_GT(want.size(), 80u);
    EXPECT_LT(want.size(), 160u);
    for (Index i = 0; i < 400; ++i)
      EXPECT_EQ(std::isnan(r.scores[0](i, 0)), draws[i] == 0.0) << i;
    if (first.size() == 0) {
      first = r.scores[0];
      first_failed = r.failed;
    } else {
      EXPECT_TRUE(same_bits(first, r.scores[0]));
      EXPECT_EQ(first_failed, r.failed);
    }
  }
}

TEST(MonteCarlo, SingularDeterministicModelIsRejectedAtConstruction) {
  ModelBuilder mb(2, 1, 1);
  mb.add(MatrixKind::Technosphere, Entry{0, 0, 1.0, false}, uncertainty(2, 0.0, 0.1));
  mb.add_technosphere(1, 0, 1.0);
  mb.add_technosphere(0, 1, 1.0);
  mb.add_technosphere(1, 1, 1.0);
  mb.add_biosphere(0, 0, 1.0);
  mb.add_characterization(0, 0, 1.0);
  auto model = std::make_shared<const Model>(mb.build());
  EXPECT_THROW(MonteCarlo(model, SparseDemand{{0, 1.0}}), SingularMatrixError);
}

// ---- common random numbers ---------------------------------------------------------------------

TEST(MonteCarlo, CommonRandomNumbersForSeveralDemands) {
  auto model = synth_model(500, 4);
  const SparseDemand d1{{499, 1.0}}, d2{{499, 2.0}}, d3{{480, 1.0}};
  MonteCarloOptions o;
  o.seed = 77;
  MonteCarlo both(model, std::vector<SparseDemand>{d1, d2, d3}, o);
  const MonteCarloResult r = both.run(200);
  ASSERT_EQ(r.num_demands(), 3);
  // Twice the demand, on the same draws: exactly twice the scores (powers of two are exact).
  EXPECT_TRUE(same_bits(r.scores[1], 2.0 * r.scores[0]));
  const Eigen::VectorXd p = r.probability_less(0, 1);
  for (Index q = 0; q < p.size(); ++q) EXPECT_EQ(p[q], 1.0);
  EXPECT_TRUE(same_bits(r.difference(1, 0), r.scores[0]));
  // Each demand alone sees the same draws: equal up to the rounding of a different system.
  MonteCarlo alone(model, d3, o);
  const MonteCarloResult r3 = alone.run(200);
  EXPECT_LT((r3.scores[0] - r.scores[2]).cwiseAbs().maxCoeff(),
            1e-11 * r3.scores[0].cwiseAbs().maxCoeff());
  // Paired differences are tighter than the spread of either alternative.
  const Eigen::VectorXd diff = r.difference(2, 0).col(0);
  const double sd_diff = std::sqrt((diff.array() - diff.mean()).square().sum() / 199);
  const Eigen::VectorXd a = r.scores[0].col(0);
  const double sd_a = std::sqrt((a.array() - a.mean()).square().sum() / 199);
  EXPECT_GT(sd_a, 0.0);
  EXPECT_TRUE(std::isfinite(sd_diff));
  const Eigen::VectorXd pl = r.probability_less(2, 0);
  for (Index q = 0; q < pl.size(); ++q) EXPECT_TRUE(pl[q] >= 0.0 && pl[q] <= 1.0);
  EXPECT_THROW(r.probability_less(0, 3), InvalidInputError);
}

// ---- progress, cancellation --------------------------------------------------------------------

TEST(MonteCarlo, ProgressRunsOnTheCallingThreadAndCancelReturnsAPrefix) {
  auto model = synth_model(800, 2);
  MonteCarloOptions o;
  o.seed = 1;
  o.threads = 2;
  o.progress_interval = 0.0;
  MonteCarlo mc(model, SparseDemand{{799, 1.0}}, o);
  const auto caller = std::this_thread::get_id();
  // Far more iterations than run before the callback stops them: the run ends by the callback,
  // whatever the scheduling (it would take minutes to finish on its own).
  constexpr Index kMany = 1'000'000;
  std::vector<Index> seen;
  bool on_caller = true;
  const MonteCarloResult r = mc.run(kMany, 0, [&](const MonteCarloProgress& p) {
    seen.push_back(p.completed);
    on_caller = on_caller && std::this_thread::get_id() == caller;
    EXPECT_EQ(p.total, kMany);
    return p.completed < 20;  // stop once 20 are done in order
  });
  EXPECT_TRUE(on_caller);
  ASSERT_GE(seen.size(), 3u);  // before the first iteration, at least once between, at the end
  EXPECT_EQ(seen.front(), 0);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_TRUE(r.cancelled);
  // Progress counts the in-order prefix, so the run keeps at least what stopped it.
  EXPECT_GE(r.completed, 20);
  EXPECT_LT(r.completed, kMany);
  EXPECT_EQ(seen.back(), r.completed);
  EXPECT_EQ(r.scores[0].rows(), r.completed);
  // The prefix is exactly what an uncancelled run gives.
  MonteCarlo again(model, SparseDemand{{799, 1.0}}, o);
  const MonteCarloResult full = again.run(r.completed);
  EXPECT_TRUE(same_bits(full.scores[0], r.scores[0]));

  // A callback that says stop before the first iteration: nothing runs.
  const MonteCarloResult at_once = mc.run(100, 0, [](const MonteCarloProgress&) { return false; });
  EXPECT_TRUE(at_once.cancelled);
  EXPECT_EQ(at_once.completed, 0);

  std::atomic<bool> stop{true};
  const MonteCarloResult none = mc.run(100, 0, {}, &stop);
  EXPECT_TRUE(none.cancelled);
  EXPECT_EQ(none.completed, 0);
  EXPECT_EQ(none.scores[0].rows(), 0);

  int final_calls = 0;
  Index last = -1;
  const MonteCarloResult done = mc.run(10, 0, [&](const MonteCarloProgress& p) {
    ++final_calls;
    last = p.completed;
    return true;
  });
  EXPECT_FALSE(done.cancelled);
  EXPECT_GE(final_calls, 2);  // before the first iteration and at the end
  EXPECT_EQ(last, 10);
}

// ---- errors --------------------------------------------------------------------------------------

TEST(MonteCarlo, BadParametersAreRejectedAtConstructionNamingTheEntry) {
  auto build = [](const Uncertainty& bad, MatrixKind kind) {
    ModelBuilder mb(2, 2, 1);
    mb.add_technosphere(0, 0, 1.0);
    mb.add_technosphere(1, 1, 1.0);
    mb.add(MatrixKind::Technosphere, Entry{1, 0, -0.5, false}, uncertainty(2, std::log(0.5), 0.1, kNaN, kNaN, kNaN, true));
    mb.add_biosphere(0, 0, 1.0);
    mb.add_biosphere(1, 1, 1.0);
    mb.add_characterization(0, 0, 1.0);
    mb.add(kind, Entry{1, 1, 2.0, false}, bad);
    return std::make_shared<const Model>(mb.build());
  };
  struct Case {
    Uncertainty u;
    MatrixKind kind;
    const char* where;
    const char* what;
  };
  const std::vector<Case> cases = {
      {uncertainty(2, 0.0, -1.0), MatrixKind::Biosphere, "biosphere entry 2 (row 1, column 1)", "scale"},
      {uncertainty(3, 0.0, 1.0, kNaN, 2.0, 1.0), MatrixKind::Technosphere, "technosphere entry 3 (row 1, column 1)", "minimum"},
      {uncertainty(42), MatrixKind::Characterization, "characterization entry 1 (row 0, column 1)", "unknown uncertainty type 42"},
  };
  for (const Case& c : cases) {
    auto model = c.kind == MatrixKind::Characterization
                     ? [&] {
                         ModelBuilder mb(1, 2, 1);
                         mb.add_technosphere(0, 0, 1.0);
                         mb.add_biosphere(0, 0, 1.0);
                         mb.add_characterization(0, 0, 1.0);
                         mb.add(MatrixKind::Characterization, Entry{0, 1, 1.0, false}, c.u);
                         return std::make_shared<const Model>(mb.build());
                       }()
                     : build(c.u, c.kind);
    try {
      MonteCarlo mc(model, SparseDemand{{0, 1.0}});
      ADD_FAILURE() << "accepted " << c.what;
    } catch (const InvalidInputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(c.where), std::string::npos) << msg;
      EXPECT_NE(msg.find(c.what), std::string::npos) << msg;
    }
    // Not sampling that matrix skips its checks.
    MonteCarloOptions o;
    o.sample_technosphere = c.kind != MatrixKind::Technosphere;
    o.sample_biosphere = c.kind != MatrixKind::Biosphere;
    o.sample_characterization = c.kind != MatrixKind::Characterization;
    EXPECT_NO_THROW(MonteCarlo(model, SparseDemand{{0, 1.0}}, o));
  }
}

TEST(MonteCarlo, BadDemandsAndArgumentsAreInvalidInput) {
  auto model = mixed_model();
  EXPECT_THROW(MonteCarlo(model, SparseDemand{{6, 1.0}}), InvalidInputError);
  EXPECT_THROW(MonteCarlo(model, SparseDemand{{-1, 1.0}}), InvalidInputError);
  EXPECT_THROW(MonteCarlo(model, SparseDemand{{0, kNaN}}), InvalidInputError);
  EXPECT_THROW(MonteCarlo(model, SparseDemand{{0, 0.0}}), InvalidInputError);
  EXPECT_THROW(MonteCarlo(model, SparseDemand{}), InvalidInputError);
  EXPECT_THROW(MonteCarlo(model, std::vector<SparseDemand>{}), InvalidInputError);
  EXPECT_THROW(MonteCarlo(nullptr, SparseDemand{{0, 1.0}}), InvalidInputError);
  MonteCarloOptions bad;
  bad.sketch_bins = 3;
  EXPECT_THROW(MonteCarlo(model, SparseDemand{{0, 1.0}}, bad), InvalidInputError);
  MonteCarlo mc(model, SparseDemand{{0, 1.0}});
  EXPECT_THROW(mc.run(-1), InvalidInputError);
  EXPECT_THROW(mc.run(1, -1), InvalidInputError);
  EXPECT_THROW(mc.run(10, (Index(1) << 40) - 5), InvalidInputError);
  EXPECT_EQ(mc.run(0).completed, 0);
  MonteCarloResult a = mc.run(5, 0);
  EXPECT_THROW(a.append(mc.run(5, 6)), InvalidInputError);
}

// ---- streaming statistics ------------------------------------------------------------------------

TEST(FlowStatistics, MeanVarianceQuantilesOnKnownData) {
  Eigen::VectorXd ref(3);
  ref << 10.0, -2.0, 0.0;
  FlowStatistics st(ref, 0.01, 2048);
  std::vector<double> v0, v1;
  for (int i = 1; i <= 1000; ++i) {
    const double row[3] = {double(i), -0.01 * i, i % 2 == 0 ? 0.0 : 1.0};
    v0.push_back(row[0]);
    v1.push_back(row[1]);
    st.add(row);
  }
  EXPECT_EQ(st.count(), 1000);
  EXPECT_DOUBLE_EQ(st.mean()[0], 500.5);
  EXPECT_NEAR(st.variance()[0], 1000.0 * 1001.0 / 12.0, 1e-9);
  EXPECT_DOUBLE_EQ(st.mean()[2], 0.5);
  EXPECT_EQ(st.min()[0], 1.0);
  EXPECT_EQ(st.max()[0], 1000.0);
  EXPECT_EQ(st.min()[1], -10.0);
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 1.0}) {
    const std::size_t rank = std::size_t(std::floor(q * 999));
    std::vector<double> s0 = v0, s1 = v1;
    std::sort(s0.begin(), s0.end());
    std::sort(s1.begin(), s1.end());
    EXPECT_NEAR(st.quantile(q)[0], s0[rank], 0.0101 * std::abs(s0[rank])) << q;
    EXPECT_NEAR(st.quantile(q)[1], s1[rank], 0.0101 * std::abs(s1[rank])) << q;
  }
  EXPECT_EQ(st.quantile(0.4)[2], 0.0);
  EXPECT_NEAR(st.quantile(0.6)[2], 1.0, 0.0101);
  // Merging two halves gives the same sketch.
  FlowStatistics a(ref, 0.01, 2048), b(ref, 0.01, 2048);
  for (int i = 1; i <= 1000; ++i) {
    const double row[3] = {double(i), -0.01 * i, i % 2 == 0 ? 0.0 : 1.0};
    (i <= 400 ? a : b).add(row);
  }
  a.merge(b);
  for (double q : {0.05, 0.5, 0.95}) EXPECT_TRUE(same_bits(a.quantile(q), st.quantile(q)));
  EXPECT_NEAR(a.mean()[0], 500.5, 1e-12);
  EXPECT_THROW(a.merge(FlowStatistics(ref, 0.02, 2048)), InvalidInputError);
  EXPECT_THROW(st.quantile(1.5), InvalidInputError);
  EXPECT_THROW(FlowStatistics(ref, 0.0, 2048), InvalidInputError);
  // Out-of-range values keep exact min and max.
  FlowStatistics narrow(ref, 0.01, 16);
  const double big[3] = {1e9, -1e-9, 0.0};
  narrow.add(big);
  EXPECT_EQ(narrow.max()[0], 1e9);
  EXPECT_EQ(narrow.quantile(0.5)[0], 1e9);
  EXPECT_EQ(narrow.out_of_range(), 2);
}

TEST(FlowStatistics, StateRoundTripsAndIsChecked) {
  Eigen::VectorXd ref(2);
  ref << 3.0, -1.0;
  FlowStatistics st(ref, 0.02, 64);
  for (int i = 1; i <= 200; ++i) {
    const double row[2] = {0.1 * i, -0.5 * i};
    st.add(row);
  }
  const FlowStatistics copy = FlowStatistics::from_state(st.state());
  EXPECT_EQ(copy.count(), st.count());
  EXPECT_EQ(copy.out_of_range(), st.out_of_range());
  EXPECT_TRUE(same_bits(copy.mean(), st.mean()));
  EXPECT_TRUE(same_bits(copy.variance(), st.variance()));
  EXPECT_TRUE(same_bits(copy.min(), st.min()));
  for (double q : {0.05, 0.5, 0.95}) EXPECT_TRUE(same_bits(copy.quantile(q), st.quantile(q)));
  FlowStatistics merged = FlowStatistics::from_state(st.state());
  merged.merge(st);  // the restored reference and sketch match the original's
  EXPECT_EQ(merged.count(), 400);
  FlowStatistics::State bad = st.state();
  bad.counts.pop_back();
  EXPECT_NE(invalid_input_message([&] { FlowStatistics::from_state(bad); }).find("bucket counts"),
            std::string::npos);
  bad = st.state();
  bad.sum_hi.push_back(0.0);
  EXPECT_THROW(FlowStatistics::from_state(bad), InvalidInputError);
}

TEST(MonteCarlo, ScoreSummaryInterpolatesLikeNumpy) {
  Eigen::MatrixXd x(6, 2);
  x << 1, 10, 2, kNaN, 3, 30, 4, 40, 5, 50, 6, 60;  // row 1 failed: skipped in both columns
  const ScoreSummary s = summarize_scores(x, {0.0, 0.25, 0.5, 0.9, 1.0});
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.mean[0], 19.0 / 5);
  EXPECT_DOUBLE_EQ(s.mean[1], 190.0 / 5);
  EXPECT_EQ(s.min[0], 1.0);
  EXPECT_EQ(s.max[1], 60.0);
  // numpy.quantile([1, 3, 4, 5, 6], [0, .25, .5, .9, 1]) = [1, 3, 4, 5.6, 6]
  const double want[5] = {1.0, 3.0, 4.0, 5.6, 6.0};
  for (int l = 0; l < 5; ++l) EXPECT_NEAR(s.quantiles(0, l), want[l], 1e-12);
  EXPECT_NEAR(s.std[0], std::sqrt(((1 - 3.8) * (1 - 3.8) + 0.64 + 0.04 + 1.44 + 4.84) / 4), 1e-12);
  EXPECT_THROW(summarize_scores(x, {1.5}), InvalidInputError);
  const ScoreSummary empty = summarize_scores(Eigen::MatrixXd(0, 2), {0.5});
  EXPECT_EQ(empty.count, 0);
  EXPECT_TRUE(std::isnan(empty.mean[0]));
}

TEST(MonteCarlo, ReportSaysWhatHappened) {
  auto model = synth_model(300);
  MonteCarloOptions o;
  o.threads = 2;
  MonteCarlo mc(model, SparseDemand{{299, 1.0}}, o);
  const MonteCarloResult r = mc.run(50);
  EXPECT_EQ(r.report.iterations, 50);
  EXPECT_EQ(r.report.threads, 2);
  EXPECT_GE(r.report.workers, 1);
  EXPECT_GT(r.report.sampled_entries[0], 0);
  EXPECT_GT(r.report.sampled_entries[1], 0);
  EXPECT_LE(r.report.sampled_entries[1], r.report.uncertain_entries[1]);
  EXPECT_EQ(r.report.refactors + r.report.refactor_fallbacks, 50);
  EXPECT_GT(r.report.iterations_per_second(), 0.0);
  EXPECT_NE(r.report.brief().find("50 it"), std::string::npos) << r.report.brief();
  // Different seeds differ; the same seed repeats.
  MonteCarloOptions o2 = o;
  o2.seed = 1;
  MonteCarlo other(model, SparseDemand{{299, 1.0}}, o2);
  EXPECT_FALSE(same_bits(other.run(50).scores[0], r.scores[0]));
  EXPECT_TRUE(same_bits(mc.run(50).scores[0], r.scores[0]));
}


// ---- arguments at the edges, streaming statistics ------------------------------------------


TEST(MonteCarlo, OptionsOutOfRangeAreTypedErrorsNamingTheOption) {
  auto model = synth_model(300);
  const SparseDemand demand{{299, 1.0}};
  auto build = [&](MonteCarloOptions o) { MonteCarlo mc(model, demand, o); };
  MonteCarloOptions o;
  o.threads = -1;
  std::string what = invalid_input_message([&] { build(o); });
  EXPECT_NE(what.find("threads"), std::string::npos) << what;
  EXPECT_NE(what.find("[1, " + std::to_string(max_threads()) + "]"), std::string::npos) << what;
  o.threads = max_threads() + 1;
  EXPECT_NE(invalid_input_message([&] { build(o); }).find("threads"), std::string::npos);
  o = {};
  o.chunk = Index(1) << 30;
  EXPECT_NE(invalid_input_message([&] { build(o); }).find("chunk"), std::string::npos);
  o = {};
  o.progress_interval = std::nan("");
  EXPECT_NE(invalid_input_message([&] { build(o); }).find("progress_interval"), std::string::npos);
  o = {};
  o.stream_block = -1;
  EXPECT_NE(invalid_input_message([&] { build(o); }).find("stream_block"), std::string::npos);
  // max_threads() itself is accepted (threads are only made when used).
  o = {};
  o.threads = max_threads();
  EXPECT_NO_THROW(build(o));
}

TEST(MonteCarlo, IterationsAtTheEdgesAreTypedErrors) {
  MonteCarloOptions o;
  o.threads = 1;
  MonteCarlo mc(synth_model(300), SparseDemand{{299, 1.0}}, o);
  EXPECT_NE(invalid_input_message([&] { mc.run(-5); }).find("iterations"), std::string::npos);
  EXPECT_NE(invalid_input_message([&] { mc.run(5, -1); }).find("first_iteration"), std::string::npos);
  EXPECT_NE(invalid_input_message([&] { mc.run(Index(1) << 40, 1); }).find("2^40"), std::string::npos);
  // 2^40 iterations x 3 categories of doubles (24 TiB) cannot be kept: the message names the
  // option that streams instead, and nothing was allocated or run.
  const std::string what = invalid_input_message([&] { mc.run(Index(1) << 40); });
  EXPECT_NE(what.find("keep_scores"), std::string::npos) << what;
  EXPECT_NE(what.find("TiB"), std::string::npos) << what;
}

TEST(MonteCarlo, StreamedStatisticsEqualThoseOfTheFullTable) {
  auto model = synth_model(300);
  const SparseDemand demand{{299, 1.0}};
  MonteCarloOptions o;
  o.seed = 11;
  o.threads = 2;
  MonteCarlo full(model, demand, o);
  const Index n = 2000;
  const MonteCarloResult table = full.run(n);
  o.keep_scores = false;
  o.stream_block = 300;  // several blocks, the last one short
  MonteCarlo streamed(model, demand, o);
  const MonteCarloResult r = streamed.run(n);
  ASSERT_FALSE(r.scores_kept());
  ASSERT_EQ(r.score_statistics.size(), 1u);
  EXPECT_EQ(r.completed, n);
  EXPECT_EQ(r.report.iterations, n);
  EXPECT_EQ(r.scores[0].rows(), 0);
  const FlowStatistics& st = r.score_statistics[0];
  const Eigen::MatrixXd& S = table.scores[0];
  ASSERT_EQ(st.count(), n);
  const std::vector<double> levels{0.0, 0.025, 0.5, 0.975, 1.0};
  const ScoreSummary exact = summarize_scores(S, levels);
  const ScoreSummary sketch = summarize_statistics(st, levels);
  EXPECT_EQ(sketch.count, exact.count);
  for (Index q = 0; q < S.cols(); ++q) {
    EXPECT_NEAR(sketch.mean[q], exact.mean[q], 1e-12 * std::abs(exact.mean[q]));
    EXPECT_NEAR(sketch.std[q], exact.std[q], 1e-9 * exact.std[q]);
    EXPECT_EQ(sketch.min[q], exact.min[q]);
    EXPECT_EQ(sketch.max[q], exact.max[q]);
    // The sketch's quantile is within relative accuracy a of the sample's lower nearest rank.
    std::vector<double> x(S.col(q).data(), S.col(q).data() + n);
    std::sort(x.begin(), x.end());
    for (std::size_t l = 0; l < levels.size(); ++l) {
      const double want = x[static_cast<std::size_t>(std::floor(levels[l] * double(n - 1)))];
      EXPECT_NEAR(sketch.quantiles(q, Index(l)), want, o.sketch_accuracy * std::abs(want))
          << "category " << q << " level " << levels[l];
    }
  }
  // Blocks do not change the statistics: one block gives the same numbers.
  o.stream_block = 0;
  MonteCarlo one_block(model, demand, o);
  const FlowStatistics st1 = one_block.run(n).score_statistics[0];
  EXPECT_TRUE(same_bits(st1.mean(), st.mean()));
  EXPECT_TRUE(same_bits(st1.quantile(0.5), st.quantile(0.5)));
  // The paired differences need the table.
  EXPECT_THROW(r.difference(0, 0), InvalidInputError);
  EXPECT_THROW(r.probability_less(0, 0), InvalidInputError);
}

TEST(MonteCarlo, StreamedPiecesAppendAndRefuseMixingWithTables) {
  auto model = synth_model(300);
  const SparseDemand demand{{299, 1.0}};
  MonteCarloOptions o;
  o.threads = 2;
  o.keep_scores = false;
  MonteCarlo mc(model, demand, o);
  MonteCarloResult a = mc.run(300);
  a.append(mc.run(200, 300));
  const MonteCarloResult whole = mc.run(500);
  EXPECT_EQ(a.completed, 500);
  EXPECT_EQ(a.score_statistics[0].count(), 500);
  EXPECT_TRUE(same_bits(a.score_statistics[0].quantile(0.9), whole.score_statistics[0].quantile(0.9)));
  for (Index q = 0; q < 3; ++q)
    EXPECT_NEAR(a.score_statistics[0].mean()[q], whole.score_statistics[0].mean()[q],
                1e-13 * std::abs(whole.score_statistics[0].mean()[q]));
  o.keep_scores = true;
  MonteCarlo kept(model, demand, o);
  EXPECT_THROW(a.append(kept.run(10, 500)), InvalidInputError);
}

}  // namespace
}  // namespace hiili
