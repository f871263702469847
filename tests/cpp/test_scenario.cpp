// scenario.hpp: scenarios (JSON, files, labels) and what_if() against fresh factorisations of
// the changed model, on every backend.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <tuple>

#include "hiili/error.hpp"
#include "hiili/scenario.hpp"
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
  return {test_util::random_technosphere(n, 0.2, seed),
          test_util::random_dense(m, n, 0.4, seed + 1),
          test_util::random_dense(k, m, 0.6, seed + 2)};
}

Model to_model(const Dense& d) {
  return Model::from_csc(to_csc(d.A, true), to_csc(d.B), to_csc(d.C));
}

std::span<const double> span_of(const Eigen::VectorXd& v) {
  return {v.data(), static_cast<std::size_t>(v.size())};
}

// The scenario applied to dense copies of the matrices.
Dense apply(Dense d, const Scenario& s) {
  for (const Change& c : s.changes) {
    Eigen::MatrixXd& M = c.matrix == MatrixKind::Technosphere ? d.A
                         : c.matrix == MatrixKind::Biosphere  ? d.B
                                                              : d.C;
    M(c.row, c.col) = c.value;
  }
  return d;
}

// Scores with a dense LU of the changed model: the independent reference.
Eigen::VectorXd dense_scores(const Dense& d, const Eigen::VectorXd& f) {
  return d.C * d.B * d.A.partialPivLu().solve(f);
}

