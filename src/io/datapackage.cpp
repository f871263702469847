#include "hiili/io/datapackage.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>
#include <unordered_map>

#include "hiili/error.hpp"
#include "io/json_util.hpp"
#include "io/npy.hpp"
#include "io/util.hpp"
#include "montecarlo/special.hpp"

namespace hiili::io {

namespace fs = std::filesystem;
using detail::fail;
using detail::NpyArray;
using json = nlohmann::json;

namespace {

// ---- where a package's files come from -----------------------------------------------

class Source {
 public:
  virtual ~Source() = default;
  virtual std::string read(const std::string& member) const = 0;
  virtual std::string display(const std::string& member) const = 0;
  virtual std::string display() const = 0;
};

class FolderSource final : public Source {
 public:
  explicit FolderSource(fs::path dir) : dir_(std::move(dir)) {}
  std::string read(const std::string& member) const override {
    return detail::read_file(dir_ / member);
  }
  std::string display(const std::string& member) const override {
    return detail::display(dir_ / member);
  }
  std::string display() const override { return detail::display(dir_); }

 private:
  fs::path dir_;
};

class ZipSource final : public Source {
 public:
  ZipSource(const fs::path& file, std::string prefix) : zip_(file), prefix_(std::move(prefix)) {}
  explicit ZipSource(const fs::path& file) : zip_(file) {
    if (zip_.contains("datapackage.json")) return;
    // bw_processing writes datapackage.json at the root; also accept one top-level folder.
    std::vector<std::string> found;
    for (const std::string& name : zip_.names()) {
      const auto slash = name.find('/');
      if (slash != std::string::npos && name.substr(slash + 1) == "datapackage.json")
        found.push_back(name.substr(0, slash + 1));
    }
    if (found.size() != 1)
      fail(detail::display(file), found.empty() ? "zip archive without datapackage.json"
                                                 : "zip archive with several datapackage.json");
    prefix_ = found.front();
  }
  std::string read(const std::string& member) const override { return zip_.read(prefix_ + member); }
  std::string display(const std::string& member) const override {
    return zip_.display(prefix_ + member);
  }
  std::string display() const override { return detail::display(zip_.path()); }

 private:
  detail::ZipArchive zip_;
  std::string prefix_;
};

std::unique_ptr<Source> open_source(const fs::path& path) {
  std::error_code ec;
  const std::string name = detail::display(path);
  if (!fs::exists(path, ec)) fail(name, "no such file or folder");
  if (fs::is_directory(path, ec)) {
    if (!fs::is_regular_file(path / "datapackage.json", ec))
      fail(detail::display(path / "datapackage.json"), "no such file (not a datapackage folder)");
    return std::make_unique<FolderSource>(path);
  }
  if (path.filename() == "datapackage.json") return std::make_unique<FolderSource>(path.parent_path());
  if (!detail::looks_like_zip(path))
    fail(name, "neither a datapackage folder, its datapackage.json, nor a zip archive");
  return std::make_unique<ZipSource>(path);
}

// A resource path must name a file inside the package.
void check_member_path(const Source& src, const std::string& where, const std::string& path) {
  if (path.empty()) fail(src.display("datapackage.json"), where, "empty \"path\"");
  const fs::path p(path);
  bool bad = p.is_absolute() || p.has_root_name() || p.has_root_directory() || path.front() == '/' ||
             path.find('\\') != std::string::npos || path.find('\0') != std::string::npos;
  for (const auto& part : p)
    if (part == "..") bad = true;
  if (bad)
    fail(src.display("datapackage.json"), where,
         "resource path " + detail::quote(path) + " points outside the package");
}

// ---- metadata -----------------------------------------------------------------------

enum class Kind { Technosphere = 0, Biosphere = 1, Characterization = 2 };

std::optional<Kind> matrix_kind(const std::string& matrix) {
  if (matrix == "technosphere_matrix") return Kind::Technosphere;
  if (matrix == "biosphere_matrix") return Kind::Biosphere;
  if (matrix == "characterization_matrix") return Kind::Characterization;
  return std::nullopt;
}

struct Resource {
  std::size_t number = 0;  // position in "resources", for messages
  std::string name, matrix, kind, path, group, category, profile, format;
  json identifier;  // null when absent
  std::optional<std::int64_t> global_index;
  std::optional<std::int64_t> nrows;
};

struct Group {
  std::string label;
  Kind kind = Kind::Technosphere;
  std::vector<const Resource*> resources;
  const Resource* find(const std::string& suffix) const {
    for (const Resource* r : resources)
      if (r->name == label + "." + suffix) return r;
    for (const Resource* r : resources)
      if (r->kind == suffix) return r;
    return nullptr;
  }
};

struct Package {
  std::unique_ptr<Source> source;
  std::string name;
  bool sum_intra = true;
  bool sum_inter = false;
  std::vector<Resource> resources;
  std::vector<Group> groups;  // matrix groups in order of first appearance
};

std::string text_field(const json& obj, const char* key, const std::string& file,
                       const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_string()) fail(file, where, std::string("\"") + key + "\" is not a string");
  return it->get<std::string>();
}

std::optional<std::int64_t> int_field(const json& obj, const char* key, const std::string& file,
                                      const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) fail(file, where, std::string("\"") + key + "\" is not an integer");
  return it->get<std::int64_t>();
}

