#include "hiili/synth.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/label_columns.hpp"
#include "hiili/error.hpp"
#include "hiili/limits.hpp"

namespace hiili {
namespace {

// Portable draws: mt19937_64 is exactly specified; the conversions below are ours, so the
// same seed gives the same integers everywhere (floats up to the last bit of libm's log/cos).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return double(engine_() >> 11) * 0x1.0p-53; }               // [0, 1)
  double open_uniform() { return (double(engine_() >> 11) + 0.5) * 0x1.0p-53; }  // (0, 1)
  Index below(Index bound) { return Index(uniform() * double(bound)); }          // [0, bound)
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
    "electricity", "heat",   "steel", "aluminium",        "cement",          "concrete",
    "glass",       "paper",  "pulp",  "sawnwood",         "plastics",        "fertiliser",
    "wheat",       "milk",   "beef",  "transport, lorry", "transport, rail", "transport, ship",
    "natural gas", "diesel", "coal",  "copper",           "chemicals",       "textiles"};
constexpr std::array<const char*, 16> kRegions = {"FI",  "SE",  "DE",  "FR", "PL", "ES",
                                                  "IT",  "NL",  "US",  "CN", "IN", "BR",
                                                  "RER", "RoW", "GLO", "JP"};
constexpr std::array<const char*, 8> kUnits = {"kg", "MJ", "kWh", "kg", "m3", "tkm", "kg", "unit"};
constexpr std::array<const char*, 10> kFlows = {"carbon dioxide, fossil",
                                                "methane, fossil",
                                                "dinitrogen monoxide",
                                                "sulfur dioxide",
                                                "nitrogen oxides",
                                                "particulates, < 2.5 um",
                                                "ammonia",
                                                "phosphate",
                                                "water",
                                                "land occupation"};
constexpr std::array<const char*, 4> kCompartments = {"air", "water", "soil", "natural resource"};
constexpr std::array<const char*, 12> kCategories = {"climate change",
                                                     "acidification",
                                                     "eutrophication, freshwater",
                                                     "particulate matter",
                                                     "land use",
                                                     "water use",
                                                     "ozone depletion",
                                                     "photochemical ozone formation",
                                                     "human toxicity",
                                                     "ecotoxicity, freshwater",
                                                     "ionising radiation",
                                                     "resource use, fossils"};

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

void add_unique(std::vector<Index>& suppliers, Index i, Index self) {
  if (i != self && std::find(suppliers.begin(), suppliers.end(), i) == suppliers.end())
    suppliers.push_back(i);
}

// Writes column j of A: the diagonal 1 and the suppliers' inputs, summing to 30-90 % of the
// unit output (strictly column diagonally dominant). Amounts come from `rng`; the uncertainty
// scales from their own stream `spread`, so the amounts do not depend on o.uncertainty.
class ColumnWriter {
 public:
  ColumnWriter(ModelBuilder& builder, const SynthOptions& o, const std::vector<Index>& relabel,
               Rng& rng, Rng& spread)
      : builder_(builder), o_(o), relabel_(relabel), rng_(rng), spread_(spread) {}

  void write(Index j, const std::vector<Index>& suppliers) {
    weights_.resize(suppliers.size());
    double sum = 0.0;
    for (double& w : weights_) sum += (w = rng_.lognormal(0.0, 1.0));
    const double share = 0.3 + 0.6 * rng_.uniform();
    const Index col = relabel_[j];
    builder_.add_technosphere(col, col, 1.0);
    for (std::size_t s = 0; s < suppliers.size(); ++s) {
      const double amount = -share * weights_[s] / sum;
      if (o_.uncertainty) {
        Uncertainty u;
        u.type = 2;  // lognormal with median exp(loc) = the amount's magnitude
        u.loc = std::log(-amount);
        u.scale = 0.05 + 0.25 * spread_.uniform();
        u.negative = true;
        builder_.add(MatrixKind::Technosphere, Entry{relabel_[suppliers[s]], col, amount, false},
                     u);
      } else {
        builder_.add_technosphere(relabel_[suppliers[s]], col, amount);
      }
    }
  }

