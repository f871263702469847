// The openLCA JSON-LD entities and their parsers (see openlca_entities.hpp).
#include "io/openlca_entities.hpp"

#include <string>
#include <utility>
#include <vector>

#include "io/json_util.hpp"

namespace hiili::io::openlca {

std::string shown(std::string_view s) {
  std::string out = "'";
  // Keep messages one line and short, whatever the input holds.
  for (char c : s.substr(0, 120)) out += (c == '\n' || c == '\r') ? ' ' : c;
  if (s.size() > 120) out += "...";
  return out + "'";
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  if (prefix.empty() || s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
    if (lower(s[i]) != lower(prefix[i])) return false;
  }
  return true;
}

json parse_json(const std::string& text, const std::string& where) {
  json doc;
  try {
    doc = detail::parse_json(where, text);
  } catch (const FormatError& e) {
    // detail::parse_json says "<where>: not valid JSON: ..."; this reader's messages say
    // "invalid JSON", as its tests and users have seen them.
    std::string what = e.what();
    const auto at = what.find("not valid JSON");
    if (at != std::string::npos) what.replace(at, 14, "invalid JSON");
    throw FormatError(what);
  }
  if (!doc.is_object()) fail(where + ": expected a JSON object at the top level");
  return doc;
}

const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> get_string(const json& object, const char* key,
                                      const std::string& where) {
  const json* value = member(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) fail(where + ": field '" + key + "' is not a string");
  return value->get<std::string>();
}

std::optional<double> get_number(const json& object, const char* key, const std::string& where) {
  const json* value = member(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) fail(where + ": field '" + key + "' is not a number");
  const double x = value->get<double>();
  if (!std::isfinite(x)) fail(where + ": field '" + key + "' is not finite");
  return x;
}

bool get_bool(const json& object, const char* v2_key, const char* v1_key,
              const std::string& where) {
  for (const char* key : {v2_key, v1_key}) {
    if (key == nullptr) continue;
    const json* value = member(object, key);
    if (value == nullptr) continue;
    if (!value->is_boolean()) fail(where + ": field '" + key + "' is not true or false");
    return value->get<bool>();
  }
  return false;
}

std::optional<std::string> get_ref(const json& object, const char* key, const std::string& where) {
  const json* ref = member(object, key);
  if (ref == nullptr) return std::nullopt;
  if (!ref->is_object()) fail(where + ": field '" + key + "' is not a reference object");
  auto id = get_string(*ref, "@id", where + ": " + key);
  if (!id || id->empty()) fail(where + ": reference '" + key + "' has no @id");
  return id;
}

std::string required_id(const json& doc, const std::string& where) {
  auto id = get_string(doc, "@id", where);
  if (!id || id->empty()) fail(where + ": entity has no @id");
  return *id;
}

const char* flow_type_name(FlowType t) {
  switch (t) {
    case FlowType::Elementary:
      return "ELEMENTARY_FLOW";
    case FlowType::Product:
      return "PRODUCT_FLOW";
    case FlowType::Waste:
      return "WASTE_FLOW";
  }
  return "?";
}

Method method_from(std::string_view s) {
  if (s == "PHYSICAL_ALLOCATION") return Method::Physical;
  if (s == "ECONOMIC_ALLOCATION") return Method::Economic;
  if (s == "CAUSAL_ALLOCATION") return Method::Causal;
  if (s == "NO_ALLOCATION" || s == "USE_DEFAULT_ALLOCATION") return Method::None;
  return Method::Unknown;
}

namespace {

// An entity with its where, @id (required) and name (may be absent) filled in.
template <class Entity>
Entity named_entity(const json& doc, const std::string& where) {
  Entity e;
  e.where = where;
  e.id = required_id(doc, where);
  e.name = get_string(doc, "name", where).value_or("");
  return e;
}

// Calls visit(entry, w, number) for each entry of the array doc[key], numbered from 1, where w
// is "<where>: <what> <number>"; each entry must be an object. An absent key visits nothing.
template <class Visit>
void for_each_object(const json& doc, const char* key, const std::string& where, const char* what,
                     Visit visit) {
  const json* list = member(doc, key);
  if (list == nullptr) return;
  if (!list->is_array()) fail(where + ": field '" + key + "' is not an array");
  int number = 0;
  for (const json& entry : *list) {
    const std::string w = where + ": " + what + " " + std::to_string(++number);
    if (!entry.is_object()) fail(w + ": not an object");
    visit(entry, w, number);
  }
}

// The @id of the reference object[key], which must be there ("<where>: has no <key>").
std::string required_ref(const json& object, const char* key, const std::string& where) {
  auto id = get_ref(object, key, where);
  if (!id) fail(where + ": has no " + key);
  return *id;
}

// The @id of each reference object in the array doc[key] (an absent key gives none).
std::vector<std::string> reference_ids(const json& doc, const char* key, const std::string& where) {
  std::vector<std::string> ids;
  const json* list = member(doc, key);
  if (list == nullptr) return ids;
  if (!list->is_array()) fail(where + ": field '" + key + "' is not an array");
  const std::string w = where + ": " + key;
  for (const json& r : *list) {
    if (!r.is_object()) fail(w + ": an entry is not a reference object");
    ids.push_back(get_string(r, "@id", w).value_or(""));
  }
  return ids;
}

}  // namespace

RawUncertainty read_uncertainty(const json& ex, const std::string& where) {
  RawUncertainty u;
  const json* node = member(ex, "uncertainty");
  if (node == nullptr) return u;
  if (!node->is_object()) fail(where + ": field 'uncertainty' is not an object");
  const std::string w = where + ": uncertainty";
  auto type = get_string(*node, "distributionType", w);
  if (!type) return u;
  u.name = *type;
  if (*type == "LOG_NORMAL_DISTRIBUTION") {
    u.type = Dist::LogNormal;
  } else if (*type == "NORMAL_DISTRIBUTION") {
    u.type = Dist::Normal;
  } else if (*type == "UNIFORM_DISTRIBUTION") {
    u.type = Dist::Uniform;
  } else if (*type == "TRIANGLE_DISTRIBUTION") {
    u.type = Dist::Triangle;
  } else if (*type == "NO_DISTRIBUTION" || *type == "NONE") {
    u.type = Dist::None;
  } else {
    u.type = Dist::Unknown;
  }
  auto take = [&](const char* key, double& into) {
    if (auto v = get_number(*node, key, w)) into = *v;
  };
  take("geomMean", u.geom_mean);
  take("geomSd", u.geom_sd);
  take("mean", u.mean);
  take("sd", u.sd);
  take("minimum", u.minimum);
  take("mode", u.mode);
  take("maximum", u.maximum);
  return u;
}

Process read_process(const json& doc, const std::string& where) {
  Process p = named_entity<Process>(doc, where);
  if (const json* loc = member(doc, "location"); loc != nullptr && loc->is_object()) {
    p.location = get_string(*loc, "@id", where).value_or("");  // resolved to a code later
    if (p.location.empty()) p.location = "name:" + get_string(*loc, "name", where).value_or("");
  }
  p.type = get_string(doc, "processType", where).value_or("");
  if (auto m = get_string(doc, "defaultAllocationMethod", where)) {
    p.default_method = method_from(*m);
    if (p.default_method == Method::Unknown)
      fail(where + ": unknown defaultAllocationMethod " + shown(*m));
  }
  if (const json* params = member(doc, "parameters"); params != nullptr && params->is_array())
    p.parameters = !params->empty();

  if (const json* exchanges = member(doc, "exchanges");
      exchanges != nullptr && exchanges->is_array())
    p.exchanges.reserve(exchanges->size());  // bounded by the entry size already read
  for_each_object(
      doc, "exchanges", where, "exchange", [&](const json& ex, const std::string& w, int number) {
        Exchange e;
        e.number = number;
        e.flow = required_ref(ex, "flow", w);
        const std::string wf = w + " (flow " + e.flow + ")";
        if (const json* v = member(ex, "internalId")) {
          if (!v->is_number_integer()) fail(wf + ": field 'internalId' is not an integer");
          e.internal_id = v->get<long>();
        }
        e.id = get_string(ex, "@id", wf).value_or("");
        if (const json* a = member(ex, "amount"); a == nullptr) {
          fail(wf + ": has no amount");
        } else if (!a->is_number()) {
          fail(wf + ": amount " + shown(a->dump()) + " is not a number");
        }
        e.amount = *get_number(ex, "amount", wf);
        e.input = get_bool(ex, "isInput", "input", wf);
        e.avoided = get_bool(ex, "isAvoidedProduct", "avoidedProduct", wf);
        e.reference = get_bool(ex, "isQuantitativeReference", "quantitativeReference", wf);
        e.formula = !get_string(ex, "amountFormula", wf).value_or("").empty();
        e.property = get_ref(ex, "flowProperty", wf).value_or("");
        if (const json* unit = member(ex, "unit")) {
          if (!unit->is_object()) fail(wf + ": field 'unit' is not a reference object");
          e.unit_id = get_string(*unit, "@id", wf + ": unit").value_or("");
          e.unit_name = get_string(*unit, "name", wf + ": unit").value_or("");
        }
        e.provider = get_ref(ex, "defaultProvider", wf).value_or("");
        e.uncertainty = read_uncertainty(ex, wf);
        p.exchanges.push_back(std::move(e));
      });

  for_each_object(
      doc, "allocationFactors", where, "allocation factor",
      [&](const json& f, const std::string& w, int) {
        AllocationFactor a;
        a.method = method_from(get_string(f, "allocationType", w).value_or(""));
        a.product = get_ref(f, "product", w).value_or(get_string(f, "productId", w).value_or(""));
        auto value = get_number(f, "value", w);
        if (!value) fail(w + ": has no value");
        a.value = *value;
        if (const json* ex = member(f, "exchange")) {
          if (!ex->is_object()) fail(w + ": field 'exchange' is not an object");
          if (const json* v = member(*ex, "internalId")) {
            if (!v->is_number_integer()) fail(w + ": exchange internalId is not an integer");
            a.exchange_internal = v->get<long>();
          }
          a.exchange_id = get_string(*ex, "@id", w).value_or("");
          a.exchange_flow = get_ref(*ex, "flow", w).value_or("");
        }
        p.factors.push_back(std::move(a));
      });
  return p;
}

Flow read_flow(const json& doc, const std::string& where) {
  Flow f = named_entity<Flow>(doc, where);
  f.cas = get_string(doc, "cas", where).value_or("");
  const std::string type = get_string(doc, "flowType", where).value_or("");
  if (type == "ELEMENTARY_FLOW") {
    f.type = FlowType::Elementary;
  } else if (type == "PRODUCT_FLOW") {
    f.type = FlowType::Product;
  } else if (type == "WASTE_FLOW") {
    f.type = FlowType::Waste;
  } else {
    fail(where + ": unknown or missing flowType " + shown(type));
  }
  // Schema 2: category is a path string; schema 1: a reference resolved later.
  if (const json* c = member(doc, "category")) {
    if (c->is_string()) {
      f.category = c->get<std::string>();
    } else if (c->is_object()) {
      f.category = std::string("@").append(get_string(*c, "@id", where).value_or(""));
    }
  }
  for_each_object(doc, "flowProperties", where, "flow property factor",
                  [&](const json& fp, const std::string& w, int) {
                    PropertyFactor pf;
                    pf.property = required_ref(fp, "flowProperty", w);
                    pf.factor = get_number(fp, "conversionFactor", w).value_or(1.0);
                    pf.reference = get_bool(fp, "isRefFlowProperty", "referenceFlowProperty", w);
                    f.properties.push_back(std::move(pf));
                  });
  return f;
}

FlowProperty read_flow_property(const json& doc, const std::string& where) {
  FlowProperty p = named_entity<FlowProperty>(doc, where);
  p.unit_group = get_ref(doc, "unitGroup", where).value_or("");
  return p;
}

UnitGroup read_unit_group(const json& doc, const std::string& where) {
  UnitGroup g = named_entity<UnitGroup>(doc, where);
  for_each_object(doc, "units", where, "unit", [&](const json& u, const std::string& w, int) {
    Unit unit;
    unit.id = get_string(u, "@id", w).value_or("");
    unit.name = get_string(u, "name", w).value_or("");
    unit.factor = get_number(u, "conversionFactor", w).value_or(1.0);
    unit.reference = get_bool(u, "isRefUnit", "referenceUnit", w);
    g.units.push_back(std::move(unit));
  });
  return g;
}

ExchangeRef read_exchange_ref(const json& object, const char* key, const std::string& where) {
  ExchangeRef r;
  const json* node = member(object, key);
  if (node == nullptr) return r;
  if (!node->is_object()) fail(where + ": field '" + key + "' is not an object");
  if (const json* v = member(*node, "internalId")) {
    if (!v->is_number_integer()) fail(where + ": " + key + " internalId is not an integer");
    r.internal_id = v->get<long>();
  }
  r.id = get_string(*node, "@id", where).value_or("");
  return r;
}

ProductSystem read_product_system(const json& doc, const std::string& where) {
  ProductSystem s = named_entity<ProductSystem>(doc, where);
  auto ref = get_ref(doc, "refProcess", where);
  if (!ref) ref = get_ref(doc, "referenceProcess", where);
  if (!ref) fail(where + ": product system has no reference process");
  s.ref_process = *ref;
  s.ref_exchange = read_exchange_ref(
      doc, member(doc, "refExchange") ? "refExchange" : "referenceExchange", where);
  s.target_amount = get_number(doc, "targetAmount", where);
  s.target_unit = get_ref(doc, "targetUnit", where).value_or("");
  s.target_property = get_ref(doc, "targetFlowProperty", where).value_or("");
  s.processes = reference_ids(doc, "processes", where);
  for_each_object(doc, "processLinks", where, "process link",
                  [&](const json& l, const std::string& w, int) {
                    ProcessLink link;
                    auto provider = get_ref(l, "provider", w);
                    auto flow = get_ref(l, "flow", w);
                    auto process = get_ref(l, "process", w);
                    if (!provider || !flow || !process)
                      fail(w + ": needs provider, flow and process");
                    link.provider = *provider;
                    link.flow = *flow;
                    link.process = *process;
                    link.exchange = read_exchange_ref(l, "exchange", w);
                    s.links.push_back(std::move(link));
                  });
  return s;
}

ImpactCategory read_impact_category(const json& doc, const std::string& where) {
  ImpactCategory c = named_entity<ImpactCategory>(doc, where);
  for (const char* key : {"refUnit", "referenceUnitName", "referenceUnit"})
    if (c.unit.empty()) c.unit = get_string(doc, key, where).value_or("");
  for_each_object(doc, "impactFactors", where, "impact factor",
                  [&](const json& f, const std::string& w, int) {
                    ImpactFactor factor;
                    factor.flow = required_ref(f, "flow", w);
                    auto value = get_number(f, "value", w);
                    if (!value) fail(w + " (flow " + factor.flow + "): has no value");
                    factor.value = *value;
                    factor.property = get_ref(f, "flowProperty", w).value_or("");
                    factor.unit = get_ref(f, "unit", w).value_or("");
                    factor.formula = !get_string(f, "formula", w).value_or("").empty();
                    c.factors.push_back(std::move(factor));
                  });
  return c;
}

ImpactMethod read_impact_method(const json& doc, const std::string& where) {
  ImpactMethod m = named_entity<ImpactMethod>(doc, where);
  m.categories = reference_ids(doc, "impactCategories", where);
  for_each_object(doc, "nwSets", where, "nwSet", [&](const json& s, const std::string& w, int) {
    NwSet set;
    set.where = w;
    set.id = get_string(s, "@id", w).value_or("");
    set.name = get_string(s, "name", w).value_or("");
    set.unit = get_string(s, "weightedScoreUnit", w).value_or("");
    for_each_object(s, "factors", w, "factor", [&](const json& f, const std::string& fw, int) {
      NwFactor factor;
      factor.category = required_ref(f, "impactCategory", fw);
      factor.normalisation = get_number(f, "normalisationFactor", fw);
      factor.weighting = get_number(f, "weightingFactor", fw);
      set.factors.push_back(std::move(factor));
    });
    m.nw_sets.push_back(std::move(set));
  });
  return m;
}

}  // namespace hiili::io::openlca