bool bool_field(const json& obj, const char* key, bool fallback, const std::string& file) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) fail(file, std::string("\"") + key + "\" is not true or false");
  return it->get<bool>();
}

Package load_package(const fs::path& path, DatapackageReport* report) {
  Package pkg;
  pkg.source = open_source(path);
  const std::string meta_file = pkg.source->display("datapackage.json");
  const std::string text = pkg.source->read("datapackage.json");
  const json meta = detail::parse_json(meta_file, text);
  if (!meta.is_object()) fail(meta_file, "expected a JSON object");
  pkg.name = text_field(meta, "name", meta_file, "package");
  if (pkg.name.empty()) pkg.name = pkg.source->display();
  pkg.sum_intra = bool_field(meta, "sum_intra_duplicates", true, meta_file);
  pkg.sum_inter = bool_field(meta, "sum_inter_duplicates", false, meta_file);
  auto res = meta.find("resources");
  if (res == meta.end() || !res->is_array()) fail(meta_file, "no \"resources\" array");
  pkg.resources.reserve(res->size());
  for (std::size_t i = 0; i < res->size(); ++i) {
    const json& r = (*res)[i];
    const std::string where = "resource " + std::to_string(i);
    if (!r.is_object()) fail(meta_file, where, "expected an object");
    Resource out;
    out.number = i;
    out.name = text_field(r, "name", meta_file, where);
    out.matrix = text_field(r, "matrix", meta_file, where);
    out.kind = text_field(r, "kind", meta_file, where);
    out.path = text_field(r, "path", meta_file, where);
    out.group = text_field(r, "group", meta_file, where);
    out.category = text_field(r, "category", meta_file, where);
    out.profile = text_field(r, "profile", meta_file, where);
    out.format = text_field(r, "format", meta_file, where);
    if (auto it = r.find("identifier"); it != r.end()) out.identifier = *it;
    out.global_index = int_field(r, "global_index", meta_file, where);
    out.nrows = int_field(r, "nrows", meta_file, where);
    pkg.resources.push_back(std::move(out));
  }
  // Groups of the three matrices, in order of first appearance (bw_processing's `groups`).
  for (const Resource& r : pkg.resources) {
    const auto kind = matrix_kind(r.matrix);
    if (!kind) {
      if (report != nullptr && !r.matrix.empty() && r.kind == "data")
        report->skipped.push_back(pkg.name + ": " + r.group + " (matrix " + r.matrix +
                                  " is not read)");
      continue;
    }
    if (r.group.empty()) continue;  // bw_processing ignores resources without a group
    auto g = std::find_if(pkg.groups.begin(), pkg.groups.end(),
                          [&](const Group& x) { return x.label == r.group && x.kind == *kind; });
    if (g == pkg.groups.end()) {
      pkg.groups.push_back({r.group, *kind, {}});
      g = pkg.groups.end() - 1;
    }
    g->resources.push_back(&r);
  }
  if (report != nullptr) report->packages.push_back(pkg.name);
  return pkg;
}

