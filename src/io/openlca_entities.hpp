// Internal to the openLCA reader: the JSON-LD entities (processes, flows, flow properties, unit
// groups, product systems, LCIA categories and methods) reduced to what the matrices and labels
// need, and their parsers. Schema 1.x and 2.x spellings are both accepted. Not installed.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hiili/error.hpp"

namespace hiili::io::openlca {

using json = nlohmann::json;

[[noreturn]] inline void fail(const std::string& message) { throw FormatError(message); }

// A short, one-line rendering of untrusted text for messages, quoted.
std::string shown(std::string_view s);
bool ends_with(std::string_view s, std::string_view suffix);
// Case-insensitive prefix test, leading blanks ignored; false for an empty prefix.
bool istarts_with(std::string_view s, std::string_view prefix);

// ---------------------------------------------------------------------------------------------
// JSON access with located errors. Schema 1.x and 2.x spell some fields differently
// ("input" / "isInput", ...); every accessor takes both.
json parse_json(const std::string& text, const std::string& where);

const json* member(const json& object, const char* key);

std::optional<std::string> get_string(const json& object, const char* key,
                                      const std::string& where);

std::optional<double> get_number(const json& object, const char* key, const std::string& where);

bool get_bool(const json& object, const char* v2_key, const char* v1_key,
              const std::string& where);

// The "@id" of a reference object at `key`; nullopt when the field is absent.
std::optional<std::string> get_ref(const json& object, const char* key, const std::string& where);

std::string required_id(const json& doc, const std::string& where);

// ---------------------------------------------------------------------------------------------
// The entities, reduced to what the matrices and labels need.

enum class FlowType { Elementary, Product, Waste };

const char* flow_type_name(FlowType t);

struct PropertyFactor {
  std::string property;
  double factor = 1.0;
  bool reference = false;
};

struct Flow {
  std::string id, name, category, cas, where;
  FlowType type = FlowType::Elementary;
  std::vector<PropertyFactor> properties;
};

struct FlowProperty {
  std::string id, name, unit_group, where;
};

struct Unit {
  std::string id, name;
  double factor = 1.0;
  bool reference = false;
};

struct UnitGroup {
  std::string id, name, where;
  std::vector<Unit> units;
};

struct Category {
  std::string name, parent;
};

enum class Method { None, Physical, Economic, Causal, Unknown };

Method method_from(std::string_view s);

enum class Dist { None, LogNormal, Normal, Uniform, Triangle, Unknown };

struct RawUncertainty {
  Dist type = Dist::None;
  std::string name;  // as written, for messages
  double geom_mean = NAN, geom_sd = NAN, mean = NAN, sd = NAN;
  double minimum = NAN, mode = NAN, maximum = NAN;
};

struct Exchange {
  int number = 0;         // 1-based position in the process's exchange list
  long internal_id = -1;  // schema 2 internalId
  std::string id;         // schema 1 "@id"
  std::string flow, property, unit_id, unit_name, provider;
  double amount = 0.0;
  bool input = false, avoided = false, reference = false, formula = false;
  RawUncertainty uncertainty;
  // Filled when resolved:
  const Flow* flow_ptr = nullptr;
  double factor = 1.0;  // to the flow's reference unit
};

struct AllocationFactor {
  Method method = Method::Unknown;
  std::string product;          // flow id of the product, "" when absent
  long exchange_internal = -1;  // causal: which exchange
  std::string exchange_id, exchange_flow;
  double value = 1.0;
};

struct Process {
  std::string id, name, location, type, where;
  Method default_method = Method::None;
  bool parameters = false;
  std::vector<Exchange> exchanges;
  std::vector<AllocationFactor> factors;
  // Columns of A: [first_column, first_column + columns).
  long first_column = 0, columns = 0;
};

RawUncertainty read_uncertainty(const json& ex, const std::string& where);

Process read_process(const json& doc, const std::string& where);

Flow read_flow(const json& doc, const std::string& where);

FlowProperty read_flow_property(const json& doc, const std::string& where);

UnitGroup read_unit_group(const json& doc, const std::string& where);

// Product systems and LCIA categories / methods.

// A reference to one exchange of a process: schema 2 internalId, schema 1 "@id", or neither.
struct ExchangeRef {
  long internal_id = -1;
  std::string id;
};

ExchangeRef read_exchange_ref(const json& object, const char* key, const std::string& where);

struct ProcessLink {
  std::string provider, flow, process;
  ExchangeRef exchange;
};

struct ProductSystem {
  std::string id, name, where, ref_process, target_unit, target_property;
  ExchangeRef ref_exchange;
  std::optional<double> target_amount;
  std::vector<std::string> processes;
  std::vector<ProcessLink> links;
};

ProductSystem read_product_system(const json& doc, const std::string& where);

struct ImpactFactor {
  std::string flow, property, unit;
  double value = 0.0;
  bool formula = false;
};

struct ImpactCategory {
  std::string id, name, unit, where;
  std::vector<ImpactFactor> factors;
};

ImpactCategory read_impact_category(const json& doc, const std::string& where);

// One factor of a normalisation and weighting set (NwFactor): the category it applies to and
// its factors, each optional.
struct NwFactor {
  std::string category;
  std::optional<double> normalisation, weighting;
};

// A normalisation and weighting set of an LCIA method (its "nwSets", schema 1 and 2 alike).
struct NwSet {
  std::string id, name, unit, where;
  std::vector<NwFactor> factors;
};

struct ImpactMethod {
  std::string id, name, where;
  std::vector<std::string> categories;
  std::vector<NwSet> nw_sets;
};

ImpactMethod read_impact_method(const json& doc, const std::string& where);

}  // namespace hiili::io::openlca
