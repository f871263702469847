#include "output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "io/text_tables.hpp"

namespace hiili::cli {

Table::Table(std::vector<std::string> header, std::vector<bool> right_aligned)
    : header_(std::move(header)), right_(std::move(right_aligned)) {
  right_.resize(header_.size(), false);
}

void Table::add(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

namespace {
// Display width in code points (labels may hold UTF-8).
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string cut(const std::string& s, std::size_t max_width) {
  if (width(s) <= max_width) return s;
  std::string out;
  std::size_t w = 0;
  for (char c : s) {
    bool starts = (c & 0xC0) != 0x80;
    if (starts && w == max_width - 3) break;
    if (starts) ++w;
    out += c;
  }
  return out + "...";
}
}  // namespace

void Table::print_text(std::FILE* out, std::size_t max_width, int indent) const {
  std::vector<std::size_t> widths(header_.size());
  for (std::size_t c = 0; c < header_.size(); ++c) widths[c] = width(header_[c]);
  for (const auto& row : rows_)
    for (std::size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], std::min(width(row[c]), max_width));
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line(indent, ' ');
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::string cell = cut(row[c], max_width);
      std::string pad(widths[c] - width(cell), ' ');
      bool last = c + 1 == row.size();
      line += right_[c] ? pad + cell : (last ? cell : cell + pad);
      if (!last) line += "  ";
    }
    fmt::print(out, "{}\n", line);
  };
  print_row(header_);
  std::vector<std::string> rule;
  for (auto w : widths) rule.emplace_back(w, '-');
  print_row(rule);
  for (const auto& row : rows_) print_row(row);
}

void Table::print_csv(std::FILE* out, bool with_header) const {
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) line += ',';
      line += io::detail::csv_field(row[c]);
    }
    fmt::print(out, "{}\n", line);
  };
  if (with_header) print_row(header_);
  for (const auto& row : rows_) print_row(row);
}

std::string thousands(long long value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string duration(double seconds) {
  if (seconds < 1e-3) return fmt::format("{:.1f} us", seconds * 1e6);
  if (seconds < 1.0) return fmt::format("{:.1f} ms", seconds * 1e3);
  return fmt::format("{:.2f} s", seconds);
}

std::string number(double value) {
  if (value == 0.0 || !std::isfinite(value)) return fmt::format("{}", value);
  double a = std::abs(value);
  if (a < 1e-3 || a >= 1e9) return fmt::format("{:.5e}", value);
  // Six significant digits in fixed notation, the integer part grouped by thousands.
  int digits = std::max(0, 5 - static_cast<int>(std::floor(std::log10(a))));
  std::string text = fmt::format("{:.{}f}", a, digits);
  auto point = text.find('.');
  std::string integer = text.substr(0, point);
  std::string grouped = thousands(std::stoll(integer));
  return (value < 0 ? "-" : "") + grouped + (point == std::string::npos ? "" : text.substr(point));
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string what, bool enabled) : what_(std::move(what)) {
  if (enabled && stderr_is_terminal()) thread_ = std::thread([this] { run(); });
}

Progress::~Progress() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Progress::run() {
  static constexpr const char* kFrames[] = {"|", "/", "-", "\\"};
  Stopwatch clock;
  std::unique_lock lock(mutex_);
  if (cv_.wait_for(lock, std::chrono::seconds(1), [this] { return done_; })) return;
  for (int frame = 0; !done_; ++frame) {
    fmt::print(stderr, "\r{} {} ... {:.1f} s ", kFrames[frame % 4], what_, clock.seconds());
    std::fflush(stderr);
    shown_ = true;
    cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return done_; });
  }
  if (shown_) {
    fmt::print(stderr, "\r{}\r", std::string(what_.size() + 24, ' '));
    std::fflush(stderr);
  }
}

}  // namespace hiili::cli
