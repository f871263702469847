#include "hiili/io/read.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <system_error>

#include "hiili/error.hpp"
#include "hiili/io/datapackage.hpp"
#include "hiili/io/ecoinvent.hpp"
#include "hiili/io/matrix_files.hpp"
#include "hiili/io/openlca.hpp"
#include "hiili/io/useeio.hpp"
#include "io/util.hpp"

namespace hiili::io {

namespace fs = std::filesystem;

const char* to_string(Format format) {
  switch (format) {
    case Format::Auto: return "auto";
    case Format::Useeio: return "useeio";
    case Format::Datapackage: return "datapackage";
    case Format::Ecoinvent: return "ecoinvent";
    case Format::OpenLca: return "openlca";
    case Format::MatrixMarket: return "matrix-market";
    case Format::CsvTriplets: return "csv-triplets";
  }
  return "?";
}

Format format_from_string(std::string_view name) {
  std::string key;
  for (char c : name)
    if (c != '-' && c != '_' && c != ' ') key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (key == "auto" || key.empty()) return Format::Auto;
  if (key == "useeio") return Format::Useeio;
  if (key == "datapackage" || key == "brightway" || key == "bwprocessing") return Format::Datapackage;
  if (key == "ecoinvent") return Format::Ecoinvent;
  if (key == "openlca" || key == "jsonld") return Format::OpenLca;
  if (key == "matrixmarket" || key == "mtx" || key == "mm") return Format::MatrixMarket;
  if (key == "csvtriplets" || key == "csv" || key == "triplets") return Format::CsvTriplets;
  throw InvalidInputError("unknown format '" + std::string(name) +
                          "' (auto, useeio, datapackage, ecoinvent, openlca, matrix-market, "
                          "csv-triplets)");
}

namespace {

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

}  // namespace

Format detect_format(const fs::path& path) {
  const std::string name = detail::display(path);
  std::error_code ec;
  if (!fs::exists(path, ec)) detail::fail(name, "no such file or folder");
  if (fs::is_directory(path, ec)) {
    if (is_file(path / "matrix" / "A.json")) return Format::Useeio;
    if (is_file(path / "datapackage.json")) return Format::Datapackage;
    if (is_ecoinvent(path)) return Format::Ecoinvent;  // before A.csv: it may name A.csv
    if (is_openlca(path)) return Format::OpenLca;
    if (is_file(path / "A.mtx") || is_file(path / "A.mm")) return Format::MatrixMarket;
    if (is_file(path / "A.csv")) return Format::CsvTriplets;
    detail::fail(name,
                 "no reader recognises this folder (looked for matrix/A.json, datapackage.json, "
                 "ie_index.csv, processes/, A.mtx, A.csv)");
  }
  if (path.filename() == "datapackage.json") return Format::Datapackage;
  if (is_ecoinvent(path)) return Format::Ecoinvent;  // a .7z release: the reader says what to do
  if (detail::looks_like_zip(path)) {
    const detail::ZipArchive zip(path);
    for (const std::string& member : zip.names()) {
      const auto slash = member.find('/');
      if (member == "datapackage.json" ||
          (slash != std::string::npos && member.substr(slash + 1) == "datapackage.json"))
        return Format::Datapackage;
    }
    if (is_openlca(path)) return Format::OpenLca;
    detail::fail(name, "a zip archive without datapackage.json or processes/: no reader recognises it");
  }
  const std::string head = detail::read_prefix(path, 64);
  if (starts_with_nocase(head, "%%MatrixMarket")) return Format::MatrixMarket;
  detail::fail(name, "no reader recognises this file (a datapackage zip, a Matrix Market file, "
                     "or a model folder was expected)");
}

Model read(const fs::path& path, Format format) {
  if (format == Format::Auto) format = detect_format(path);
  switch (format) {
    case Format::Useeio: return read_useeio(path);
    case Format::Datapackage: return read_datapackage(path);
    case Format::MatrixMarket: return read_matrix_market(path);
    case Format::CsvTriplets: return read_csv_triplets(path);
    case Format::Ecoinvent: return read_ecoinvent(path);
    case Format::OpenLca: return read_openlca(path);
    case Format::Auto: break;
  }
  throw InvalidInputError("read: unknown format");
}

// ---- reader options and reports ----------------------------------------------------------

namespace {

// One option: its name, what it accepts (for messages) and how it sets the reader's options.
template <class Options>
struct OptionRule {
  const char* name;
  const char* accepts;
  std::function<void(Options&, const std::string&)> set;
};

[[noreturn]] void bad_value(std::string_view option, std::string_view value,
                            std::string_view accepts) {
  throw InvalidInputError("reader option " + std::string(option) + "='" + std::string(value) +
                          "': expected " + std::string(accepts));
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool parse_bool(std::string_view option, std::string_view value) {
  const std::string v = lower(value);
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  bad_value(option, value, "true or false");
}

template <class E>
E parse_choice(std::string_view option, std::string_view value,
               std::initializer_list<std::pair<const char*, E>> choices, const char* accepts) {
  const std::string v = lower(value);
  for (const auto& [name, e] : choices)
    if (v == name) return e;
  bad_value(option, value, accepts);
}

template <class Options>
Options apply(Format format, const ReadOptions& given, const std::vector<OptionRule<Options>>& rules) {
  Options options;
  for (const auto& [name, value] : given) {
    const OptionRule<Options>* rule = nullptr;
    for (const auto& r : rules)
      if (name == r.name) rule = &r;
    if (rule == nullptr) {
      std::string known;
      for (const auto& r : rules) known += (known.empty() ? "" : ", ") + std::string(r.name);
      throw InvalidInputError("unknown reader option '" + name + "' for format " +
                              to_string(format) + " (" +
                              (known.empty() ? std::string("it takes none") : "known: " + known) +
                              ")");
    }
    rule->set(options, value);
  }
  return options;
}

#define HIILI_BOOL_RULE(NAME, FIELD)                                               \
  {NAME, "true or false", [](auto& o, const std::string& v) { o.FIELD = parse_bool(NAME, v); }}

const std::vector<OptionRule<OpenLcaOptions>>& openlca_rules() {
  using A = OpenLcaOptions::Allocation;
  using U = OpenLcaOptions::Unlinked;
  static const std::vector<OptionRule<OpenLcaOptions>> rules = {
      {"allocation", "default, none, physical, economic or causal",
       [](OpenLcaOptions& o, const std::string& v) {
         o.allocation = parse_choice<A>("allocation", v,
                                        {{"default", A::UseDefault},
                                         {"none", A::None},
                                         {"physical", A::Physical},
                                         {"economic", A::Economic},
                                         {"causal", A::Causal}},
                                        "default, none, physical, economic or causal");
       }},
      HIILI_BOOL_RULE("default_providers", use_default_providers),
      {"unlinked", "drop or biosphere",
       [](OpenLcaOptions& o, const std::string& v) {
         o.unlinked = parse_choice<U>("unlinked", v, {{"drop", U::Drop}, {"biosphere", U::Biosphere}},
                                      "drop or biosphere");
       }},
      HIILI_BOOL_RULE("biosphere_inputs_negative", biosphere_inputs_negative),
      HIILI_BOOL_RULE("uncertainty", read_uncertainty),
      HIILI_BOOL_RULE("strict_uncertainty", strict_uncertainty),
      {"cutoff_prefix", "text", [](OpenLcaOptions& o, const std::string& v) { o.cutoff_prefix = v; }},
      HIILI_BOOL_RULE("product_systems", product_systems),
      HIILI_BOOL_RULE("lcia", read_lcia),
      {"lcia_method", "a method's name or id",
       [](OpenLcaOptions& o, const std::string& v) { o.lcia_method = v; }},
  };
  return rules;
}

const std::vector<OptionRule<EcoinventOptions>>& ecoinvent_rules() {
  using E = EcoinventOptions::Encoding;
  static const std::vector<OptionRule<EcoinventOptions>> rules = {
      {"encoding", "auto, latin1 or utf8",
       [](EcoinventOptions& o, const std::string& v) {
         o.encoding = parse_choice<E>("encoding", v,
                                      {{"auto", E::Auto}, {"latin1", E::Latin1}, {"utf8", E::Utf8}},
                                      "auto, latin1 or utf8");
       }},
      HIILI_BOOL_RULE("uncertainty", read_uncertainty),
      HIILI_BOOL_RULE("strict_uncertainty", strict_uncertainty),
  };
  return rules;
}

const std::vector<OptionRule<DatapackageOptions>>& datapackage_rules() {
  static const std::vector<OptionRule<DatapackageOptions>> rules = {
      HIILI_BOOL_RULE("strict", strict),
      HIILI_BOOL_RULE("skip_nan", skip_nan),
  };
  return rules;
}

const std::vector<OptionRule<MatrixFilesOptions>>& matrix_files_rules() {
  static const std::vector<OptionRule<MatrixFilesOptions>> rules = {
      HIILI_BOOL_RULE("io_coefficients", io_coefficients),
  };
  return rules;
}

struct NoOptions {};
const std::vector<OptionRule<NoOptions>>& no_rules() {
  static const std::vector<OptionRule<NoOptions>> rules;
  return rules;
}

#undef HIILI_BOOL_RULE

template <class Options>
std::vector<std::string> names_of(const std::vector<OptionRule<Options>>& rules) {
  std::vector<std::string> names;
  for (const auto& r : rules) names.emplace_back(r.name);
  return names;
}

void add_examples(ReadReport& out, const char* kind, const std::vector<std::string>& examples) {
  for (const std::string& e : examples) out.warnings.push_back(std::string(kind) + ": " + e);
}

ReadReport openlca_report(const OpenLcaReport& r) {
  ReadReport out;
  out.counts = {
      {"processes", r.processes},
      {"providers", r.providers},
      {"split_processes", r.split_processes},
      {"elementary_flows", r.elementary_flows},
      {"unlinked_flow_rows", r.unlinked_flow_rows},
      {"flows_read", r.flows},
      {"exchanges", r.exchanges},
      {"technosphere_entries", r.technosphere_entries},
      {"biosphere_entries", r.biosphere_entries},
      {"linked_default_provider", r.linked_default_provider},
      {"linked_by_flow", r.linked_by_flow},
      {"self_links", r.self_links},
      {"broken_default_providers", r.broken_default_providers},
      {"ambiguous_flows", r.ambiguous_flows},
      {"ambiguous_links", r.ambiguous_links},
      {"cut_off", r.cut_off},
      {"cut_off_flows", r.cut_off_flows},
      {"unlinked", r.unlinked},
      {"unlinked_flows", r.unlinked_flows},
      {"unlinked_coproduct_flows", r.unlinked_coproduct_flows},
      {"unallocated_coproducts", r.unallocated_coproducts},
      {"unit_conversions", r.unit_conversions},
      {"property_conversions", r.property_conversions},
      {"zero_amounts", r.zero_amounts},
      {"avoided", r.avoided},
      {"formulas_ignored", r.formulas_ignored},
      {"parameterized_processes", r.parameterized_processes},
      {"allocation_factors_applied", r.allocation_factors_applied},
      {"allocation_factors_missing", r.allocation_factors_missing},
      {"allocation_factors_unmatched", r.allocation_factors_unmatched},
      {"allocation_no_factors", r.allocation_no_factors},
      {"uncertain_lognormal", r.uncertain_lognormal},
      {"uncertain_normal", r.uncertain_normal},
      {"uncertain_uniform", r.uncertain_uniform},
      {"uncertain_triangular", r.uncertain_triangular},
      {"uncertainty_fixed", r.uncertainty_fixed},
      {"uncertainty_invalid", r.uncertainty_invalid},
      {"implied_references", r.implied_references},
      {"product_systems", r.product_systems},
      {"product_system_links", r.product_system_links},
      {"product_systems_relinked", r.product_systems_relinked},
      {"product_system_columns", r.product_system_columns},
      {"impact_methods", r.impact_methods},
      {"impact_categories", r.impact_categories},
      {"impact_factors", r.impact_factors},
      {"impact_factors_unmatched", r.impact_factors_unmatched},
      {"impact_factor_conversions", r.impact_factor_conversions},
      {"impact_factor_formulas", r.impact_factor_formulas},
      {"nw_sets", static_cast<std::int64_t>(r.nw_sets.size())},
      {"nw_factors", r.nw_factors},
      {"nw_factors_unmatched", r.nw_factors_unmatched},
  };
  out.warnings = r.warnings;
  add_examples(out, "ambiguous", r.ambiguous_examples);
  add_examples(out, "cut off", r.cut_off_examples);
  add_examples(out, "unlinked", r.unlinked_examples);
  add_examples(out, "uncertainty", r.uncertainty_examples);
  add_examples(out, "allocation", r.allocation_examples);
  out.brief = r.brief();
  return out;
}

ReadReport ecoinvent_report(const EcoinventReport& r) {
  ReadReport out;
  out.counts = {
      {"technosphere_entries", r.technosphere_entries},
      {"biosphere_entries", r.biosphere_entries},
      {"characterization_entries", r.characterization_entries},
      {"missing_diagonal", r.missing_diagonal},
      {"negative_diagonal", r.negative_diagonal},
      {"duplicate_entries", r.duplicate_entries},
      {"uncertain_lognormal", r.uncertain_lognormal},
      {"uncertain_normal", r.uncertain_normal},
      {"uncertain_uniform", r.uncertain_uniform},
      {"uncertain_triangular", r.uncertain_triangular},
      {"uncertainty_unsupported", r.uncertainty_unsupported},
      {"uncertainty_invalid", r.uncertainty_invalid},
      {"latin1_text", r.latin1 ? 1 : 0},
  };
  for (const std::string& f : r.files) out.warnings.push_back("read " + f);
  out.warnings.insert(out.warnings.end(), r.notes.begin(), r.notes.end());
  add_examples(out, "uncertainty", r.uncertainty_examples);
  out.brief = r.brief();
  return out;
}

ReadReport datapackage_report(const DatapackageReport& r) {
  ReadReport out;
  out.counts = {
      {"packages", static_cast<std::int64_t>(r.packages.size())},
      {"technosphere_entries", r.technosphere_entries},
      {"biosphere_entries", r.biosphere_entries},
      {"characterization_entries", r.characterization_entries},
      {"replaced_entries", r.replaced_entries},
      {"unlinked_biosphere_entries", r.unlinked_biosphere_entries},
      {"unmatched_characterization_factors", r.unmatched_characterization_factors},
      {"regionalized_factors_skipped", r.regionalized_factors_skipped},
      {"nan_entries_skipped", r.nan_entries_skipped},
  };
  add_examples(out, "skipped", r.skipped);
  return out;
}

// Sizes every format has, first in every report.
void add_sizes(ReadReport& report, const Model& m) {
  const std::vector<std::pair<std::string, std::int64_t>> sizes = {
      {"activities", m.num_activities()},
      {"flows", m.num_flows()},
      {"categories", m.num_categories()},
      {"nnz_A", m.A().nnz()},
      {"nnz_B", m.B().nnz()},
      {"nnz_C", m.C().nnz()}};
  report.counts.insert(report.counts.begin(), sizes.begin(), sizes.end());
  if (report.brief.empty())
    report.brief = report.format + ": n=" + std::to_string(m.num_activities()) +
                   " m=" + std::to_string(m.num_flows()) + " k=" +
                   std::to_string(m.num_categories());
}

ReadResult read_as(const fs::path& path, Format format, const ReadOptions& options) {
  switch (format) {
    case Format::OpenLca: {
      OpenLcaReport report;
      Model m = read_openlca(path, apply(format, options, openlca_rules()), &report);
      std::vector<NamedDemand> demands = std::move(report.demands);
      return {std::move(m), openlca_report(report), std::move(demands)};
    }
    case Format::Ecoinvent: {
      EcoinventReport report;
      Model m = read_ecoinvent(path, apply(format, options, ecoinvent_rules()), &report);
      return {std::move(m), ecoinvent_report(report), {}};
    }
    case Format::Datapackage: {
      DatapackageReport report;
      Model m = read_datapackage(path, apply(format, options, datapackage_rules()), &report);
      return {std::move(m), datapackage_report(report), {}};
    }
    case Format::MatrixMarket:
      return {read_matrix_market(path, apply(format, options, matrix_files_rules())), {}, {}};
    case Format::CsvTriplets:
      return {read_csv_triplets(path, apply(format, options, matrix_files_rules())), {}, {}};
    case Format::Useeio:
      apply(format, options, no_rules());
      return {read_useeio(path), {}, {}};
    case Format::Auto: break;
  }
  throw InvalidInputError("read: unknown format");
}

}  // namespace

std::vector<std::string> option_names(Format format) {
  switch (format) {
    case Format::OpenLca: return names_of(openlca_rules());
    case Format::Ecoinvent: return names_of(ecoinvent_rules());
    case Format::Datapackage: return names_of(datapackage_rules());
    case Format::MatrixMarket:
    case Format::CsvTriplets: return names_of(matrix_files_rules());
    case Format::Useeio:
    case Format::Auto: break;
  }
  return {};
}

ReadResult read(const fs::path& path, Format format, const ReadOptions& options) {
  if (format == Format::Auto) format = detect_format(path);
  ReadResult result = read_as(path, format, options);
  result.report.format = to_string(format);
  result.report.source = detail::display(path);
  add_sizes(result.report, result.model);
  return result;
}

}  // namespace hiili::io
