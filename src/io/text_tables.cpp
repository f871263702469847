#include "io/text_tables.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <system_error>
#include <unordered_map>

#include "hiili/error.hpp"
#include "io/util.hpp"

namespace hiili::io::detail {

namespace fs = std::filesystem;

// ---- CSV ------------------------------------------------------------------------------

CsvReader::CsvReader(std::string file, std::string_view text, char delimiter)
    : file_(std::move(file)), text_(text), delimiter_(delimiter) {}

bool CsvReader::next(std::vector<std::string>& fields) {
  const std::size_t size = text_.size();
  // Skip blank lines.
  while (pos_ < size) {
    if (text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    } else if (text_[pos_] == '\r' && (pos_ + 1 == size || text_[pos_ + 1] == '\n')) {
      ++pos_;
    } else {
      break;
    }
  }
  if (pos_ >= size) return false;
  record_line_ = line_;
  std::size_t count = 0;
  while (true) {
    if (count == fields.size()) fields.emplace_back();
    std::string& field = fields[count++];
    field.clear();
    if (pos_ < size && text_[pos_] == '"') {
      ++pos_;
      while (true) {
        const std::size_t quote = text_.find('"', pos_);
        if (quote == std::string_view::npos)
          fail(file_, "line " + std::to_string(record_line_), "unterminated quoted field");
        const std::string_view chunk = text_.substr(pos_, quote - pos_);
        for (char c : chunk) line_ += c == '\n';
        field.append(chunk);
        pos_ = quote + 1;
        if (pos_ < size && text_[pos_] == '"') {
          field += '"';
          ++pos_;
          continue;
        }
        break;
      }
      if (pos_ < size && text_[pos_] == '\r' && pos_ + 1 < size && text_[pos_ + 1] == '\n') ++pos_;
      if (pos_ < size && text_[pos_] != delimiter_ && text_[pos_] != '\n')
        fail(file_, "line " + std::to_string(line_), "text after the closing quote of a field");
    } else {
      std::size_t end = pos_;
      while (end < size && text_[end] != delimiter_ && text_[end] != '\n') ++end;
      std::string_view value = text_.substr(pos_, end - pos_);
      if (!value.empty() && value.back() == '\r' && (end == size || text_[end] == '\n'))
        value.remove_suffix(1);
      field.assign(value);
      pos_ = end;
    }
    if (pos_ < size && text_[pos_] == delimiter_) {
      ++pos_;
      continue;
    }
    if (pos_ < size && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
    break;
  }
  fields.resize(count);
  return true;
}

std::string csv_field(std::string_view text) {
  const bool needs = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!needs) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string format_double(double value, bool empty_for_nonfinite) {
  if (!std::isfinite(value) && empty_for_nonfinite) return {};
  char buf[40];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}

void write_text_file(const fs::path& file, const std::string& content) {
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(display(file) + ": cannot open for writing");
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) throw Error(display(file) + ": write failed");
}

// ---- label tables ----------------------------------------------------------------------

namespace {

std::size_t line_of_offset(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

}  // namespace

Labels read_label_csv(const fs::path& path, std::optional<Index> expected) {
  const std::string name = display(path);
  const std::string bytes = read_file(path, kMaxJsonMetadataBytes);
  const std::string_view text = text_content(name, bytes);
  if (const auto bad = find_invalid_utf8(text); bad != std::string_view::npos)
    fail(name, "line " + std::to_string(line_of_offset(text, bad)),
         "invalid UTF-8 (byte " + std::to_string(bad) + "); label files must be UTF-8");
  CsvReader csv(name, text);
  std::vector<std::string> header, row;
  if (!csv.next(header)) fail(name, "empty file, expected a header line of column names");
  for (std::size_t c = 0; c < header.size(); ++c) {
    header[c] = std::string(trim(header[c]));
    if (header[c].empty()) fail(name, "line 1", "column " + std::to_string(c + 1) + " has no name");
    for (std::size_t d = 0; d < c; ++d)
      if (header[d] == header[c]) fail(name, "line 1", "duplicate column " + quote(header[c]));
  }
  std::vector<std::vector<std::string>> columns(header.size());
  std::unordered_map<std::string, std::size_t> ids;
  const auto id_column = std::find(header.begin(), header.end(), "id") - header.begin();
  while (csv.next(row)) {
    if (row.size() != header.size())
      fail(name, csv.where(), "has " + std::to_string(row.size()) + " fields, the header " +
                                  std::to_string(header.size()));
    if (expected && static_cast<Index>(columns[0].size()) >= *expected)
      fail(name, csv.where(), "more rows than the " + std::to_string(*expected) + " the matrices have");
    if (static_cast<std::size_t>(id_column) < header.size()) {
      auto [it, inserted] = ids.emplace(row[id_column], csv.line());
      if (!inserted)
        fail(name, csv.where(), "duplicate id " + quote(row[id_column]) + " (also line " +
                                    std::to_string(it->second) + ")");
    }
    for (std::size_t c = 0; c < header.size(); ++c) columns[c].push_back(std::move(row[c]));
  }
  const auto size = static_cast<Index>(columns[0].size());
  if (expected && size != *expected)
    fail(name, "has " + std::to_string(size) + " rows, the matrices have " + std::to_string(*expected));
  Labels labels(size);
  for (std::size_t c = 0; c < header.size(); ++c) labels.set_column(header[c], std::move(columns[c]));
  return labels;
}

void write_label_csv(const Labels& labels, const fs::path& file) {
  const auto names = labels.column_names();
  std::string out;
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (c > 0) out += ',';
    out += csv_field(names[c]);
  }
  out += '\n';
  for (Index i = 0; i < labels.size(); ++i) {
    for (std::size_t c = 0; c < names.size(); ++c) {
      if (c > 0) out += ',';
      out += csv_field(labels.column(names[c])[static_cast<std::size_t>(i)]);
    }
    out += '\n';
  }
  write_text_file(file, out);
}

std::optional<Labels> read_optional_labels(const fs::path& file, std::optional<Index> expected) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  return read_label_csv(file, expected);
}

