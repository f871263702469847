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
__attribute__((target("avx2"))) void philox_words_avx2(const std::uint32_t* c0,
                                                       const std::uint32_t* c1, int n,
                                                       std::uint32_t c2, std::uint32_t c3,
                                                       std::uint32_t k0in, std::uint32_t k1in,
                                                       double* out) {
  const __m256i m0 = _mm256_set1_epi64x(kM0), m1 = _mm256_set1_epi64x(kM1);
  const __m256i low = _mm256_set1_epi64x(0xFFFFFFFFll);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256i a = _mm256_cvtepu32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c0 + i)));
    __m256i b = _mm256_cvtepu32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c1 + i)));
    __m256i c = _mm256_set1_epi64x(c2), d = _mm256_set1_epi64x(c3);
    std::uint32_t k0 = k0in, k1 = k1in;
    for (int r = 0; r < 10; ++r) {
      const __m256i p0 = _mm256_mul_epu32(a, m0);
      const __m256i p1 = _mm256_mul_epu32(c, m1);
      const __m256i na = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), b),
                                          _mm256_set1_epi64x(k0));
      const __m256i nc = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), d),
                                          _mm256_set1_epi64x(k1));
      b = _mm256_and_si256(p1, low);
      d = _mm256_and_si256(p0, low);
      a = na;
      c = nc;
      k0 += kW0;
      k1 += kW1;
    }
    // to_uniform: (w >> 12) < 2^52 becomes a double exactly through the exponent field of
    // 2^52; then (v + 1/2) 2^-52, also exact.
    const __m256i v = _mm256_srli_epi64(_mm256_or_si256(a, _mm256_slli_epi64(b, 32)), 12);
    const __m256d dv = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(v, _mm256_set1_epi64x(0x4330000000000000ll))),
        _mm256_set1_pd(4503599627370496.0));
    _mm256_storeu_pd(out + i, _mm256_add_pd(_mm256_mul_pd(dv, _mm256_set1_pd(0x1.0p-52)),
                                            _mm256_set1_pd(0x1.0p-53)));
  }
  philox_words_scalar(c0 + i, c1 + i, n - i, c2, c3, k0in, k1in, out + i);
}

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

// ---- the floating-point passes ---------------------------------------------------------------
//
// GCC/Clang vector extensions: four doubles per operation, the same IEEE operations in the same
// order as the scalar functions of special.hpp (checked bit for bit by test_distributions).
// Compiled twice, for AVX2 and for the x86-64 baseline, and chosen at run time.

struct Arrays {
  const double *w_lo, *w_width, *flip, *z_lo, *z_hi, *mu, *sigma, *sign, *is_log;
};

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

// normal_quantile_tail for r = sqrt(-log tail) <= 5 (tail >= about 1.4e-11), the caller
// redoing the rest; `q` gives the sign.
HIILI_INLINE void tail_pass(const double* q, const double* tail, int len, double* z) {
  for (int j = 0; j < len; j += 4) {
    const vd r0 = sqrt4(-log_core(load(tail + j)));
    const vd r = r0 - 1.6;
    const vd num = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
                         0.24178072517745061177) * r + 1.27045825245236838258) * r +
                       3.64784832476320460504) * r + 5.7694972214606914055) * r +
                     4.6303378461565452959) * r + 1.42343711074968357734);
    const vd den = (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
                         0.0151986665636164571966) * r + 0.14810397642748007459) * r +
                       0.68976733498510000455) * r + 1.6763848301838038494) * r +
                     2.05319162663775882187) * r + 1.0);
    const vd val = num / den;
    const vd signed_val = load(q + j) < 0.0 ? -val : val;
    store(z + j, r0 <= 5.0 ? signed_val : splat(kNaN));  // NaN: the caller's scalar branch
  }
}

// z and p (probabilities) for `len` entries (len a multiple of 4).
HIILI_INLINE void central_pass(const Arrays& a, const double* u, int len, double* p, double* z) {
  const vd tiny = splat(kTinyP), one = splat(kOneMinus), half = splat(0.5);
  for (int j = 0; j < len; j += 4) {
    const vd pj = clamp(load(a.w_lo + j) + load(u + j) * load(a.w_width + j), tiny, one);
    store(p + j, pj);
    store(z + j, quantile_central(pj - half));
  }
}