Change change(MatrixKind kind, Index row, Index col, double value) {
  Change c;
  c.matrix = kind;
  c.row = row;
  c.col = col;
  c.value = value;
  return c;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("hiili_test_scenario_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

class WhatIfTest : public ::testing::TestWithParam<Backend> {
 protected:
  FactorizationOptions options() const {
    FactorizationOptions o;
    o.backend = GetParam();
    return o;
  }
};

}  // namespace

TEST_P(WhatIfTest, WoodburyEqualsAFreshSolve) {
  const Dense d = random_model(30, 8, 3, 201);
  Lca lca(to_model(d), options());
  Eigen::VectorXd f = Eigen::VectorXd::Zero(30);
  f[4] = 1.0;
  f[17] = 0.3;
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<Index> pick(0, 29);
  std::vector<Scenario> scenarios;
  // Rank 1..6, in and out of A's pattern, with B and C changes mixed in.
  for (int r = 1; r <= 6; ++r) {
    Scenario s;
    s.name = "rank " + std::to_string(r);
    std::set<std::pair<Index, Index>> used;
    while (static_cast<int>(s.changes.size()) < r) {
      const Index i = pick(rng), j = pick(rng);
      if (i == j || !used.emplace(i, j).second) continue;
      s.changes.push_back(change(MatrixKind::Technosphere, i, j, -0.05 * (1 + i % 3)));
    }
    if (r % 2 == 0) s.changes.push_back(change(MatrixKind::Biosphere, r, r + 3, 4.0));
    if (r == 3) s.changes.push_back(change(MatrixKind::Characterization, 1, 2, 0.25));
    scenarios.push_back(std::move(s));
  }
  // A change of a diagonal (an efficiency gain) and one row changed in several columns.
  scenarios.push_back({"efficiency", {change(MatrixKind::Technosphere, 4, 4, d.A(4, 4) * 1.3)}});
  scenarios.push_back(
      {"one row",
       {change(MatrixKind::Technosphere, 2, 5, -0.1), change(MatrixKind::Technosphere, 2, 9, -0.2),
        change(MatrixKind::Technosphere, 2, 11, -0.3)}});
  WhatIfOptions o;
  o.strategy = WhatIfStrategy::Woodbury;
  const WhatIfResults w = what_if(lca, span_of(f), scenarios, o);
  ASSERT_EQ(w.scenarios.size(), scenarios.size());
  EXPECT_LT(rel_error(w.baseline.scores, dense_scores(d, f)), 1e-12);
  for (std::size_t t = 0; t < scenarios.size(); ++t) {
    const ScenarioResult& r = w.scenarios[t];
    const Dense changed = apply(d, scenarios[t]);
    EXPECT_EQ(r.name, scenarios[t].name);
    EXPECT_EQ(r.method, UpdateMethod::Woodbury) << r.name;
    EXPECT_FALSE(r.fell_back);
    EXPECT_LE(r.residual, 1e-12);
    EXPECT_LT(rel_error(r.result.supply, changed.A.partialPivLu().solve(f)), 1e-10) << r.name;
    EXPECT_LT(rel_error(r.result.scores, dense_scores(changed, f)), 1e-10) << r.name;
    // And a fresh hiili factorisation of the changed model.
    Lca fresh(to_model(changed), options());
    EXPECT_LT(rel_error(r.result.scores, fresh.solve(span_of(f)).scores), 1e-10) << r.name;
    EXPECT_LT(rel_error(r.result.inventory, fresh.solve(span_of(f)).inventory), 1e-10) << r.name;
  }
  EXPECT_EQ(w.scenarios[6].rank, 1);
  EXPECT_EQ(w.scenarios[7].rank, 1);  // one row: grouped by rows
  // The Lca is as it was.
  EXPECT_LT(rel_error(lca.solve(span_of(f)).scores, w.baseline.scores), 1e-15);
}

TEST_P(WhatIfTest, RefactorAndFactorizeEqualAFreshSolve) {
  const Dense d = random_model(25, 6, 2, 211);
  Lca lca(to_model(d), options());
  Eigen::VectorXd f = Eigen::VectorXd::Zero(25);
  f[0] = 1.0;
  Index in_i = -1, in_j = -1, out_i = -1, out_j = -1;
  for (Index j = 0; j < 25 && (in_i < 0 || out_i < 0); ++j)
    for (Index i = 0; i < 25; ++i) {
      if (i == j) continue;
      if (d.A(i, j) != 0.0 && in_i < 0) in_i = i, in_j = j;
      if (d.A(i, j) == 0.0 && out_i < 0) out_i = i, out_j = j;
    }
  ASSERT_GE(in_i, 0);
  ASSERT_GE(out_i, 0);
  const Scenario in{"in pattern", {change(MatrixKind::Technosphere, in_i, in_j, -0.4)}};
  const Scenario out{"outside the pattern", {change(MatrixKind::Technosphere, out_i, out_j, -0.3)}};
  const Scenario only_b{"B only", {change(MatrixKind::Biosphere, 1, 1, 9.0)}};
  for (auto strategy : {WhatIfStrategy::Refactor, WhatIfStrategy::Auto, WhatIfStrategy::Woodbury}) {
    WhatIfOptions o;
    o.strategy = strategy;
    const WhatIfResults w = what_if(lca, span_of(f), {in, out, only_b}, o);
    const UpdateMethod expected_in =
        strategy == WhatIfStrategy::Woodbury ? UpdateMethod::Woodbury : UpdateMethod::Refactor;
    const UpdateMethod expected_out =
        strategy == WhatIfStrategy::Woodbury ? UpdateMethod::Woodbury : UpdateMethod::Factorize;
    // Auto on n = 25: rank 1 <= 25 / 4, so Woodbury.
    EXPECT_EQ(w.scenarios[0].method,
              strategy == WhatIfStrategy::Auto ? UpdateMethod::Woodbury : expected_in);
    EXPECT_EQ(w.scenarios[1].method,
              strategy == WhatIfStrategy::Auto ? UpdateMethod::Woodbury : expected_out);
    EXPECT_EQ(w.scenarios[2].method, UpdateMethod::Unchanged);
    EXPECT_EQ(w.scenarios[2].rank, 0);
    for (std::size_t t = 0; t < 3; ++t) {
      const Scenario& s = t == 0 ? in : t == 1 ? out : only_b;
      EXPECT_LT(rel_error(w.scenarios[t].result.scores, dense_scores(apply(d, s), f)), 1e-10);
    }
  }
}

TEST(WhatIf, LargeRankRefactorsOnAuto) {
  const Dense d = random_model(40, 6, 2, 221);
  Lca lca(to_model(d));
  Eigen::VectorXd f = Eigen::VectorXd::Zero(40);
  f[3] = 1.0;
  Scenario s{"all diagonals", {}};
  for (Index j = 0; j < 40; ++j)
    s.changes.push_back(change(MatrixKind::Technosphere, j, j, d.A(j, j) * 1.1));
  const WhatIfResults w = what_if(lca, span_of(f), {s});
  EXPECT_EQ(w.scenarios[0].rank, 40);
  EXPECT_EQ(w.scenarios[0].method, UpdateMethod::Refactor);
  EXPECT_LT(rel_error(w.scenarios[0].result.scores, dense_scores(apply(d, s), f)), 1e-10);
  WhatIfOptions o;
  o.max_rank = 0;
  Scenario one{"one", {change(MatrixKind::Technosphere, 1, 1, d.A(1, 1) * 1.2)}};
  EXPECT_EQ(what_if(lca, span_of(f), {one}, o).scenarios[0].method, UpdateMethod::Refactor);
}

TEST(WhatIf, SingularScenarioThrows) {
  // Removing activity 1's output makes A singular: Woodbury's capacitance is singular, the
  // fallback factorisation says so.
  Eigen::MatrixXd A = Eigen::MatrixXd::Identity(3, 3);
  A(0, 1) = -0.5;
  A(1, 2) = -0.5;
  const Dense d{A, Eigen::MatrixXd::Ones(1, 3), Eigen::MatrixXd::Ones(1, 1)};
  Lca lca(to_model(d));
  Eigen::VectorXd f = Eigen::VectorXd::Zero(3);
  f[2] = 1.0;
  const Scenario s{"no output", {change(MatrixKind::Technosphere, 1, 1, 0.0)}};
  for (auto strategy : {WhatIfStrategy::Woodbury, WhatIfStrategy::Refactor}) {
    WhatIfOptions o;
    o.strategy = strategy;
    EXPECT_THROW(what_if(lca, span_of(f), {s}, o), SingularMatrixError);
  }
}

TEST(WhatIf, SparseDemandAndLabels) {
  const Dense d = random_model(8, 3, 2, 231);
  Model base = to_model(d);
  Labels activities(8), flows(3), categories(2);
  activities.set_column("name", {"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"});
  flows.set_column("name", {"co2", "ch4", "n2o"});
  categories.set_column("name", {"gwp", "ap"});
  Lca lca(Model::from_csc(base.A(), base.B(), base.C(), activities, flows, categories));
  Scenario s{"labelled", {}};
  Change a = change(MatrixKind::Technosphere, 0, 0, -0.2);
  a.row_label = "a3";
  a.col_label = "a1";
  Change b = change(MatrixKind::Biosphere, 0, 0, 2.5);
  b.row_label = "ch4";
  b.col_label = "a5";
  Change c = change(MatrixKind::Characterization, 0, 0, 30.0);
  c.row_label = "gwp";
  c.col_label = "ch4";
  s.changes = {a, b, c};
  const Scenario r = s.resolved(lca.model());
  EXPECT_EQ(r.changes[0].row, 3);
  EXPECT_EQ(r.changes[0].col, 1);
  EXPECT_EQ(r.changes[1].row, 1);
  EXPECT_EQ(r.changes[1].col, 5);
  EXPECT_EQ(r.changes[2].row, 0);
  EXPECT_EQ(r.changes[2].col, 1);
  EXPECT_TRUE(r.changes[0].row_label.empty());
  const WhatIfResults w = what_if(lca, SparseDemand{{6, 1.0}}, {s});
  Eigen::VectorXd f = Eigen::VectorXd::Zero(8);
  f[6] = 1.0;
  EXPECT_LT(rel_error(w.scenarios[0].result.scores, dense_scores(apply(d, r), f)), 1e-10);
}

TEST(Scenario, JsonRoundTripAndFiles) {
  Scenario s{"wind power",
             {change(MatrixKind::Technosphere, 12, 40, -0.8),
              change(MatrixKind::Biosphere, 3, 4, 1.5e-3)}};
  Change labelled = change(MatrixKind::Characterization, 0, 7, 28.0);
  labelled.row_label = "climate change";
  s.changes.push_back(labelled);
  const Scenario back = Scenario::from_json(s.to_json());
  EXPECT_EQ(back.name, "wind power");
  ASSERT_EQ(back.changes.size(), 3u);
  EXPECT_EQ(back.changes[0].matrix, MatrixKind::Technosphere);
  EXPECT_EQ(back.changes[0].row, 12);
  EXPECT_EQ(back.changes[0].col, 40);
  EXPECT_EQ(back.changes[0].value, -0.8);
  EXPECT_EQ(back.changes[1].value, 1.5e-3);
  EXPECT_EQ(back.changes[2].row_label, "climate change");
  EXPECT_EQ(back.changes[2].col, 7);
  EXPECT_EQ(back.to_json(-1), s.to_json(-1));
  const auto parsed = Scenario::from_json(
      R"({"name": "x", "changes": [{"matrix": "technosphere", "row": 1, "col": "steel", "value": 2}]})");
  EXPECT_EQ(parsed.changes[0].col_label, "steel");
  EXPECT_EQ(parsed.changes[0].value, 2.0);
  EXPECT_TRUE(Scenario::from_json(R"({"changes": []})").name.empty());

  const std::string path = temp_path("s.json");
  s.save(path);
  EXPECT_EQ(Scenario::load(path).to_json(), s.to_json());
  std::remove(path.c_str());
  EXPECT_THROW(Scenario::load(path), FormatError);
  EXPECT_THROW(s.save("/nonexistent-dir/x/s.json"), FormatError);
  {
    std::ofstream bad(path);
    bad << "{\"changes\": [";
  }
  EXPECT_THROW(Scenario::load(path), FormatError);
  std::remove(path.c_str());
}

TEST(Scenario, MalformedJsonIsRejected) {
  for (const char* text : {
           "",
           "[]",
           "not json",
           R"({"name": 3, "changes": []})",
           R"({"name": "x"})",
           R"({"changes": {}})",
           R"({"changes": [3]})",
           R"({"changes": [{"row": 1, "col": 2, "value": 1}]})",
           R"({"changes": [{"matrix": "D", "row": 1, "col": 2, "value": 1}]})",
           R"({"changes": [{"matrix": 1, "row": 1, "col": 2, "value": 1}]})",
           R"({"changes": [{"matrix": "A", "col": 2, "value": 1}]})",
           R"({"changes": [{"matrix": "A", "row": -1, "col": 2, "value": 1}]})",
           R"({"changes": [{"matrix": "A", "row": 1.5, "col": 2, "value": 1}]})",
           R"({"changes": [{"matrix": "A", "row": "", "col": 2, "value": 1}]})",
           R"({"changes": [{"matrix": "A", "row": 1, "col": 2}]})",
           R"({"changes": [{"matrix": "A", "row": 1, "col": 2, "value": "1"}]})",
           R"({"changes": [{"matrix": "A", "row": 1, "col": 2, "value": 1e999}]})",
       })
    EXPECT_THROW(Scenario::from_json(text), FormatError) << text;
  Scenario nan{"nan", {change(MatrixKind::Technosphere, 0, 0, std::nan(""))}};
  EXPECT_THROW(nan.to_json(), InvalidInputError);
}

TEST(Scenario, ResolveRejectsBadChanges) {
  const Dense d = random_model(5, 3, 2, 241);
  Lca lca(to_model(d));
  Eigen::VectorXd f = Eigen::VectorXd::Zero(5);
  f[0] = 1.0;
  const auto bad = [&](Change c) {
    const Scenario s{"bad", {c}};
    EXPECT_THROW(s.resolved(lca.model()), InvalidInputError);
    EXPECT_THROW(what_if(lca, span_of(f), {s}), InvalidInputError);
  };
  bad(change(MatrixKind::Technosphere, 5, 0, 1.0));
  bad(change(MatrixKind::Technosphere, 0, -1, 1.0));
  bad(change(MatrixKind::Biosphere, 3, 0, 1.0));
  bad(change(MatrixKind::Biosphere, 0, 5, 1.0));
  bad(change(MatrixKind::Characterization, 2, 0, 1.0));
  bad(change(MatrixKind::Characterization, 0, 3, 1.0));
  bad(change(MatrixKind::Technosphere, 0, 1, std::numeric_limits<double>::infinity()));
  Change unknown = change(MatrixKind::Technosphere, 0, 0, 1.0);
  unknown.row_label = "nowhere";
  bad(unknown);
  const Scenario twice{
      "twice",
      {change(MatrixKind::Technosphere, 1, 0, -0.1), change(MatrixKind::Technosphere, 1, 0, -0.2)}};
  EXPECT_THROW(twice.resolved(lca.model()), InvalidInputError);
  // Bad options and demands.
  WhatIfOptions o;
  o.max_rank = -1;
  EXPECT_THROW(what_if(lca, span_of(f), {}, o), InvalidInputError);
  o = {};
  o.residual_tolerance = 0.0;
  EXPECT_THROW(what_if(lca, span_of(f), {}, o), InvalidInputError);
  EXPECT_THROW(what_if(lca, span_of(Eigen::VectorXd::Zero(5)), {}), InvalidInputError);
  EXPECT_THROW(what_if(lca, SparseDemand{{9, 1.0}}, {}), InvalidInputError);
  // A factorisation that no longer matches the model.
  std::vector<double> values = lca.model().A().values;
  for (double& v : values) v *= 3.0;
  lca.update_technosphere(values);
  EXPECT_THROW(what_if(lca, span_of(f), {}), InvalidInputError);
  EXPECT_EQ(std::string(to_string(UpdateMethod::Woodbury)), "woodbury");
}

TEST(WhatIf, SynthRankFiveEqualsAFreshFactorisation) {
  SynthOptions so;
  so.n = 4000;
  so.k = 3;
  so.seed = 11;
  const Model model = synth(so);
  Lca lca(model);
  Eigen::VectorXd f = Eigen::VectorXd::Zero(so.n);
  f[3900] = 1.0;
  // Five existing inputs of the demanded activity scaled, one new supplier.
  const CscMatrix& A = lca.model().A();
  Scenario s{"rank 6", {}};
  Index count = 0;
  for (Index j = 3000; j < so.n && count < 5; j += 97)
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1] && count < 5; ++p)
      if (A.row_idx[p] != j) {
        s.changes.push_back(change(MatrixKind::Technosphere, A.row_idx[p], j, A.values[p] * 0.5));
        ++count;
        break;
      }
  s.changes.push_back(change(MatrixKind::Technosphere, 10, 3900, -0.05));
  const WhatIfResults w = what_if(lca, span_of(f), {s});
  ASSERT_EQ(w.scenarios[0].method, UpdateMethod::Woodbury);
  EXPECT_EQ(w.scenarios[0].rank, 6);
  // Fresh: the changed matrix built from scratch.
  std::vector<std::tuple<Index, Index, double>> triplets;
  for (Index j = 0; j < so.n; ++j)
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p)
      triplets.emplace_back(A.row_idx[p], j, A.values[p]);
  ModelBuilder builder(so.n, lca.model().num_flows(), so.k);
  for (const auto& [i, j, v] : triplets) {
    double value = v;
    for (const Change& c : s.changes)
      if (c.row == i && c.col == j) value = c.value;
    builder.add_technosphere(i, j, value);
  }
  builder.add_technosphere(10, 3900, -0.05);
  const CscMatrix& B = lca.model().B();
  for (Index j = 0; j < B.cols; ++j)
    for (Index p = B.col_ptr[j]; p < B.col_ptr[j + 1]; ++p)
      builder.add_biosphere(B.row_idx[p], j, B.values[p]);
  const CscMatrix& C = lca.model().C();
  for (Index j = 0; j < C.cols; ++j)
    for (Index p = C.col_ptr[j]; p < C.col_ptr[j + 1]; ++p)
      builder.add_characterization(C.row_idx[p], j, C.values[p]);
  Lca fresh(builder.build());
  const LcaResult r = fresh.solve(span_of(f));
  EXPECT_LT(rel_error(w.scenarios[0].result.supply, r.supply), 1e-10);
  EXPECT_LT(rel_error(w.scenarios[0].result.scores, r.scores), 1e-10);
}

