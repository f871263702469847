// openLCA JSON-LD reader: zip or folder -> Model. The mapping follows openLCA's own matrix
// builder (olca-core InventoryBuilder / TechIndex / AllocationIndex); see
// include/hiili/io/openlca.hpp for the conventions and docs/formats-openlca-ecoinvent.md.
// The archive (zip or folder) is in openlca_archive.cpp, the entities and their parsers in
// openlca_entities.cpp; this file assembles the matrices.
#include "hiili/io/openlca.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/label_columns.hpp"
#include "hiili/error.hpp"
#include "io/openlca_archive.hpp"
#include "io/openlca_entities.hpp"
#include "io/util.hpp"

namespace hiili::io {
namespace {

using namespace openlca;  // NOLINT(google-build-using-namespace): this reader's own parts
namespace fs = std::filesystem;

struct Column {
  const Process* process = nullptr;
  const Exchange* product = nullptr;  // the provider exchange (first one of that flow)
  Method method = Method::None;       // allocation applied to this column
  bool split = false;
  long first = 0;  // first column of this process's group (its own or a product system's copy)
  int copy = -1;   // the product system copy this column belongs to; -1: the database's own
};

// The columns a product system gets when its links differ from the database's linking.
struct SystemCopy {
  std::string id, name;
  std::unordered_map<std::string, long> first;             // process id -> first column
  std::map<std::pair<std::size_t, int>, std::string> link;  // (process, exchange no.) -> provider
};

// ---------------------------------------------------------------------------------------------

class Reader {
 public:
  Reader(const fs::path& path, const OpenLcaOptions& options, OpenLcaReport& report)
      : options_(options), report_(report) {
    report_.source = path.string();
    archive_ = open_archive(path, options_);
    layout_ = make_layout(archive_->names(), path.string());
  }

  Model read() {
    load_reference_data();
    load_processes();
    resolve_exchanges();
    make_columns();
    if (options_.product_systems) load_product_systems();
    return build();
  }

 private:
  const std::vector<std::size_t>& folder(std::string_view name) const {
    static const std::vector<std::size_t> none;
    auto it = layout_.folders.find(name);
    return it == layout_.folders.end() ? none : it->second;
  }

  // Reads the entries in batches (sequentially: libzip handles are not thread-safe) and parses
  // each batch in parallel. The first failing entry, in entry order, is the one reported.
  template <class T, class ReadFn>
  std::vector<T> parse_all(const std::vector<std::size_t>& entries, ReadFn read_one) {
    constexpr std::uint64_t kBatchBytes = std::uint64_t{64} << 20;
    std::vector<T> out(entries.size());
    std::vector<std::exception_ptr> errors(entries.size());
    std::size_t begin = 0;
    while (begin < entries.size()) {
      std::vector<std::string> texts;
      std::uint64_t bytes = 0;
      std::size_t end = begin;
      while (end < entries.size() && (end == begin || bytes < kBatchBytes)) {
        texts.push_back(archive_->read(entries[end]));
        bytes += texts.back().size();
        ++end;
      }
      tbb::parallel_for(tbb::blocked_range<std::size_t>(begin, end),
                        [&](const tbb::blocked_range<std::size_t>& range) {
                          for (std::size_t i = range.begin(); i != range.end(); ++i) {
                            try {
                              const std::string where = archive_->where(entries[i]);
                              std::string& text = texts[i - begin];
                              out[i] = read_one(parse_json(text, where), where);
                              std::string().swap(text);
                            } catch (...) {
                              errors[i] = std::current_exception();
                            }
                          }
                        });
      for (std::size_t i = begin; i < end; ++i)
        if (errors[i]) std::rethrow_exception(errors[i]);
      begin = end;
    }
    return out;
  }

  template <class T, class ReadFn>
  void load(std::string_view type, std::unordered_map<std::string, T>& into, ReadFn read_one) {
    const auto& entries = folder(type);
    std::vector<T> all = parse_all<T>(entries, read_one);
    into.reserve(all.size());
    for (std::size_t k = 0; k < all.size(); ++k) {
      std::string id = all[k].id;
      if (!into.emplace(id, std::move(all[k])).second)
        fail(archive_->where(entries[k]) + ": duplicate " + std::string(type) + " id " + id);
    }
  }

  void load_reference_data() {
    load("unit_groups", unit_groups_, read_unit_group);
    load("flow_properties", properties_, read_flow_property);
    load("flows", flows_, read_flow);
    report_.flows = static_cast<std::int64_t>(flows_.size());
    for (std::size_t i : folder("locations")) {
      const std::string where = archive_->where(i);
      const json doc = parse_json(archive_->read(i), where);
      const std::string id = required_id(doc, where);
      std::string code = get_string(doc, "code", where).value_or("");
      if (code.empty()) code = get_string(doc, "name", where).value_or("");
      locations_[id] = code;
    }
    for (std::size_t i : folder("categories")) {
      const std::string where = archive_->where(i);
      const json doc = parse_json(archive_->read(i), where);
      Category c;
      c.name = get_string(doc, "name", where).value_or("");
      if (const json* parent = member(doc, "category"); parent != nullptr && parent->is_object())
        c.parent = get_string(*parent, "@id", where).value_or("");
      categories_[required_id(doc, where)] = std::move(c);
    }
  }

  void load_processes() {
    processes_ = parse_all<Process>(folder("processes"), read_process);
    if (processes_.empty()) fail(report_.source + ": the export holds no processes");
    std::sort(processes_.begin(), processes_.end(),
              [](const Process& a, const Process& b) { return a.id < b.id; });
    for (std::size_t i = 1; i < processes_.size(); ++i)
      if (processes_[i].id == processes_[i - 1].id)
        fail(processes_[i].where + ": duplicate process id " + processes_[i].id + " (also in " +
             processes_[i - 1].where + ")");
    for (std::size_t i = 0; i < processes_.size(); ++i) process_index_[processes_[i].id] = i;
    report_.processes = static_cast<std::int64_t>(processes_.size());
  }

  std::string category_path(const std::string& category) const {
    if (category.empty() || category[0] != '@') return category;
    std::vector<std::string> parts;
    std::string id = category.substr(1);
    for (int depth = 0; depth < 64 && !id.empty(); ++depth) {
      auto it = categories_.find(id);
      if (it == categories_.end()) break;
      parts.push_back(it->second.name);
      id = it->second.parent;
    }
    std::string path;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      if (!path.empty()) path += '/';
      path += *it;
    }
    return path;
  }