// ---- arrays of one group -------------------------------------------------------------

struct GroupData {
  const Package* package = nullptr;
  const Group* group = nullptr;
  std::string file;  // the indices file, for messages
  std::string data_file;
  std::vector<std::int64_t> rows, cols;
  std::vector<double> amounts;
  std::vector<bool> flip;                 // empty when absent
  std::vector<Uncertainty> uncertainty;   // empty when absent
  json identifier;
};

NpyArray load_array(const Package& pkg, const Group& g, const Resource& r) {
  const std::string where = "resource " + std::to_string(r.number) + " (" + r.name + ")";
  if (r.profile == "interface")
    fail(pkg.source->display("datapackage.json"), where,
         "is an interface (data supplied at run time); it cannot be read from a file");
  if (r.format == "parquet" || r.path.ends_with(".parquet"))
    fail(pkg.source->display("datapackage.json"), where,
         "parquet resources are not supported; save the datapackage with numpy (.npy) arrays");
  check_member_path(*pkg.source, where, r.path);
  NpyArray a = NpyArray::parse(pkg.source->display(r.path), pkg.source->read(r.path));
  if (a.ndim() != 1)
    fail(a.file(), "expected a one-dimensional array for " + g.label + "." + r.kind + ", shape has " +
                       std::to_string(a.ndim()) + " dimensions");
  if (r.nrows && *r.nrows != static_cast<std::int64_t>(a.count()))
    fail(a.file(), "holds " + std::to_string(a.count()) + " elements, datapackage.json says nrows " +
                       std::to_string(*r.nrows));
  return a;
}

// Folds the group's rescale factors into its distributions (rescale_uncertainty), where the
// amounts already hold data * factor.
void rescale_distributions(GroupData& g, const std::vector<double>& factors,
                           const std::string& file) {
  if (g.flip.empty()) g.flip.assign(factors.size(), false);
  for (std::size_t i = 0; i < factors.size(); ++i) {
    bool flip = g.flip[i];
    try {
      rescale_uncertainty(factors[i], g.amounts[i], flip, g.uncertainty[i]);
    } catch (const InvalidInputError& e) {
      fail(file, "entry " + std::to_string(i), e.what());
    }
    g.flip[i] = flip;
  }
}

