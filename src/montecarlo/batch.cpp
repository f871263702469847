#include "montecarlo/batch.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "montecarlo/special.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HIILI_MC_X86 1
#endif
#if defined(__GNUC__) || defined(__clang__)
#define HIILI_MC_VECTOR 1
#pragma GCC diagnostic ignored "-Wpsabi"
#define HIILI_INLINE inline __attribute__((always_inline))
#else
#define HIILI_INLINE inline
#endif

namespace hiili::mc {

namespace {

constexpr int kBlock = 256;  // entries per pass (a multiple of 4)
constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
constexpr double kTinyP = 4.9406564584124654e-324;
constexpr double kOneMinus = 1.0 - 0x1.0p-53;

// ---- Philox4x32-10, first 64-bit word of each block ----------------------------------------

void philox_words_scalar(const std::uint32_t* c0, const std::uint32_t* c1, int n,
                         std::uint32_t c2, std::uint32_t c3, std::uint32_t k0in,
                         std::uint32_t k1in, double* out) {
  for (int i = 0; i < n; ++i) {
    std::uint32_t a = c0[i], b = c1[i], c = c2, d = c3, k0 = k0in, k1 = k1in;
    for (int r = 0; r < 10; ++r) {
      const std::uint64_t p0 = std::uint64_t{kM0} * a;
      const std::uint64_t p1 = std::uint64_t{kM1} * c;
      const std::uint32_t na = std::uint32_t(p1 >> 32) ^ b ^ k0;
      const std::uint32_t nc = std::uint32_t(p0 >> 32) ^ d ^ k1;
      b = std::uint32_t(p1);
      d = std::uint32_t(p0);
      a = na;
      c = nc;
      k0 += kW0;
      k1 += kW1;
    }
    out[i] = to_uniform(std::uint64_t{a} | (std::uint64_t{b} << 32));
  }
}

#ifdef HIILI_MC_X86
// Four blocks per vector: each 32-bit word in the low half of a 64-bit lane, so that
// _mm256_mul_epu32 gives the full 64-bit products. Integer arithmetic: identical results.
// The high halves of the lanes are left holding garbage: _mm256_mul_epu32 reads only the low
// halves, and the low half of a xor depends only on the low halves, so only the final `a`
// needs masking. `V` vectors (4 V blocks) go through the rounds together to hide the
// multiplies' latency.
template <int V>
__attribute__((target("avx2"), always_inline)) inline void philox_avx2_group(
    const std::uint32_t* c0, const std::uint32_t* c1, std::uint32_t c2, std::uint32_t c3,
    std::uint32_t k0in, std::uint32_t k1in, double* out) {
  const __m256i m0 = _mm256_set1_epi64x(kM0), m1 = _mm256_set1_epi64x(kM1);
  __m256i a[V], b[V], c[V], d[V];
  for (int v = 0; v < V; ++v) {
    a[v] = _mm256_cvtepu32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c0 + 4 * v)));
    b[v] = _mm256_cvtepu32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c1 + 4 * v)));
    c[v] = _mm256_set1_epi64x(c2);
    d[v] = _mm256_set1_epi64x(c3);
  }
  std::uint32_t k0 = k0in, k1 = k1in;
  for (int r = 0; r < 10; ++r) {
    const __m256i kk0 = _mm256_set1_epi64x(k0), kk1 = _mm256_set1_epi64x(k1);
    for (int v = 0; v < V; ++v) {
      const __m256i p0 = _mm256_mul_epu32(a[v], m0);
      const __m256i p1 = _mm256_mul_epu32(c[v], m1);
      const __m256i na = _mm256_xor_si256(_mm256_srli_epi64(p1, 32), _mm256_xor_si256(b[v], kk0));
      const __m256i nc = _mm256_xor_si256(_mm256_srli_epi64(p0, 32), _mm256_xor_si256(d[v], kk1));
      b[v] = p1;
      d[v] = p0;
      a[v] = na;
      c[v] = nc;
    }
    k0 += kW0;
    k1 += kW1;
  }
  const __m256i low = _mm256_set1_epi64x(0xFFFFFFFFll);
  for (int v = 0; v < V; ++v) {
    // to_uniform: (w >> 12) < 2^52 becomes a double exactly through the exponent field of
    // 2^52; then (v + 1/2) 2^-52, also exact.
    const __m256i w = _mm256_or_si256(_mm256_and_si256(a[v], low), _mm256_slli_epi64(b[v], 32));
    const __m256i x = _mm256_srli_epi64(w, 12);
    const __m256d dv = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(x, _mm256_set1_epi64x(0x4330000000000000ll))),
        _mm256_set1_pd(4503599627370496.0));
    _mm256_storeu_pd(out + 4 * v, _mm256_add_pd(_mm256_mul_pd(dv, _mm256_set1_pd(0x1.0p-52)),
                                                _mm256_set1_pd(0x1.0p-53)));
  }
}

