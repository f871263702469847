// W doubles as one GCC / Clang vector (W = 2, 4, 8): the multi-column solve and residual
// kernels hold W right-hand sides per row. Element-wise operations, each lane exactly the
// scalar operation (no contraction into fused multiply-adds here): the same bits as one
// column at a time. Loads and stores are unaligned-safe (memcpy).
#pragma once

// The helpers below are always inlined: no vector crosses a call boundary, so the ABI notes
// GCC gives for vectors wider than the target's registers do not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <cstring>

namespace hiili::detail {

typedef double Lanes2 __attribute__((vector_size(16)));
typedef double Lanes4 __attribute__((vector_size(32)));
typedef double Lanes8 __attribute__((vector_size(64)));

template <int W>
struct LanesOf;
template <>
struct LanesOf<2> {
  using type = Lanes2;
};
template <>
struct LanesOf<4> {
  using type = Lanes4;
};
template <>
struct LanesOf<8> {
  using type = Lanes8;
};

template <int W>
using Lanes = typename LanesOf<W>::type;

template <int W>
[[gnu::always_inline]] inline Lanes<W> load_lanes(const double* p) {
  Lanes<W> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <int W>
[[gnu::always_inline]] inline void store_lanes(double* p, Lanes<W> v) {
  std::memcpy(p, &v, sizeof v);
}

template <int W>
[[gnu::always_inline]] inline bool all_zero(Lanes<W> v) {
  for (int c = 0; c < W; ++c)
    if (v[c] != 0.0) return false;
  return true;
}

}  // namespace hiili::detail
