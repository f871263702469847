// bench_solver: Google Benchmark suite for hiili's solver and Lca (issue 7).
//
// Problems: the seeded synthetic system (hiili::synth) at several sizes and the real models
// in the shared data folder. Jobs, for each backend: analyze, factorize, analyze_factor_solve
// (the headline job), refactor, refactor_solve, solve, solve_transposed, solve_many/d,
// activity_scores (k = 20 categories), lca_solve, and a thread sweep of refactor+solve
// throughput (Monte-Carlo-like: per-thread Factorizations on one shared SymbolicAnalysis).
// KLU's refactor jobs run three times: with the static-pivot kernel (backend "klu", the
// default: one thread), with it on the threads of its task_arena (backend "klu-parallel",
// FactorizationOptions::refactor_threads = 0) and with klu_refactor (backend "klu-nostatic",
// FactorizationOptions::static_refactor off).
//
// Everything is built outside the timed loop; results go through benchmark::DoNotOptimize.
// Each benchmark reports counters: nnz, fill, blocks, the relative residual of its last solve
// and peak RSS (VmHWM, reset before the job via /proc/self/clear_refs; job_rss_mb is the
// high-water mark above the resident set at the start of the job, i.e. the job's own memory).
//
// Options (after Google Benchmark's own --benchmark_* flags):
//   --sizes=2000,20000,100000   synthetic sizes (default those three)
//   --families=ecoinvent,stress synthetic families (default ecoinvent); the first is named
//                               synth_<n>, the others synth_<n>_<family>
//   --large                     also n = 1,000,000 (or HIILI_BENCH_LARGE=1)
//   --data=DIR                  folder with useeio_v1.2, useeio_v2.0_ghg, uslci (default
//                               $HIILI_BENCH_DATA, else ../shared/data next to the repo)
//   --backends=klu,umfpack,eigen
//   --all-large                 run UMFPACK and Eigen at n >= 100,000 too (slow: see below)
//   --quick                     what `make bench` runs: UMFPACK and Eigen run every job only
//                               below n = 20,000 (UMFPACK's analyze_factor_solve once at 20,000;
//                               Eigen not at all there); at n >= 100,000 KLU runs the headline
//                               jobs once (analyze_factor_solve, refactor_solve, solve,
//                               activity_scores)
//
// UMFPACK and Eigen's SparseLU fill 10x-100x more than KLU on these systems; at n >= 100,000
// their factorizations take seconds to minutes each and are skipped unless --all-large.
#include <benchmark/benchmark.h>

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hiili/error.hpp"
#include "hiili/io/read.hpp"
#include "hiili/lca.hpp"
#include "hiili/solver.hpp"
#include "hiili/synth.hpp"

namespace fs = std::filesystem;
using hiili::Backend;
using hiili::Index;

namespace {

// ---- memory --------------------------------------------------------------------------------

long status_kib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string k = std::string(key) + ":";
  while (std::getline(in, line))
    if (line.rfind(k, 0) == 0) return std::strtol(line.c_str() + k.size(), nullptr, 10);
  return -1;
}

// Resets the peak-RSS mark (Linux >= 4.0); returns the current RSS in KiB.
long reset_peak_rss() {
  if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
  return status_kib("VmRSS");
}

struct RssScope {
  long base = reset_peak_rss();
  void report(benchmark::State& state) const {
    const long peak = status_kib("VmHWM");
    state.counters["peak_rss_mb"] = double(peak) / 1024.0;
    state.counters["job_rss_mb"] = double(peak - base) / 1024.0;
  }
};

// ---- problems ------------------------------------------------------------------------------

struct Problem {
  std::string name;
  std::function<hiili::Model()> make;
};

// One problem in memory at a time: benchmarks are registered grouped by problem.
struct Loaded {
  std::string name;
  std::shared_ptr<const hiili::Model> model;
  std::vector<double> values2;  // A's values perturbed (a Monte-Carlo-like draw)
  std::vector<double> values3;  // another draw
  Eigen::VectorXd b;            // demand: one unit of the last activity
  Eigen::VectorXd bt;           // transposed right-hand side: ones
};

Loaded g_loaded;

// Deterministic multiplicative noise on off-diagonal entries (the diagonal stays), keeping
// A's sign pattern: values the refactor benchmarks alternate between.
std::vector<double> perturb(const hiili::CscMatrix& A, std::uint64_t seed) {
  std::vector<double> v = A.values;
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (Index j = 0; j < A.cols; ++j)
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      const double u = double(x >> 11) * 0x1.0p-53;  // [0, 1)
      if (A.row_idx[p] != j) v[p] *= 0.9 + 0.2 * u;
    }
  return v;
}

