// The Monte Carlo engine (monte_carlo.hpp): setup, per-iteration kernel, oneTBB pipeline.
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <cmath>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "hiili/distributions.hpp"
#include "hiili/error.hpp"
#include "hiili/limits.hpp"
#include "hiili/monte_carlo.hpp"
#include "montecarlo/batch.hpp"

namespace hiili {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr Index kMaxChunk = Index(1) << 20;
// FlowStatistics counts in 32 bits.
constexpr Index kMaxStreamedIterations = Index(0xFFFFFFFF);
// A streamed run's blocks keep about this many scores at a time (32 MiB).
constexpr Index kStreamBlockScores = Index(1) << 22;

// The uncertain entries of one matrix drawn per iteration. Draw i is entry entries[i]; it
// lands at out[at[i]] as sign * draw (Brightway's flip, folded into the draw: multiplying by
// -1 is exact, so these are the bits of the sign times the sampler's value).
struct Draws {
  MatrixKind kind = MatrixKind::Technosphere;
  std::vector<Index> entries;
  std::vector<Index> at;        // where each draw lands in the output array
  std::vector<double> amounts;  // the entries' signed amounts: the deterministic pass
  mc::NormalBatch batch;        // lognormal and normal entries, drawn in bulk
  std::vector<Index> other;     // draw numbers of the other entries
  std::vector<Sampler> other_sampler;
  std::vector<double> other_sign;

  Index size() const { return static_cast<Index>(entries.size()); }
  // Entry `entry` drawn with `s`, landing at out[out_at].
  void add(Index entry, const Entry& e, const Sampler& s, Index out_at) {
    const Index pos = size();
    entries.push_back(entry);
    at.push_back(out_at);
    amounts.push_back(e.value());
    if (s.is_normal_family()) {
      batch.add(s, stream_id(kind, entry), out_at, e.flip);
    } else {
      other.push_back(pos);
      other_sampler.push_back(s);
      other_sign.push_back(e.flip ? -1.0 : 1.0);
    }
  }
  void draw(std::uint64_t seed, std::uint64_t iteration, double* out,
            std::vector<double>& scratch) const {
    batch.draw(seed, iteration, out, scratch);
    for (std::size_t k = 0; k < other.size(); ++k) {
      const auto pos = static_cast<std::size_t>(other[k]);
      RandomStream s(seed, stream_id(kind, entries[pos]), iteration);
      out[at[pos]] = other_sign[k] * other_sampler[k](s);
    }
  }
  void fill(bool deterministic, std::uint64_t seed, std::uint64_t iteration, double* out,
            std::vector<double>& scratch) const {
    if (deterministic)
      for (std::size_t i = 0; i < at.size(); ++i) out[at[i]] = amounts[i];
    else
      draw(seed, iteration, out, scratch);
  }
};

// Drawn entries of B or C by runs of one column: draws [run_end[r - 1], run_end[r]) all sit in
// column run_col[r] (in draw order, so a sum over the runs adds in draw order); row[i] is draw
// i's row.
struct DrawnPart {
  std::vector<Index> row, run_col, run_end;
  void add(Index r, Index c) {
    if (run_col.empty() || run_col.back() != c) {
      run_col.push_back(c);
      run_end.push_back(run_end.empty() ? 0 : run_end.back());
    }
    row.push_back(r);
    ++run_end.back();
  }
  // out[row] += x * y[column], draw by draw.
  void multiply_add(const double* x, const double* y, double* out) const {
    Index i = 0;
    for (std::size_t r = 0; r < run_col.size(); ++r) {
      const double yc = y[run_col[r]];
      for (const Index end = run_end[r]; i < end; ++i) out[row[i]] += x[i] * yc;
    }
  }
};

// A sparse matrix part that stays fixed: CSC over some column space.
struct FixedPart {
  std::vector<Index> ptr{0}, row;
  std::vector<double> val;
};

struct Worker {
  std::optional<Factorization> factorization;  // sampled-A mode only
  FactorizationReport at_run_start;
  std::vector<double> values;  // A's values in the solved column space
  Eigen::MatrixXd X;           // supplies, solve space x d
  Eigen::MatrixXd G;           // inventories, m x d
  Eigen::MatrixXd H;           // scores, k x d
  std::vector<double> xa, xb, xc, scratch;  // xa: the shared-slot A draws
  double t_sample = 0.0, t_factor = 0.0, t_solve = 0.0, t_score = 0.0;
  long restores = 0;
};

// One chunk of a table run on its way through the pipeline: iterations [begin, end), done_end
// the first one not finished (a stop ends a chunk early), whether each succeeded and, with
// inventory statistics, their inventories ((end - begin) x d x m).
struct Chunk {
  Index begin = 0, end = 0, done_end = 0;
  std::vector<char> ok;
  std::vector<double> inventory;
};

std::string location(MatrixKind kind, Index entry, const Entry& e) {
  return std::string(to_string(kind)) + " entry " + std::to_string(entry) + " (row " +
         std::to_string(e.row) + ", column " + std::to_string(e.col) + ")";
}

// Runs `work` on a thread of its own while the calling thread calls `report` every `interval`
// seconds until it is done. The caller may be the only thread that can see a signal (Python's
// Ctrl-C), and oneTBB does not promise that the thread entering an arena runs any of the
// pipeline's iterations, so progress is never left to the workers. An exception from `report`
// stops the run (through `stopping`) and is rethrown once the work has finished.
template <class Work, class Report>
void run_watched(Work&& work, Report&& report, std::atomic<bool>& stopping, double interval) {
  std::exception_ptr work_failure, report_failure;
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  std::thread runner([&] {
    try {
      work();
    } catch (...) {
      work_failure = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(m);
      finished = true;
    }
    cv.notify_all();
  });
  const auto period = std::chrono::duration<double>(std::max(interval, 1e-3));
  std::unique_lock<std::mutex> lock(m);
  while (!cv.wait_for(lock, period, [&] { return finished; })) {
    lock.unlock();
    if (!report_failure) {
      try {
        report();
      } catch (...) {
        report_failure = std::current_exception();
        stopping.store(true);
      }
    }
    lock.lock();
  }
  lock.unlock();
  runner.join();
  if (report_failure) std::rethrow_exception(report_failure);
  if (work_failure) std::rethrow_exception(work_failure);
}

// What run() checks before anything runs: the iteration range, the sketches' counters, and
// that what the run keeps fits in memory.
void check_run(const MonteCarloOptions& o, Index iterations, Index first, Index k, Index d,
               Index m) {
  if (iterations < 0)
    throw InvalidInputError("iterations must be >= 0, got " + std::to_string(iterations));
  if (first < 0)
    throw InvalidInputError("first_iteration must be >= 0, got " + std::to_string(first));
  if (static_cast<std::uint64_t>(first) + static_cast<std::uint64_t>(iterations) >
      RandomStream::kMaxIteration + 1)
    throw InvalidInputError("first_iteration + iterations must be at most 2^40, got " +
                            std::to_string(first) + " + " + std::to_string(iterations));
  if ((!o.keep_scores || o.inventory_statistics) && iterations > kMaxStreamedIterations)
    throw InvalidInputError("iterations: at most 2^32 - 1 per run with streaming statistics "
                            "(keep_scores = false or inventory_statistics), got " +
                            std::to_string(iterations) + "; split the run with first_iteration");
  if (o.keep_scores)
    check_memory(8.0 * double(iterations) * double(std::max<Index>(k, 1)) * double(d),
                 "Monte Carlo: the table of scores (" + std::to_string(iterations) +
                     " iterations x " + std::to_string(k) + " categories x " + std::to_string(d) +
                     " demands)",
                 "set keep_scores = false (Python: keep_scores=False; hiili mc: --stream) to "
                 "keep only streaming statistics of the scores");
  if (o.inventory_statistics) {
    const int threads = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
    const double chunk = o.chunk > 0 ? double(o.chunk) : 8.0;
    check_memory(8.0 * double(2 * threads + 1) * chunk * double(d) * double(m),
                 "Monte Carlo: the inventory buffers of " + std::to_string(2 * threads + 1) +
                     " chunks of " + std::to_string(Index(chunk)) + " iterations",
                 "use a smaller chunk");
  }
}

// Adds what a block of a streamed run did to the totals: its scores into the statistics (in
// iteration order), its inventory statistics, failures and timings.
void fold_block(MonteCarloResult& total, const MonteCarloResult& part) {
  for (std::size_t c = 0; c < part.scores.size(); ++c) {
    const Eigen::MatrixXd& S = part.scores[c];
    Eigen::VectorXd row(S.cols());
    for (Index i = 0; i < S.rows(); ++i) {
      if (S.row(i).hasNaN()) continue;  // a failed iteration, as summarize_scores skips it
      row = S.row(i).transpose();
      total.score_statistics[c].add(row.data());
    }
  }
  for (std::size_t c = 0; c < part.inventory.size(); ++c)
    total.inventory[c].merge(part.inventory[c]);
  total.failed.insert(total.failed.end(), part.failed.begin(), part.failed.end());
  MonteCarloReport& r = total.report;
  const MonteCarloReport& p = part.report;
  r.activities = p.activities;
  for (int q = 0; q < 3; ++q) {
    r.uncertain_entries[q] = p.uncertain_entries[q];
    r.sampled_entries[q] = p.sampled_entries[q];
  }
  r.threads = p.threads;
  r.workers = p.workers;
  r.iterations += p.iterations;
  r.failed += p.failed;
  r.setup_seconds = p.setup_seconds;
  r.sample_seconds += p.sample_seconds;
  r.factor_seconds += p.factor_seconds;
  r.solve_seconds += p.solve_seconds;
  r.score_seconds += p.score_seconds;
  r.factorizations += p.factorizations;
  r.refactors += p.refactors;
  r.refactor_fallbacks += p.refactor_fallbacks;
  r.refinements += p.refinements;
}

}  // namespace

