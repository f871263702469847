// W doubles side by side (W = 2, 4, 8): the multi-column solve and product kernels hold W
// right-hand sides per row. Element-wise operations, each lane exactly the scalar operation
// (no contraction into fused multiply-adds here): the same bits as one column at a time.
// Loads and stores are unaligned-safe (memcpy).
#pragma once

// The helpers below are always inlined: no vector crosses a call boundary, so the ABI notes
// GCC gives for vectors wider than the target's registers do not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <cstdint>
#include <cstring>
#include <vector>

// A kernel on Lanes compiled twice, for AVX2 and for any x86-64 (GCC / Clang pick one when
// the library loads, ifunc). Neither clone uses fused multiply-adds, so the results are the
// same bits on every CPU. GCC only: clang (14) cannot multiversion the function templates
// these kernels are, so clang builds (the sanitizer and fuzz builds) compile them once.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define HIILI_LANE_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define HIILI_LANE_KERNEL
#endif

namespace hiili::detail {

typedef double Lanes2 __attribute__((vector_size(16)));
typedef double Lanes4 __attribute__((vector_size(32)));

// Eight lanes as two of four: one 64-byte GCC vector is split through the stack (spills in
// every update); two 32-byte halves stay in two AVX (or four SSE) registers.
struct Lanes8 {
  Lanes4 lo, hi;
  double operator[](int c) const { return c < 4 ? lo[c] : hi[c - 4]; }
};
[[gnu::always_inline]] inline Lanes8 operator+(Lanes8 a, Lanes8 b) {
  return {a.lo + b.lo, a.hi + b.hi};
}
[[gnu::always_inline]] inline Lanes8 operator-(Lanes8 a, Lanes8 b) {
  return {a.lo - b.lo, a.hi - b.hi};
}
[[gnu::always_inline]] inline Lanes8 operator*(double s, Lanes8 a) { return {s * a.lo, s * a.hi}; }
[[gnu::always_inline]] inline Lanes8 operator/(Lanes8 a, double s) { return {a.lo / s, a.hi / s}; }
[[gnu::always_inline]] inline Lanes8& operator+=(Lanes8& a, Lanes8 b) { return a = a + b; }
[[gnu::always_inline]] inline Lanes8& operator-=(Lanes8& a, Lanes8 b) { return a = a - b; }

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
  if constexpr (W == 8) {
    Lanes8 v;
    std::memcpy(&v.lo, p, sizeof v.lo);
    std::memcpy(&v.hi, p + 4, sizeof v.hi);
    return v;
  } else {
    Lanes<W> v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
}

template <int W>
[[gnu::always_inline]] inline void store_lanes(double* p, Lanes<W> v) {
  if constexpr (W == 8) {
    std::memcpy(p, &v.lo, sizeof v.lo);
    std::memcpy(p + 4, &v.hi, sizeof v.hi);
  } else {
    std::memcpy(p, &v, sizeof v);
  }
}

// A 64-byte aligned area of `size` doubles in `buffer` (a row of 8 lanes: one cache line).
inline double* aligned_rows(std::vector<double>& buffer, std::size_t size) {
  buffer.resize(size + 8);
  const auto address = reinterpret_cast<std::uintptr_t>(buffer.data());
  return buffer.data() + ((64 - address % 64) % 64) / sizeof(double);
}

template <int W>
[[gnu::always_inline]] inline bool all_zero(Lanes<W> v) {
  for (int c = 0; c < W; ++c)
    if (v[c] != 0.0) return false;
  return true;
}

}  // namespace hiili::detail
