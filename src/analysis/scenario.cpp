// Scenario: JSON form, files, and label resolution.
#include "hiili/scenario.hpp"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "hiili/error.hpp"

namespace hiili {

namespace {

using json = nlohmann::ordered_json;

const char* matrix_name(MatrixKind kind) {
  switch (kind) {
    case MatrixKind::Technosphere:
      return "A";
    case MatrixKind::Biosphere:
      return "B";
    case MatrixKind::Characterization:
      return "C";
  }
  return "?";
}

MatrixKind matrix_from(const std::string& name, const std::string& where) {
  if (name == "A" || name == "technosphere") return MatrixKind::Technosphere;
  if (name == "B" || name == "biosphere") return MatrixKind::Biosphere;
  if (name == "C" || name == "characterization") return MatrixKind::Characterization;
  throw FormatError(where + ": unknown matrix '" + name + "' (expected \"A\", \"B\" or \"C\")");
}

// An index (non-negative integer) or a label (string) from a JSON field.
void read_position(const json& change, const char* field, const std::string& where, Index& index,
                   std::string& label) {
  const auto it = change.find(field);
  if (it == change.end()) throw FormatError(where + ": missing \"" + field + "\"");
  if (it->is_string()) {
    label = it->get<std::string>();
    if (label.empty()) throw FormatError(where + ": \"" + field + "\" is an empty label");
    index = 0;
    return;
  }
  if (it->is_number_unsigned() || (it->is_number_integer() && it->get<std::int64_t>() >= 0)) {
    index = it->get<Index>();
    label.clear();
    return;
  }
  throw FormatError(where + ": \"" + field + "\" must be a non-negative integer or a label");
}

struct Tables {
  const Labels* rows;
  const Labels* cols;
  Index nrows, ncols;
  const char* row_what;
  const char* col_what;
};

Tables tables_of(const Model& model, MatrixKind kind) {
  switch (kind) {
    case MatrixKind::Technosphere:
      return {&model.activities(),    &model.activities(), model.num_activities(),
              model.num_activities(), "activity",          "activity"};
    case MatrixKind::Biosphere:
      return {&model.flows(), &model.activities(), model.num_flows(), model.num_activities(),
              "flow",         "activity"};
    case MatrixKind::Characterization:
      return {&model.categories(), &model.flows(), model.num_categories(),
              model.num_flows(),   "category",     "flow"};
  }
  throw InvalidInputError("unknown matrix");
}

Index resolve_one(const Labels& labels, Index size, Index index, const std::string& label,
                  const char* what, const char* axis, const std::string& where) {
  if (!label.empty()) {
    try {
      return resolve_label(labels, size, label, what);
    } catch (const InvalidInputError& e) {
      throw InvalidInputError(where + ", " + axis + ": " + e.what());
    }
  }
  if (index < 0 || index >= size)
    throw InvalidInputError(where + ": " + axis + " " + std::to_string(index) +
                            " out of range [0, " + std::to_string(size) + ")");
  return index;
}

}  // namespace

const char* to_string(UpdateMethod method) {
  switch (method) {
    case UpdateMethod::Unchanged:
      return "unchanged";
    case UpdateMethod::Woodbury:
      return "woodbury";
    case UpdateMethod::Refactor:
      return "refactor";
    case UpdateMethod::Factorize:
      return "factorize";
  }
  return "?";
}

std::string Scenario::to_json(int indent) const {
  json out;
  out["name"] = name;
  json list = json::array();
  for (const Change& c : changes) {
    json j;
    j["matrix"] = matrix_name(c.matrix);
    j["row"] = c.row_label.empty() ? json(c.row) : json(c.row_label);
    j["col"] = c.col_label.empty() ? json(c.col) : json(c.col_label);
    if (!std::isfinite(c.value))
      throw InvalidInputError("Scenario::to_json: change " + std::to_string(list.size()) + " of '" +
                              name + "' has a value that is not finite");
    j["value"] = c.value;
    list.push_back(std::move(j));
  }
  out["changes"] = std::move(list);
  return out.dump(indent);
}

Scenario Scenario::from_json(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {  // parse errors, numbers out of range
    throw FormatError(std::string("scenario: not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) throw FormatError("scenario: expected a JSON object");
  Scenario s;
  if (const auto it = doc.find("name"); it != doc.end()) {
    if (!it->is_string()) throw FormatError("scenario: \"name\" must be a string");
    s.name = it->get<std::string>();
  }
  const auto list = doc.find("changes");
  if (list == doc.end() || !list->is_array())
    throw FormatError("scenario '" + s.name + "': \"changes\" must be an array");
  for (std::size_t e = 0; e < list->size(); ++e) {
    const json& item = (*list)[e];
    const std::string where = "scenario '" + s.name + "', change " + std::to_string(e);
    if (!item.is_object()) throw FormatError(where + ": expected an object");
    Change c;
    const auto matrix = item.find("matrix");
    if (matrix == item.end() || !matrix->is_string())
      throw FormatError(where + ": \"matrix\" must be \"A\", \"B\" or \"C\"");
    c.matrix = matrix_from(matrix->get<std::string>(), where);
    read_position(item, "row", where, c.row, c.row_label);
    read_position(item, "col", where, c.col, c.col_label);
    const auto value = item.find("value");
    if (value == item.end() || !value->is_number())
      throw FormatError(where + ": \"value\" must be a number");
    c.value = value->get<double>();
    if (!std::isfinite(c.value)) throw FormatError(where + ": \"value\" is not finite");
    s.changes.push_back(std::move(c));
  }
  return s;
}

void Scenario::save(const std::string& path) const {
  const std::string text = to_json(2);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw FormatError("scenario: cannot write '" + path + "'");
  out << text << '\n';
  out.close();
  if (!out) throw FormatError("scenario: cannot write '" + path + "'");
}

Scenario Scenario::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError("scenario: cannot read '" + path + "'");
  // Scenarios are small; refuse anything absurd rather than read it into memory.
  constexpr std::streamoff kMaxBytes = std::streamoff(256) << 20;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || size > kMaxBytes)
    throw FormatError("scenario: '" + path + "' is larger than 256 MiB or unreadable");
  in.seekg(0);
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), size);
  if (!in) throw FormatError("scenario: cannot read '" + path + "'");
  try {
    return from_json(text);
  } catch (const FormatError& e) {
    throw FormatError(path + ": " + e.what());
  }
}

Scenario Scenario::resolved(const Model& model) const {
  Scenario out;
  out.name = name;
  std::set<std::tuple<int, Index, Index>> seen;
  for (std::size_t e = 0; e < changes.size(); ++e) {
    const Change& c = changes[e];
    const std::string where =
        "scenario '" + name + "', change " + std::to_string(e) + " (" + matrix_name(c.matrix) + ")";
    const Tables t = tables_of(model, c.matrix);
    Change r;
    r.matrix = c.matrix;
    r.row = resolve_one(*t.rows, t.nrows, c.row, c.row_label, t.row_what, "row", where);
    r.col = resolve_one(*t.cols, t.ncols, c.col, c.col_label, t.col_what, "column", where);
    if (!std::isfinite(c.value)) throw InvalidInputError(where + ": value is not finite");
    r.value = c.value;
    if (!seen.emplace(static_cast<int>(c.matrix), r.row, r.col).second)
      throw InvalidInputError(where + ": entry (" + std::to_string(r.row) + ", " +
                              std::to_string(r.col) + ") is changed twice");
    out.changes.push_back(std::move(r));
  }
  return out;
}

}  // namespace hiili