  // The flow's reference flow property factor (schema: exactly one is flagged; a flow with a
  // single property or one factor of 1 is accepted without the flag).
  const PropertyFactor& reference_property(const Flow& flow, const std::string& where) const {
    const PropertyFactor* ref = nullptr;
    for (const auto& pf : flow.properties)
      if (pf.reference) {
        if (ref != nullptr) fail(flow.where + ": flow has more than one reference flow property");
        ref = &pf;
      }
    if (ref == nullptr && flow.properties.size() == 1) ref = &flow.properties.front();
    if (ref == nullptr)
      fail(flow.where + ": flow has no reference flow property (needed by " + where + ")");
    return *ref;
  }

  const UnitGroup& unit_group_of(const std::string& property_id, const std::string& where) const {
    auto p = properties_.find(property_id);
    if (p == properties_.end())
      fail(where + ": flow property " + property_id + " is not in the export");
    auto g = unit_groups_.find(p->second.unit_group);
    if (p->second.unit_group.empty() || g == unit_groups_.end())
      fail(p->second.where + ": unit group " + shown(p->second.unit_group) + " of flow property " +
           shown(p->second.name) + " is not in the export (needed by " + where + ")");
    return g->second;
  }

  std::string reference_unit_name(const Flow& flow, const std::string& where) {
    auto cached = unit_names_.find(flow.id);
    if (cached != unit_names_.end()) return cached->second;
    const UnitGroup& group = unit_group_of(reference_property(flow, where).property, where);
    std::string name;
    for (const Unit& u : group.units)
      if (u.reference) name = u.name;
    if (name.empty())
      for (const Unit& u : group.units)
        if (u.factor == 1.0) {
          name = u.name;
          break;
        }
    unit_names_[flow.id] = name;
    return name;
  }

  struct Conversion {
    double factor = 1.0;  // an amount in (property, unit) times this is in the reference unit
    bool other_property = false, other_unit = false;
  };

  // openLCA's conversion of an amount of `flow` in flow property `property` and unit
  // (`unit_id`, else `unit_name`; both empty: the property's reference unit) to the flow's
  // reference unit: amount * unit factor / flow property factor.
  Conversion conversion(const Flow& flow, const std::string& property_id,
                        const std::string& unit_id, const std::string& unit_name,
                        const std::string& where) const {
    const PropertyFactor& ref = reference_property(flow, where);
    const std::string property = property_id.empty() ? ref.property : property_id;
    const PropertyFactor* pf = nullptr;
    for (const auto& candidate : flow.properties)
      if (candidate.property == property) pf = &candidate;
    if (pf == nullptr)
      fail(where + ": flow " + shown(flow.name) + " has no flow property " + property);
    const UnitGroup& group = unit_group_of(property, where);
    const Unit* unit = nullptr;
    if (unit_id.empty() && unit_name.empty()) {
      for (const Unit& u : group.units)
        if (u.reference) unit = &u;
    } else {
      for (const Unit& u : group.units)
        if (unit_id.empty() ? u.name == unit_name : u.id == unit_id) unit = &u;
    }
    if (unit == nullptr)
      fail(where + ": unit " + shown(unit_id.empty() ? unit_name : unit_id) +
           " is not in unit group " + shown(group.name) + " (" + group.where + ")");
    if (!(unit->factor > 0.0) || !std::isfinite(unit->factor))
      fail(group.where + ": unit " + shown(unit->name) + " has conversion factor " +
           std::to_string(unit->factor) + " (must be finite and positive)");
    if (!(pf->factor > 0.0) || !std::isfinite(pf->factor))
      fail(flow.where + ": flow property factor " + std::to_string(pf->factor) +
           " must be finite and positive");
    Conversion c;
    c.factor = unit->factor / pf->factor;
    if (!std::isfinite(c.factor) || !(c.factor > 0.0))
      fail(where + ": unit conversion factor overflows");
    c.other_property = property != ref.property;
    c.other_unit = !unit->reference || unit->factor != 1.0;
    return c;
  }

  // Links every exchange to its flow and computes the factor to the reference unit.
  void resolve_exchanges() {
    for (Process& p : processes_) {
      if (p.parameters) ++report_.parameterized_processes;
      for (Exchange& e : p.exchanges) {
        const std::string where =
            p.where + ": exchange " + std::to_string(e.number) + " (flow " + e.flow + ")";
        auto f = flows_.find(e.flow);
        if (f == flows_.end()) fail(where + ": flow " + e.flow + " is not in the export");
        e.flow_ptr = &f->second;
        const Conversion c = conversion(f->second, e.property, e.unit_id, e.unit_name, where);
        e.factor = c.factor;
        if (!std::isfinite(e.amount * e.factor))
          fail(where + ": amount " + std::to_string(e.amount) + " overflows in the reference unit");
        if (c.other_property) ++report_.property_conversions;
        if (c.other_unit) ++report_.unit_conversions;
        ++report_.exchanges;
        if (e.formula) ++report_.formulas_ignored;
        if (e.amount == 0.0) ++report_.zero_amounts;
        if (e.avoided) ++report_.avoided;
      }
    }
  }

  static bool is_provider(const Exchange& e) {
    const FlowType t = e.flow_ptr->type;
    return !e.avoided &&
           ((t == FlowType::Product && !e.input) || (t == FlowType::Waste && e.input));
  }
  static bool is_linkable(const Exchange& e) {
    const FlowType t = e.flow_ptr->type;
    return (t == FlowType::Product && e.input) || (t == FlowType::Waste && !e.input);
  }

  Method method_for(const Process& p) const {
    switch (options_.allocation) {
      case OpenLcaOptions::Allocation::UseDefault:
        return p.default_method;
      case OpenLcaOptions::Allocation::None:
        return Method::None;
      case OpenLcaOptions::Allocation::Physical:
        return Method::Physical;
      case OpenLcaOptions::Allocation::Economic:
        return Method::Economic;
      case OpenLcaOptions::Allocation::Causal:
        return Method::Causal;
    }
    return Method::None;
  }

  void example(std::vector<std::string>& into, std::string text) {
    if (into.size() < options_.max_examples) into.push_back(std::move(text));
  }

