// contribution.hpp: ScoreAnalysis, contributions, ranking, supply-chain tree, structural paths,
// against dense Eigen computations (inverse, power series, brute-force path enumeration).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "hiili/contribution.hpp"
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

Dense random_model(Index n, Index m, Index k, unsigned seed, double density = 0.25) {
  return {test_util::random_technosphere(n, density, seed),
          test_util::random_dense(m, n, 0.4, seed + 1),
          test_util::random_dense(k, m, 0.6, seed + 2)};
}

Model to_model(const Dense& d) {
  return Model::from_csc(to_csc(d.A, true), to_csc(d.B), to_csc(d.C));
}

std::span<const double> span_of(const Eigen::VectorXd& v) {
  return {v.data(), static_cast<std::size_t>(v.size())};
}

Eigen::VectorXd unit(Index n, Index j, double amount = 1.0) {
  Eigen::VectorXd f = Eigen::VectorXd::Zero(n);
  f[j] = amount;
  return f;
}

// Term l of the power series: c_q^T B D^-1 (N D^-1)^l f, N = D - A.
std::vector<double> power_series(const Dense& d, const Eigen::VectorXd& f, Index q, int terms) {
  const Eigen::VectorXd diag = d.A.diagonal();
  Eigen::MatrixXd N = -d.A;
  N.diagonal().setZero();
  const Eigen::MatrixXd M = N * diag.cwiseInverse().asDiagonal();  // -A_ij / A_jj
  const Eigen::RowVectorXd b = d.C.row(q) * d.B;
  std::vector<double> out;
  Eigen::VectorXd p = f;
  for (int l = 0; l < terms; ++l) {
    out.push_back(b * diag.cwiseInverse().asDiagonal() * p);
    p = M * p;
  }
  return out;
}

// Every path up to max_length edges, by brute force: (value, activities).
void enumerate_paths(const Dense& d, Index q, Index j, double amount, Index length,
                     Index max_length, std::vector<Index>& prefix,
                     std::vector<std::pair<double, std::vector<Index>>>& out) {
  prefix.push_back(j);
  const Eigen::RowVectorXd b = d.C.row(q) * d.B;
  const double value = amount / d.A(j, j) * b[j];
  if (value != 0.0) out.emplace_back(value, prefix);
  if (length < max_length)
    for (Index i = 0; i < d.A.rows(); ++i)
      if (i != j && d.A(i, j) != 0.0)
        enumerate_paths(d, q, i, -d.A(i, j) / d.A(j, j) * amount, length + 1, max_length, prefix,
                        out);
  prefix.pop_back();
}

// Checks cumulative = direct + children + rest on every expanded node; returns the sum of
// direct over expanded nodes plus cumulative over the leaves that were not expanded.
double check_tree(const SupplyTree& tree, double tol) {
  double accounted = 0.0;
  for (const TreeNode& node : tree.nodes) {
    if (node.expanded) {
      double sum = node.direct + node.rest;
      for (Index c : node.children) {
        sum += tree.nodes[c].cumulative;
        EXPECT_EQ(tree.nodes[c].parent, &node - tree.nodes.data());
        EXPECT_EQ(tree.nodes[c].depth, node.depth + 1);
      }
      EXPECT_NEAR(sum, node.cumulative, tol * std::max(1.0, std::abs(node.cumulative)));
      accounted += node.direct + node.rest;
    } else {
      EXPECT_TRUE(node.children.empty());
      accounted += node.cumulative;
    }
    for (std::size_t c = 1; c < node.children.size(); ++c)
      EXPECT_GE(std::abs(tree.nodes[node.children[c - 1]].cumulative),
                std::abs(tree.nodes[node.children[c]].cumulative));
  }
  return accounted;
}

}  // namespace

