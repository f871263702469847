#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "core/lanes.hpp"
#include "hiili/diagnostics.hpp"
#include "hiili/error.hpp"
#include "hiili/solver.hpp"
#include "solver/analysis_cache.hpp"
#include "solver/backend.hpp"

namespace hiili {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

// max(m, a) for a = |value| that keeps a NaN once it has met one (std::max drops it): a NaN in
// a residual or an answer must make the backward error infinite, never smaller.
inline double nan_max(double m, double a) { return (a > m || a != a) ? a : m; }

double inf_norm(const double* x, Index n) {
  double m = 0.0;
  for (Index i = 0; i < n; ++i) m = nan_max(m, std::abs(x[i]));
  return m;
}

// The normwise backward error ||r|| / (||op(A)|| ||x|| + ||b||) from its norms; infinite when
// any is not finite, so that an answer that overflowed or holds a NaN is never accepted.
double backward_error(double rnorm, double op_norm, double xnorm, double bnorm) {
  const double scale = op_norm * xnorm + bnorm;
  if (!std::isfinite(rnorm) || !std::isfinite(scale)) return std::numeric_limits<double>::infinity();
  return scale > 0.0 ? rnorm / scale : rnorm;
}

// Backward errors ||b_c - op(A) x_c|| / (||op(A)|| ||x_c|| + ||b_c||) of columns [0, ncols) of
// x and b (leading dimension n), ncols <= W, in one pass over A: the columns are copied
// row-interleaved into `wide` (n x W) first.
template <int W>
HIILI_LANE_KERNEL void relative_residuals(const CscMatrix& p, const double* values, const double* x,
                                          const double* b, Index ncols, bool transposed,
                                          double op_norm, std::vector<double>& wide, double* out) {
  const Index n = p.rows;
  double* xi = detail::aligned_rows(wide, std::size_t(2 * n * W));  // rows in cache lines
  double* ri = xi + n * W;
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < W; ++c) xi[i * W + c] = c < ncols ? x[c * n + i] : 0.0;
  if (transposed) {
    for (Index j = 0; j < n; ++j) {
      detail::Lanes<W> sum = {};
      for (Index k = p.col_ptr[j]; k < p.col_ptr[j + 1]; ++k)
        sum += values[k] * detail::load_lanes<W>(xi + p.row_idx[k] * W);
      detail::store_lanes<W>(ri + j * W, sum);
    }
  } else {
    std::fill(ri, ri + n * W, 0.0);
    for (Index j = 0; j < n; ++j) {
      const detail::Lanes<W> xj = detail::load_lanes<W>(xi + j * W);
      for (Index k = p.col_ptr[j]; k < p.col_ptr[j + 1]; ++k) {
        double* rr = ri + p.row_idx[k] * W;
        detail::store_lanes<W>(rr, detail::load_lanes<W>(rr) + values[k] * xj);
      }
    }
  }
  for (Index c = 0; c < ncols; ++c) {
    const double* bc = b + c * n;
    double rnorm = 0.0, xnorm = 0.0, bnorm = 0.0;
    for (Index i = 0; i < n; ++i) {
      rnorm = nan_max(rnorm, std::abs(bc[i] - ri[i * W + c]));
      xnorm = nan_max(xnorm, std::abs(xi[i * W + c]));
      bnorm = nan_max(bnorm, std::abs(bc[i]));
    }
    out[c] = backward_error(rnorm, op_norm, xnorm, bnorm);
  }
}

}  // namespace

const char* to_string(Backend backend) {
  switch (backend) {
    case Backend::Klu:
      return "klu";
    case Backend::Umfpack:
      return "umfpack";
    case Backend::Eigen:
      return "eigen";
  }
  return "?";
}

Backend backend_from_string(std::string_view name) {
  const std::string s = lower(name);
  if (s == "klu") return Backend::Klu;
  if (s == "umfpack") return Backend::Umfpack;
  if (s == "eigen" || s == "sparselu") return Backend::Eigen;
  throw InvalidInputError("unknown solver '" + std::string(name) +
                          "': expected klu, umfpack or eigen");
}

const char* to_string(Ordering ordering) {
  switch (ordering) {
    case Ordering::Amd:
      return "amd";
    case Ordering::Colamd:
      return "colamd";
    case Ordering::Metis:
      return "metis";
    case Ordering::Auto:
      return "auto";
  }
  return "?";
}

