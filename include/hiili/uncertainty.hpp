// hiili/uncertainty.hpp: the uncertainty attached to one matrix entry.
//
// Parameters follow stats_arrays, the convention Brightway and ecoinvent use, by id:
// 0 undefined, 1 none (the entry is fixed at its amount), 2 lognormal (loc = ln of the
// median, scale = sigma of the underlying normal; `negative` marks a negative amount),
// 3 normal, 4 uniform, 5 triangular, 6 Bernoulli, 7 discrete uniform, 8 Weibull, 9 gamma,
// 10 beta, 11 generalised extreme value, 12 Student's t. minimum / maximum truncate where
// they are not NaN. Readers fill these; the Monte Carlo engine samples them.
#pragma once

#include <cstdint>
#include <limits>

namespace hiili {

struct Uncertainty {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  std::uint8_t type = 0;  // stats_arrays id, see above
  double loc = kNaN;
  double scale = kNaN;
  double shape = kNaN;
  double minimum = kNaN;
  double maximum = kNaN;
  bool negative = false;

  // True when the entry varies in a Monte Carlo run (type > 1).
  bool is_uncertain() const { return type > 1; }
};

}  // namespace hiili