__attribute__((target("avx2"))) void philox_words_avx2(const std::uint32_t* c0,
                                                       const std::uint32_t* c1, int n,
                                                       std::uint32_t c2, std::uint32_t c3,
                                                       std::uint32_t k0in, std::uint32_t k1in,
                                                       double* out) {
  int i = 0;
  for (; i + 8 <= n; i += 8) philox_avx2_group<2>(c0 + i, c1 + i, c2, c3, k0in, k1in, out + i);
  for (; i + 4 <= n; i += 4) philox_avx2_group<1>(c0 + i, c1 + i, c2, c3, k0in, k1in, out + i);
  philox_words_scalar(c0 + i, c1 + i, n - i, c2, c3, k0in, k1in, out + i);
}

// Eight blocks per vector, as philox_avx2_group does four (GCC 12's AVX-512 headers warn
// falsely about their own undefined-vector idiom in _mm512_set1_epi64 and friends).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
template <int V>
__attribute__((target("avx512f"), always_inline)) inline void philox_avx512_group(
    const std::uint32_t* c0, const std::uint32_t* c1, std::uint32_t c2, std::uint32_t c3,
    std::uint32_t k0in, std::uint32_t k1in, double* out) {
  const __m512i m0 = _mm512_set1_epi64(kM0), m1 = _mm512_set1_epi64(kM1);
  __m512i a[V], b[V], c[V], d[V];
  for (int v = 0; v < V; ++v) {
    a[v] = _mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c0 + 8 * v)));
    b[v] = _mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c1 + 8 * v)));
    c[v] = _mm512_set1_epi64(c2);
    d[v] = _mm512_set1_epi64(c3);
  }
  std::uint32_t k0 = k0in, k1 = k1in;
  for (int r = 0; r < 10; ++r) {
    const __m512i kk0 = _mm512_set1_epi64(k0), kk1 = _mm512_set1_epi64(k1);
    for (int v = 0; v < V; ++v) {
      const __m512i p0 = _mm512_mul_epu32(a[v], m0);
      const __m512i p1 = _mm512_mul_epu32(c[v], m1);
      const __m512i na = _mm512_xor_si512(_mm512_srli_epi64(p1, 32), _mm512_xor_si512(b[v], kk0));
      const __m512i nc = _mm512_xor_si512(_mm512_srli_epi64(p0, 32), _mm512_xor_si512(d[v], kk1));
      b[v] = p1;
      d[v] = p0;
      a[v] = na;
      c[v] = nc;
    }
    k0 += kW0;
    k1 += kW1;
  }
  const __m512i low = _mm512_set1_epi64(0xFFFFFFFFll);
  for (int v = 0; v < V; ++v) {
    const __m512i w = _mm512_or_si512(_mm512_and_si512(a[v], low), _mm512_slli_epi64(b[v], 32));
    const __m512i x = _mm512_srli_epi64(w, 12);
    const __m512d dv = _mm512_sub_pd(
        _mm512_castsi512_pd(_mm512_or_si512(x, _mm512_set1_epi64(0x4330000000000000ll))),
        _mm512_set1_pd(4503599627370496.0));
    _mm512_storeu_pd(out + 8 * v, _mm512_add_pd(_mm512_mul_pd(dv, _mm512_set1_pd(0x1.0p-52)),
                                                _mm512_set1_pd(0x1.0p-53)));
  }
}