HIILI_INLINE void value_pass(const Arrays& a, double* z, int len, double* out) {
  const vd lo708 = splat(-708.0), hi708 = splat(708.0), zero = splat(0.0);
  for (int j = 0; j < len; j += 4) {
    const vd zz = clamp(load(z + j) * load(a.flip + j), load(a.z_lo + j), load(a.z_hi + j));
    const vd arg = load(a.mu + j) + load(a.sigma + j) * zz;
    const vd e = load(a.sign + j) * exp_core(clamp(arg, lo708, hi708));
    store(out + j, load(a.is_log + j) != zero ? e : arg);
    store(z + j, arg);
  }
}

// stage 0: central pass (u -> p, z); 1: tail pass (u = q, p = tail -> z); 2: value pass.
void passes_default(const Arrays& a, const double* u, int len, double* p, double* z, int stage) {
  if (stage == 0)
    central_pass(a, u, len, p, z);
  else if (stage == 1)
    tail_pass(u, p, len, z);
  else
    value_pass(a, z, len, p);
}
#ifdef HIILI_MC_X86
__attribute__((target("avx2"))) void passes_avx2(const Arrays& a, const double* u, int len,
                                                 double* p, double* z, int stage) {
  if (stage == 0)
    central_pass(a, u, len, p, z);
  else if (stage == 1)
    tail_pass(u, p, len, z);
  else
    value_pass(a, z, len, p);
}
#endif
#else
void passes_default(const Arrays& a, const double* u, int len, double* p, double* z, int stage) {
  for (int j = 0; j < len; ++j) {
    if (stage == 0) {
      p[j] = std::clamp(a.w_lo[j] + u[j] * a.w_width[j], kTinyP, kOneMinus);
      z[j] = normal_quantile_central(p[j] - 0.5);
    } else if (stage == 1) {
      z[j] = normal_quantile_tail(u[j], p[j]);
    } else {
      const double zz = std::clamp(z[j] * a.flip[j], a.z_lo[j], a.z_hi[j]);
      const double arg = a.mu[j] + a.sigma[j] * zz;
      const double e = a.sign[j] * exp_core(std::clamp(arg, -708.0, 708.0));
      p[j] = a.is_log[j] != 0.0 ? e : arg;
      z[j] = arg;
    }
  }
}
#endif

struct Kernels {
  void (*philox)(const std::uint32_t*, const std::uint32_t*, int, std::uint32_t, std::uint32_t,
                 std::uint32_t, std::uint32_t, double*);
  void (*passes)(const Arrays&, const double*, int, double*, double*, int);
};

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

Kernels kernels(NormalBatch::Kernel which) {
  using K = NormalBatch::Kernel;
  if (which == K::Auto) which = has_avx2() ? K::Avx2 : K::Baseline;
#ifdef HIILI_MC_X86
  if (which == K::Avx2) return {philox_words_avx2, passes_avx2};
  if (which == K::Baseline) return {philox_words_sse2, passes_default};
#endif
  return {philox_words_scalar, passes_default};
}

}  // namespace

void NormalBatch::add(const Sampler& s, std::uint64_t stream, Index position) {
  // Arrays are kept padded to a multiple of 4 with harmless entries (never written out).
  const std::size_t n = position_.size();
  for (auto* v : {&w_lo_, &w_width_, &z_lo_, &z_hi_, &flip_, &mu_, &sigma_, &sign_, &log_})
    v->resize(n);
  c0_.resize(n);
  c1_.resize(n);
  c0_.push_back(std::uint32_t(stream));
  c1_.push_back(std::uint32_t(stream >> 32));
  w_lo_.push_back(s.window_low());
  w_width_.push_back(s.window_width());
  z_lo_.push_back(s.z_low());
  z_hi_.push_back(s.z_high());
  flip_.push_back(s.window_upper() ? -1.0 : 1.0);
  mu_.push_back(s.mu());
  sigma_.push_back(s.sigma());
  sign_.push_back(s.sign());
  log_.push_back(s.type() == 2 ? 1.0 : 0.0);
  position_.push_back(position);
  const std::size_t padded = (position_.size() + 3) / 4 * 4;
  w_lo_.resize(padded, 0.0);
  w_width_.resize(padded, 1.0);
  z_lo_.resize(padded, -std::numeric_limits<double>::infinity());
  z_hi_.resize(padded, std::numeric_limits<double>::infinity());
  flip_.resize(padded, 1.0);
  mu_.resize(padded, 0.0);
  sigma_.resize(padded, 1.0);
  sign_.resize(padded, 1.0);
  log_.resize(padded, 0.0);
  c0_.resize(padded, 0u);
  c1_.resize(padded, 0u);
}