Ordering ordering_from_string(std::string_view name) {
  const std::string s = lower(name);
  for (Ordering o : {Ordering::Amd, Ordering::Colamd, Ordering::Metis, Ordering::Auto})
    if (s == to_string(o)) return o;
  throw InvalidInputError("unknown ordering '" + std::string(name) +
                          "': expected amd, colamd, metis or auto");
}

std::string FactorizationReport::brief() const {
  char buf[512];
  const double fill = nnz > 0 && nnz_factors > 0 ? double(nnz_factors) / double(nnz) : 0.0;
  std::snprintf(buf, sizeof buf,
                "%s n=%lld nnz=%lld fill=%.2fx blocks=%lld max_block=%lld rcond=%.2e "
                "analyze=%.2fms factor=%.2fms factorizations=%ld (static first %s, fallbacks %ld) "
                "refactors=%ld (static %ld, dense columns %lld) fallbacks=%ld residual=%.1e "
                "cache=%s ordering=%s (metis blocks %lld, amd_dense %.3g)",
                to_string(backend), static_cast<long long>(n), static_cast<long long>(nnz), fill,
                static_cast<long long>(blocks), static_cast<long long>(max_block), rcond,
                analyze_seconds * 1e3, factor_seconds * 1e3, factorizations,
                static_factor ? "yes" : "no", static_factor_fallbacks, refactors,
                static_refactors, static_cast<long long>(dense_columns), refactor_fallbacks,
                last_residual, to_string(cache.outcome), to_string(ordering),
                static_cast<long long>(orderings.metis_blocks), orderings.amd_dense);
  return buf;
}

const char* to_string(CacheOutcome outcome) {
  switch (outcome) {
    case CacheOutcome::Off:
      return "off";
    case CacheOutcome::Hit:
      return "hit";
    case CacheOutcome::Stored:
      return "stored";
    case CacheOutcome::Miss:
      return "miss";
  }
  return "?";
}

// ---- SymbolicAnalysis --------------------------------------------------------------------

namespace {
// refactor_threads above this is a typo, not a machine.
constexpr int kMaxRefactorThreads = 1024;

// KLU's analysis, from options.analysis_cache when it holds a valid one for this pattern, else
// computed (and stored there). A rejected or unwritable cache is a warning in `report`.
std::unique_ptr<detail::BackendSymbolic> analyze_klu_cached(const CscMatrix& pattern,
                                                            const FactorizationOptions& options,
                                                            AnalysisCacheReport& report) {
  if (options.analysis_cache.empty()) return detail::analyze_klu(pattern, options);
  if (auto data = detail::load_analysis(pattern, options, report)) {
    try {
      auto symbolic = detail::load_klu(pattern, options, *data);
      report.outcome = CacheOutcome::Hit;
      return symbolic;
    } catch (const Error& e) {  // e.g. fill estimates that the memory check refuses
      report.warning = "analysis cache " + report.path + " rejected: " + e.what();
    }
  }
  auto symbolic = detail::analyze_klu(pattern, options);
  detail::store_analysis(pattern, options, detail::klu_analysis_data(*symbolic), report);
  return symbolic;
}
}  // namespace

void FactorizationOptions::validate() const {
  if (!(residual_tolerance > 0.0) || !(refine_tolerance >= 0.0))
    throw InvalidInputError("residual_tolerance must be positive, refine_tolerance non-negative");
  // NaN would silently switch these checks off (every comparison with it is false).
  if (!(singular_rcond >= 0.0 && singular_rcond < 1.0))
    throw InvalidInputError("singular_rcond must lie in [0, 1), got " +
                            message_number(singular_rcond));
  if (!(refactor_rcond_ratio >= 0.0 && refactor_rcond_ratio <= 1.0))
    throw InvalidInputError("refactor_rcond_ratio must lie in [0, 1], got " +
                            message_number(refactor_rcond_ratio));
  if (std::isnan(amd_dense))
    throw InvalidInputError("amd_dense must be a number (negative: no row is dense), got NaN");
  if (refactor_threads < 0 || refactor_threads > kMaxRefactorThreads)
    throw InvalidInputError("refactor_threads must lie in [0, " +
                            std::to_string(kMaxRefactorThreads) + "] (0: the task_arena's), got " +
                            std::to_string(refactor_threads));
}

