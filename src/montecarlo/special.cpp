// Setup-time special functions: tail probabilities for truncation windows and coverage checks.
#include "montecarlo/special.hpp"

#include <algorithm>

namespace hiili::mc {

namespace {
constexpr double kTiny = 1e-300;
constexpr double kEps = 1e-16;
constexpr double kInvSqrt2Pi = 0.3989422804014327;
constexpr double kTwoOverSqrtPi = 1.1283791670955126;
}  // namespace

double normal_sf(double x) {
  if (x != x) return x;
  if (x == kInf) return 0.0;
  if (x == -kInf) return 1.0;
  if (x < 0.0) return 1.0 - normal_sf(-x);
  if (x < 3.0) {
    // erf(z) = 2/sqrt(pi) e^{-z^2} sum_n z^{2n+1} 2^n / (1 3 5 ... (2n+1)): positive terms.
    const double z = x * 0.7071067811865476;
    const double z2 = z * z;
    double term = z, sum = z;
    for (int n = 1; n < 200; ++n) {
      term *= 2.0 * z2 / (2.0 * n + 1.0);
      sum += term;
      if (term < sum * kEps) break;
    }
    const double erf = kTwoOverSqrtPi * exp(-z2) * sum;
    return 0.5 - 0.5 * erf;
  }
  if (x > 40.0) return 0.0;
  // Mills ratio as a continued fraction x + 1/(x + 2/(x + 3/(x + ...))), modified Lentz.
  double f = x, c = x, d = 0.0;
  for (int n = 1; n < 500; ++n) {
    d = x + n * d;
    d = d == 0.0 ? 1.0 / kTiny : 1.0 / d;
    c = x + n / c;
    if (c == 0.0) c = kTiny;
    const double delta = c * d;
    f *= delta;
    if (std::abs(delta - 1.0) < kEps) break;
  }
  return kInvSqrt2Pi * exp(-0.5 * x * x) / f;
}

double gamma_p(double a, double x) {
  if (!(x > 0.0)) return 0.0;
  if (x == kInf) return 1.0;
  const double front = exp(-x + a * log(x) - std::lgamma(a));
  if (x < a + 1.0) {
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 100000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::abs(term) < std::abs(sum) * kEps) break;
    }
    return std::min(1.0, sum * front);
  }
  // Legendre's continued fraction for the upper tail, modified Lentz.
  double b = x + 1.0 - a, c = 1.0 / kTiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) < kEps) break;
  }
  return std::max(0.0, 1.0 - front * h);
}

namespace {
// Continued fraction for I_x(a, b) (Abramowitz & Stegun 26.5.8), modified Lentz.
double beta_cf(double a, double b, double x) {
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0, d = 1.0 - qab * x / qap;
  if (std::abs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m < 100000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) < kEps) break;
  }
  return h;
}
}  // namespace

double beta_i(double a, double b, double x) {
  if (!(x > 0.0)) return 0.0;
  if (x >= 1.0) return 1.0;
  const double front =
      exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * log(x) + b * log(1.0 - x));
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_cf(a, b, x) / a;
  return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

}  // namespace hiili::mc