// Reads one group's arrays; nullopt when the group is skipped (no vector data).
std::optional<GroupData> load_group(const Package& pkg, const Group& g, DatapackageReport* report) {
  const Resource* indices = g.find("indices");
  const Resource* data = g.find("data");
  const std::string meta = pkg.source->display("datapackage.json");
  if (data == nullptr) {
    if (indices != nullptr) fail(meta, "group " + detail::quote(g.label) + " has indices but no data resource");
    return std::nullopt;
  }
  if (data->profile == "interface")
    fail(meta, "resource " + std::to_string(data->number) + " (" + data->name + ")",
         "is an interface (data supplied at run time); it cannot be read from a file");
  if (data->category == "array") {
    if (report != nullptr)
      report->skipped.push_back(pkg.name + ": " + g.label +
                                " (array of samples; bw2calc uses it only with use_arrays)");
    return std::nullopt;
  }
  if (indices == nullptr) fail(meta, "group " + detail::quote(g.label) + " has no indices resource");

  GroupData out;
  out.package = &pkg;
  out.group = &g;
  out.identifier = indices->identifier.is_null() ? data->identifier : indices->identifier;
  {
    const NpyArray a = load_array(pkg, g, *indices);
    out.file = a.file();
    if (!a.structured() || !a.has_field("row") || !a.has_field("col"))
      fail(a.file(), "indices must be a structured array with integer fields 'row' and 'col', dtype is " +
                         a.descr());
    out.rows = a.as_int("row");
    out.cols = a.as_int("col");
  }
  const std::size_t count = out.rows.size();
  auto check_count = [&](const NpyArray& a) {
    if (a.count() != count)
      fail(a.file(), "holds " + std::to_string(a.count()) + " elements, the indices " +
                         std::to_string(count));
  };
  {
    const NpyArray a = load_array(pkg, g, *data);
    out.data_file = a.file();
    check_count(a);
    out.amounts = a.as_double();
  }
  if (const Resource* r = g.find("flip")) {
    const NpyArray a = load_array(pkg, g, *r);
    check_count(a);
    out.flip = a.as_bool();
  }
  std::vector<double> rescale;
  std::string rescale_file;
  if (const Resource* r = g.find("rescale")) {
    const NpyArray a = load_array(pkg, g, *r);
    check_count(a);
    rescale_file = a.file();
    rescale = a.as_double();
    for (std::size_t i = 0; i < count; ++i) {
      if (!std::isfinite(rescale[i]))
        fail(a.file(), "entry " + std::to_string(i), "rescale factor is not finite");
      out.amounts[i] *= rescale[i];
    }
  }
  if (const Resource* r = g.find("distributions")) {
    const NpyArray a = load_array(pkg, g, *r);
    check_count(a);
    for (const char* field : {"uncertainty_type", "loc", "scale", "shape", "minimum", "maximum", "negative"})
      if (!a.has_field(field))
        fail(a.file(), std::string("distributions need the stats_arrays field '") + field +
                           "', dtype is " + a.descr());
    const auto type = a.as_int("uncertainty_type");
    const auto loc = a.as_double("loc"), scale = a.as_double("scale"), shape = a.as_double("shape");
    const auto minimum = a.as_double("minimum"), maximum = a.as_double("maximum");
    const auto negative = a.as_bool("negative");
    out.uncertainty.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
      if (type[i] < 0 || type[i] > 12)
        fail(a.file(), "entry " + std::to_string(i),
             "uncertainty_type " + std::to_string(type[i]) + " is not a stats_arrays distribution (0-12)");
      Uncertainty& u = out.uncertainty[i];
      u.type = static_cast<std::uint8_t>(type[i]);
      u.loc = loc[i];
      u.scale = scale[i];
      u.shape = shape[i];
      u.minimum = minimum[i];
      u.maximum = maximum[i];
      u.negative = negative[i];
    }
    if (!rescale.empty()) rescale_distributions(out, rescale, rescale_file);
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (out.rows[i] < 0 || out.cols[i] < 0)
      fail(out.file, "entry " + std::to_string(i),
           "negative id (row " + std::to_string(out.rows[i]) + ", col " + std::to_string(out.cols[i]) + ")");
    if (std::isinf(out.amounts[i])) fail(out.data_file, "entry " + std::to_string(i), "value is infinite");
  }
  return out;
}

// ---- ids to indices ------------------------------------------------------------------

class IdMap {
 public:
  void add(const std::vector<std::int64_t>& ids) { ids_.insert(ids_.end(), ids.begin(), ids.end()); }
  void finish() {
    std::sort(ids_.begin(), ids_.end());
    ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
  }
  Index size() const { return static_cast<Index>(ids_.size()); }
  // -1 when absent.
  Index find(std::int64_t id) const {
    auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    return (it != ids_.end() && *it == id) ? static_cast<Index>(it - ids_.begin()) : -1;
  }
  std::vector<std::string> labels() const {
    std::vector<std::string> out;
    out.reserve(ids_.size());
    for (auto id : ids_) out.push_back(std::to_string(id));
    return out;
  }

 private:
  std::vector<std::int64_t> ids_;
};

// One mapped entry waiting for the duplicate rules.
struct Pending {
  Index row, col;
  double amount;
  bool flip;
  const Uncertainty* uncertainty;  // null: none given
};

struct PositionHash {
  std::size_t operator()(const std::pair<Index, Index>& p) const noexcept {
    return std::hash<Index>()(p.first * 0x9E3779B97F4A7C15ull ^ p.second);
  }
};