std::shared_ptr<const SymbolicAnalysis> SymbolicAnalysis::create(
    const CscMatrix& A, const FactorizationOptions& options) {
  if (A.rows != A.cols)
    throw InvalidInputError("technosphere matrix must be square, got " + std::to_string(A.rows) +
                            " x " + std::to_string(A.cols));
  if (A.rows < 1) throw InvalidInputError("technosphere matrix is empty (n = 0)");
  options.validate();
  const auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<SymbolicAnalysis> s(new SymbolicAnalysis());
  s->pattern_.rows = A.rows;
  s->pattern_.cols = A.cols;
  s->pattern_.col_ptr = A.col_ptr;
  s->pattern_.row_idx = A.row_idx;
  s->pattern_.validate_pattern("technosphere A");  // the values: Factorization::check_values
  // An empty column or row is singular whatever the values; say where.
  std::vector<char> row_seen(A.rows, 0);
  for (Index j = 0; j < A.cols; ++j) {
    if (A.col_ptr[j] == A.col_ptr[j + 1])
      throw SingularMatrixError(
          "technosphere matrix is singular: column " + std::to_string(j) + " is empty", j, 0.0);
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) row_seen[A.row_idx[p]] = 1;
  }
  for (Index i = 0; i < A.rows; ++i)
    if (!row_seen[i])
      throw SingularMatrixError(
          "technosphere matrix is singular: row " + std::to_string(i) + " is empty", -1, 0.0);
  s->options_ = options;
  switch (options.backend) {
    case Backend::Klu:
      s->backend_ = analyze_klu_cached(s->pattern_, options, s->cache_);
      break;
    case Backend::Umfpack:
      s->backend_ = detail::analyze_umfpack(s->pattern_, options);
      break;
    case Backend::Eigen:
      s->backend_ = detail::analyze_eigen(s->pattern_, options);
      break;
  }
  s->seconds_ = seconds_since(t0);
  return s;
}

SymbolicAnalysis::~SymbolicAnalysis() = default;
Index SymbolicAnalysis::blocks() const { return backend_->blocks(); }
Index SymbolicAnalysis::max_block() const { return backend_->max_block(); }

// ---- Factorization -----------------------------------------------------------------------

Factorization::Factorization(const CscMatrix& A, const FactorizationOptions& options)
    : Factorization(SymbolicAnalysis::create(A, options)) {
  factorize(A.values);
}

Factorization::Factorization(std::shared_ptr<const SymbolicAnalysis> symbolic)
    : symbolic_(std::move(symbolic)) {
  if (!symbolic_) throw InvalidInputError("Factorization needs a symbolic analysis");
  numeric_ = symbolic_->backend().make_numeric();
  report_.backend = symbolic_->options().backend;
  report_.n = symbolic_->n();
  report_.nnz = symbolic_->nnz();
  report_.blocks = symbolic_->blocks();
  report_.max_block = symbolic_->max_block();
  report_.ordering = symbolic_->options().ordering;
  report_.orderings = symbolic_->backend().ordering();
  report_.analyze_seconds = symbolic_->seconds();
  report_.cache = symbolic_->cache();
  values_.resize(symbolic_->nnz());
  work_.resize(2 * symbolic_->n());
}

Factorization::~Factorization() = default;
Factorization::Factorization(Factorization&&) noexcept = default;
Factorization& Factorization::operator=(Factorization&&) noexcept = default;

bool Factorization::is_factorized() const { return numeric_ && numeric_->is_factorized(); }

void Factorization::require_factorized() const {
  if (!is_factorized()) throw InvalidInputError("the matrix has not been factorized");
}

