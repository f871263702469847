// hiili/synth.hpp: a seeded generator of LCA systems at any size, in two families.
//
// SynthFamily::Ecoinvent (the default) is calibrated to the structure of real LCI databases
// (docs/synth.md gives the sources): activities sit in regions of about 400 activities;
// each region has 8 regional hub markets (electricity, heat, transport, ...) and its own
// sector clusters, and regions meet only through 16 global hub markets (GLO markets of
// traded commodities). A share core_fraction of the activities (the global hubs and each
// region's hubs, producers and sector products they need) forms one strongly connected
// background; the rest is a triangular foreground that draws on its region's hubs and
// background, the global hubs and earlier foreground activities of its sector. About 20 % of
// the activities are markets (no elementary flows). Columns of A have a heavy-tailed number
// of inputs (mean about 12 nonzeros with the diagonal). Sparse direct solvers' fill grows
// linearly in n. Climate change (category 0) counts CO2, fossil methane and N2O at their
// GWP100; C comes from its own random stream, the same at every n.
//
// SynthFamily::Stress is the generator's first structure, kept bit for bit (with
// uncertainty = false; the uncertainty parameters now come from their own stream): the core's
// ~n/100 hub markets draw Zipf-popular producers from the whole core and the periphery links
// uniformly across the whole core and periphery, so no small vertex separator exists and
// nested-dissection solvers (PARDISO, SuperLU, UMFPACK's column orderings) fill in like a
// dense matrix, while KLU's block triangular form + AMD does not. A stress case, not a
// realistic database.
//
// In both families the diagonal is 1 and each column's inputs sum to at most 0.9, so A is
// strictly column diagonally dominant and nonsingular. B has about 25 nonzeros per producing
// column over m = n / 8 flows (Zipf-popular flows), C has k categories. Labels are generated
// (activity id, name "market for ..." / "production of ...", product, location, unit).
//
// uncertainty = true attaches lognormal distributions to exactly the system that
// uncertainty = false gives (same pattern, same values): each off-diagonal A entry and each
// B entry gets a lognormal whose median (exp(loc)) is the entry's amount, with scales drawn
// from a separate random stream.
//
// The same options give the same model on any machine: the generator uses std::mt19937_64
// (exactly specified by the C++ standard) and its own integer-to-real conversions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hiili/model.hpp"

namespace hiili {

enum class SynthFamily { Ecoinvent, Stress };

// "ecoinvent" / "stress"; the parser throws InvalidInputError naming the known families.
std::string_view synth_family_name(SynthFamily family);
SynthFamily synth_family_from_string(std::string_view name);

struct SynthOptions {
  Index n = 20000;  // activities
  Index m = -1;     // flows; -1 means max(1, n / 8)
  Index k = 3;      // impact categories
  std::uint64_t seed = 1;
  SynthFamily family = SynthFamily::Ecoinvent;
  double core_fraction = 0.4;  // share of activities in the strongly connected core
  double mean_inputs = 11.0;   // mean off-diagonal nonzeros per column of A
  double mean_flows = 25.0;    // mean nonzeros per column of B
  bool uncertainty = false;    // attach lognormal uncertainty to off-diagonal A and all of B
  bool labels = true;          // generate activity, flow and category labels

  // InvalidInputError for options outside the limits (limits.hpp's check_synth_options: sizes
  // and memory) or an unknown family; synth() calls it.
  void validate() const;
};

// Throws InvalidInputError for options outside the limits of check_synth_options (limits.hpp:
// sizes, fractions, and a model that would not fit in memory) or an unknown family.
Model synth(const SynthOptions& options = {});

}  // namespace hiili