TEST(ScoreAnalysis, MatchesDenseAdjointAndContributionsSumToScore) {
  const Dense d = random_model(15, 6, 3, 11);
  Lca lca(to_model(d));
  Eigen::VectorXd f = unit(15, 2, 2.0);
  f[9] = -0.5;
  for (Index q = 0; q < 3; ++q) {
    const ScoreAnalysis a = analyze_score(lca, span_of(f), q);
    const Eigen::VectorXd s = d.A.partialPivLu().solve(f);
    const Eigen::VectorXd b = d.B.transpose() * d.C.row(q).transpose();
    const Eigen::VectorXd y = d.A.transpose().partialPivLu().solve(b);
    const double h = (d.C * d.B * s)[q];
    EXPECT_EQ(a.category, q);
    EXPECT_NEAR(a.score, h, 1e-12 * std::abs(h));
    EXPECT_LT(rel_error(a.supply, s), 1e-12);
    EXPECT_LT(rel_error(a.unit_direct, b), 1e-14);
    EXPECT_LT(rel_error(a.adjoint, y), 1e-12);
    EXPECT_NEAR(a.adjoint.dot(f), h, 1e-12 * std::abs(h));  // y^T f = h
    EXPECT_NEAR(a.process_contributions().sum(), h, 1e-12 * std::abs(h));
    EXPECT_NEAR(a.flow_contributions().sum(), h, 1e-12 * std::abs(h));
    EXPECT_LT(rel_error(a.process_contributions(), s.cwiseProduct(b)), 1e-12);
    EXPECT_LT(rel_error(a.upstream_scores(), y.cwiseProduct(d.A.diagonal()).cwiseProduct(s)),
              1e-12);
  }
  const ScoreAnalysis sparse = analyze_score(lca, SparseDemand{{2, 2.0}, {9, -0.5}}, 1);
  EXPECT_LT(rel_error(sparse.adjoint, analyze_score(lca, span_of(f), 1).adjoint), 1e-15);
}

TEST(ScoreAnalysis, UpstreamOfTheDemandedProductIsTheScoreWithoutLoops) {
  // Upper triangular A: no loops, so the demanded product's upstream score is the total.
  Eigen::MatrixXd A = Eigen::MatrixXd::Identity(4, 4);
  A(0, 1) = -0.5;
  A(0, 2) = -0.2;
  A(1, 2) = -0.3;
  A(2, 3) = -2.0;
  A(1, 3) = -1.0;
  const Dense d{A, test_util::random_dense(3, 4, 1.0, 3), test_util::random_dense(2, 3, 1.0, 4)};
  Lca lca(to_model(d));
  const ScoreAnalysis a = analyze_score(lca, span_of(unit(4, 3, 3.0)), 0);
  EXPECT_NEAR(a.upstream_scores()[3], a.score, 1e-12 * a.score);
  EXPECT_LE(a.upstream_scores()[0], a.score * (1 + 1e-12));
}

TEST(Contributions, EveryCategoryRowsSumToScores) {
  const Dense d = random_model(20, 8, 4, 5);
  const Model model = to_model(d);
  Lca lca(model);
  const LcaResult r = lca.solve(span_of(unit(20, 4)));
  const Eigen::MatrixXd P = process_contributions(lca.model(), r.supply);
  const Eigen::MatrixXd F = flow_contributions(lca.model(), r.inventory);
  ASSERT_EQ(P.rows(), 4);
  ASSERT_EQ(P.cols(), 20);
  ASSERT_EQ(F.cols(), 8);
  EXPECT_LT(rel_error(P, d.C * d.B * r.supply.asDiagonal()), 1e-13);
  EXPECT_LT(rel_error(F, d.C * r.inventory.asDiagonal()), 1e-13);
  EXPECT_LT(rel_error(P.rowwise().sum(), r.scores), 1e-12);
  EXPECT_LT(rel_error(F.rowwise().sum(), r.scores), 1e-12);
  EXPECT_THROW(process_contributions(lca.model(), Eigen::VectorXd::Zero(3)), InvalidInputError);
  EXPECT_THROW(flow_contributions(lca.model(), Eigen::VectorXd::Zero(3)), InvalidInputError);
}

