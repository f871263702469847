// Shared helpers for the C++ tests: small random systems and an independent dense reference.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <Eigen/Dense>

#include "hiili/error.hpp"
#include "hiili/model.hpp"
#include "hiili/sparse.hpp"
#include "hiili/uncertainty.hpp"

namespace hiili::test_util {

// CSC from a dense matrix, keeping entries whose |value| > 0 (and the diagonal when asked).
inline CscMatrix to_csc(const Eigen::MatrixXd& D, bool keep_diagonal = false) {
  CscMatrix m = CscMatrix::zeros(D.rows(), D.cols());
  for (Index j = 0; j < D.cols(); ++j) {
    for (Index i = 0; i < D.rows(); ++i) {
      if (D(i, j) != 0.0 || (keep_diagonal && i == j)) {
        m.row_idx.push_back(i);
        m.values.push_back(D(i, j));
      }
    }
    m.col_ptr[j + 1] = m.nnz();
  }
  return m;
}

// A random sparse technosphere-like matrix: unit diagonal, negative inputs with density
// `density`; `dominant` makes it column diagonally dominant, otherwise general (still
// nonsingular with probability one, checked against the dense LU by the caller).
inline Eigen::MatrixXd random_technosphere(Index n, double density, unsigned seed,
                                           bool dominant = true) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n, n);
  for (Index j = 0; j < n; ++j) {
    double sum = 0.0;
    for (Index i = 0; i < n; ++i)
      if (i != j && u(rng) < density) sum += (A(i, j) = -u(rng) - 0.01);
    A(j, j) = dominant ? 1.0 + 1.5 * std::abs(sum) * u(rng) + std::abs(sum) : 0.5 + u(rng);
    if (!dominant && u(rng) < 0.3) A(j, j) = -A(j, j);
  }
  return A;
}

inline Eigen::MatrixXd random_dense(Index rows, Index cols, double density, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Eigen::MatrixXd M = Eigen::MatrixXd::Zero(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i)
      if (u(rng) < density) M(i, j) = u(rng) * 10.0;
  return M;
}

inline double rel_error(const Eigen::MatrixXd& got, const Eigen::MatrixXd& want) {
  const double scale = std::max(want.cwiseAbs().maxCoeff(), 1e-300);
  return (got - want).cwiseAbs().maxCoeff() / scale;
}

// An uncertainty record as stats_arrays writes it (NaN: the field is unused by that type).
inline Uncertainty uncertainty(int type, double loc = std::numeric_limits<double>::quiet_NaN(),
                               double scale = std::numeric_limits<double>::quiet_NaN(),
                               double shape = std::numeric_limits<double>::quiet_NaN(),
                               double minimum = std::numeric_limits<double>::quiet_NaN(),
                               double maximum = std::numeric_limits<double>::quiet_NaN(),
                               bool negative = false) {
  Uncertainty u;
  u.type = static_cast<std::uint8_t>(type);
  u.loc = loc;
  u.scale = scale;
  u.shape = shape;
  u.minimum = minimum;
  u.maximum = maximum;
  u.negative = negative;
  return u;
}

// The InvalidInputError `f` throws; fails the test when it throws nothing or something else.
template <class F>
std::string invalid_input_message(F&& f) {
  try {
    f();
  } catch (const InvalidInputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InvalidInputError";
  return {};
}

}  // namespace hiili::test_util