// The options' counts and intervals (sketch parameters are checked by FlowStatistics' rules
// above); the same limits as the CLI and Python (limits.hpp).
void MonteCarloOptions::validate() const {
  check_threads(threads, "threads");
  check_range(chunk, 0, kMaxChunk, "chunk");
  check_range(stream_block, 0, Index(1) << 40, "stream_block");
  if (!(progress_interval >= 0.0 && progress_interval <= 86400.0))
    throw InvalidInputError("progress_interval must be in [0, 86400] seconds, got " +
                            std::to_string(progress_interval));
}

// ---- Impl ----------------------------------------------------------------------------------

struct MonteCarlo::Impl {
  std::shared_ptr<const Model> model;
  MonteCarloOptions options;
  std::vector<SparseDemand> demands;
  Index n = 0, m = 0, k = 0, d = 0;

  bool sample_a = false;
  std::vector<Index> active;  // activities upstream of the demands (sorted)
  Index solve_n = 0;          // solve space: active (sampled A) or all activities (fixed A)
  std::vector<Index> solve_of;  // activity -> solve space index, -1 outside
  CscMatrix a_solve;            // A in the solve space, reference values
  std::shared_ptr<const SymbolicAnalysis> symbolic;
  Eigen::MatrixXd F;            // demands in the solve space (solve_n x d)
  Eigen::MatrixXd S_fixed;      // fixed-A mode: the supplies (n x d)

  // A: draws that own their slot land straight in the worker's values; draws that share a
  // slot (with fixed entries or other draws) land in xa and are added to the slot's fixed sum.
  Draws da, da_shared, db, dc;
  std::vector<Index> a_shared_at;  // per shared draw: slot in a_solve.values
  std::vector<Index> a_shared_slot;
  std::vector<double> a_shared_base;  // the fixed entries' sum at each shared slot

  FixedPart b_fixed;            // B's fixed part, columns in solve space
  DrawnPart b_drawn;            // B's draws (rows are flows, columns in solve space)
  FixedPart c_fixed;            // C's fixed part (k x m, by flow)
  DrawnPart c_drawn;            // C's draws (rows are categories, columns flows)

  Eigen::MatrixXd deterministic;  // k x d
  Eigen::MatrixXd inventory0;     // m x d

  std::mutex pool_mutex;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<Worker*> idle;
  double setup_seconds = 0.0;
  Index uncertain[3] = {0, 0, 0};

  void setup();
  std::unique_ptr<Worker> make_worker() const;

  // setup's steps, in order.
  using Samplers = std::vector<std::vector<std::optional<Sampler>>>;  // per matrix, per entry
  void check_setup() const;
  Eigen::MatrixXd dense_demands() const;
  Samplers make_samplers();
  std::vector<char> mark_upstream(const Eigen::MatrixXd& full_f);
  std::vector<Index> build_solve_space(const Eigen::MatrixXd& full_f);
  void plan_a_draws(const std::vector<std::optional<Sampler>>& samplers,
                    const std::vector<Index>& slot_map);
  void plan_b_draws(const std::vector<std::optional<Sampler>>& samplers,
                    const std::vector<char>& up, const std::vector<char>& flow_used);
  void plan_c_draws(const std::vector<std::optional<Sampler>>& samplers);
  void start_first_worker();
  Worker* acquire();
  void release(Worker* w);
  void restore(Worker& w) const;
  bool iterate(Worker& w, std::uint64_t iteration, bool deterministic) const;
  void inventory_and_scores(Worker& w, const Eigen::MatrixXd& supply) const;