 private:
  ModelBuilder& builder_;
  const SynthOptions& o_;
  const std::vector<Index>& relabel_;
  Rng& rng_;
  Rng& spread_;
  std::vector<double> weights_;
};

// ---- the stress family: the first structure, bit for bit -------------------------------------

struct Technosphere {
  Index n, core, hubs, cluster;
};

void add_stress_technosphere(const SynthOptions& o, const Technosphere& t, Rng& rng,
                             ColumnWriter& writer) {
  const Zipf hub_zipf(std::max<Index>(t.hubs, 1), 1.1);
  const Zipf producer_zipf(std::max<Index>(t.core, 1), 0.8);
  std::vector<Index> suppliers;
  for (Index j = 0; j < t.n; ++j) {
    const bool in_core = j < t.core;
    const bool is_hub = j < t.hubs;
    if (in_core && t.core > 1) {
      const Index cap = std::min<Index>(t.core - 1, 400);
      if (is_hub) {  // a market: many Zipf-popular producers
        draw_suppliers(
            rng.heavy_count(2.0 * o.mean_inputs, cap), j, [&] { return producer_zipf(rng); },
            suppliers);
      } else {  // a producer: markets and its own sector x region cluster (local loops)
        const Index c0 = (j / t.cluster) * t.cluster;
        const Index c1 = std::min(c0 + t.cluster, t.core);
        draw_suppliers(
            rng.heavy_count(o.mean_inputs, cap), j,
            [&] { return rng.uniform() < 0.5 ? hub_zipf(rng) : c0 + rng.below(c1 - c0); },
            suppliers);
      }
      // A ring through the core makes it one strongly connected component.
      add_unique(suppliers, (j + 1) % t.core, -1);
    } else if (!in_core) {  // periphery: the core and earlier periphery only (triangular)
      const Index earlier = j - t.core;
      const Index cap = std::min<Index>(t.core + earlier, 400);
      draw_suppliers(
          rng.heavy_count(o.mean_inputs, cap), j,
          [&] {
            const double u = rng.uniform();
            if (t.core > 0 && (u < 0.6 || earlier == 0))
              return t.hubs > 0 && u < 0.4 ? hub_zipf(rng) : rng.below(t.core);
            return t.core + rng.below(earlier);
          },
          suppliers);
    } else {
      suppliers.clear();
    }
    writer.write(j, suppliers);
  }
}

struct ActivityLabels {
  std::vector<std::string> name, product, location, unit;
};

ActivityLabels stress_labels(const Technosphere& t) {
  ActivityLabels l;
  for (Index j = 0; j < t.n; ++j) {
    const Index cluster = j / t.cluster;
    const char* sector = kSectors[cluster % kSectors.size()];
    l.product.push_back(std::string(sector) + " " + std::to_string(j % 97));
    l.location.push_back(kRegions[(cluster / kSectors.size() + j) % kRegions.size()]);
    l.unit.push_back(kUnits[cluster % kUnits.size()]);
    l.name.push_back((j < t.hubs ? "market for " : "production of ") + l.product.back());
  }
  return l;
}

// ---- the ecoinvent family ---------------------------------------------------------------------

// Global hub markets are activities 0..globals-1; region r spans [start[r], end[r]), its
// background (the strongly connected core) [start[r], core_end[r]), whose first hubs[r]
// activities are the region's hub markets; the rest of the region is its foreground.
struct World {
  Index n = 0, globals = 0;
  std::vector<Index> start, core_end, end, hubs;
  std::vector<Index> region_of;  // per activity; -1 for the global hubs
  Index regions() const { return Index(start.size()); }
};

constexpr Index kRegionSize = 400;     // activities per region
constexpr Index kRegionalHubs = 8;     // hub markets per region
constexpr Index kGlobalHubs = 16;      // global hub markets
constexpr Index kWindow = 24;          // a sector cluster: neighbours within this distance
constexpr Index kMarketEvery = 5;      // every 5th local activity is a market
constexpr double kMarketInputs = 2.5;  // its mean number of inputs
constexpr Index kSectorSize = 3 * kMarketEvery;  // activities per sector label

// The regional hub markets' products (index 2 is the transport every market draws on).
constexpr std::array<const char*, kRegionalHubs> kHubProducts = {"electricity, medium voltage",
                                                                 "heat, district",
                                                                 "transport, lorry",
                                                                 "tap water",
                                                                 "diesel",
                                                                 "natural gas, low pressure",
                                                                 "transport, rail",
                                                                 "waste treatment, municipal"};

World make_world(const SynthOptions& o) {
  World w;
  const Index n = o.n;
  w.n = n;
  const Index core = std::min<Index>(n, Index(std::llround(o.core_fraction * double(n))));
  w.globals = core >= 64 ? std::min<Index>(kGlobalHubs, core / 8) : 0;
  const Index regions = std::max<Index>(1, (n - w.globals) / kRegionSize);
  const Index local = n - w.globals, local_core = core - w.globals;
  for (Index r = 0; r < regions; ++r) {
    const Index a = w.globals + local * r / regions, e = w.globals + local * (r + 1) / regions;
    const Index c = local_core * (r + 1) / regions - local_core * r / regions;
    w.start.push_back(a);
    w.end.push_back(e);
    w.core_end.push_back(a + c);
    w.hubs.push_back(c > 0 ? std::clamp<Index>(c / 8, 1, kRegionalHubs) : 0);
  }
  w.region_of.assign(n, -1);
  for (Index r = 0; r < regions; ++r)
    for (Index j = w.start[r]; j < w.end[r]; ++j) w.region_of[j] = r;
  return w;
}

// Who supplies the hubs: the guarantees that make each region's background one strongly
// connected component, joined to the others through the global hubs.
struct Backbone {
  std::vector<std::vector<Index>> extra;  // forced suppliers per activity
};

Backbone make_backbone(const World& w, Rng& rng) {
  Backbone b;
  b.extra.assign(w.n, {});
  const Index G = w.globals;
  std::vector<Index> hub_list;  // all regional hub markets, region by region
  for (Index r = 0; r < w.regions(); ++r) {
    const Index a = w.start[r], h = w.hubs[r], c = w.core_end[r];
    for (Index i = 0; i < h; ++i) hub_list.push_back(a + i);
    const Index locals = c - a - h;
    if (locals <= 0) continue;
    // Each background activity supplies a nearby earlier one (the first supplies hub 0), so
    // every one reaches hub 0; hub 0 reaches every hub i through a supplier that draws on it.
    for (Index j = a + h; j < c; ++j) {
      const Index lo = std::max(a + h, j - kWindow);
      b.extra[j == a + h ? a : lo + rng.below(j - lo)].push_back(j);
    }
    const Index on_hub0 = (locals + h - 1) / h;  // local activities j with (j - a) % h == 0
    for (Index i = 1; i < h; ++i) {
      b.extra[a + i].push_back(a + (1 + rng.below(on_hub0)) * h);
    }
    // The region supplies one global hub, and its hubs import from the global hubs.
    if (G > 0) b.extra[r % G].push_back(a + h + rng.below(locals));
  }
  for (Index g = 0; g < G; ++g) {
    if (b.extra[g].empty() && w.regions() > 0) {  // more global hubs than regions
      const Index r = rng.below(w.regions());
      const Index locals = w.core_end[r] - w.start[r] - w.hubs[r];
      b.extra[g].push_back(locals > 0 ? w.start[r] + w.hubs[r] + rng.below(locals) : w.start[r]);
    }
  }
  // Every global hub is imported by some regional hub and every regional hub imports one.
  const Index imports = G > 0 ? std::max<Index>(G, Index(hub_list.size())) : 0;
  for (Index t = 0; t < imports && !hub_list.empty(); ++t)
    add_unique(b.extra[hub_list[t % Index(hub_list.size())]], t % G, -1);
  return b;
}

// Draws each column's suppliers in the ecoinvent family (the backbone's are added after).
class EcoinventSuppliers {
 public:
  EcoinventSuppliers(const SynthOptions& o, const World& w, Rng& rng)
      : w_(w),
        rng_(rng),
        global_zipf_(std::max<Index>(w.globals, 1), 0.6),
        hub_zipf_(kRegionalHubs, 1.0),
        // Markets take about kMarketInputs inputs; producers make up the rest of mean_inputs.
        producer_inputs_(
            std::max(0.0, (o.mean_inputs * kMarketEvery - kMarketInputs) / (kMarketEvery - 1))) {}