TEST(Contributions, RankKeepsTopAndSumsTheRest) {
  Eigen::VectorXd v(7);
  v << 1.0, -5.0, 0.0, 3.0, 3.0, 0.5, -0.25;
  const RankedContributions r = rank_contributions(v, 3);
  ASSERT_EQ(r.top.size(), 3u);
  EXPECT_EQ(r.top[0].index, 1);
  EXPECT_EQ(r.top[1].index, 3);  // tie with 4: lower index first
  EXPECT_EQ(r.top[2].index, 4);
  EXPECT_DOUBLE_EQ(r.total, v.sum());
  EXPECT_DOUBLE_EQ(r.rest, 1.0 + 0.5 - 0.25);
  EXPECT_EQ(r.rest_count, 4);
  EXPECT_DOUBLE_EQ(r.top[0].share, -5.0 / v.sum());
  const RankedContributions all = rank_contributions(v, -1);
  EXPECT_EQ(all.top.size(), 6u);  // zeros never listed
  EXPECT_EQ(all.rest_count, 1);
  EXPECT_EQ(all.rest, 0.0);
  EXPECT_TRUE(rank_contributions(v, 0).top.empty());
  EXPECT_TRUE(std::isnan(rank_contributions(Eigen::VectorXd::Zero(3), 2).rest +
                         std::numeric_limits<double>::quiet_NaN()));
  v[5] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(rank_contributions(v, 3), InvalidInputError);
}

TEST(ScoreAnalysis, Errors) {
  const Dense d = random_model(6, 3, 2, 8);
  Lca lca(to_model(d));
  const Eigen::VectorXd f = unit(6, 0);
  EXPECT_THROW(analyze_score(lca, span_of(f), 2), InvalidInputError);
  EXPECT_THROW(analyze_score(lca, span_of(f), -1), InvalidInputError);
  EXPECT_THROW(analyze_score(lca, span_of(Eigen::VectorXd::Zero(6)), 0), InvalidInputError);
  EXPECT_THROW(analyze_score(lca, span_of(Eigen::VectorXd::Zero(5)), 0), InvalidInputError);
  EXPECT_THROW(analyze_score(lca, SparseDemand{{6, 1.0}}, 0), InvalidInputError);
  Lca no_categories(Model::from_csc(to_csc(d.A, true), to_csc(d.B), CscMatrix::zeros(0, 3)));
  EXPECT_THROW(analyze_score(no_categories, span_of(f), 0), InvalidInputError);
  // A factorisation that no longer matches the model's A.
  std::vector<double> values = lca.model().A().values;
  for (double& v : values) v *= 2.0;
  lca.update_technosphere(values);
  EXPECT_THROW(analyze_score(lca, span_of(f), 0), InvalidInputError);
}

TEST(SupplyTree, ExactDecompositionWithLoopsAsLeaves) {
  const Dense d = random_model(12, 5, 2, 21, 0.3);
  Lca lca(to_model(d));
  const Eigen::VectorXd f = unit(12, 3, 1.5);
  const ScoreAnalysis a = analyze_score(lca, span_of(f), 1);
  TreeOptions o;
  o.cutoff = 0.0;
  o.max_depth = 10000;
  const SupplyTree tree = supply_chain_tree(lca.model(), a, o);
  EXPECT_FALSE(tree.truncated);
  EXPECT_EQ(tree.root().activity, 3);
  EXPECT_EQ(tree.root().amount, 1.5);
  EXPECT_NEAR(tree.root().cumulative, a.score, 1e-12 * std::abs(a.score));
  EXPECT_NEAR(tree.root().direct, 1.5 / d.A(3, 3) * a.unit_direct[3], 1e-15);
  // Every leaf is a loop node (cutoff 0, unbounded depth): it closes a cycle, not expanded.
  int loops = 0;
  for (const TreeNode& node : tree.nodes) {
    if (!node.expanded) {
      EXPECT_TRUE(node.loop);
      ++loops;
    }
    if (node.loop) {
      bool found = false;
      for (Index p = node.parent; p >= 0; p = tree.nodes[p].parent)
        found = found || tree.nodes[p].activity == node.activity;
      EXPECT_TRUE(found);
    }
    if (node.parent >= 0) {
      const TreeNode& parent = tree.nodes[node.parent];
      const Index i = node.activity, j = parent.activity;
      EXPECT_NEAR(node.amount, -d.A(i, j) / d.A(j, j) * parent.amount, 1e-15);
      EXPECT_NEAR(node.cumulative, node.amount * a.adjoint[i], 1e-14);
    }
  }
  EXPECT_GT(loops, 0);
  EXPECT_NEAR(check_tree(tree, 1e-12), a.score, 1e-11 * std::abs(a.score));
}