  // openLCA calculates a process without a flagged reference through its single product
  // output (or waste input); none or several: FormatError naming them.
  const Exchange* implied_reference(const Process& p) {
    std::vector<const Exchange*> candidates;
    for (const Exchange& e : p.exchanges)
      if (is_provider(e)) candidates.push_back(&e);
    if (candidates.size() == 1) {
      const Exchange& e = *candidates.front();
      ++report_.implied_references;
      example(report_.warnings, p.where + ": no quantitative reference flagged: took its only " +
                                    std::string(e.input ? "waste input" : "product output") +
                                    " (exchange " + std::to_string(e.number) + ", flow " +
                                    e.flow + " " + shown(e.flow_ptr->name) + ")");
      return &e;
    }
    std::string names;
    for (const Exchange* e : candidates)
      names += (names.empty() ? "" : ", ") + std::string("exchange ") +
               std::to_string(e->number) + " (flow " + e->flow + " " +
               shown(e->flow_ptr->name) + ")";
    if (candidates.empty())
      fail(p.where + ": process has no quantitative reference and no product output or waste "
                     "input to take as one");
    fail(p.where + ": process has no quantitative reference flagged and " +
         std::to_string(candidates.size()) + " candidates: " + names +
         " (flag one as the quantitative reference)");
  }

  void make_columns() {
    for (Process& p : processes_) {
      const Exchange* reference = nullptr;
      for (const Exchange& e : p.exchanges)
        if (e.reference) {
          if (reference != nullptr)
            fail(p.where + ": process has more than one quantitative reference (exchanges " +
                 std::to_string(reference->number) + " and " + std::to_string(e.number) + ")");
          reference = &e;
        }
      if (reference == nullptr) reference = implied_reference(p);
      const std::string rwhere = p.where + ": quantitative reference (exchange " +
                                 std::to_string(reference->number) + ", flow " + reference->flow +
                                 ")";
      if (!is_provider(*reference))
        fail(rwhere + ": must be a product output or a waste input, is " +
             std::string(reference->input ? "an input" : "an output") + " of a " +
             flow_type_name(reference->flow_ptr->type));
      if (reference->amount == 0.0) fail(rwhere + ": reference amount is zero");

      // Distinct provider flows, the reference first, then in the order of the exchanges.
      std::vector<const Exchange*> products{reference};
      for (const Exchange& e : p.exchanges) {
        if (!is_provider(e) || e.flow == reference->flow) continue;
        bool seen = false;
        for (const Exchange* q : products) seen = seen || q->flow == e.flow;
        if (!seen) products.push_back(&e);
      }
      const Method method = method_for(p);
      bool has_factors = false;
      for (const AllocationFactor& a : p.factors) has_factors = has_factors || a.method == method;
      // A multi-product process without any factor of the method stays whole: splitting it
      // would give every co-product column the full burden (factor 1 each).
      const bool multi = method != Method::None && products.size() > 1;
      const bool split = multi && has_factors;
      if (multi && !has_factors) {
        ++report_.allocation_no_factors;
        example(report_.allocation_examples,
                p.where + ": " + std::to_string(products.size()) +
                    " products but no factors of the selected method: not allocated");
      }
      p.first_column = static_cast<long>(columns_.size());
      if (split) {
        ++report_.split_processes;
        for (const Exchange* product : products) {
          double total = 0.0;
          for (const Exchange& e : p.exchanges)
            if (is_provider(e) && e.flow == product->flow) total += e.amount * e.factor;
          if (total == 0.0) {
            example(report_.warnings, p.where + ": co-product " + product->flow + " " +
                                          shown(product->flow_ptr->name) +
                                          " has amount 0: no column (left as unallocated)");
            continue;
          }
          columns_.push_back({&p, product, method, true});
        }
      } else {
        columns_.push_back({&p, reference, Method::None, false});
      }
      p.columns = static_cast<long>(columns_.size()) - p.first_column;
      for (long c = p.first_column; c < p.first_column + p.columns; ++c)
        columns_[c].first = p.first_column;
      if (split) {
        for (const AllocationFactor& a : p.factors) {
          if (a.method != method) continue;
          bool known = false;
          for (long c = p.first_column; c < p.first_column + p.columns; ++c)
            known = known || columns_[c].product->flow == a.product;
          if (!known) {
            ++report_.allocation_factors_unmatched;
            example(report_.allocation_examples,
                    p.where + ": allocation factor for " +
                        (a.product.empty() ? std::string("no product") : "flow " + a.product) +
                        ", which is no product column of the process: ignored");
          }
        }
      }
    }
    for (std::size_t c = 0; c < columns_.size(); ++c)
      providers_[columns_[c].product->flow].push_back(static_cast<long>(c));
    report_.providers = static_cast<std::int64_t>(columns_.size());
  }

  // ---- product systems ----------------------------------------------------------------------

  const Process* find_process(const std::string& id) const {
    auto it = process_index_.find(id);
    return it == process_index_.end() ? nullptr : &processes_[it->second];
  }

  // The column of process p that provides `flow`, or -1.
  long column_for(const Process& p, const std::string& flow) const {
    for (long c = p.first_column; c < p.first_column + p.columns; ++c)
      if (columns_[c].product->flow == flow) return c;
    return -1;
  }

  static bool matches(const Exchange& e, const ExchangeRef& r) {
    if (r.internal_id >= 0) return e.internal_id == r.internal_id;
    if (!r.id.empty()) return e.id == r.id;
    return true;
  }

  void load_product_systems() {
    std::vector<ProductSystem> systems =
        parse_all<ProductSystem>(folder("product_systems"), read_product_system);
    std::sort(systems.begin(), systems.end(),
              [](const ProductSystem& a, const ProductSystem& b) { return a.id < b.id; });
    for (const ProductSystem& s : systems) add_product_system(s);
    report_.product_systems = static_cast<std::int64_t>(systems.size());
  }

