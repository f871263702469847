// Sampling the stats_arrays distributions from counter-based uniforms (distributions.hpp).
#include "hiili/distributions.hpp"

#include <Random123/philox.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
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

Sampler::Sampler(const Uncertainty& u, double amount) : type_(u.type) {
  const std::uint8_t t = u.type;
  if (t > kMaxDistributionId)
    throw InvalidInputError("unknown uncertainty type " + std::to_string(t) +
                            " (stats_arrays ids 0 to " + std::to_string(kMaxDistributionId) +
                            " are supported)");
  if (t <= 1) {
    if (!finite(amount)) throw InvalidInputError("amount is not finite");
    p_[0] = amount;
    return;
  }
  for (const auto& [name, x] : {std::pair{"loc", u.loc}, {"scale", u.scale}, {"shape", u.shape}})
    if (std::isinf(x)) bad(t, std::string(name) + " is infinite");
  const bool has_min = given(u.minimum) && u.minimum != -mc::kInf;
  const bool has_max = given(u.maximum) && u.maximum != mc::kInf;
  if (has_min && has_max && !(u.minimum < u.maximum))
    bad(t, "minimum (" + fmt(u.minimum) + ") must be below maximum (" + fmt(u.maximum) + ")");
  const bool sign_flag = (t == 2 || t == 8 || t == 9) && u.negative;
  sign_ = sign_flag ? -1.0 : 1.0;
  // Bounds on the unsigned variate X, the signed value being sign X.
  double lo = -mc::kInf, hi = mc::kInf;
  if (sign_flag) {
    if (has_max) lo = -u.maximum;
    if (has_min) hi = -u.minimum;
  } else {
    if (has_min) lo = u.minimum;
    if (has_max) hi = u.maximum;
  }
  const bool bounded = has_min || has_max;

  auto positive = [&](double x, const char* what) {
    if (!(x > 0.0) || !finite(x)) bad(t, std::string(what) + " must be > 0, got " + fmt(x));
  };
  auto real = [&](double x, const char* what) {
    if (!finite(x)) bad(t, std::string(what) + " must be a finite number, got " + fmt(x));
  };
  // Inverse-CDF window over a standard normal z restricted to [za, zb].
  auto normal_window = [&](double za, double zb) {
    if (za > zb) bad(t, "the bounds leave no probability");
    lo_ = za;
    hi_ = zb;
    truncated_ = za > -mc::kInf || zb < mc::kInf;
    if (!truncated_) return;
    if (za >= 0.0) {  // upper tail: work with survival probabilities for precision
      w_upper_ = true;
      w_lo_ = mc::normal_sf(zb);
      w_width_ = mc::normal_sf(za) - w_lo_;
    } else {
      w_lo_ = mc::normal_cdf(za);
      w_width_ = mc::normal_cdf(zb) - w_lo_;
    }
    coverage_ = w_width_;
    if (!(w_width_ > 0.0))
      bad(t, "the bounds [" + fmt(u.minimum) + ", " + fmt(u.maximum) +
                 "] leave no probability (" + fmt(w_width_) + ")");
  };

  switch (t) {
    case 2: {  // lognormal: X = exp(mu + sigma z)
      real(u.loc, "loc (ln of the median)");
      positive(u.scale, "scale (sigma)");
      p_[0] = u.loc;
      p_[1] = u.scale;
      const double za = lo > 0.0 ? (mc::log(lo) - u.loc) / u.scale : -mc::kInf;
      const double zb = hi == mc::kInf ? mc::kInf
                        : hi > 0.0     ? (mc::log(hi) - u.loc) / u.scale
                                       : -mc::kInf;
      if (hi <= 0.0) bad(t, "the bounds exclude every positive value" +
                                std::string(u.negative ? " (negative: bounds apply to -x)" : ""));
      normal_window(za, zb);
      // The largest z a draw can reach: 8.3 untruncated (u >= 2^-53), else the window's top
      // (38.5 at most, from the smallest positive probability).
      const double z_max = truncated_ ? std::min(hi_, 38.5) : 8.3;
      if (u.loc + u.scale * z_max > 709.78)
        bad(t, "loc " + fmt(u.loc) + " and scale " + fmt(u.scale) +
                   " give values beyond the range of double");
      break;
    }
    case 3: {  // normal
      real(u.loc, "loc (mean)");
      positive(u.scale, "scale (standard deviation)");
      p_[0] = u.loc;
      p_[1] = u.scale;
      normal_window(bounded ? (lo - u.loc) / u.scale : -mc::kInf,
                    bounded ? (hi - u.loc) / u.scale : mc::kInf);
      break;
    }
    case 4: {  // uniform on [minimum, maximum]
      if (!has_min || !has_max || !finite(u.minimum) || !finite(u.maximum))
        bad(t, "minimum and maximum are required");
      p_[0] = u.minimum;
      p_[1] = u.maximum - u.minimum;
      break;
    }
    case 5: {  // triangular: minimum, mode = loc, maximum
      if (!has_min || !has_max || !finite(u.minimum) || !finite(u.maximum))
        bad(t, "minimum and maximum are required");
      real(u.loc, "loc (mode)");
      if (u.loc < u.minimum || u.loc > u.maximum)
        bad(t, "mode (loc " + fmt(u.loc) + ") lies outside [" + fmt(u.minimum) + ", " +
                   fmt(u.maximum) + "]");
      p_[0] = u.minimum;
      p_[1] = u.maximum;
      p_[2] = u.loc;
      p_[3] = (u.loc - u.minimum) / (u.maximum - u.minimum);
      break;
    }
    case 6: {  // Bernoulli: 1 with probability loc
      if (!(u.loc >= 0.0 && u.loc <= 1.0))
        bad(t, "loc (probability) must lie in [0, 1], got " + fmt(u.loc));
      p_[0] = u.loc;
      break;
    }
    case 7: {  // discrete uniform: integers trunc(minimum) .. trunc(maximum) - 1
      if (!has_max || !finite(u.maximum)) bad(t, "maximum is required");
      const double a = has_min ? std::trunc(u.minimum) : 0.0;
      const double b = std::trunc(u.maximum);
      if (!finite(a) || !(a < b))
        bad(t, "needs at least one integer in [minimum, maximum): got [" + fmt(a) + ", " +
                   fmt(b) + ")");
      if (b - a > 9007199254740992.0) bad(t, "range too large");
      p_[0] = a;
      p_[1] = b - a;
      break;
    }
    case 8: {  // Weibull: X = loc + lambda (-ln S)^(1/k)
      positive(u.shape, "shape (k)");
      positive(u.scale, "scale (lambda)");
      const double loc = given(u.loc) ? u.loc : 0.0;
      p_[0] = loc;
      p_[1] = u.scale;
      p_[2] = 1.0 / u.shape;
      p_[3] = u.shape;
      auto survival = [&](double x) {
        if (x <= loc) return 1.0;
        if (x == mc::kInf) return 0.0;
        return mc::exp(-mc::exp(u.shape * mc::log((x - loc) / u.scale)));
      };
      if (bounded) {
        truncated_ = true;
        w_lo_ = survival(hi);
        w_width_ = survival(lo) - w_lo_;
        coverage_ = w_width_;
        if (!(w_width_ > 0.0)) bad(t, "the bounds leave no probability");
      }
      break;
    }
    case 9: {  // gamma: X = loc + theta G(k)
      positive(u.shape, "shape (k)");
      positive(u.scale, "scale (theta)");
      const double loc = given(u.loc) ? u.loc : 0.0;
      p_[0] = loc;
      p_[1] = u.scale;
      p_[2] = u.shape;
      if (bounded) {
        truncated_ = true;
        lo_ = lo;
        hi_ = hi;
        auto cdf = [&](double x) { return x <= loc ? 0.0 : mc::gamma_p(u.shape, (x - loc) / u.scale); };
        coverage_ = cdf(hi) - cdf(lo);
      }
      break;
    }
    case 10: {  // beta on [minimum, maximum] (default [0, 1])
      positive(u.loc, "loc (alpha)");
      positive(u.shape, "shape (beta)");
      const double a = has_min ? u.minimum : 0.0;
      const double b = has_max ? u.maximum : 1.0;
      if (!finite(a) || !finite(b) || !(a < b))
        bad(t, "minimum must be below maximum, got [" + fmt(a) + ", " + fmt(b) + "]");
      p_[0] = u.loc;
      p_[1] = u.shape;
      p_[2] = a;
      p_[3] = b - a;
      break;
    }
    case 11: {  // generalised extreme value, Gumbel form: X = mu - sigma ln(-ln p)
      real(u.loc, "loc (mu)");
      positive(u.scale, "scale (sigma)");
      if (given(u.shape) && u.shape != 0.0)
        bad(t, "only the Gumbel form (shape xi = 0) is supported, got shape " + fmt(u.shape));
      p_[0] = u.loc;
      p_[1] = u.scale;
      auto cdf = [&](double x) {
        if (x == -mc::kInf) return 0.0;
        if (x == mc::kInf) return 1.0;
        return mc::exp(-mc::exp(-(x - u.loc) / u.scale));
      };
      if (bounded) {
        truncated_ = true;
        w_lo_ = cdf(lo);
        w_width_ = cdf(hi) - w_lo_;
        coverage_ = w_width_;
        if (!(w_width_ > 0.0)) bad(t, "the bounds leave no probability");
      }
      break;
    }
    case 12: {  // Student's t: loc + scale T(nu)
      positive(u.shape, "shape (nu, degrees of freedom)");
      if (given(u.scale)) positive(u.scale, "scale");
      p_[0] = given(u.loc) ? u.loc : 0.0;
      p_[1] = given(u.scale) ? u.scale : 1.0;
      p_[2] = u.shape;
      if (bounded) {
        truncated_ = true;
        lo_ = lo;
        hi_ = hi;
        const double nu = u.shape;
        auto cdf = [&](double x) {
          if (x == -mc::kInf) return 0.0;
          if (x == mc::kInf) return 1.0;
          const double tt = (x - p_[0]) / p_[1];
          const double tail = 0.5 * mc::beta_i(0.5 * nu, 0.5, nu / (nu + tt * tt));
          return tt > 0.0 ? 1.0 - tail : tail;
        };
        coverage_ = cdf(hi) - cdf(lo);
      }
      break;
    }
    default: break;
  }
  if ((t == 9 || t == 12) && truncated_ && !(coverage_ >= kMinRejectionCoverage))
    bad(t, "the bounds [" + fmt(u.minimum) + ", " + fmt(u.maximum) + "] keep only " +
               fmt(coverage_) + " of the probability; truncated " + distribution_name(t) +
               " is sampled by rejection and needs at least " + fmt(kMinRejectionCoverage));
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

}  // namespace hiili