TEST(SupplyTree, UnrolledLoopsFollowThePowerSeries) {
  const Dense d = random_model(8, 4, 2, 31, 0.35);
  Lca lca(to_model(d));
  const Eigen::VectorXd f = unit(8, 5);
  const ScoreAnalysis a = analyze_score(lca, span_of(f), 0);
  TreeOptions o;
  o.cutoff = 0.0;
  o.max_depth = 6;
  o.expand_loops = true;
  o.max_nodes = 10000000;
  const SupplyTree tree = supply_chain_tree(lca.model(), a, o);
  EXPECT_FALSE(tree.truncated);
  const std::vector<double> terms = power_series(d, f, 0, 7);
  std::vector<double> by_depth(7, 0.0);
  for (const TreeNode& node : tree.nodes) by_depth[node.depth] += node.direct;
  for (int l = 0; l <= 6; ++l) EXPECT_NEAR(by_depth[l], terms[l], 1e-12 * std::abs(a.score)) << l;
  check_tree(tree, 1e-12);

  // The sum of direct impacts approaches the score as the depth grows.
  double previous_gap = std::numeric_limits<double>::infinity();
  for (int depth : {2, 5, 10, 20}) {
    o.max_depth = depth;
    o.cutoff = 1e-9;
    const SupplyTree t = supply_chain_tree(lca.model(), a, o);
    double direct = 0.0;
    for (const TreeNode& node : t.nodes) direct += node.direct;
    const double gap = std::abs(direct - a.score);
    EXPECT_LE(gap, previous_gap * (1 + 1e-12));
    previous_gap = gap;
  }
  EXPECT_LT(previous_gap, 1e-3 * std::abs(a.score));
}

TEST(SupplyTree, CutoffAndDepthAndBudgetBoundTheWalk) {
  // Two products that supply each other: a loop with gain 0.5 * 0.9.
  Eigen::MatrixXd A(2, 2);
  A << 1.0, -0.9, -0.5, 1.0;
  Eigen::MatrixXd B(1, 2);
  B << 1.0, 2.0;
  Eigen::MatrixXd C = Eigen::MatrixXd::Ones(1, 1);
  Lca lca(to_model({A, B, C}));
  const Eigen::VectorXd f = unit(2, 0);
  TreeOptions o;
  o.cutoff = 0.0;
  // Loops as leaves: root -> 1 -> 0 (loop).
  SupplyTree t = supply_chain_tree(lca, span_of(f), 0, o);
  ASSERT_EQ(t.nodes.size(), 3u);
  EXPECT_TRUE(t.nodes[2].loop);
  EXPECT_FALSE(t.nodes[2].expanded);
  // Unrolled with no cutoff: only max_depth stops it.
  o.expand_loops = true;
  o.max_depth = 40;
  t = supply_chain_tree(lca, span_of(f), 0, o);
  EXPECT_EQ(t.nodes.size(), 41u);
  // The budget stops it before the depth does.
  o.max_depth = 10000;
  o.max_nodes = 500;
  t = supply_chain_tree(lca, span_of(f), 0, o);
  EXPECT_TRUE(t.truncated);
  EXPECT_EQ(t.nodes.size(), 500u);
  // The cutoff stops it: gain 0.45 per round trip.
  o.max_nodes = 10000;
  o.cutoff = 1e-6;
  t = supply_chain_tree(lca, span_of(f), 0, o);
  EXPECT_FALSE(t.truncated);
  EXPECT_LT(t.nodes.size(), 40u);
  EXPECT_GT(t.nodes.size(), 20u);
  check_tree(t, 1e-12);
  // A large cutoff keeps only the root; the input goes to rest.
  o.cutoff = 1.0;
  t = supply_chain_tree(lca, span_of(f), 0, o);
  ASSERT_EQ(t.nodes.size(), 1u);
  EXPECT_EQ(t.root().rest_count, 1);
  EXPECT_NEAR(t.root().direct + t.root().rest, t.score, 1e-12);
  // Depth 0: the root only, not expanded.
  o.cutoff = 0.0;
  o.max_depth = 0;
  t = supply_chain_tree(lca, span_of(f), 0, o);
  ASSERT_EQ(t.nodes.size(), 1u);
  EXPECT_FALSE(t.root().expanded);
}