  void add_product_system(const ProductSystem& s) {
    const Process* ref = find_process(s.ref_process);
    if (ref == nullptr)
      fail(s.where + ": reference process " + s.ref_process + " is not in the export");
    const Exchange* rex = nullptr;
    for (const Exchange& e : ref->exchanges)
      if (is_provider(e) && matches(e, s.ref_exchange) &&
          (rex == nullptr || e.flow == columns_[ref->first_column].product->flow))
        rex = &e;
    if (rex == nullptr)
      fail(s.where + ": reference exchange is no product output or waste input of process " +
           ref->id);
    long column = column_for(*ref, rex->flow);
    if (column < 0)
      fail(s.where + ": reference flow " + rex->flow + " of process " + ref->id +
           " has no column (an unallocated co-product)");
    double amount = rex->amount * rex->factor;
    if (s.target_amount)
      amount = *s.target_amount *
               conversion(*rex->flow_ptr, s.target_property, s.target_unit, "", s.where).factor;
    SystemCopy copy = system_links(s, *ref);
    report_.product_system_links += static_cast<std::int64_t>(s.links.size());
    if (links_differ(copy)) {
      const long offset = column - ref->first_column;
      make_copy(copy);
      column = copy.first.at(ref->id) + offset;
      ++report_.product_systems_relinked;
      copies_.push_back(std::move(copy));
    }
    report_.demands.push_back({s.id, s.name, {{static_cast<Index>(column), amount}}});
  }

  // The system's processes (by index, in `first`, columns not yet made) and its links.
  SystemCopy system_links(const ProductSystem& s, const Process& ref) {
    SystemCopy copy;
    copy.id = s.id;
    copy.name = s.name;
    auto include = [&](const std::string& id) {
      if (find_process(id) != nullptr) copy.first.emplace(id, -1);
    };
    include(ref.id);
    for (const std::string& id : s.processes) include(id);
    int number = 0;
    for (const ProcessLink& l : s.links) {
      const std::string w = s.where + ": process link " + std::to_string(++number);
      const Process* p = find_process(l.process);
      if (p == nullptr) fail(w + ": process " + l.process + " is not in the export");
      if (find_process(l.provider) == nullptr) {
        example(report_.warnings, w + ": provider " + l.provider +
                                      " is not a process of the export (a sub-system?): "
                                      "link left out");
        continue;
      }
      include(l.process);
      include(l.provider);
      bool found = false;
      for (const Exchange& e : p->exchanges)
        if (is_linkable(e) && e.flow == l.flow && matches(e, l.exchange)) {
          copy.link[{index_of(*p), e.number}] = l.provider;
          found = true;
        }
      if (!found)
        fail(w + ": process " + p->id + " has no product input or waste output of flow " +
             l.flow);
    }
    return copy;
  }

  std::size_t index_of(const Process& p) const {
    return static_cast<std::size_t>(&p - processes_.data());
  }

  // Whether any exchange of the system's processes is linked otherwise than by the database's
  // linking (another provider, or none).
  bool links_differ(const SystemCopy& copy) {
    for (const auto& [id, _] : copy.first) {
      const Process& p = *find_process(id);
      for (const Exchange& e : p.exchanges) {
        if (e.flow_ptr->type == FlowType::Elementary || !is_linkable(e)) continue;
        const long c = provider_of(p, e, false);
        const std::string by_default = c < 0 ? "" : columns_[c].process->id;
        auto link = copy.link.find({index_of(p), e.number});
        const std::string by_system = link == copy.link.end() ? "" : link->second;
        if (by_default != by_system) return true;
      }
    }
    return false;
  }

  // Columns of the system's own: a copy of every column of its processes, in process order.
  void make_copy(SystemCopy& copy) {
    std::vector<const Process*> members;
    for (const auto& [id, _] : copy.first) members.push_back(find_process(id));
    std::sort(members.begin(), members.end());
    for (const Process* p : members) {
      const long first = static_cast<long>(columns_.size());
      copy.first[p->id] = first;
      for (long c = p->first_column; c < p->first_column + p->columns; ++c) {
        Column k = columns_[c];
        k.first = first;
        k.copy = static_cast<int>(copies_.size());
        columns_.push_back(k);
      }
      report_.product_system_columns += p->columns;
    }
  }

  // The provider column of exchange e in column `col`: the database's linking, or in a
  // product system's copy the system's link (-1 when it has none).
  long provider_for(const Column& col, const Process& p, const Exchange& e, bool count) {
    if (col.copy < 0) return provider_of(p, e, count);
    const SystemCopy& copy = copies_[col.copy];
    auto link = copy.link.find({index_of(p), e.number});
    if (link == copy.link.end()) return -1;
    const Process& q = *find_process(link->second);
    const long c = column_for(q, e.flow);
    if (c < 0) return -1;
    return copy.first.at(q.id) + (c - q.first_column);
  }

  // The column providing the flow of linkable exchange `e` of process `p`, or -1.
  long provider_of(const Process& p, const Exchange& e, bool count) {
    if (options_.use_default_providers && !e.provider.empty()) {
      auto it = process_index_.find(e.provider);
      if (it != process_index_.end()) {
        const Process& q = processes_[it->second];
        for (long c = q.first_column; c < q.first_column + q.columns; ++c)
          if (columns_[c].product->flow == e.flow) {
            if (count) ++report_.linked_default_provider;
            return c;
          }
      }
      if (count) {
        ++report_.broken_default_providers;
        example(report_.warnings, p.where + ": exchange " + std::to_string(e.number) +
                                      ": default provider " + e.provider +
                                      " is missing or does not provide flow " + e.flow);
      }
    }
    auto it = providers_.find(e.flow);
    if (it == providers_.end()) return -1;
    const std::vector<long>& candidates = it->second;
    if (count) {
      ++report_.linked_by_flow;
      if (candidates.size() > 1) {
        ++report_.ambiguous_links;
        if (ambiguous_seen_.insert({e.flow, true}).second) {
          ++report_.ambiguous_flows;
          const Process& chosen = *columns_[candidates.front()].process;
          std::string others;
          for (std::size_t k = 1; k < candidates.size(); ++k)
            others += (k > 1 ? ", " : "") + columns_[candidates[k]].process->id;
          example(report_.ambiguous_examples, "flow " + e.flow + " " + shown(e.flow_ptr->name) +
                                                  ": " + std::to_string(candidates.size()) +
                                                  " providers, chose process " + chosen.id + " " +
                                                  shown(chosen.name) + " over " + others);
        }
      }
    }
    return candidates.front();  // columns are made in process-id order: smallest id wins
  }

