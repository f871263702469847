// Internal: JSON helpers for the readers (nlohmann-json): parse with errors that name the
// file, a SAX reader of dense row-major matrices, and label tables from arrays of objects.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hiili/model.hpp"

namespace hiili::io::detail {

// Parses JSON text; FormatError "<file>: not valid JSON: <parser message>" otherwise.
nlohmann::json parse_json(std::string_view file, std::string_view text);
// Reads and parses a file (bounded by kMaxJsonMetadataBytes).
nlohmann::json read_json_file(const std::filesystem::path& path);

// A dense matrix stored row-major.
struct DenseMatrix {
  Index rows = 0;
  Index cols = 0;  // 0 when rows == 0
  std::vector<double> values;
  double operator()(Index i, Index j) const { return values[static_cast<std::size_t>(i * cols + j)]; }
};

// Reads [[a, b, ...], [c, d, ...], ...]: every row the same length, every cell a finite
// number. FormatError naming the file and the row / column otherwise.
DenseMatrix read_dense_json_matrix(const std::filesystem::path& path);
DenseMatrix parse_dense_json_matrix(std::string_view file, std::string_view text);

// How one label column is filled from the objects of a JSON array.
struct LabelField {
  const char* json_key;
  const char* column;
};

// Builds labels of `size` rows from a JSON array of objects. Each object's "index" (when
// present) gives its row, else its position; indices must be a permutation of 0..size-1.
// The `unique_column` values (e.g. "id") must be present, strings, and unique. Other fields
// that are missing become "", numbers are written as JSON text.
Labels labels_from_json(std::string_view file, const nlohmann::json& array, Index size,
                        const std::vector<LabelField>& fields, const char* unique_column);

// "<prefix> 0", "<prefix> 1", ... in columns "id" and "name".
Labels generated_labels(Index size, const std::string& prefix);

}  // namespace hiili::io::detail
