// hiili/monte_carlo.hpp: parallel, reproducible Monte Carlo uncertainty analysis.
//
// Every iteration draws a value for each uncertain entry of A, B and C (distributions.hpp),
// refactorises A on the fixed pattern, solves for the demands and computes the scores:
//
//   s = A(i)^-1 f      g = B(i) s      h = C(i) g       (i: the iteration's draws)
//
// What makes it fast:
//   - one symbolic analysis of A, shared; each worker thread (oneTBB) owns a numeric
//     factorisation and its buffers, and per iteration only writes the drawn values through
//     the model's entry -> slot map and refactors (no allocation inside the loop);
//   - only what the outputs need is drawn and factorised: the activities upstream of the
//     demands (s is zero elsewhere, so A's other columns and B's other columns cannot change a
//     score), and, unless inventory statistics are requested, only the B entries of flows that
//     some category characterises;
//   - lognormal and normal entries, the bulk of real data, are drawn in vectorised batches.
//
// Reproducibility: the draws of entry e in iteration i are a pure function of (seed, matrix,
// e, i) (Philox, counter-based), and results are stored by iteration index. Iteration i
// gives the same scores at any thread count and when a run is split into pieces (run(500, 0)
// then run(500, 500) equals run(1000, 0), bit for bit). Each worker refactorises on the pivot
// order of the deterministic A and restores it after any fallback, so no worker's history
// leaks into another iteration's rounding.
//
// Several demands in one engine share every draw (common random numbers): their difference
// and P(alternative a < alternative b) are then far tighter than from independent runs.
//
// Numerical honesty: an iteration whose sampled A is singular (or whose solve stays
// ill-conditioned after refinement) gets NaN scores and is listed in
// MonteCarloResult::failed; it is never dropped silently and never stops the run.
//
// Thread safety: a MonteCarlo object runs one run() at a time (it owns the workers). Distinct
// objects are independent. The Model is shared read-only.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "hiili/lca.hpp"
#include "hiili/model.hpp"
#include "hiili/solver.hpp"

namespace hiili {

struct MonteCarloOptions {
  std::uint64_t seed = 0;
  // Worker threads (a oneTBB task_arena of this size, the calling thread included);
  // 0 means oneTBB's default, every core this process may use. At most max_threads()
  // (limits.hpp: max(256, 8 x hardware threads)); InvalidInputError otherwise.
  int threads = 0;
  // Keep every iteration's scores (MonteCarloResult::scores, iterations x k per demand).
  // false: keep only streaming statistics of the scores (MonteCarloResult::score_statistics:
  // mean, std, min, max and sketch quantiles, as for inventory_statistics), in memory that
  // does not grow with the iterations. A run whose table of scores (iterations x k x demands
  // doubles) would not fit in memory_limit_bytes() throws InvalidInputError naming this option.
  bool keep_scores = true;
  // With keep_scores = false: iterations per block (0: about 4 million scores a block).
  // Results do not depend on it.
  Index stream_block = 0;
  // For the shared analysis and the per-thread refactorisations (backend, tolerances).
  FactorizationOptions factorization;
  // Draw this matrix's uncertain entries (false: keep them at their amounts).
  bool sample_technosphere = true;
  bool sample_biosphere = true;
  bool sample_characterization = true;
  // Streaming statistics of every inventory flow (mean, variance, min, max, quantiles) per
  // demand, without storing iterations x m. Draws every B entry upstream of the demands.
  bool inventory_statistics = false;
  // Quantile sketch of the inventory statistics: relative accuracy and bins per sign.
  double sketch_accuracy = 0.01;
  int sketch_bins = 1024;
  // Iterations per task (0: automatic), at most 2^20. Results do not depend on it.
  Index chunk = 0;
  // Seconds between progress callbacks, in [0, 86400] (0: about every millisecond).
  double progress_interval = 0.1;

  // InvalidInputError naming the first option out of range (MonteCarlo's constructor calls it;
  // the factorisation options are checked when the system is factorised).
  void validate() const;
};

// Streaming statistics of the m inventory flows of one demand over a run's iterations
// (failed iterations excluded). Mean and variance come from double-double sums, quantiles
// from a log-bucket sketch (as DDSketch): each flow's buckets are spaced by the ratio
// (1 + a) / (1 - a) around the deterministic value |g0| (a = sketch_accuracy), so a quantile
// is within relative error a of a true sample quantile while the values stay within
// |g0| gamma^(+-bins/2); values beyond land in the end buckets (min and max stay exact).
//
// Deterministic: iterations are added in iteration order whatever the thread count. Bucket
// counts are integers, so merged sketches are exact; merged means and variances agree with an
// unsplit run to about 1e-30 relative before the final rounding.
class FlowStatistics {
 public:
  FlowStatistics() = default;
  // `reference`: the deterministic inventory g0 (centres each flow's sketch).
  FlowStatistics(const Eigen::VectorXd& reference, double relative_accuracy, int bins);

