// hiili/io/openlca.hpp: read an openLCA JSON-LD export (zip or folder) as a Model.
//
// openLCA writes one JSON file per entity: processes/<id>.json, flows/<id>.json,
// flow_properties/<id>.json, unit_groups/<id>.json, locations/<id>.json, categories/<id>.json
// (schema versions 1.x, as openLCA 1.5-1.11 writes, and 2.x are both read; see
// docs/formats-openlca-ecoinvent.md). The reader turns them into matrices the way openLCA's
// own matrix builder does for a whole database:
//
//   columns (A)   one per provider: a process and its quantitative reference (a product output
//                 or a waste input). When an allocation method applies to a process with more
//                 than one product output (waste input), one column per (process, product),
//                 every other exchange scaled by the stored allocation factor of that method.
//   rows (A)      the same providers: a product input (waste output) of column j is linked to
//                 the exchange's default provider when the export names one that exists,
//                 otherwise to the process that provides the flow. Several providers of one
//                 flow: the one with the smallest process id wins (reported as ambiguous).
//   B             one row per elementary flow that occurs in a linked column.
//   C             one row per LCIA category (lcia_categories/; label "method" from the
//                 lcia_methods/ that list it), one factor per elementary flow that is a row of
//                 B. A factor given per another unit or flow property is converted to the
//                 flow's reference unit (value * property factor / unit factor). With openLCA's
//                 B signs, the factor of a flow that occurs only as an input (a resource) is
//                 negated, as openLCA does, so that using a resource scores positive.
//                 Normalisation and weighting sets of the methods (nwSets) leave C as it is:
//                 they are in OpenLcaReport::nw_sets and label columns of C's rows
//                 ("normalisation: <set>", "weighting: <set>"); apply_nw_set applies one.
//   reference     a process without a flagged quantitative reference takes its single product
//                 output (or waste input), as openLCA does, with a warning in the report; none
//                 or several candidates: FormatError naming them.
//   product       each product system (product_systems/) is a named demand: its reference
//   systems       process's column (the column of its reference exchange's flow) and its target
//                 amount converted to the reference unit (the reference exchange's amount when
//                 no target is given). When its process links differ from the linking above
//                 for any exchange of its processes (another provider, or no link where the
//                 linking finds one), the system's processes get columns of their own (id
//                 "<system id>:<column id>", label "product_system") linked as the system's
//                 links say, an exchange without a link left unlinked, and the demand names
//                 those columns: the demand's result is openLCA's for that product system.
//
// Values are in the reference unit of each flow's reference flow property: an exchange given
// in another unit or flow property is converted with the unit group's conversion factors and
// the flow's flow property factors, as openLCA does (amount * unit factor / property factor).
//
// Signs. A: provider outputs positive (the diagonal), linked inputs negative. Waste treatment
// columns are written in the "treatment service" view: the treated waste input is positive on
// the diagonal and a waste output of another process is a negative entry in that row, so every
// diagonal is positive and a demand of 1 means "treat one unit". Avoided products (openLCA's
// avoided product / avoided waste) enter with the opposite sign of an ordinary input.
// B (by default, openLCA's convention): an elementary output (emission) is positive, an
// elementary input (resource) negative, so a flow used in both directions nets out.
// Every entry is stored Brightway-style: `amount` as the dataset states it (converted and
// allocated), `flip` set where the matrix holds its negative; uncertainty describes `amount`.
//
// Uncertainty (openLCA -> stats_arrays): LOG_NORMAL (geomMean, geomSd) -> 2 with
// loc = ln|geomMean|, scale = ln(geomSd), negative when geomMean < 0; NORMAL (mean, sd) -> 3;
// UNIFORM (minimum, maximum) -> 4; TRIANGLE (minimum, mode, maximum) -> 5. Parameters are
// converted with the same unit and allocation factors as the amount. A lognormal with
// geomSd == 1 (no spread) becomes type 1 (fixed); invalid parameters (geomSd < 1, sd <= 0,
// minimum > maximum, mode outside [minimum, maximum], non-finite values) are dropped to type 0
// and counted in the report, or raise FormatError with `strict_uncertainty`.
//
// Not supported (documented, reported where they occur): parameters and formulas (the stored
// numeric amounts are used; openLCA stores both), allocation methods other than the one
// selected, regionalisation, sub-systems as providers in product systems, normalisation and
// weighting sets, regionalised impact factors (the location is ignored), costs,
// data quality, social aspects, libraries, and zip64 archives above the size limits below.
//
// Errors: FormatError naming the file (the zip path and entry, or the file in the folder) and
// the entry (process, exchange number, flow id) for: a missing or corrupt zip, a truncated or
// oversized entry, broken JSON, a missing referenced flow, flow property or unit, a unit that
// is not in the flow property's unit group, a flow property the flow does not have, NaN or
// infinite numbers, a process with several flagged quantitative references, or none and not
// exactly one candidate, or with a zero
// reference amount, conversion factors that are not finite and positive. Nothing is allocated
// from a size stated in the input without a bound (see OpenLcaOptions).
//
// Thread safety: read_openlca has no shared state; concurrent calls are safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hiili/demand.hpp"
#include "hiili/model.hpp"