  // run_table's steps.
  MonteCarloResult empty_table(Index iterations, Index first_iteration) const;
  std::vector<Chunk> make_chunks(std::size_t count, Index chunk) const;
  template <class Stop>
  void run_chunk(Chunk& c, Index first_iteration, MonteCarloResult& result,
                 const Stop& should_stop);
  void fill_report(MonteCarloResult& result, int threads);
};

// Setup, step by step: check, sample plans per matrix, the solve space, the first worker.
void MonteCarlo::Impl::setup() {
  const Model& M = *model;
  n = M.num_activities();
  m = M.num_flows();
  k = M.num_categories();
  d = static_cast<Index>(demands.size());
  check_setup();
  const Eigen::MatrixXd full_f = dense_demands();
  const Samplers samplers = make_samplers();
  const std::vector<char> up = mark_upstream(full_f);
  const MatrixData& TA = M.technosphere();
  for (std::size_t e = 0; e < samplers[0].size(); ++e)
    if (samplers[0][e] && up[TA.entries[e].col]) sample_a = true;
  const std::vector<Index> slot_map = build_solve_space(full_f);
  plan_a_draws(samplers[0], slot_map);
  // Flows that matter: characterised ones, or all for inventory statistics.
  const CscMatrix& C = M.C();
  std::vector<char> flow_used(static_cast<std::size_t>(m), 0);
  for (Index f = 0; f < m; ++f)
    flow_used[f] = options.inventory_statistics || C.col_ptr[f + 1] > C.col_ptr[f];
  plan_b_draws(samplers[1], up, flow_used);
  plan_c_draws(samplers[2]);
  start_first_worker();
}

void MonteCarlo::Impl::check_setup() const {
  if (n < 1) throw InvalidInputError("Monte Carlo: the model has no activities");
  if (d < 1) throw InvalidInputError("Monte Carlo: no demand given");
  if (!(options.sketch_accuracy > 0.0 && options.sketch_accuracy < 0.5))
    throw InvalidInputError("sketch_accuracy must lie in (0, 0.5)");
  if (options.sketch_bins < 2 || options.sketch_bins % 2 != 0 || options.sketch_bins > (1 << 20))
    throw InvalidInputError("sketch_bins must be even and in [2, 2^20]");
  options.validate();
}

// Demands: dense (n x d), checked as Lca checks them.
Eigen::MatrixXd MonteCarlo::Impl::dense_demands() const {
  Eigen::MatrixXd full_f = Eigen::MatrixXd::Zero(n, d);
  for (Index c = 0; c < d; ++c) {
    bool any = false;
    for (const auto& [index, amount] : demands[static_cast<std::size_t>(c)]) {
      if (index < 0 || index >= n)
        throw InvalidInputError("demand " + std::to_string(c) + " names activity " +
                                std::to_string(index) + ", out of range [0, " +
                                std::to_string(n) + ")");
      if (!std::isfinite(amount))
        throw InvalidInputError("demand " + std::to_string(c) + ": amount for activity " +
                                std::to_string(index) + " is not finite");
      full_f(index, c) += amount;
    }
    for (Index i = 0; i < n; ++i) any = any || full_f(i, c) != 0.0;
    if (!any) throw InvalidInputError("demand " + std::to_string(c) + " is empty: every amount is zero");
  }

  return full_f;
}

// Every uncertain entry of the matrices to be sampled is checked before anything runs; counts
// the uncertain entries of each matrix.
MonteCarlo::Impl::Samplers MonteCarlo::Impl::make_samplers() {
  const Model& M = *model;
  const bool sample[3] = {options.sample_technosphere, options.sample_biosphere,
                          options.sample_characterization};
  const MatrixKind kinds[3] = {MatrixKind::Technosphere, MatrixKind::Biosphere,
                               MatrixKind::Characterization};
  Samplers samplers(3);
  for (int q = 0; q < 3; ++q) {
    const MatrixData& md = M.data(kinds[q]);
    if (!md.has_uncertainty()) continue;
    samplers[q].resize(md.entries.size());
    for (std::size_t e = 0; e < md.entries.size(); ++e) {
      const Uncertainty& u = md.uncertainty[e];
      if (u.type <= 1) continue;
      ++uncertain[q];
      if (!sample[q]) continue;
      try {
        samplers[q][e].emplace(u, md.entries[e].amount);
      } catch (const InvalidInputError& err) {
        throw InvalidInputError(location(kinds[q], Index(e), md.entries[e]) + ": " + err.what());
      }
    }
  }

  return samplers;
}

// Activities upstream of the demands (kept in `active`): s is zero elsewhere whatever the
// values. Returns the mark per activity.
std::vector<char> MonteCarlo::Impl::mark_upstream(const Eigen::MatrixXd& full_f) {
  const CscMatrix& A = model->A();
  std::vector<char> up(static_cast<std::size_t>(n), 0);
  std::vector<Index> stack;
  for (Index c = 0; c < d; ++c)
    for (Index i = 0; i < n; ++i)
      if (full_f(i, c) != 0.0 && !up[i]) {
        up[i] = 1;
        stack.push_back(i);
      }
  while (!stack.empty()) {
    const Index j = stack.back();
    stack.pop_back();
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) {
      const Index i = A.row_idx[p];
      if (!up[i]) {
        up[i] = 1;
        stack.push_back(i);
      }
    }
  }
  for (Index i = 0; i < n; ++i)
    if (up[i]) active.push_back(i);
  return up;
}

