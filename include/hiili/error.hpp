// hiili/error.hpp: the exceptions hiili throws at its public boundary.
//
// Every failure that a caller can cause (bad shapes, NaN/Inf, indices out of range, a
// singular technosphere, a corrupt file) is reported as a subclass of hiili::Error whose
// message names what is wrong and where (matrix, row, column, file, line). hiili never
// aborts, hangs or returns a silently wrong number for such input.
//
// In Python each subclass is an exception of the same name in the `hiili` module
// (hiili.Error, hiili.InvalidInputError, hiili.SingularMatrixError, ...).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace hiili {

// Base of every hiili exception. Derives from std::runtime_error, so `catch
// (const std::exception&)` still sees it.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller passed something hiili cannot use: mismatched shapes, a NaN or infinite value,
// an index out of range, an empty demand, an unknown label, a bad option.
class InvalidInputError : public Error {
 public:
  using Error::Error;
};

// The technosphere matrix cannot be factorised: structurally or numerically singular.
// `column()` is the (0-based) column where the factorisation broke down, or -1 when only
// the condition estimate `rcond()` tells (0 when unknown).
class SingularMatrixError : public Error {
 public:
  SingularMatrixError(const std::string& what, std::int64_t column = -1, double rcond = 0.0)
      : Error(what), column_(column), rcond_(rcond) {}
  std::int64_t column() const noexcept { return column_; }
  double rcond() const noexcept { return rcond_; }

 private:
  std::int64_t column_;
  double rcond_;
};

// A solve's backward error ||A x - b|| / (||A|| ||x|| + ||b||) stayed above the tolerance after
// one step of iterative refinement: the answer would not be trustworthy. `residual()` is that
// backward error.
class IllConditionedError : public Error {
 public:
  IllConditionedError(const std::string& what, double residual, double rcond)
      : Error(what), residual_(residual), rcond_(rcond) {}
  double residual() const noexcept { return residual_; }
  double rcond() const noexcept { return rcond_; }

 private:
  double residual_;
  double rcond_;
};

// A file could not be read as the format it claims to be: truncated, corrupt, wrong shape,
// ids that point nowhere, hostile sizes. The message names the file and the entry or line.
class FormatError : public Error {
 public:
  using Error::Error;
};

}  // namespace hiili