  void draw(Index j, std::vector<Index>& out) {
    const Index r = w_.region_of[j];
    if (r < 0) return global_hub_market(j, out);
    j_ = j;
    a_ = w_.start[r];
    h_ = w_.hubs[r];
    c_ = w_.core_end[r];
    e_ = w_.end[r];
    lo_ = a_ + h_;  // the region's first local background activity
    if (j < lo_) return regional_hub_market(out);
    if (j < c_) return background(out);
    foreground(out);
  }

 private:
  // Producers in a few regions.
  void global_hub_market(Index j, std::vector<Index>& out) {
    draw_suppliers(
        rng_.heavy_count(2.0, 12), j,
        [&] {
          const Index q = rng_.below(w_.regions());
          const Index locals = w_.core_end[q] - w_.start[q] - w_.hubs[q];
          return locals > 0 ? w_.start[q] + w_.hubs[q] + rng_.below(locals) : j;
        },
        out);
  }

  // A few of the region's producers.
  void regional_hub_market(std::vector<Index>& out) {
    draw_suppliers(
        rng_.heavy_count(1.5, 8), j_, [&] { return c_ > lo_ ? lo_ + rng_.below(c_ - lo_) : j_; },
        out);
  }

  // Hubs, global hubs and its sector's neighbours on both sides (local loops); a market only
  // its sector's producers. Always the hub (j - a) % h, so the hubs reach every activity.
  void background(std::vector<Index>& out) {
    const Index w0 = std::max(lo_, j_ - kWindow), w1 = std::min(c_, j_ + kWindow + 1);
    auto sector = [&] { return w0 + rng_.below(w1 - w0); };
    if (is_market(j_ - lo_)) {
      draw_suppliers(rng_.heavy_count(1.0, 6), j_, sector, out);
    } else {
      draw_suppliers(
          rng_.heavy_count(producer_inputs_, 400), j_,
          [&] {
            const double u = rng_.uniform();
            if (u < 0.4) return regional_hub();
            if (u < 0.7) return global_hub();
            return sector();
          },
          out);
    }
    if (h_ > 0) add_unique(out, a_ + (j_ - a_) % h_, j_);
  }