// The solve space: the active activities (sampled A: its own symbolic analysis and demands) or
// all of them (fixed A: factorised once, each demand solved once, as Lca does). Returns the map
// from A's slots to a_solve's (-1 outside).
std::vector<Index> MonteCarlo::Impl::build_solve_space(const Eigen::MatrixXd& full_f) {
  const CscMatrix& A = model->A();
  solve_of.assign(static_cast<std::size_t>(n), -1);
  std::vector<Index> slot_map(A.row_idx.size(), -1);  // A slot -> slot in a_solve
  if (sample_a) {
    solve_n = static_cast<Index>(active.size());
    for (Index t = 0; t < solve_n; ++t) solve_of[active[t]] = t;
    a_solve.rows = a_solve.cols = solve_n;
    a_solve.col_ptr.assign(static_cast<std::size_t>(solve_n) + 1, 0);
    for (Index t = 0; t < solve_n; ++t) {
      const Index j = active[t];
      for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) {
        slot_map[p] = a_solve.nnz();
        a_solve.row_idx.push_back(solve_of[A.row_idx[p]]);
        a_solve.values.push_back(A.values[p]);
      }
      a_solve.col_ptr[t + 1] = a_solve.nnz();
    }
    symbolic = SymbolicAnalysis::create(a_solve, options.factorization);
    F.resize(solve_n, d);
    for (Index t = 0; t < solve_n; ++t) F.row(t) = full_f.row(active[t]);
  } else {
    solve_n = n;
    for (Index i = 0; i < n; ++i) solve_of[i] = i;
    // As Lca does: factorise A, solve each demand once.
    Factorization fact(A, options.factorization);
    S_fixed.resize(n, d);
    for (Index c = 0; c < d; ++c) {
      Eigen::VectorXd x = full_f.col(c);
      fact.solve_in_place({x.data(), static_cast<std::size_t>(n)});
      S_fixed.col(c) = x;
    }
  }

  return slot_map;
}

// A draws: entries upstream, sole owners of their slot first; shared slots restart each
// iteration from the sum of their fixed entries.
void MonteCarlo::Impl::plan_a_draws(const std::vector<std::optional<Sampler>>& samplers,
                                    const std::vector<Index>& slot_map) {
  const MatrixData& TA = model->technosphere();
  da.kind = MatrixKind::Technosphere;
  if (sample_a) {
    std::vector<int> contributors(a_solve.row_idx.size(), 0);
    std::vector<char> slot_sampled(a_solve.row_idx.size(), 0);
    for (std::size_t e = 0; e < TA.entries.size(); ++e) {
      const Index s = slot_map[TA.slots[e]];
      if (s < 0) continue;
      ++contributors[s];
      if (e < samplers.size() && samplers[e]) slot_sampled[s] = 1;
    }
    std::vector<Index> sole, shared;
    for (std::size_t e = 0; e < samplers.size(); ++e) {
      if (!samplers[e]) continue;
      const Index s = slot_map[TA.slots[e]];
      if (s < 0) continue;
      (contributors[s] == 1 ? sole : shared).push_back(Index(e));
    }
    // Sole draws in slot order: each lands alone in its slot, so their order changes no bit,
    // and the batch's writes into the values run forward through memory.
    std::sort(sole.begin(), sole.end(),
              [&](Index x, Index y) { return slot_map[TA.slots[x]] < slot_map[TA.slots[y]]; });
    da_shared.kind = MatrixKind::Technosphere;
    for (Index e : sole) da.add(e, TA.entries[e], *samplers[e], slot_map[TA.slots[e]]);
    for (Index e : shared) {
      da_shared.add(e, TA.entries[e], *samplers[e], da_shared.size());
      a_shared_at.push_back(slot_map[TA.slots[e]]);
    }
    // Shared slots restart each iteration from the sum of their fixed entries.
    std::vector<double> base(a_solve.row_idx.size(), 0.0);
    for (std::size_t e = 0; e < TA.entries.size(); ++e) {
      const Index s = slot_map[TA.slots[e]];
      if (s < 0 || !slot_sampled[s]) continue;
      if (e < samplers.size() && samplers[e]) continue;
      base[s] += TA.entries[e].value();
    }
    for (std::size_t s = 0; s < base.size(); ++s)
      if (slot_sampled[s] && contributors[s] > 1) {
        a_shared_slot.push_back(Index(s));
        a_shared_base.push_back(base[s]);
      }
  }

}

// B: drawn entries (upstream, used flows); fixed part over the solve space.
void MonteCarlo::Impl::plan_b_draws(const std::vector<std::optional<Sampler>>& samplers,
                                    const std::vector<char>& up,
                                    const std::vector<char>& flow_used) {
  const Model& M = *model;
  const MatrixData& TB = M.biosphere();
  db.kind = MatrixKind::Biosphere;
  std::vector<char> b_slot_sampled(M.B().row_idx.size(), 0);
  for (std::size_t e = 0; e < samplers.size(); ++e) {
    if (!samplers[e]) continue;
    const Entry& en = TB.entries[e];
    b_slot_sampled[TB.slots[e]] = 1;
    if (!up[en.col] || !flow_used[en.row]) continue;
    db.add(Index(e), en, *samplers[e], db.size());
    b_drawn.add(en.row, solve_of[en.col]);
  }
  {
    // Slots without drawn entries keep the model's value (summed as the model summed it);
    // slots with drawn entries keep the sum of their fixed entries.
    const CscMatrix& B = M.B();
    std::vector<double> fixed_sum(B.row_idx.size(), 0.0);
    std::vector<char> has_fixed(B.row_idx.size(), 0);
    for (std::size_t e = 0; e < TB.entries.size(); ++e) {
      const Index s = TB.slots[e];
      if (!b_slot_sampled[s] || (e < samplers.size() && samplers[e])) continue;
      fixed_sum[s] += TB.entries[e].value();
      has_fixed[s] = 1;
    }
    for (Index t = 0; t < solve_n; ++t) {
      const Index j = sample_a ? active[t] : t;
      for (Index p = B.col_ptr[j]; p < B.col_ptr[j + 1]; ++p) {
        const Index f = B.row_idx[p];
        if (!flow_used[f]) continue;
        if (b_slot_sampled[p] && !has_fixed[p]) continue;
        b_fixed.row.push_back(f);
        b_fixed.val.push_back(b_slot_sampled[p] ? fixed_sum[p] : B.values[p]);
      }
      b_fixed.ptr.push_back(static_cast<Index>(b_fixed.row.size()));
    }
  }

}

// C: drawn entries of used flows (all of them); fixed part by flow.
void MonteCarlo::Impl::plan_c_draws(const std::vector<std::optional<Sampler>>& samplers) {
  const Model& M = *model;
  const CscMatrix& C = M.C();
  const MatrixData& TC = M.characterization();
  dc.kind = MatrixKind::Characterization;
  std::vector<char> c_slot_sampled(C.row_idx.size(), 0);
  for (std::size_t e = 0; e < samplers.size(); ++e) {
    if (!samplers[e]) continue;
    const Entry& en = TC.entries[e];
    c_slot_sampled[TC.slots[e]] = 1;
    dc.add(Index(e), en, *samplers[e], dc.size());
    c_drawn.add(en.row, en.col);
  }
  {
    std::vector<double> fixed_sum(C.row_idx.size(), 0.0);
    std::vector<char> has_fixed(C.row_idx.size(), 0);
    for (std::size_t e = 0; e < TC.entries.size(); ++e) {
      const Index s = TC.slots[e];
      if (!c_slot_sampled[s] || (e < samplers.size() && samplers[e])) continue;
      fixed_sum[s] += TC.entries[e].value();
      has_fixed[s] = 1;
    }
    for (Index f = 0; f < m; ++f) {
      for (Index p = C.col_ptr[f]; p < C.col_ptr[f + 1]; ++p) {
        if (c_slot_sampled[p] && !has_fixed[p]) continue;
        c_fixed.row.push_back(C.row_idx[p]);
        c_fixed.val.push_back(c_slot_sampled[p] ? fixed_sum[p] : C.values[p]);
      }
      c_fixed.ptr.push_back(static_cast<Index>(c_fixed.row.size()));
    }
  }

}