__attribute__((target("avx512f"))) void philox_words_avx512(const std::uint32_t* c0,
                                                            const std::uint32_t* c1, int n,
                                                            std::uint32_t c2, std::uint32_t c3,
                                                            std::uint32_t k0in, std::uint32_t k1in,
                                                            double* out) {
  int i = 0;
  for (; i + 16 <= n; i += 16) philox_avx512_group<2>(c0 + i, c1 + i, c2, c3, k0in, k1in, out + i);
  for (; i + 8 <= n; i += 8) philox_avx512_group<1>(c0 + i, c1 + i, c2, c3, k0in, k1in, out + i);
  for (; i + 4 <= n; i += 4) philox_avx2_group<1>(c0 + i, c1 + i, c2, c3, k0in, k1in, out + i);
  philox_words_scalar(c0 + i, c1 + i, n - i, c2, c3, k0in, k1in, out + i);
}
#pragma GCC diagnostic pop

void philox_words_sse2(const std::uint32_t* c0, const std::uint32_t* c1, int n,
                       std::uint32_t c2, std::uint32_t c3, std::uint32_t k0in,
                       std::uint32_t k1in, double* out) {
  const __m128i m0 = _mm_set1_epi64x(kM0), m1 = _mm_set1_epi64x(kM1);
  const __m128i low = _mm_set1_epi64x(0xFFFFFFFFll);
  int i = 0;
  for (; i + 2 <= n; i += 2) {
    __m128i a = _mm_set_epi64x(c0[i + 1], c0[i]);
    __m128i b = _mm_set_epi64x(c1[i + 1], c1[i]);
    __m128i c = _mm_set1_epi64x(c2), d = _mm_set1_epi64x(c3);
    std::uint32_t k0 = k0in, k1 = k1in;
    for (int r = 0; r < 10; ++r) {
      const __m128i p0 = _mm_mul_epu32(a, m0);
      const __m128i p1 = _mm_mul_epu32(c, m1);
      const __m128i na = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(p1, 32), b), _mm_set1_epi64x(k0));
      const __m128i nc = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(p0, 32), d), _mm_set1_epi64x(k1));
      b = _mm_and_si128(p1, low);
      d = _mm_and_si128(p0, low);
      a = na;
      c = nc;
      k0 += kW0;
      k1 += kW1;
    }
    const __m128i v = _mm_srli_epi64(_mm_or_si128(a, _mm_slli_epi64(b, 32)), 12);
    const __m128d dv = _mm_sub_pd(_mm_castsi128_pd(_mm_or_si128(v, _mm_set1_epi64x(0x4330000000000000ll))),
                                 _mm_set1_pd(4503599627370496.0));
    _mm_storeu_pd(out + i, _mm_add_pd(_mm_mul_pd(dv, _mm_set1_pd(0x1.0p-52)), _mm_set1_pd(0x1.0p-53)));
  }
  philox_words_scalar(c0 + i, c1 + i, n - i, c2, c3, k0in, k1in, out + i);
}
#endif

// ---- the floating-point kernels ---------------------------------------------------------------
//
// GCC/Clang vector extensions: four doubles per operation, the same IEEE operations in the same
// order as the scalar functions of special.hpp (checked bit for bit by test_distributions).
// Compiled twice, for AVX2 and for the x86-64 baseline, and chosen at run time.


#ifdef HIILI_MC_VECTOR
typedef double vd __attribute__((vector_size(32)));
typedef std::uint64_t vu __attribute__((vector_size(32)));

HIILI_INLINE vd load(const double* p) {
  vd v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
HIILI_INLINE void store(double* p, vd v) { std::memcpy(p, &v, sizeof v); }
HIILI_INLINE vd splat(double x) { return vd{x, x, x, x}; }
// std::clamp(v, lo, hi) for lo <= hi.
HIILI_INLINE vd clamp(vd v, vd lo, vd hi) {
  const vd r = hi < v ? hi : v;
  return v < lo ? lo : r;
}

HIILI_INLINE vd quantile_central(vd q) {
  const vd r = splat(0.180625) - q * q;
  const vd num =
      (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r +
           45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
        133.14166789178437745) * r + 3.387132872796366608);
  const vd den =
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r +
           21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
        42.313330701600911252) * r + 1.0);
  return q * num / den;
}

