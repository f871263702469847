// KLU backend: BTF + AMD/METIS/COLAMD, klu_l_* (64-bit indices).
#include <amd.h>
#include <klu.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hiili/error.hpp"
#include "hiili/limits.hpp"
#include "solver/analysis_cache.hpp"
#include "solver/backend.hpp"
#include "solver/ordering.hpp"
#include "solver/static_lu.hpp"
#include "solver/symbolic_lu.hpp"

namespace hiili::detail {
namespace {

static_assert(sizeof(SuiteSparse_long) == sizeof(Index), "KLU's long must be 64-bit");

// The rule of FactorizationOptions::static_factor. A block's dense tail of h columns costs
// KLU's scalar kernel about h^3 / 3 multiply-adds at < 1 GFlop/s, the static kernel's blocked
// dense LU several times less; the symbolic LU and the static plan cost about as much as a
// KLU factorisation without a dense part. So, from the analysis's AMD estimate of nnz(L) per
// block (Lnz, cheap): only a block that is nearly dense (Lnz >= kDenseBlock size^2) or large
// and heavily filled (Lnz >= kFilledLnz and >= kFilledRatio size: the market hubs of the
// stress family; the realistic family's blocks stay near 36 per column) gets the exact
// symbolic LU, and the first factorisation goes static when its dense tails
// (choose_dense_tail) hold at least kWorkPerEntry multiply-adds per entry of L + U and
// kMinWork in all (below, a few milliseconds at most to win). Measured in
// bench/what_was_tried.md (session 9, branch static9): break-even near 48 per entry on the
// stress family; USEEIO's ~370-column dense block (1.6e7) pays.
constexpr double kDenseBlock = 0.25;
constexpr double kFilledLnz = 5e6;
constexpr double kFilledRatio = 100.0;
constexpr double kWorkPerEntry = 64.0;
constexpr double kMinWork = 1e7;
// Tests: the rule always fires (force_static_factor).
std::atomic<bool> g_force_static_factor{false};

// What KLU's user-ordering hook needs, and what it reports back (common.user_data).
struct BlockOrdering {
  Ordering kind = Ordering::Amd;
  double dense = 10.0;
  int status = AMD_OK;  // the first failure, if any
  Index failed_n = 0;   // the size of the block it failed on
  const char* failed_in = "AMD";
  std::string message;  // a typed error raised inside the hook, to be rethrown outside KLU
  OrderingReport report;
};

// Ordering::Auto on one block: AMD; on a large block that AMD fills in heavily also METIS,
// and the one whose predicted Cholesky work on A + A^T is lower wins (AMD on a tie or a
// METIS failure).
BlockOrder auto_order(Index n, const Index* Ap, const Index* Ai, Index* perm, double dense,
                      BlockOrdering& ordering) {
  BlockOrder amd = amd_order(n, Ap, Ai, perm, dense);
  if (amd.status != AMD_OK || n < kAutoMetisMinBlock ||
      amd.lnz < kAutoMetisFill * double(Ap[n]) || !fits_metis(n, Ap[n]))
    return amd;
  const SymmetricGraph g = symmetric_graph(n, Ap, Ai);
  const FillEstimate by_amd = estimate_fill(g, perm);
  std::vector<Index> nd(n);
  const BlockOrder metis = metis_order(g, nd.data());
  const FillEstimate by_metis = estimate_fill(g, nd.data());
  ordering.report.amd_flops += by_amd.flops;
  ordering.report.metis_flops += by_metis.flops;
  if (metis.status != AMD_OK || !(by_metis.flops < by_amd.flops)) return amd;
  std::copy(nd.begin(), nd.end(), perm);
  ++ordering.report.metis_blocks;
  return metis;
}

// AMD's dense-row threshold for one block: FactorizationOptions::amd_dense, or under
// kAmdDenseAuto the rule's choice (choose_amd_dense), reported for the largest block.
double block_dense(Index n, const Index* Ap, const Index* Ai, BlockOrdering& ordering) {
  const double dense =
      ordering.dense == kAmdDenseAuto ? choose_amd_dense(n, Ap, Ai).dense : ordering.dense;
  if (ordering.dense == kAmdDenseAuto && dense == kDenseCoupled) ++ordering.report.coupled_blocks;
  if (n > ordering.report.largest) ordering.report.amd_dense = dense;
  return dense;
}

// KLU calls this for each diagonal block of the BTF form (ordering = 3): AMD as KLU's own
// ordering 0 but with the dense-row threshold of block_dense (the market
// hubs of LCA systems sit just below AMD's default threshold and make its degree updates
// quadratic), METIS nested dissection, or the cheaper of the two by estimate (Auto). Returns 0
// on failure (KLU then reports KLU_INVALID), else an estimate of nnz(L) as KLU's contract asks.
SuiteSparse_long order_block(SuiteSparse_long n, SuiteSparse_long* Ap, SuiteSparse_long* Ai,
                             SuiteSparse_long* Perm, klu_l_common* common) {
  auto& ordering = *static_cast<BlockOrdering*>(common->user_data);
  BlockOrder result;
  const char* by = ordering.kind == Ordering::Metis && n >= 3 ? "METIS" : "AMD";
  try {  // nothing may unwind through KLU's C frames
    if (ordering.kind == Ordering::Metis && n >= 3) {
      result = metis_order(symmetric_graph(n, Ap, Ai), Perm);
      if (result.status == AMD_OK) ++ordering.report.metis_blocks;
    } else if (ordering.kind == Ordering::Auto) {
      result = auto_order(n, Ap, Ai, Perm, block_dense(n, Ap, Ai, ordering), ordering);
    } else {
      result = amd_order(n, Ap, Ai, Perm, block_dense(n, Ap, Ai, ordering));
    }
  } catch (const std::bad_alloc&) {
    result.status = AMD_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    result.status = AMD_INVALID;
    if (ordering.message.empty()) ordering.message = e.what();
  }
  if (result.status != AMD_OK) {
    if (ordering.status == AMD_OK) {
      ordering.status = result.status;
      ordering.failed_n = n;
      ordering.failed_in = by;
    }
    return 0;
  }
  ++ordering.report.blocks;
  if (n > ordering.report.largest) ordering.report.largest = n;
  return static_cast<SuiteSparse_long>(result.lnz);
}

// `ordering` must outlive the analysis unless options.ordering is Colamd (KLU calls back
// into it).
klu_l_common make_common(const FactorizationOptions& options, BlockOrdering* ordering = nullptr) {
  klu_l_common common;
  klu_l_defaults(&common);
  common.btf = options.btf ? 1 : 0;
  common.ordering = options.ordering == Ordering::Colamd ? 1 : 0;
  if (options.ordering != Ordering::Colamd && ordering != nullptr) {
    common.ordering = 3;
    common.user_order = order_block;
    common.user_data = ordering;
  }
  common.halt_if_singular = 1;
  return common;
}

[[noreturn]] void throw_ordering(const BlockOrdering& ordering) {
  const std::string where = " (" + std::string(ordering.failed_in) + " ordering of a " +
                            std::to_string(ordering.failed_n) + " x " +
                            std::to_string(ordering.failed_n) + " diagonal block)";
  if (ordering.status == AMD_OUT_OF_MEMORY) throw Error("out of memory" + where);
  if (!ordering.message.empty()) throw InvalidInputError(ordering.message);
  throw InvalidInputError("invalid pattern" + where + ": status " +
                          std::to_string(ordering.status));
}

[[noreturn]] void throw_status(const klu_l_common& common, const char* step) {
  switch (common.status) {
    case KLU_SINGULAR:
      throw SingularMatrixError(std::string("technosphere matrix is singular (KLU ") + step +
                                    "): no usable pivot in column " +
                                    std::to_string(common.singular_col),
                                common.singular_col, 0.0);
    case KLU_OUT_OF_MEMORY:
      throw Error(std::string("KLU ") + step + ": out of memory");
    case KLU_TOO_LARGE:
      throw InvalidInputError(std::string("KLU ") + step + ": matrix too large");
    case KLU_INVALID:
      throw InvalidInputError(std::string("KLU ") + step + ": invalid matrix");
    default:
      throw Error(std::string("KLU ") + step + ": status " + std::to_string(common.status));
  }
}

// KLU's API takes non-const pointers to arrays it only reads.
Index* mut(const Index* p) { return const_cast<Index*>(p); }
double* mut(const double* p) { return const_cast<double*>(p); }

class KluSymbolic;

class KluNumeric final : public BackendNumeric {
 public:
  KluNumeric(const KluSymbolic& symbolic);
  ~KluNumeric() override { release(); }