// Applies matrix_utils' duplicate rules to the mapped entries of one matrix, group by group,
// and returns which survive. `batches[g]` are group g's entries; `intra[g]` / `inter[g]` its
// package's flags.
std::vector<std::vector<char>> resolve_duplicates(const std::vector<std::vector<Pending>>& batches,
                                                  const std::vector<char>& intra,
                                                  const std::vector<char>& inter,
                                                  std::int64_t& replaced) {
  std::vector<std::vector<char>> alive(batches.size());
  for (std::size_t g = 0; g < batches.size(); ++g) alive[g].assign(batches[g].size(), 1);
  const bool all_sum = std::all_of(intra.begin(), intra.end(), [](char c) { return c; });
  if (batches.size() <= 1 && all_sum) return alive;
  struct Live {
    std::size_t group = SIZE_MAX;
    std::vector<std::pair<std::size_t, std::size_t>> earlier, current;  // (group, entry)
  };
  std::unordered_map<std::pair<Index, Index>, Live, PositionHash> live;
  auto drop = [&](std::vector<std::pair<std::size_t, std::size_t>>& ids) {
    for (auto [g, e] : ids) {
      alive[g][e] = 0;
      ++replaced;
    }
    ids.clear();
  };
  for (std::size_t g = 0; g < batches.size(); ++g) {
    for (std::size_t e = 0; e < batches[g].size(); ++e) {
      Live& l = live[{batches[g][e].row, batches[g][e].col}];
      if (l.group != g) {
        if (inter[g]) {
          l.earlier.insert(l.earlier.end(), l.current.begin(), l.current.end());
          l.current.clear();
        } else {
          drop(l.earlier);
          drop(l.current);
        }
        l.group = g;
      } else if (!intra[g]) {
        drop(l.current);
      }
      l.current.emplace_back(g, e);
    }
  }
  return alive;
}

// bw2calc's consistent_global_index: the "global_index" of every characterisation indices
// resource of every package (absent counts as a value of its own); more than one value is an
// error. nullopt when none gives one.
std::optional<std::int64_t> consistent_global_index(const std::vector<Package>& packages) {
  const Package* first_package = nullptr;
  const Resource* first = nullptr;
  auto describe = [](const Package& pkg, const Resource& r) {
    return pkg.source->display("datapackage.json") + " resource " + std::to_string(r.number) +
           " (" + r.name + ")";
  };
  auto value = [](const Resource& r) {
    return r.global_index ? "global_index " + std::to_string(*r.global_index)
                          : std::string("no global_index");
  };
  for (const Package& pkg : packages) {
    for (const Resource& r : pkg.resources) {
      if (matrix_kind(r.matrix) != Kind::Characterization || r.kind != "indices") continue;
      if (first == nullptr) {
        first_package = &pkg;
        first = &r;
      } else if (r.global_index != first->global_index) {
        fail(describe(pkg, r),
             "has " + value(r) + " but " + describe(*first_package, *first) + " has " +
                 value(*first) + ": the characterization factors of one calculation need one global location "
                 "(bw2calc raises InconsistentGlobalIndex)");
      }
    }
  }
  return first != nullptr ? first->global_index : std::nullopt;
}

std::string identifier_name(const json& identifier) {
  if (identifier.is_string()) return identifier.get<std::string>();
  if (identifier.is_array()) {
    std::string out;
    for (const json& part : identifier) {
      if (!out.empty()) out += ", ";
      out += part.is_string() ? part.get<std::string>() : part.dump();
    }
    return out;
  }
  return identifier.dump();
}

// A row of C: one per identifier (a method), else one per group.
struct CategoryRow {
  std::string id, name, package, group;
};