TEST(SupplyTree, DemandOfSeveralProductsHasAVirtualRoot) {
  const Dense d = random_model(10, 4, 2, 41);
  Lca lca(to_model(d));
  const SparseDemand demand{{1, 1.0}, {7, 2.0}};
  TreeOptions o;
  o.cutoff = 0.0;
  const Eigen::VectorXd f = lca.dense_demand(demand);
  const SupplyTree t = supply_chain_tree(lca, span_of(f), 1, o);
  const ScoreAnalysis a = analyze_score(lca, demand, 1);
  EXPECT_EQ(t.root().activity, -1);
  EXPECT_EQ(t.root().children.size(), 2u);
  EXPECT_NEAR(t.root().cumulative, a.score, 1e-12 * std::abs(a.score));
  EXPECT_NEAR(check_tree(t, 1e-12), a.score, 1e-11 * std::abs(a.score));
}

TEST(SupplyTree, JsonIsNestedWithLabels) {
  const Dense d = random_model(6, 3, 1, 51, 0.4);
  Model model = to_model(d);
  Labels activities(6);
  activities.set_column("name", {"a", "b", "c", "d", "e", "f"});
  model = Model::from_csc(model.A(), model.B(), model.C(), activities);
  Lca lca(std::move(model));
  TreeOptions o;
  o.cutoff = 0.0;
  const SupplyTree t = supply_chain_tree(lca, span_of(unit(6, 2)), 0, o);
  const auto j = nlohmann::json::parse(t.to_json(lca.model().activities(), 2));
  EXPECT_EQ(j["nodes"].get<std::size_t>(), t.nodes.size());
  EXPECT_EQ(j["root"]["label"], "c");
  EXPECT_NEAR(j["root"]["cumulative"].get<double>(), t.score, 1e-12 * std::abs(t.score));
  EXPECT_NEAR(j["root"]["share"].get<double>(), 1.0, 1e-12);
  std::size_t count = 0;
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& node) {
    ++count;
    for (const auto& c : node["children"]) walk(c);
  };
  walk(j["root"]);
  EXPECT_EQ(count, t.nodes.size());
  const auto plain = nlohmann::json::parse(t.to_json());
  EXPECT_EQ(plain["root"]["label"], "#2");
  Labels three(3);
  three.set_column("name", {"x", "y", "z"});
  EXPECT_THROW(t.to_json(three), InvalidInputError);
}