  // Allocation factor of exchange `e` in column `col` (1 when the column is not split).
  double allocation_factor(const Column& col, const Exchange& e, bool& missing) {
    missing = false;
    if (!col.split) return 1.0;
    const Process& p = *col.process;
    for (const AllocationFactor& a : p.factors) {
      if (a.method != col.method || a.product != col.product->flow) continue;
      if (col.method != Method::Causal) return a.value;
      const bool match = a.exchange_internal >= 0   ? a.exchange_internal == e.internal_id
                         : !a.exchange_id.empty()   ? a.exchange_id == e.id
                         : !a.exchange_flow.empty() ? a.exchange_flow == e.flow
                                                    : false;
      if (match) return a.value;
    }
    missing = true;
    return 1.0;
  }

  struct Pending {
    const Flow* flow;
    Index col;
    double amount;
    bool flip;
    Uncertainty uncertainty;
  };

  // The stats_arrays description of amount `a` = raw amount * f.
  Uncertainty uncertainty_of(const Exchange& e, const Process& p, double f, double amount) {
    Uncertainty u;
    const RawUncertainty& r = e.uncertainty;
    if (!options_.read_uncertainty || r.type == Dist::None || f == 0.0) return u;
    auto invalid = [&](const std::string& why) {
      const std::string text = p.where + ": exchange " + std::to_string(e.number) + " (flow " +
                               e.flow + "): " + r.name + ": " + why;
      if (options_.strict_uncertainty) fail(text);
      ++report_.uncertainty_invalid;
      example(report_.uncertainty_examples, text);
      return Uncertainty{};
    };
    auto present = [](double x) { return !std::isnan(x); };
    auto range = [&](double lo, double hi, Uncertainty& out) {
      lo *= f;
      hi *= f;
      if (lo > hi) std::swap(lo, hi);
      out.minimum = lo;
      out.maximum = hi;
    };
    switch (r.type) {
      case Dist::LogNormal: {
        if (!present(r.geom_mean) || !present(r.geom_sd))
          return invalid("geomMean or geomSd missing");
        if (r.geom_sd == 1.0) {
          ++report_.uncertainty_fixed;
          u.type = 1;
          u.loc = amount;
          return u;
        }
        if (!(r.geom_sd > 1.0)) return invalid("geomSd " + std::to_string(r.geom_sd) + " < 1");
        const double v = r.geom_mean * f;
        if (v == 0.0 || !std::isfinite(v)) return invalid("geomMean is zero");
        u.type = 2;
        u.loc = std::log(std::fabs(v));
        u.scale = std::log(r.geom_sd);
        u.negative = v < 0.0;
        ++report_.uncertain_lognormal;
        return u;
      }
      case Dist::Normal: {
        if (!present(r.mean) || !present(r.sd)) return invalid("mean or sd missing");
        if (!(r.sd > 0.0)) return invalid("sd " + std::to_string(r.sd) + " <= 0");
        u.type = 3;
        u.loc = r.mean * f;
        u.scale = r.sd * std::fabs(f);
        ++report_.uncertain_normal;
        return u;
      }
      case Dist::Uniform: {
        if (!present(r.minimum) || !present(r.maximum))
          return invalid("minimum or maximum missing");
        if (!(r.minimum < r.maximum))
          return invalid("minimum " + std::to_string(r.minimum) + " >= maximum " +
                         std::to_string(r.maximum));
        u.type = 4;
        u.loc = amount;
        range(r.minimum, r.maximum, u);
        ++report_.uncertain_uniform;
        return u;
      }
      case Dist::Triangle: {
        if (!present(r.minimum) || !present(r.mode) || !present(r.maximum))
          return invalid("minimum, mode or maximum missing");
        if (!(r.minimum <= r.mode && r.mode <= r.maximum && r.minimum < r.maximum))
          return invalid("needs minimum <= mode <= maximum, got " + std::to_string(r.minimum) +
                         ", " + std::to_string(r.mode) + ", " + std::to_string(r.maximum));
        u.type = 5;
        u.loc = r.mode * f;
        range(r.minimum, r.maximum, u);
        ++report_.uncertain_triangular;
        return u;
      }
      case Dist::Unknown:
        return invalid("unknown distribution type");
      case Dist::None:
        break;
    }
    return u;
  }

  std::string describe(const Process& p, const Exchange& e) const {
    return "process " + p.id + " " + shown(p.name) + ": flow " + e.flow + " " +
           shown(e.flow_ptr->name);
  }

  struct Triplet {
    Index row, col;
    double amount;
    bool flip;
    Uncertainty uncertainty;
  };

  // What the columns put into the matrices, before B's rows are known.
  struct Collected {
    std::vector<Triplet> technosphere;
    std::vector<Pending> biosphere;
    std::unordered_map<std::string, bool> cut_off_flows, unlinked_flows;
    std::unordered_map<std::string, bool> produced;  // flows some exchange provides
  };

  Model build() {
    Collected out;
    // Flows produced somewhere (any provider-type exchange), to tell why a link failed.
    for (const Process& p : processes_)
      for (const Exchange& e : p.exchanges)
        if (is_provider(e)) out.produced[e.flow] = true;
    for (std::size_t c = 0; c < columns_.size(); ++c) collect_column(static_cast<long>(c), out);
    report_.cut_off_flows = static_cast<std::int64_t>(out.cut_off_flows.size());
    report_.unlinked_flows = static_cast<std::int64_t>(out.unlinked_flows.size());
    for (const auto& [flow, _] : out.unlinked_flows)
      if (out.produced.count(flow)) ++report_.unlinked_coproduct_flows;

    const std::vector<const Flow*> rows = biosphere_rows(out.biosphere);
    std::unordered_map<const Flow*, Index> row_of;
    for (std::size_t r = 0; r < rows.size(); ++r) row_of[rows[r]] = static_cast<Index>(r);
    std::vector<Triplet> characterization;
    Labels categories = impact_rows(rows, out.biosphere, characterization);

    const Index n = static_cast<Index>(columns_.size());
    ModelBuilder builder(n, static_cast<Index>(rows.size()), categories.size());
    builder.reserve(MatrixKind::Technosphere, out.technosphere.size());
    builder.reserve(MatrixKind::Biosphere, out.biosphere.size());
    // Entries without a distribution go in plainly, so a model without any has none.
    auto add = [&](MatrixKind kind, const Entry& entry, const Uncertainty& u) {
      if (u.type == 0) {
        builder.add(kind, entry.row, entry.col, entry.amount, entry.flip);
      } else {
        builder.add(kind, entry, u);
      }
    };
    for (const Triplet& t : out.technosphere)
      add(MatrixKind::Technosphere, Entry{t.row, t.col, t.amount, t.flip}, t.uncertainty);
    for (const Pending& b : out.biosphere)
      add(MatrixKind::Biosphere, Entry{row_of[b.flow], b.col, b.amount, b.flip}, b.uncertainty);
    for (const Triplet& t : characterization) builder.add_characterization(t.row, t.col, t.amount);
    report_.technosphere_entries = static_cast<std::int64_t>(out.technosphere.size());
    report_.biosphere_entries = static_cast<std::int64_t>(out.biosphere.size());

    builder.set_activities(activity_labels());
    builder.set_flows(flow_labels(rows));
    if (categories.size() > 0) builder.set_categories(std::move(categories));
    return builder.build();
  }