// The categories of the characterisation groups; category_of_group[i] is group i's row.
std::vector<CategoryRow> categories_of(const std::vector<GroupData>& cf,
                                       std::vector<Index>& category_of_group) {
  std::vector<CategoryRow> categories;
  std::unordered_map<std::string, Index> category_of_key;
  category_of_group.assign(cf.size(), 0);
  for (std::size_t i = 0; i < cf.size(); ++i) {
    const GroupData& g = cf[i];
    std::string key, id, name;
    if (!g.identifier.is_null()) {
      key = "identifier:" + g.identifier.dump();
      id = g.identifier.dump();
      name = identifier_name(g.identifier);
    } else {
      key = "group:" + std::to_string(reinterpret_cast<std::uintptr_t>(g.group));
      id = name = g.group->label;
    }
    auto [it, inserted] = category_of_key.emplace(key, static_cast<Index>(categories.size()));
    if (inserted) {
      for (const CategoryRow& c : categories)
        if (c.id == id) id += " (" + g.package->name + ")";
      categories.push_back({id, name, g.package->name, g.group->label});
    }
    category_of_group[i] = it->second;
  }
  return categories;
}

// The row and column indices of every group: products x activities, flows x activities,
// categories x flows.
struct Indices {
  IdMap products, activities, flows;
  std::vector<Index> category_of_group;
  std::optional<std::int64_t> global_index;
};

// One group's entries at their matrix positions, after the masks (unlinked biosphere entries,
// regionalised and unmatched factors) and the NaN rule.
std::vector<Pending> place_group(int kind, std::size_t gi, const GroupData& g, const Indices& ix,
                                 const DatapackageOptions& options, DatapackageReport& rep) {
  std::vector<Pending> batch;
  batch.reserve(g.rows.size());
  for (std::size_t i = 0; i < g.rows.size(); ++i) {
    Index row = -1, col = -1;
    if (kind == 0) {
      row = ix.products.find(g.rows[i]);
      col = ix.activities.find(g.cols[i]);
    } else if (kind == 1) {
      row = ix.flows.find(g.rows[i]);
      col = ix.activities.find(g.cols[i]);
      if (col < 0) {
        if (options.strict)
          fail(g.file, "entry " + std::to_string(i),
               "activity id " + std::to_string(g.cols[i]) + " is not in the technosphere");
        ++rep.unlinked_biosphere_entries;
        continue;
      }
    } else {
      if (ix.global_index && g.cols[i] != *ix.global_index) {
        ++rep.regionalized_factors_skipped;
        continue;
      }
      row = ix.category_of_group[gi];
      col = ix.flows.find(g.rows[i]);
      if (col < 0) {
        ++rep.unmatched_characterization_factors;
        continue;
      }
    }
    if (std::isnan(g.amounts[i])) {
      if (!options.skip_nan)
        fail(g.data_file, "entry " + std::to_string(i),
             "value is NaN (matrix_utils reads NaN as 'no value'; set skip_nan to do the same)");
      ++rep.nan_entries_skipped;
      continue;
    }
    batch.push_back({row, col, g.amounts[i], !g.flip.empty() && g.flip[i],
                     g.uncertainty.empty() ? nullptr : &g.uncertainty[i]});
  }
  return batch;
}

// Adds one matrix's entries to the builder: duplicates resolved as bw2calc does (within one
// matrix; for characterisation within one category, which the (category, flow) position
// ensures), then each surviving entry with its uncertainty.
void add_matrix(int kind, const std::vector<GroupData>& groups,
                std::vector<std::vector<Pending>>& batches, ModelBuilder& builder,
                DatapackageReport& rep) {
  static constexpr MatrixKind kinds[3] = {MatrixKind::Technosphere, MatrixKind::Biosphere,
                                          MatrixKind::Characterization};
  std::int64_t* counters[3] = {&rep.technosphere_entries, &rep.biosphere_entries,
                               &rep.characterization_entries};
  std::vector<char> intra, inter;
  for (const GroupData& g : groups) {
    intra.push_back(g.package->sum_intra);
    inter.push_back(g.package->sum_inter);
  }
  const auto alive = resolve_duplicates(batches, intra, inter, rep.replaced_entries);
  std::size_t total = 0;
  for (const auto& b : batches) total += b.size();
  builder.reserve(kinds[kind], total);
  for (std::size_t g = 0; g < batches.size(); ++g) {
    for (std::size_t e = 0; e < batches[g].size(); ++e) {
      if (!alive[g][e]) continue;
      const Pending& p = batches[g][e];
      if (p.uncertainty != nullptr)
        builder.add(kinds[kind], Entry{p.row, p.col, p.amount, p.flip}, *p.uncertainty);
      else
        builder.add(kinds[kind], p.row, p.col, p.amount, p.flip);
      ++*counters[kind];
    }
  }
}

