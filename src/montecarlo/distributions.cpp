// Sampling the stats_arrays distributions from counter-based uniforms (distributions.hpp).
#include "hiili/distributions.hpp"

#include <Random123/philox.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <optional>
#include <string>

#include "hiili/error.hpp"
#include "hiili/limits.hpp"
#include "montecarlo/special.hpp"

namespace hiili {

namespace {

// Philox4x32-10, written out in the form Random123 specifies (test_distributions checks it
// against Random123's own philox4x32 for many counters), so that the engine's bulk path can
// run the same rounds over arrays.
constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;

inline void philox_rounds(std::uint32_t c[4], std::uint32_t k0, std::uint32_t k1) noexcept {
  for (int r = 0; r < 10; ++r) {
    const std::uint64_t p0 = std::uint64_t{kM0} * c[0];
    const std::uint64_t p1 = std::uint64_t{kM1} * c[2];
    const std::uint32_t hi0 = std::uint32_t(p0 >> 32), lo0 = std::uint32_t(p0);
    const std::uint32_t hi1 = std::uint32_t(p1 >> 32), lo1 = std::uint32_t(p1);
    c[0] = hi1 ^ c[1] ^ k0;
    c[1] = lo1;
    c[2] = hi0 ^ c[3] ^ k1;
    c[3] = lo0;
    k0 += kW0;
    k1 += kW1;
  }
}

std::string fmt(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

[[noreturn]] void bad(std::uint8_t type, const std::string& what) {
  throw InvalidInputError(std::string(distribution_name(type)) + " (uncertainty type " +
                          std::to_string(type) + "): " + what);
}

bool finite(double x) { return std::isfinite(x); }
bool given(double x) { return !std::isnan(x); }

// Marsaglia and Tsang (2000) for shape >= 1: d v with d = k - 1/3. Each attempt uses one
// block (a normal and the acceptance uniform).
double gamma_mt(RandomStream& s, double k) noexcept {
  const double d = k - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (int attempt = 0; attempt < (1 << 20); ++attempt) {
    const double z = mc::normal_quantile(s.uniform());
    double v = 1.0 + c * z;
    const double u = s.uniform();
    if (v <= 0.0) continue;
    v = v * v * v;
    const double z2 = z * z;
    if (u < 1.0 - 0.0331 * z2 * z2) return d * v;
    if (mc::log(u) < 0.5 * z2 + d * (1.0 - v + mc::log(v))) return d * v;
  }
  return d;  // unreachable in practice: acceptance is above 95 % per attempt
}

// A standard gamma variate (scale 1) and its logarithm; shapes below 1 by boosting:
// G(k) = G(k + 1) U^(1/k).
double gamma_variate(RandomStream& s, double k) noexcept {
  if (k >= 1.0) return gamma_mt(s, k);
  const double g = gamma_mt(s, k + 1.0);
  return g * mc::exp(std::max(-745.0, mc::log(s.uniform()) / k));
}
double log_gamma_variate(RandomStream& s, double k) noexcept {
  if (k >= 1.0) return mc::log(gamma_mt(s, k));
  const double g = gamma_mt(s, k + 1.0);
  return mc::log(g) + mc::log(s.uniform()) / k;
}

// Rejection budget for truncated gamma and Student's t: with coverage >= 1e-3 the chance of
// exhausting it is below e^-65.
constexpr int kMaxRejections = 1 << 16;
constexpr double kMinRejectionCoverage = 1e-3;
constexpr double kTinyP = 4.9406564584124654e-324;
constexpr double kOneMinus = 1.0 - 0x1.0p-53;

}  // namespace

std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter,
                                        std::array<std::uint32_t, 2> key) noexcept {
  r123::Philox4x32 g;
  r123::Philox4x32::ctr_type c = {{counter[0], counter[1], counter[2], counter[3]}};
  r123::Philox4x32::key_type k = {{key[0], key[1]}};
  const auto out = g(c, k);
  return {out[0], out[1], out[2], out[3]};
}

void RandomStream::block(std::uint64_t seed, std::uint64_t stream, std::uint64_t iteration,
                         std::uint32_t draw, double out[2]) noexcept {
  const std::uint64_t hi = iteration | (std::uint64_t{draw & 0xFFFFFFu} << 40);
  std::uint32_t c[4] = {std::uint32_t(stream), std::uint32_t(stream >> 32), std::uint32_t(hi),
                        std::uint32_t(hi >> 32)};
  philox_rounds(c, std::uint32_t(seed), std::uint32_t(seed >> 32));
  out[0] = to_uniform(std::uint64_t{c[0]} | (std::uint64_t{c[1]} << 32));
  out[1] = to_uniform(std::uint64_t{c[2]} | (std::uint64_t{c[3]} << 32));
}

const char* distribution_name(int type) {
  static const char* const names[] = {"undefined", "none",  "lognormal", "normal",
                                      "uniform",   "triangular", "bernoulli",
                                      "discrete uniform", "weibull", "gamma", "beta",
                                      "generalized extreme value", "student t"};
  return type >= 0 && type <= kMaxDistributionId ? names[type] : "unknown";
}

std::string check_uncertainty(const Uncertainty& u) {
  try {
    Sampler s(u, 0.0);
  } catch (const InvalidInputError& e) {
    return e.what();
  }
  return {};
}

void validate_uncertainty(const Uncertainty& u, std::string_view where) {
  const std::string problem = check_uncertainty(u);
  if (!problem.empty()) throw InvalidInputError(std::string(where) + ": " + problem);
}

namespace {

// What Sampler's constructor knows of an entry before its family is looked at: the
// parameters, which bounds are given, the sign (the `negative` flag of lognormal, Weibull,
// gamma) and the bounds on the unsigned variate X, the signed value being sign X.
struct Bounds {
  const Uncertainty& u;
  std::uint8_t t;
  bool has_min, has_max, bounded;
  double sign;
  double lo, hi;
};

// What a family fixes: its parameters (meaning by type, as Sampler's p_) and its truncation.
struct Parts {
  double p[4] = {0, 0, 0, 0};
  bool truncated = false;
  bool upper = false;  // inverse CDF in the upper tail (survival space)
  double lo = -mc::kInf, hi = mc::kInf;
  double w_lo = 0.0, w_width = 1.0;
  double coverage = 1.0;
};

void check_positive(std::uint8_t t, double x, const char* what) {
  if (!(x > 0.0) || !finite(x)) bad(t, std::string(what) + " must be > 0, got " + fmt(x));
}
void check_real(std::uint8_t t, double x, const char* what) {
  if (!finite(x)) bad(t, std::string(what) + " must be a finite number, got " + fmt(x));
}

// The checks every random family shares, and its bounds on the unsigned variate.
Bounds bounds_of(const Uncertainty& u) {
  const std::uint8_t t = u.type;
  for (const auto& [name, x] : {std::pair{"loc", u.loc}, {"scale", u.scale}, {"shape", u.shape}})
    if (std::isinf(x)) bad(t, std::string(name) + " is infinite");
  const bool has_min = given(u.minimum) && u.minimum != -mc::kInf;
  const bool has_max = given(u.maximum) && u.maximum != mc::kInf;
  if (has_min && has_max && !(u.minimum < u.maximum))
    bad(t, "minimum (" + fmt(u.minimum) + ") must be below maximum (" + fmt(u.maximum) + ")");
  const bool sign_flag = (t == 2 || t == 8 || t == 9) && u.negative;
  Bounds b{u, t, has_min, has_max, has_min || has_max, sign_flag ? -1.0 : 1.0, -mc::kInf,
           mc::kInf};
  if (sign_flag) {
    if (has_max) b.lo = -u.maximum;
    if (has_min) b.hi = -u.minimum;
  } else {
    if (has_min) b.lo = u.minimum;
    if (has_max) b.hi = u.maximum;
  }
  return b;
}

// Inverse-CDF window over a standard normal z restricted to [za, zb].
void normal_window(const Bounds& b, double za, double zb, Parts& q) {
  if (za > zb) bad(b.t, "the bounds leave no probability");
  q.lo = za;
  q.hi = zb;
  q.truncated = za > -mc::kInf || zb < mc::kInf;
  if (!q.truncated) return;
  if (za >= 0.0) {  // upper tail: work with survival probabilities for precision
    q.upper = true;
    q.w_lo = mc::normal_sf(zb);
    q.w_width = mc::normal_sf(za) - q.w_lo;
  } else {
    q.w_lo = mc::normal_cdf(za);
    q.w_width = mc::normal_cdf(zb) - q.w_lo;
  }
  q.coverage = q.w_width;
  if (!(q.w_width > 0.0))
    bad(b.t, "the bounds [" + fmt(b.u.minimum) + ", " + fmt(b.u.maximum) +
                 "] leave no probability (" + fmt(q.w_width) + ")");
}

// An inverse-CDF window [w_lo, w_lo + w_width] in probability, when the entry is bounded.
void probability_window(const Bounds& b, double w_lo, double w_high, Parts& q) {
  q.truncated = true;
  q.w_lo = w_lo;
  q.w_width = w_high - w_lo;
  q.coverage = q.w_width;
  if (!(q.w_width > 0.0)) bad(b.t, "the bounds leave no probability");
}

// The parts of a location-scale family: p[0] = loc, p[1] = the scale, which must be positive
// (named scale_name in the message).
Parts loc_scale_parts(const Bounds& b, double loc, const char* scale_name) {
  check_positive(b.t, b.u.scale, scale_name);
  Parts q;
  q.p[0] = loc;
  q.p[1] = b.u.scale;
  return q;
}

Parts lognormal_parts(const Bounds& b) {  // X = exp(mu + sigma z)
  const Uncertainty& u = b.u;
  check_real(b.t, u.loc, "loc (ln of the median)");
  Parts q = loc_scale_parts(b, u.loc, "scale (sigma)");
  const double za = b.lo > 0.0 ? (mc::log(b.lo) - u.loc) / u.scale : -mc::kInf;
  const double zb = b.hi == mc::kInf ? mc::kInf
                    : b.hi > 0.0     ? (mc::log(b.hi) - u.loc) / u.scale
                                     : -mc::kInf;
  if (b.hi <= 0.0)
    bad(b.t, "the bounds exclude every positive value" +
                 std::string(u.negative ? " (negative: bounds apply to -x)" : ""));
  normal_window(b, za, zb, q);
  // The largest z a draw can reach: 8.3 untruncated (u >= 2^-53), else the window's top
  // (38.5 at most, from the smallest positive probability).
  const double z_max = q.truncated ? std::min(q.hi, 38.5) : 8.3;
  if (u.loc + u.scale * z_max > 709.78)
    bad(b.t, "loc " + fmt(u.loc) + " and scale " + fmt(u.scale) +
                 " give values beyond the range of double");
  return q;
}

Parts normal_parts(const Bounds& b) {
  const Uncertainty& u = b.u;
  check_real(b.t, u.loc, "loc (mean)");
  Parts q = loc_scale_parts(b, u.loc, "scale (standard deviation)");
  normal_window(b, b.bounded ? (b.lo - u.loc) / u.scale : -mc::kInf,
                b.bounded ? (b.hi - u.loc) / u.scale : mc::kInf, q);
  return q;
}

void require_min_and_max(const Bounds& b) {
  if (!b.has_min || !b.has_max || !finite(b.u.minimum) || !finite(b.u.maximum))
    bad(b.t, "minimum and maximum are required");
}

Parts uniform_parts(const Bounds& b) {  // on [minimum, maximum]
  require_min_and_max(b);
  Parts q;
  q.p[0] = b.u.minimum;
  q.p[1] = b.u.maximum - b.u.minimum;
  return q;
}

Parts triangular_parts(const Bounds& b) {  // minimum, mode = loc, maximum
  const Uncertainty& u = b.u;
  require_min_and_max(b);
  check_real(b.t, u.loc, "loc (mode)");
  if (u.loc < u.minimum || u.loc > u.maximum)
    bad(b.t, "mode (loc " + fmt(u.loc) + ") lies outside [" + fmt(u.minimum) + ", " +
                 fmt(u.maximum) + "]");
  Parts q;
  q.p[0] = u.minimum;
  q.p[1] = u.maximum;
  q.p[2] = u.loc;
  q.p[3] = (u.loc - u.minimum) / (u.maximum - u.minimum);
  return q;
}

Parts bernoulli_parts(const Bounds& b) {  // 1 with probability loc
  if (!(b.u.loc >= 0.0 && b.u.loc <= 1.0))
    bad(b.t, "loc (probability) must lie in [0, 1], got " + fmt(b.u.loc));
  Parts q;
  q.p[0] = b.u.loc;
  return q;
}

Parts discrete_uniform_parts(const Bounds& b) {  // trunc(minimum) .. trunc(maximum) - 1
  if (!b.has_max || !finite(b.u.maximum)) bad(b.t, "maximum is required");
  const double lo = b.has_min ? std::trunc(b.u.minimum) : 0.0;
  const double hi = std::trunc(b.u.maximum);
  if (!finite(lo) || !(lo < hi))
    bad(b.t, "needs at least one integer in [minimum, maximum): got [" + fmt(lo) + ", " +
                 fmt(hi) + ")");
  if (hi - lo > 9007199254740992.0) bad(b.t, "range too large");
  Parts q;
  q.p[0] = lo;
  q.p[1] = hi - lo;
  return q;
}

Parts weibull_parts(const Bounds& b) {  // X = loc + lambda (-ln S)^(1/k)
  const Uncertainty& u = b.u;
  check_positive(b.t, u.shape, "shape (k)");
  const double loc = given(u.loc) ? u.loc : 0.0;
  Parts q = loc_scale_parts(b, loc, "scale (lambda)");
  q.p[2] = 1.0 / u.shape;
  q.p[3] = u.shape;
  auto survival = [&](double x) {
    if (x <= loc) return 1.0;
    if (x == mc::kInf) return 0.0;
    return mc::exp(-mc::exp(u.shape * mc::log((x - loc) / u.scale)));
  };
  if (b.bounded) probability_window(b, survival(b.hi), survival(b.lo), q);
  return q;
}

Parts gamma_parts(const Bounds& b) {  // X = loc + theta G(k)
  const Uncertainty& u = b.u;
  check_positive(b.t, u.shape, "shape (k)");
  const double loc = given(u.loc) ? u.loc : 0.0;
  Parts q = loc_scale_parts(b, loc, "scale (theta)");
  q.p[2] = u.shape;
  if (b.bounded) {
    q.truncated = true;
    q.lo = b.lo;
    q.hi = b.hi;
    auto cdf = [&](double x) { return x <= loc ? 0.0 : mc::gamma_p(u.shape, (x - loc) / u.scale); };
    q.coverage = cdf(b.hi) - cdf(b.lo);
  }
  return q;
}

Parts beta_parts(const Bounds& b) {  // on [minimum, maximum] (default [0, 1])
  const Uncertainty& u = b.u;
  check_positive(b.t, u.loc, "loc (alpha)");
  check_positive(b.t, u.shape, "shape (beta)");
  const double lo = b.has_min ? u.minimum : 0.0;
  const double hi = b.has_max ? u.maximum : 1.0;
  if (!finite(lo) || !finite(hi) || !(lo < hi))
    bad(b.t, "minimum must be below maximum, got [" + fmt(lo) + ", " + fmt(hi) + "]");
  Parts q;
  q.p[0] = u.loc;
  q.p[1] = u.shape;
  q.p[2] = lo;
  q.p[3] = hi - lo;
  return q;
}

Parts gumbel_parts(const Bounds& b) {  // GEV, Gumbel form: X = mu - sigma ln(-ln p)
  const Uncertainty& u = b.u;
  check_real(b.t, u.loc, "loc (mu)");
  check_positive(b.t, u.scale, "scale (sigma)");
  if (given(u.shape) && u.shape != 0.0)
    bad(b.t, "only the Gumbel form (shape xi = 0) is supported, got shape " + fmt(u.shape));
  Parts q;
  q.p[0] = u.loc;
  q.p[1] = u.scale;
  auto cdf = [&](double x) {
    if (x == -mc::kInf) return 0.0;
    if (x == mc::kInf) return 1.0;
    return mc::exp(-mc::exp(-(x - u.loc) / u.scale));
  };
  if (b.bounded) probability_window(b, cdf(b.lo), cdf(b.hi), q);
  return q;
}

Parts student_t_parts(const Bounds& b) {  // loc + scale T(nu)
  const Uncertainty& u = b.u;
  check_positive(b.t, u.shape, "shape (nu, degrees of freedom)");
  if (given(u.scale)) check_positive(b.t, u.scale, "scale");
  Parts q;
  q.p[0] = given(u.loc) ? u.loc : 0.0;
  q.p[1] = given(u.scale) ? u.scale : 1.0;
  q.p[2] = u.shape;
  if (b.bounded) {
    q.truncated = true;
    q.lo = b.lo;
    q.hi = b.hi;
    const double nu = u.shape;
    auto cdf = [&](double x) {
      if (x == -mc::kInf) return 0.0;
      if (x == mc::kInf) return 1.0;
      const double tt = (x - q.p[0]) / q.p[1];
      const double tail = 0.5 * mc::beta_i(0.5 * nu, 0.5, nu / (nu + tt * tt));
      return tt > 0.0 ? 1.0 - tail : tail;
    };
    q.coverage = cdf(b.hi) - cdf(b.lo);
  }
  return q;
}

// The factory of each random family (types 2 to 12).
Parts family_parts(const Bounds& b) {
  switch (b.t) {
    case 2: return lognormal_parts(b);
    case 3: return normal_parts(b);
    case 4: return uniform_parts(b);
    case 5: return triangular_parts(b);
    case 6: return bernoulli_parts(b);
    case 7: return discrete_uniform_parts(b);
    case 8: return weibull_parts(b);
    case 9: return gamma_parts(b);
    case 10: return beta_parts(b);
    case 11: return gumbel_parts(b);
    case 12: return student_t_parts(b);
    default: return Parts{};
  }
}

// Truncated gamma and Student's t are sampled by rejection: their bounds must keep enough.
void check_rejection_coverage(const Bounds& b, const Parts& q) {
  if ((b.t == 9 || b.t == 12) && q.truncated && !(q.coverage >= kMinRejectionCoverage))
    bad(b.t, "the bounds [" + fmt(b.u.minimum) + ", " + fmt(b.u.maximum) + "] keep only " +
                 fmt(q.coverage) + " of the probability; truncated " + distribution_name(b.t) +
                 " is sampled by rejection and needs at least " + fmt(kMinRejectionCoverage));
}

}  // namespace

Sampler::Sampler(const Uncertainty& u, double amount) : type_(u.type) {
  if (u.type > kMaxDistributionId)
    throw InvalidInputError("unknown uncertainty type " + std::to_string(u.type) +
                            " (stats_arrays ids 0 to " + std::to_string(kMaxDistributionId) +
                            " are supported)");
  if (is_fixed()) {
    if (!finite(amount)) throw InvalidInputError("amount is not finite");
    p_[0] = amount;
    return;
  }
  const Bounds b = bounds_of(u);
  const Parts q = family_parts(b);
  check_rejection_coverage(b, q);
  std::copy(std::begin(q.p), std::end(q.p), std::begin(p_));
  truncated_ = q.truncated;
  w_upper_ = q.upper;
  sign_ = b.sign;
  lo_ = q.lo;
  hi_ = q.hi;
  w_lo_ = q.w_lo;
  w_width_ = q.w_width;
  coverage_ = q.coverage;
}

double Sampler::normal_value(double z) const noexcept {
  if (type_ == 2) return sign_ * mc::exp(p_[0] + p_[1] * z);
  return p_[0] + p_[1] * z;
}

double Sampler::draw_unsigned(RandomStream& s) const noexcept {
  switch (type_) {
    case 8: {
      double q = w_lo_ + s.uniform() * w_width_;
      q = std::clamp(q, kTinyP, 1.0);
      return p_[0] + p_[1] * mc::exp(p_[2] * mc::log(-mc::log(q)));
    }
    case 9: return p_[0] + p_[1] * gamma_variate(s, p_[2]);
    case 12: {
      const double z = mc::normal_quantile(s.uniform());
      const double chi2 = 2.0 * gamma_variate(s, 0.5 * p_[2]);
      return p_[0] + p_[1] * (z / std::sqrt(chi2 / p_[2]));
    }
    default: return 0.0;
  }
}

double Sampler::operator()(RandomStream& s) const noexcept {
  switch (type_) {
    case 0:
    case 1: return p_[0];
    case 2:
    case 3: {
      double p = w_lo_ + s.uniform() * w_width_;
      p = std::clamp(p, kTinyP, kOneMinus);
      double z = mc::normal_quantile(p);
      if (w_upper_) z = -z;
      z = std::clamp(z, lo_, hi_);
      return normal_value(z);
    }
    case 4: return p_[0] + s.uniform() * p_[1];
    case 5: {
      const double u = s.uniform();
      const double a = p_[0], b = p_[1], c = p_[2];
      if (u <= p_[3]) return a + std::sqrt(u * (b - a) * (c - a));
      return b - std::sqrt((1.0 - u) * (b - a) * (b - c));
    }
    case 6: return s.uniform() <= p_[0] ? 1.0 : 0.0;
    case 7: return p_[0] + std::floor(s.uniform() * p_[1]);
    case 8: return sign_ * draw_unsigned(s);
    case 9:
    case 12: {
      double x = draw_unsigned(s);
      for (int attempt = 1; truncated_ && (x < lo_ || x > hi_); ++attempt) {
        if (attempt >= kMaxRejections) {
          x = std::clamp(x, lo_, hi_);
          break;
        }
        x = draw_unsigned(s);
      }
      return sign_ * x;
    }
    case 10: {
      const double la = log_gamma_variate(s, p_[0]);
      const double lb = log_gamma_variate(s, p_[1]);
      const double x = 1.0 / (1.0 + mc::exp(std::clamp(lb - la, -745.0, 709.0)));
      return p_[2] + p_[3] * x;
    }
    case 11: {
      double q = w_lo_ + s.uniform() * w_width_;
      q = std::clamp(q, kTinyP, kOneMinus);
      return p_[0] - p_[1] * mc::log(-mc::log(q));
    }
    default: return 0.0;
  }
}

std::vector<double> sample_distribution(const Uncertainty& uncertainty, double amount,
                                        std::uint64_t seed, Index count,
                                        std::uint64_t first_iteration, std::uint64_t stream) {
  if (count < 0) throw InvalidInputError("count must be >= 0");
  if (first_iteration + static_cast<std::uint64_t>(count) > RandomStream::kMaxIteration + 1)
    throw InvalidInputError("iterations beyond 2^40 are not supported");
  check_memory(8.0 * double(count), "sample_distribution: " + std::to_string(count) + " draws",
               "draw fewer at a time (first_iteration continues the sequence)");
  const Sampler sampler(uncertainty, amount);
  std::vector<double> out(static_cast<std::size_t>(count));
  for (Index i = 0; i < count; ++i) {
    RandomStream s(seed, stream, first_iteration + static_cast<std::uint64_t>(i));
    out[static_cast<std::size_t>(i)] = sampler(s);
  }
  return out;
}

std::vector<double> sampled_values(const Model& model, MatrixKind kind, std::uint64_t seed,
                                   std::uint64_t iteration) {
  if (iteration > RandomStream::kMaxIteration)
    throw InvalidInputError("iterations beyond 2^40 are not supported");
  const MatrixData& data = model.data(kind);
  std::vector<double> values = data.matrix.values;
  if (!data.has_uncertainty()) return values;
  const std::size_t count = data.entries.size();
  std::vector<char> drawn_slot(values.size(), 0);
  for (std::size_t e = 0; e < count; ++e)
    if (data.uncertainty[e].is_uncertain()) drawn_slot[std::size_t(data.slots[e])] = 1;
  for (std::size_t s = 0; s < values.size(); ++s)
    if (drawn_slot[s]) values[s] = 0.0;
  for (std::size_t e = 0; e < count; ++e) {  // the fixed part of the drawn slots
    const auto s = std::size_t(data.slots[e]);
    if (drawn_slot[s] && !data.uncertainty[e].is_uncertain()) values[s] += data.entries[e].value();
  }
  for (std::size_t e = 0; e < count; ++e) {
    if (!data.uncertainty[e].is_uncertain()) continue;
    const Entry& entry = data.entries[e];
    std::optional<Sampler> sampler;
    try {
      sampler.emplace(data.uncertainty[e], entry.amount);
    } catch (const InvalidInputError& err) {
      throw InvalidInputError(std::string(to_string(kind)) + " entry " + std::to_string(e) +
                              " (row " + std::to_string(entry.row) + ", column " +
                              std::to_string(entry.col) + "): " + err.what());
    }
    RandomStream stream(seed, stream_id(kind, Index(e)), iteration);
    values[std::size_t(data.slots[e])] += (entry.flip ? -1.0 : 1.0) * (*sampler)(stream);
  }
  return values;
}

}  // namespace hiili