  // The entries of column c. Counts go to the report once per process (its first column in
  // the database's own columns).
  void collect_column(long c, Collected& out) {
    const Column& col = columns_[c];
    const Process& p = *col.process;
    const bool first = c == col.first && col.copy < 0;
    for (const Exchange& e : p.exchanges) {
      const Flow& flow = *e.flow_ptr;
      const double base = e.amount * e.factor;
      if (is_provider(e)) {
        collect_output(col, c, first, p, e, out);
        continue;
      }
      bool missing = false;
      const double af = allocation_factor(col, e, missing);
      if (col.split) {
        if (missing) {
          ++report_.allocation_factors_missing;
          example(report_.allocation_examples,
                  describe(p, e) + ": no " +
                      std::string(col.method == Method::Causal ? "causal" : "") +
                      " allocation factor for product " + col.product->flow + ", used 1");
        } else {
          ++report_.allocation_factors_applied;
        }
      }
      const double amount = base * af;
      const double f = e.factor * af;
      if (flow.type == FlowType::Elementary) {
        const bool flip = options_.biosphere_inputs_negative && e.input;
        out.biosphere.push_back({&flow, c, amount, flip, uncertainty_of(e, p, f, amount)});
        continue;
      }
      if (!is_linkable(e)) {
        // An avoided product output or avoided waste input: openLCA models avoided flows
        // on the input (product) or output (waste) side only.
        if (first)
          example(report_.warnings, describe(p, e) + ": avoided flow on the provider side, left out");
        continue;
      }
      const long row = provider_for(col, p, e, first);
      if (row >= 0) {
        if (first && row >= p.first_column && row < p.first_column + p.columns)
          ++report_.self_links;
        // Product input -a, waste output -a (treatment-service rows), avoided +a.
        out.technosphere.push_back(
            {row, c, amount, !e.avoided, uncertainty_of(e, p, f, amount)});
        continue;
      }
      if (first) count_unlinked(p, e, out);
      if (options_.unlinked == OpenLcaOptions::Unlinked::Biosphere) {
        // openLCA's sign for an unlinked technosphere flow: inputs negative.
        const bool negative = e.avoided ? flow.type == FlowType::Waste : e.input;
        out.biosphere.push_back({&flow, c, amount, options_.biosphere_inputs_negative && negative,
                                 uncertainty_of(e, p, f, amount)});
      }
    }
  }

  // A product output (waste input) of column c: its diagonal, another column's product, or a
  // co-product without a column.
  void collect_output(const Column& col, long c, bool first, const Process& p, const Exchange& e,
                      Collected& out) {
    const double base = e.amount * e.factor;
    if (e.flow == col.product->flow) {
      // The provider's own output: the diagonal, positive for products and wastes.
      out.technosphere.push_back({c, c, base, false, uncertainty_of(e, p, e.factor, base)});
      return;
    }
    if (col.split) {
      for (long k = col.first; k < col.first + p.columns; ++k)
        if (columns_[k].product->flow == e.flow) return;  // belongs to its own column
    }
    // A co-product without a column of its own (no allocation).
    if (first) ++report_.unallocated_coproducts;
    if (options_.unlinked == OpenLcaOptions::Unlinked::Biosphere) {
      // openLCA's sign: a product output is positive, a waste input negative.
      out.biosphere.push_back({e.flow_ptr, c, base, options_.biosphere_inputs_negative && e.input,
                               uncertainty_of(e, p, e.factor, base)});
    }
  }

  void count_unlinked(const Process& p, const Exchange& e, Collected& out) {
    if (istarts_with(e.flow_ptr->name, options_.cutoff_prefix)) {
      ++report_.cut_off;
      if (out.cut_off_flows.insert({e.flow, true}).second)
        example(report_.cut_off_examples, describe(p, e));
      return;
    }
    ++report_.unlinked;
    if (out.unlinked_flows.insert({e.flow, true}).second)
      example(report_.unlinked_examples,
              describe(p, e) + (out.produced.count(e.flow)
                                    ? ": produced only as an unallocated co-product"
                                    : ": no process produces it"));
  }

  // Rows of B: the flows used, sorted by id.
  std::vector<const Flow*> biosphere_rows(const std::vector<Pending>& biosphere) {
    std::vector<const Flow*> rows;
    std::unordered_map<const Flow*, bool> seen;
    for (const Pending& b : biosphere)
      if (seen.insert({b.flow, true}).second) rows.push_back(b.flow);
    std::sort(rows.begin(), rows.end(), [](const Flow* a, const Flow* b) { return a->id < b->id; });
    for (const Flow* f : rows) {
      if (f->type == FlowType::Elementary) {
        ++report_.elementary_flows;
      } else {
        ++report_.unlinked_flow_rows;
      }
    }
    return rows;
  }

  // ---- LCIA -------------------------------------------------------------------------------

