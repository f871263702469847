#include "montecarlo/batch.hpp"

#include <algorithm>
#include <cmath>

#include "montecarlo/special.hpp"

namespace hiili::mc {

namespace {

constexpr int kBlock = 256;
constexpr int kLanes = 8;
constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
constexpr double kTinyP = 4.9406564584124654e-324;
constexpr double kOneMinus = 1.0 - 0x1.0p-53;

// Philox4x32-10 on kLanes counters (c0[i], c1[i], c2, c3) at once; writes the first uniform
// of each block (words 0 and 1). Plain loops over lanes: the compiler vectorises them.
inline void philox_first_uniform(const std::uint32_t* c0, const std::uint32_t* c1,
                                 std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
                                 std::uint32_t k1, double* u) {
  std::uint32_t a[kLanes], b[kLanes], c[kLanes], d[kLanes];
  for (int i = 0; i < kLanes; ++i) {
    a[i] = c0[i];
    b[i] = c1[i];
    c[i] = c2;
    d[i] = c3;
  }
  for (int r = 0; r < 10; ++r) {
    for (int i = 0; i < kLanes; ++i) {
      const std::uint64_t p0 = std::uint64_t{kM0} * a[i];
      const std::uint64_t p1 = std::uint64_t{kM1} * c[i];
      const std::uint32_t na = std::uint32_t(p1 >> 32) ^ b[i] ^ k0;
      const std::uint32_t nc = std::uint32_t(p0 >> 32) ^ d[i] ^ k1;
      b[i] = std::uint32_t(p1);
      d[i] = std::uint32_t(p0);
      a[i] = na;
      c[i] = nc;
    }
    k0 += kW0;
    k1 += kW1;
  }
  for (int i = 0; i < kLanes; ++i)
    u[i] = to_uniform(std::uint64_t{a[i]} | (std::uint64_t{b[i]} << 32));
}

}  // namespace

void NormalBatch::add(const Sampler& s, std::uint64_t stream, Index position) {
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
  log_.push_back(s.type() == 2 ? 1 : 0);
  position_.push_back(position);
}

void NormalBatch::draw(std::uint64_t seed, std::uint64_t iteration, double* out,
                       std::vector<double>& scratch) const {
  const Index n = size();
  if (n == 0) return;
  if (scratch.size() < 2 * kBlock) scratch.resize(2 * kBlock);
  double* z = scratch.data();
  double* p = z + kBlock;
  const std::uint32_t k0 = std::uint32_t(seed), k1 = std::uint32_t(seed >> 32);
  const std::uint32_t c2 = std::uint32_t(iteration), c3 = std::uint32_t(iteration >> 32);
  std::uint32_t pad0[kLanes], pad1[kLanes];
  double padu[kLanes];
  for (Index b0 = 0; b0 < n; b0 += kBlock) {
    const int len = static_cast<int>(std::min<Index>(kBlock, n - b0));
    const std::uint32_t* a0 = c0_.data() + b0;
    const std::uint32_t* a1 = c1_.data() + b0;
    int i = 0;
    for (; i + kLanes <= len; i += kLanes) philox_first_uniform(a0 + i, a1 + i, c2, c3, k0, k1, z + i);
    if (i < len) {
      const int rest = len - i;
      for (int j = 0; j < kLanes; ++j) {
        pad0[j] = j < rest ? a0[i + j] : 0u;
        pad1[j] = j < rest ? a1[i + j] : 0u;
      }
      philox_first_uniform(pad0, pad1, c2, c3, k0, k1, padu);
      for (int j = 0; j < rest; ++j) z[i + j] = padu[j];
    }
    const double* wl = w_lo_.data() + b0;
    const double* ww = w_width_.data() + b0;
    for (int j = 0; j < len; ++j) {
      const double pj = std::clamp(wl[j] + z[j] * ww[j], kTinyP, kOneMinus);
      p[j] = pj;
      z[j] = normal_quantile_central(pj - 0.5);
    }
    for (int j = 0; j < len; ++j) {
      const double q = p[j] - 0.5;
      if (std::abs(q) > 0.425) z[j] = normal_quantile_tail(q, q < 0.0 ? p[j] : 1.0 - p[j]);
    }
    const double* fl = flip_.data() + b0;
    const double* lo = z_lo_.data() + b0;
    const double* hi = z_hi_.data() + b0;
    const double* mu = mu_.data() + b0;
    const double* sg = sigma_.data() + b0;
    const double* sn = sign_.data() + b0;
    const std::uint8_t* lg = log_.data() + b0;
    const Index* pos = position_.data() + b0;
    for (int j = 0; j < len; ++j) {
      const double zz = std::clamp(z[j] * fl[j], lo[j], hi[j]);
      const double arg = mu[j] + sg[j] * zz;
      z[j] = arg;
    }
    for (int j = 0; j < len; ++j) {
      const double arg = z[j];
      const double e = sn[j] * exp_core(std::clamp(arg, -708.0, 708.0));
      p[j] = lg[j] ? e : arg;
    }
    for (int j = 0; j < len; ++j)  // beyond exp_core's range: never for validated parameters
      if (lg[j] && std::abs(z[j]) > 708.0) p[j] = sn[j] * mc::exp(z[j]);
    for (int j = 0; j < len; ++j) out[pos[j]] = p[j];
  }
}

}  // namespace hiili::mc