// The first worker: factorises the deterministic A (SingularMatrixError here, not mid-run)
// and gives the deterministic scores.
void MonteCarlo::Impl::start_first_worker() {
  auto w = make_worker();
  db.fill(true, 0, 0, w->xb.data(), w->scratch);
  dc.fill(true, 0, 0, w->xc.data(), w->scratch);
  if (sample_a) {
    w->X = F;
    w->factorization->solve_many_in_place(w->X);
    inventory_and_scores(*w, w->X);
  } else {
    inventory_and_scores(*w, S_fixed);
  }
  deterministic = w->H;
  inventory0 = w->G;
  idle.push_back(w.get());
  workers.push_back(std::move(w));
}

std::unique_ptr<Worker> MonteCarlo::Impl::make_worker() const {
  auto w = std::make_unique<Worker>();
  if (sample_a) {
    w->factorization.emplace(symbolic);
    w->factorization->factorize(a_solve.values);
    w->values = a_solve.values;
    w->X.resize(solve_n, d);
  }
  w->G.resize(m, d);
  w->H.resize(k, d);
  w->xa.resize(static_cast<std::size_t>(da_shared.size()));
  w->xb.resize(static_cast<std::size_t>(db.size()));
  w->xc.resize(static_cast<std::size_t>(dc.size()));
  w->scratch.resize(512);
  return w;
}

Worker* MonteCarlo::Impl::acquire() {
  {
    std::lock_guard<std::mutex> lock(pool_mutex);
    if (!idle.empty()) {
      Worker* w = idle.back();
      idle.pop_back();
      return w;
    }
  }
  auto fresh = make_worker();  // first use on this thread: allocates once
  Worker* w = fresh.get();
  std::lock_guard<std::mutex> lock(pool_mutex);
  w->at_run_start = w->factorization ? w->factorization->report() : FactorizationReport{};
  workers.push_back(std::move(fresh));
  return w;
}

void MonteCarlo::Impl::release(Worker* w) {
  std::lock_guard<std::mutex> lock(pool_mutex);
  idle.push_back(w);
}

// Back to the pivot order of the deterministic A, so that the next iteration's rounding does
// not depend on which iterations this worker ran before.
void MonteCarlo::Impl::restore(Worker& w) const {
  w.factorization->factorize(a_solve.values);
  ++w.restores;
}

void MonteCarlo::Impl::inventory_and_scores(Worker& w, const Eigen::MatrixXd& supply) const {
  for (Index c = 0; c < d; ++c) {
    double* g = w.G.col(c).data();
    const double* s = supply.col(c).data();
    std::fill(g, g + m, 0.0);
    for (Index t = 0; t < solve_n; ++t) {
      const double st = s[t];
      if (st == 0.0) continue;
      for (Index p = b_fixed.ptr[t]; p < b_fixed.ptr[t + 1]; ++p) g[b_fixed.row[p]] += b_fixed.val[p] * st;
    }
    b_drawn.multiply_add(w.xb.data(), s, g);
    double* h = w.H.col(c).data();
    std::fill(h, h + k, 0.0);
    for (Index f = 0; f < m; ++f) {
      const double gf = g[f];
      if (gf == 0.0) continue;
      for (Index p = c_fixed.ptr[f]; p < c_fixed.ptr[f + 1]; ++p) h[c_fixed.row[p]] += c_fixed.val[p] * gf;
    }
    c_drawn.multiply_add(w.xc.data(), g, h);
  }
}

bool MonteCarlo::Impl::iterate(Worker& w, std::uint64_t it, bool deterministic) const {
  const std::uint64_t seed = options.seed;
  const auto t0 = Clock::now();
  if (sample_a) {
    double* v = w.values.data();
    da.fill(deterministic, seed, it, v, w.scratch);
    da_shared.fill(deterministic, seed, it, w.xa.data(), w.scratch);
    for (std::size_t i = 0; i < a_shared_slot.size(); ++i) v[a_shared_slot[i]] = a_shared_base[i];
    for (std::size_t i = 0; i < a_shared_at.size(); ++i) v[a_shared_at[i]] += w.xa[i];
    auto t1 = Clock::now();
    w.t_sample += std::chrono::duration<double>(t1 - t0).count();
    const long fallbacks = w.factorization->report().refactor_fallbacks;
    bool ok = true;
    try {
      w.factorization->refactor(w.values);
    } catch (const Error&) {
      ok = false;  // singular: no usable pivots even after a fresh factorisation
    }
    auto t2 = Clock::now();
    w.t_factor += std::chrono::duration<double>(t2 - t1).count();
    if (ok) {
      w.X = F;
      try {
        w.factorization->solve_many_in_place(w.X);
      } catch (const Error&) {
        ok = false;  // ill-conditioned: the residual stayed above tolerance
      }
    }
    auto t3 = Clock::now();
    w.t_solve += std::chrono::duration<double>(t3 - t2).count();
    if (!ok || w.factorization->report().refactor_fallbacks != fallbacks) {
      restore(w);
      w.t_factor += since(t3);
    }
    if (!ok) return false;
  }
  auto tb = Clock::now();
  db.fill(deterministic, seed, it, w.xb.data(), w.scratch);
  dc.fill(deterministic, seed, it, w.xc.data(), w.scratch);
  auto tc = Clock::now();
  w.t_sample += std::chrono::duration<double>(tc - tb).count();
  inventory_and_scores(w, sample_a ? w.X : S_fixed);
  w.t_score += since(tc);
  return true;
}

// ---- MonteCarlo ------------------------------------------------------------------------------

MonteCarlo::MonteCarlo(std::shared_ptr<const Model> model, std::vector<SparseDemand> demands,
                       const MonteCarloOptions& options)
    : impl_(std::make_unique<Impl>()) {
  const auto t0 = Clock::now();
  if (!model) throw InvalidInputError("Monte Carlo needs a model");
  impl_->model = std::move(model);
  impl_->options = options;
  impl_->demands = std::move(demands);
  impl_->setup();
  impl_->setup_seconds = since(t0);
}

