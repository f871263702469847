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
#include <string_view>

namespace hiili {

namespace detail {

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at
// most U+10FFFF) that starts `text`, or 0 when its first byte does not start one.
inline std::size_t utf8_sequence_length(std::string_view text) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t i = 2; i < length; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  return length;
}

// `text` with every byte that is not part of well-formed UTF-8, and every control character
// other than tab and newline (NUL, ESC, DEL, ...), written as the four characters \xNN. A
// message quoting bytes of a hostile file is then valid UTF-8 (it can become a Python str)
// and cannot drive a terminal. Text that needs no escaping is returned unchanged.
inline std::string escape_message(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    const std::size_t length = utf8_sequence_length(text.substr(i));
    const bool control = length == 1 && ((b < 0x20 && b != '\t' && b != '\n') || b == 0x7F);
    if (length == 0 || control) {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

// True when `text` is well-formed UTF-8 (what every hiili::Error message is).
inline bool is_valid_utf8(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace detail

// Base of every hiili exception. Derives from std::runtime_error, so `catch
// (const std::exception&)` still sees it. The message is stored escaped (see
// detail::escape_message): what() is always valid UTF-8 without control characters other
// than tab and newline, whatever bytes of the input it quotes. Every subclass inherits this.
class Error : public std::runtime_error {
 public:
  explicit Error(std::string_view what) : std::runtime_error(detail::escape_message(what)) {}
  explicit Error(const std::string& what) : Error(std::string_view(what)) {}
  explicit Error(const char* what) : Error(std::string_view(what)) {}
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