  NumericStatus factorize(const double* values) override;
  NumericStatus refactor(const double* values) override;
  bool supports_refactor() const override { return true; }
  void solve(double* x, Index nrhs, bool transposed) override;
  bool static_solves() const override { return static_current_; }
  double condition_estimate() override;
  bool is_factorized() const override { return numeric_ != nullptr || static_current_; }

 private:
  NumericStatus status();
  bool factorize_static(const double* values);
  NumericStatus static_status() const;
  void release() {
    if (numeric_ != nullptr) klu_l_free_numeric(&numeric_, &common_);
    static_current_ = false;
  }
  StaticStructure extract();
  void build_static();
  void maybe_switch_to_static(Index nrhs);
  const KluSymbolic& symbolic_;
  klu_l_common common_;
  klu_l_numeric* numeric_ = nullptr;
  const double* values_ = nullptr;  // the values last factorized (owned by Factorization)
  // The static-pivot kernel on the pivots of the last full factorisation (the reference), and
  // whether it (rather than numeric_) holds the factors of values_.
  std::unique_ptr<StaticLu> static_;
  std::vector<Index> static_pivots_;  // KLU's row permutation static_ was built on
  bool static_current_ = false;
  bool static_stale_ = true;     // numeric_ changed since static_ was built
  Index columns_on_klu_ = 0;     // right-hand sides solved with KLU's factors since factorize
  bool static_refused_ = false;  // the static kernel refused these values: stay with KLU
  // static_ was built on the analysis's symbolic LU (static_factor), not on KLU's pivots.
  bool static_symbolic_ = false;
  bool skip_static_factor_ = false;  // the next factorize goes to KLU (static refactor refused)
};

class KluSymbolic final : public BackendSymbolic {
 public:
  KluSymbolic(const CscMatrix& pattern, const FactorizationOptions& options)
      : pattern_(pattern), options_(options) {
    if (std::isnan(options.amd_dense))
      throw InvalidInputError("FactorizationOptions::amd_dense is NaN");
    BlockOrdering ordering;
    ordering.kind = options.ordering;
    ordering.dense = options.amd_dense;
    klu_l_common common = make_common(options, &ordering);
    symbolic_ = klu_l_analyze(pattern.rows, mut(pattern.col_ptr.data()),
                              mut(pattern.row_idx.data()), &common);
    if (symbolic_ == nullptr) {
      if (ordering.status != AMD_OK) throw_ordering(ordering);
      if (common.status == KLU_SINGULAR || common.structural_rank < pattern.rows)
        throw SingularMatrixError("technosphere matrix is structurally singular: structural rank " +
                                      std::to_string(common.structural_rank) +
                                      " < n = " + std::to_string(pattern.rows),
                                  -1, 0.0);
      throw_status(common, "analyze");
    }
    if (common.structural_rank >= 0 && common.structural_rank < pattern.rows) {
      klu_l_free_symbolic(&symbolic_, &common);
      throw SingularMatrixError("technosphere matrix is structurally singular: structural rank " +
                                    std::to_string(common.structural_rank) +
                                    " < n = " + std::to_string(pattern.rows),
                                -1, 0.0);
    }
    check_fill(common);
    ordering_ = ordering.report;
  }
  // An analysis loaded from the cache (checked by check_analysis), in KLU's own allocations
  // so that klu_l_free_symbolic frees it as one of its own.
  KluSymbolic(const CscMatrix& pattern, const FactorizationOptions& options,
              const KluAnalysisData& d)
      : pattern_(pattern), options_(options) {
    klu_l_common common = make_common(options);
    const auto n = static_cast<std::size_t>(d.n);
    auto* s = static_cast<klu_l_symbolic*>(klu_l_malloc(1, sizeof(klu_l_symbolic), &common));
    if (s == nullptr) throw Error("out of memory loading the cached analysis");
    *s = klu_l_symbolic{};
    s->P = static_cast<Index*>(klu_l_malloc(n, sizeof(Index), &common));
    s->Q = static_cast<Index*>(klu_l_malloc(n, sizeof(Index), &common));
    s->R = static_cast<Index*>(klu_l_malloc(n + 1, sizeof(Index), &common));
    s->Lnz = static_cast<double*>(klu_l_malloc(n, sizeof(double), &common));
    s->n = d.n;
    symbolic_ = s;
    if (!s->P || !s->Q || !s->R || !s->Lnz) {
      klu_l_free_symbolic(&symbolic_, &common);
      throw Error("out of memory loading the cached analysis");
    }
    std::copy(d.P.begin(), d.P.end(), s->P);
    std::copy(d.Q.begin(), d.Q.end(), s->Q);
    std::copy(d.R.begin(), d.R.end(), s->R);
    std::fill(s->R + d.R.size(), s->R + n + 1, Index(0));
    std::copy(d.Lnz.begin(), d.Lnz.end(), s->Lnz);
    std::fill(s->Lnz + d.Lnz.size(), s->Lnz + n, 0.0);
    s->symmetry = d.symmetry, s->est_flops = d.est_flops, s->lnz = d.lnz, s->unz = d.unz;
    s->nz = d.nz, s->nzoff = d.nzoff, s->nblocks = d.nblocks, s->maxblock = d.maxblock;
    s->ordering = d.ordering, s->do_btf = d.do_btf, s->structural_rank = d.structural_rank;
    check_fill(common);
  }
  KluAnalysisData data() const {
    const klu_l_symbolic& s = *symbolic_;
    KluAnalysisData d;
    d.symmetry = s.symmetry, d.est_flops = s.est_flops, d.lnz = s.lnz, d.unz = s.unz;
    d.n = s.n, d.nz = s.nz, d.nzoff = s.nzoff, d.nblocks = s.nblocks, d.maxblock = s.maxblock;
    d.ordering = s.ordering, d.do_btf = s.do_btf, d.structural_rank = s.structural_rank;
    d.P.assign(s.P, s.P + s.n);
    d.Q.assign(s.Q, s.Q + s.n);
    d.R.assign(s.R, s.R + s.nblocks + 1);
    d.Lnz.assign(s.Lnz, s.Lnz + s.nblocks);
    return d;
  }
  ~KluSymbolic() override {
    klu_l_common common = make_common(options_);
    klu_l_free_symbolic(&symbolic_, &common);
  }
  Index blocks() const override { return symbolic_->nblocks; }
  Index max_block() const override { return symbolic_->maxblock; }
  OrderingReport ordering() const override { return ordering_; }
  std::unique_ptr<BackendNumeric> make_numeric() const override {
    return std::make_unique<KluNumeric>(*this);
  }