void set_labels(ModelBuilder& builder, Indices& ix, std::vector<CategoryRow> categories) {
  Labels act(ix.activities.size());
  act.set_column("id", ix.activities.labels());
  act.set_column("product", ix.products.labels());
  builder.set_activities(std::move(act));
  if (ix.flows.size() > 0) {
    Labels fl(ix.flows.size());
    fl.set_column("id", ix.flows.labels());
    builder.set_flows(std::move(fl));
  }
  if (categories.empty()) return;
  std::vector<std::string> ids, names, pkgs, grps;
  for (CategoryRow& c : categories) {
    ids.push_back(std::move(c.id));
    names.push_back(std::move(c.name));
    pkgs.push_back(std::move(c.package));
    grps.push_back(std::move(c.group));
  }
  Labels cat(static_cast<Index>(ids.size()));
  cat.set_column("id", std::move(ids));
  cat.set_column("name", std::move(names));
  cat.set_column("package", std::move(pkgs));
  cat.set_column("group", std::move(grps));
  builder.set_categories(std::move(cat));
}

}  // namespace

Model read_datapackages(std::span<const fs::path> paths, const DatapackageOptions& options,
                        DatapackageReport* report) {
  if (paths.empty()) throw InvalidInputError("read_datapackages: no datapackages given");
  DatapackageReport local;
  DatapackageReport& rep = report != nullptr ? *report : local;
  rep = DatapackageReport{};

  std::vector<Package> packages;
  packages.reserve(paths.size());
  for (const fs::path& p : paths) packages.push_back(load_package(p, &rep));
  Indices ix;
  ix.global_index = consistent_global_index(packages);

  std::vector<GroupData> groups[3];
  for (const Package& pkg : packages)
    for (const Group& g : pkg.groups)
      if (auto data = load_group(pkg, g, &rep)) groups[static_cast<int>(g.kind)].push_back(std::move(*data));

  auto all_names = [&] {
    std::string names;
    for (const fs::path& p : paths) names += (names.empty() ? "" : ", ") + detail::display(p);
    return names;
  };
  std::size_t tech_count = 0;
  for (const GroupData& g : groups[0]) tech_count += g.rows.size();
  if (tech_count == 0) fail(all_names(), "no technosphere_matrix data: nothing to build a model from");

  // Technosphere: products (rows) and activities (columns), each sorted by id.
  for (const GroupData& g : groups[0]) {
    ix.products.add(g.rows);
    ix.activities.add(g.cols);
  }
  ix.products.finish();
  ix.activities.finish();
  if (ix.products.size() != ix.activities.size())
    fail(all_names(), "technosphere is not square: " + std::to_string(ix.products.size()) +
                          " products (rows) and " + std::to_string(ix.activities.size()) +
                          " activities (columns)");
  for (const GroupData& g : groups[1]) ix.flows.add(g.rows);
  ix.flows.finish();
  std::vector<CategoryRow> categories = categories_of(groups[2], ix.category_of_group);

  std::vector<std::vector<Pending>> batches[3];
  for (int kind = 0; kind < 3; ++kind)
    for (std::size_t gi = 0; gi < groups[kind].size(); ++gi)
      batches[kind].push_back(place_group(kind, gi, groups[kind][gi], ix, options, rep));

  ModelBuilder builder(ix.activities.size(), ix.flows.size(),
                       static_cast<Index>(categories.size()));
  for (int kind = 0; kind < 3; ++kind) add_matrix(kind, groups[kind], batches[kind], builder, rep);
  set_labels(builder, ix, std::move(categories));
  return builder.build();
}