MonteCarlo::MonteCarlo(std::shared_ptr<const Model> model, const SparseDemand& demand,
                       const MonteCarloOptions& options)
    : MonteCarlo(std::move(model), std::vector<SparseDemand>{demand}, options) {}

MonteCarlo::~MonteCarlo() = default;

const Model& MonteCarlo::model() const { return *impl_->model; }
const MonteCarloOptions& MonteCarlo::options() const { return impl_->options; }
Index MonteCarlo::num_demands() const { return impl_->d; }
Index MonteCarlo::num_active() const { return static_cast<Index>(impl_->active.size()); }
const Eigen::MatrixXd& MonteCarlo::deterministic_scores() const { return impl_->deterministic; }

MonteCarloResult MonteCarlo::run(Index iterations, Index first_iteration,
                                 const ProgressFunction& progress,
                                 const std::atomic<bool>* stop) {
  const Impl& I = *impl_;
  check_run(I.options, iterations, first_iteration, I.k, I.d, I.m);
  if (I.options.keep_scores) return run_table(iterations, first_iteration, progress, stop);
  return run_streaming(iterations, first_iteration, progress, stop);
}

MonteCarloResult MonteCarlo::run_streaming(Index iterations, Index first_iteration,
                                           const ProgressFunction& progress,
                                           const std::atomic<bool>* stop) {
  const Impl& I = *impl_;
  const auto t0 = Clock::now();
  MonteCarloResult total;
  total.first_iteration = first_iteration;
  total.requested = iterations;
  for (Index c = 0; c < I.d; ++c) {
    total.scores.emplace_back(0, I.k);
    total.score_statistics.emplace_back(I.deterministic.col(c), I.options.sketch_accuracy,
                                        I.options.sketch_bins);
    if (I.options.inventory_statistics)
      total.inventory.emplace_back(I.inventory0.col(c), I.options.sketch_accuracy,
                                   I.options.sketch_bins);
  }
  const Index block = I.options.stream_block > 0
                          ? I.options.stream_block
                          : std::max<Index>(1, kStreamBlockScores / std::max<Index>(1, I.k * I.d));
  check_memory(8.0 * double(std::min(block, iterations)) * double(std::max<Index>(I.k, 1)) *
                   double(I.d),
               "Monte Carlo: a block of " + std::to_string(block) + " iterations' scores",
               "use a smaller stream_block");
  Index done = 0;
  bool stopped = false;  // the callback asked to stop (perhaps in a block's final call)
  ProgressFunction inner;
  if (progress)
    inner = [&](const MonteCarloProgress& p) {
      const bool go = progress(MonteCarloProgress{done + p.completed, iterations, since(t0)});
      stopped = stopped || !go;
      return go;
    };
  do {
    const Index count = std::min(block, iterations - done);
    MonteCarloResult part = run_table(count, first_iteration + done, inner, stop);
    fold_block(total, part);
    done += part.completed;
    if (part.cancelled) break;
  } while (done < iterations && !stopped && !(stop != nullptr && stop->load()));
  total.completed = done;
  total.cancelled = done < iterations;
  total.report.seconds = since(t0);
  return total;
}

// ---- run_table's steps --------------------------------------------------------------------

// The result before any iteration: every score NaN until its iteration succeeds.
MonteCarloResult MonteCarlo::Impl::empty_table(Index iterations, Index first_iteration) const {
  MonteCarloResult result;
  result.first_iteration = first_iteration;
  result.requested = iterations;
  result.scores.assign(static_cast<std::size_t>(d), Eigen::MatrixXd::Constant(iterations, k, kNaN));
  if (options.inventory_statistics)
    for (Index c = 0; c < d; ++c)
      result.inventory.emplace_back(inventory0.col(c), options.sketch_accuracy, options.sketch_bins);
  return result;
}

// The pipeline's tokens: `count` chunks of up to `chunk` iterations, allocated once per run.
std::vector<Chunk> MonteCarlo::Impl::make_chunks(std::size_t count, Index chunk) const {
  std::vector<Chunk> chunks(count);
  for (Chunk& c : chunks) {
    c.ok.resize(static_cast<std::size_t>(chunk));
    if (options.inventory_statistics) c.inventory.resize(static_cast<std::size_t>(chunk * d * m));
  }
  return chunks;
}

// The pipeline's parallel stage: the chunk's iterations on one worker, scores straight into
// the table (each row written by one thread), inventories into the chunk for the in-order
// stage; stops between iterations when asked.
template <class Stop>
void MonteCarlo::Impl::run_chunk(Chunk& t, Index first_iteration, MonteCarloResult& result,
                                 const Stop& should_stop) {
  if (should_stop()) return;
  Worker* w = acquire();
  struct Release {
    Impl& I;
    Worker* w;
    ~Release() { I.release(w); }
  } guard{*this, w};
  const bool stats = options.inventory_statistics;
  for (Index i = t.begin; i < t.end; ++i) {
    if (should_stop()) break;
    const bool ok = iterate(*w, static_cast<std::uint64_t>(i), false);
    const Index row = i - first_iteration;
    const std::size_t local = static_cast<std::size_t>(i - t.begin);
    t.ok[local] = ok;
    if (ok) {
      for (Index c = 0; c < d; ++c)
        result.scores[static_cast<std::size_t>(c)].row(row) = w->H.col(c).transpose();
      if (stats)
        std::copy(w->G.data(), w->G.data() + m * d,
                  t.inventory.data() + local * static_cast<std::size_t>(m * d));
    }
    t.done_end = i + 1;
  }
}

// The run's report (all but the wall time): sizes, counts and the workers' timings and
// factorisation counters since the run started (the timings restart from zero).
void MonteCarlo::Impl::fill_report(MonteCarloResult& result, int threads) {
  MonteCarloReport& r = result.report;
  r.activities = solve_n;
  for (int q = 0; q < 3; ++q) r.uncertain_entries[q] = uncertain[q];
  r.sampled_entries[0] = da.size() + da_shared.size();
  r.sampled_entries[1] = db.size();
  r.sampled_entries[2] = dc.size();
  r.threads = threads;
  r.iterations = result.completed;
  r.failed = static_cast<Index>(result.failed.size());
  r.setup_seconds = setup_seconds;
  for (auto& w : workers) {
    r.sample_seconds += w->t_sample;
    r.factor_seconds += w->t_factor;
    r.solve_seconds += w->t_solve;
    r.score_seconds += w->t_score;
    w->t_sample = w->t_factor = w->t_solve = w->t_score = 0.0;
    if (w->factorization) {
      const FactorizationReport& now = w->factorization->report();
      r.factorizations += now.factorizations - w->at_run_start.factorizations;
      r.refactors += now.refactors - w->at_run_start.refactors;
      r.refactor_fallbacks += now.refactor_fallbacks - w->at_run_start.refactor_fallbacks;
      r.refinements += now.refinements - w->at_run_start.refinements;
    }
  }
  r.workers = static_cast<int>(workers.size());
}

