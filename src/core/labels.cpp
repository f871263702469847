#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "hiili/error.hpp"
#include "hiili/model.hpp"

namespace hiili {

void Labels::set_column(const std::string& name, std::vector<std::string> values) {
  if (static_cast<Index>(values.size()) != size_)
    throw InvalidInputError("label column '" + name + "' has " + std::to_string(values.size()) +
                            " entries, expected " + std::to_string(size_));
  for (auto& [key, column] : columns_) {
    if (key == name) {
      column = std::move(values);
      return;
    }
  }
  columns_.emplace_back(name, std::move(values));
}

bool Labels::has_column(std::string_view name) const {
  return std::any_of(columns_.begin(), columns_.end(),
                     [&](const auto& c) { return c.first == name; });
}

const std::vector<std::string>& Labels::column(std::string_view name) const {
  for (const auto& [key, column] : columns_)
    if (key == name) return column;
  throw InvalidInputError("no label column '" + std::string(name) + "'");
}

std::vector<std::string> Labels::column_names() const {
  std::vector<std::string> names;
  for (const auto& c : columns_) names.push_back(c.first);
  return names;
}

namespace {

// "#i" (built by appending: "#" + to_string makes GCC 12 warn falsely, -Wrestrict).
std::string hash_index(Index i) {
  std::string text = "#";
  text += std::to_string(i);
  return text;
}

// Candidates listed in an ambiguity message; more are counted.
constexpr std::size_t kMaxCandidates = 10;

// "'<display>' (#i), ..." for the rows an ambiguous key matched.
std::string candidates(const Labels& labels, const std::vector<Index>& rows) {
  std::string text;
  for (std::size_t r = 0; r < rows.size() && r < kMaxCandidates; ++r) {
    if (r > 0) text += ", ";
    text += "'" + labels.display(rows[r]) + "' (" + hash_index(rows[r]) + ")";
  }
  if (rows.size() > kMaxCandidates)
    text += " and " + std::to_string(rows.size() - kMaxCandidates) + " more";
  return text;
}

[[noreturn]] void ambiguous(const Labels& labels, std::string_view what, std::string_view key,
                            std::string_view by, const std::vector<Index>& rows) {
  throw InvalidInputError(std::string(what) + " '" + std::string(key) + "' is ambiguous: " +
                          std::to_string(rows.size()) + " rows match by " + std::string(by) +
                          ": " + candidates(labels, rows) + "; give one of these");
}

// The rows of `values` equal to `key`.
std::vector<Index> matches(const std::vector<std::string>& values, std::string_view key) {
  std::vector<Index> rows;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] == key) rows.push_back(static_cast<Index>(i));
  return rows;
}

// The one row of column `name` equal to `key`; nullopt when none; throws when several.
std::optional<Index> unique_match(const Labels& labels, const std::string& name,
                                  std::string_view key, std::string_view what) {
  const std::vector<Index> rows = matches(labels.column(name), key);
  if (rows.size() > 1) ambiguous(labels, what, key, "column '" + name + "'", rows);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

void add_once(std::vector<std::string>& order, const std::string& name) {
  if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
}

// The columns Labels::find looks in, in order: "id", "name", the first.
std::vector<std::string> primary_columns(const Labels& labels) {
  std::vector<std::string> order;
  if (labels.empty()) return order;
  for (const char* name : {"id", "name"})
    if (labels.has_column(name)) add_once(order, name);
  add_once(order, labels.column_names().front());
  return order;
}

// Every column in lookup order: the primary ones, then the others as stored.
std::vector<std::string> lookup_order(const Labels& labels) {
  std::vector<std::string> order = primary_columns(labels);
  for (const std::string& name : labels.column_names()) add_once(order, name);
  return order;
}

std::optional<Index> by_display(const Labels& labels, std::string_view key,
                                 std::string_view what) {
  std::vector<Index> rows;
  for (Index i = 0; i < labels.size(); ++i)
    if (labels.display(i) == key) rows.push_back(i);
  if (rows.size() > 1) ambiguous(labels, what, key, "printed label", rows);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

// "#i" or "i" as an index; nullopt when the key is not a whole number.
std::optional<Index> as_index(std::string_view key) {
  if (!key.empty() && key.front() == '#') key.remove_prefix(1);
  Index value = 0;
  const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), value);
  if (key.empty() || ec != std::errc() || end != key.data() + key.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<Index> Labels::find(std::string_view key) const {
  for (const std::string& name : primary_columns(*this))
    if (auto row = unique_match(*this, name, key, "label")) return row;
  return std::nullopt;
}

std::string Labels::display(Index i) const {
  if (columns_.empty() || i < 0 || i >= size_) return hash_index(i);
  std::string text;
  for (const char* name : {"name", "id"}) {
    if (has_column(name) && !column(name)[i].empty()) {
      text = column(name)[i];
      break;
    }
  }
  if (text.empty()) text = columns_.front().second[i];
  if (has_column("location") && !column("location")[i].empty())
    text += " [" + column("location")[i] + "]";
  if (has_column("compartment") && !column("compartment")[i].empty())
    text += " (" + column("compartment")[i] + ")";
  if (text.empty()) return hash_index(i);
  return text;
}

Index resolve_label(const Labels& labels, Index size, std::string_view key, std::string_view what) {
  if (key.empty())  // empty cells are no labels
    throw InvalidInputError("empty " + std::string(what) + " label (give a label or an index)");
  if (!labels.empty()) {
    for (const std::string& name : lookup_order(labels))
      if (auto row = unique_match(labels, name, key, what)) return *row;
    if (auto row = by_display(labels, key, what)) return *row;
  }
  if (auto index = as_index(key)) {
    if (*index < 0 || *index >= size)
      throw InvalidInputError(std::string(what) + " index " + std::to_string(*index) +
                              " out of range [0, " + std::to_string(size) + ")");
    return *index;
  }
  throw InvalidInputError("unknown " + std::string(what) + " label '" + std::string(key) +
                          "' (give an id, a name, a label as tables print it, or an index 0.." +
                          std::to_string(size - 1) + ")");
}

}  // namespace hiili
