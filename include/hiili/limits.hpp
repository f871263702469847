// hiili/limits.hpp: the bounds hiili puts on counts, sizes and thread numbers, and the one
// place that checks them. The library calls these checks itself; the Python bindings and the
// `hiili` command line call the same functions, so one argument gets the same answer (and the
// same message) everywhere.
//
// Every check throws InvalidInputError with a message that names the argument, the value it
// got and the range it allows, e.g. "threads must be 0 (all cores) or in [1, 256], got 100000".
//
// Memory: where an operation can foresee that it needs more memory than the machine has (a
// synthetic model, a factorisation's predicted fill, a Monte Carlo table of scores), it
// compares its estimate with memory_limit_bytes() before allocating and throws
// InvalidInputError naming what is too large and what to change, instead of running into
// std::bad_alloc or the kernel's out-of-memory killer.
#pragma once

#include <cstdint>
#include <string>

#include "hiili/sparse.hpp"

namespace hiili {

struct SynthOptions;

// ---- threads -----------------------------------------------------------------------------

// The most worker threads one call may ask for: max(256, 8 x the hardware threads). More
// threads than that only cost memory (a stack and a factorisation each) and never speed.
int max_threads();

// Checks a thread count: 0 (every core this process may use) or 1 .. max_threads().
// `name` is the argument's name in the message ("threads", "--threads").
void check_threads(long long threads, const char* name = "threads");

// ---- memory ------------------------------------------------------------------------------

// The bytes of memory hiili plans against: the physical memory, or the cgroup (container)
// limit when that is lower, or the environment variable HIILI_MEMORY_LIMIT when set (bytes,
// with an optional K, M, G or T suffix in powers of 1024; InvalidInputError when unreadable).
std::uint64_t memory_limit_bytes();

// Throws InvalidInputError when `bytes` (an estimate) exceeds memory_limit_bytes(). The
// message reads "<what> needs about X GiB, more than the Y GiB of memory available; <advice>".
void check_memory(double bytes, const std::string& what, const std::string& advice = {});

// "1.5 GiB", "320 MiB", "12 KiB": a byte count for messages.
std::string format_bytes(double bytes);

// ---- integer arguments --------------------------------------------------------------------

// Checks lo <= value <= hi; InvalidInputError "<name> must be in [lo, hi], got value" else.
void check_range(long long value, long long lo, long long hi, const char* name);

// ---- synth (synth.hpp) --------------------------------------------------------------------

// The largest synthetic model: n and m up to 10^9, k up to 10^5 categories, mean_inputs up to
// 400 (the generator's cap on a column's inputs) and mean_flows up to 10^4.
constexpr Index kMaxSynthSize = 1'000'000'000;
constexpr Index kMaxSynthCategories = 100'000;
constexpr double kMaxSynthMeanInputs = 400.0;
constexpr double kMaxSynthMeanFlows = 10'000.0;

// The peak memory synth(options) needs, in bytes (the builder's triplets and the final
// matrices, uncertainty and labels), an estimate within about a factor of 1.5.
double synth_memory_estimate(const SynthOptions& options);

// Every rule on SynthOptions: n in [1, kMaxSynthSize], m = -1 or in [1, kMaxSynthSize],
// k in [0, kMaxSynthCategories], core_fraction in [0, 1], mean_inputs in [0, 400], mean_flows
// in [0, 10^4] (NaN refused), and synth_memory_estimate() within memory_limit_bytes().
// Throws InvalidInputError naming the option. synth() calls it before allocating anything.
void check_synth_options(const SynthOptions& options);

}  // namespace hiili