// New values: the right count and all finite, else InvalidInputError naming the first entry
// (CSC order) that is not. One branch-free pass over the values (v - v is 0 for a finite v and
// NaN for a NaN or an infinity, and a NaN stays in a sum; four sums side by side vectorise),
// a search by columns only when it found one. The norms ||A||_1 and ||A||_inf of the residual
// check are left to their first use (NaN until then): the residual of a solve computes the one
// it needs in the pass over A that it makes anyway.
void Factorization::check_values(std::span<const double> values) {
  if (static_cast<Index>(values.size()) != symbolic_->nnz())
    throw InvalidInputError("got " + std::to_string(values.size()) + " values for a pattern with " +
                            std::to_string(symbolic_->nnz()) + " nonzeros");
  const double* v = values.data();
  const Index nnz = static_cast<Index>(values.size());
  double sums[4] = {0.0, 0.0, 0.0, 0.0};
  Index i = 0;
  for (; i + 4 <= nnz; i += 4)
    for (int l = 0; l < 4; ++l) sums[l] += v[i + l] - v[i + l];
  for (; i < nnz; ++i) sums[0] += v[i] - v[i];
  if (std::isnan(sums[0] + sums[1] + sums[2] + sums[3])) {
    const CscMatrix& p = symbolic_->pattern();
    for (Index j = 0; j < p.cols; ++j)
      for (Index k = p.col_ptr[j]; k < p.col_ptr[j + 1]; ++k)
        if (!std::isfinite(values[k]))
          throw InvalidInputError("technosphere value at (" + std::to_string(p.row_idx[k]) + ", " +
                                  std::to_string(j) + ") is not finite");
  }
  norm_one_ = std::numeric_limits<double>::quiet_NaN();
  norm_inf_ = std::numeric_limits<double>::quiet_NaN();
}

// ||A||_1 of values_ (largest column sum of |a_ij|), computed on first use after new values.
double Factorization::norm_one() const {
  if (std::isnan(norm_one_)) {
    const CscMatrix& p = symbolic_->pattern();
    double norm = 0.0;
    for (Index j = 0; j < p.cols; ++j) {
      double col = 0.0;
      for (Index k = p.col_ptr[j]; k < p.col_ptr[j + 1]; ++k) col += std::abs(values_[k]);
      norm = std::max(norm, col);
    }
    norm_one_ = norm;
  }
  return norm_one_;
}

// ||A||_inf of values_ (largest row sum of |a_ij|), computed on first use after new values.
// Each row's sum adds its entries in column order, by rows or by columns: the same bits.
double Factorization::norm_inf() const {
  if (std::isnan(norm_inf_)) {
    const CscMatrix& p = symbolic_->pattern();
    double norm = 0.0;
    if (!row_ptr_.empty()) {
      for (Index i = 0; i < p.rows; ++i) {
        double row = 0.0;
        for (Index t = row_ptr_[i]; t < row_ptr_[i + 1]; ++t)
          row += std::abs(values_[row_slot_[t]]);
        norm = std::max(norm, row);
      }
    } else {
      double* row_sums = const_cast<double*>(work_.data()) + p.rows;  // scratch, n entries
      std::fill(row_sums, row_sums + p.rows, 0.0);
      for (Index j = 0; j < p.cols; ++j)
        for (Index k = p.col_ptr[j]; k < p.col_ptr[j + 1]; ++k)
          row_sums[p.row_idx[k]] += std::abs(values_[k]);
      norm = inf_norm(row_sums, p.rows);
    }
    norm_inf_ = norm;
  }
  return norm_inf_;
}

// The pattern by rows (a stable counting sort of the entries by row: columns increasing within
// a row). Skipped when an index would not fit 32 bits (the residual then goes by columns).
void Factorization::build_rows() {
  const CscMatrix& p = symbolic_->pattern();
  const Index nnz = p.nnz();
  if (!row_ptr_.empty() || nnz > std::numeric_limits<std::int32_t>::max()) return;
  std::vector<Index> ptr(p.rows + 1, 0);
  for (Index k = 0; k < nnz; ++k) ++ptr[p.row_idx[k] + 1];
  for (Index i = 0; i < p.rows; ++i) ptr[i + 1] += ptr[i];
  std::vector<Index> next(ptr.begin(), ptr.end() - 1);
  row_slot_.resize(nnz);
  row_col_.resize(nnz);
  for (Index j = 0; j < p.cols; ++j)
    for (Index k = p.col_ptr[j]; k < p.col_ptr[j + 1]; ++k) {
      const Index t = next[p.row_idx[k]]++;
      row_slot_[t] = static_cast<std::int32_t>(k);
      row_col_[t] = static_cast<std::int32_t>(j);
    }
  row_ptr_ = std::move(ptr);
}

