// hiili/solver.hpp: sparse LU factorisation of the technosphere, with symbolic reuse.
//
// The workflow follows KLU: analyse a sparsity pattern once (ordering, block triangular
// form), factorize numerically, then refactor with new values on the same pattern as many
// times as needed (Monte Carlo, scenarios), and solve / solve_transposed / solve_many.
//
// Backends: KLU (default; BTF + AMD, the fastest for LCA's near-triangular systems),
// UMFPACK (multifrontal, calls BLAS: install OpenBLAS) and Eigen's SparseLU. Only this
// layer knows SuiteSparse and Eigen's solvers; everything above uses a Factorization.
//
// Numerical honesty: every solve computes the residual r = b - A x and its normwise backward
// error ||r||_inf / (||A||_inf ||x||_inf + ||b||_inf) (the size of the smallest perturbation of
// A and b for which x is exact), refines once when it is above `refine_tolerance` (a few
// hundred machine epsilons: pivot growth), and throws IllConditionedError when it is then
// still above `residual_tolerance`. A backward-stable LU keeps this near machine
// epsilon even for ill-conditioned A; the reciprocal condition estimate (rcond(),
// condition_estimate()) says how much that error can be amplified in x. Singular matrices throw
// SingularMatrixError naming the column (KLU) or the reciprocal condition estimate.
//
// Thread safety: a SymbolicAnalysis is immutable and may be shared by any number of threads.
// A Factorization is not thread-safe (solves write scratch space inside it): give each thread
// its own Factorization built on the shared analysis.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "hiili/sparse.hpp"

