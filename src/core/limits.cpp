// The argument bounds of limits.hpp and the checks behind them.
#include "hiili/limits.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "hiili/error.hpp"
#include "hiili/synth.hpp"

namespace hiili {

namespace {

// A cgroup limit file: v2 memory.max ("max" or bytes), v1 memory.limit_in_bytes. 0 when none.
std::uint64_t cgroup_limit(const char* path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  return end != nullptr && *end == '\0' ? v : 0;
}

std::uint64_t parse_memory_variable(const char* text) {
  const std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  double scale = 1.0;
  std::string suffix(end);
  if (!suffix.empty()) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(suffix[0])));
    const std::string rest = suffix.substr(1);
    const bool unit_ok = rest.empty() || rest == "B" || rest == "iB" || rest == "b";
    scale = c == 'K' ? 0x1p10 : c == 'M' ? 0x1p20 : c == 'G' ? 0x1p30 : c == 'T' ? 0x1p40 : 0.0;
    if (scale == 0.0 || !unit_ok) scale = -1.0;
  }
  if (end == s.c_str() || scale < 0.0 || !(v > 0.0) || !std::isfinite(v) || v * scale > 0x1p62)
    throw InvalidInputError(
        "HIILI_MEMORY_LIMIT must be a positive number of bytes (suffix K, M, "
        "G or T allowed), got '" +
        s + "'");
  return static_cast<std::uint64_t>(v * scale);
}

std::string real(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void check_real(double value, double lo, double hi, const char* name) {
  if (!(value >= lo && value <= hi))
    throw InvalidInputError(std::string("synth: ") + name + " must be in [" + real(lo) + ", " +
                            real(hi) + "], got " + real(value));
}

}  // namespace

int max_threads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return std::max(256, 8 * static_cast<int>(std::min(hw, 1u << 20)));
}

void check_threads(long long threads, const char* name) {
  const int hi = max_threads();
  if (threads < 0 || threads > hi)
    throw InvalidInputError(std::string(name) + " must be 0 (all cores) or in [1, " +
                            std::to_string(hi) + "], got " + std::to_string(threads));
}

std::uint64_t memory_limit_bytes() {
  if (const char* env = std::getenv("HIILI_MEMORY_LIMIT"); env != nullptr && *env != '\0')
    return parse_memory_variable(env);
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  std::uint64_t limit =
      pages > 0 && page > 0 ? std::uint64_t(pages) * std::uint64_t(page) : std::uint64_t(1) << 62;
  for (const char* path :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    const std::uint64_t c = cgroup_limit(path);
    if (c > 0) limit = std::min(limit, c);
  }
  return limit;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 6) {
    bytes /= 1024.0;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.3g %s", bytes, units[u]);
  return buf;
}

void check_memory(double bytes, const std::string& what, const std::string& advice) {
  const std::uint64_t limit = memory_limit_bytes();
  if (!(bytes <= double(limit)))
    throw InvalidInputError(what + " needs about " + format_bytes(bytes) + ", more than the " +
                            format_bytes(double(limit)) + " of memory available" +
                            (advice.empty() ? std::string() : "; " + advice));
}

void check_range(long long value, long long lo, long long hi, const char* name) {
  if (value < lo || value > hi)
    throw InvalidInputError(std::string(name) + " must be in [" + std::to_string(lo) + ", " +
                            std::to_string(hi) + "], got " + std::to_string(value));
}

double synth_memory_estimate(const SynthOptions& o) {
  const double n = double(o.n);
  const double m = o.m < 0 ? std::max(1.0, std::floor(n / 8.0)) : std::max(1.0, double(o.m));
  const double k = double(o.k);
  // Per nonzero: the builder's entry and slot, the CSC row index and value, and a triplet in
  // flight while building; with uncertainty its parameters too. Labels: ~150 bytes a row.
  const double per_entry = o.uncertainty ? 150.0 : 80.0;
  const double a = n * (std::min(o.mean_inputs, kMaxSynthMeanInputs) + 2.5);
  const double b = n * (std::min(o.mean_flows, kMaxSynthMeanFlows) + 1.0);
  const double c = k * m * 0.3;  // each category covers up to 30 % of the flows
  const double labels = o.labels ? 150.0 * (n + m) + 100.0 * k : 0.0;
  return per_entry * (a + b) + 40.0 * c + labels + 16.0 * n + 8.0 * m;
}

void check_synth_options(const SynthOptions& o) {
  check_range(o.n, 1, kMaxSynthSize, "synth: n");
  if (o.m != -1) check_range(o.m, 1, kMaxSynthSize, "synth: m (-1: n / 8)");
  check_range(o.k, 0, kMaxSynthCategories, "synth: k");
  check_real(o.core_fraction, 0.0, 1.0, "core_fraction");
  check_real(o.mean_inputs, 0.0, kMaxSynthMeanInputs, "mean_inputs");
  check_real(o.mean_flows, 0.0, kMaxSynthMeanFlows, "mean_flows");
  check_memory(synth_memory_estimate(o),
               "synth: a model with n = " + std::to_string(o.n) + " activities",
               "choose a smaller n (or set HIILI_MEMORY_LIMIT if the estimate is wrong)");
}

}  // namespace hiili
