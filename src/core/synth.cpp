#include "hiili/synth.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "hiili/error.hpp"
#include "hiili/limits.hpp"

namespace hiili {
namespace {

// Portable draws: mt19937_64 is exactly specified; the conversions below are ours, so the
// same seed gives the same integers everywhere (floats up to the last bit of libm's log/cos).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return double(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double open_uniform() { return (double(engine_() >> 11) + 0.5) * 0x1.0p-53; }  // (0, 1)
  Index below(Index bound) { return Index(uniform() * double(bound)); }  // [0, bound)
  double normal() {
    return std::sqrt(-2.0 * std::log(open_uniform())) * std::cos(6.283185307179586 * uniform());
  }
  double lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }
  // Heavy-tailed count >= 1 with the given mean (Pareto tail, alpha = 2).
  Index heavy_count(double mean, Index cap) {
    const double xm = std::max(0.05, (mean - 0.5) / 2.0);
    const Index k = 1 + Index(xm / std::sqrt(open_uniform()));
    return std::min(k, cap);
  }

 private:
  std::mt19937_64 engine_;
};

// Samples ranks 0..size-1 with probability proportional to 1 / (rank + 1)^s.
class Zipf {
 public:
  Zipf(Index size, double s) : cdf_(size) {
    double sum = 0.0;
    for (Index r = 0; r < size; ++r) cdf_[r] = (sum += std::pow(double(r + 1), -s));
    for (double& c : cdf_) c /= sum;
  }
  Index operator()(Rng& rng) const {
    const double u = rng.uniform();
    return std::min<Index>(Index(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin()),
                           Index(cdf_.size()) - 1);
  }

 private:
  std::vector<double> cdf_;
};

constexpr std::array<const char*, 24> kSectors = {
    "electricity", "heat", "steel", "aluminium", "cement", "concrete", "glass", "paper",
    "pulp", "sawnwood", "plastics", "fertiliser", "wheat", "milk", "beef", "transport, lorry",
    "transport, rail", "transport, ship", "natural gas", "diesel", "coal", "copper", "chemicals",
    "textiles"};
constexpr std::array<const char*, 16> kRegions = {"FI", "SE", "DE", "FR", "PL", "ES", "IT", "NL",
                                                  "US", "CN", "IN", "BR", "RER", "RoW", "GLO", "JP"};
constexpr std::array<const char*, 8> kUnits = {"kg", "MJ", "kWh", "kg", "m3", "tkm", "kg", "unit"};
constexpr std::array<const char*, 10> kFlows = {
    "carbon dioxide, fossil", "methane, fossil", "dinitrogen monoxide", "sulfur dioxide",
    "nitrogen oxides", "particulates, < 2.5 um", "ammonia", "phosphate", "water", "land occupation"};
constexpr std::array<const char*, 4> kCompartments = {"air", "water", "soil", "natural resource"};
constexpr std::array<const char*, 12> kCategories = {
    "climate change", "acidification", "eutrophication, freshwater", "particulate matter",
    "land use", "water use", "ozone depletion", "photochemical ozone formation", "human toxicity",
    "ecotoxicity, freshwater", "ionising radiation", "resource use, fossils"};

// The rules live in limits.cpp (check_synth_options), shared with the CLI and Python.
void check(const SynthOptions& o) { check_synth_options(o); }

// Distinct suppliers for one column, drawn by `pick` (which may repeat); excludes `self`.
template <class Pick>
void draw_suppliers(Index count, Index self, Pick&& pick, std::vector<Index>& out) {
  out.clear();
  for (Index tries = 0; Index(out.size()) < count && tries < 4 * count + 8; ++tries) {
    const Index i = pick();
    if (i == self || std::find(out.begin(), out.end(), i) != out.end()) continue;
    out.push_back(i);
  }
}

struct Technosphere {
  Index n, core, hubs, cluster;
};

