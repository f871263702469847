// bench_analysis: the analyses of issue 6 on the seeded synthetic system (n = 20,000 unless
// --benchmark_filter picks others), once A is factorised:
//
//   solve/n/t            one solve (t = 1: transposed) with the factorisation, for scale
//   analyze_score        one forward + one transposed solve (the shared adjoint)
//   sensitivity          every dh/dA, dh/dB, dh/dC of one score, solves included
//                        (target: under 50 ms)
//   sensitivity_only     the derivative matrices from an existing ScoreAnalysis
//   what_if/woodbury/r   one rank-r scenario by the Woodbury update (target: r = 5 under 5 ms),
//                        on an Lca past its first 32 solved columns (solves on the static
//                        kernel's factors, FactorizationOptions::static_solve_after)
//   what_if/woodbury_klu/r  the same on an Lca that keeps solving with KLU's factors
//   what_if/refactor/r   the same scenario refactored, for comparison
//   paths/100            top-100 structural paths (target: under 1 s)
//   tree/0.01            supply-chain tree with a 1 % cutoff
//
// Everything is built outside the timed loop; results go through benchmark::DoNotOptimize.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <span>

#include "hiili/contribution.hpp"
#include "hiili/lca.hpp"
#include "hiili/scenario.hpp"
#include "hiili/sensitivity.hpp"
#include "hiili/synth.hpp"

using namespace hiili;

namespace {

struct Problem {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Lca> lca;
  Eigen::VectorXd demand;
};

// One analysed and factorised system per size (and per static_solve_after), shared by the
// benchmarks.
Problem& problem(Index n, Index static_solve_after = FactorizationOptions{}.static_solve_after) {
  static std::map<std::pair<Index, Index>, Problem> problems;
  auto it = problems.find({n, static_solve_after});
  if (it != problems.end()) return it->second;
  SynthOptions o;
  o.n = n;
  o.k = 3;
  o.seed = 1;
  Problem p;
  p.model = std::make_shared<const Model>(synth(o));
  FactorizationOptions fo;
  fo.static_solve_after = static_solve_after;
  p.lca = std::make_unique<Lca>(p.model, fo);
  p.demand = Eigen::VectorXd::Zero(n);
  p.demand[n - 1] = 1.0;  // a periphery activity: its chain reaches the core
  return problems.emplace(std::make_pair(n, static_solve_after), std::move(p)).first->second;
}

std::span<const double> span_of(const Eigen::VectorXd& v) {
  return {v.data(), static_cast<std::size_t>(v.size())};
}

// A rank-r scenario: halve one input of each of r activities of the demand's chain.
Scenario rank_scenario(const Problem& p, Index r) {
  const CscMatrix& A = p.model->A();
  Scenario s{"rank " + std::to_string(r), {}};
  const Index n = A.cols;
  for (Index j = n - 1; j >= 0 && static_cast<Index>(s.changes.size()) < r; j -= 37)
    for (Index q = A.col_ptr[j]; q < A.col_ptr[j + 1]; ++q)
      if (A.row_idx[q] != j) {
        s.changes.push_back({MatrixKind::Technosphere, A.row_idx[q], j, 0.5 * A.values[q], "", ""});
        break;
      }
  return s;
}

// Reference points: one solve and one transposed solve with the same factorisation.
void BM_Solve(benchmark::State& state) {
  Problem& p = problem(state.range(0));
  Eigen::VectorXd x(p.demand.size());
  for (auto _ : state) {
    x = p.demand;
    if (state.range(1))
      p.lca->factorization().solve_transposed_in_place({x.data(), std::size_t(x.size())});
    else
      p.lca->factorization().solve_in_place({x.data(), std::size_t(x.size())});
    benchmark::DoNotOptimize(x.data());
  }
  state.SetLabel(p.lca->report().static_solves ? "static factors" : "klu factors");
}

void BM_AnalyzeScore(benchmark::State& state) {
  Problem& p = problem(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(analyze_score(*p.lca, span_of(p.demand), 0));
}

void BM_Sensitivity(benchmark::State& state) {
  Problem& p = problem(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(sensitivity(*p.lca, span_of(p.demand), 0));
}

void BM_SensitivityOnly(benchmark::State& state) {
  Problem& p = problem(state.range(0));
  const ScoreAnalysis a = analyze_score(*p.lca, span_of(p.demand), 0);
  for (auto _ : state) benchmark::DoNotOptimize(sensitivity(p.model, a));
}

void what_if_bench(benchmark::State& state, WhatIfStrategy strategy, bool klu_only = false) {
  Problem& p = klu_only ? problem(20000, -1) : problem(20000);
  const std::vector<Scenario> scenarios{rank_scenario(p, state.range(0))};
  WhatIfOptions o;
  o.strategy = strategy;
  UpdateMethod method = UpdateMethod::Unchanged;
  for (auto _ : state) {
    WhatIfResults r = what_if(*p.lca, span_of(p.demand), scenarios, o);
    method = r.scenarios[0].method;
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(to_string(method));
}

void BM_WhatIfWoodbury(benchmark::State& state) { what_if_bench(state, WhatIfStrategy::Woodbury); }
void BM_WhatIfWoodburyKlu(benchmark::State& state) {
  what_if_bench(state, WhatIfStrategy::Woodbury, true);
}
void BM_WhatIfRefactor(benchmark::State& state) { what_if_bench(state, WhatIfStrategy::Refactor); }

void BM_Paths(benchmark::State& state) {
  Problem& p = problem(20000);
  const ScoreAnalysis a = analyze_score(*p.lca, span_of(p.demand), 0);
  PathOptions o;
  o.top = state.range(0);
  PathAnalysis last;
  for (auto _ : state) {
    last = structural_paths(*p.model, a, o);
    benchmark::DoNotOptimize(last);
  }
  state.counters["expansions"] = double(last.expansions);
  state.counters["coverage"] = last.coverage;
  state.counters["complete"] = last.complete;
}

void BM_Tree(benchmark::State& state) {
  Problem& p = problem(20000);
  const ScoreAnalysis a = analyze_score(*p.lca, span_of(p.demand), 0);
  TreeOptions o;
  o.cutoff = 0.01;
  SupplyTree last;
  for (auto _ : state) {
    last = supply_chain_tree(*p.model, a, o);
    benchmark::DoNotOptimize(last);
  }
  state.counters["nodes"] = double(last.nodes.size());
}

}  // namespace

BENCHMARK(BM_Solve)->Args({20000, 0})->Args({20000, 1})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AnalyzeScore)->Arg(20000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Sensitivity)->Arg(20000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SensitivityOnly)->Arg(20000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WhatIfWoodbury)->Arg(1)->Arg(5)->Arg(32)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WhatIfWoodburyKlu)->Arg(1)->Arg(5)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WhatIfRefactor)->Arg(5)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Paths)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Tree)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
