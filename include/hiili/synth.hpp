// hiili/synth.hpp: a seeded generator of ecoinvent-like LCA systems at any size.
//
// The structure mimics ecoinvent 3.x: about 40 % of activities form one strongly connected
// core (market hubs with Zipf-popular suppliers, sector x region clusters with local loops),
// the rest a near-triangular periphery that draws on the core and on earlier periphery
// activities. Columns of A have a heavy-tailed number of inputs (mean about 12 nonzeros with
// the diagonal); the diagonal is 1 and each column's inputs sum to at most 0.9, so A is
// strictly column diagonally dominant and nonsingular. B has about 25 nonzeros per column
// over m = n / 8 flows (Zipf-popular flows), C has k categories. Labels are generated.
//
// The same options give the same model on any machine: the generator uses std::mt19937_64
// (exactly specified by the C++ standard) and its own integer-to-real conversions.
#pragma once

#include <cstdint>

#include "hiili/model.hpp"

namespace hiili {

struct SynthOptions {
  Index n = 20000;             // activities
  Index m = -1;                // flows; -1 means max(1, n / 8)
  Index k = 3;                 // impact categories
  std::uint64_t seed = 1;
  double core_fraction = 0.4;  // share of activities in the strongly connected core
  double mean_inputs = 11.0;   // mean off-diagonal nonzeros per column of A
  double mean_flows = 25.0;    // mean nonzeros per column of B
  bool uncertainty = false;    // attach lognormal uncertainty to off-diagonal A and all of B
  bool labels = true;          // generate activity, flow and category labels
};

// Throws InvalidInputError for n < 1, k < 0 or fractions outside [0, 1].
Model synth(const SynthOptions& options = {});

}  // namespace hiili
