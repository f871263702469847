// hiili/distributions.hpp: reproducible sampling of the stats_arrays distributions.
//
// Random numbers come from a counter-based generator, Philox4x32-10 (Salmon et al., "Parallel
// random numbers: as easy as 1, 2, 3", SC 2011; Random123). A counter-based generator has no
// state to advance: the numbers for (seed, stream, iteration) are a pure function of those
// three, so iteration i of a Monte Carlo run draws the same values whichever thread runs it,
// in whatever order, split across however many runs or machines.
//
//   key     = the seed (64 bits)
//   counter = (stream, iteration | draw << 40)
//
// A *stream* names one matrix entry (stream_id(kind, entry)); each (stream, iteration) pair
// yields a sequence of uniforms, two per Philox block, that the distribution consumes: one
// for most distributions, a few for rejection samplers (gamma, beta, Student's t).
//
// Distributions follow stats_arrays, the convention of Brightway and ecoinvent (see
// uncertainty.hpp for the ids and parameters). Where stats_arrays samples by numpy this file
// samples by inverse CDF (normal, lognormal, uniform, triangular, Weibull, Gumbel, Bernoulli,
// discrete uniform) or by Marsaglia and Tsang's method (gamma; beta and Student's t through
// gamma): the same distributions, not the same numbers as numpy.
//
// Truncation: `minimum` and `maximum` bound the sampled value (the signed value, after the
// `negative` flag) for lognormal, normal, Weibull, gamma, Gumbel and Student's t. Lognormal,
// normal, Weibull and Gumbel are sampled by inverse CDF inside the window (exact, one uniform);
// gamma and Student's t by rejection, which is why their bounds must keep at least 0.1 % of
// the probability. For uniform, triangular and discrete uniform the bounds are parameters; for
// beta they rescale the support (default [0, 1]); Bernoulli ignores them.
//
// Every sample is the same on every machine: the arithmetic avoids libm (its exp and log differ
// in the last bit between versions) and fused multiply-adds.
//
// Thread safety: Sampler is immutable after construction and may be shared; a RandomStream is a
// small value type, one per (stream, iteration) being drawn.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "hiili/model.hpp"
#include "hiili/uncertainty.hpp"

namespace hiili {

// One Philox4x32-10 block: four 32-bit outputs for a 128-bit counter and a 64-bit key.
// Bit-identical to Random123's philox4x32 with R = 10.
std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter,
                                        std::array<std::uint32_t, 2> key) noexcept;

// The stream of matrix entry `entry` of matrix `kind`: entry | kind << 62.
constexpr std::uint64_t stream_id(MatrixKind kind, Index entry) noexcept {
  return static_cast<std::uint64_t>(entry) | (static_cast<std::uint64_t>(kind) << 62);
}

// The uniforms of one (seed, stream, iteration). Iterations must be below 2^40; a stream
// holds 2^24 blocks (2^25 uniforms), far more than any sampler here consumes.
class RandomStream {
 public:
  static constexpr std::uint64_t kMaxIteration = (std::uint64_t{1} << 40) - 1;

  RandomStream(std::uint64_t seed, std::uint64_t stream, std::uint64_t iteration) noexcept
      : seed_(seed), stream_(stream), iteration_(iteration) {}

  // A uniform in the open interval (0, 1) with 52 random bits (see to_uniform).
  double uniform() noexcept {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    double u[2];
    block(draw_++, u);
    spare_ = u[1];
    have_spare_ = true;
    return u[0];
  }

  // Blocks used so far.
  std::uint32_t draws() const noexcept { return draw_; }

  // The two uniforms of block `draw` of (seed, stream, iteration).
  static void block(std::uint64_t seed, std::uint64_t stream, std::uint64_t iteration,
                    std::uint32_t draw, double out[2]) noexcept;

 private:
  void block(std::uint32_t draw, double out[2]) const noexcept {
    block(seed_, stream_, iteration_, draw, out);
  }
  std::uint64_t seed_, stream_, iteration_;
  std::uint32_t draw_ = 0;
  bool have_spare_ = false;
  double spare_ = 0.0;
};