TEST(SupplyTree, Errors) {
  const Dense d = random_model(6, 3, 1, 61);
  Lca lca(to_model(d));
  const Eigen::VectorXd f = unit(6, 0);
  for (double cutoff : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    TreeOptions o;
    o.cutoff = cutoff;
    EXPECT_THROW(supply_chain_tree(lca, span_of(f), 0, o), InvalidInputError);
  }
  TreeOptions o;
  o.max_depth = -1;
  EXPECT_THROW(supply_chain_tree(lca, span_of(f), 0, o), InvalidInputError);
  o.max_depth = 20000;
  EXPECT_THROW(supply_chain_tree(lca, span_of(f), 0, o), InvalidInputError);
  o = {};
  o.max_nodes = 0;
  EXPECT_THROW(supply_chain_tree(lca, span_of(f), 0, o), InvalidInputError);
  EXPECT_THROW(supply_chain_tree(lca, span_of(f), 1, {}), InvalidInputError);
  // An analysis of another model.
  const Dense other = random_model(5, 3, 1, 62);
  Lca lca5(to_model(other));
  const ScoreAnalysis a5 = analyze_score(lca5, span_of(unit(5, 0)), 0);
  EXPECT_THROW(supply_chain_tree(lca.model(), a5, {}), InvalidInputError);
  EXPECT_THROW(structural_paths(lca.model(), a5, {}), InvalidInputError);
  // A zero on the diagonal: product j is not made by activity j.
  Eigen::MatrixXd P(2, 2);
  P << 0.0, 1.0, 1.0, -0.2;
  Lca swapped(to_model({P, Eigen::MatrixXd::Ones(1, 2), Eigen::MatrixXd::Ones(1, 1)}));
  EXPECT_THROW(supply_chain_tree(swapped, span_of(unit(2, 0)), 0, {}), InvalidInputError);
  EXPECT_THROW(structural_paths(swapped, span_of(unit(2, 0)), 0, {}), InvalidInputError);
}

TEST(StructuralPaths, TopPathsEqualBruteForceEnumeration) {
  const Dense d = random_model(9, 4, 2, 71, 0.3);
  Lca lca(to_model(d));
  const Eigen::VectorXd f = unit(9, 4, 2.0);
  const Index L = 6;
  std::vector<std::pair<double, std::vector<Index>>> all;
  std::vector<Index> prefix;
  enumerate_paths(d, 1, 4, 2.0, 0, L, prefix, all);
  std::stable_sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
    return std::abs(x.first) > std::abs(y.first);
  });
  PathOptions o;
  o.top = 25;
  o.cutoff = 0.0;
  o.max_length = L;
  const PathAnalysis p = structural_paths(lca, span_of(f), 1, o);
  ASSERT_EQ(p.paths.size(), 25u);
  EXPECT_TRUE(p.complete);
  const ScoreAnalysis a = analyze_score(lca, span_of(f), 1);
  double covered = 0.0;
  for (std::size_t t = 0; t < p.paths.size(); ++t) {
    const Path& path = p.paths[t];
    EXPECT_NEAR(path.value, all[t].first, 1e-13 * std::abs(a.score)) << t;
    EXPECT_EQ(path.activities.front(), 4);
    EXPECT_LE(static_cast<Index>(path.activities.size()), L + 1);
    EXPECT_NEAR(path.share, path.value / a.score, 1e-15);
    EXPECT_NEAR(path.cumulative, path.amount * a.adjoint[path.activities.back()], 1e-14);
    // The value follows from the coefficients along the path.
    double amount = 2.0;
    for (std::size_t l = 1; l < path.activities.size(); ++l) {
      const Index i = path.activities[l], j = path.activities[l - 1];
      amount *= -d.A(i, j) / d.A(j, j);
    }
    EXPECT_NEAR(path.amount, amount, 1e-14 * std::abs(amount));
    covered += path.value;
  }
  EXPECT_NEAR(p.coverage, covered / a.score, 1e-14);
}

TEST(StructuralPaths, AllPathsSumToThePowerSeries) {
  const Dense d = random_model(6, 3, 1, 81, 0.4);
  Lca lca(to_model(d));
  const Eigen::VectorXd f = unit(6, 1);
  const std::vector<double> terms = power_series(d, f, 0, 5);
  PathOptions o;
  o.top = 1000000;
  o.cutoff = 0.0;
  o.max_length = 4;
  const PathAnalysis p = structural_paths(lca, span_of(f), 0, o);
  EXPECT_TRUE(p.complete);
  std::vector<double> by_length(5, 0.0);
  for (const Path& path : p.paths) by_length[path.activities.size() - 1] += path.value;
  for (int l = 0; l <= 4; ++l) EXPECT_NEAR(by_length[l], terms[l], 1e-12 * std::abs(p.score)) << l;
  // Longer paths: the coverage approaches 1.
  o.max_length = 60;
  o.cutoff = 1e-10;
  const PathAnalysis longer = structural_paths(lca, span_of(f), 0, o);
  EXPECT_NEAR(longer.coverage, 1.0, 1e-5);
}

