// bench_montecarlo: Google Benchmark jobs for Monte Carlo sampling (issue 5, Performance).
//
//   NormalBatchDraw/<kernel>   NormalBatch::draw of 150,000 entries (lognormal as in LCA
//                              data: loc = log |amount|, sigma 0.05-1.2, a third negative, 2 %
//                              truncated, 5 % normal), positions the identity as in the engine;
//                              counter ns_per_draw (thread CPU). kernel: 0 Auto, 1 AVX2,
//                              2 baseline x86-64, 3 scalar (Sampler::operator() formulas),
//                              4 AVX-512.
//   MonteCarloIteration        MonteCarlo(synth n = 20,000 with uncertainty, demand {19999: 1},
//                              one thread).run(100); counters per iteration from the report:
//                              sample_ms, factor_ms, solve_ms, total_ms (thread CPU of the one
//                              worker, which is the calling thread).
//   MonteCarloRun/<family>/<threads>  MonteCarlo(synth n = 20,000, k = 20, family 0 ecoinvent
//                              or 1 stress, with uncertainty: A and B drawn, demand
//                              {19999: 1}).run(200) at 1 or 2 threads, after a warm-up run that
//                              creates the workers; counter it_per_s (wall) and the report's
//                              thread-seconds per iteration (sample_ms, factor_ms, solve_ms,
//                              score_ms).
//
// Use --benchmark_repetitions=N --benchmark_report_aggregates_only=true for medians.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "hiili/distributions.hpp"
#include "hiili/monte_carlo.hpp"
#include "hiili/synth.hpp"
#include "hiili/uncertainty.hpp"
#include "../src/montecarlo/batch.hpp"

namespace {

using hiili::Index;
using hiili::mc::NormalBatch;

struct Batch {
  NormalBatch batch;
  std::vector<hiili::Sampler> samplers;
};

const Batch& batch_150k() {
  static const Batch b = [] {
    Batch r;
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const Index n = 150000;
    r.samplers.reserve(n);
    for (Index i = 0; i < n; ++i) {
      hiili::Uncertainty u;
      const double amount = std::exp(-8.0 + 12.0 * unit(rng));
      const double sigma = 0.05 + 1.15 * unit(rng) * unit(rng);
      const double x = unit(rng);
      if (x < 0.05) {
        u.type = 3;
        u.loc = amount;
        u.scale = 0.3 * amount;
      } else {
        u.type = 2;
        u.loc = std::log(amount);
        u.scale = sigma;
        u.negative = unit(rng) < 0.33;
        if (x < 0.07) {  // truncated to a factor of 3 either side
          u.minimum = (u.negative ? -3.0 : 1.0 / 3.0) * amount;
          u.maximum = (u.negative ? -1.0 / 3.0 : 3.0) * amount;
        }
      }
      r.samplers.emplace_back(u, u.negative ? -amount : amount);
      r.batch.add(r.samplers.back(), hiili::stream_id(hiili::MatrixKind::Biosphere, 2 * i + 5), i);
    }
    return r;
  }();
  return b;
}

void NormalBatchDraw(benchmark::State& state) {
  const auto kernel = static_cast<NormalBatch::Kernel>(state.range(0));
  if (!NormalBatch::available(kernel)) {
    state.SkipWithError("kernel not available on this CPU");
    return;
  }
  const Batch& b = batch_150k();
  std::vector<double> out(b.samplers.size()), scratch;
  std::uint64_t it = 0;
  for (auto _ : state) {
    b.batch.draw(7, it++, out.data(), scratch, kernel);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double draws = double(b.samplers.size());
  state.counters["ns_per_draw"] = benchmark::Counter(
      draws, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(NormalBatchDraw)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);

void MonteCarloIteration(benchmark::State& state) {
  static const auto model =
      std::make_shared<const hiili::Model>(hiili::synth({.n = 20000, .uncertainty = true}));
  hiili::MonteCarloOptions options;
  options.threads = 1;
  options.seed = 3;
  hiili::MonteCarlo mc(model, hiili::SparseDemand{{19999, 1.0}}, options);
  const Index iterations = state.range(0);
  hiili::MonteCarloReport report;
  double sample = 0, factor = 0, solve = 0, seconds = 0;
  Index done = 0;
  for (auto _ : state) {
    report = mc.run(iterations).report;
    sample += report.sample_seconds;
    factor += report.factor_seconds;
    solve += report.solve_seconds;
    seconds += report.seconds;
    done += report.iterations;
  }
  state.counters["sample_ms"] = 1e3 * sample / double(done);
  state.counters["factor_ms"] = 1e3 * factor / double(done);
  state.counters["solve_ms"] = 1e3 * solve / double(done);
  state.counters["total_ms"] = 1e3 * seconds / double(done);
  state.SetLabel(report.brief());
}
BENCHMARK(MonteCarloIteration)->Arg(100)->Iterations(1)->Unit(benchmark::kMillisecond);

std::shared_ptr<const hiili::Model> synth_k20(int family) {
  static std::shared_ptr<const hiili::Model> models[2];
  if (!models[family]) {
    hiili::SynthOptions o;
    o.k = 20;
    o.family = family == 0 ? hiili::SynthFamily::Ecoinvent : hiili::SynthFamily::Stress;
    o.uncertainty = true;
    models[family] = std::make_shared<const hiili::Model>(hiili::synth(o));
  }
  return models[family];
}

void MonteCarloRun(benchmark::State& state) {
  const auto model = synth_k20(static_cast<int>(state.range(0)));
  hiili::MonteCarloOptions options;
  options.threads = static_cast<int>(state.range(1));
  options.seed = 7;
  hiili::MonteCarlo mc(model, hiili::SparseDemand{{model->num_activities() - 1, 1.0}}, options);
  mc.run(4 * options.threads);  // the workers' factorisations
  hiili::MonteCarloReport report;
  double sample = 0, factor = 0, solve = 0, score = 0, seconds = 0;
  Index done = 0;
  for (auto _ : state) {
    report = mc.run(200).report;
    sample += report.sample_seconds;
    factor += report.factor_seconds;
    solve += report.solve_seconds;
    score += report.score_seconds;
    seconds += report.seconds;
    done += report.iterations;
  }
  state.counters["it_per_s"] = double(done) / seconds;
  state.counters["sample_ms"] = 1e3 * sample / double(done);
  state.counters["factor_ms"] = 1e3 * factor / double(done);
  state.counters["solve_ms"] = 1e3 * solve / double(done);
  state.counters["score_ms"] = 1e3 * score / double(done);
  state.SetLabel(report.brief());
}
BENCHMARK(MonteCarloRun)
    ->ArgsProduct({{0, 1}, {1, 2}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
