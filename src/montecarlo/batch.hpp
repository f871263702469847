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
  // out[position] in draw(), negated when `flip` (Brightway's flip: the same bits as -1 times
  // the draw; a lognormal's flip is folded into its sign, a normal's is a negation after the
  // draw).
  void add(const Sampler& sampler, std::uint64_t stream, Index position, bool flip = false);
  Index size() const { return static_cast<Index>(position_.size()); }

  // Draws every entry for `iteration` (block 0 of each stream) into out[position].
  // Works in fixed buffers on the stack (about 7 KB): no allocation; `scratch` is unused (kept
  // for the callers' signature).
  // Chooses AVX2 or baseline x86-64 kernels at run time; the results are the same bits.
  // `kernel` forces a code path (tests check that all give the same bits); Auto picks AVX2
  // where the CPU has it. Avx512: the AVX2 kernel with Philox eight blocks per vector.
  enum class Kernel { Auto, Avx2, Baseline, Scalar, Avx512 };
  void draw(std::uint64_t seed, std::uint64_t iteration, double* out,
            std::vector<double>& scratch, Kernel kernel = Kernel::Auto) const;
  // Whether this build and CPU can run `kernel`.
  static bool available(Kernel kernel);

 private:
  // Per entry, padded to a multiple of 4 with harmless entries (never written out).
  std::vector<std::uint32_t> c0_, c1_;  // stream id, low and high words
  std::vector<double> mu_, sigma_;
  std::vector<double> lsign_;  // lognormal: its sign (+-1); normal: 0
  std::vector<Index> position_;
  std::vector<Index> negate_;  // positions of flipped normal entries
  bool contiguous_ = true;  // position_[i] == position_[0] + i (the engine's layout)
  // Groups of 4 entries with a truncation window or an upper-tail flip ("windowed"): most
  // entries have neither (p = u, z unclamped), so their parameters are kept apart, 4 per group
  // (the group's plain lanes hold 0, 1, 1, -inf, inf, which change no bit).
  std::vector<std::int32_t> win_group_;  // ascending group numbers (entry / 4)
  std::vector<double> win_lo_, win_width_, win_flip_, win_z_lo_, win_z_hi_;
};

}  // namespace hiili::mc