namespace hiili {

enum class Backend { Klu, Umfpack, Eigen };
const char* to_string(Backend backend);
// "klu", "umfpack", "eigen" (case-insensitive); throws InvalidInputError otherwise.
Backend backend_from_string(std::string_view name);

// KLU's fill-reducing ordering of each diagonal block of the BTF form. Amd: AMD with the
// amd_dense threshold below. Colamd: KLU's COLAMD (no symmetric structure assumed). Metis:
// METIS nested dissection of A + A^T (blocks of 3 or more; fixed seed, the same order every
// run). Auto: AMD, and on a block of 2,000 or more where AMD predicts over 10x the block's
// nonzeros in L also METIS, keeping the one whose predicted work (the Cholesky factor of
// A + A^T in that order) is lower; the report says which won.
enum class Ordering { Amd, Colamd, Metis, Auto };
const char* to_string(Ordering ordering);
// "amd", "colamd", "metis", "auto" (case-insensitive); throws InvalidInputError otherwise.
Ordering ordering_from_string(std::string_view name);

struct FactorizationOptions {
  Backend backend = Backend::Klu;
  Ordering ordering = Ordering::Amd;  // KLU's fill-reducing ordering of each block
  bool btf = true;                    // KLU: permute to block triangular form first
  // KLU with Ordering::Amd or Auto: AMD ignores rows/columns with more than amd_dense *
  // sqrt(n) entries (at least 16) in each block while ordering (they go last). AMD's own default
  // is 10; the market hubs of LCA systems stay just below that and make the ordering quadratic.
  // Negative: no row is dense. 0 (the default): chosen per block, 2 or 1, by how strongly
  // the rows between the two thresholds link to other hubs (1 where they do, on blocks of
  // 4,000 or more: a faster analysis for a little more fill); FactorizationReport::orderings
  // says what was chosen (docs/math.md).
  double amd_dense = 0.0;
  // Solves whose backward error (see above) exceeds refine_tolerance get one step of
  // iterative refinement; when it then still exceeds residual_tolerance they are rejected.
  double refine_tolerance = 1e-14;
  double residual_tolerance = 1e-9;
  // A factorisation whose reciprocal condition estimate is below this is singular.
  double singular_rcond = 1e-15;
  // KLU refactor keeps the first pivot order; when the new rcond estimate falls below this
  // fraction of the one at the last full factorisation, factorize afresh instead.
  double refactor_rcond_ratio = 1e-3;
  // KLU: refactor() runs a static-pivot kernel on the structure (pivot order, patterns of L
  // and U, row scale factors) of the last full factorisation instead of klu_refactor: no
  // search, no rescaling, and a large block's nearly full trailing columns (the market hubs)
  // factored dense with partial pivoting. A zero or tiny pivot, a multiplier above 1e8 or
  // pivot growth above 1e8 falls back to a full factorisation (counted in
  // refactor_fallbacks). Same values and same reference give the same bits. The structure is
  // built on the first refactor after each factorize (a one-off solve does not pay for it).
  // false: klu_refactor.
  bool static_refactor = true;
  // KLU with static_refactor: the first factorisation (factorize, and every full one after)
  // also runs on the static kernel, on the analysis's own order without row exchanges, where
  // the analysis shows a large dense part that KLU's scalar kernel would factor slowly (the
  // rule, decided once per analysis before any numeric work: a block whose AMD estimate of
  // nnz(L) is a quarter of its square, or 5 million and 100 per column, gets an exact symbolic
  // LU; the kernel is used when its dense tails hold at least 64 multiply-adds per entry of
  // L + U and 1e7 in all; docs/math.md). The pivot checks of the static refactor apply: when
  // they refuse these values KLU factorizes with pivoting, counted in
  // FactorizationReport::static_factor_fallbacks. Such a factorisation uses all the threads
  // of the current task_arena (refactor_threads applies to refactors only); the result does
  // not depend on the thread count. false: always KLU's klu_factor.
  bool static_factor = true;
  // KLU with static_refactor: once this many right-hand-side columns have been solved with
  // one full factorisation, solves move to the static kernel's factors (built on KLU's pivots
  // and refactored once with the same values: about as long as a factorisation; 2-3x faster
  // per column, and up to 8 columns per pass). Same answers to the last bits, not bit for
  // bit. 0: from the first solve; negative: never (solves stay on KLU's factors).
  Index static_solve_after = 32;
  // KLU with static_refactor: threads of the current oneTBB task_arena a refactor may use
  // (the sparse part's columns level by level of their dependency DAG, the dense hub block's
  // updates by column ranges); a block with little work stays on one thread. 0: all of the
  // arena's; 1: one (the default: on the shared 2-core benchmark machine the level-by-level
  // split lost in real time, bench/what_was_tried.md); n: at most n. The same bits at any
  // thread count. See docs/architecture.md, "Rules", for Monte Carlo's threads.
  int refactor_threads = 1;
  // KLU: a directory that keeps the symbolic analysis (BTF split, orderings) across runs,
  // keyed by a hash of the pattern and of the options above that change the analysis
  // (backend, ordering, btf, amd_dense). Empty: off. A hit loads the analysis instead of
  // computing it (same pivots, same bits); a miss analyses and stores it (atomic rename; the
  // directory is created). A corrupt, foreign or inconsistent file, or a directory that cannot
  // be written, is a miss with a warning in the report, never an error. See docs/analysis-cache.md.
  std::string analysis_cache;