  // Hubs, global hubs, the background of its sector (a window at the same relative place)
  // and earlier foreground of its sector; a market only the latter plus transport.
  void foreground(std::vector<Index>& out) {
    const Index f0 = std::max(c_, j_ - 2 * kWindow);
    auto earlier = [&] { return j_ > f0 ? f0 + rng_.below(j_ - f0) : regional_hub(); };
    const Index at = lo_ + (c_ - lo_) * (j_ - c_) / std::max<Index>(e_ - c_, 1);
    const Index b0 = std::max(lo_, at - kWindow), b1 = std::min(c_, at + kWindow + 1);
    if (is_market(j_ - c_)) {
      draw_suppliers(rng_.heavy_count(1.0, 6), j_, earlier, out);
      if (h_ > 0) add_unique(out, a_ + std::min<Index>(2, h_ - 1), j_);
      return;
    }
    draw_suppliers(
        rng_.heavy_count(producer_inputs_, 400), j_,
        [&] {
          const double u = rng_.uniform();
          if (u < 0.35) return regional_hub();
          if (u < 0.55) return global_hub();
          if (u < 0.8 && b1 > b0) return b0 + rng_.below(b1 - b0);
          return earlier();
        },
        out);
  }

  static bool is_market(Index offset) { return offset % kMarketEvery == kMarketEvery - 1; }
  Index regional_hub() { return h_ > 0 ? a_ + std::min(hub_zipf_(rng_), h_ - 1) : j_; }
  Index global_hub() { return w_.globals > 0 ? global_zipf_(rng_) : regional_hub(); }