namespace {
void check_rcond(double rcond, const FactorizationOptions& options) {
  // NaN: the backend has no cheap estimate; the residual check judges its answers.
  if (!std::isnan(rcond) && rcond < options.singular_rcond)
    throw SingularMatrixError(
        "technosphere matrix is numerically singular: reciprocal condition estimate " +
            message_number(rcond) + " is below " + message_number(options.singular_rcond),
        -1, rcond);
}
}  // namespace

void Factorization::factorize(std::span<const double> values) {
  check_values(values);
  const auto t0 = std::chrono::steady_clock::now();
  std::copy(values.begin(), values.end(), values_.begin());
  const detail::NumericStatus s = numeric_->factorize(values_.data());
  report_.factor_seconds = seconds_since(t0);
  report_.rcond = s.rcond;
  report_.nnz_factors = s.nnz_factors;
  note_factorization(s);
  check_rcond(s.rcond, symbolic_->options());
}

void Factorization::refactor(std::span<const double> values) {
  if (!is_factorized() || !numeric_->supports_refactor()) {
    factorize(values);
    return;
  }
  check_values(values);
  const auto t0 = std::chrono::steady_clock::now();
  build_rows();  // once: the residuals of the solves after refactors go by rows
  std::copy(values.begin(), values.end(), values_.begin());
  detail::NumericStatus s = numeric_->refactor(values_.data());
  const FactorizationOptions& o = symbolic_->options();
  if (!s.ok || s.rcond < o.refactor_rcond_ratio * rcond_at_factor_ || s.rcond < o.singular_rcond) {
    ++report_.refactor_fallbacks;
    s = numeric_->factorize(values_.data());
    note_factorization(s);
  } else {
    ++report_.refactors;
    if (s.static_kernel) ++report_.static_refactors;
    report_.dense_columns = s.dense_columns;
  }
  report_.factor_seconds = seconds_since(t0);
  report_.rcond = s.rcond;
  if (s.nnz_factors > 0) report_.nnz_factors = s.nnz_factors;
  check_rcond(s.rcond, o);
}

void Factorization::note_factorization(const detail::NumericStatus& s) {
  ++report_.factorizations;
  rcond_at_factor_ = s.rcond;
  report_.static_factor = s.static_factor;
  if (s.static_factor_refused) ++report_.static_factor_fallbacks;
  if (s.static_factor) report_.dense_columns = s.dense_columns;
}

double Factorization::rcond() const {
  require_factorized();
  return report_.rcond;
}

// r = b - A x by rows, written to work_[0..n), each r_i from b_i in column order (the
// subtractions of the column-wise loop, in its order), ||A||_inf in the same pass when it is
// not known yet; returns the backward error as relative_residual.
double Factorization::residual_by_rows(const double* x, const double* b) const {
  const Index n = symbolic_->n();
  double* r = const_cast<double*>(work_.data());
  const double* v = values_.data();
  const Index* ptr = row_ptr_.data();
  const std::int32_t* slot = row_slot_.data();
  const std::int32_t* col = row_col_.data();
  double rnorm = 0.0;
  if (std::isnan(norm_inf_)) {
    double norm = 0.0;
    for (Index i = 0; i < n; ++i) {
      double ri = b[i], row = 0.0;
      for (Index t = ptr[i]; t < ptr[i + 1]; ++t) {
        const double a = v[slot[t]];
        ri -= a * x[col[t]];
        row += std::abs(a);
      }
      r[i] = ri;
      rnorm = nan_max(rnorm, std::abs(ri));
      norm = std::max(norm, row);
    }
    norm_inf_ = norm;
  } else {
    for (Index i = 0; i < n; ++i) {
      double ri = b[i];
      for (Index t = ptr[i]; t < ptr[i + 1]; ++t) ri -= v[slot[t]] * x[col[t]];
      r[i] = ri;
      rnorm = nan_max(rnorm, std::abs(ri));
    }
  }
  return backward_error(rnorm, norm_inf_, inf_norm(x, n), inf_norm(b, n));
}

