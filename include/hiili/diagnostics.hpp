// hiili/diagnostics.hpp: what a reader of a result should know before trusting it. The numbers
// are computed exactly as the input says; these checks say where the input (a characterisation
// that does not count CO2) or the system (an ill-conditioned technosphere) makes a score
// mislead. The library, the Python package (hiili.IllConditionedWarning, hiili.climate_notes)
// and the `hiili` command all call these functions, so each says the same thing.
//
// Nothing here throws for a well-formed model; nothing here changes a model or a result.
#pragma once

#include <string>
#include <vector>

#include "hiili/model.hpp"

namespace hiili {

struct MonteCarloReport;

// ---- numbers in messages ---------------------------------------------------------------------

// A number as messages print it: 3 significant digits, an exponent where needed (printf's
// %.3g): "1.2e-17", "0.5", "1e+12", never "0.000000" for a small value.
std::string message_number(double value);

// ---- conditioning ------------------------------------------------------------------------

// The 1-norm condition estimate of A (Factorization::condition_estimate) above which a result
// is flagged as ill-conditioned. The solver keeps the backward error near machine epsilon
// (1.1e-16), and the relative error of the supply s can be up to the condition number times
// that: above 1e12 fewer than about 4 significant digits of s are guaranteed. A warning, not an
// error: most of s is often still right; the residual check (solver.hpp) still rejects a solve
// that is wrong for A itself.
inline constexpr double kIllConditionedThreshold = 1e12;

// True when `condition_estimate` is above kIllConditionedThreshold (NaN, from a backend
// without an estimate, is not flagged; +inf is).
bool is_ill_conditioned(double condition_estimate);

// "" when not ill-conditioned; else one sentence with the estimate and the threshold, e.g.
// "the technosphere matrix is ill-conditioned: condition estimate 3.6e+15 is above 1e+12, so
// results may have fewer than 4 correct digits".
std::string condition_warning(double condition_estimate);

// ---- characterisation ----------------------------------------------------------------------

// A remark on one impact category's characterisation factors.
struct CharacterisationNote {
  Index category = -1;  // row of C
  std::string message;  // names the category, the flow, the factor found and the one expected
};

// True when category q looks like a climate-change (GWP) indicator: its code is GHG, GCC, GWP
// or starts with GWP, or its name contains "climate", "greenhouse" or "global warming", or its
// unit is kg CO2 eq (any spelling: "kg CO2 eq", "kg CO2-Eq", "kg CO2e").
bool is_climate_category(const Model& model, Index q);

// Checks every climate category (is_climate_category) against the greenhouse gases among the
// model's flows, found by name (the "name" column, case-insensitive; an air compartment where
// the flows have a "category" or "compartment" column):
//   - carbon dioxide ("carbon dioxide", "carbon dioxide, fossil"): factor in [0.9, 1.1];
//   - methane ("methane", "methane, fossil", "methane, biogenic", "methane, non-fossil"): in
//     [1, 100] (GWP100 25-30, GWP20 about 80);
//   - nitrous oxide ("dinitrogen monoxide", "nitrous oxide"): in [100, 400] (GWP100 265-298).
// One note per category and gas that fails, naming the factor found (0 when the category has
// none), the range expected, the category's largest factors and, when the gas's factor of
// about 1 sits in another category, that category. A model whose flows have no names, or no
// such gas, gets no note (there is nothing to check against).
std::vector<CharacterisationNote> climate_notes(const Model& model);

// ---- uncertainty ---------------------------------------------------------------------------

// "" when a Monte Carlo run drew at least one entry (report.sampled_entries); else one sentence
// saying that no entry of the sampled matrices upstream of the demand is uncertain, so every
// iteration repeats the deterministic scores and each interval is a single point, and how to
// attach uncertainty.
std::string no_uncertainty_warning(const MonteCarloReport& report);

}  // namespace hiili
