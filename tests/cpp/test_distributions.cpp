// Tests for distributions.hpp and the validation helpers of uncertainty.hpp: the Philox
// generator against Random123, the hand-written elementary functions against libm, each
// stats_arrays distribution's mean and variance against its analytic values, truncation,
// every parameter error, and the bulk path against the one-at-a-time sampler (bit for bit).
//
// All draws are seeded: every statistic below is a fixed number, and the tolerances (several
// standard errors) leave a margin that cannot flake.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "hiili/distributions.hpp"
#include "hiili/error.hpp"
#include "hiili/uncertainty.hpp"
#include "../../src/montecarlo/batch.hpp"
#include "../../src/montecarlo/special.hpp"
#include "test_util.hpp"

namespace hiili {
namespace {

using test_util::uncertainty;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();


struct Moments {
  double mean = 0, var = 0, min = INFINITY, max = -INFINITY;
};
Moments moments(const std::vector<double>& x) {
  Moments m;
  long double s = 0, q = 0;
  for (double v : x) s += v;
  m.mean = double(s / x.size());
  for (double v : x) {
    q += (v - m.mean) * (v - m.mean);
    m.min = std::min(m.min, v);
    m.max = std::max(m.max, v);
  }
  m.var = double(q / (x.size() - 1));
  return m;
}

// ---- Philox and uniforms ----------------------------------------------------------------

TEST(Philox, KnownAnswersOfRandom123) {
  // Random123's known-answer vectors for philox4x32 with 10 rounds.
  auto a = philox4x32_10({0, 0, 0, 0}, {0, 0});
  EXPECT_EQ(a, (std::array<std::uint32_t, 4>{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  auto b = philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                         {0xffffffffu, 0xffffffffu});
  EXPECT_EQ(b, (std::array<std::uint32_t, 4>{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  auto c = philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                         {0xa4093822u, 0x299f31d0u});
  EXPECT_EQ(c, (std::array<std::uint32_t, 4>{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

TEST(Philox, StreamBlocksAreRandom123Philox) {
  // RandomStream's own rounds against Random123 for many counters and keys.
  for (std::uint64_t seed : {0ull, 1ull, 0xdeadbeefcafef00dull}) {
    for (std::uint64_t stream : {0ull, 7ull, (1ull << 62) | 12345ull, (2ull << 62) | 99ull}) {
      for (std::uint64_t it : {0ull, 1ull, 999ull, (1ull << 40) - 1}) {
        for (std::uint32_t draw : {0u, 1u, 17u}) {
          double u[2];
          RandomStream::block(seed, stream, it, draw, u);
          const std::uint64_t hi = it | (std::uint64_t{draw} << 40);
          const auto r = philox4x32_10(
              {std::uint32_t(stream), std::uint32_t(stream >> 32), std::uint32_t(hi),
               std::uint32_t(hi >> 32)},
              {std::uint32_t(seed), std::uint32_t(seed >> 32)});
          EXPECT_EQ(u[0], to_uniform(std::uint64_t{r[0]} | (std::uint64_t{r[1]} << 32)));
          EXPECT_EQ(u[1], to_uniform(std::uint64_t{r[2]} | (std::uint64_t{r[3]} << 32)));
        }
      }
    }
  }
}

TEST(Philox, UniformsAreOpenIntervalMidpoints) {
  EXPECT_EQ(to_uniform(0), 0x1.0p-53);
  EXPECT_EQ(to_uniform(~0ull), 1.0 - 0x1.0p-53);
  EXPECT_LT(to_uniform(~0ull), 1.0);
  // Symmetric: 1 - u is the uniform of the complementary word, exactly.
  for (std::uint64_t w : {0ull, 12345ull << 12, 0x8000000000000000ull, ~0ull})
    EXPECT_EQ(1.0 - to_uniform(w), to_uniform(~w));
}

TEST(Philox, StreamsAreAPureFunctionOfTheirKey) {
  RandomStream a(42, stream_id(MatrixKind::Biosphere, 5), 17);
  RandomStream b(42, stream_id(MatrixKind::Biosphere, 5), 17);
  RandomStream c(42, stream_id(MatrixKind::Biosphere, 5), 18);
  RandomStream d(42, stream_id(MatrixKind::Technosphere, 5), 17);
  RandomStream e(43, stream_id(MatrixKind::Biosphere, 5), 17);
  const double x = a.uniform();
  EXPECT_EQ(x, b.uniform());
  EXPECT_NE(x, c.uniform());
  EXPECT_NE(x, d.uniform());
  EXPECT_NE(x, e.uniform());
  EXPECT_EQ(a.draws(), 1u);
  a.uniform();
  EXPECT_EQ(a.draws(), 1u);  // the second uniform of the block
  a.uniform();
  EXPECT_EQ(a.draws(), 2u);
}

TEST(Philox, UniformMomentsAndIndependenceOfNeighbours) {
  // 2^18 draws over consecutive iterations of one stream, and over neighbouring streams.
  const int n = 1 << 18;
  std::vector<double> x(n), y(n);
  for (int i = 0; i < n; ++i) {
    RandomStream s(7, 3, std::uint64_t(i));
    x[i] = s.uniform();
    RandomStream t(7, std::uint64_t(i), 3);
    y[i] = t.uniform();
  }
  for (auto* v : {&x, &y}) {
    const Moments m = moments(*v);
    EXPECT_NEAR(m.mean, 0.5, 5 * std::sqrt(1.0 / 12 / n));
    EXPECT_NEAR(m.var, 1.0 / 12, 5 * 0.0745 / 12 * 4 / std::sqrt(double(n)));
  }
  double cov = 0;
  for (int i = 0; i < n; ++i) cov += (x[i] - 0.5) * (y[i] - 0.5);
  EXPECT_NEAR(cov / n, 0.0, 5.0 / 12 / std::sqrt(double(n)));
}

// ---- elementary functions ------------------------------------------------------------------

TEST(Special, ExpAndLogMatchLibm) {
  double worst_exp = 0, worst_log = 0;
  for (int i = 0; i <= 200000; ++i) {
    const double x = -740.0 + 1449.0 * i / 200000.0;
    const double ref = std::exp(x);
    if (ref > 0 && std::isfinite(ref) && ref > 1e-300)
      worst_exp = std::max(worst_exp, std::abs(mc::exp(x) - ref) / ref);
    const double y = std::exp(-700.0 + 1400.0 * i / 200000.0);
    const double lref = std::log(y);
    if (lref != 0.0) worst_log = std::max(worst_log, std::abs(mc::log(y) - lref) / std::abs(lref));
  }
  EXPECT_LT(worst_exp, 5e-16);
  EXPECT_LT(worst_log, 5e-16);
  EXPECT_EQ(mc::exp(0.0), 1.0);
  EXPECT_EQ(mc::log(1.0), 0.0);
  EXPECT_EQ(mc::exp(-1000.0), 0.0);
  EXPECT_EQ(mc::exp(1000.0), INFINITY);
  EXPECT_EQ(mc::log(0.0), -INFINITY);
  EXPECT_TRUE(std::isnan(mc::log(-1.0)));
  EXPECT_NEAR(mc::log(4.9406564584124654e-324), -744.4400719213812, 1e-12);
  EXPECT_NEAR(mc::log(1e-310), std::log(1e-310), 1e-12);
}

TEST(Special, NormalQuantileAndTails) {
  EXPECT_EQ(mc::normal_quantile(0.5), 0.0);
  EXPECT_NEAR(mc::normal_quantile(0.975), 1.959963984540054, 1e-15);
  EXPECT_NEAR(mc::normal_quantile(0.025), -1.959963984540054, 1e-15);
  EXPECT_NEAR(mc::normal_quantile(1e-10), -6.361340902404056, 1e-13);
  EXPECT_NEAR(mc::normal_quantile(1e-300), -37.0470962993612, 1e-11);
  // The tail probability inverts the quantile to near machine precision, far into the tails.
  for (double p : {1e-300, 1e-100, 1e-20, 1e-8, 1e-3, 0.01, 0.07, 0.2, 0.3, 0.45}) {
    const double z = mc::normal_quantile(p);
    EXPECT_NEAR(mc::normal_cdf(z) / p, 1.0, 2e-13) << p;
    EXPECT_NEAR(mc::normal_sf(-z) / p, 1.0, 2e-13) << p;
  }
  EXPECT_NEAR(mc::normal_sf(1.0), 0.15865525393145705, 1e-15);
  EXPECT_NEAR(mc::normal_sf(5.0) / 2.866515718791933e-07, 1.0, 1e-13);
}

TEST(Special, IncompleteGammaAndBeta) {
  EXPECT_NEAR(mc::gamma_p(1.0, 2.0), 1.0 - std::exp(-2.0), 1e-15);
  EXPECT_NEAR(mc::gamma_p(3.0, 2.5), 0.4561868841166703, 1e-14);  // P(3, 2.5)
  EXPECT_NEAR(mc::gamma_p(0.5, 0.7), std::erf(std::sqrt(0.7)), 1e-14);
  EXPECT_NEAR(mc::gamma_p(50.0, 60.0), 0.9155933189063082, 1e-13);
  EXPECT_NEAR(mc::beta_i(2.0, 3.0, 0.4), 0.5248, 1e-14);  // 1 - sum of binomial terms
  EXPECT_NEAR(mc::beta_i(0.5, 0.5, 0.5), 0.5, 1e-14);
  EXPECT_NEAR(mc::beta_i(5.0, 0.5, 0.99), 1.0 - mc::beta_i(0.5, 5.0, 0.01), 1e-14);
}

// ---- distributions: mean and variance against analytic values --------------------------------

struct Case {
  const char* name;
  Uncertainty u;
  double amount;
  double mean, var;
};

TEST(Distributions, MeansAndVariancesMatchAnalyticValues) {
  const double pi = 3.141592653589793;
  const double euler = 0.5772156649015329;
  const std::vector<Case> cases = {
      {"undefined", uncertainty(0), 3.5, 3.5, 0.0},
      {"none", uncertainty(1), -2.0, -2.0, 0.0},
      {"lognormal", uncertainty(2, std::log(2.0), 0.4), 0, 2.0 * std::exp(0.08),
       4.0 * (std::exp(0.16) - 1.0) * std::exp(0.16)},
      {"lognormal negative", uncertainty(2, std::log(2.0), 0.4, kNaN, kNaN, kNaN, true), 0,
       -2.0 * std::exp(0.08), 4.0 * (std::exp(0.16) - 1.0) * std::exp(0.16)},
      {"normal", uncertainty(3, 5.0, 2.0), 0, 5.0, 4.0},
      {"uniform", uncertainty(4, kNaN, kNaN, kNaN, -1.0, 3.0), 0, 1.0, 16.0 / 12.0},
      {"triangular", uncertainty(5, 2.0, kNaN, kNaN, 1.0, 5.0), 0, 8.0 / 3.0,
       (1 + 25 + 4 - 5 - 2 - 10) / 18.0},
      {"bernoulli", uncertainty(6, 0.3), 0, 0.3, 0.21},
      {"discrete uniform", uncertainty(7, kNaN, kNaN, kNaN, 2.0, 7.0), 0, 4.0, (25.0 - 1.0) / 12.0},
      {"weibull", uncertainty(8, 1.0, 2.0, 1.5), 0, 1.0 + 2.0 * std::tgamma(1 + 1 / 1.5),
       4.0 * (std::tgamma(1 + 2 / 1.5) - std::pow(std::tgamma(1 + 1 / 1.5), 2))},
      {"gamma", uncertainty(9, kNaN, 1.5, 2.5), 0, 3.75, 5.625},
      {"gamma small shape", uncertainty(9, 1.0, 2.0, 0.3), 0, 1.6, 1.2},
      {"beta", uncertainty(10, 2.0, kNaN, 5.0), 0, 2.0 / 7.0, 10.0 / (49.0 * 8.0)},
      {"beta rescaled", uncertainty(10, 0.5, kNaN, 0.5, -2.0, 2.0), 0, 0.0, 16.0 * 0.125},
      {"gumbel", uncertainty(11, 1.0, 2.0, 0.0), 0, 1.0 + 2.0 * euler, pi * pi / 6.0 * 4.0},
      {"student t", uncertainty(12, 1.0, 2.0, 5.0), 0, 1.0, 4.0 * 5.0 / 3.0},
  };
  const Index n = 200000;
  for (const Case& c : cases) {
    const auto x = sample_distribution(c.u, c.amount, 2024, n, 0, 11);
    const Moments m = moments(x);
    const double se = std::sqrt(c.var / n);
    // Student's t with nu = 5 has heavy tails: its sample variance converges slowly.
    const double var_tol = std::string(c.name) == "student t" ? 0.15 : 0.03;
    EXPECT_NEAR(m.mean, c.mean, 6 * se + 1e-12) << c.name;
    EXPECT_NEAR(m.var, c.var, var_tol * c.var + 1e-12) << c.name;
  }
}

TEST(Distributions, SupportsAndDiscreteValues) {
  const auto b = sample_distribution(uncertainty(6, 0.3), 0, 1, 5000);
  for (double v : b) EXPECT_TRUE(v == 0.0 || v == 1.0);
  const auto d = sample_distribution(uncertainty(7, kNaN, kNaN, kNaN, 2.0, 7.0), 0, 1, 5000);
  std::vector<int> seen(10, 0);
  for (double v : d) {
    EXPECT_EQ(v, std::floor(v));
    ASSERT_GE(v, 2.0);
    ASSERT_LE(v, 6.0);
    ++seen[int(v)];
  }
  for (int v = 2; v <= 6; ++v) EXPECT_GT(seen[v], 800);
  const auto u = sample_distribution(uncertainty(4, kNaN, kNaN, kNaN, -1.0, 3.0), 0, 1, 5000);
  for (double v : u) EXPECT_TRUE(v > -1.0 && v < 3.0);
  const auto t = sample_distribution(uncertainty(5, 2.0, kNaN, kNaN, 1.0, 5.0), 0, 1, 5000);
  for (double v : t) EXPECT_TRUE(v >= 1.0 && v <= 5.0);
  const auto ln = sample_distribution(uncertainty(2, 0.0, 1.0, kNaN, kNaN, kNaN, true), 0, 1, 5000);
  for (double v : ln) EXPECT_LT(v, 0.0);
  // Types 0 and 1 are the amount, whatever the parameters.
  for (double v : sample_distribution(uncertainty(1, 99.0, 5.0), 7.25, 1, 100)) EXPECT_EQ(v, 7.25);
}

TEST(Distributions, TruncationKeepsBoundsAndTheConditionalMean) {
  // Normal truncated to [4, 7] around mean 5, sd 2: the truncated-normal mean.
  const double a = (4.0 - 5.0) / 2.0, b = (7.0 - 5.0) / 2.0;
  auto phi = [](double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI); };
  auto Phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  const double tmean = 5.0 + 2.0 * (phi(a) - phi(b)) / (Phi(b) - Phi(a));
  const auto x = sample_distribution(uncertainty(3, 5.0, 2.0, kNaN, 4.0, 7.0), 0, 3, 100000);
  const Moments m = moments(x);
  EXPECT_GE(m.min, 4.0);
  EXPECT_LE(m.max, 7.0);
  EXPECT_NEAR(m.mean, tmean, 0.01);
  // Far upper tail: N(0, 1) above 6 (probability 1e-9) still sampled exactly.
  const auto tail = sample_distribution(uncertainty(3, 0.0, 1.0, kNaN, 6.0, kNaN), 0, 3, 20000);
  const Moments mt = moments(tail);
  EXPECT_GE(mt.min, 6.0);
  EXPECT_NEAR(mt.mean, phi(6.0) / (1.0 - Phi(6.0)), 0.01);
  // Lognormal with bounds, negative: bounds on the signed value.
  const auto ln = sample_distribution(uncertainty(2, std::log(5.0), 0.5, kNaN, -8.0, -3.0, true), 0, 3, 20000);
  const Moments ml = moments(ln);
  EXPECT_GE(ml.min, -8.0);
  EXPECT_LE(ml.max, -3.0);
  // Gamma and Student's t by rejection; Weibull and Gumbel by inverse CDF.
  for (const Uncertainty& u :
       {uncertainty(9, kNaN, 1.0, 2.0, 0.5, 1.5), uncertainty(12, 0.0, 1.0, 3.0, -1.0, 0.5),
        uncertainty(8, 0.0, 1.0, 2.0, 0.2, 0.9), uncertainty(11, 0.0, 1.0, 0.0, -0.5, 2.0),
        uncertainty(9, kNaN, 1.0, 2.0, -3.0, -1.5, true)}) {
    const auto y = sample_distribution(u, 0, 5, 20000);
    const Moments my = moments(y);
    EXPECT_GE(my.min, u.minimum) << int(u.type);
    EXPECT_LE(my.max, u.maximum) << int(u.type);
    EXPECT_GT(my.max - my.min, 0.5 * (u.maximum - u.minimum)) << int(u.type);
  }
}

TEST(Distributions, DrawsAreReproducibleAndIndependentOfTheSplit) {
  const Uncertainty u = uncertainty(9, kNaN, 1.0, 0.7);
  const auto all = sample_distribution(u, 0, 99, 1000, 0, 5);
  const auto first = sample_distribution(u, 0, 99, 500, 0, 5);
  const auto second = sample_distribution(u, 0, 99, 500, 500, 5);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(all[i], first[i]);
    EXPECT_EQ(all[500 + i], second[i]);
  }
  EXPECT_NE(all, sample_distribution(u, 0, 100, 1000, 0, 5));
}

// ---- the bulk path -------------------------------------------------------------------------------

TEST(Distributions, BulkNormalFamilyIsBitIdenticalToTheSampler) {
  std::vector<Uncertainty> us = {
      uncertainty(2, 0.3, 0.2), uncertainty(2, -2.0, 1.5, kNaN, kNaN, kNaN, true), uncertainty(3, 4.0, 0.5),
      uncertainty(2, 0.0, 0.8, kNaN, 0.5, 3.0), uncertainty(2, 1.0, 0.3, kNaN, -5.0, -2.0, true),
      uncertainty(3, 0.0, 1.0, kNaN, 2.5, kNaN), uncertainty(3, 0.0, 1.0, kNaN, kNaN, -1.0),
      uncertainty(2, 600.0, 10.0), uncertainty(2, -650.0, 5.0), uncertainty(3, 1.0, 2.0, kNaN, -100.0, 100.0),
      // Windows beyond exp's fast range (the scalar fix-up path), both ends.
      uncertainty(2, 700.0, 1.2, kNaN, std::exp(706.0), std::exp(709.5)),
      uncertainty(2, -705.0, 1.2, kNaN, std::exp(-709.5), std::exp(-706.0), false),
      uncertainty(2, 700.0, 1.2, kNaN, -std::exp(709.5), -std::exp(706.0), true)};
  // Repeat to fill several blocks and lanes' remainders.
  std::vector<Sampler> samplers;
  mc::NormalBatch batch;
  for (int r = 0; r < 61; ++r)
    for (const Uncertainty& u : us) {
      samplers.emplace_back(u, 0.0);
      const Index pos = Index(samplers.size()) - 1;
      batch.add(samplers.back(), stream_id(MatrixKind::Biosphere, 3 * pos + 1), pos);
    }
  std::vector<double> out(samplers.size()), scratch;
  using K = mc::NormalBatch::Kernel;
  for (K kernel : {K::Auto, K::Avx2, K::Baseline, K::Scalar, K::Avx512}) {
  if (!mc::NormalBatch::available(kernel)) continue;
  for (std::uint64_t it : {0ull, 1ull, 12345ull, (1ull << 40) - 1}) {
    batch.draw(77, it, out.data(), scratch, kernel);
    for (std::size_t p = 0; p < samplers.size(); ++p) {
      RandomStream s(77, stream_id(MatrixKind::Biosphere, 3 * Index(p) + 1), it);
      const double ref = samplers[p](s);
      ASSERT_EQ(std::memcmp(&ref, &out[p], sizeof(double)), 0)
          << "kernel " << int(kernel) << " entry " << p << " iteration " << it << ": " << ref
          << " vs " << out[p];
    }
  }
  }
}

// Positions in any order (the scatter path), windowed and plain entries sharing groups of four,
// blocks of every fill, and far tails (r > 5: the scalar branch) from windows in the tails.
TEST(Distributions, BulkDrawsLandAtTheirPositionsBitIdentically) {
  std::vector<Uncertainty> us = {
      uncertainty(2, 0.3, 0.2), uncertainty(2, -9.0, 1.1, kNaN, kNaN, kNaN, true), uncertainty(3, 4.0, 0.5),
      uncertainty(2, 0.0, 1.0, kNaN, std::exp(7.5), std::exp(9.0)),    // z in [7.5, 9]: r > 5
      uncertainty(2, 0.0, 1.0, kNaN, std::exp(-9.0), std::exp(-7.5)),  // the lower tail likewise
      uncertainty(3, 0.0, 1.0, kNaN, 38.0, 38.4),                        // subnormal tail probabilities
      uncertainty(3, 0.0, 1.0, kNaN, -1.0, 1.0), uncertainty(2, 2.0, 0.05), uncertainty(2, 1.0, 0.6)};
  for (const int count : {1, 3, 4, 5, 255, 256, 257, 1029})
  for (const bool shifted : {false, true}) {  // a permutation, or contiguous from 1
    std::vector<Sampler> samplers;
    std::vector<Index> position;
    mc::NormalBatch batch;
    for (int i = 0; i < count; ++i) {
      samplers.emplace_back(us[static_cast<std::size_t>((i * 7 + i / 5) % us.size())], 0.0);
      position.push_back(shifted ? Index(i + 1) : Index((i * 389) % count));  // 389: prime
    }
    for (int i = 0; i < count; ++i)
      batch.add(samplers[i], stream_id(MatrixKind::Technosphere, 11 * i), position[i]);
    std::vector<double> out(static_cast<std::size_t>(count) + 2, -1.0), scratch;
    using K = mc::NormalBatch::Kernel;
    for (K kernel : {K::Auto, K::Avx2, K::Baseline, K::Scalar, K::Avx512}) {
      if (!mc::NormalBatch::available(kernel)) continue;
      for (std::uint64_t it : {0ull, 9ull, 31337ull}) {
        batch.draw(5, it, out.data(), scratch, kernel);
        for (int i = 0; i < count; ++i) {
          RandomStream s(5, stream_id(MatrixKind::Technosphere, 11 * i), it);
          const double ref = samplers[i](s);
          ASSERT_EQ(std::memcmp(&ref, &out[position[i]], sizeof(double)), 0)
              << "count " << count << (shifted ? " shifted" : "") << " kernel " << int(kernel)
          << " entry " << i << " iteration " << it << ": " << ref << " vs " << out[position[i]];
        }
        EXPECT_EQ(out[shifted ? 0 : count], -1.0);  // nothing written elsewhere
        EXPECT_EQ(out[count + 1], -1.0);
      }
    }
  }
}

// A flipped entry lands as minus its draw, bit for bit (a lognormal's flip folded into its
// sign, a normal's a negation after the draw), in every kernel; unflipped ones are untouched.
TEST(Distributions, BulkFlippedDrawsAreMinusTheDraw) {
  const std::vector<Uncertainty> us = {
      uncertainty(2, 0.3, 0.2), uncertainty(2, -1.0, 0.7, kNaN, kNaN, kNaN, true),
      uncertainty(3, 4.0, 0.5), uncertainty(3, 0.0, 1.0, kNaN, -1.0, 1.0),
      uncertainty(2, 0.0, 1.0, kNaN, std::exp(-9.0), std::exp(-7.5))};
  const int count = 301;
  std::vector<Sampler> samplers;
  mc::NormalBatch batch;
  for (int i = 0; i < count; ++i) {
    samplers.emplace_back(us[static_cast<std::size_t>(i % 5)], 0.0);
    batch.add(samplers.back(), stream_id(MatrixKind::Technosphere, 7 * i), (i * 37) % count,
              i % 3 == 0);
  }
  std::vector<double> out(count), scratch;
  using K = mc::NormalBatch::Kernel;
  for (K kernel : {K::Auto, K::Avx2, K::Baseline, K::Scalar, K::Avx512}) {
    if (!mc::NormalBatch::available(kernel)) continue;
    batch.draw(3, 41, out.data(), scratch, kernel);
    for (int i = 0; i < count; ++i) {
      RandomStream s(3, stream_id(MatrixKind::Technosphere, 7 * i), 41);
      const double ref = (i % 3 == 0 ? -1.0 : 1.0) * samplers[static_cast<std::size_t>(i)](s);
      const double got = out[static_cast<std::size_t>((i * 37) % count)];
      ASSERT_EQ(std::memcmp(&ref, &got, sizeof(double)), 0)
          << "kernel " << int(kernel) << " entry " << i << ": " << ref << " vs " << got;
    }
  }
}

// ---- parameter errors --------------------------------------------------------------------------

TEST(Distributions, EveryParameterErrorIsInvalidInput) {
  const std::vector<std::pair<Uncertainty, const char*>> bad = {
      {uncertainty(2, 0.0, 0.0), "scale"},
      {uncertainty(2, 0.0, -1.0), "scale"},
      {uncertainty(2, kNaN, 1.0), "loc"},
      {uncertainty(2, 0.0, 1.0, kNaN, 3.0, 2.0), "minimum"},
      {uncertainty(2, 0.0, 1.0, kNaN, kNaN, -1.0), "bounds"},
      {uncertainty(2, 650.0, 10.0), "range"},
      {uncertainty(2, 700.0, 1.0, kNaN, 1e306, kNaN), "range"},
      {uncertainty(3, 0.0, 0.0), "scale"},
      {uncertainty(3, 0.0, 1.0, kNaN, 2.0, 2.0), "minimum"},
      {uncertainty(3, 0.0, 1.0, kNaN, 40.0, 41.0), "probability"},
      {uncertainty(4, kNaN, kNaN, kNaN, 1.0, kNaN), "required"},
      {uncertainty(4, kNaN, kNaN, kNaN, 2.0, 1.0), "minimum"},
      {uncertainty(5, 6.0, kNaN, kNaN, 1.0, 5.0), "mode"},
      {uncertainty(5, kNaN, kNaN, kNaN, 1.0, 5.0), "loc"},
      {uncertainty(6, 1.5), "probability"},
      {uncertainty(6, kNaN), "probability"},
      {uncertainty(7, kNaN, kNaN, kNaN, 3.0, 3.5), "integer"},
      {uncertainty(7, kNaN, kNaN, kNaN, 1.0, kNaN), "maximum"},
      {uncertainty(8, 0.0, 1.0, 0.0), "shape"},
      {uncertainty(8, 0.0, -1.0, 2.0), "scale"},
      {uncertainty(9, 0.0, 1.0, -2.0), "shape"},
      {uncertainty(9, 0.0, 0.0, 2.0), "scale"},
      {uncertainty(9, kNaN, 1.0, 2.0, 30.0, 31.0), "rejection"},
      {uncertainty(10, 0.0, kNaN, 1.0), "alpha"},
      {uncertainty(10, 1.0, kNaN, -1.0), "beta"},
      {uncertainty(10, 1.0, kNaN, 1.0, 2.0, 1.0), "minimum"},
      {uncertainty(11, 0.0, 1.0, 0.5), "Gumbel"},
      {uncertainty(11, 0.0, -1.0, 0.0), "scale"},
      {uncertainty(12, 0.0, 1.0, 0.0), "nu"},
      {uncertainty(12, 0.0, -1.0, 3.0), "scale"},
      {uncertainty(12, 0.0, 1.0, 3.0, 50.0, 60.0), "rejection"},
      {uncertainty(13, 0.0, 1.0), "unknown"},
      {uncertainty(255, 0.0, 1.0), "unknown"},
      {uncertainty(3, INFINITY, 1.0), "loc"},
  };
  for (const auto& [u, word] : bad) {
    try {
      Sampler s(u, 1.0);
      ADD_FAILURE() << "type " << int(u.type) << " accepted, expected an error about " << word;
    } catch (const InvalidInputError& e) {
      EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
    }
    EXPECT_FALSE(check_uncertainty(u).empty());
    EXPECT_THROW(validate_uncertainty(u, "biosphere entry 3"), InvalidInputError);
    try {
      validate_uncertainty(u, "biosphere entry 3");
    } catch (const InvalidInputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("biosphere entry 3: ", 0), 0u) << e.what();
    }
  }
  EXPECT_THROW(Sampler(uncertainty(0), kNaN), InvalidInputError);  // a fixed entry needs a finite amount
  EXPECT_TRUE(check_uncertainty(uncertainty(2, 0.0, 1.0)).empty());
  EXPECT_TRUE(check_uncertainty(uncertainty(1, kNaN, -5.0)).empty());
  EXPECT_THROW(sample_distribution(uncertainty(3, 0.0, 1.0), 0, 1, 10, (1ull << 40) - 5), InvalidInputError);
  EXPECT_STREQ(distribution_name(2), "lognormal");
  EXPECT_STREQ(distribution_name(12), "student t");
  EXPECT_STREQ(distribution_name(13), "unknown");
}

}  // namespace
}  // namespace hiili
