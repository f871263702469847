// hiili mc: Monte Carlo uncertainty of the scores (monte_carlo.hpp), as text, JSON or CSV.
// Printing only: the sampling, solving and statistics are the library's.
//
//   hiili mc [MODEL] -d LABEL=AMOUNT ... [--vs LABEL=AMOUNT ...] -N 1000 --seed 0 --threads 2
//
// Without MODEL it runs on synth:n=20000,k=3,seed=1,uncertainty=1 (the default model with
// lognormal uncertainty on A's inputs and all of B). --vs adds an alternative demand evaluated
// on the same draws: the output then has its scores, the paired differences and
// P(demand < alternative) per category. Ctrl-C stops the run within about a second and prints
// the statistics of the iterations completed (exit code 130).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "hiili/diagnostics.hpp"
#include "hiili/error.hpp"
#include "hiili/monte_carlo.hpp"
#include "hiili/version.hpp"
#include "io/text_tables.hpp"
#include "python.hpp"

namespace hiili::cli {

using Json = nlohmann::ordered_json;

struct McCommand {
  CommonOptions common;
  std::string model, format = "auto", solver = "klu";
  std::vector<std::string> demand, versus;
  std::string demand_file, category;
  long long iterations = 1000, first = 0;
  unsigned long long seed = 0;
  int threads = 0;
  std::vector<double> quantiles{0.025, 0.5, 0.975};
  std::string scores_path;
  bool stream = false;
  int workers = 0;         // > 0: on a LocalCluster of that many processes (python.hpp)
  std::string scheduler;   // an existing Dask cluster's scheduler address
  CLI::App* cmd = nullptr;
};

namespace {

constexpr const char* kDefaultModel = "synth:n=20000,k=3,seed=1,uncertainty=1";
constexpr int kInterrupted = 130;
// Without --scores or --vs, a run whose table of scores would exceed this streams by itself.
constexpr double kAutoStreamBytes = 256.0 * 1024 * 1024;

std::atomic<bool> g_stop{false};
extern "C" void on_sigint(int) { g_stop.store(true); }

std::string g17(double v) { return fmt::format("{:.17g}", v); }
Json finite(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }
std::string level_name(double q) { return fmt::format("{:g}%", 100.0 * q); }

Json summary_json(const ScoreSummary& s, Index q) {
  Json j = {{"mean", finite(s.mean[q])}, {"std", finite(s.std[q])}, {"min", finite(s.min[q])}};
  Json qs = Json::object();
  for (std::size_t l = 0; l < s.levels.size(); ++l)
    qs[fmt::format("{:g}", s.levels[l])] = finite(s.quantiles(q, Index(l)));
  j["quantiles"] = qs;
  j["max"] = finite(s.max[q]);
  return j;
}

// Shows "monte carlo 240/1000 (24 %) 1.2 s" on stderr while the run goes on (a terminal only).
class Bar {
 public:
  explicit Bar(bool enabled) : enabled_(enabled && stderr_is_terminal()) {}
  ~Bar() {
    if (shown_) fmt::print(stderr, "\r\033[K");
  }
  void show(const MonteCarloProgress& p) {
    if (!enabled_ || p.seconds < 0.5) return;
    shown_ = true;
    fmt::print(stderr, "\r\033[Kmonte carlo {}/{} ({:.0f} %) {}", thousands(p.completed),
               thousands(p.total), p.total > 0 ? 100.0 * double(p.completed) / double(p.total) : 0.0,
               duration(p.seconds));
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
};

void add_row(Table& t, const std::string& label, double det, const ScoreSummary& s, Index q) {
  std::vector<std::string> row{label, number(det), number(s.mean[q]), number(s.std[q])};
  for (std::size_t l = 0; l < s.levels.size(); ++l) row.push_back(number(s.quantiles(q, Index(l))));
  t.add(std::move(row));
}

std::vector<std::string> header(const std::vector<double>& levels, const char* first) {
  std::vector<std::string> h{first, "deterministic", "mean", "std"};
  for (double q : levels) h.push_back(level_name(q));
  return h;
}

}  // namespace

std::shared_ptr<McCommand> add_mc_command(CLI::App& app) {
  auto c = std::make_shared<McCommand>();
  auto* cmd = app.add_subcommand(
      "mc", "Monte Carlo uncertainty of the scores (parallel, reproducible for a seed)");
  c->cmd = cmd;
  cmd->add_option("model", c->model,
                  std::string("Model: a file or folder in any supported format, or "
                              "synth[:n=N,k=K,seed=S,uncertainty=1]; default: ") +
                      kDefaultModel)
      ->check(CLI::Validator([](std::string& t) { return check_model_argument(t); }, "MODEL",
                             "model"));
  cmd->add_option("-d,--demand", c->demand,
                  "LABEL_OR_INDEX=AMOUNT, repeatable: an activity by label or index and its amount")
      ->check(CLI::Validator([](std::string& t) { return check_demand_syntax(t); }, "LABEL=AMOUNT",
                             "demand"));
  cmd->add_option("--demand-file", c->demand_file, "A USEEIO demand file; adds to --demand")
      ->check(CLI::ExistingFile);
  auto* versus = cmd->add_option("--vs", c->versus,
                  "LABEL_OR_INDEX=AMOUNT, repeatable: an alternative demand run on the same "
                  "draws (common random numbers)")
      ->check(CLI::Validator([](std::string& t) { return check_demand_syntax(t); }, "LABEL=AMOUNT",
                             "demand"));
  cmd->add_option("-N,--iterations", c->iterations, "Iterations (at most 2^40)")
      ->check(integer_in(0, 1LL << 40, "--iterations"))
      ->capture_default_str();
  cmd->add_option("--first", c->first,
                  "First iteration number (split a run across machines: same seed, disjoint "
                  "ranges)")
      ->check(integer_in(0, 1LL << 40, "--first"))
      ->capture_default_str();
  cmd->add_option("-s,--seed", c->seed, "Seed (0 .. 2^64 - 1)")
      ->check(CLI::Validator([](std::string& t) { return check_seed(t); }, "UINT64", "seed"))
      ->capture_default_str();
  cmd->add_option("-t,--threads", c->threads,
                  "Threads: 0 (all cores) or 1 .. max(256, 8 x hardware threads)")
      ->check(thread_count("--threads"))
      ->capture_default_str();
  cmd->add_option("-c,--category", c->category, "Only this category (name or index)");
  cmd->add_option("--quantiles", c->quantiles, "Quantile levels to print")
      ->check(CLI::Range(0.0, 1.0))
      ->delimiter(',')
      ->capture_default_str();
  auto* scores = cmd->add_option("--scores", c->scores_path,
                                 "Write every iteration's scores to this CSV file (iteration, "
                                 "demand, categories...)");
  auto* stream = cmd->add_flag(
      "--stream", c->stream,
      "Keep only streaming statistics of the scores (memory does not grow with -N; quantiles "
      "within 1 % relative). Automatic when the scores would take over 256 MiB and neither "
      "--scores nor --vs is given");
  stream->excludes(scores);
  stream->excludes(versus);
  cmd->add_option("--format", c->format, "Force the model's format");
  cmd->add_option("--solver", c->solver, "klu (default), umfpack or eigen")
      ->check(CLI::IsMember({"klu", "umfpack", "eigen"}, CLI::ignore_case));
  add_cache_option(cmd);
  auto* json = cmd->add_flag("--json", c->common.json, "Print JSON (for machines)");
  auto* csv = cmd->add_flag("--csv", c->common.csv, "Print CSV (for machines)");
  json->excludes(csv);
  cmd->add_flag("-q,--quiet", c->common.quiet, "No progress indicator on stderr");
  cmd->add_option("--workers", c->workers,
                  "Run on a Dask LocalCluster of N worker processes (python -m hiili.distributed; "
                  "the same scores)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--scheduler", c->scheduler,
                  "Run on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786)");
  McCommand* raw = c.get();
  cmd->parse_complete_callback([cmd, raw] {
    if (raw->demand.empty() && raw->demand_file.empty())
      throw CLI::RequiredError(cmd->get_name() + ": --demand or --demand-file");
    if (raw->first + raw->iterations > (1LL << 40))
      throw CLI::ValidationError("--first + --iterations",
                                 "must be at most 2^40 = 1099511627776, got " +
                                     std::to_string(raw->first + raw->iterations));
  });
  return c;
}

namespace {

// One run of mc: the prepared model and demands, the engine and its result, and the statistics
// the printers show.
struct McRun {
  Prepared p;
  std::vector<SparseDemand> demands;
  MonteCarloOptions options;
  std::unique_ptr<MonteCarlo> engine;
  MonteCarloResult result;
  std::vector<Index> categories;
  std::vector<ScoreSummary> sums;    // per demand
  std::optional<ScoreSummary> diff;  // with --vs: alternative - demand
  Eigen::VectorXd pless;             // with --vs: P(demand < alternative) per category
};

// The model, the demand and --vs resolved; the engine's options (seed, threads, solver, and
// whether the scores are kept or streamed).
void prepare_run(const McCommand& c, McRun& run) {
  const std::string spec = c.model.empty() ? kDefaultModel : c.model;
  run.p = prepare(spec, c.format, c.solver, c.demand, c.demand_file, c.category, !c.common.quiet);
  const Model& m = *run.p.model;
  run.demands = {run.p.demand};
  if (!c.versus.empty())
    in_model_context(run.p, [&] { run.demands.push_back(resolve_demand(m, c.versus)); });
  run.p.lca.reset();  // the engine factorises its own (upstream) system

  MonteCarloOptions& o = run.options;
  o.seed = c.seed;
  o.threads = c.threads;
  o.factorization.backend = backend_from_string(c.solver);
  const double table =
      8.0 * double(c.iterations) * double(m.num_categories()) * double(run.demands.size());
  o.keep_scores =
      !c.stream && (table <= kAutoStreamBytes || !c.versus.empty() || !c.scores_path.empty());
}

// Builds the engine and runs the iterations; Ctrl-C stops the run (during the engine's setup
// it stops it at once).
void run_engine(const McCommand& c, McRun& run) {
  g_stop.store(false);
  auto previous = std::signal(SIGINT, on_sigint);
  try {
    in_model_context(run.p, [&] {
      run.engine = std::make_unique<MonteCarlo>(run.p.model, run.demands, run.options);
    });
  } catch (...) {
    std::signal(SIGINT, previous);
    throw;
  }
  {
    Bar bar(!c.common.quiet && c.common.mode() == OutputMode::Text);
    run.result = run.engine->run(
        c.iterations, c.first,
        [&](const MonteCarloProgress& pr) {
          bar.show(pr);
          return true;
        },
        &g_stop);
  }
  std::signal(SIGINT, previous);
}

// The categories shown, each demand's summary, and with --vs the paired differences.
void summarize_run(const McCommand& c, McRun& run) {
  const Model& m = *run.p.model;
  const MonteCarloResult& r = run.result;
  if (c.category.empty())
    for (Index q = 0; q < m.num_categories(); ++q) run.categories.push_back(q);
  else
    run.categories.push_back(run.p.category);
  if (r.scores_kept())
    for (const auto& s : r.scores) run.sums.push_back(summarize_scores(s, c.quantiles));
  else
    for (const auto& s : r.score_statistics)
      run.sums.push_back(summarize_statistics(s, c.quantiles));
  if (run.demands.size() > 1) {
    run.diff = summarize_scores(r.difference(1, 0), c.quantiles);
    run.pless = r.probability_less(0, 1);
  }
}

// --scores: every iteration's scores (iteration, demand, categories...).
void write_scores(const std::string& path, const Model& m, const MonteCarloResult& r) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) throw InvalidInputError("cannot write " + path);
  fmt::print(f, "iteration,demand");
  for (Index q = 0; q < m.num_categories(); ++q)
    fmt::print(f, ",{}", io::detail::csv_field(row_label(m.categories(), q)));
  fmt::print(f, "\n");
  for (Index i = 0; i < r.completed; ++i)
    for (std::size_t d = 0; d < r.scores.size(); ++d) {
      fmt::print(f, "{},{}", r.first_iteration + i, d == 0 ? "demand" : "alternative");
      for (Index q = 0; q < m.num_categories(); ++q) fmt::print(f, ",{}", g17(r.scores[d](i, q)));
      fmt::print(f, "\n");
    }
  std::fclose(f);
}

Json demand_json(const Model& m, const SparseDemand& d) {
  Json a = Json::array();
  for (const auto& [index, amount] : d)
    a.push_back(
        {{"index", index}, {"label", row_label(m.activities(), index)}, {"amount", amount}});
  return a;
}

Json categories_json(const McRun& run) {
  const Model& m = *run.p.model;
  const Eigen::MatrixXd& det = run.engine->deterministic_scores();
  Json cats = Json::array();
  for (Index q : run.categories) {
    Json cj = {{"index", q},
               {"category", row_label(m.categories(), q)},
               {"deterministic", det(q, 0)},
               {"scores", summary_json(run.sums[0], q)}};
    if (run.diff) {
      cj["alternative_deterministic"] = det(q, 1);
      cj["alternative_scores"] = summary_json(run.sums[1], q);
      cj["difference"] = summary_json(*run.diff, q);
      cj["probability_less"] = finite(run.pless[q]);
    }
    cats.push_back(std::move(cj));
  }
  return cats;
}

void print_json(const McCommand& c, const McRun& run, const std::vector<std::string>& warnings) {
  const Model& m = *run.p.model;
  const MonteCarloResult& r = run.result;
  const MonteCarloReport& rep = r.report;
  Json j;
  j["hiili_version"] = kVersion;
  j["command"] = "mc";
  j["model"] = {{"source", run.p.source},
                {"format", run.p.format},
                {"activities", m.num_activities()},
                {"flows", m.num_flows()},
                {"categories", m.num_categories()}};
  j["demand"] = demand_json(m, run.demands[0]);
  if (run.demands.size() > 1) j["alternative"] = demand_json(m, run.demands[1]);
  j["seed"] = c.seed;
  j["first_iteration"] = r.first_iteration;
  j["requested"] = r.requested;
  j["completed"] = r.completed;
  j["interrupted"] = r.cancelled;
  j["threads"] = rep.threads;
  j["seconds"] = rep.seconds;
  j["iterations_per_second"] = rep.iterations_per_second();
  j["active_activities"] = rep.activities;
  j["failed"] = r.failed;
  j["streamed"] = !r.scores_kept();
  j["sampled_entries"] = {
      {"A", rep.sampled_entries[0]}, {"B", rep.sampled_entries[1]}, {"C", rep.sampled_entries[2]}};
  j["warnings"] = warnings;
  if (!r.scores_kept()) j["quantile_relative_accuracy"] = run.options.sketch_accuracy;
  j["categories"] = categories_json(run);
  fmt::print("{}\n", j.dump(2));
}

void print_csv(const McCommand& c, const McRun& run) {
  const Model& m = *run.p.model;
  const Eigen::MatrixXd& det = run.engine->deterministic_scores();
  std::vector<std::string> h{"demand", "category", "deterministic", "mean", "std", "min"};
  for (double q : c.quantiles) h.push_back(fmt::format("q{:g}", q));
  h.push_back("max");
  h.push_back("iterations");
  h.push_back("p_less");
  Table t(h);
  auto add = [&](const char* who, Index q, double d, const ScoreSummary& s, double pl) {
    std::vector<std::string> row{who,
                                 row_label(m.categories(), q),
                                 std::isnan(d) ? "" : g17(d),
                                 g17(s.mean[q]),
                                 g17(s.std[q]),
                                 g17(s.min[q])};
    for (std::size_t l = 0; l < s.levels.size(); ++l) row.push_back(g17(s.quantiles(q, Index(l))));
    row.push_back(g17(s.max[q]));
    row.push_back(std::to_string(s.count));
    row.push_back(std::isnan(pl) ? "" : g17(pl));
    t.add(std::move(row));
  };
  for (Index q : run.categories) {
    add("demand", q, det(q, 0), run.sums[0], NAN);
    if (run.diff) {
      add("alternative", q, det(q, 1), run.sums[1], NAN);
      add("alternative - demand", q, det(q, 1) - det(q, 0), *run.diff, run.pless[q]);
    }
  }
  t.print_csv(stdout);
}

// The text header: model, demands, and how the run went.
void print_text_header(const McCommand& c, const McRun& run) {
  const Model& m = *run.p.model;
  const MonteCarloResult& r = run.result;
  const MonteCarloReport& rep = r.report;
  fmt::print("model     {} ({} activities, {} flows, {} categories)\n", run.p.source,
             thousands(m.num_activities()), thousands(m.num_flows()),
             thousands(m.num_categories()));
  const SparseDemand& demand = run.p.demand;
  for (std::size_t e = 0; e < demand.size() && e < 5; ++e)
    fmt::print("demand    {} x {} (#{})\n", number(demand[e].second),
               row_label(m.activities(), demand[e].first), demand[e].first);
  if (run.demands.size() > 1)
    for (std::size_t e = 0; e < run.demands[1].size() && e < 5; ++e)
      fmt::print("vs        {} x {} (#{})\n", number(run.demands[1][e].second),
                 row_label(m.activities(), run.demands[1][e].first), run.demands[1][e].first);
  fmt::print(
      "monte carlo {} iterations (from {}, seed {}) in {} on {} threads: {:.1f} it/s; "
      "{} activities upstream; {} singular\n",
      thousands(r.completed), r.first_iteration, c.seed, duration(rep.seconds), rep.threads,
      rep.iterations_per_second(), thousands(rep.activities),
      thousands(static_cast<long long>(r.failed.size())));
  if (r.cancelled)
    fmt::print("interrupted: {} of {} iterations done\n", thousands(r.completed),
               thousands(r.requested));
  if (!r.scores_kept())
    fmt::print("streamed: quantiles from a sketch, within {:g} % relative\n",
               100.0 * run.options.sketch_accuracy);
}

// One table of scores: which 0 the demand, 1 the alternative, 2 alternative - demand.
void print_score_table(const McCommand& c, const McRun& run, const char* title, int which) {
  const Model& m = *run.p.model;
  const Eigen::MatrixXd& det = run.engine->deterministic_scores();
  fmt::print("\n  {}\n", title);
  Table t(header(c.quantiles, "category"), {false, true, true, true, true, true, true, true});
  for (Index q : run.categories) {
    if (which == 2)
      add_row(t, row_label(m.categories(), q), det(q, 1) - det(q, 0), *run.diff, q);
    else
      add_row(t, row_label(m.categories(), q), det(q, which), run.sums[which], q);
  }
  t.print_text(stdout, 50, 2);
}

void print_text(const McCommand& c, const McRun& run) {
  print_text_header(c, run);
  print_score_table(c, run, run.demands.size() > 1 ? "Scores of the demand" : "Scores", 0);
  if (!run.diff) return;
  print_score_table(c, run, "Scores of the alternative (same draws)", 1);
  print_score_table(c, run, "Alternative - demand, iteration by iteration", 2);
  fmt::print("\n  P(demand < alternative)\n");
  Table t({"category", "probability"}, {false, true});
  for (Index q : run.categories)
    t.add({row_label(run.p.model->categories(), q), fmt::format("{:.3f}", run.pless[q])});
  t.print_text(stdout, 50, 2);
}

}  // namespace

std::optional<int> run_mc_command(const McCommand& c) {
  if (c.cmd == nullptr || !*c.cmd) return std::nullopt;
  if (c.workers > 0 || !c.scheduler.empty()) {
    std::vector<std::string> args{"mc"};
    for (auto& a : given_arguments(*c.cmd)) args.push_back(std::move(a));
    return exec_python_module("hiili", "hiili.distributed", args, "hiili[distributed]");
  }
  McRun run;
  prepare_run(c, run);
  run_engine(c, run);
  summarize_run(c, run);
  if (!c.scores_path.empty()) write_scores(c.scores_path, *run.p.model, run.result);

  std::vector<std::string> warnings = run.p.warnings;  // prepare() has printed these
  const std::string no_uncertainty = no_uncertainty_warning(run.result.report);  // printed last
  if (!no_uncertainty.empty()) warnings.push_back(no_uncertainty);
  if (c.common.mode() == OutputMode::Json)
    print_json(c, run, warnings);
  else if (c.common.mode() == OutputMode::Csv)
    print_csv(c, run);
  else
    print_text(c, run);
  if (!no_uncertainty.empty()) print_warnings({no_uncertainty});
  return run.result.cancelled ? kInterrupted : 0;
}

}  // namespace hiili::cli