namespace hiili::io {

struct OpenLcaOptions {
  // Which stored allocation factors to apply to processes with several products.
  //   UseDefault: each process's own `defaultAllocationMethod` (none set: no allocation).
  //   None: never allocate; a process gets one column (its quantitative reference) and its
  //         other product outputs (waste inputs) are handled like unlinked flows below.
  //   Physical / Economic / Causal: that method for every multi-product process.
  // A process is split only when it stores at least one factor of its method; a product or
  // exchange without a factor then gets factor 1 (openLCA's behaviour; counted). A process
  // with no factor of the method at all stays whole (counted in allocation_no_factors).
  enum class Allocation { UseDefault, None, Physical, Economic, Causal };
  Allocation allocation = Allocation::UseDefault;

  // Link product inputs to an exchange's `defaultProvider` when the export names one that
  // exists and provides the flow; otherwise (and when false) link by flow id.
  bool use_default_providers = true;

  // Technosphere flows that end up without a provider (unlinked inputs, waste outputs without
  // a treatment, unallocated co-products). Drop: left out of the matrices (reported).
  // Biosphere: rows of B, as openLCA does (the flow table labels them with their flow type).
  enum class Unlinked { Drop, Biosphere };
  Unlinked unlinked = Unlinked::Drop;

  // B sign convention: true (openLCA): elementary inputs (resources) negative. false
  // (Brightway): every elementary exchange positive, whatever its direction.
  bool biosphere_inputs_negative = true;

  // Read the uncertainty distributions at all (false: every entry is type 0).
  bool read_uncertainty = true;
  // Invalid distribution parameters raise FormatError instead of being dropped.
  bool strict_uncertainty = false;

  // Flows whose name starts with this prefix (case-insensitive) are cut off by design when
  // no process provides them: counted as cut off, not as unlinked. Empty: no such rule.
  std::string cutoff_prefix = "CUTOFF";

  // Bounds on what is read (hostile input): one JSON entry, all entries together, the number
  // of zip entries or files.
  std::uint64_t max_entry_bytes = std::uint64_t{256} << 20;  // 256 MiB
  std::uint64_t max_total_bytes = std::uint64_t{16} << 30;   // 16 GiB
  std::uint64_t max_entries = 10'000'000;

  // Product systems (product_systems/): each becomes a named demand (its reference process's
  // column, the target amount in the reference unit). A system whose process links differ
  // from the linking above gets its own copy of its processes, linked as the system links
  // them (see the file comment). false: product systems are not read.
  bool product_systems = true;

  // LCIA categories (lcia_categories/, grouped by lcia_methods/) become C. `lcia_method`
  // (a method's name or id) keeps that method's categories only; empty: every category.
  bool read_lcia = true;
  std::string lcia_method;

  // At most this many examples per kind in the report.
  std::size_t max_examples = 10;
};

// A normalisation and weighting set of an LCIA method read (its `nwSets`), its factors aligned
// with the rows of C: normalisation[q] and weighting[q] belong to category q, NaN where the
// set gives no such factor for that category.
struct OpenLcaNwSet {
  std::string id, name, method;     // the set's @id and name, the method that holds it
  std::string weighted_score_unit;  // weightedScoreUnit ("" when absent)
  std::vector<double> normalisation;
  std::vector<double> weighting;
};

// openLCA's normalised and weighted results (org.openlca.core.matrix.NwSetTable): for impact
// scores h (one per row of C) normalised[q] = h[q] / normalisation[q]; weighted[q] =
// h[q] * weighting[q] / normalisation[q] when the set has normalisation factors, otherwise
// h[q] * weighting[q]; a missing (NaN) or zero factor gives 0, as in openLCA. single_score is
// the sum of `weighted`, in weighted_score_unit.
struct NwResult {
  std::vector<double> normalised, weighted;
  double single_score = 0.0;
};
// InvalidInputError when `scores` is not one value per row of the set.
NwResult apply_nw_set(const OpenLcaNwSet& set, const std::vector<double>& scores);

// What the reader found and did. Counts are of exchanges unless they say otherwise.
struct OpenLcaReport {
  std::string source;  // the path read

  // Sizes.
  std::int64_t processes = 0;           // process files read
  std::int64_t providers = 0;           // columns of A (process-product pairs), n
  std::int64_t split_processes = 0;     // processes that got more than one column (allocation)
  std::int64_t elementary_flows = 0;    // elementary rows of B
  std::int64_t unlinked_flow_rows = 0;  // product/waste rows of B (Unlinked::Biosphere)
  std::int64_t flows = 0;               // flow files read
  std::int64_t exchanges = 0;           // exchanges read in all processes
  std::int64_t technosphere_entries = 0;
  std::int64_t biosphere_entries = 0;