const Loaded& load(const Problem& problem) {
  if (g_loaded.name != problem.name) {
    g_loaded = Loaded{};
    g_loaded.name = problem.name;
    g_loaded.model = std::make_shared<const hiili::Model>(problem.make());
    const hiili::CscMatrix& A = g_loaded.model->A();
    g_loaded.values2 = perturb(A, 2);
    g_loaded.values3 = perturb(A, 3);
    const Index n = A.rows;
    g_loaded.b = Eigen::VectorXd::Zero(n);
    g_loaded.b[n - 1] = 1.0;
    g_loaded.bt = Eigen::VectorXd::Ones(n);
  }
  return g_loaded;
}

// The KLU refactor variants run side by side: the static-pivot kernel on one thread (the
// default, backend "klu"), on the threads of the arena it runs in ("klu-parallel",
// refactor_threads = 0) and KLU's own klu_refactor ("klu-nostatic", static_refactor off).
enum class Kernel { Static, Parallel, KluRefactor };

hiili::FactorizationOptions options_for(Backend backend, Kernel kernel = Kernel::Static) {
  hiili::FactorizationOptions o;
  o.backend = backend;
  o.static_refactor = kernel != Kernel::KluRefactor;
  if (kernel == Kernel::Parallel) o.refactor_threads = 0;
  return o;
}

void set_counters(benchmark::State& state, const hiili::Factorization& f) {
  const auto& r = f.report();
  state.counters["n"] = double(r.n);
  state.counters["nnz"] = double(r.nnz);
  if (r.nnz_factors > 0) state.counters["fill"] = double(r.nnz_factors) / double(r.nnz);
  if (r.blocks > 0) state.counters["blocks"] = double(r.blocks);
  if (r.max_block > 0) state.counters["max_block"] = double(r.max_block);
  state.counters["residual"] = r.last_residual;
  state.counters["fallbacks"] = double(r.refactor_fallbacks);
  if (r.refactors > 0) state.counters["static_refactors"] = double(r.static_refactors);
  if (r.dense_columns > 0) state.counters["dense_columns"] = double(r.dense_columns);
}