HIILI_INLINE vd exp_core(vd x) {
  const vd t = x * kLog2e + kShifter;
  const vd k = t - kShifter;
  const vd r = (x - k * kLn2Hi) - k * kLn2Lo;
  vd p = splat(1.0 / 6227020800.0);
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const vu kbits = (vu)t + 1023u;
  return p * (vd)(kbits << 52);
}

HIILI_INLINE vd sqrt4(vd x) {
  for (int i = 0; i < 4; ++i) x[i] = std::sqrt(x[i]);
  return x;
}

// log_core of special.hpp for positive normal x.
HIILI_INLINE vd log_core(vd x) {
  const vu bits = (vu)x;
  // (bits >> 52) - 1023 as a double, exactly: the exponent field is below 2^11.
  vd e = (vd)((bits >> 52) | 0x4330000000000000ull) - (4503599627370496.0 + 1023.0);
  vd m = (vd)((bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
  const auto big = m > 1.4142135623730951;
  m = big ? m * 0.5 : m;
  e = big ? e + 1.0 : e;
  const vd f = (m - 1.0) / (m + 1.0);
  const vd s = f * f;
  vd p = splat(1.0 / 21.0);
  p = p * s + 1.0 / 19.0;
  p = p * s + 1.0 / 17.0;
  p = p * s + 1.0 / 15.0;
  p = p * s + 1.0 / 13.0;
  p = p * s + 1.0 / 11.0;
  p = p * s + 1.0 / 9.0;
  p = p * s + 1.0 / 7.0;
  p = p * s + 1.0 / 5.0;
  p = p * s + 1.0 / 3.0;
  const vd lm = 2.0 * f + 2.0 * f * (s * p);
  return e * kLn2Hi + (lm + e * kLn2Lo);
}

#endif  // HIILI_MC_VECTOR

// Lane orders that compact a 4-lane mask's set lanes to the front, and how many there are.
struct Compress {
  std::int32_t lane[16][4];
  std::int32_t count[16];
};
constexpr Compress make_compress() {
  Compress c{};
  for (int m = 0; m < 16; ++m) {
    int k = 0;
    for (int l = 0; l < 4; ++l)
      if (m & (1 << l)) c.lane[m][k++] = l;
    c.count[m] = k;
  }
  return c;
}
constexpr Compress kCompress = make_compress();

// What one draw reads (the NormalBatch's arrays).
struct View {
  Index n;
  const std::uint32_t *c0, *c1;
  const double *mu, *sigma, *lsign;
  const Index* position;
  bool contiguous;
  const std::int32_t* win_group;
  std::size_t n_win;
  const double *win_lo, *win_width, *win_flip, *win_z_lo, *win_z_hi;
};

using PhiloxFn = void (*)(const std::uint32_t*, const std::uint32_t*, int, std::uint32_t,
                          std::uint32_t, std::uint32_t, std::uint32_t, double*);

// The scalar tail for lanes the vector tail leaves out (r > 5, or a subnormal tail).
void tail_fixup(const double* u, const int* tail_at, int nt, double* z) {
  for (int t = 0; t < nt; ++t) {
    const int i = tail_at[t];
    if (z[i] == z[i]) continue;
    const double q = u[i] - 0.5;
    z[i] = normal_quantile_tail(q, q < 0.0 ? u[i] : 1.0 - u[i]);
  }
}

#ifdef HIILI_MC_VECTOR
typedef std::int32_t vi4 __attribute__((vector_size(16)));

HIILI_INLINE int lane_mask(vu m) {
  return int((m[0] & 1u) | (m[1] & 2u) | (m[2] & 4u) | (m[3] & 8u));
}

// Block by block (kBlock entries): uniforms (Philox); windowed groups' p; the central z of
// every lane, compacting the tail lanes' indices (4-lane mask and a table); the tails four at
// a time, gathered and scattered by index; windowed groups' flip and clamp; the values,
// written straight into `out` when positions are contiguous. Scalar fix-ups only where a flag
// says a lane needs one (r > 5 or subnormal tails; |arg| > 708 for a lognormal).
HIILI_INLINE void draw_blocks(const View& v, PhiloxFn philox, std::uint32_t c2,
                              std::uint32_t c3, std::uint32_t k0, std::uint32_t k1,
                              double* out) {
  alignas(32) double u[kBlock + 4], z[kBlock + 4], val[kBlock];
  alignas(16) int tail_at[kBlock + 4];
  for (int j = kBlock; j < kBlock + 4; ++j) u[j] = 0.25;  // the padding lanes of the tails
  const vd tiny = splat(kTinyP), one = splat(kOneMinus), half = splat(0.5);
  std::size_t g = 0;  // next windowed group
  for (Index b0 = 0; b0 < v.n; b0 += kBlock) {
    const int len = static_cast<int>(std::min<Index>(kBlock, v.n - b0));
    const int padded = (len + 3) / 4 * 4;
    philox(v.c0 + b0, v.c1 + b0, padded, c2, c3, k0, k1, u);
    const std::size_t g_first = g;
    const Index g_end = (b0 + padded) / 4;
    for (; g < v.n_win && v.win_group[g] < g_end; ++g) {
      const int j = static_cast<int>(Index(v.win_group[g]) * 4 - b0);
      store(u + j, clamp(load(v.win_lo + 4 * g) + load(u + j) * load(v.win_width + 4 * g), tiny, one));
    }
    int nt = 0;
    for (int j = 0; j < padded; j += 4) {
      const vd q = load(u + j) - half;
      store(z + j, quantile_central(q));
      const int m = lane_mask((vu)((vd)((vu)q & 0x7FFFFFFFFFFFFFFFull) > 0.425));
      vi4 at;
      std::memcpy(&at, kCompress.lane[m], sizeof at);
      at += j;
      std::memcpy(tail_at + nt, &at, sizeof at);
      nt += kCompress.count[m];
    }
    const int nt4 = (nt + 3) / 4 * 4;
    for (int t = nt; t < nt4; ++t) tail_at[t] = kBlock;
    vu bad = {0, 0, 0, 0};
    for (int t = 0; t < nt4; t += 4) {
      const int* i = tail_at + t;
      const vd p{u[i[0]], u[i[1]], u[i[2]], u[i[3]]};
      const vd q = p - half;
      const vd tail = q < 0.0 ? p : 1.0 - p;
      const vd r0 = sqrt4(-log_core(tail));
      const vd r = r0 - 1.6;
      const vd num = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
                           0.24178072517745061177) * r + 1.27045825245236838258) * r +
                         3.64784832476320460504) * r + 5.7694972214606914055) * r +
                       4.6303378461565452959) * r + 1.42343711074968357734);
      const vd den = (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
                           0.0151986665636164571966) * r + 0.14810397642748007459) * r +
                         0.68976733498510000455) * r + 1.6763848301838038494) * r +
                       2.05319162663775882187) * r + 1.0);
      const vd val4 = num / den;
      const auto ok = (r0 <= 5.0) & (tail >= 2.2250738585072014e-308);
      bad |= (vu)~ok;
      const vd zt = ok ? (q < 0.0 ? -val4 : val4) : splat(kNaN);  // NaN: the scalar branch
      z[i[0]] = zt[0];
      z[i[1]] = zt[1];
      z[i[2]] = zt[2];
      z[i[3]] = zt[3];
    }
    if ((bad[0] | bad[1] | bad[2] | bad[3]) != 0) tail_fixup(u, tail_at, nt, z);
    for (std::size_t w = g_first; w < g; ++w) {
      const int j = static_cast<int>(Index(v.win_group[w]) * 4 - b0);
      store(z + j, clamp(load(z + j) * load(v.win_flip + 4 * w), load(v.win_z_lo + 4 * w),
                         load(v.win_z_hi + 4 * w)));
    }
    const bool direct = v.contiguous && len == padded;
    double* dst = direct ? out + v.position[0] + b0 : val;
    const double *mu = v.mu + b0, *sigma = v.sigma + b0, *ls = v.lsign + b0;
    const vd lo708 = splat(-708.0), hi708 = splat(708.0), zero = splat(0.0);
    vu big = {0, 0, 0, 0};
    for (int j = 0; j < padded; j += 4) {
      const vd arg = load(mu + j) + load(sigma + j) * load(z + j);
      const vd s = load(ls + j);
      const vd e = s * exp_core(clamp(arg, lo708, hi708));
      store(dst + j, s != zero ? e : arg);
      big |= (vu)((s != zero) & ((arg < lo708) | (arg > hi708)));
    }
    if ((big[0] | big[1] | big[2] | big[3]) != 0) {
      // Beyond exp_core's range (never for validated parameters): the scalar exp.
      for (int j = 0; j < len; ++j) {
        const double arg = mu[j] + sigma[j] * z[j];
        if (ls[j] != 0.0 && std::abs(arg) > 708.0) dst[j] = ls[j] * mc::exp(arg);
      }
    }
    if (!direct) {
      const Index* pos = v.position + b0;
      for (int j = 0; j < len; ++j) out[pos[j]] = val[j];
    }
  }
}