void add_technosphere(ModelBuilder& builder, const SynthOptions& o, const Technosphere& t,
                      const std::vector<Index>& relabel, Rng& rng) {
  const Zipf hub_zipf(std::max<Index>(t.hubs, 1), 1.1);
  const Zipf producer_zipf(std::max<Index>(t.core, 1), 0.8);
  std::vector<Index> suppliers;
  std::vector<double> weights;
  for (Index j = 0; j < t.n; ++j) {
    const bool in_core = j < t.core;
    const bool is_hub = j < t.hubs;
    if (in_core && t.core > 1) {
      const Index cap = std::min<Index>(t.core - 1, 400);
      if (is_hub) {  // a market: many Zipf-popular producers
        draw_suppliers(rng.heavy_count(2.0 * o.mean_inputs, cap), j,
                       [&] { return producer_zipf(rng); }, suppliers);
      } else {  // a producer: markets and its own sector x region cluster (local loops)
        const Index c0 = (j / t.cluster) * t.cluster;
        const Index c1 = std::min(c0 + t.cluster, t.core);
        draw_suppliers(rng.heavy_count(o.mean_inputs, cap), j, [&] {
          return rng.uniform() < 0.5 ? hub_zipf(rng) : c0 + rng.below(c1 - c0);
        }, suppliers);
      }
      // A ring through the core makes it one strongly connected component.
      const Index next = (j + 1) % t.core;
      if (std::find(suppliers.begin(), suppliers.end(), next) == suppliers.end())
        suppliers.push_back(next);
    } else if (!in_core) {  // periphery: the core and earlier periphery only (triangular)
      const Index earlier = j - t.core;
      const Index cap = std::min<Index>(t.core + earlier, 400);
      draw_suppliers(rng.heavy_count(o.mean_inputs, cap), j, [&] {
        const double u = rng.uniform();
        if (t.core > 0 && (u < 0.6 || earlier == 0))
          return t.hubs > 0 && u < 0.4 ? hub_zipf(rng) : rng.below(t.core);
        return t.core + rng.below(earlier);
      }, suppliers);
    } else {
      suppliers.clear();
    }
    // Inputs sum to 30-90 % of the unit output: strictly column diagonally dominant.
    weights.resize(suppliers.size());
    double sum = 0.0;
    for (double& w : weights) sum += (w = rng.lognormal(0.0, 1.0));
    const double share = 0.3 + 0.6 * rng.uniform();
    const Index col = relabel[j];
    builder.add_technosphere(col, col, 1.0);
    for (std::size_t s = 0; s < suppliers.size(); ++s) {
      const double amount = -share * weights[s] / sum;
      if (o.uncertainty) {
        Uncertainty u;
        u.type = 2;
        u.loc = std::log(-amount);
        u.scale = 0.05 + 0.25 * rng.uniform();
        u.negative = true;
        builder.add(MatrixKind::Technosphere, Entry{relabel[suppliers[s]], col, amount, false}, u);
      } else {
        builder.add_technosphere(relabel[suppliers[s]], col, amount);
      }
    }
  }
}

void add_biosphere(ModelBuilder& builder, const SynthOptions& o, Index n, Index m, Rng& rng) {
  const Zipf flow_zipf(m, 0.8);
  std::vector<Index> flows;
  const Index lo = std::max<Index>(1, Index(o.mean_flows / 2));
  const Index span = std::max<Index>(1, Index(o.mean_flows) + 1);
  for (Index j = 0; j < n; ++j) {
    const Index count = std::min<Index>(m, lo + rng.below(span));
    draw_suppliers(count, -1, [&] { return flow_zipf(rng); }, flows);
    for (Index f : flows) {
      const double amount = rng.lognormal(-2.0, 2.0);
      if (o.uncertainty) {
        Uncertainty u;
        u.type = 2;
        u.loc = std::log(amount);
        u.scale = 0.1 + 0.4 * rng.uniform();
        builder.add(MatrixKind::Biosphere, Entry{f, j, amount, false}, u);
      } else {
        builder.add_biosphere(f, j, amount);
      }
    }
  }
}

void add_characterization(ModelBuilder& builder, Index m, Index k, Rng& rng) {
  for (Index q = 0; q < k; ++q) {
    const double coverage = 0.05 + 0.25 * rng.uniform();
    bool any = false;
    for (Index f = 0; f < m; ++f) {
      if (q == 0 && f == 0) {  // climate change: the most common flow, CO2, counts 1
        builder.add_characterization(0, 0, 1.0);
        any = true;
      } else if (rng.uniform() < coverage) {
        builder.add_characterization(q, f, rng.lognormal(0.0, 1.5));
        any = true;
      }
    }
    if (!any) builder.add_characterization(q, rng.below(m), 1.0);
  }
}