double Factorization::relative_residual(const double* x, const double* b, bool transposed) const {
  // r = b - op(A) x, written to work_[0..n); returns the normwise backward error
  // ||r|| / (||op(A)|| ||x|| + ||b||) in the infinity norm (Rigal-Gaches).
  if (!transposed && !row_ptr_.empty()) return residual_by_rows(x, b);
  const CscMatrix& p = symbolic_->pattern();
  const Index n = p.rows;
  double* r = const_cast<double*>(work_.data());
  if (transposed) {
    // ||A||_1 in the same pass when it is not known yet (each column's sum in its order).
    const bool norm = std::isnan(norm_one_);
    double norm_one = 0.0;
    for (Index j = 0; j < n; ++j) {
      double sum = 0.0, col = 0.0;
      for (Index k = p.col_ptr[j]; k < p.col_ptr[j + 1]; ++k) {
        sum += values_[k] * x[p.row_idx[k]];
        if (norm) col += std::abs(values_[k]);
      }
      r[j] = b[j] - sum;
      norm_one = std::max(norm_one, col);
    }
    if (norm) norm_one_ = norm_one;
  } else {
    std::copy(b, b + n, r);
    for (Index j = 0; j < n; ++j) {
      const double xj = x[j];
      if (xj == 0.0) continue;
      for (Index k = p.col_ptr[j]; k < p.col_ptr[j + 1]; ++k) r[p.row_idx[k]] -= values_[k] * xj;
    }
  }
  return backward_error(inf_norm(r, n), transposed ? norm_one_ : norm_inf(), inf_norm(x, n),
                        inf_norm(b, n));
}

// One step of iterative refinement of column x (right-hand side b): solve A d = r, x += d.
// Returns the new backward error; throws IllConditionedError when it stays above `tol`.
double Factorization::refine(double* x, const double* b, bool transposed, double tol) {
  const Index n = symbolic_->n();
  ++report_.refinements;
  relative_residual(x, b, transposed);  // r in work_[0, n)
  double* d = work_.data() + n;
  std::copy(work_.begin(), work_.begin() + n, d);
  numeric_->solve(d, 1, transposed);
  for (Index i = 0; i < n; ++i) x[i] += d[i];
  const double res = relative_residual(x, b, transposed);
  if (!(res <= tol)) {
    for (Index i = 0; i < n; ++i)
      if (!std::isfinite(x[i]))
        throw IllConditionedError(
            "solve rejected: the solution is not finite (entry " + std::to_string(i) + " is " +
                message_number(x[i]) + "): it overflows the double range for this right-hand " +
                "side (reciprocal condition estimate " + message_number(report_.rcond) + ")",
            res, report_.rcond);
    throw IllConditionedError("solve rejected: backward error " + message_number(res) +
                                  " stays above tolerance " + message_number(tol) +
                                  " after refinement (reciprocal condition estimate " +
                                  message_number(report_.rcond) + ")",
                              res, report_.rcond);
  }
  return res;
}

void Factorization::check_rhs(const double* x, Index nrhs) const {
  require_factorized();
  const Index n = symbolic_->n();
  for (Index i = 0; i < n * nrhs; ++i)
    if (!std::isfinite(x[i]))
      throw InvalidInputError("right-hand side entry " + std::to_string(i % n) + " of column " +
                              std::to_string(i / n) + " is not finite");
}

void Factorization::solve_checked(double* x, Index nrhs, bool transposed) {
  check_rhs(x, nrhs);
  const Index n = symbolic_->n();
  rhs_copy_.assign(x, x + n * nrhs);
  numeric_->solve(x, nrhs, transposed);
  report_.static_solves = numeric_->static_solves();
  const double tol = symbolic_->options().residual_tolerance;
  const double refine_tol = std::min(symbolic_->options().refine_tolerance, tol);
  // One column: relative_residual computes the norm it needs in its own pass over A.
  auto op_norm = [&] { return transposed ? norm_one() : norm_inf(); };
  double worst = 0.0;
  const CscMatrix& p = symbolic_->pattern();
  double res[8];
  for (Index c0 = 0; c0 < nrhs; c0 += 8) {
    const Index cols = std::min<Index>(8, nrhs - c0);
    const double* xc = x + c0 * n;
    const double* bc = rhs_copy_.data() + c0 * n;
    if (cols == 1)
      res[0] = relative_residual(xc, bc, transposed);
    else if (cols == 2)
      relative_residuals<2>(p, values_.data(), xc, bc, 2, transposed, op_norm(), wide_, res);
    else if (cols <= 4)
      relative_residuals<4>(p, values_.data(), xc, bc, cols, transposed, op_norm(), wide_, res);
    else
      relative_residuals<8>(p, values_.data(), xc, bc, cols, transposed, op_norm(), wide_, res);
    for (Index c = 0; c < cols; ++c) {
      if (res[c] > refine_tol) res[c] = refine(x + (c0 + c) * n, bc + c * n, transposed, tol);
      worst = std::max(worst, res[c]);
    }
  }
  report_.last_residual = worst;
}