  // The categories to read, each with the name of the method that lists it first.
  std::vector<std::pair<const ImpactCategory*, std::string>> chosen_categories() {
    std::vector<ImpactMethod> methods =
        parse_all<ImpactMethod>(folder("lcia_methods"), read_impact_method);
    std::sort(methods.begin(), methods.end(), [](const ImpactMethod& a, const ImpactMethod& b) {
      return std::tie(a.name, a.id) < std::tie(b.name, b.id);
    });
    report_.impact_methods = static_cast<std::int64_t>(methods.size());
    std::vector<std::pair<const ImpactCategory*, std::string>> chosen;
    std::unordered_map<std::string, bool> taken;
    bool method_found = options_.lcia_method.empty();
    std::string names;
    for (const ImpactMethod& m : methods) {
      names += (names.empty() ? "" : ", ") + shown(m.name);
      if (!options_.lcia_method.empty() && m.name != options_.lcia_method &&
          m.id != options_.lcia_method)
        continue;
      method_found = true;
      for (const NwSet& set : m.nw_sets) nw_sets_.emplace_back(m.name, set);
      for (const std::string& id : m.categories) {
        auto it = impact_categories_.find(id);
        if (it == impact_categories_.end()) {
          example(report_.warnings, m.where + ": lists LCIA category " + id +
                                        ", which is not in the export");
        } else if (taken.insert({id, true}).second) {
          chosen.emplace_back(&it->second, m.name);
        }
      }
    }
    if (!method_found)
      throw InvalidInputError("lcia_method " + shown(options_.lcia_method) +
                              " is not an LCIA method of the export (methods: " +
                              (names.empty() ? std::string("none") : names) + ")");
    if (!options_.lcia_method.empty()) return chosen;
    std::vector<const ImpactCategory*> rest;
    for (const auto& [id, c] : impact_categories_)
      if (!taken.count(id)) rest.push_back(&c);
    std::sort(rest.begin(), rest.end(),
              [](const ImpactCategory* a, const ImpactCategory* b) { return a->id < b->id; });
    for (const ImpactCategory* c : rest) chosen.emplace_back(c, "");
    return chosen;
  }

  // Rows of C (its labels) and its entries, over B's rows.
  Labels impact_rows(const std::vector<const Flow*>& rows, const std::vector<Pending>& biosphere,
                     std::vector<Triplet>& out) {
    if (!options_.read_lcia) return Labels{};
    load("lcia_categories", impact_categories_, read_impact_category);
    const auto chosen = chosen_categories();
    std::unordered_map<const Flow*, Index> row_of;
    for (std::size_t r = 0; r < rows.size(); ++r) row_of[rows[r]] = static_cast<Index>(r);
    // openLCA negates the factors of input flows; here: flows stored only negated in B.
    std::unordered_map<const Flow*, bool> negated;
    for (const Pending& b : biosphere) {
      auto [it, fresh] = negated.insert({b.flow, b.flip});
      if (!fresh) it->second = it->second && b.flip;
    }
    const Index k = static_cast<Index>(chosen.size());
    std::vector<std::string> id(k), name(k), method(k), unit(k);
    for (Index q = 0; q < k; ++q) {
      const ImpactCategory& c = *chosen[q].first;
      id[q] = c.id;
      name[q] = c.name;
      method[q] = chosen[q].second;
      unit[q] = c.unit;
      for (const ImpactFactor& f : c.factors) {
        const std::string where = c.where + ": factor for flow " + f.flow;
        auto flow = flows_.find(f.flow);
        auto row = flow == flows_.end() ? row_of.end() : row_of.find(&flow->second);
        if (row == row_of.end()) {
          ++report_.impact_factors_unmatched;
          continue;
        }
        const Conversion conv = conversion(flow->second, f.property, f.unit, "", where);
        if (conv.factor != 1.0) ++report_.impact_factor_conversions;
        if (f.formula) ++report_.impact_factor_formulas;
        const double value = f.value / conv.factor * (negated[&flow->second] ? -1.0 : 1.0);
        if (!std::isfinite(value)) fail(where + ": factor overflows in the reference unit");
        out.push_back({q, row->second, value, false, Uncertainty{}});
      }
    }
    report_.impact_categories = k;
    report_.impact_factors = static_cast<std::int64_t>(out.size());
    if (k == 0) return Labels(k);
    const std::vector<std::string> ids = id;  // labels_of takes the columns
    Labels labels =
        labels_of(k, {{"id", &id}, {"name", &name}, {"method", &method}, {"unit", &unit}});
    nw_set_rows(ids, labels);
    return labels;
  }

  // The methods' normalisation and weighting sets over C's rows (`ids`): into the report, and
  // as label columns of the rows ("normalisation: <set>", "weighting: <set>").
  void nw_set_rows(const std::vector<std::string>& ids, Labels& labels) {
    std::unordered_map<std::string, Index> row_of;
    for (std::size_t q = 0; q < ids.size(); ++q) row_of.emplace(ids[q], static_cast<Index>(q));
    const std::size_t k = ids.size();
    for (const auto& [method, set] : nw_sets_) {
      OpenLcaNwSet out{set.id,
                       set.name,
                       method,
                       set.unit,
                       std::vector<double>(k, std::nan("")),
                       std::vector<double>(k, std::nan(""))};
      for (const NwFactor& f : set.factors) {
        auto row = row_of.find(f.category);
        if (row == row_of.end()) {
          ++report_.nw_factors_unmatched;
          example(report_.warnings, set.where + ": factor for LCIA category " + f.category +
                                        ", which is not a row of C");
          continue;
        }
        ++report_.nw_factors;
        if (f.normalisation) out.normalisation[row->second] = *f.normalisation;
        if (f.weighting) out.weighting[row->second] = *f.weighting;
      }
      std::string title = set.name.empty() ? set.id : set.name;
      if (labels.has_column("normalisation: " + title)) title += " (" + set.id + ")";
      labels.set_column("normalisation: " + title, as_text(out.normalisation));
      labels.set_column("weighting: " + title, as_text(out.weighting));
      report_.nw_sets.push_back(std::move(out));
    }
  }

  // Factors as text for label columns: shortest round-trip form, "" for NaN (absent).
  static std::vector<std::string> as_text(const std::vector<double>& values) {
    std::vector<std::string> text(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (std::isnan(values[i])) continue;
      char buffer[32];
      const auto r = std::to_chars(buffer, buffer + sizeof buffer, values[i]);
      text[i].assign(buffer, r.ptr);
    }
    return text;
  }

  std::string location_code(const std::string& location) const {
    if (location.rfind("name:", 0) == 0) return location.substr(5);
    auto it = locations_.find(location);
    return it == locations_.end() ? location : it->second;
  }

