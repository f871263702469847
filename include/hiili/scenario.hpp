// hiili/scenario.hpp: what-if scenarios answered from the existing factorisation.
//
// A Scenario is a named list of changes, each setting one entry of A, B or C to a new value
// (a supplier switch, an efficiency gain, a by-product that replaces a virgin input). It is
// independent of any one Lca: entries are named by index or by label, and it can be saved
// as JSON and loaded again:
//
//   {"name": "wind power",
//    "changes": [{"matrix": "A", "row": 12, "col": 40, "value": -0.8},
//                {"matrix": "B", "row": "CO2", "col": "steel", "value": 1.7}]}
//
// what_if() answers each scenario for one demand without touching the Lca. Changing r
// distinct columns (or r distinct rows, whichever is fewer) of A is a rank-r update
// A' = A + U V^T, and
//
//   A'^-1 f = s - Z (I + V^T Z)^-1 V^T s,   Z = A^-1 U   (Sherman-Morrison-Woodbury)
//
// costs r solves with the existing factorisation and a dense r x r solve: no refactoring.
// It is exact for any change, also outside A's sparsity pattern (a new supplier). One call
// solves the demand and every scenario's U together. The answer's backward error
// ||f - A' s'|| / (||A'|| ||s'|| + ||f||) (infinity norms, as the solver's own check; ||A'||
// bounded below) is checked; above the tolerance it is refined once
// with the same update, and if that fails too (or the r x r system is near singular) the
// scenario is refactored afresh. When r is large, the scenario is refactored directly:
// numerically on A's symbolic analysis when every changed entry is in A's pattern, with a
// new analysis otherwise. B and C changes only change g' = B' s' and h' = C' g'.
//
// Thread safety: Scenario is a plain value. what_if() solves with the Lca's factorisation
// (one thread per Lca) and leaves it as it was.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hiili/lca.hpp"
#include "hiili/model.hpp"

namespace hiili {

// Set entry (row, col) of `matrix` to `value` (it replaces the current value; 0 when the
// entry is not stored). Rows and columns are indices, or labels when `row_label` /
// `col_label` is set (A: activities x activities, B: flows x activities, C: categories x
// flows; looked up as Labels::find does).
struct Change {
  MatrixKind matrix = MatrixKind::Technosphere;
  Index row = 0;
  Index col = 0;
  double value = 0.0;
  std::string row_label;  // non-empty: use this label instead of `row`
  std::string col_label;  // non-empty: use this label instead of `col`
};

struct Scenario {
  std::string name;
  std::vector<Change> changes;

  // The JSON form shown above (indices as numbers, labels as strings). indent < 0: compact.
  std::string to_json(int indent = 2) const;
  // Throws FormatError naming the field for malformed JSON, an unknown matrix, a missing or
  // wrongly typed field, or a value that is not a finite number.
  static Scenario from_json(std::string_view text);
  // Write / read a JSON file. Throws FormatError (with the path) when the file cannot be
  // written or read, or its content is not a scenario.
  void save(const std::string& path) const;
  static Scenario load(const std::string& path);

  // A copy with every label replaced by its index in `model`. Throws InvalidInputError
  // naming the scenario and the change for an unknown label, an index out of range, a value
  // that is not finite, or two changes of the same entry.
  Scenario resolved(const Model& model) const;
};

// How what_if() may answer a scenario that changes A.
enum class WhatIfStrategy {
  Auto,      // Woodbury when rank <= max_rank and rank <= n / 4, else refactor
  Woodbury,  // always try Woodbury first (still falls back when it fails its checks)
  Refactor,  // always refactor (reference answers, tests)
};

// How a scenario was answered.
enum class UpdateMethod {
  Unchanged,  // A unchanged: the baseline supply was reused
  Woodbury,   // low-rank update of the existing factorisation
  Refactor,   // numeric factorisation on the Lca's symbolic analysis (pattern unchanged)
  Factorize,  // new analysis and factorisation (changes outside A's pattern)
};
const char* to_string(UpdateMethod method);

struct WhatIfOptions {
  WhatIfStrategy strategy = WhatIfStrategy::Auto;
  Index max_rank = 32;
  // Woodbury answers (and the baseline solved with them) whose backward error (see above)
  // exceeds this are refined once, then refactored. Scale-aware: on real databases (supplies
  // up to 1e6, coefficients up to 1e8) answers exact to rounding have ||f - A' s'|| / ||f||
  // far above 1e-12.
  double residual_tolerance = 1e-12;

  // InvalidInputError naming the first option out of range (what_if calls it).
  void validate() const;
};

struct ScenarioResult {
  std::string name;
  LcaResult result;  // supply, inventory and scores under the scenario
  UpdateMethod method = UpdateMethod::Unchanged;
  Index rank = 0;          // rank of the change of A (0 when A is unchanged)
  double residual = 0.0;   // backward error of the scenario's supply in A' (see above)
  bool refined = false;    // the Woodbury answer needed a refinement step
  bool fell_back = false;  // Woodbury failed its checks and the scenario was refactored
};

struct WhatIfResults {
  LcaResult baseline;                     // the demand on the model as it is
  std::vector<ScenarioResult> scenarios;  // in the order given
};

// Answers each scenario for `demand` (dense, length n; or sparse). Throws InvalidInputError
// for a bad demand or scenario (see Scenario::resolved), or when the Lca's factorisation no
// longer matches the model's A (after Lca::update_technosphere); SingularMatrixError when a
// scenario makes A singular.
WhatIfResults what_if(Lca& lca, std::span<const double> demand,
                      const std::vector<Scenario>& scenarios, const WhatIfOptions& options = {});
WhatIfResults what_if(Lca& lca, const SparseDemand& demand, const std::vector<Scenario>& scenarios,
                      const WhatIfOptions& options = {});

}  // namespace hiili