TEST(StructuralPaths, BudgetAndErrors) {
  const Dense d = random_model(8, 3, 1, 91, 0.4);
  Lca lca(to_model(d));
  const Eigen::VectorXd f = unit(8, 0);
  PathOptions o;
  o.max_expansions = 1;
  const PathAnalysis p = structural_paths(lca, span_of(f), 0, o);
  EXPECT_FALSE(p.complete);
  EXPECT_EQ(p.expansions, 1);
  o.max_length = 0;
  o.max_expansions = 100;
  const PathAnalysis direct = structural_paths(lca, span_of(f), 0, o);
  ASSERT_EQ(direct.paths.size(), 1u);  // only the demanded activity itself
  EXPECT_EQ(direct.paths[0].activities, std::vector<Index>{0});
  for (auto bad : {PathOptions{0, 1e-6, 50, 1000}, PathOptions{10, -1.0, 50, 1000},
                   PathOptions{10, 2.0, 50, 1000}, PathOptions{10, 1e-6, -1, 1000},
                   PathOptions{10, 1e-6, 50, 0}})
    EXPECT_THROW(structural_paths(lca, span_of(f), 0, bad), InvalidInputError);
  EXPECT_THROW(structural_paths(lca, span_of(f), 3, {}), InvalidInputError);
}

TEST(Synth, TreeAndPathsOnAnEcoinventLikeSystem) {
  SynthOptions so;
  so.n = 2000;
  so.k = 2;
  so.seed = 7;
  Lca lca(synth(so));
  const Eigen::VectorXd f = unit(2000, 1500);
  const ScoreAnalysis a = analyze_score(lca, span_of(f), 0);
  EXPECT_NEAR(a.process_contributions().sum(), a.score, 1e-10 * std::abs(a.score));
  // Smaller cutoffs account for more of the score through direct impacts.
  double previous = -1.0;
  for (double cutoff : {0.1, 0.01, 0.001}) {
    TreeOptions o;
    o.cutoff = cutoff;
    o.max_depth = 50;
    const SupplyTree t = supply_chain_tree(lca.model(), a, o);
    EXPECT_NEAR(t.root().cumulative, a.score, 1e-10 * std::abs(a.score));
    EXPECT_NEAR(check_tree(t, 1e-9), a.score, 1e-8 * std::abs(a.score));
    double direct = 0.0;
    for (const TreeNode& node : t.nodes) direct += node.direct;
    EXPECT_GE(direct, previous);
    previous = direct;
  }
  PathOptions po;
  po.top = 100;
  const PathAnalysis p = structural_paths(lca.model(), a, po);
  EXPECT_EQ(p.paths.size(), 100u);
  EXPECT_TRUE(p.complete);
  EXPECT_GT(p.coverage, 0.0);
  EXPECT_LE(p.coverage, 1.0 + 1e-12);
  for (std::size_t t = 1; t < p.paths.size(); ++t)
    EXPECT_GE(std::abs(p.paths[t - 1].value), std::abs(p.paths[t].value));
}

TEST(SupplyTree, BadCutoffMessagesShowTheNumber) {
  const Dense d = random_model(6, 3, 2, 8);
  Lca lca(to_model(d));
  const Eigen::VectorXd f = unit(6, 0);
  const ScoreAnalysis a = analyze_score(lca, span_of(f), 0);
  TreeOptions o;
  o.cutoff = -2.5e-7;  // std::to_string printed "-0.000000"
  try {
    supply_chain_tree(lca.model(), a, o);
    FAIL() << "expected InvalidInputError";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("got -2.5e-07"), std::string::npos) << e.what();
  }
  PathOptions p;
  p.cutoff = -2.5e-7;
  try {
    structural_paths(lca.model(), a, p);
    FAIL() << "expected InvalidInputError";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("got -2.5e-07"), std::string::npos) << e.what();
  }
}
