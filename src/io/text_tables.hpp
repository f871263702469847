// Internal: CSV reading and writing (RFC 4180), label tables, number formatting, and the
// assembly of a Model from triplet matrices, shared by the Matrix Market and CSV readers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hiili/io/matrix_files.hpp"
#include "hiili/model.hpp"

namespace hiili::io::detail {

// Splits CSV text into records. Quoted fields may hold delimiters, doubled quotes and line
// breaks. Blank lines are skipped.
class CsvReader {
 public:
  CsvReader(std::string file, std::string_view text, char delimiter = ',');
  // The next record into `fields` (resized); false at the end. FormatError naming the file
  // and line for an unterminated quote or text after a closing quote.
  bool next(std::vector<std::string>& fields);
  // Line (1-based) where the last record returned began.
  std::size_t line() const { return record_line_; }
  const std::string& file() const { return file_; }
  std::string where() const { return "line " + std::to_string(record_line_); }

 private:
  std::string file_;
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t record_line_ = 0;
  char delimiter_;
};

// A label table: header line of column names, then `expected` rows (when given). Column names
// must be non-empty and unique; an "id" column must have unique values; text must be UTF-8.
Labels read_label_csv(const std::filesystem::path& file, std::optional<Index> expected);
void write_label_csv(const Labels& labels, const std::filesystem::path& file);

// A CSV field, quoted when it needs to be.
std::string csv_field(std::string_view text);
// Shortest text that reads back to the same double; "" for NaN/Inf when `empty_for_nonfinite`.
std::string format_double(double value, bool empty_for_nonfinite = false);

// Opens a file for writing (creating folders); Error when it cannot.
void write_text_file(const std::filesystem::path& file, const std::string& content);

// A matrix as read from a file: shape and entries in file order.
struct TripletMatrix {
  std::string file;  // for messages; empty when the matrix is absent
  Index rows = 0;
  Index cols = 0;
  std::vector<Entry> entries;
  std::vector<Uncertainty> uncertainty;  // empty or one per entry
  bool present() const { return !file.empty(); }
};

// Checks shapes: A square, not empty and (unless io_coefficients) with entries; B m x n;
// C k x m and only with a B. FormatError naming the file otherwise.
void check_shapes(const TripletMatrix& A, const TripletMatrix& B, const TripletMatrix& C,
                  const MatrixFilesOptions& options);

// Checks shapes (as above; labels n, m, k rows) and builds the model; with io_coefficients the
// technosphere is I - A.
Model build_model(TripletMatrix A, TripletMatrix B, TripletMatrix C, std::optional<Labels> activities,
                  std::optional<Labels> flows, std::optional<Labels> categories,
                  const MatrixFilesOptions& options);

// Label tables of a model folder, when present: activities.csv, flows.csv, categories.csv.
std::optional<Labels> read_optional_labels(const std::filesystem::path& file,
                                           std::optional<Index> expected);
void write_model_labels(const Model& model, const std::filesystem::path& folder);

// A dimension declared by a file of `file_bytes` bytes: at most kMaxDimension, and above
// 1,000,000 only when the file is large enough to make it plausible.
void check_declared_dimension(std::string_view file, std::string_view what, std::int64_t value,
                              std::uint64_t file_bytes);

}  // namespace hiili::io::detail
