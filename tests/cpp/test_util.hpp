// Shared helpers for the C++ tests: small random systems and an independent dense reference.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <system_error>
#include <vector>

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

// Expects f() to throw FormatError whose message contains each of `parts`; fails the test when
// it throws nothing or another exception.
inline void expect_format_error(const std::function<void()>& f,
                                const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no FormatError thrown";
  } catch (const FormatError& e) {
    const std::string what = e.what();
    for (const std::string& part : parts)
      EXPECT_NE(what.find(part), std::string::npos) << "message lacks '" << part << "': " << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected FormatError, got: " << e.what();
  }
}

// Expects solve() to refuse its answer under residual_tolerance 1e-300, which no floating-point
// answer can meet: IllConditionedError with a backward error above that tolerance and below
// 1e-12 (the answer itself is fine to rounding).
inline void expect_refused_below_rounding(const std::function<void()>& solve) {
  try {
    solve();
    ADD_FAILURE() << "expected IllConditionedError";
  } catch (const IllConditionedError& e) {
    EXPECT_GT(e.residual(), 1e-300);
    EXPECT_LT(e.residual(), 1e-12);
  }
}

// A fresh, empty folder under the system's temporary one, named for the process, the running
// test and a counter (so tests in parallel processes and several per test never share one);
// removed with its contents when the TempDir goes out of scope.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    std::string name = "hiili_" + std::to_string(::getpid()) + "_";
    if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info())
      name += std::string(info->test_suite_name()) + "_" + info->name() + "_";
    name += std::to_string(counter++);
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path() / relative (creating folders); returns the file's path.
  std::filesystem::path write(const std::string& relative, const std::string& content) const {
    const std::filesystem::path p = path_ / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace hiili::test_util