  // InvalidInputError naming the first option out of range (SymbolicAnalysis::create calls it).
  void validate() const;
};

// What the analysis cache did (FactorizationOptions::analysis_cache).
enum class CacheOutcome {
  Off,     // no cache directory, or a backend whose analysis is not cached (UMFPACK, Eigen)
  Hit,     // the analysis was loaded from the cache
  Stored,  // analysed afresh and stored
  Miss,    // analysed afresh, not stored (see warning)
};
const char* to_string(CacheOutcome outcome);

struct AnalysisCacheReport {
  CacheOutcome outcome = CacheOutcome::Off;
  std::string path;     // the cache file for this pattern and these options
  std::string warning;  // why a file was rejected or could not be written; empty when fine
};

// What KLU's ordering did in the analysis (Ordering::Amd, Metis, Auto; not Colamd, not a
// cached analysis: blocks = 0 there).
struct OrderingReport {
  Index blocks = 0;        // diagonal blocks ordered
  Index largest = 0;       // the largest of them
  Index metis_blocks = 0;  // of those, ordered by METIS
  // Auto: the predicted multiply-adds of AMD's and METIS's orders, summed over the blocks
  // where both ran (0 when no block was large enough to try METIS).
  double amd_flops = 0.0;
  double metis_flops = 0.0;
  // AMD's dense-row threshold on the largest block (amd_dense = 0: the rule's choice), and the
  // blocks where the rule chose 1 rather than 2.
  double amd_dense = 0.0;
  Index coupled_blocks = 0;
};

// What the last analysis / factorisation did, for logs and benchmarks.
struct FactorizationReport {
  Backend backend = Backend::Klu;
  Index n = 0;
  Index nnz = 0;          // nonzeros of A
  Index nnz_factors = 0;  // nonzeros of L + U (fill), where the backend reports it
  Index blocks = 0;       // KLU: diagonal blocks of the BTF form
  Index max_block = 0;    // KLU: size of the largest block (the strongly connected core)
  Ordering ordering = Ordering::Amd;  // the option asked for
  OrderingReport orderings;           // KLU: what it chose, block by block (see above)
  double rcond = 0.0;     // cheap reciprocal condition estimate of the last factorisation
  double analyze_seconds = 0.0;
  double factor_seconds = 0.0;  // last factorize or refactor
  long factorizations = 0;      // full numeric factorisations
  long refactors = 0;           // refactors that kept the pivot order
  long static_refactors = 0;    // of those, done by the static-pivot kernel
  Index dense_columns = 0;      // static kernel: columns of its dense trailing (hub) blocks
  long refactor_fallbacks = 0;  // refactors that had to factorize afresh
  // The last full factorisation ran on the static kernel (FactorizationOptions::static_factor),
  // and the full factorisations the rule sent there whose pivots the kernel refused (KLU
  // factorized them with pivoting).
  bool static_factor = false;
  long static_factor_fallbacks = 0;
  bool static_solves = false;   // solves use the static kernel's factors (see above)
  long refinements = 0;         // solves that needed a refinement step
  double last_residual = 0.0;   // backward error of the last solve (worst column)
  AnalysisCacheReport cache;    // what the analysis cache did (analyze_seconds: the load)

  // One line, e.g. "klu n=20000 nnz=243k fill=2.1x blocks=12001 rcond=3.2e-02 ...".
  std::string brief() const;
};

namespace detail {
class BackendSymbolic;
class BackendNumeric;
struct NumericStatus;
}  // namespace detail

// The pattern of A and the backend's symbolic analysis of it. Immutable; share it.
class SymbolicAnalysis {
 public:
  // Analyses the pattern of `A` (values are ignored). A must be square, n > 0, valid CSC.
  // Throws InvalidInputError for bad shapes, SingularMatrixError when the pattern is
  // structurally singular (an empty column or row, or no perfect matching).
  static std::shared_ptr<const SymbolicAnalysis> create(const CscMatrix& A,
                                                        const FactorizationOptions& options = {});
  ~SymbolicAnalysis();

  Index n() const { return pattern_.rows; }
  Index nnz() const { return pattern_.nnz(); }
  const CscMatrix& pattern() const { return pattern_; }  // values empty
  const FactorizationOptions& options() const { return options_; }
  double seconds() const { return seconds_; }
  Index blocks() const;
  Index max_block() const;
  const AnalysisCacheReport& cache() const { return cache_; }

  const detail::BackendSymbolic& backend() const { return *backend_; }

 private:
  SymbolicAnalysis() = default;
  CscMatrix pattern_;
  FactorizationOptions options_;
  std::unique_ptr<detail::BackendSymbolic> backend_;
  double seconds_ = 0.0;
  AnalysisCacheReport cache_;
};

class Factorization {
 public:
  // Analyses and factorizes A in one step.
  explicit Factorization(const CscMatrix& A, const FactorizationOptions& options = {});
  // Uses a shared analysis; call factorize() before solving.
  explicit Factorization(std::shared_ptr<const SymbolicAnalysis> symbolic);
  ~Factorization();
  Factorization(Factorization&&) noexcept;
  Factorization& operator=(Factorization&&) noexcept;
  Factorization(const Factorization&) = delete;
  Factorization& operator=(const Factorization&) = delete;