  const CscMatrix& pattern() const { return pattern_; }
  const FactorizationOptions& options() const { return options_; }
  // The structure for a first factorisation on the static kernel (an LU without row
  // exchanges in the analysis's P, Q, R; no row scales) when the rule fires, else null.
  // Decided once, on first use, for every Factorization on this analysis.
  const StaticStructure* static_structure() const {
    std::call_once(static_once_, [this] { static_structure_ = decide_static_factor(); });
    return static_structure_.get();
  }
  // KLU only reads Symbolic during factor/refactor/solve; it is shared between threads.
  klu_l_symbolic* get() const { return symbolic_; }

 private:
  // The analysis predicts the nonzeros of L and U (AMD's count per diagonal block, exact
  // without pivoting) and the off-diagonal blocks: a factorisation that cannot fit in memory
  // is refused here, with a typed error, rather than by the allocator or the OOM killer.
  // klu_factor allocates initmem_amd times the prediction, 16 bytes (index + value) a nonzero.
  void check_fill(klu_l_common& common) {
    const double fill = symbolic_->lnz + symbolic_->unz;
    const double bytes = 16.0 * (common.initmem_amd * fill + double(symbolic_->nzoff)) +
                         100.0 * double(pattern_.rows);
    try {
      check_memory(bytes,
                   "factorising the " + std::to_string(pattern_.rows) + " x " +
                       std::to_string(pattern_.rows) + " technosphere (KLU predicts " +
                       std::to_string(static_cast<long long>(fill)) + " nonzeros in L + U)",
                   "try another ordering, or a smaller model");
    } catch (...) {
      klu_l_free_symbolic(&symbolic_, &common);
      throw;
    }
  }
  std::unique_ptr<StaticStructure> decide_static_factor() const;
  const CscMatrix& pattern_;  // owned by SymbolicAnalysis, which owns this object
  FactorizationOptions options_;
  mutable std::once_flag static_once_;
  mutable std::unique_ptr<StaticStructure> static_structure_;
  klu_l_symbolic* symbolic_ = nullptr;
  OrderingReport ordering_;  // what the ordering hook did (blocks = 0: loaded from the cache)
};

std::unique_ptr<StaticStructure> KluSymbolic::decide_static_factor() const {
  const klu_l_symbolic& k = *symbolic_;
  const bool force = g_force_static_factor.load(std::memory_order_relaxed);
  if (!options_.static_factor || !options_.static_refactor) return nullptr;
  bool candidate = false;
  for (Index b = 0; b < k.nblocks && !candidate; ++b) {
    const double size = double(k.R[b + 1] - k.R[b]), lnz = k.Lnz[b];
    candidate = (size >= 32.0 && lnz >= kDenseBlock * size * size) ||
                (lnz >= kFilledLnz && lnz >= kFilledRatio * size);
  }
  if (!force && !candidate) return nullptr;
  SymbolicLu lu = symbolic_lu(pattern_, k.P, k.Q, k.R, k.nblocks);
  if (lu.zero_pivot >= 0) return nullptr;
  auto s = std::make_unique<StaticStructure>();
  s->n = k.n;
  s->P.assign(k.P, k.P + k.n);
  s->Q.assign(k.Q, k.Q + k.n);
  s->R.assign(k.R, k.R + k.nblocks + 1);
  s->Lp = std::move(lu.Lp);
  s->Li = std::move(lu.Li);
  s->Up = std::move(lu.Up);
  s->Ui = std::move(lu.Ui);
  double work = 0.0;
  for (Index b = 0; b < k.nblocks; ++b) {
    const Index size = s->R[b + 1] - s->R[b];
    const double h = double(size - choose_dense_tail(*s, s->R[b], size));
    work += h * h * h / 3.0;
  }
  const double entries = double(s->Li.size() + s->Ui.size());
  if (!force && (work < kWorkPerEntry * entries || work < kMinWork)) return nullptr;
  return s;
}

KluNumeric::KluNumeric(const KluSymbolic& symbolic)
    : symbolic_(symbolic), common_(make_common(symbolic.options())) {}

NumericStatus KluNumeric::status() {
  NumericStatus s;
  klu_l_rcond(symbolic_.get(), numeric_, &common_);
  s.rcond = common_.rcond;
  s.nnz_factors = numeric_->lnz + numeric_->unz - symbolic_.pattern().rows + numeric_->nzoff;
  return s;
}

NumericStatus KluNumeric::factorize(const double* values) {
  release();
  columns_on_klu_ = 0;
  static_refused_ = false;
  bool refused = false;
  if (!skip_static_factor_ && symbolic_.static_structure() != nullptr) {
    if (factorize_static(values)) {
      values_ = values;
      NumericStatus s = static_status();
      s.static_factor = true;
      return s;
    }
    refused = true;
  }
  skip_static_factor_ = false;
  const CscMatrix& p = symbolic_.pattern();
  numeric_ = klu_l_factor(mut(p.col_ptr.data()), mut(p.row_idx.data()), mut(values),
                          symbolic_.get(), &common_);
  if (numeric_ == nullptr) throw_status(common_, "factor");
  values_ = values;
  static_stale_ = true;  // built on the first refactor: a one-off solve does not pay for it
  NumericStatus s = status();
  s.static_factor_refused = refused;
  return s;
}

// The first factorisation on the static kernel (the rule fired): its plan built once on the
// analysis's symbolic LU, with KLU's own row scale factors of these values (klu_l_scale, as
// klu_l_factor would scale them); false when the kernel refuses the diagonal pivots for these
// values (or KLU's scaling does: klu_l_factor then reports the error).
bool KluNumeric::factorize_static(const double* values) {
  const CscMatrix& p = symbolic_.pattern();
  if (!static_ || !static_symbolic_) {
    const StaticStructure& s = *symbolic_.static_structure();
    const Index n = p.rows;
    std::vector<double> rs;
    if (common_.scale > 0) {
      std::vector<double> by_row(n);
      std::vector<Index> w(n);
      if (!klu_l_scale(common_.scale, n, mut(p.col_ptr.data()), mut(p.row_idx.data()),
                       mut(values), by_row.data(), w.data(), &common_))
        return false;
      rs.resize(n);
      for (Index i = 0; i < n; ++i) rs[i] = by_row[s.P[i]];
    }
    static_.reset();
    static_ = std::make_unique<StaticLu>(p, s, rs);
    static_pivots_ = s.P;
    static_symbolic_ = true;
  }
  static_stale_ = false;
  // All of the arena's threads, whatever refactor_threads says: the rule fires only on seconds
  // of dense work (stress n = 300,000: 2.8 -> 1.9 s on two cores), where the level barriers
  // that make a millisecond refactor lose cost nothing. The same bits at any thread count.
  static_current_ = static_->refactor(values, 0);
  return static_current_;
}

NumericStatus KluNumeric::static_status() const {
  NumericStatus s;
  s.rcond = static_->rcond();
  s.nnz_factors = numeric_ != nullptr ? numeric_->lnz + numeric_->unz -
                                            symbolic_.pattern().rows + numeric_->nzoff
                                      : static_->nnz_factors();
  s.dense_columns = static_->dense_columns();
  return s;
}

StaticStructure KluNumeric::extract() {
  const Index n = symbolic_.pattern().rows;
  StaticStructure s;
  s.n = n;
  s.P.resize(n);
  s.Q.resize(n);
  s.R.resize(symbolic_.get()->nblocks + 1);
  s.Lp.resize(n + 1);
  s.Li.resize(numeric_->lnz);
  s.Up.resize(n + 1);
  s.Ui.resize(numeric_->unz);
  std::vector<double> lx(numeric_->lnz), ux(numeric_->unz);
  if (common_.scale > 0) s.Rs.resize(n);
  if (!klu_l_extract(numeric_, symbolic_.get(), s.Lp.data(), s.Li.data(), lx.data(), s.Up.data(),
                     s.Ui.data(), ux.data(), nullptr, nullptr, nullptr, s.P.data(), s.Q.data(),
                     s.Rs.empty() ? nullptr : s.Rs.data(), s.R.data(), &common_))
    throw_status(common_, "extract");
  return s;
}

// The static structure depends only on A's pattern and the pivot order: rebuilt when a full
// factorisation chose other pivots, kept when it chose the same (the Monte Carlo engine
// refactorizes the reference values after each fallback).
void KluNumeric::build_static() {
  StaticStructure s = extract();
  if (static_ && s.P == static_pivots_) return;
  static_.reset();
  static_ = std::make_unique<StaticLu>(symbolic_.pattern(), s);
  static_pivots_ = std::move(s.P);
  static_symbolic_ = false;
}

NumericStatus KluNumeric::refactor(const double* values) {
  if (!is_factorized()) return factorize(values);
  if (numeric_ != nullptr && symbolic_.options().static_refactor && static_stale_) {
    build_static();
    static_stale_ = false;
  }
  if (static_) {
    if (!static_->refactor(values, symbolic_.options().refactor_threads)) {
      static_current_ = false;
      // The caller factorizes afresh with pivoting: KLU's, even where the rule fired.
      skip_static_factor_ = true;
      return {false, 0.0, 0};
    }
    static_current_ = true;
    values_ = values;
    NumericStatus s = static_status();
    s.static_kernel = true;
    return s;
  }
  const CscMatrix& p = symbolic_.pattern();
  if (!klu_l_refactor(mut(p.col_ptr.data()), mut(p.row_idx.data()), mut(values), symbolic_.get(),
                      numeric_, &common_)) {
    // A zero pivot on the old order: the caller factorizes afresh with new pivots.
    release();
    return {false, 0.0, 0};
  }
  values_ = values;
  return status();
}

// Many solves with one factorisation (analyses, scenarios, repeated demands): past
// static_solve_after columns, refactor the same values with the static kernel once and solve
// with its factors from then on. When it refuses the values, solves stay with KLU's.
void KluNumeric::maybe_switch_to_static(Index nrhs) {
  const FactorizationOptions& o = symbolic_.options();
  if (static_current_ || static_refused_ || !o.static_refactor || o.static_solve_after < 0) return;
  columns_on_klu_ += nrhs;
  if (columns_on_klu_ <= o.static_solve_after) return;
  if (static_stale_) {
    build_static();
    static_stale_ = false;
  }
  static_current_ = static_->refactor(values_, symbolic_.options().refactor_threads);
  static_refused_ = !static_current_;
}

void KluNumeric::solve(double* x, Index nrhs, bool transposed) {
  maybe_switch_to_static(nrhs);
  if (static_current_) {
    static_->solve(x, nrhs, transposed);
    return;
  }
  const Index n = symbolic_.pattern().rows;
  const int ok = transposed ? klu_l_tsolve(symbolic_.get(), numeric_, n, nrhs, x, &common_)
                            : klu_l_solve(symbolic_.get(), numeric_, n, nrhs, x, &common_);
  if (!ok) throw_status(common_, transposed ? "tsolve" : "solve");
}

double KluNumeric::condition_estimate() {
  const CscMatrix& p = symbolic_.pattern();
  if (static_current_) {
    // numeric_ holds the reference's factors, not values_'s: estimate on a fresh KLU
    // factorisation of values_, leaving the reference (and the static kernel) as it is.
    klu_l_common common = make_common(symbolic_.options());
    klu_l_numeric* fresh = klu_l_factor(mut(p.col_ptr.data()), mut(p.row_idx.data()), mut(values_),
                                        symbolic_.get(), &common);
    if (fresh == nullptr) throw_status(common, "factor (condest)");
    const int ok =
        klu_l_condest(mut(p.col_ptr.data()), mut(values_), symbolic_.get(), fresh, &common);
    klu_l_free_numeric(&fresh, &common);
    if (!ok) throw_status(common, "condest");
    return common.condest;
  }
  if (!klu_l_condest(mut(p.col_ptr.data()), mut(values_), symbolic_.get(), numeric_, &common_))
    throw_status(common_, "condest");
  return common_.condest;
}

}  // namespace

void force_static_factor(bool force) { g_force_static_factor.store(force); }

std::unique_ptr<BackendSymbolic> analyze_klu(const CscMatrix& pattern,
                                             const FactorizationOptions& options) {
  return std::make_unique<KluSymbolic>(pattern, options);
}

std::unique_ptr<BackendSymbolic> load_klu(const CscMatrix& pattern,
                                          const FactorizationOptions& options,
                                          const KluAnalysisData& data) {
  return std::make_unique<KluSymbolic>(pattern, options, data);
}

KluAnalysisData klu_analysis_data(const BackendSymbolic& symbolic) {
  return dynamic_cast<const KluSymbolic&>(symbolic).data();
}

}  // namespace hiili::detail
