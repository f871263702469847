// hiili/io/datapackage.hpp: Brightway datapackages (bw_processing), as a folder or a zip.
//
// A datapackage is a `datapackage.json` plus NumPy `.npy` resources. Resources that build a
// matrix carry a "matrix" ("technosphere_matrix", "biosphere_matrix",
// "characterization_matrix") and a "group"; one group is one set of arrays named
// "<group>.indices" (structured row/col integer ids), "<group>.data" (numbers),
// "<group>.flip" (bool, optional: negate), "<group>.distributions" (stats_arrays records,
// optional: the uncertainty of each entry). hiili reads them the way bw2calc (through
// matrix_utils) builds its matrices:
//
//   - Technosphere rows are the sorted unique product ids of all technosphere groups of all
//     packages, columns the sorted unique activity ids; the two counts must be equal (square).
//     Activity labels: "id" = the activity (column) id, "product" = the product (row) id of
//     the same index. Demands name products: use brightway_demand / brightway_product_index.
//   - Biosphere rows are the sorted unique flow ids of all biosphere groups (flow label "id");
//     columns use the technosphere's activity ids. bw2calc drops biosphere entries whose
//     activity is not in the technosphere; so does hiili unless `strict` (then FormatError).
//   - Characterisation factors are rows of a diagonal over the biosphere's flow ids. hiili
//     keeps each method apart as one category (one row of C): resources with the same
//     "identifier" (bw2calc's MultiLCA key) form one category across packages; a group
//     without an identifier is its own category. Factors for flows not in the biosphere are
//     dropped (bw2calc does the same). "global_index" is bw2calc's site-generic filter: the
//     indices resources of all characterisation groups of all packages must agree on it (all
//     the same id, or all without one; else a FormatError naming two resources that differ,
//     where bw2calc raises InconsistentGlobalIndex); when they give one, only factors whose
//     col equals it are used (regionalised factors are left out). Category labels: "id" (the
//     identifier as a JSON array, or the group name), "name" (identifier parts joined by
//     ", ", or the group name), "package", "group".
//   - Duplicates: within a group they are summed when the package says
//     "sum_intra_duplicates" (the default), else the last one counts. Across groups, a later
//     group's value at the same position replaces the earlier one unless its package says
//     "sum_inter_duplicates" (then they add up): matrix_utils' rule. Replaced entries are not
//     entries of the Model. Disjoint groups (the usual case: one database per package) simply
//     fill different positions.
//   - flip negates (Entry::flip); a "rescale" array multiplies each value, the amount and, as
//     in bw2calc, every Monte Carlo draw: see rescale_uncertainty.
//   - Data arrays may be float64, float32 (widened), integer or bool.
//   - Other matrices (normalisation, weighting, geomapping...), "array" resources (samples
//     for Monte Carlo; bw2calc ignores them unless use_arrays) are skipped and listed in the
//     report. Interfaces (data supplied at run time) and parquet resources are FormatErrors.
//
// Uncertainty: a group with distributions gives each of its entries an Uncertainty
// (uncertainty_type, loc, scale, shape, minimum, maximum, negative; float32 widened), rescaled
// by the group's rescale factors (rescale_uncertainty).
//
// Safety: .npy files are parsed by hiili (no pickles: object dtypes are refused); shapes must
// match the bytes present, so no size in a header leads to an allocation; resource paths
// must stay inside the package (no absolute paths, no ".."); zip members are decompressed
// with a size bound. Every error is a FormatError naming the file (zip members as
// "package.zip!/member") and the entry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hiili/demand.hpp"
#include "hiili/model.hpp"
#include "hiili/uncertainty.hpp"

namespace hiili::io {

struct DatapackageOptions {
  // Biosphere entries whose activity id is not a technosphere column are FormatErrors
  // instead of being dropped as bw2calc drops them.
  bool strict = false;
  // matrix_utils treats NaN data as "no value here" and skips it; by default hiili rejects
  // NaN (and always rejects infinities) as a FormatError. Set to skip NaN entries instead.
  bool skip_nan = false;
};

// What a read did besides building the model.
struct DatapackageReport {
  std::vector<std::string> packages;        // package names, in reading order
  std::int64_t technosphere_entries = 0;    // entries in the model
  std::int64_t biosphere_entries = 0;
  std::int64_t characterization_entries = 0;
  std::int64_t replaced_entries = 0;        // overwritten by a later group (or intra, last wins)
  std::int64_t unlinked_biosphere_entries = 0;   // activity not in the technosphere: dropped
  std::int64_t unmatched_characterization_factors = 0;  // flow not in the biosphere: dropped
  std::int64_t regionalized_factors_skipped = 0;        // col != global_index
  std::int64_t nan_entries_skipped = 0;
  std::vector<std::string> skipped;         // "package: group (why)" for ignored resource groups
};

// Reads one datapackage: a folder holding datapackage.json, the datapackage.json file itself,
// or a zip archive (datapackage.json at its root, or in its single top folder).
Model read_datapackage(const std::filesystem::path& package, const DatapackageOptions& options = {},
                       DatapackageReport* report = nullptr);

// Reads several datapackages into one model, as bw2calc combines the packages of an LCA (for
// example a database's inventory and one or more impact assessment methods). Order matters
// only for replaced duplicates (later wins).
Model read_datapackages(std::span<const std::filesystem::path> packages,
                        const DatapackageOptions& options = {},
                        DatapackageReport* report = nullptr);

// bw2calc multiplies every value of an entry by its rescale factor r: the amount, and in a
// Monte Carlo run each draw X of its distribution after the flip (matrix_utils'
// ResourceGroup.calculate: value = r (flip ? -X : X)). hiili samples the Uncertainty itself,
// so the factor is folded into it. Given an entry whose `amount` already holds data * r, this
// makes (amount, flip, uncertainty) draw r times what the unscaled distribution draws, with the
// same random numbers (to rounding):
//   - r = 1, or type 0 / 1 (fixed at the amount): nothing changes;
//   - r = 0: type 0 (fixed), amount 0;
//   - r < 0: the distribution of |r| X, the flip toggled and the amount negated (the entry's
//     value is unchanged);
//   - |r| X: lognormal loc + ln|r| (scale unchanged); normal, Gumbel, Student's t loc and
//     scale times |r| (Student's t scale NaN counts as 1); Weibull and gamma loc (offset) and
//     scale times |r| (shape unchanged); uniform and triangular loc times |r|; beta's alpha and
//     beta unchanged, its support [minimum, maximum] (default [0, 1]) times |r|; every other
//     family's minimum and maximum (truncation bounds, uniform and triangular ends) times |r|.
// Throws InvalidInputError when r is not finite, or for Bernoulli and discrete uniform with |r|
// other than 0 and 1 (r X is then no distribution hiili samples). hiili.bw calls the same rule.
void rescale_uncertainty(double factor, double& amount, bool& flip, Uncertainty& uncertainty);

// The index (row of A, the demand position) of a Brightway product id; the column of an
// activity id; the row of B of a flow id. Throw InvalidInputError when the model has no such
// id (or was not read from a datapackage).
Index brightway_product_index(const Model& model, std::int64_t product_id);
Index brightway_activity_index(const Model& model, std::int64_t activity_id);
Index brightway_flow_index(const Model& model, std::int64_t flow_id);

// A Brightway demand {product id: amount} as a SparseDemand. InvalidInputError for an id that
// is not a product of the model (naming it, and saying so when it is an activity id).
SparseDemand brightway_demand(const Model& model,
                              std::span<const std::pair<std::int64_t, double>> demand);

}  // namespace hiili::io