  Labels activity_labels() {
    const Index n = static_cast<Index>(columns_.size());
    std::vector<std::string> id(n), process_id(n), name(n), location(n), product_id(n), product(n),
        unit(n), type(n), system(n);
    for (Index c = 0; c < n; ++c) {
      const Column& col = columns_[c];
      const Process& p = *col.process;
      const Flow& flow = *col.product->flow_ptr;
      id[c] = p.columns > 1 ? p.id + "/" + flow.id : p.id;
      if (col.copy >= 0) {
        id[c] = copies_[col.copy].id + ":" + id[c];
        system[c] = copies_[col.copy].name;
      }
      process_id[c] = p.id;
      name[c] = p.name;
      location[c] = location_code(p.location);
      product_id[c] = flow.id;
      product[c] = flow.name;
      unit[c] = reference_unit_name(flow, p.where);
      type[c] = flow_type_name(flow.type);
    }
    LabelColumns columns = {{"id", &id},
                            {"process_id", &process_id},
                            {"name", &name},
                            {"location", &location},
                            {"product_id", &product_id},
                            {"product", &product},
                            {"unit", &unit},
                            {"flow_type", &type}};
    if (!copies_.empty()) columns.emplace_back("product_system", &system);
    return labels_of(n, columns);
  }

  Labels flow_labels(const std::vector<const Flow*>& rows) {
    const Index m = static_cast<Index>(rows.size());
    std::vector<std::string> id(m), name(m), category(m), unit(m), type(m), cas(m);
    for (Index r = 0; r < m; ++r) {
      const Flow& f = *rows[r];
      id[r] = f.id;
      name[r] = f.name;
      category[r] = category_path(f.category);
      unit[r] = reference_unit_name(f, f.where);
      type[r] = flow_type_name(f.type);
      cas[r] = f.cas;
    }
    return labels_of(m, {{"id", &id},
                         {"name", &name},
                         {"category", &category},
                         {"unit", &unit},
                         {"flow_type", &type},
                         {"cas", &cas}});
  }

  const OpenLcaOptions& options_;
  OpenLcaReport& report_;
  std::unique_ptr<Archive> archive_;
  Layout layout_;
  std::unordered_map<std::string, UnitGroup> unit_groups_;
  std::unordered_map<std::string, FlowProperty> properties_;
  std::unordered_map<std::string, Flow> flows_;
  std::unordered_map<std::string, std::string> locations_;
  std::unordered_map<std::string, Category> categories_;
  std::unordered_map<std::string, std::string> unit_names_;
  std::vector<Process> processes_;
  std::unordered_map<std::string, std::size_t> process_index_;
  std::vector<Column> columns_;
  std::unordered_map<std::string, std::vector<long>> providers_;
  std::unordered_map<std::string, bool> ambiguous_seen_;
  std::vector<SystemCopy> copies_;
  std::unordered_map<std::string, ImpactCategory> impact_categories_;
  std::vector<std::pair<std::string, NwSet>> nw_sets_;  // (method name, set) of methods read
};

}  // namespace

std::string OpenLcaReport::brief() const {
  std::ostringstream s;
  s << "openlca: " << processes << " processes, n=" << providers << " (" << split_processes
    << " split), m=" << elementary_flows + unlinked_flow_rows << ", " << exchanges
    << " exchanges; links " << linked_by_flow + linked_default_provider << " (default provider "
    << linked_default_provider << ", ambiguous " << ambiguous_links << " over " << ambiguous_flows
    << " flows), cut off " << cut_off << ", unlinked " << unlinked << " (" << unlinked_flows
    << " flows), unallocated co-products " << unallocated_coproducts << "; uncertainty "
    << uncertain_lognormal + uncertain_normal + uncertain_uniform + uncertain_triangular
    << " (invalid " << uncertainty_invalid << ", fixed " << uncertainty_fixed << ")";
  if (implied_references > 0) s << "; implied references " << implied_references;
  if (product_systems > 0)
    s << "; product systems " << product_systems << " (relinked " << product_systems_relinked
      << ")";
  if (impact_categories > 0)
    s << "; LCIA k=" << impact_categories << " (" << impact_factors << " factors, unmatched "
      << impact_factors_unmatched << ")";
  return s.str();
}

NwResult apply_nw_set(const OpenLcaNwSet& set, const std::vector<double>& scores) {
  const std::size_t k = set.normalisation.size();
  if (scores.size() != k || set.weighting.size() != k)
    throw InvalidInputError("apply_nw_set: " + std::to_string(scores.size()) +
                            " scores for a set over " + std::to_string(k) + " categories");
  const bool normalises = std::any_of(set.normalisation.begin(), set.normalisation.end(),
                                      [](double x) { return !std::isnan(x); });
  auto factor = [](double x) { return std::isnan(x) ? 0.0 : x; };
  NwResult r;
  r.normalised.resize(k);
  r.weighted.resize(k);
  for (std::size_t q = 0; q < k; ++q) {
    const double n = factor(set.normalisation[q]);
    r.normalised[q] = n == 0.0 ? 0.0 : scores[q] / n;
    r.weighted[q] = normalises ? r.normalised[q] * factor(set.weighting[q])
                               : scores[q] * factor(set.weighting[q]);
    r.single_score += r.weighted[q];
  }
  return r;
}

Model read_openlca(const std::filesystem::path& path, const OpenLcaOptions& options,
                   OpenLcaReport* report) {
  if (options.max_entry_bytes == 0 || options.max_total_bytes == 0 || options.max_entries == 0)
    throw InvalidInputError("read_openlca: the size limits must be positive");
  OpenLcaReport local;
  OpenLcaReport& out = report != nullptr ? *report : local;
  out = OpenLcaReport{};
  Reader reader(path, options, out);
  return reader.read();
}

bool is_openlca(const std::filesystem::path& path) {
  try {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      if (fs::is_directory(path / "processes", ec)) return true;
      for (const auto& entry : fs::directory_iterator(path, ec))
        if (entry.is_directory(ec) && fs::is_directory(entry.path() / "processes", ec)) return true;
      return false;
    }
    if (!fs::is_regular_file(path, ec)) return false;
    const detail::ZipArchive zip(path);
    return openlca::find_prefix(zip.names()).has_value();
  } catch (...) {
    return false;
  }
}

}  // namespace hiili::io
