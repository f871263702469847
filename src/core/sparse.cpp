#include "hiili/sparse.hpp"

#include <cmath>
#include <string>

#include "hiili/error.hpp"

namespace hiili {

CscMatrix CscMatrix::zeros(Index rows, Index cols) {
  CscMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.col_ptr.assign(static_cast<std::size_t>(cols) + 1, 0);
  return m;
}

void CscMatrix::validate(const char* name) const {
  auto fail = [&](const std::string& what) {
    throw InvalidInputError(std::string(name) + ": " + what);
  };
  if (rows < 0 || cols < 0) fail("negative shape");
  if (col_ptr.size() != static_cast<std::size_t>(cols) + 1)
    fail("column pointer array has " + std::to_string(col_ptr.size()) + " entries, expected " +
         std::to_string(cols + 1));
  if (col_ptr.front() != 0) fail("column pointers must start at 0");
  if (col_ptr.back() != nnz() || values.size() != row_idx.size())
    fail("nonzero count mismatch: col_ptr ends at " + std::to_string(col_ptr.back()) + ", " +
         std::to_string(row_idx.size()) + " row indices, " + std::to_string(values.size()) +
         " values");
  for (Index j = 0; j < cols; ++j) {
    if (col_ptr[j + 1] < col_ptr[j]) fail("column pointers decrease at column " + std::to_string(j));
    for (Index p = col_ptr[j]; p < col_ptr[j + 1]; ++p) {
      const Index i = row_idx[p];
      if (i < 0 || i >= rows)
        fail("row index " + std::to_string(i) + " out of range [0, " + std::to_string(rows) +
             ") in column " + std::to_string(j));
      if (p > col_ptr[j] && i <= row_idx[p - 1])
        fail("row indices not sorted and unique in column " + std::to_string(j));
      if (!std::isfinite(values[p]))
        fail("value at (" + std::to_string(i) + ", " + std::to_string(j) + ") is not finite");
    }
  }
}

Eigen::VectorXd CscMatrix::multiply(std::span<const double> x) const {
  if (static_cast<Index>(x.size()) != cols)
    throw InvalidInputError("multiply: vector has " + std::to_string(x.size()) +
                            " entries, matrix has " + std::to_string(cols) + " columns");
  Eigen::VectorXd y = Eigen::VectorXd::Zero(rows);
  for (Index j = 0; j < cols; ++j) {
    const double xj = x[j];
    if (xj == 0.0) continue;
    for (Index p = col_ptr[j]; p < col_ptr[j + 1]; ++p) y[row_idx[p]] += values[p] * xj;
  }
  return y;
}

Eigen::VectorXd CscMatrix::multiply_transposed(std::span<const double> x) const {
  if (static_cast<Index>(x.size()) != rows)
    throw InvalidInputError("multiply_transposed: vector has " + std::to_string(x.size()) +
                            " entries, matrix has " + std::to_string(rows) + " rows");
  Eigen::VectorXd y(cols);
  for (Index j = 0; j < cols; ++j) {
    double sum = 0.0;
    for (Index p = col_ptr[j]; p < col_ptr[j + 1]; ++p) sum += values[p] * x[row_idx[p]];
    y[j] = sum;
  }
  return y;
}

Eigen::MatrixXd CscMatrix::multiply(const Eigen::MatrixXd& X) const {
  if (X.rows() != cols)
    throw InvalidInputError("multiply: matrix has " + std::to_string(X.rows()) +
                            " rows, expected " + std::to_string(cols));
  Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(rows, X.cols());
  for (Index d = 0; d < X.cols(); ++d) {
    for (Index j = 0; j < cols; ++j) {
      const double xj = X(j, d);
      if (xj == 0.0) continue;
      for (Index p = col_ptr[j]; p < col_ptr[j + 1]; ++p) Y(row_idx[p], d) += values[p] * xj;
    }
  }
  return Y;
}

Eigen::MatrixXd CscMatrix::to_dense() const {
  Eigen::MatrixXd D = Eigen::MatrixXd::Zero(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index p = col_ptr[j]; p < col_ptr[j + 1]; ++p) D(row_idx[p], j) += values[p];
  return D;
}

}  // namespace hiili