  Index flows() const { return static_cast<Index>(reference_.size()); }
  Index count() const { return count_; }
  double relative_accuracy() const { return accuracy_; }

  // Adds one iteration's inventory (m values). Not thread-safe.
  void add(const double* inventory);
  // Adds the iterations of `other` (same flows, reference and sketch parameters; else
  // InvalidInputError).
  void merge(const FlowStatistics& other);

  Eigen::VectorXd mean() const;
  Eigen::VectorXd variance() const;  // sample variance (n - 1); NaN when count < 2
  Eigen::VectorXd std() const;
  Eigen::VectorXd min() const;
  Eigen::VectorXd max() const;
  // Quantile q in [0, 1] of every flow from the sketch (the lower nearest rank). NaN when
  // count is 0.
  Eigen::VectorXd quantile(double q) const;
  // Values that fell outside a flow's sketch range (their quantiles are only bounded by
  // min and max).
  Index out_of_range() const { return out_of_range_; }

  // Everything the statistics hold, to ship them between processes (Python pickling in
  // hiili.distributed); from_state is its inverse and checks the sizes (InvalidInputError).
  struct State {
    Eigen::VectorXd reference;  // |g0| per flow, as the constructor stored it
    double accuracy = 0.01;
    int bins = 0;
    Index count = 0, out_of_range = 0;
    std::vector<double> sum_hi, sum_lo, sq_hi, sq_lo, min, max;
    std::vector<std::uint32_t> counts;
  };
  State state() const;
  static FlowStatistics from_state(State state);

 private:
  int bucket(Index flow, double value, bool& clamped) const;
  double bucket_value(Index flow, int bucket) const;
  Eigen::VectorXd reference_;
  double accuracy_ = 0.01, log_gamma_ = 0.0;
  int bins_ = 0;  // per sign
  Index count_ = 0, out_of_range_ = 0;
  std::vector<double> sum_hi_, sum_lo_, sq_hi_, sq_lo_, min_, max_;
  // Per flow 2 * bins + 1 counts: negative values (largest magnitude first), zero, positive.
  std::vector<std::uint32_t> counts_;
};

// What a run did, for logs and benchmarks. Timings of the phases are summed over threads.
struct MonteCarloReport {
  Index activities = 0;           // activities upstream of the demands (the system solved)
  Index uncertain_entries[3] = {0, 0, 0};  // per matrix (A, B, C): entries with type > 1
  Index sampled_entries[3] = {0, 0, 0};    // per matrix: entries drawn per iteration
  int threads = 0;                // arena size
  int workers = 0;                // worker states in use (factorisations)
  Index iterations = 0;           // completed in this run
  Index failed = 0;               // singular or ill-conditioned iterations
  double seconds = 0.0;           // wall time of run()
  double setup_seconds = 0.0;     // constructor: validation, analysis, first factorisation
  double sample_seconds = 0.0;    // drawing and writing values
  double factor_seconds = 0.0;    // refactorisations
  double solve_seconds = 0.0;     // solves with residual checks
  double score_seconds = 0.0;     // g = B s, h = C g, statistics
  long factorizations = 0, refactors = 0, refactor_fallbacks = 0, refinements = 0;

  double iterations_per_second() const { return seconds > 0.0 ? iterations / seconds : 0.0; }
  // One line: "mc 1000 it in 0.91 s (1099 it/s, 2 threads) n=8012 sampled A=... ".
  std::string brief() const;
};

struct MonteCarloResult {
  Index first_iteration = 0;
  Index requested = 0;   // iterations asked for
  Index completed = 0;   // iterations first_iteration .. first_iteration + completed - 1 done
  bool cancelled = false;  // stopped early by the progress callback or the stop flag
  // One matrix per demand: completed x k, row r = iteration first_iteration + r.
  std::vector<Eigen::MatrixXd> scores;
  // Absolute iteration numbers whose A was singular or ill-conditioned (their scores are NaN).
  std::vector<Index> failed;
  // Per demand, when MonteCarloOptions::inventory_statistics is set.
  std::vector<FlowStatistics> inventory;
  // Per demand, when MonteCarloOptions::keep_scores is false: streaming statistics of the k
  // scores (the "flows" are the categories; failed iterations excluded; sketch centred on the
  // deterministic scores). `scores` then holds one 0 x k matrix per demand.
  std::vector<FlowStatistics> score_statistics;
  bool scores_kept() const { return score_statistics.empty(); }
  MonteCarloReport report;