MonteCarloResult MonteCarlo::run_table(Index iterations, Index first_iteration,
                                       const ProgressFunction& progress,
                                       const std::atomic<bool>* stop) {
  Impl& I = *impl_;
  if (iterations < 0) throw InvalidInputError("iterations must be >= 0");
  if (first_iteration < 0) throw InvalidInputError("first_iteration must be >= 0");
  if (static_cast<std::uint64_t>(first_iteration) + static_cast<std::uint64_t>(iterations) >
      RandomStream::kMaxIteration + 1)
    throw InvalidInputError("iterations beyond 2^40 are not supported");
  const auto t0 = Clock::now();

  MonteCarloResult result = I.empty_table(iterations, first_iteration);

  const int threads = I.options.threads > 0 ? I.options.threads : tbb::info::default_concurrency();
  Index chunk = I.options.chunk;
  if (chunk == 0) chunk = std::clamp<Index>(iterations / (8 * Index(threads)), 1, 8);
  const Index chunks = (iterations + chunk - 1) / chunk;
  const std::size_t ntokens = static_cast<std::size_t>(std::max<Index>(1, std::min<Index>(chunks, 2 * threads + 1)));
  const bool stats = I.options.inventory_statistics;

  std::vector<Chunk> tokens = I.make_chunks(ntokens, chunk);
  for (auto& w : I.workers)
    if (w->factorization) w->at_run_start = w->factorization->report();

  std::atomic<bool> stopping{false};
  auto should_stop = [&] {
    return stopping.load(std::memory_order_relaxed) ||
           (stop != nullptr && stop->load(std::memory_order_relaxed));
  };
  // Progress reports the iterations finished in order (the prefix the output filter has
  // taken), not every finished one: what a stop at that moment keeps at least. Iterations
  // finished ahead of an unfinished one are not counted until it finishes.
  Index prefix = first_iteration;
  std::atomic<Index> kept{0};
  auto report = [&] {
    MonteCarloProgress p{kept.load(), iterations, since(t0)};
    if (!progress(p)) stopping.store(true);
  };

  Index next = first_iteration;
  const Index end = first_iteration + iterations;
  std::size_t issued = 0;
  bool broken = false;

  // More threads than cores was asked for: let oneTBB's pool grow for this run (the default
  // pool has one worker fewer than cores and would ignore the request).
  std::optional<tbb::global_control> allow;
  if (threads > tbb::info::default_concurrency())
    allow.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  auto run_pipeline = [&] { arena.execute([&] {
    tbb::parallel_pipeline(
        ntokens,
        tbb::make_filter<void, Chunk*>(
            tbb::filter_mode::serial_in_order,
            [&](tbb::flow_control& fc) -> Chunk* {
              if (next >= end || should_stop()) {
                fc.stop();
                return nullptr;
              }
              Chunk* t = &tokens[issued++ % ntokens];
              t->begin = next;
              t->end = std::min(end, next + chunk);
              t->done_end = t->begin;
              next = t->end;
              return t;
            }) &
            tbb::make_filter<Chunk*, Chunk*>(
                tbb::filter_mode::parallel,
                [&](Chunk* t) -> Chunk* {
                  I.run_chunk(*t, first_iteration, result, should_stop);
                  return t;
                }) &
            tbb::make_filter<Chunk*, void>(
                tbb::filter_mode::serial_in_order, [&](Chunk* t) {
                  if (broken) return;
                  for (Index i = t->begin; i < t->done_end; ++i) {
                    const std::size_t local = static_cast<std::size_t>(i - t->begin);
                    if (!t->ok[local]) {
                      result.failed.push_back(i);
                    } else if (stats) {
                      const double* g = t->inventory.data() + local * static_cast<std::size_t>(I.m * I.d);
                      for (Index c = 0; c < I.d; ++c) result.inventory[static_cast<std::size_t>(c)].add(g + c * I.m);
                    }
                  }
                  prefix = t->done_end;
                  kept.store(prefix - first_iteration);
                  if (t->done_end < t->end) broken = true;
                }));
  }); };
  if (progress) {
    report();  // once before the first iteration: completed = 0; false stops before any
    run_watched(run_pipeline, report, stopping, I.options.progress_interval);
  }
  else
    run_pipeline();

  result.completed = prefix - first_iteration;
  result.cancelled = result.completed < iterations;
  if (result.cancelled)
    for (auto& s : result.scores) s.conservativeResize(result.completed, I.k);

  I.fill_report(result, threads);
  result.report.seconds = since(t0);
  if (progress) {
    MonteCarloProgress p{result.completed, iterations, result.report.seconds};
    progress(p);
  }
  return result;
}

Model with_uncertainty(const Model& model, MatrixKind kind, std::vector<Uncertainty> uncertainty) {
  const MatrixData& target = model.data(kind);
  if (!uncertainty.empty() && uncertainty.size() != target.entries.size())
    throw InvalidInputError(std::string("with_uncertainty: ") + std::to_string(uncertainty.size()) +
                            " uncertainties for the " + std::to_string(target.entries.size()) +
                            " entries of the " + to_string(kind) + " matrix");
  ModelBuilder b(model.num_activities(), model.num_flows(), model.num_categories());
  for (MatrixKind k : {MatrixKind::Technosphere, MatrixKind::Biosphere, MatrixKind::Characterization}) {
    const MatrixData& md = model.data(k);
    const bool replace = k == kind;
    const bool has = replace ? !uncertainty.empty() : md.has_uncertainty();
    b.reserve(k, md.entries.size());
    for (std::size_t e = 0; e < md.entries.size(); ++e) {
      if (has)
        b.add(k, md.entries[e], replace ? uncertainty[e] : md.uncertainty[e]);
      else
        b.add(k, md.entries[e].row, md.entries[e].col, md.entries[e].amount, md.entries[e].flip);
    }
  }
  if (!model.activities().empty()) b.set_activities(model.activities());
  if (!model.flows().empty()) b.set_flows(model.flows());
  if (!model.categories().empty()) b.set_categories(model.categories());
  return b.build();
}

