// Elementary and special functions for sampling, written out so that a draw is the same on
// every machine: IEEE-754 +, -, *, /, sqrt are exactly specified, libm's exp and log are
// not (they differ in the last bit between versions and platforms). The files that use these
// are compiled with -ffp-contract=off so that no fused multiply-add changes a rounding.
//
// Accuracy: exp and log within 2 ulp, normal_quantile within a few ulp of the true quantile
// (Wichura's AS 241), the CDFs used only at setup (truncation windows, coverage checks)
// within about 1e-14 relative.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace hiili::mc {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2, upper 32 bits
inline constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 - kLn2Hi
inline constexpr double kLog2e = 1.4426950408889634074;
inline constexpr double kShifter = 6755399441055744.0;  // 1.5 * 2^52: rounds to an integer

// e^x for |x| < 708 (the caller clamps; the sampling code never leaves that range).
// Branch-free so that loops over it vectorise.
inline double exp_core(double x) {
  const double t = x * kLog2e + kShifter;
  const double k = t - kShifter;  // nearest integer to x / ln 2
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;  // |r| <= 0.347
  // Taylor series of e^r to degree 13 (truncation below 1e-17).
  double p = 1.0 / 6227020800.0;
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
  // 2^k from the low bits of t (k is in t's low mantissa bits).
  const std::uint64_t kbits = std::bit_cast<std::uint64_t>(t) + 1023u;
  return p * std::bit_cast<double>(kbits << 52);
}

// e^x for every x.
inline double exp(double x) {
  if (x != x) return x;
  if (x > 709.782712893384) return kInf;
  if (x < -745.2) return 0.0;
  if (x > 708.0) return exp_core(x - 1.0) * 2.718281828459045;
  if (x < -708.0) return exp_core(x + 64.0 * 0.6931471805599453) * 5.421010862427522e-20;  // 2^-64
  return exp_core(x);
}

// Natural logarithm for x > 0 finite and normal (the core of log()).
inline double log_core(double x) {
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  double e = double(static_cast<std::int64_t>(bits >> 52) - 1023);
  double m = std::bit_cast<double>((bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1.0;
  }
  // log m = 2 atanh f, f = (m - 1) / (m + 1), |f| <= 0.1716: series in s = f^2.
  const double f = (m - 1.0) / (m + 1.0);
  const double s = f * f;
  double p = 1.0 / 21.0;
  p = p * s + 1.0 / 19.0;
  p = p * s + 1.0 / 17.0;
  p = p * s + 1.0 / 15.0;
  p = p * s + 1.0 / 13.0;
  p = p * s + 1.0 / 11.0;
  p = p * s + 1.0 / 9.0;
  p = p * s + 1.0 / 7.0;
  p = p * s + 1.0 / 5.0;
  p = p * s + 1.0 / 3.0;
  const double lm = 2.0 * f + 2.0 * f * (s * p);
  return e * kLn2Hi + (lm + e * kLn2Lo);
}

inline double log(double x) {
  if (!(x > 0.0)) return x == 0.0 ? -kInf : kNaN;
  if (x == kInf) return kInf;
  if (x < 2.2250738585072014e-308) return log_core(x * 18014398509481984.0) - 54.0 * 0.6931471805599453;
  return log_core(x);
}

// Quantile of the standard normal distribution, p in (0, 1): Wichura (1988), Algorithm AS 241
// (PPND16), accurate to about 1e-16. The central branch (|p - 0.5| <= 0.425, 85 % of draws)
// is a rational function: normal_quantile_central is branch-free for vectorised loops.
inline double normal_quantile_central(double q) {
  const double r = 0.180625 - q * q;
  const double num =
      (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r +
           45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
        133.14166789178437745) * r + 3.387132872796366608);
  const double den =
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r +
           21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
        42.313330701600911252) * r + 1.0);
  return q * num / den;
}

// The tails: `tail` = min(p, 1 - p) computed without cancellation by the caller, `q` = p - 0.5.
inline double normal_quantile_tail(double q, double tail) {
  double r = std::sqrt(-log(tail));
  double val;
  if (r <= 5.0) {
    r -= 1.6;
    val = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
                0.24178072517745061177) * r + 1.27045825245236838258) * r +
              3.64784832476320460504) * r + 5.7694972214606914055) * r +
            4.6303378461565452959) * r + 1.42343711074968357734) /
          (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
                0.0151986665636164571966) * r + 0.14810397642748007459) * r +
              0.68976733498510000455) * r + 1.6763848301838038494) * r +
            2.05319162663775882187) * r + 1.0);
  } else {
    r -= 5.0;
    val = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r +
                0.0012426609473880784386) * r + 0.026532189526576123093) * r +
              0.29656057182850489123) * r + 1.7848265399172913358) * r +
            5.4637849111641143699) * r + 6.6579046435011037772) /
          (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
                1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
              0.0148753612908506148525) * r + 0.13692988092273580531) * r +
            0.59983220655588793769) * r + 1.0);
  }
  return q < 0.0 ? -val : val;
}

inline double normal_quantile(double p) {
  const double q = p - 0.5;
  if (std::abs(q) <= 0.425) return normal_quantile_central(q);
  return normal_quantile_tail(q, q < 0.0 ? p : 1.0 - p);
}

// Upper tail Q(x) = P(Z > x) of the standard normal, accurate in relative terms far into the
// tail (setup only: truncation windows).
double normal_sf(double x);
inline double normal_cdf(double x) { return normal_sf(-x); }

// Regularised lower incomplete gamma P(a, x) and incomplete beta I_x(a, b) (setup only:
// coverage of truncation bounds for gamma and Student's t).
double gamma_p(double a, double x);
double beta_i(double a, double b, double x);

}  // namespace hiili::mc