void draw_default(const View& v, std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
                  std::uint32_t k1, double* out) {
#ifdef HIILI_MC_X86
  draw_blocks(v, philox_words_sse2, c2, c3, k0, k1, out);
#else
  draw_blocks(v, philox_words_scalar, c2, c3, k0, k1, out);
#endif
}
#ifdef HIILI_MC_X86
__attribute__((target("avx2"))) void draw_avx2(const View& v, std::uint32_t c2,
                                               std::uint32_t c3, std::uint32_t k0,
                                               std::uint32_t k1, double* out) {
  draw_blocks(v, philox_words_avx2, c2, c3, k0, k1, out);
}
// The AVX2 kernel with Philox eight blocks per vector. (The floating-point steps eight lanes
// wide as well were slower than four: 11.2 against 9.6 ns per draw.)
__attribute__((target("avx512f"))) void draw_avx512(const View& v, std::uint32_t c2,
                                                    std::uint32_t c3, std::uint32_t k0,
                                                    std::uint32_t k1, double* out) {
  draw_blocks(v, philox_words_avx512, c2, c3, k0, k1, out);
}
#endif
#endif  // HIILI_MC_VECTOR

// One entry at a time with the scalar functions of special.hpp (Sampler::operator()'s
// formulas): the reference the vector kernels are tested against, and the path for compilers
// without vector extensions.
void draw_scalar(const View& v, std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
                 std::uint32_t k1, double* out) {
  std::size_t g = 0;
  for (Index i = 0; i < v.n; ++i) {
    double u;
    philox_words_scalar(v.c0 + i, v.c1 + i, 1, c2, c3, k0, k1, &u);
    while (g < v.n_win && Index(v.win_group[g]) < i / 4) ++g;
    const bool win = g < v.n_win && Index(v.win_group[g]) == i / 4;
    const std::size_t l = 4 * g + std::size_t(i % 4);
    const double p = win ? std::clamp(v.win_lo[l] + u * v.win_width[l], kTinyP, kOneMinus) : u;
    double z = normal_quantile(p);
    if (win) z = std::clamp(z * v.win_flip[l], v.win_z_lo[l], v.win_z_hi[l]);
    const double arg = v.mu[i] + v.sigma[i] * z;
    out[v.position[i]] = v.lsign[i] != 0.0 ? v.lsign[i] * mc::exp(arg) : arg;
  }
}