// Every benchmark body: load the problem, run `body`, turn hiili errors into skip messages.
template <class Body>
void run_job(benchmark::State& state, const Problem& problem, Body body) {
  try {
    const Loaded& p = load(problem);
    RssScope rss;
    body(state, p);
    rss.report(state);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// ---- jobs ----------------------------------------------------------------------------------

void job_analyze(benchmark::State& state, const Loaded& p, Backend backend) {
  const auto o = options_for(backend);
  for (auto _ : state) {
    auto s = hiili::SymbolicAnalysis::create(p.model->A(), o);
    benchmark::DoNotOptimize(s.get());
  }
  state.counters["n"] = double(p.model->A().rows);
  state.counters["nnz"] = double(p.model->A().nnz());
}

void job_factorize(benchmark::State& state, const Loaded& p, Backend backend) {
  hiili::Factorization f(hiili::SymbolicAnalysis::create(p.model->A(), options_for(backend)));
  for (auto _ : state) {
    f.factorize(p.model->A().values);
    benchmark::ClobberMemory();
  }
  set_counters(state, f);
}

void job_analyze_factor_solve(benchmark::State& state, const Loaded& p, Backend backend) {
  const auto o = options_for(backend);
  std::unique_ptr<hiili::Factorization> last;
  for (auto _ : state) {
    auto f = std::make_unique<hiili::Factorization>(p.model->A(), o);
    Eigen::VectorXd x = f->solve({p.b.data(), std::size_t(p.b.size())});
    benchmark::DoNotOptimize(x.data());
    last = std::move(f);  // destroyed at the next iteration: freeing is part of the job
  }
  set_counters(state, *last);
}

void job_refactor(benchmark::State& state, const Loaded& p, Backend backend, bool solve,
                  Kernel kernel = Kernel::Static) {
  hiili::Factorization f(p.model->A(), options_for(backend, kernel));
  f.refactor(p.values3);  // the first refactor builds the static kernel's structure: once
  Eigen::VectorXd x(p.b.size());
  bool flip = false;
  for (auto _ : state) {
    f.refactor(flip ? p.values3 : p.values2);
    flip = !flip;
    if (solve) {
      x = p.b;
      f.solve_in_place({x.data(), std::size_t(x.size())});
      benchmark::DoNotOptimize(x.data());
    }
    benchmark::ClobberMemory();
  }
  set_counters(state, f);
}

// Solves on one factorisation move to the static kernel's factors after
// FactorizationOptions::static_solve_after columns (a one-off ~40 ms at n = 20,000). The solve
// jobs time that steady state, as compare.py's warm-up and medians do for the Python rows:
// `call` runs untimed until the switch (at most 64 times).
template <class Call>
void warm_up(const hiili::Factorization& f, Call call) {
  for (int i = 0; i < 64 && !f.report().static_solves; ++i) call();
}

void job_solve(benchmark::State& state, const Loaded& p, Backend backend, bool transposed) {
  hiili::Factorization f(p.model->A(), options_for(backend));
  const Eigen::VectorXd& b = transposed ? p.bt : p.b;
  Eigen::VectorXd x(b.size());
  auto solve = [&] {
    x = b;  // an n-vector copy: a few microseconds, part of any real solve
    if (transposed)
      f.solve_transposed_in_place({x.data(), std::size_t(x.size())});
    else
      f.solve_in_place({x.data(), std::size_t(x.size())});
    benchmark::DoNotOptimize(x.data());
  };
  warm_up(f, solve);
  for (auto _ : state) solve();
  set_counters(state, f);
}

// Unit demands spread over the activities: column c demands activity (c * 7919 + n - 1) % n.
Eigen::MatrixXd many_demands(Index n, Index d) {
  Eigen::MatrixXd F = Eigen::MatrixXd::Zero(n, d);
  for (Index c = 0; c < d; ++c) F((c * 7919 + n - 1) % n, c) = 1.0;
  return F;
}

void job_solve_many(benchmark::State& state, const Loaded& p, Backend backend) {
  const Index d = state.range(0);
  hiili::Factorization f(p.model->A(), options_for(backend));
  const Eigen::MatrixXd F = many_demands(p.model->A().rows, d);
  Eigen::MatrixXd X(F.rows(), F.cols());
  auto solve = [&] {
    X = F;
    f.solve_many_in_place(X);
    benchmark::DoNotOptimize(X.data());
  };
  warm_up(f, solve);
  for (auto _ : state) solve();
  set_counters(state, f);
  state.counters["rhs_per_second"] =
      benchmark::Counter(double(d), benchmark::Counter::kIsIterationInvariantRate);
}

void job_activity_scores(benchmark::State& state, const Loaded& p, Backend backend) {
  hiili::Lca lca(p.model, options_for(backend));
  auto scores = [&] {
    Eigen::MatrixXd s = lca.activity_scores();
    benchmark::DoNotOptimize(s.data());
  };
  warm_up(lca.factorization(), scores);
  for (auto _ : state) scores();
  set_counters(state, lca.factorization());
  state.counters["k"] = double(p.model->num_categories());
}

void job_lca_solve(benchmark::State& state, const Loaded& p, Backend backend) {
  hiili::Lca lca(p.model, options_for(backend));
  auto solve = [&] {
    hiili::LcaResult r = lca.solve({p.b.data(), std::size_t(p.b.size())});
    benchmark::DoNotOptimize(r.scores.data());
  };
  warm_up(lca.factorization(), solve);
  for (auto _ : state) solve();
  set_counters(state, lca.factorization());
}

// Monte-Carlo-like throughput: `threads` workers, each with its own Factorization on one
// shared SymbolicAnalysis, doing refactor + solve on alternating value draws.
void job_mc_throughput(benchmark::State& state, const Loaded& p, Backend backend,
                       Kernel kernel = Kernel::Static) {
  const int threads = int(state.range(0));
  const int per_iteration = 8 * threads;
  auto symbolic = hiili::SymbolicAnalysis::create(p.model->A(), options_for(backend, kernel));
  struct Worker {
    std::unique_ptr<hiili::Factorization> f;
    Eigen::VectorXd x;
  };
  oneapi::tbb::task_arena arena(threads);
  std::vector<Worker> workers(threads);
  for (auto& w : workers) {
    w.f = std::make_unique<hiili::Factorization>(symbolic);
    w.f->factorize(p.model->A().values);
    w.f->refactor(p.values3);  // builds the static kernel's structure, outside the timing
    w.x.resize(p.b.size());
  }
  for (auto _ : state) {
    arena.execute([&] {
      oneapi::tbb::parallel_for(0, per_iteration, [&](int job) {
        Worker& w = workers[oneapi::tbb::this_task_arena::current_thread_index()];
        w.f->refactor(job % 2 ? p.values3 : p.values2);
        w.x = p.b;
        w.f->solve_in_place({w.x.data(), std::size_t(w.x.size())});
        benchmark::DoNotOptimize(w.x.data());
      });
    });
  }
  set_counters(state, *workers[0].f);
  state.counters["solves_per_second"] =
      benchmark::Counter(double(per_iteration), benchmark::Counter::kIsIterationInvariantRate);
}

// ---- registration --------------------------------------------------------------------------

struct Config {
  std::vector<Index> sizes{2000, 20000, 100000};
  // Synthetic families (--families=ecoinvent,stress); the first keeps the plain names
  // synth_<n>, the others are synth_<n>_<family>.
  std::vector<hiili::SynthFamily> families{hiili::SynthFamily::Ecoinvent};
  bool large = false;
  bool all_large = false;
  bool quick = false;
  fs::path data;
  std::vector<Backend> backends{Backend::Klu, Backend::Umfpack, Backend::Eigen};
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

Config parse(int argc, char** argv) {
  Config c;
  if (const char* e = std::getenv("HIILI_BENCH_LARGE"); e && std::string(e) == "1") c.large = true;
  if (const char* e = std::getenv("HIILI_BENCH_DATA")) c.data = e;
  bool data_given = c.data.empty() ? false : true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto has = [&](const char* key) { return a.rfind(std::string(key) + "=", 0) == 0; };
    auto value = [&](const char* key) { return a.substr(std::string(key).size() + 1); };
    if (a == "--large") c.large = true;
    else if (a == "--all-large") c.all_large = true;
    else if (a == "--quick") c.quick = true;
    else if (has("--sizes")) {
      c.sizes.clear();
      for (const auto& s : split(value("--sizes"))) c.sizes.push_back(std::stoll(s));
    } else if (has("--families")) {
      c.families.clear();
      for (const auto& s : split(value("--families")))
        c.families.push_back(hiili::synth_family_from_string(s));
    } else if (has("--data")) {
      c.data = value("--data");  // empty: no real models
      data_given = true;
    } else if (has("--backends")) {
      c.backends.clear();
      for (const auto& s : split(value("--backends"))) c.backends.push_back(hiili::backend_from_string(s));
    } else {
      std::fprintf(stderr, "bench_solver: unknown option %s\n", a.c_str());
      std::exit(2);
    }
  }
  if (c.large) c.sizes.push_back(1000000);
  if (!data_given) {
    for (fs::path d : {fs::path("../shared/data"), fs::path("../../shared/data"),
                       fs::path("/work/shared/data")})
      if (fs::exists(d / "useeio_v1.2")) {
        c.data = d;
        break;
      }
  }
  return c;
}

std::vector<Problem> problems(const Config& c) {
  std::vector<Problem> out;
  for (std::size_t f = 0; f < c.families.size(); ++f) {
    const hiili::SynthFamily family = c.families[f];
    const std::string suffix = f == 0 ? "" : "_" + std::string(hiili::synth_family_name(family));
    for (Index n : c.sizes)
      out.push_back({"synth_" + std::to_string(n) + suffix, [n, family] {
                       hiili::SynthOptions o;
                       o.n = n;
                       o.k = 20;  // activity_scores for 20 categories
                       o.labels = false;
                       o.family = family;
                       return hiili::synth(o);
                     }});
  }
  if (!c.data.empty()) {
    const std::pair<const char*, const char*> real[] = {
        {"useeio_v1.2", "useeio_v1.2"},
        {"useeio_v2.0", "useeio_v2.0_ghg"},
        {"uslci", "uslci/uslci_olca1_5_0_json_ld.zip"}};
    for (const auto& [name, rel] : real) {
      const fs::path path = c.data / rel;
      if (fs::exists(path)) out.push_back({name, [path] { return hiili::io::read(path); }});
      else std::fprintf(stderr, "bench_solver: %s not found, skipped\n", path.c_str());
    }
  }
  return out;
}

bool is_large(const std::string& problem) {
  const auto pos = problem.find("synth_");
  return pos == 0 && std::stoll(problem.substr(6)) >= 100000;
}

// The refactor jobs again with another kernel (Kernel::KluRefactor as backend "klu-nostatic",
// Kernel::Parallel as "klu-parallel"), so that the static kernel and its baselines sit in the
// same run.
void register_klu_baseline(const Problem& problem, bool quick, Kernel kernel) {
  const std::string tag =
      std::string(kernel == Kernel::Parallel ? "/klu-parallel/" : "/klu-nostatic/") +
      problem.name;
  const Problem* pr = &problem;
  auto add = [&](const std::string& job, auto fn) {
    return benchmark::RegisterBenchmark((job + tag).c_str(), [pr, fn](benchmark::State& s) {
             run_job(s, *pr, fn);
           })
        ->Unit(benchmark::kMillisecond);
  };
  add("refactor_solve", [kernel](benchmark::State& s, const Loaded& p) {
    job_refactor(s, p, Backend::Klu, true, kernel);
  });
  if (!quick)
    add("refactor", [kernel](benchmark::State& s, const Loaded& p) {
      job_refactor(s, p, Backend::Klu, false, kernel);
    });
  add("mc_refactor_solve", [kernel](benchmark::State& s, const Loaded& p) {
    job_mc_throughput(s, p, Backend::Klu, kernel);
  })
      ->ArgName("threads")
      ->Arg(1)
      ->Arg(2)
      ->UseRealTime();
}

void register_all(const Config& c) {
  // Problems are kept alive for the whole run (the registered lambdas refer to them).
  static std::vector<Problem> list;
  list = problems(c);
  for (const Problem& problem : list) {
    const bool large = is_large(problem.name);
    const bool huge = problem.name == "synth_1000000";
    for (Backend backend : c.backends) {
      if (backend != Backend::Klu && large && !c.all_large) continue;
      // Eigen's SparseLU takes minutes at n = 20,000 on these systems (see the 2,000 row).
      if (c.quick && backend == Backend::Eigen && problem.name.rfind("synth_", 0) == 0 &&
          std::stoll(problem.name.substr(6)) >= 20000)
        continue;
      const std::string tag = std::string("/") + hiili::to_string(backend) + "/" + problem.name;
      const Problem* pr = &problem;
      auto add = [&](const std::string& job, auto fn) {
        return benchmark::RegisterBenchmark((job + tag).c_str(), [pr, fn](benchmark::State& s) {
                 run_job(s, *pr, fn);
               })
            ->Unit(benchmark::kMillisecond);
      };
      auto* afs = add("analyze_factor_solve", [backend](benchmark::State& s, const Loaded& p) {
        job_analyze_factor_solve(s, p, backend);
      });
      // The quick set times UMFPACK and Eigen once on the larger systems: their factorisations
      // take seconds there (10x-100x KLU's fill).
      const bool slow = backend != Backend::Klu && problem.name.rfind("synth_", 0) == 0 &&
                        std::stoll(problem.name.substr(6)) >= 20000;
      if (c.quick && slow) {
        afs->Iterations(1)->Repetitions(1);
        continue;
      }
      // The quick set runs the headline jobs once at n >= 100,000.
      const bool once = c.quick && large;
      if (once) afs->Repetitions(1);
      auto* rs = add("refactor_solve",
          [backend](benchmark::State& s, const Loaded& p) { job_refactor(s, p, backend, true); });
      auto* so = add("solve", [backend](benchmark::State& s, const Loaded& p) { job_solve(s, p, backend, false); });
      auto* as = add("activity_scores",
          [backend](benchmark::State& s, const Loaded& p) { job_activity_scores(s, p, backend); });
      if (once) {
        for (auto* b : {rs, so, as}) b->Repetitions(1);
        continue;
      }
      if (!c.quick || backend == Backend::Klu) {
        add("analyze", [backend](benchmark::State& s, const Loaded& p) { job_analyze(s, p, backend); });
        add("factorize",
            [backend](benchmark::State& s, const Loaded& p) { job_factorize(s, p, backend); });
        add("refactor",
            [backend](benchmark::State& s, const Loaded& p) { job_refactor(s, p, backend, false); });
        add("solve_transposed",
            [backend](benchmark::State& s, const Loaded& p) { job_solve(s, p, backend, true); });
        add("lca_solve",
            [backend](benchmark::State& s, const Loaded& p) { job_lca_solve(s, p, backend); });
        auto* many = add("solve_many",
                         [backend](benchmark::State& s, const Loaded& p) { job_solve_many(s, p, backend); });
        many->ArgName("d")->Arg(1)->Arg(16);
        if (!huge) many->Arg(256);
      }
      if (backend == Backend::Klu && !huge)
        add("mc_refactor_solve",
            [backend](benchmark::State& s, const Loaded& p) { job_mc_throughput(s, p, backend); })
            ->ArgName("threads")
            ->Arg(1)
            ->Arg(2)
            ->UseRealTime();
      if (backend == Backend::Klu && !huge)
        for (Kernel kernel : {Kernel::KluRefactor, Kernel::Parallel})
          register_klu_baseline(problem, c.quick, kernel);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const Config config = parse(argc, argv);
  register_all(config);
  benchmark::AddCustomContext("hiili_problems", [&] {
    std::string s;
    for (const auto& p : problems(config)) s += (s.empty() ? "" : ",") + p.name;
    return s;
  }());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