void write_model_labels(const Model& model, const fs::path& folder) {
  if (!model.activities().empty()) write_label_csv(model.activities(), folder / "activities.csv");
  if (!model.flows().empty()) write_label_csv(model.flows(), folder / "flows.csv");
  if (!model.categories().empty()) write_label_csv(model.categories(), folder / "categories.csv");
}

void check_declared_dimension(std::string_view file, std::string_view what, std::int64_t value,
                              std::uint64_t file_bytes) {
  check_dimension(file, what, value);
  if (value > kUncheckedDimension && static_cast<std::uint64_t>(value) / 64 > file_bytes)
    fail(file, std::string(what) + " " + std::to_string(value) +
                   " is implausibly large for a file of " + std::to_string(file_bytes) + " bytes");
}

// ---- model assembly --------------------------------------------------------------------

void check_shapes(const TripletMatrix& A, const TripletMatrix& B, const TripletMatrix& C,
                  const MatrixFilesOptions& options) {
  if (A.rows == 0 || A.cols == 0) fail(A.file, "the technosphere A is empty (0 activities)");
  if (A.rows != A.cols)
    fail(A.file, "the technosphere A must be square, it is " + std::to_string(A.rows) + " x " +
                     std::to_string(A.cols));
  if (A.entries.empty() && !options.io_coefficients)
    fail(A.file, "the technosphere A has no entries (it would be singular)");
  if (C.present() && !B.present()) fail(C.file, "characterisation C given without a biosphere B");
  if (B.present() && B.cols != A.cols)
    fail(B.file, "the biosphere B has " + std::to_string(B.cols) + " columns, A has " +
                     std::to_string(A.cols) + " activities");
  if (C.present() && C.cols != B.rows)
    fail(C.file, "the characterisation C has " + std::to_string(C.cols) + " columns, B has " +
                     std::to_string(B.rows) + " flows");
}

Model build_model(TripletMatrix A, TripletMatrix B, TripletMatrix C, std::optional<Labels> activities,
                  std::optional<Labels> flows, std::optional<Labels> categories,
                  const MatrixFilesOptions& options) {
  check_shapes(A, B, C, options);
  const Index n = A.cols;
  const Index m = B.present() ? B.rows : 0;
  const Index k = C.present() ? C.rows : 0;
  if (activities && activities->size() != n) fail(A.file, "activity labels do not match A's size");
  if (flows && flows->size() != m) fail(B.file.empty() ? A.file : B.file, "flow labels do not match B's rows");
  if (categories && categories->size() != k)
    fail(C.file.empty() ? A.file : C.file, "category labels do not match C's rows");

  ModelBuilder builder(n, m, k);
  auto add_all = [&](MatrixKind kind, TripletMatrix& t) {
    builder.reserve(kind, t.entries.size() + (kind == MatrixKind::Technosphere && options.io_coefficients ? n : 0));
    if (kind == MatrixKind::Technosphere && options.io_coefficients)
      for (Index j = 0; j < n; ++j) builder.add(kind, j, j, 1.0);
    for (std::size_t e = 0; e < t.entries.size(); ++e) {
      Entry entry = t.entries[e];
      if (kind == MatrixKind::Technosphere && options.io_coefficients) entry.flip = !entry.flip;
      if (!t.uncertainty.empty())
        builder.add(kind, entry, t.uncertainty[e]);
      else
        builder.add(kind, entry.row, entry.col, entry.amount, entry.flip);
    }
  };
  add_all(MatrixKind::Technosphere, A);
  if (B.present()) add_all(MatrixKind::Biosphere, B);
  if (C.present()) add_all(MatrixKind::Characterization, C);
  if (activities) builder.set_activities(std::move(*activities));
  if (flows && m > 0) builder.set_flows(std::move(*flows));
  if (categories && k > 0) builder.set_categories(std::move(*categories));
  return builder.build();
}

}  // namespace hiili::io::detail
