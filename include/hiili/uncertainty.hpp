// hiili/uncertainty.hpp: the uncertainty attached to one matrix entry.
//
// Parameters follow stats_arrays, the convention Brightway and ecoinvent use, by id:
//
//   id  distribution          parameters
//   0   undefined             none: the entry is fixed at its amount
//   1   none                  none: the entry is fixed at its amount
//   2   lognormal             loc = ln(median) (mu), scale = sigma of the underlying normal;
//                             `negative` marks a negative amount (the sample is -exp(N(mu, sigma)))
//   3   normal                loc = mean, scale = standard deviation
//   4   uniform               minimum, maximum
//   5   triangular            minimum, loc = mode, maximum
//   6   Bernoulli             loc = probability of 1 (the value is 0 or 1)
//   7   discrete uniform      integers minimum (default 0) .. maximum - 1
//   8   Weibull               shape = k, scale = lambda, loc = offset (default 0); `negative`
//   9   gamma                 shape = k, scale = theta, loc = offset (default 0); `negative`
//   10  beta                  loc = alpha, shape = beta; minimum, maximum rescale [0, 1]
//   11  generalised extreme   loc = mu, scale = sigma; shape = xi must be 0 or NaN (the Gumbel
//       value                 form, as stats_arrays supports)
//   12  Student's t           shape = nu (degrees of freedom), loc = location (default 0),
//                             scale (default 1)
//
// minimum / maximum truncate lognormal, normal, Weibull, gamma, GEV and Student's t where
// they are not NaN (bounds apply to the signed value). Readers fill these; the Monte Carlo
// engine samples them (distributions.hpp).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

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

// The highest stats_arrays id hiili samples.
inline constexpr int kMaxDistributionId = 12;

// "undefined", "none", "lognormal", "normal", "uniform", "triangular", "bernoulli",
// "discrete uniform", "weibull", "gamma", "beta", "generalized extreme value", "student t";
// "unknown" for any other id.
const char* distribution_name(int type);

// What is wrong with these parameters ("lognormal: scale (sigma) must be > 0, got -1"), or
// an empty string when they are valid. Types 0 and 1 are always valid.
std::string check_uncertainty(const Uncertainty& uncertainty);

// Throws InvalidInputError("<where>: <what is wrong>") when check_uncertainty finds a problem.
// Used by the Monte Carlo engine to reject a model's bad parameters before a run starts.
void validate_uncertainty(const Uncertainty& uncertainty, std::string_view where);

}  // namespace hiili