  const World& w_;
  Rng& rng_;
  const Zipf global_zipf_, hub_zipf_;
  const double producer_inputs_;
  Index j_ = 0, a_ = 0, h_ = 0, c_ = 0, e_ = 0, lo_ = 0;  // the column and its region
};

void add_ecoinvent_technosphere(const SynthOptions& o, const World& w, const Backbone& b, Rng& rng,
                                ColumnWriter& writer) {
  EcoinventSuppliers pick(o, w, rng);
  std::vector<Index> suppliers;
  for (Index j = 0; j < w.n; ++j) {
    pick.draw(j, suppliers);
    for (Index i : b.extra[j]) add_unique(suppliers, i, j);
    writer.write(j, suppliers);
  }
}

// Region codes of the ecoinvent family; GLO is kept for the global hub markets.
constexpr std::array<const char*, 16> kRegionCodes = {"FI",  "SE",  "DE", "FR", "PL", "ES",
                                                      "IT",  "NL",  "US", "CN", "IN", "BR",
                                                      "RER", "RoW", "JP", "CA"};

std::string region_name(Index r) {
  const std::string base = kRegionCodes[r % kRegionCodes.size()];
  return r < Index(kRegionCodes.size()) ? base
                                        : base + "-" + std::to_string(r / kRegionCodes.size());
}

ActivityLabels ecoinvent_labels(const World& w) {
  ActivityLabels l;
  for (Index j = 0; j < w.n; ++j) {
    const Index r = w.region_of[j];
    std::string product, location = r < 0 ? "GLO" : region_name(r);
    bool market = true;
    std::size_t unit = 0;
    if (r < 0) {
      product = std::string(kSectors[j % kSectors.size()]) + " " + std::to_string(j);
      unit = j % kUnits.size();
    } else if (j < w.start[r] + w.hubs[r]) {
      product = kHubProducts[j - w.start[r]];
      unit = j - w.start[r] == 0 ? 2 : (j - w.start[r]) % kUnits.size();
    } else {
      // Sectors of 3 products (a market and its 4 producers each) in turn, so that a region
      // of 400 activities has all 24 sectors; the foreground continues the background's count.
      const bool background = j < w.core_end[r];
      const Index first = w.start[r] + w.hubs[r];
      const Index lo = background ? first : w.core_end[r];
      const Index before = background ? 0 : (w.core_end[r] - first + kSectorSize - 1) / kSectorSize;
      const Index cluster = before + (j - lo) / kSectorSize;
      product = std::string(kSectors[(cluster + r) % kSectors.size()]) + " " +
                std::to_string((j - lo) / kMarketEvery);
      market = (j - lo) % kMarketEvery == kMarketEvery - 1;
      unit = (cluster + r) % kUnits.size();
    }
    l.name.push_back((market ? "market for " : "production of ") + product);
    l.product.push_back(std::move(product));
    l.location.push_back(std::move(location));
    l.unit.push_back(kUnits[unit]);
  }
  return l;
}

bool is_market_name(const std::string& name) { return name.rfind("market for ", 0) == 0; }

// B: producing columns draw about mean_flows Zipf-popular flows; market columns (when
// `markets` says so) have none, as in ecoinvent. Amounts from `rng`, scales from `spread`.
void add_biosphere(ModelBuilder& builder, const SynthOptions& o, Index n, Index m,
                   const std::vector<bool>& markets, Rng& rng, Rng& spread) {
  const Zipf flow_zipf(m, 0.8);
  std::vector<Index> flows;
  const Index lo = std::max<Index>(1, Index(o.mean_flows / 2));
  const Index span = std::max<Index>(1, Index(o.mean_flows) + 1);
  for (Index j = 0; j < n; ++j) {
    if (!markets.empty() && markets[j]) continue;
    const Index count = std::min<Index>(m, lo + rng.below(span));
    draw_suppliers(
        count, -1, [&] { return flow_zipf(rng); }, flows);
    for (Index f : flows) {
      const double amount = rng.lognormal(-2.0, 2.0);
      if (o.uncertainty) {
        Uncertainty u;
        u.type = 2;  // lognormal with median exp(loc) = the amount
        u.loc = std::log(amount);
        u.scale = 0.1 + 0.4 * spread.uniform();
        builder.add(MatrixKind::Biosphere, Entry{f, j, amount, false}, u);
      } else {
        builder.add_biosphere(f, j, amount);
      }
    }
  }
}

// C: category q covers 5-30 % of the flows with lognormal factors. Climate change (q = 0)
// counts CO2 with 1; with `gwp`, also fossil methane and N2O with their IPCC AR6 GWP100
// (29.8 and 273), as real methods do (the stress family keeps its first C: CO2 only).
void add_characterization(ModelBuilder& builder, Index m, Index k, bool gwp, Rng& rng) {
  constexpr std::array<double, 3> kGwp100 = {1.0, 29.8, 273.0};  // kFlows 0, 1, 2
  for (Index q = 0; q < k; ++q) {
    const double coverage = 0.05 + 0.25 * rng.uniform();
    bool any = false;
    for (Index f = 0; f < m; ++f) {
      if (q == 0 && (f == 0 || (gwp && f < Index(kGwp100.size())))) {
        builder.add_characterization(0, f, kGwp100[f]);
        any = true;
      } else if (rng.uniform() < coverage) {
        builder.add_characterization(q, f, rng.lognormal(0.0, 1.5));
        any = true;
      }
    }
    if (!any) builder.add_characterization(q, rng.below(m), 1.0);
  }
}

// "A17": built with += (GCC 12's -Wrestrict misfires on "A" + std::to_string(i) here).
std::string numbered(const char* prefix, Index i) {
  std::string s(prefix);
  s += std::to_string(i);
  return s;
}

void add_labels(ModelBuilder& builder, ActivityLabels l, const std::vector<Index>& relabel, Index m,
                Index k) {
  const Index n = Index(relabel.size());
  std::vector<std::string> id(n), name(n), product(n), location(n), unit(n);
  for (Index j = 0; j < n; ++j) {
    const Index col = relabel[j];
    id[col] = numbered("A", col);
    name[col] = std::move(l.name[j]);
    product[col] = std::move(l.product[j]);
    location[col] = std::move(l.location[j]);
    unit[col] = std::move(l.unit[j]);
  }
  builder.set_activities(labels_of(n, {{"id", &id},
                                       {"name", &name},
                                       {"product", &product},
                                       {"location", &location},
                                       {"unit", &unit}}));

  std::vector<std::string> fid(m), fname(m), compartment(m), funit(m);
  for (Index f = 0; f < m; ++f) {
    fid[f] = numbered("F", f);
    fname[f] = f < Index(kFlows.size()) ? kFlows[f] : "substance " + std::to_string(f);
    compartment[f] = kCompartments[f < 8 ? 0 : f % kCompartments.size()];
    funit[f] = f == 9 ? "m2*a" : (f == 8 ? "m3" : "kg");
  }
  builder.set_flows(labels_of(
      m, {{"id", &fid}, {"name", &fname}, {"compartment", &compartment}, {"unit", &funit}}));

  std::vector<std::string> cid(k), cname(k), cunit(k);
  for (Index q = 0; q < k; ++q) {
    cid[q] = numbered("C", q);
    cname[q] = q < Index(kCategories.size()) ? kCategories[q] : "category " + std::to_string(q);
    cunit[q] = q == 0 ? "kg CO2-eq" : "points";
  }
  builder.set_categories(labels_of(k, {{"id", &cid}, {"name", &cname}, {"unit", &cunit}}));
}

// A random permutation: core and periphery scattered over the index range, as in a database.
std::vector<Index> scatter(Index n, Rng& rng) {
  std::vector<Index> relabel(n);
  for (Index j = 0; j < n; ++j) relabel[j] = j;
  for (Index j = n - 1; j > 0; --j) std::swap(relabel[j], relabel[rng.below(j + 1)]);
  return relabel;
}

}  // namespace