void add_labels(ModelBuilder& builder, const Technosphere& t, const std::vector<Index>& relabel,
                Index m, Index k) {
  const Index n = t.n;
  std::vector<std::string> id(n), name(n), product(n), location(n), unit(n);
  for (Index j = 0; j < n; ++j) {
    const Index col = relabel[j];
    const Index cluster = j / t.cluster;
    const char* sector = kSectors[cluster % kSectors.size()];
    const char* region = kRegions[(cluster / kSectors.size() + j) % kRegions.size()];
    id[col] = "A" + std::to_string(col);
    product[col] = std::string(sector) + " " + std::to_string(j % 97);
    location[col] = region;
    unit[col] = kUnits[cluster % kUnits.size()];
    name[col] = (j < t.hubs ? "market for " : "production of ") + product[col];
  }
  Labels activities(n);
  activities.set_column("id", std::move(id));
  activities.set_column("name", std::move(name));
  activities.set_column("product", std::move(product));
  activities.set_column("location", std::move(location));
  activities.set_column("unit", std::move(unit));
  builder.set_activities(std::move(activities));

  std::vector<std::string> fid(m), fname(m), compartment(m), funit(m);
  for (Index f = 0; f < m; ++f) {
    fid[f] = "F" + std::to_string(f);
    fname[f] = f < Index(kFlows.size()) ? kFlows[f] : "substance " + std::to_string(f);
    compartment[f] = kCompartments[f < 8 ? 0 : f % kCompartments.size()];
    funit[f] = f == 9 ? "m2*a" : (f == 8 ? "m3" : "kg");
  }
  Labels flows(m);
  flows.set_column("id", std::move(fid));
  flows.set_column("name", std::move(fname));
  flows.set_column("compartment", std::move(compartment));
  flows.set_column("unit", std::move(funit));
  builder.set_flows(std::move(flows));

  std::vector<std::string> cid(k), cname(k), cunit(k);
  for (Index q = 0; q < k; ++q) {
    cid[q] = "C" + std::to_string(q);
    cname[q] = q < Index(kCategories.size()) ? kCategories[q] : "category " + std::to_string(q);
    cunit[q] = q == 0 ? "kg CO2-eq" : "points";
  }
  Labels categories(k);
  categories.set_column("id", std::move(cid));
  categories.set_column("name", std::move(cname));
  categories.set_column("unit", std::move(cunit));
  builder.set_categories(std::move(categories));
}

}  // namespace

Model synth(const SynthOptions& o) {
  check(o);
  const Index n = o.n;
  const Index m = o.m < 0 ? std::max<Index>(1, n / 8) : std::max<Index>(o.m, 1);
  const Index k = o.k;
  Technosphere t;
  t.n = n;
  t.core = std::min<Index>(n, Index(std::llround(o.core_fraction * double(n))));
  t.hubs = t.core > 1 ? std::max<Index>(1, t.core / 40) : 0;
  t.cluster = 32;
  Rng rng(o.seed * 0x9E3779B97F4A7C15ULL + 0x5151);

  // Scatter core and periphery over the index range, as in a real database.
  std::vector<Index> relabel(n);
  for (Index j = 0; j < n; ++j) relabel[j] = j;
  for (Index j = n - 1; j > 0; --j) std::swap(relabel[j], relabel[rng.below(j + 1)]);

  ModelBuilder builder(n, m, k);
  builder.reserve(MatrixKind::Technosphere, std::size_t(double(n) * (o.mean_inputs + 2.5)));
  builder.reserve(MatrixKind::Biosphere, std::size_t(double(n) * (o.mean_flows + 1)));
  add_technosphere(builder, o, t, relabel, rng);
  add_biosphere(builder, o, n, m, rng);
  add_characterization(builder, m, k, rng);
  if (o.labels) add_labels(builder, t, relabel, m, k);
  return builder.build();
}

}  // namespace hiili