Model read_datapackage(const fs::path& package, const DatapackageOptions& options,
                       DatapackageReport* report) {
  return read_datapackages(std::span<const fs::path>(&package, 1), options, report);
}

// ---- rescale ------------------------------------------------------------------------------

void rescale_uncertainty(double factor, double& amount, bool& flip, Uncertainty& u) {
  if (!std::isfinite(factor))
    throw InvalidInputError("rescale factor " + std::to_string(factor) + " is not finite");
  if (!u.is_uncertain() || factor == 1.0) return;
  if (factor == 0.0) {
    u.type = 0;
    amount = 0.0;
    return;
  }
  const double a = std::abs(factor);
  if (factor < 0.0) {
    flip = !flip;
    amount = -amount;
  }
  if (a == 1.0) return;
  const int t = u.type;
  if (t == 6 || t == 7) {
    std::ostringstream r;
    r << factor;
    throw InvalidInputError("uncertainty type " + std::to_string(t) + " (" + distribution_name(t) +
                            ") with rescale factor " + r.str() +
                            ": hiili cannot sample a multiple of Bernoulli or discrete uniform "
                            "distributions");
  }
  if (t == 10) {  // beta: the default support [0, 1] becomes [0, a]
    if (std::isnan(u.minimum)) u.minimum = 0.0;
    if (std::isnan(u.maximum)) u.maximum = 1.0;
  }
  if (t == 12 && std::isnan(u.scale)) u.scale = 1.0;
  if (t == 2) u.loc += mc::log(a);  // a exp(mu + sigma z) = exp(mu + ln a + sigma z)
  const bool location = t == 3 || t == 4 || t == 5 || t == 8 || t == 9 || t == 11 || t == 12;
  const bool spread = t == 3 || t == 8 || t == 9 || t == 11 || t == 12;
  if (location) u.loc *= a;
  if (spread) u.scale *= a;
  u.minimum *= a;  // NaN (no bound) stays NaN, infinite bounds stay infinite
  u.maximum *= a;
}

// ---- ids in demands ----------------------------------------------------------------------

namespace {

Index find_id(const Model& model, const Labels& labels, const char* column, std::int64_t id,
              const char* what) {
  if (!labels.has_column(column))
    throw InvalidInputError(std::string("the model has no Brightway ") + what +
                            " ids (label column \"" + column + "\"): was it read from a datapackage?");
  const std::string key = std::to_string(id);
  const auto& values = labels.column(column);
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] == key) return static_cast<Index>(i);
  (void)model;
  return -1;
}

}  // namespace

Index brightway_product_index(const Model& model, std::int64_t product_id) {
  const Index i = find_id(model, model.activities(), "product", product_id, "product");
  if (i >= 0) return i;
  if (model.activities().has_column("id") &&
      find_id(model, model.activities(), "id", product_id, "activity") >= 0)
    throw InvalidInputError("id " + std::to_string(product_id) +
                            " is an activity, not a product: a demand names products");
  throw InvalidInputError("id " + std::to_string(product_id) + " is not a product of the model");
}

Index brightway_activity_index(const Model& model, std::int64_t activity_id) {
  const Index i = find_id(model, model.activities(), "id", activity_id, "activity");
  if (i < 0)
    throw InvalidInputError("id " + std::to_string(activity_id) + " is not an activity of the model");
  return i;
}

Index brightway_flow_index(const Model& model, std::int64_t flow_id) {
  const Index i = find_id(model, model.flows(), "id", flow_id, "flow");
  if (i < 0) throw InvalidInputError("id " + std::to_string(flow_id) + " is not a flow of the model");
  return i;
}

SparseDemand brightway_demand(const Model& model,
                              std::span<const std::pair<std::int64_t, double>> demand) {
  SparseDemand out;
  out.reserve(demand.size());
  for (const auto& [id, amount] : demand) {
    if (!std::isfinite(amount))
      throw InvalidInputError("demand for product " + std::to_string(id) + " is not finite");
    out.emplace_back(brightway_product_index(model, id), amount);
  }
  return out;
}

}  // namespace hiili::io