// ---- results -----------------------------------------------------------------------------

std::string MonteCarloReport::brief() const {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "mc %lld it in %.3f s (%.1f it/s, %d threads) active=%lld sampled A=%lld B=%lld "
                "C=%lld failed=%lld | thread-s: sample %.3f factor %.3f solve %.3f score %.3f | "
                "refactors=%ld fallbacks=%ld factorizations=%ld refinements=%ld setup=%.3f s",
                static_cast<long long>(iterations), seconds, iterations_per_second(), threads,
                static_cast<long long>(activities), static_cast<long long>(sampled_entries[0]),
                static_cast<long long>(sampled_entries[1]),
                static_cast<long long>(sampled_entries[2]), static_cast<long long>(failed),
                sample_seconds, factor_seconds, solve_seconds, score_seconds, refactors,
                refactor_fallbacks, factorizations, refinements, setup_seconds);
  return buf;
}

ScoreSummary summarize_scores(const Eigen::MatrixXd& scores, const std::vector<double>& levels) {
  for (double q : levels)
    if (!(q >= 0.0 && q <= 1.0))
      throw InvalidInputError("quantile level must lie in [0, 1], got " + std::to_string(q));
  ScoreSummary s;
  s.levels = levels;
  const Index k = scores.cols();
  std::vector<Index> rows;
  for (Index i = 0; i < scores.rows(); ++i)
    if (!scores.row(i).hasNaN()) rows.push_back(i);
  const Index n = static_cast<Index>(rows.size());
  s.count = n;
  s.mean = s.std = s.min = s.max = Eigen::VectorXd::Constant(k, kNaN);
  s.quantiles = Eigen::MatrixXd::Constant(k, static_cast<Index>(levels.size()), kNaN);
  std::vector<double> x(static_cast<std::size_t>(n));
  for (Index q = 0; q < k; ++q) {
    if (n == 0) continue;
    for (Index r = 0; r < n; ++r) x[static_cast<std::size_t>(r)] = scores(rows[r], q);
    double sum = 0.0;
    for (double v : x) sum += v;
    const double mean = sum / double(n);
    double ss = 0.0;
    for (double v : x) ss += (v - mean) * (v - mean);
    s.mean[q] = mean;
    s.std[q] = n > 1 ? std::sqrt(ss / double(n - 1)) : kNaN;
    std::sort(x.begin(), x.end());
    s.min[q] = x.front();
    s.max[q] = x.back();
    for (std::size_t l = 0; l < levels.size(); ++l) {
      const double h = double(n - 1) * levels[l];
      const auto lo = static_cast<std::size_t>(std::floor(h));
      const std::size_t hi = std::min(lo + 1, x.size() - 1);
      s.quantiles(q, static_cast<Index>(l)) = x[lo] + (h - double(lo)) * (x[hi] - x[lo]);
    }
  }
  return s;
}

namespace {
void need_scores(const MonteCarloResult& r, const char* what) {
  if (!r.scores_kept())
    throw InvalidInputError(std::string(what) + " needs every iteration's scores: run with "
                            "keep_scores = true");
}
}  // namespace

ScoreSummary summarize_statistics(const FlowStatistics& st, const std::vector<double>& levels) {
  ScoreSummary s;
  s.levels = levels;
  s.count = st.count();
  s.mean = st.mean();
  s.std = st.std();
  s.min = st.min();
  s.max = st.max();
  s.quantiles.resize(st.flows(), static_cast<Index>(levels.size()));
  for (std::size_t l = 0; l < levels.size(); ++l)
    s.quantiles.col(static_cast<Index>(l)) = st.quantile(levels[l]);
  return s;
}

Eigen::MatrixXd MonteCarloResult::difference(Index a, Index b) const {
  need_scores(*this, "difference");
  if (a < 0 || b < 0 || a >= num_demands() || b >= num_demands())
    throw InvalidInputError("difference: demand index out of range");
  return scores[static_cast<std::size_t>(a)] - scores[static_cast<std::size_t>(b)];
}

Eigen::VectorXd MonteCarloResult::probability_less(Index a, Index b) const {
  need_scores(*this, "probability_less");
  if (a < 0 || b < 0 || a >= num_demands() || b >= num_demands())
    throw InvalidInputError("probability_less: demand index out of range");
  const Eigen::MatrixXd& sa = scores[static_cast<std::size_t>(a)];
  const Eigen::MatrixXd& sb = scores[static_cast<std::size_t>(b)];
  Eigen::VectorXd out(sa.cols());
  for (Index q = 0; q < sa.cols(); ++q) {
    Index less = 0, valid = 0;
    for (Index i = 0; i < sa.rows(); ++i) {
      if (std::isnan(sa(i, q)) || std::isnan(sb(i, q))) continue;
      ++valid;
      less += sa(i, q) < sb(i, q);
    }
    out[q] = valid > 0 ? double(less) / double(valid) : kNaN;
  }
  return out;
}

void MonteCarloResult::append(const MonteCarloResult& next) {
  if (next.first_iteration != first_iteration + completed)
    throw InvalidInputError("append: the next piece starts at iteration " +
                            std::to_string(next.first_iteration) + ", expected " +
                            std::to_string(first_iteration + completed));
  if (next.scores.size() != scores.size() || next.inventory.size() != inventory.size())
    throw InvalidInputError("append: pieces of runs with different demands or options");
  if (next.score_statistics.size() != score_statistics.size())
    throw InvalidInputError(
        "append: one piece kept its scores and the other did not (keep_scores)");
  for (std::size_t c = 0; c < score_statistics.size(); ++c)
    score_statistics[c].merge(next.score_statistics[c]);
  for (std::size_t c = 0; c < scores.size() && scores_kept(); ++c) {
    if (next.scores[c].cols() != scores[c].cols())
      throw InvalidInputError("append: different numbers of categories");
    Eigen::MatrixXd joined(completed + next.completed, scores[c].cols());
    joined.topRows(completed) = scores[c].topRows(completed);
    joined.bottomRows(next.completed) = next.scores[c].topRows(next.completed);
    scores[c] = std::move(joined);
  }
  for (std::size_t c = 0; c < inventory.size(); ++c) inventory[c].merge(next.inventory[c]);
  failed.insert(failed.end(), next.failed.begin(), next.failed.end());
  completed += next.completed;
  requested += next.requested;
  cancelled = cancelled || next.cancelled;
  report.iterations += next.report.iterations;
  report.failed += next.report.failed;
  report.seconds += next.report.seconds;
}

}  // namespace hiili
