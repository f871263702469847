// A label table built from named columns in one call: the readers and the synthetic generator
// fill their columns first and hand them over together.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hiili/model.hpp"

namespace hiili {

// Column names and the vectors that hold their values (moved from, not copied).
using LabelColumns = std::vector<std::pair<const char*, std::vector<std::string>*>>;

// Labels of `size` rows holding `columns` in this order, their vectors moved into it;
// Labels::set_column throws InvalidInputError for a column of another length.
inline Labels labels_of(Index size, const LabelColumns& columns) {
  Labels labels(size);
  for (const auto& [name, values] : columns) labels.set_column(name, std::move(*values));
  return labels;
}

}  // namespace hiili
