#include <algorithm>
#include <string>

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

std::optional<Index> Labels::find(std::string_view key) const {
  if (columns_.empty()) return std::nullopt;
  const std::vector<std::string>* order[3] = {nullptr, nullptr, &columns_.front().second};
  if (has_column("id")) order[0] = &column("id");
  if (has_column("name")) order[1] = &column("name");
  for (const auto* values : order) {
    if (values == nullptr) continue;
    std::optional<Index> hit;
    for (Index i = 0; i < size_; ++i) {
      if ((*values)[i] != key) continue;
      if (hit)
        throw InvalidInputError("label '" + std::string(key) + "' is ambiguous: rows " +
                                std::to_string(*hit) + " and " + std::to_string(i));
      hit = i;
    }
    if (hit) return hit;
  }
  return std::nullopt;
}

}  // namespace hiili
