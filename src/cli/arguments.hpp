// CLI11 validators for the command's integer options. The rules and messages are the library's
// (hiili/limits.hpp), so `hiili mc --threads 100000`, MonteCarloOptions::threads = 100000 and
// hiili.MonteCarlo(..., threads=100000) all say the same thing.
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <string>

#include "hiili/error.hpp"
#include "hiili/limits.hpp"

namespace hiili::cli {

// Bounds of the command's own counts: rows to print and path lengths are ints.
constexpr long long kMaxTop = 2147483647;
constexpr long long kMaxExpansions = 1'000'000'000'000;

// A seed: a whole number in [0, 2^64 - 1]; a message naming --seed otherwise.
inline std::string check_seed(const std::string& text) {
  unsigned long long v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || text.empty() || text[0] == '-')
    return "--seed must be an integer in [0, 18446744073709551615], got '" + text + "'";
  return {};
}

// The text as a whole integer, or a message naming `name` and [lo, hi].
inline std::string parse_checked_integer(const std::string& text, long long lo, long long hi,
                                         const std::string& name, long long& value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end)
    return name + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
           "], got '" + text + "'";
  return {};
}

// An integer option in [lo, hi]: hiili::check_range's rule and message.
inline CLI::Validator integer_in(long long lo, long long hi, std::string name) {
  return CLI::Validator(
      [lo, hi, name](std::string& text) -> std::string {
        long long v = 0;
        if (auto bad = parse_checked_integer(text, lo, hi, name, v); !bad.empty()) return bad;
        try {
          check_range(v, lo, hi, name.c_str());
        } catch (const InvalidInputError& e) {
          return e.what();
        }
        return {};
      },
      "INT in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", "integer_in");
}

// A thread count: 0 (all cores) or 1 .. hiili::max_threads() (hiili::check_threads).
inline CLI::Validator thread_count(std::string name = "--threads") {
  return CLI::Validator(
      [name](std::string& text) -> std::string {
        long long v = 0;
        if (auto bad = parse_checked_integer(text, 0, max_threads(), name, v); !bad.empty())
          return bad;
        try {
          check_threads(v, name.c_str());
        } catch (const InvalidInputError& e) {
          return e.what();
        }
        return {};
      },
      "0 (all cores) or 1.." + std::to_string(max_threads()), "threads");
}

}  // namespace hiili::cli