  // Linking of product inputs and waste outputs.
  std::int64_t linked_default_provider = 0;   // via defaultProvider
  std::int64_t linked_by_flow = 0;            // via the flow's provider
  std::int64_t self_links = 0;                // a process linked to its own product
  std::int64_t broken_default_providers = 0;  // named a missing process or one not providing
  std::int64_t ambiguous_flows = 0;           // distinct flows with more than one provider
  std::int64_t ambiguous_links = 0;           // links resolved among several providers
  std::int64_t cut_off = 0;                   // inputs of flows cut off by design (cutoff_prefix)
  std::int64_t cut_off_flows = 0;             // distinct such flows
  std::int64_t unlinked = 0;                  // other inputs without a provider
  std::int64_t unlinked_flows = 0;            // distinct such flows
  std::int64_t unlinked_coproduct_flows = 0;  // of those, flows produced as unallocated co-product
  std::int64_t unallocated_coproducts = 0;    // co-product outputs left out (no allocation)

  // Amounts.
  std::int64_t unit_conversions = 0;         // exchanges not in their flow's reference unit
  std::int64_t property_conversions = 0;     // exchanges not in the flow's reference property
  std::int64_t zero_amounts = 0;             // exchanges with amount 0 (kept as explicit zeros)
  std::int64_t avoided = 0;                  // avoided products / wastes
  std::int64_t formulas_ignored = 0;         // exchanges with amountFormula (stored amount used)
  std::int64_t parameterized_processes = 0;  // processes declaring parameters (ignored)

  // Allocation.
  std::int64_t allocation_factors_applied = 0;    // entries scaled by a stored factor
  std::int64_t allocation_factors_missing = 0;    // entries of split processes without a factor
  std::int64_t allocation_factors_unmatched = 0;  // factors naming no product of the process
  std::int64_t allocation_no_factors = 0;         // multi-product processes left whole: no factors

  // Uncertainty (entries written to A and B).
  std::int64_t uncertain_lognormal = 0;
  std::int64_t uncertain_normal = 0;
  std::int64_t uncertain_uniform = 0;
  std::int64_t uncertain_triangular = 0;
  std::int64_t uncertainty_fixed = 0;    // lognormal with geomSd == 1 -> type 1
  std::int64_t uncertainty_invalid = 0;  // dropped parameters -> type 0

  // Processes without a flagged quantitative reference whose single product output (waste
  // input) was taken as the reference, as openLCA does (each one also in `warnings`).
  std::int64_t implied_references = 0;

  // Product systems.
  std::int64_t product_systems = 0;           // read, one named demand each
  std::int64_t product_system_links = 0;      // process links in them
  std::int64_t product_systems_relinked = 0;  // systems whose links differ: own columns
  std::int64_t product_system_columns = 0;    // columns added for those systems
  std::vector<NamedDemand> demands;           // one per product system, in id order

  // LCIA.
  std::int64_t impact_methods = 0;
  std::int64_t impact_categories = 0;           // rows of C
  std::int64_t impact_factors = 0;              // entries of C
  std::int64_t impact_factors_unmatched = 0;    // flows not in B (no exchange uses them)
  std::int64_t impact_factor_conversions = 0;   // factors not per the flow's reference unit
  std::int64_t impact_factor_formulas = 0;      // factors with a formula (stored value used)
  // Normalisation and weighting sets of the methods read (all methods, or `lcia_method`), in
  // method order; also as label columns of C's rows ("normalisation: <set>", "weighting:
  // <set>", the factors as text, "" where absent).
  std::vector<OpenLcaNwSet> nw_sets;
  std::int64_t nw_factors = 0;            // factors placed on a row of C
  std::int64_t nw_factors_unmatched = 0;  // factors naming a category that is not a row of C

  // Examples, each "process id (name): flow id (name): detail".
  std::vector<std::string> ambiguous_examples;
  std::vector<std::string> cut_off_examples;
  std::vector<std::string> unlinked_examples;
  std::vector<std::string> uncertainty_examples;
  std::vector<std::string> allocation_examples;
  std::vector<std::string> warnings;  // anything else worth a look

  // One line, e.g. "openlca: 766 processes, n=766, m=1234, links 3725 (ambiguous 3), ...".
  std::string brief() const;
};

// Reads an openLCA JSON-LD zip (file) or folder at `path`. Throws FormatError (see above) and
// InvalidInputError for options that make no sense; the report, when given, is filled even
// when some exchanges are left out, and left partly filled when an exception is thrown.
Model read_openlca(const std::filesystem::path& path, const OpenLcaOptions& options = {},
                   OpenLcaReport* report = nullptr);

// True when `path` looks like an openLCA JSON-LD zip or folder (a processes/ folder with .json
// files, at the top level or under one folder); reads only the directory, not the content.
bool is_openlca(const std::filesystem::path& path);

}  // namespace hiili::io
