// Eigen SparseLU backend (supernodal, COLAMD ordering). Eigen keeps the symbolic analysis
// inside the solver object, so each numeric factorisation analyses the shared pattern itself.
#include <Eigen/SparseLU>

#include <cmath>
#include <limits>
#include <string>

#include "hiili/error.hpp"
#include "solver/backend.hpp"

namespace hiili::detail {
namespace {

using SpMat = Eigen::SparseMatrix<double, Eigen::ColMajor, Index>;
using ConstMap = Eigen::Map<const SpMat>;

class EigenNumeric final : public BackendNumeric {
 public:
  explicit EigenNumeric(const CscMatrix& pattern) : pattern_(pattern) {}
  NumericStatus factorize(const double* values) override {
    ConstMap A(pattern_.rows, pattern_.cols, pattern_.nnz(), pattern_.col_ptr.data(),
               pattern_.row_idx.data(), values);
    if (!analysed_) {
      lu_.analyzePattern(A);
      analysed_ = true;
    }
    factorized_ = false;
    lu_.factorize(A);
    if (lu_.info() != Eigen::Success)
      throw SingularMatrixError("technosphere matrix is singular (Eigen SparseLU): " +
                                    lu_.lastErrorMessage(),
                                -1, 0.0);
    factorized_ = true;
    NumericStatus s;
    s.rcond = std::numeric_limits<double>::quiet_NaN();  // no cheap estimate
    s.nnz_factors = lu_.nnzL() + lu_.nnzU();
    if (pivot_ratio() == 0.0)
      throw SingularMatrixError("technosphere matrix is singular (Eigen SparseLU): zero pivot", -1,
                                0.0);
    return s;
  }
  void solve(double* x, Index nrhs, bool transposed) override {
    Eigen::Map<Eigen::MatrixXd> X(x, pattern_.rows, nrhs);
    if (transposed)
      X = lu_.transpose().solve(Eigen::MatrixXd(X));
    else
      X = lu_.solve(Eigen::MatrixXd(X));
  }
  double condition_estimate() override { return std::numeric_limits<double>::quiet_NaN(); }
  bool is_factorized() const override { return factorized_; }

 private:
  // Eigen exposes no pivot ratio; a zero pivot shows as log|det| = -inf. The numeric
  // quality is judged by Factorization's residual check instead.
  double pivot_ratio() { return std::isfinite(lu_.logAbsDeterminant()) ? 1.0 : 0.0; }
  const CscMatrix& pattern_;
  Eigen::SparseLU<SpMat, Eigen::COLAMDOrdering<Index>> lu_;
  bool analysed_ = false;
  bool factorized_ = false;
};

class EigenSymbolic final : public BackendSymbolic {
 public:
  explicit EigenSymbolic(const CscMatrix& pattern) : pattern_(pattern) {}
  std::unique_ptr<BackendNumeric> make_numeric() const override {
    return std::make_unique<EigenNumeric>(pattern_);
  }

 private:
  const CscMatrix& pattern_;
};

}  // namespace

std::unique_ptr<BackendSymbolic> analyze_eigen(const CscMatrix& pattern,
                                               const FactorizationOptions&) {
  return std::make_unique<EigenSymbolic>(pattern);
}

}  // namespace hiili::detail