bool NormalBatch::available(Kernel kernel) {
#ifdef HIILI_MC_X86
  return kernel != Kernel::Avx2 || has_avx2();
#else
  return kernel == Kernel::Auto || kernel == Kernel::Scalar;
#endif
}

void NormalBatch::draw(std::uint64_t seed, std::uint64_t iteration, double* out,
                       std::vector<double>& scratch, Kernel kernel) const {
  const Index n = size();
  if (n == 0) return;
  if (scratch.size() < 3 * kBlock) scratch.resize(3 * kBlock);
  double* u = scratch.data();
  double* p = u + kBlock;
  double* z = p + kBlock;
  int tail_at[kBlock + 4];
  double tail_q[kBlock + 4], tail_p[kBlock + 4], tail_z[kBlock + 4];
  const Kernels K = kernels(kernel);
  const std::uint32_t k0 = std::uint32_t(seed), k1 = std::uint32_t(seed >> 32);
  const std::uint32_t c2 = std::uint32_t(iteration), c3 = std::uint32_t(iteration >> 32);
  for (Index b0 = 0; b0 < n; b0 += kBlock) {
    const int len = static_cast<int>(std::min<Index>(kBlock, n - b0));
    const int padded = (len + 3) / 4 * 4;
    K.philox(c0_.data() + b0, c1_.data() + b0, padded, c2, c3, k0, k1, u);
    const Arrays a{w_lo_.data() + b0,  w_width_.data() + b0, flip_.data() + b0,
                   z_lo_.data() + b0,  z_hi_.data() + b0,    mu_.data() + b0,
                   sigma_.data() + b0, sign_.data() + b0,    log_.data() + b0};
    K.passes(a, u, padded, p, z, 0);
    // The tails (|p - 0.5| > 0.425, about 15 %): gathered, then four at a time.
    int nt = 0;
    for (int j = 0; j < len; ++j) {  // branch-free compaction
      const double q = p[j] - 0.5;
      tail_at[nt] = j;
      tail_q[nt] = q;
      tail_p[nt] = q < 0.0 ? p[j] : 1.0 - p[j];
      nt += std::abs(q) > 0.425;
    }
    const int nt4 = (nt + 3) / 4 * 4;
    for (int t = nt; t < nt4; ++t) {
      tail_q[t] = 0.5;
      tail_p[t] = 0.01;
    }
    K.passes(a, tail_q, nt4, tail_p, tail_z, 1);
    for (int t = 0; t < nt; ++t) {
      // r = sqrt(-log tail) > 5, or a subnormal tail: the scalar function's other branch.
      const bool scalar = std::isnan(tail_z[t]) || tail_p[t] < 2.2250738585072014e-308;
      z[tail_at[t]] = scalar ? normal_quantile_tail(tail_q[t], tail_p[t]) : tail_z[t];
    }
    K.passes(a, u, padded, p, z, 2);
    // Beyond exp_core's range (never for validated parameters): the scalar exp.
    for (int j = 0; j < len; ++j)
      if (a.is_log[j] != 0.0 && std::abs(z[j]) > 708.0) p[j] = a.sign[j] * mc::exp(z[j]);
    const Index* pos = position_.data() + b0;
    for (int j = 0; j < len; ++j) out[pos[j]] = p[j];
  }
}

}  // namespace hiili::mc
