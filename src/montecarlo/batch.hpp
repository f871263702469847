// Bulk drawing of lognormal and normal entries (the bulk of real LCA uncertainty data):
// Philox over arrays of counters, the central branch of the normal quantile and exp over
// arrays, so that the compiler vectorises them. Bit-identical to Sampler::operator() for the
// same (seed, stream, iteration): the same formulas in the same order, no FMA contraction.
#pragma once

#include <cstdint>
#include <vector>

#include "hiili/distributions.hpp"

namespace hiili::mc {

class NormalBatch {
 public:
  // Adds an entry with this sampler (type 2 or 3) and stream id; its draw lands at
  // out[position] in draw().
  void add(const Sampler& sampler, std::uint64_t stream, Index position);
  Index size() const { return static_cast<Index>(position_.size()); }

  // Draws every entry for `iteration` (block 0 of each stream) into out[position].
  // `scratch` is resized on the first call only (then reused: no allocation per iteration).
  // Chooses AVX2 or baseline x86-64 kernels at run time; the results are the same bits.
  // `kernel` forces a code path (tests check that all give the same bits); Auto picks AVX2
  // where the CPU has it.
  enum class Kernel { Auto, Avx2, Baseline, Scalar };
  void draw(std::uint64_t seed, std::uint64_t iteration, double* out,
            std::vector<double>& scratch, Kernel kernel = Kernel::Auto) const;
  // Whether this build and CPU can run `kernel`.
  static bool available(Kernel kernel);

 private:
  std::vector<std::uint32_t> c0_, c1_;  // stream id, low and high words
  std::vector<double> w_lo_, w_width_, z_lo_, z_hi_, flip_, mu_, sigma_, sign_;
  std::vector<double> log_;  // 1: lognormal, 0: normal
  std::vector<Index> position_;
};

}  // namespace hiili::mc