// The uniform in (0, 1) of a 64-bit word: (2 (w >> 12) + 1) 2^-53, i.e. the midpoints of
// 2^52 equal cells. Exact in double, symmetric (1 - u is another such value, also exact),
// never 0 or 1.
constexpr double to_uniform(std::uint64_t w) noexcept {
  return static_cast<double>(static_cast<std::int64_t>(((w >> 12) << 1) | 1u)) * 0x1.0p-53;
}

// One entry's distribution, validated and ready to sample. Construction checks the
// parameters (see validate() in uncertainty.hpp) and precomputes truncation windows;
// operator() then never fails.
class Sampler {
 public:
  // Fixed at zero.
  Sampler() = default;
  // `amount` is the entry's value for types 0 and 1 (fixed). Throws InvalidInputError whose
  // message says which parameter is wrong (the caller adds which entry).
  Sampler(const Uncertainty& uncertainty, double amount);

  std::uint8_t type() const noexcept { return type_; }
  // True for types 0 and 1: the value is the amount, no random numbers are used.
  bool is_fixed() const noexcept { return type_ <= 1; }

  // One value, drawing uniforms from `stream` (one block for the inverse-CDF distributions).
  double operator()(RandomStream& stream) const noexcept;

  // Probability mass of the untruncated distribution inside the bounds (1 without bounds).
  double coverage() const noexcept { return coverage_; }

  // Lognormal (2) and normal (3) are a function of one standard normal z drawn inside a
  // window; the engine's bulk path draws many at once with these pieces, bit-identically:
  //   p = window_low + u * window_width, clamped to (0, 1)
  //   z = Phi^-1(p), negated when window_upper; clamped to [z_low, z_high]
  //   value = normal_value(z)   (sign exp(mu + sigma z), or mu + sigma z)
  bool is_normal_family() const noexcept { return type_ == 2 || type_ == 3; }
  double normal_value(double z) const noexcept;
  double window_low() const noexcept { return w_lo_; }
  double window_width() const noexcept { return w_width_; }
  bool window_upper() const noexcept { return w_upper_; }
  double z_low() const noexcept { return lo_; }
  double z_high() const noexcept { return hi_; }
  double mu() const noexcept { return p_[0]; }
  double sigma() const noexcept { return p_[1]; }
  double sign() const noexcept { return sign_; }

 private:
  double draw_unsigned(RandomStream& stream) const noexcept;

  std::uint8_t type_ = 1;
  bool truncated_ = false;
  bool w_upper_ = false;     // inverse CDF in the upper tail (survival space)
  double sign_ = 1.0;        // -1 for the `negative` flag of lognormal, Weibull, gamma
  double p_[4] = {0, 0, 0, 0};  // parameters, meaning by type (see distributions.cpp)
  // Bounds on the unsigned variate (normal family: on z).
  double lo_ = -std::numeric_limits<double>::infinity();
  double hi_ = std::numeric_limits<double>::infinity();
  double w_lo_ = 0.0, w_width_ = 1.0;  // inverse-CDF truncation window in probability
  double coverage_ = 1.0;
};

// `count` values of one distribution for iterations first .. first + count - 1 of `stream`
// (what a Monte Carlo run draws for an entry with this stream id). For tests and tools.
// Throws InvalidInputError for bad parameters or an iteration beyond RandomStream's range.
std::vector<double> sample_distribution(const Uncertainty& uncertainty, double amount,
                                        std::uint64_t seed, Index count,
                                        std::uint64_t first_iteration = 0,
                                        std::uint64_t stream = 0);

// The values of matrix `kind`'s slots (model.data(kind).matrix.values, in that order) in
// iteration `iteration` of a Monte Carlo run with `seed`, as MonteCarlo draws them: each
// uncertain entry e (type > 1) sampled from stream_id(kind, e) and signed as the entry (flip),
// added in entry order to the sum of its slot's fixed entries; a slot without drawn entries
// keeps the model's value. For tools that look at one iteration's matrices (hiili.bw).
// Throws InvalidInputError naming the entry for bad parameters, or for an iteration beyond
// RandomStream's range.
std::vector<double> sampled_values(const Model& model, MatrixKind kind, std::uint64_t seed,
                                   std::uint64_t iteration);

}  // namespace hiili
