// hiili/sparse.hpp: the compressed sparse column (CSC) matrix hiili stores and solves.
//
// Indices are 64-bit (hiili::Index) so that models with more than 2^31 nonzeros, and
// n = 1,000,000 activities, are representable. The layout is the one scipy.sparse.csc_matrix,
// KLU, UMFPACK and Eigen use: column j holds rows row_idx[col_ptr[j] .. col_ptr[j+1]) with
// values at the same positions. Row indices within a column are sorted and unique.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Core>

namespace hiili {

using Index = std::int64_t;

struct CscMatrix {
  Index rows = 0;
  Index cols = 0;
  std::vector<Index> col_ptr{0};  // size cols + 1
  std::vector<Index> row_idx;     // size nnz
  std::vector<double> values;     // size nnz

  Index nnz() const { return static_cast<Index>(row_idx.size()); }

  // An all-zero matrix of the given shape (no stored entries).
  static CscMatrix zeros(Index rows, Index cols);

  // Checks the invariants above (sizes, monotone col_ptr, sorted unique in-range rows,
  // finite values); throws InvalidInputError naming `name` and the offending entry.
  void validate(const char* name) const;
  // The same checks without the values (a pattern whose values come later).
  void validate_pattern(const char* name) const;

  // y = M x and y = M^T x. Sizes are checked (InvalidInputError).
  Eigen::VectorXd multiply(std::span<const double> x) const;
  Eigen::VectorXd multiply_transposed(std::span<const double> x) const;
  // Y = M X for a dense column-major X with cols() rows (one pass over M), and Y = M^T X for
  // one with rows() rows (one pass per 4 columns); each column gets the sums of the
  // one-column product in the same order.
  Eigen::MatrixXd multiply(const Eigen::MatrixXd& X) const;
  Eigen::MatrixXd multiply_transposed(const Eigen::MatrixXd& X) const;

  // Dense copy, for tests and small models.
  Eigen::MatrixXd to_dense() const;
};

}  // namespace hiili