// Several scenarios of every kind in one call (their columns solved together), on an Lca
// whose solves run on KLU's factors and on one whose solves run on the static kernel's: each
// scenario as when asked alone, and equal between the two to 1e-12.
TEST(WhatIf, ManyScenariosInOneCallOnEitherFactors) {
  SynthOptions so;
  so.n = 3000;
  so.k = 2;
  so.seed = 5;
  const auto model = std::make_shared<const Model>(synth(so));
  const CscMatrix& A = model->A();
  Eigen::VectorXd f = Eigen::VectorXd::Zero(so.n);
  f[2990] = 1.0;
  f[1500] = 0.5;
  std::vector<Scenario> scenarios;
  for (Index r : {1, 3, 8}) {
    Scenario s{"rank " + std::to_string(r), {}};
    for (Index j = so.n - 1 - 5 * r; Index(s.changes.size()) < r; j -= 41)
      for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p)
        if (A.row_idx[p] != j) {
          s.changes.push_back(change(MatrixKind::Technosphere, A.row_idx[p], j, 0.7 * A.values[p]));
          break;
        }
    scenarios.push_back(std::move(s));
  }
  scenarios.push_back({"biosphere only", {change(MatrixKind::Biosphere, 0, 2990, 5.0)}});
  scenarios.push_back({"new supplier", {change(MatrixKind::Technosphere, 7, 2990, -0.2)}});
  WhatIfOptions o;
  o.max_rank = 2;  // rank 3 and 8 are refactored
  FactorizationOptions on_klu, on_static;
  on_klu.static_solve_after = -1;
  on_static.static_solve_after = 0;
  Lca klu(model, on_klu), fast(model, on_static);
  const WhatIfResults a = what_if(klu, span_of(f), scenarios, o);
  const WhatIfResults b = what_if(fast, span_of(f), scenarios, o);
  EXPECT_FALSE(klu.report().static_solves);
  EXPECT_TRUE(fast.report().static_solves);
  const UpdateMethod want[] = {UpdateMethod::Woodbury, UpdateMethod::Refactor,
                               UpdateMethod::Refactor, UpdateMethod::Unchanged,
                               UpdateMethod::Woodbury};
  EXPECT_LT(rel_error(a.baseline.scores, b.baseline.scores), 1e-12);
  EXPECT_LT(rel_error(a.baseline.scores, klu.solve(span_of(f)).scores), 1e-14);
  for (std::size_t t = 0; t < scenarios.size(); ++t) {
    SCOPED_TRACE(scenarios[t].name);
    EXPECT_EQ(a.scenarios[t].method, want[t]);
    EXPECT_EQ(b.scenarios[t].method, want[t]);
    EXPECT_LT(rel_error(a.scenarios[t].result.supply, b.scenarios[t].result.supply), 1e-12);
    EXPECT_LT(rel_error(a.scenarios[t].result.inventory, b.scenarios[t].result.inventory), 1e-12);
    EXPECT_LT(rel_error(a.scenarios[t].result.scores, b.scenarios[t].result.scores), 1e-12);
    const WhatIfResults alone = what_if(klu, span_of(f), {scenarios[t]}, o);
    EXPECT_LT(rel_error(a.scenarios[t].result.scores, alone.scenarios[0].result.scores), 1e-14);
  }
  // The biosphere-only scenario: the baseline supply, its own inventory.
  EXPECT_TRUE(a.scenarios[3].result.supply == a.baseline.supply);
  EXPECT_NE(a.scenarios[3].result.inventory[0], a.baseline.inventory[0]);
  // A tolerance no residual meets: the baseline goes through the checked solve, each Woodbury
  // answer is refined, then refactored; the answers stay the same.
  o.residual_tolerance = 1e-300;
  const WhatIfResults strict = what_if(fast, span_of(f), scenarios, o);
  EXPECT_LT(rel_error(strict.baseline.scores, a.baseline.scores), 1e-12);
  for (std::size_t t = 0; t < scenarios.size(); ++t) {
    SCOPED_TRACE(scenarios[t].name);
    const ScenarioResult& r = strict.scenarios[t];
    const bool woodbury = want[t] == UpdateMethod::Woodbury;
    EXPECT_EQ(r.refined, woodbury);
    EXPECT_EQ(r.fell_back, woodbury);
    if (woodbury)  // refactored on A's analysis, or afresh for the new supplier
      EXPECT_EQ(r.method, t == 4 ? UpdateMethod::Factorize : UpdateMethod::Refactor);
    EXPECT_LT(rel_error(r.result.inventory, a.scenarios[t].result.inventory), 1e-12);
    EXPECT_LT(rel_error(r.result.scores, a.scenarios[t].result.scores), 1e-12);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, WhatIfTest,
                         ::testing::Values(Backend::Klu, Backend::Umfpack, Backend::Eigen),
                         [](const auto& info) { return std::string(to_string(info.param)); });
