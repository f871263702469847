// KLU backend: BTF + AMD/COLAMD, klu_l_* (64-bit indices).
#include <amd.h>
#include <klu.h>

#include <cmath>
#include <string>

#include "hiili/error.hpp"
#include "solver/backend.hpp"

namespace hiili::detail {
namespace {

static_assert(sizeof(SuiteSparse_long) == sizeof(Index), "KLU's long must be 64-bit");

// What KLU's user-ordering hook needs, and what it reports back (common.user_data).
struct AmdOrdering {
  double dense = 10.0;
  int status = AMD_OK;   // the first AMD failure, if any
  Index failed_n = 0;    // the size of the block it failed on
};

// KLU calls this for each diagonal block of the BTF form (ordering = 3). It is AMD as KLU's
// own ordering 0, but with the dense-row threshold of FactorizationOptions::amd_dense: the
// market hubs of LCA systems sit just below AMD's default threshold and make its degree
// updates quadratic. Returns 0 on failure (KLU then reports KLU_INVALID), else an estimate
// of nnz(L) as KLU's contract asks.
SuiteSparse_long amd_dense_order(SuiteSparse_long n, SuiteSparse_long* Ap, SuiteSparse_long* Ai,
                                 SuiteSparse_long* Perm, klu_l_common* common) {
  auto* ordering = static_cast<AmdOrdering*>(common->user_data);
  double control[AMD_CONTROL];
  double info[AMD_INFO];
  amd_l_defaults(control);
  control[AMD_DENSE] = ordering->dense;
  const int status = amd_l_order(n, Ap, Ai, Perm, control, info);
  if (status < AMD_OK) {
    if (ordering->status == AMD_OK) {
      ordering->status = status;
      ordering->failed_n = n;
    }
    return 0;
  }
  return static_cast<SuiteSparse_long>(info[AMD_LNZ]) + n;
}

// `ordering` must outlive the analysis when options.ordering is Amd (KLU calls back into it).
klu_l_common make_common(const FactorizationOptions& options, AmdOrdering* ordering = nullptr) {
  klu_l_common common;
  klu_l_defaults(&common);
  common.btf = options.btf ? 1 : 0;
  common.ordering = options.ordering == Ordering::Amd ? 0 : 1;
  if (options.ordering == Ordering::Amd && ordering != nullptr) {
    common.ordering = 3;
    common.user_order = amd_dense_order;
    common.user_data = ordering;
  }
  common.halt_if_singular = 1;
  return common;
}

[[noreturn]] void throw_amd(const AmdOrdering& ordering) {
  const std::string where = " (AMD ordering of a " + std::to_string(ordering.failed_n) + " x " +
                            std::to_string(ordering.failed_n) + " diagonal block)";
  if (ordering.status == AMD_OUT_OF_MEMORY) throw Error("out of memory" + where);
  throw InvalidInputError("invalid pattern" + where + ": AMD status " +
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
  double condition_estimate() override;
  bool is_factorized() const override { return numeric_ != nullptr; }

 private:
  NumericStatus status();
  void release() {
    if (numeric_ != nullptr) klu_l_free_numeric(&numeric_, &common_);
  }
  const KluSymbolic& symbolic_;
  klu_l_common common_;
  klu_l_numeric* numeric_ = nullptr;
  const double* values_ = nullptr;  // the values last factorized (owned by Factorization)
};

class KluSymbolic final : public BackendSymbolic {
 public:
  KluSymbolic(const CscMatrix& pattern, const FactorizationOptions& options)
      : pattern_(pattern), options_(options) {
    if (std::isnan(options.amd_dense))
      throw InvalidInputError("FactorizationOptions::amd_dense is NaN");
    AmdOrdering ordering{options.amd_dense};
    klu_l_common common = make_common(options, &ordering);
    symbolic_ = klu_l_analyze(pattern.rows, mut(pattern.col_ptr.data()),
                              mut(pattern.row_idx.data()), &common);
    if (symbolic_ == nullptr) {
      if (ordering.status != AMD_OK) throw_amd(ordering);
      if (common.status == KLU_SINGULAR || common.structural_rank < pattern.rows)
        throw SingularMatrixError("technosphere matrix is structurally singular: structural rank " +
                                      std::to_string(common.structural_rank) + " < n = " +
                                      std::to_string(pattern.rows),
                                  -1, 0.0);
      throw_status(common, "analyze");
    }
    if (common.structural_rank >= 0 && common.structural_rank < pattern.rows) {
      klu_l_free_symbolic(&symbolic_, &common);
      throw SingularMatrixError("technosphere matrix is structurally singular: structural rank " +
                                    std::to_string(common.structural_rank) + " < n = " +
                                    std::to_string(pattern.rows),
                                -1, 0.0);
    }
  }
  ~KluSymbolic() override {
    klu_l_common common = make_common(options_);
    klu_l_free_symbolic(&symbolic_, &common);
  }
  Index blocks() const override { return symbolic_->nblocks; }
  Index max_block() const override { return symbolic_->maxblock; }
  std::unique_ptr<BackendNumeric> make_numeric() const override {
    return std::make_unique<KluNumeric>(*this);
  }

  const CscMatrix& pattern() const { return pattern_; }
  const FactorizationOptions& options() const { return options_; }
  // KLU only reads Symbolic during factor/refactor/solve; it is shared between threads.
  klu_l_symbolic* get() const { return symbolic_; }

 private:
  const CscMatrix& pattern_;  // owned by SymbolicAnalysis, which owns this object
  FactorizationOptions options_;
  klu_l_symbolic* symbolic_ = nullptr;
};

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
  const CscMatrix& p = symbolic_.pattern();
  numeric_ = klu_l_factor(mut(p.col_ptr.data()), mut(p.row_idx.data()), mut(values),
                          symbolic_.get(), &common_);
  if (numeric_ == nullptr) throw_status(common_, "factor");
  values_ = values;
  return status();
}

NumericStatus KluNumeric::refactor(const double* values) {
  if (numeric_ == nullptr) return factorize(values);
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

void KluNumeric::solve(double* x, Index nrhs, bool transposed) {
  const Index n = symbolic_.pattern().rows;
  const int ok = transposed ? klu_l_tsolve(symbolic_.get(), numeric_, n, nrhs, x, &common_)
                            : klu_l_solve(symbolic_.get(), numeric_, n, nrhs, x, &common_);
  if (!ok) throw_status(common_, transposed ? "tsolve" : "solve");
}

double KluNumeric::condition_estimate() {
  const CscMatrix& p = symbolic_.pattern();
  if (!klu_l_condest(mut(p.col_ptr.data()), mut(values_), symbolic_.get(), numeric_, &common_))
    throw_status(common_, "condest");
  return common_.condest;
}

}  // namespace

std::unique_ptr<BackendSymbolic> analyze_klu(const CscMatrix& pattern,
                                             const FactorizationOptions& options) {
  return std::make_unique<KluSymbolic>(pattern, options);
}

}  // namespace hiili::detail