  Index num_demands() const { return static_cast<Index>(scores.size()); }
  // scores[a] - scores[b] (completed x k): the paired differences under common random numbers.
  // InvalidInputError when the scores were not kept (keep_scores = false).
  Eigen::MatrixXd difference(Index a, Index b) const;
  // Per category, the fraction of successful iterations where demand a scores below demand b.
  // InvalidInputError when the scores were not kept.
  Eigen::VectorXd probability_less(Index a, Index b) const;
  // Appends the next piece of a split run (its first_iteration must be this one's
  // first_iteration + completed, same demands and categories); InvalidInputError otherwise.
  void append(const MonteCarloResult& next);
};

// Statistics of a sample of scores (iterations x k), skipping rows with NaN (failed
// iterations). Quantiles interpolate linearly between order statistics, as numpy.quantile's
// default does: h = (count - 1) q, x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
struct ScoreSummary {
  Index count = 0;                   // rows used
  std::vector<double> levels;        // the quantile levels asked for
  Eigen::VectorXd mean, std, min, max;  // per column; std with n - 1; NaN when undefined
  Eigen::MatrixXd quantiles;         // columns x levels
};
// Throws InvalidInputError for a level outside [0, 1].
ScoreSummary summarize_scores(const Eigen::MatrixXd& scores, const std::vector<double>& levels);
// The same summary from streaming statistics (MonteCarloResult::score_statistics): mean and
// std as summarize_scores gives them up to rounding, min and max exact, quantiles from the
// sketch (the lower nearest rank, within the sketch's relative accuracy).
ScoreSummary summarize_statistics(const FlowStatistics& statistics,
                                  const std::vector<double>& levels);

struct MonteCarloProgress {
  Index completed = 0;  // iterations finished in order so far: the prefix a stop now keeps
  Index total = 0;      // iterations requested
  double seconds = 0.0;
};
// Called on the thread that called run(): once before the first iteration (completed = 0),
// about every progress_interval seconds while the run goes on, and once at the end (completed
// = the result's). Return false to stop the run: in-flight iterations finish (within about one
// iteration's time) and run() returns the completed prefix, cancelled = true. `completed`
// counts only iterations with every earlier one finished (threads finish chunks out of order),
// so it never decreases and the result keeps at least the last `completed` reported.
using ProgressFunction = std::function<bool(const MonteCarloProgress&)>;

// A copy of `model` whose entries of matrix `kind` carry `uncertainty` (one per entry, in
// entry order; an empty vector removes it). For models read or built without uncertainty, or
// to try other distributions. Parameters are checked when a MonteCarlo is built, not here.
// Throws InvalidInputError when the size does not match the number of entries.
Model with_uncertainty(const Model& model, MatrixKind kind, std::vector<Uncertainty> uncertainty);

class MonteCarlo {
 public:
  // Validates everything up front so that a run never fails on input: demand indices and
  // amounts, and every uncertain entry's parameters of the matrices to be sampled
  // (InvalidInputError naming the matrix, the entry number, its row and column, and the
  // problem). Analyses the upstream part of A and factorises it once with every entry at its
  // amount (SingularMatrixError when that is singular).
  MonteCarlo(std::shared_ptr<const Model> model, std::vector<SparseDemand> demands,
             const MonteCarloOptions& options = {});
  MonteCarlo(std::shared_ptr<const Model> model, const SparseDemand& demand,
             const MonteCarloOptions& options = {});
  ~MonteCarlo();
  MonteCarlo(const MonteCarlo&) = delete;
  MonteCarlo& operator=(const MonteCarlo&) = delete;

  const Model& model() const;
  const MonteCarloOptions& options() const;
  Index num_demands() const;
  // Activities upstream of the demands (the size of the system refactorised per iteration).
  Index num_active() const;

  // Runs iterations first_iteration .. first_iteration + iterations - 1 (first_iteration +
  // iterations <= 2^40; with streaming statistics, keep_scores = false or
  // inventory_statistics, at most 2^32 - 1 iterations per result, the sketches' counters).
  // `stop`, when given, is polled between iterations like the progress callback's return
  // value. Exceptions other than a singular or ill-conditioned iteration (out of memory, a
  // throwing callback) stop the run and propagate. InvalidInputError, before anything runs,
  // when keep_scores is true and the table of scores would not fit in memory.
  //
  // With keep_scores = false the run goes in blocks of iterations (about 4 million scores
  // each); the statistics are added in iteration order, so they do not depend on the thread
  // count. The progress callback may then also be called at the end of each block.
  MonteCarloResult run(Index iterations, Index first_iteration = 0,
                       const ProgressFunction& progress = {},
                       const std::atomic<bool>* stop = nullptr);

  // The scores with every entry at its amount (k x d): Lca's result, bit for bit when A is not
  // sampled, else up to the rounding of the upstream system.
  const Eigen::MatrixXd& deterministic_scores() const;

 private:
  // One run with the table of scores (what run() does when keep_scores is true; with
  // keep_scores false, run() calls it block by block and folds each block into statistics).
  MonteCarloResult run_table(Index iterations, Index first_iteration,
                             const ProgressFunction& progress, const std::atomic<bool>* stop);
  MonteCarloResult run_streaming(Index iterations, Index first_iteration,
                                 const ProgressFunction& progress, const std::atomic<bool>* stop);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hiili