void Factorization::solve_in_place(std::span<double> x) {
  if (static_cast<Index>(x.size()) != n())
    throw InvalidInputError("right-hand side has " + std::to_string(x.size()) +
                            " entries, expected " + std::to_string(n()));
  solve_checked(x.data(), 1, false);
}

void Factorization::solve_transposed_in_place(std::span<double> x) {
  if (static_cast<Index>(x.size()) != n())
    throw InvalidInputError("right-hand side has " + std::to_string(x.size()) +
                            " entries, expected " + std::to_string(n()));
  solve_checked(x.data(), 1, true);
}

void Factorization::solve_many_in_place(Eigen::MatrixXd& X, bool transposed) {
  if (X.rows() != n())
    throw InvalidInputError("right-hand sides have " + std::to_string(X.rows()) +
                            " rows, expected " + std::to_string(n()));
  if (X.cols() == 0) return;
  solve_checked(X.data(), X.cols(), transposed);
}

void Factorization::solve_many_unchecked(Eigen::MatrixXd& X, bool transposed) {
  if (X.rows() != n())
    throw InvalidInputError("right-hand sides have " + std::to_string(X.rows()) +
                            " rows, expected " + std::to_string(n()));
  if (X.cols() == 0) return;
  check_rhs(X.data(), X.cols());
  numeric_->solve(X.data(), X.cols(), transposed);
  report_.static_solves = numeric_->static_solves();
}

Eigen::VectorXd Factorization::solve(std::span<const double> b) {
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(b.data(), static_cast<Index>(b.size()));
  solve_in_place({x.data(), static_cast<std::size_t>(x.size())});
  return x;
}

Eigen::VectorXd Factorization::solve_transposed(std::span<const double> b) {
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(b.data(), static_cast<Index>(b.size()));
  solve_transposed_in_place({x.data(), static_cast<std::size_t>(x.size())});
  return x;
}

double Factorization::condition_estimate() {
  require_factorized();
  if (report_.backend == Backend::Klu) return numeric_->condition_estimate();
  // Hager / Higham 1-norm estimate of ||A^-1||_1 with a few solves, times ||A||_1.
  const CscMatrix& p = symbolic_->pattern();
  const Index n = p.rows;
  double anorm = 0.0;
  for (Index j = 0; j < n; ++j) {
    double s = 0.0;
    for (Index k = p.col_ptr[j]; k < p.col_ptr[j + 1]; ++k) s += std::abs(values_[k]);
    anorm = std::max(anorm, s);
  }
  Eigen::VectorXd x = Eigen::VectorXd::Constant(n, 1.0 / double(n));
  double est = 0.0;
  for (int iter = 0; iter < 5; ++iter) {
    Eigen::VectorXd y = x;
    numeric_->solve(y.data(), 1, false);  // y = A^-1 x
    est = std::max(est, y.lpNorm<1>());
    Eigen::VectorXd z = y.unaryExpr([](double v) { return v >= 0 ? 1.0 : -1.0; });
    numeric_->solve(z.data(), 1, true);  // z = A^-T sign(y)
    Index jmax = 0;
    const double zmax = z.cwiseAbs().maxCoeff(&jmax);
    if (zmax <= z.dot(x)) break;
    x.setZero();
    x[jmax] = 1.0;
  }
  return anorm * est;
}

// ---- diagnostics.hpp -----------------------------------------------------------------------

std::string message_number(double value) {
  if (std::isnan(value)) return "nan";  // printf would show the sign bit: "-nan"
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", value);
  return buffer;
}

bool is_ill_conditioned(double condition_estimate) {
  return !std::isnan(condition_estimate) && condition_estimate > kIllConditionedThreshold;
}

std::string condition_warning(double condition_estimate) {
  if (!is_ill_conditioned(condition_estimate)) return {};
  return "the technosphere matrix is ill-conditioned: condition estimate " +
         message_number(condition_estimate) + " is above " +
         message_number(kIllConditionedThreshold) +
         ", so results may have fewer than 4 correct digits (docs/math.md, Conditioning)";
}

}  // namespace hiili
