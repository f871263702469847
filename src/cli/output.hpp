// Printing for the `hiili` command: aligned tables for people, CSV for machines, and a
// progress indicator on stderr. Nothing here knows LCA.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hiili::cli {

enum class OutputMode { Text, Json, Csv };

// A table of strings; numeric columns are right-aligned in text.
class Table {
 public:
  explicit Table(std::vector<std::string> header, std::vector<bool> right_aligned = {});
  void add(std::vector<std::string> row);
  // Aligned columns with a header rule; cells longer than `max_width` are cut with "...".
  void print_text(std::FILE* out, std::size_t max_width = 60, int indent = 2) const;
  // RFC 4180 CSV; fields quoted as the writers quote them (io::detail::csv_field).
  void print_csv(std::FILE* out, bool with_header = true) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// 1234567 -> "1,234,567".
std::string thousands(long long value);
// Seconds as "12.3 ms", "1.25 s".
std::string duration(double seconds);
// A number for people: 6 significant digits, exponent only when needed.
std::string number(double value);

// Wall-clock seconds since construction.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Shows "<what> ... 2.1 s" on stderr, refreshed, once the work has taken more than a second,
// and erases it when destroyed. Does nothing when stderr is not a terminal or when disabled.
class Progress {
 public:
  Progress(std::string what, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

 private:
  void run();
  std::string what_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool shown_ = false;
  std::thread thread_;
};

// True when stderr is a terminal (progress is shown only then).
bool stderr_is_terminal();

}  // namespace hiili::cli