// The size rules live in limits.cpp (check_synth_options), shared with the CLI and Python.
void SynthOptions::validate() const {
  check_synth_options(*this);
  if (family != SynthFamily::Ecoinvent && family != SynthFamily::Stress)
    throw InvalidInputError("synth: unknown family " + std::to_string(int(family)));
}

std::string_view synth_family_name(SynthFamily family) {
  return family == SynthFamily::Stress ? "stress" : "ecoinvent";
}

SynthFamily synth_family_from_string(std::string_view name) {
  if (name == "ecoinvent") return SynthFamily::Ecoinvent;
  if (name == "stress") return SynthFamily::Stress;
  throw InvalidInputError("synth: unknown family '" + std::string(name) +
                          "' (known: ecoinvent, stress)");
}

Model synth(const SynthOptions& o) {
  o.validate();
  const Index n = o.n;
  const Index m = o.m < 0 ? std::max<Index>(1, n / 8) : std::max<Index>(o.m, 1);
  const Index k = o.k;
  Rng rng(o.seed * 0x9E3779B97F4A7C15ULL + 0x5151);
  Rng spread(o.seed * 0xD1B54A32D192ED03ULL + 0x7A7A);  // uncertainty scales only
  ModelBuilder builder(n, m, k);
  builder.reserve(MatrixKind::Technosphere, std::size_t(double(n) * (o.mean_inputs + 2.5)));
  builder.reserve(MatrixKind::Biosphere, std::size_t(double(n) * (o.mean_flows + 1)));
  const std::vector<Index> relabel = scatter(n, rng);
  ColumnWriter writer(builder, o, relabel, rng, spread);
  ActivityLabels labels;
  std::vector<bool> markets;  // per column of A
  if (o.family == SynthFamily::Stress) {
    Technosphere t;
    t.n = n;
    t.core = std::min<Index>(n, Index(std::llround(o.core_fraction * double(n))));
    t.hubs = t.core > 1 ? std::max<Index>(1, t.core / 40) : 0;
    t.cluster = 32;
    add_stress_technosphere(o, t, rng, writer);
    if (o.labels) labels = stress_labels(t);
  } else {
    const World w = make_world(o);
    const Backbone b = make_backbone(w, rng);
    add_ecoinvent_technosphere(o, w, b, rng, writer);
    labels = ecoinvent_labels(w);
    markets.assign(n, false);
    for (Index j = 0; j < n; ++j) markets[relabel[j]] = is_market_name(labels.name[j]);
  }
  add_biosphere(builder, o, n, m, markets, rng, spread);
  if (o.family == SynthFamily::Stress) {
    add_characterization(builder, m, k, false, rng);
  } else {  // the method does not depend on the database: its own stream, the same at any n
    Rng method(o.seed * 0xBF58476D1CE4E5B9ULL + 0xC0C0);
    add_characterization(builder, m, k, true, method);
  }
  if (o.labels) add_labels(builder, std::move(labels), relabel, m, k);
  return builder.build();
}

}  // namespace hiili