  Index n() const { return symbolic_->n(); }
  const std::shared_ptr<const SymbolicAnalysis>& symbolic() const { return symbolic_; }
  bool is_factorized() const;

  // Numeric factorisation of the pattern with these values (nnz of the pattern, in CSC order).
  // Allocates. Throws InvalidInputError (wrong size, NaN/Inf) or SingularMatrixError.
  void factorize(std::span<const double> values);
  // Same pattern, new values, reusing the pivot order where the backend can (KLU); falls back
  // to factorize() when the pivots have become poor (counted in the report). The same errors.
  void refactor(std::span<const double> values);

  // Solve A x = b (or A^T x = b) in place: `x` holds b on entry and x on exit. Sizes are
  // checked; the residual is checked and refined as described above.
  void solve_in_place(std::span<double> x);
  void solve_transposed_in_place(std::span<double> x);
  // Many right-hand sides at once: X is n x d, column-major; each column is checked.
  void solve_many_in_place(Eigen::MatrixXd& X, bool transposed = false);

  // For a caller that checks the answer it builds from these solves itself (what_if's
  // Woodbury update checks its scenario's residual in the changed matrix): sizes and
  // finiteness are checked, the per-column residual and refinement are skipped.
  void solve_many_unchecked(Eigen::MatrixXd& X, bool transposed = false);

  Eigen::VectorXd solve(std::span<const double> b);
  Eigen::VectorXd solve_transposed(std::span<const double> b);

  // The values last factorized or refactored (the pattern's CSC order), and their norms
  // ||A||_inf (largest row sum of |a_ij|) and ||A||_1 (largest column sum), computed on first
  // use after new values (the residual of a solve computes the one it needs in its own pass).
  std::span<const double> values() const { return values_; }
  double norm_inf() const;
  double norm_one() const;

  // Cheap reciprocal condition estimate of the current factorisation (min/max pivot ratio).
  double rcond() const;
  // 1-norm condition number estimate (KLU's condest; Hager/Higham). More expensive than rcond.
  double condition_estimate();

  const FactorizationReport& report() const { return report_; }

 private:
  void require_factorized() const;
  void note_factorization(const detail::NumericStatus& s);  // counts a full factorisation
  void check_values(std::span<const double> values);  // and the norms below
  void solve_checked(double* x, Index nrhs, bool transposed);
  void check_rhs(const double* x, Index nrhs) const;
  double relative_residual(const double* x, const double* b, bool transposed) const;
  double residual_by_rows(const double* x, const double* b) const;
  void build_rows();
  double refine(double* x, const double* b, bool transposed, double tol);

  std::shared_ptr<const SymbolicAnalysis> symbolic_;
  std::unique_ptr<detail::BackendNumeric> numeric_;
  std::vector<double> values_;    // the values last factorized, for residuals
  std::vector<double> rhs_copy_;  // scratch: right-hand sides kept for the residual check
  std::vector<double> work_;      // scratch: residual and correction
  std::vector<double> wide_;      // scratch: residuals of several columns at once
  double rcond_at_factor_ = 0.0;
  // ||A||_1 and ||A||_inf of the values last factorized; NaN: not computed yet.
  mutable double norm_one_ = 0.0;
  mutable double norm_inf_ = 0.0;
  // A's pattern by rows, built on the first refactor (the residual of a solve after a refactor
  // as dot products over rows): row_ptr_ (n + 1), and for each entry in row order, columns
  // increasing, its slot in values_ and its column.
  std::vector<Index> row_ptr_;
  std::vector<std::int32_t> row_slot_, row_col_;
  FactorizationReport report_;
};

}  // namespace hiili