using DrawFn = void (*)(const View&, std::uint32_t, std::uint32_t, std::uint32_t,
                        std::uint32_t, double*);

bool has_avx512() {
#ifdef HIILI_MC_X86
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return yes;
#else
  return false;
#endif
}

bool has_avx2() {
#ifdef HIILI_MC_X86
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return yes;
#else
  return false;
#endif
}

DrawFn kernel_for(NormalBatch::Kernel which) {
  using K = NormalBatch::Kernel;
  if (which == K::Auto) which = has_avx512() ? K::Avx512 : has_avx2() ? K::Avx2 : K::Baseline;
#ifdef HIILI_MC_VECTOR
#ifdef HIILI_MC_X86
  if (which == K::Avx2) return draw_avx2;
  if (which == K::Avx512) return draw_avx512;
#endif
  if (which == K::Baseline) return draw_default;
#endif
  return draw_scalar;
}
}  // namespace

void NormalBatch::add(const Sampler& s, std::uint64_t stream, Index position, bool flip) {
  const std::size_t i = position_.size();
  for (auto* v : {&mu_, &sigma_, &lsign_}) v->resize(i);
  c0_.resize(i);
  c1_.resize(i);
  c0_.push_back(std::uint32_t(stream));
  c1_.push_back(std::uint32_t(stream >> 32));
  mu_.push_back(s.mu());
  sigma_.push_back(s.sigma());
  // -1 * (sign * e) and (-sign) * e are the same bits (multiplying by -1 is exact).
  lsign_.push_back(s.type() == 2 ? (flip ? -s.sign() : s.sign()) : 0.0);
  if (flip && s.type() != 2) negate_.push_back(position);
  contiguous_ = contiguous_ && (i == 0 || position == position_[0] + Index(i));
  position_.push_back(position);
  const bool plain = s.window_low() == 0.0 && s.window_width() == 1.0 && !s.window_upper() &&
                     s.z_low() == -kInf && s.z_high() == kInf;
  if (!plain) {
    const auto group = static_cast<std::int32_t>(i / 4);
    if (win_group_.empty() || win_group_.back() != group) {
      win_group_.push_back(group);
      win_lo_.insert(win_lo_.end(), 4, 0.0);
      win_width_.insert(win_width_.end(), 4, 1.0);
      win_flip_.insert(win_flip_.end(), 4, 1.0);
      win_z_lo_.insert(win_z_lo_.end(), 4, -kInf);
      win_z_hi_.insert(win_z_hi_.end(), 4, kInf);
    }
    const std::size_t l = 4 * (win_group_.size() - 1) + i % 4;
    win_lo_[l] = s.window_low();
    win_width_[l] = s.window_width();
    win_flip_[l] = s.window_upper() ? -1.0 : 1.0;
    win_z_lo_[l] = s.z_low();
    win_z_hi_[l] = s.z_high();
  }
  const std::size_t padded = (i + 1 + 3) / 4 * 4;
  mu_.resize(padded, 0.0);
  sigma_.resize(padded, 1.0);
  lsign_.resize(padded, 0.0);
  c0_.resize(padded, 0u);
  c1_.resize(padded, 0u);
}

bool NormalBatch::available(Kernel kernel) {
#if defined(HIILI_MC_X86) && defined(HIILI_MC_VECTOR)
  return (kernel != Kernel::Avx2 || has_avx2()) && (kernel != Kernel::Avx512 || has_avx512());
#else
  return kernel == Kernel::Auto || kernel == Kernel::Scalar;
#endif
}

void NormalBatch::draw(std::uint64_t seed, std::uint64_t iteration, double* out,
                       std::vector<double>& /*scratch*/, Kernel kernel) const {
  if (position_.empty()) return;
  const View v{size(),          c0_.data(),       c1_.data(),       mu_.data(),
               sigma_.data(),   lsign_.data(),    position_.data(), contiguous_,
               win_group_.data(), win_group_.size(), win_lo_.data(),  win_width_.data(),
               win_flip_.data(), win_z_lo_.data(), win_z_hi_.data()};
  kernel_for(kernel)(v, std::uint32_t(iteration), std::uint32_t(iteration >> 32),
                     std::uint32_t(seed), std::uint32_t(seed >> 32), out);
  for (Index p : negate_) out[p] = -out[p];
}

}  // namespace hiili::mc
