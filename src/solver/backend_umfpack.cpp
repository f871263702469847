// UMFPACK backend: umfpack_dl_* (64-bit indices). The symbolic object is only read by
// umfpack_dl_numeric, so it is shared; solves use wsolve with preallocated workspace.
#include <umfpack.h>

#include <cmath>
#include <string>
#include <vector>

#include "hiili/error.hpp"
#include "solver/backend.hpp"

namespace hiili::detail {
namespace {

[[noreturn]] void throw_status(long status, const char* step) {
  switch (status) {
    case UMFPACK_WARNING_singular_matrix:
      throw SingularMatrixError(std::string("technosphere matrix is singular (UMFPACK ") + step + ")",
                                -1, 0.0);
    case UMFPACK_ERROR_out_of_memory:
      throw Error(std::string("UMFPACK ") + step + ": out of memory");
    default:
      throw InvalidInputError(std::string("UMFPACK ") + step + ": status " + std::to_string(status));
  }
}

class UmfpackSymbolic;

class UmfpackNumeric final : public BackendNumeric {
 public:
  explicit UmfpackNumeric(const UmfpackSymbolic& symbolic);
  ~UmfpackNumeric() override { release(); }
  NumericStatus factorize(const double* values) override;
  void solve(double* x, Index nrhs, bool transposed) override;
  double condition_estimate() override { return last_rcond_ > 0 ? 1.0 / last_rcond_ : INFINITY; }
  bool is_factorized() const override { return numeric_ != nullptr; }

 private:
  void release() {
    if (numeric_ != nullptr) umfpack_dl_free_numeric(&numeric_);
  }
  const UmfpackSymbolic& symbolic_;
  void* numeric_ = nullptr;
  const double* values_ = nullptr;
  double last_rcond_ = 0.0;
  std::vector<double> control_, info_, b_, w_;
  std::vector<Index> wi_;
};

class UmfpackSymbolic final : public BackendSymbolic {
 public:
  UmfpackSymbolic(const CscMatrix& pattern, const FactorizationOptions&) : pattern_(pattern) {
    control_.resize(UMFPACK_CONTROL);
    umfpack_dl_defaults(control_.data());
    std::vector<double> info(UMFPACK_INFO);
    // Values are not needed for the symbolic step (NULL Ax is allowed).
    const long status = umfpack_dl_symbolic(pattern.rows, pattern.cols, pattern.col_ptr.data(),
                                            pattern.row_idx.data(), nullptr, &symbolic_,
                                            control_.data(), info.data());
    if (status != UMFPACK_OK) throw_status(status, "symbolic");
  }
  ~UmfpackSymbolic() override { umfpack_dl_free_symbolic(&symbolic_); }
  std::unique_ptr<BackendNumeric> make_numeric() const override {
    return std::make_unique<UmfpackNumeric>(*this);
  }
  const CscMatrix& pattern() const { return pattern_; }
  void* get() const { return symbolic_; }
  const std::vector<double>& control() const { return control_; }

 private:
  const CscMatrix& pattern_;
  void* symbolic_ = nullptr;
  std::vector<double> control_;
};

UmfpackNumeric::UmfpackNumeric(const UmfpackSymbolic& symbolic)
    : symbolic_(symbolic), control_(symbolic.control()), info_(UMFPACK_INFO) {
  const Index n = symbolic.pattern().rows;
  b_.resize(n);
  w_.resize(5 * n);
  wi_.resize(n);
}

NumericStatus UmfpackNumeric::factorize(const double* values) {
  release();
  const CscMatrix& p = symbolic_.pattern();
  const long status = umfpack_dl_numeric(p.col_ptr.data(), p.row_idx.data(), values,
                                         symbolic_.get(), &numeric_, control_.data(), info_.data());
  if (status == UMFPACK_WARNING_singular_matrix) {
    release();
    throw_status(status, "numeric");
  }
  if (status != UMFPACK_OK) {
    release();
    throw_status(status, "numeric");
  }
  values_ = values;
  last_rcond_ = info_[UMFPACK_RCOND];
  NumericStatus s;
  s.rcond = last_rcond_;
  s.nnz_factors = static_cast<Index>(info_[UMFPACK_LNZ] + info_[UMFPACK_UNZ]);
  return s;
}

void UmfpackNumeric::solve(double* x, Index nrhs, bool transposed) {
  const CscMatrix& p = symbolic_.pattern();
  const Index n = p.rows;
  // No iterative refinement inside UMFPACK: Factorization refines in one place for all backends.
  control_[UMFPACK_IRSTEP] = 0;
  for (Index r = 0; r < nrhs; ++r) {
    double* col = x + r * n;
    std::copy(col, col + n, b_.begin());
    const long status = umfpack_dl_wsolve(transposed ? UMFPACK_At : UMFPACK_A, p.col_ptr.data(),
                                          p.row_idx.data(), values_, col, b_.data(), numeric_,
                                          control_.data(), info_.data(), wi_.data(), w_.data());
    if (status != UMFPACK_OK) throw_status(status, "solve");
  }
}

}  // namespace

std::unique_ptr<BackendSymbolic> analyze_umfpack(const CscMatrix& pattern,
                                                 const FactorizationOptions& options) {
  return std::make_unique<UmfpackSymbolic>(pattern, options);
}

}  // namespace hiili::detail
