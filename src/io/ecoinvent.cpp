// ecoinvent universal matrix export reader: semicolon-separated triplet and index files ->
// Model. The layout and the assumptions made without access to a licensed export are in
// include/hiili/io/ecoinvent.hpp and docs/formats-openlca-ecoinvent.md.
#include "hiili/io/ecoinvent.hpp"

#include <fast_float/fast_float.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "hiili/error.hpp"
#include "io/archive.hpp"
#include "io/text_tables.hpp"
#include "io/util.hpp"

namespace hiili::io {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& message) { throw FormatError(message); }

std::string shown(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 80)) out += (c == '\n' || c == '\r') ? ' ' : c;
  if (s.size() > 80) out += "...";
  return out + "'";
}

using detail::trim;  // blanks and line ends, as every reader trims

// Lower case without spaces, '_' and '-': "unit Name" and "unit_name" both give "unitname".
std::string normalize(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '_' || c == '-' || c == '\t') continue;
    out += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  }
  return out;
}

bool valid_utf8(std::string_view s) { return detail::find_invalid_utf8(s) == std::string_view::npos; }

std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One file of the export: its name in messages, and where its bytes are: a file in a folder
// (read when needed) or a member of a 7-Zip release (read already).
struct ExportFile {
  std::string shown;
  fs::path path;
  std::optional<std::string> data;
};

// The export's files by lower-case file name.
using ExportFiles = std::map<std::string, ExportFile>;

// One semicolon-separated file: read whole within max_file_bytes (io/util), its text checked
// (a UTF-8 byte order mark dropped; UTF-16 and NUL bytes refused), split into records by
// io/text_tables' CSV reader (RFC 4180 quoting, CRLF, blank lines skipped). Messages say
// "file:line".
class CsvFile {
 public:
  CsvFile(ExportFile& file, const EcoinventOptions& options)
      : name_(file.shown),
        data_(file.data ? std::move(*file.data)
                        : detail::read_file(file.path, options.max_file_bytes)),
        text_(detail::text_content(name_, data_)),
        reader_(name_, text_, ';') {}

  std::string_view text() const { return text_; }
  std::string name() const { return name_; }
  // "file:line" of the record last returned.
  std::string where() const { return name_ + ":" + std::to_string(reader_.line()); }
  long line() const { return static_cast<long>(reader_.line()); }

  // The next non-blank record; false at the end of the file.
  bool next(std::vector<std::string>& fields) {
    do {
      if (!reader_.next(fields)) return false;
    } while (fields.size() == 1 && trim(fields[0]).empty());
    if (fields.size() > kMaxFields)
      fail(where() + ": more than " + std::to_string(kMaxFields) + " fields in a record");
    return true;
  }

 private:
  static constexpr std::size_t kMaxFields = 4096;
  std::string name_;
  std::string data_;
  std::string_view text_;
  detail::CsvReader reader_;
};

std::optional<double> parse_double(std::string_view field) {
  field = trim(field);
  if (field.empty()) return std::nullopt;
  if (field.front() == '+') field.remove_prefix(1);
  double x = 0.0;
  const auto r = fast_float::from_chars(field.data(), field.data() + field.size(), x);
  if (r.ec != std::errc() || r.ptr != field.data() + field.size()) return std::nullopt;
  return x;
}

double number(const std::vector<std::string>& fields, std::size_t column, const char* name,
              const CsvFile& file) {
  if (column >= fields.size())
    fail(file.where() + ": missing field '" + name + "' (record has " +
         std::to_string(fields.size()) + " fields)");
  auto x = parse_double(fields[column]);
  if (!x) fail(file.where() + ": field '" + name + "' is not a number: " + shown(fields[column]));
  if (!std::isfinite(*x))
    fail(file.where() + ": field '" + name + "' is not finite: " + shown(fields[column]));
  return *x;
}

Index integer(const std::vector<std::string>& fields, std::size_t column, const char* name,
              Index bound, const char* bound_name, const CsvFile& file) {
  if (column >= fields.size())
    fail(file.where() + ": missing field '" + name + "' (record has " +
         std::to_string(fields.size()) + " fields)");
  const std::string_view field = trim(fields[column]);
  long long value = -1;
  const auto r = std::from_chars(field.data(), field.data() + field.size(), value);
  if (field.empty() || r.ec != std::errc() || r.ptr != field.data() + field.size())
    fail(file.where() + ": field '" + name + "' is not an integer: " + shown(fields[column]));
  if (value < 0 || value >= bound)
    fail(file.where() + ": " + name + " " + std::to_string(value) + " is out of range [0, " +
         std::to_string(bound) + ") (" + bound_name + ")");
  return static_cast<Index>(value);
}

// ---------------------------------------------------------------------------------------------
// Index files: a header with named columns, one of them "index".

enum class IndexKind { Activities, Flows, Categories };

struct IndexTable {
  Index size = 0;
  Labels labels;
};

// The position of the `index` column; an LCIA index without one takes its last column.
std::size_t index_column_of(const CsvFile& file, const std::vector<std::string>& header,
                            IndexKind kind, EcoinventReport& report) {
  std::optional<std::size_t> index_column;
  for (std::size_t c = 0; c < header.size(); ++c)
    if (normalize(header[c]) == "index") {
      if (index_column) fail(file.where() + ": header has two 'index' columns");
      index_column = c;
    }
  if (!index_column && kind == IndexKind::Categories && header.size() >= 2) {
    // The LCIA index by position: its last column is the index, as the readme orders it.
    index_column = header.size() - 1;
    report.notes.push_back(file.name() + ": no 'index' column: read the last column " +
                           shown(header.back()) + " as the index (by position)");
  }
  if (!index_column)
    fail(file.where() + ": header has no 'index' column: " + shown(file.text().substr(0, 200)));
  return *index_column;
}

// The label column names: known headers get hiili's names, others keep theirs; an LCIA index
// whose header names none of method, category, indicator is read by position.
std::vector<std::string> column_names(const CsvFile& file, const std::vector<std::string>& header,
                                      IndexKind kind, std::size_t index_column,
                                      EcoinventReport& report) {
  static const std::map<std::string, std::string> kActivities = {
      {"activityname", "name"},  {"systemprocess", "name"}, {"geography", "location"},
      {"location", "location"},  {"product", "product"},    {"referenceproduct", "product"},
      {"productname", "product"}, {"unitname", "unit"},     {"unit", "unit"},
      {"id", "id"}};
  static const std::map<std::string, std::string> kFlows = {{"name", "name"},
                                                            {"compartment", "compartment"},
                                                            {"subcompartment", "subcompartment"},
                                                            {"unitname", "unit"},
                                                            {"unit", "unit"},
                                                            {"id", "id"}};
  static const std::map<std::string, std::string> kCategories = {
      {"method", "method"}, {"category", "category"}, {"indicator", "indicator"},
      {"unitname", "unit"}, {"unit", "unit"},         {"id", "id"}};
  const auto& known = kind == IndexKind::Activities ? kActivities
                      : kind == IndexKind::Flows    ? kFlows
                                                    : kCategories;
  std::vector<std::string> names(header.size());
  // An LCIA index whose header names none of method, category, indicator: its columns are
  // taken by position (method, category, indicator, unit), as the export's readme orders them.
  bool by_position = kind == IndexKind::Categories;
  for (const auto& h : header) {
    const std::string key = normalize(h);
    by_position = by_position && key != "method" && key != "category" && key != "indicator";
  }
  static const char* kPositions[] = {"method", "category", "indicator", "unit"};
  std::size_t position = 0;
  std::string renamed;
  for (std::size_t c = 0; c < header.size(); ++c) {
    auto it = known.find(normalize(header[c]));
    names[c] = it != known.end() ? it->second : header[c];
    if (by_position && c != index_column && position < 4) {
      names[c] = kPositions[position++];
      renamed += (renamed.empty() ? "" : ", ") + shown(header[c]) + " as " + names[c];
    }
    if (names[c].empty()) names[c] = "column" + std::to_string(c);
    for (std::size_t d = 0; d < c; ++d)
      if (c != index_column && d != index_column && names[d] == names[c])
        fail(file.where() + ": header names column " + shown(names[c]) + " twice");
  }

  if (!renamed.empty())
    report.notes.push_back(file.name() + ": header names no method, category or indicator: read " +
                           renamed + " (by position)");
  return names;
}

// The "id" column, when the file has none: the name, location and product (flows: name and
// compartments; categories: method, category, indicator) joined by '|'.
void add_composite_id(IndexTable& table, IndexKind kind) {
  const Index size = table.size;
  const char* parts[3] = {"name", "location", "product"};
  if (kind == IndexKind::Flows) {
    parts[1] = "compartment";
    parts[2] = "subcompartment";
  } else if (kind == IndexKind::Categories) {
    parts[0] = "method";
    parts[1] = "category";
    parts[2] = "indicator";
  }
  std::vector<std::string> id(static_cast<std::size_t>(size));
  bool any = false;
  for (const char* part : parts) {
    if (!table.labels.has_column(part)) continue;
    const auto& values = table.labels.column(part);
    for (Index p = 0; p < size; ++p) id[p] += (any ? "|" : "") + values[p];
    any = true;
  }
  if (any) table.labels.set_column("id", std::move(id));
}

IndexTable read_index(CsvFile& file, IndexKind kind, const EcoinventOptions& options,
                      EcoinventReport& report) {
  bool latin1 = false;
  if (options.encoding == EcoinventOptions::Encoding::Latin1) {
    latin1 = true;
  } else if (options.encoding == EcoinventOptions::Encoding::Auto) {
    latin1 = !valid_utf8(file.text());
  }
  report.latin1 = report.latin1 || latin1;
  auto text = [&](std::string_view s) {
    return latin1 ? latin1_to_utf8(trim(s)) : std::string(trim(s));
  };

  std::vector<std::string> fields;
  if (!file.next(fields)) fail(file.name() + ": empty file (a header line is needed)");
  std::vector<std::string> header;
  for (const auto& f : fields) header.push_back(text(f));
  const std::size_t index_column = index_column_of(file, header, kind, report);
  const std::vector<std::string> names = column_names(file, header, kind, index_column, report);

  // Records in file order, placed by their index afterwards.
  std::vector<std::vector<std::string>> records;
  std::vector<Index> positions;
  std::vector<long> lines;
  while (file.next(fields)) {
    if (fields.size() != header.size())
      fail(file.where() + ": record has " + std::to_string(fields.size()) + " fields, the header " +
           std::to_string(header.size()));
    const std::string_view field = trim(fields[index_column]);
    long long value = -1;
    const auto r = std::from_chars(field.data(), field.data() + field.size(), value);
    if (field.empty() || r.ec != std::errc() || r.ptr != field.data() + field.size() || value < 0)
      fail(file.where() + ": 'index' is not a nonnegative integer: " + shown(field));
    positions.push_back(static_cast<Index>(value));
    lines.push_back(file.line());
    std::vector<std::string> record;
    record.reserve(fields.size());
    for (const auto& f : fields) record.push_back(text(f));
    records.push_back(std::move(record));
  }
  const Index size = static_cast<Index>(records.size());
  std::vector<Index> order(static_cast<std::size_t>(size), -1);
  for (Index r = 0; r < size; ++r) {
    const Index p = positions[r];
    const std::string where = file.name() + ":" + std::to_string(lines[r]);
    if (p >= size)
      fail(where + ": index " + std::to_string(p) + " is out of range [0, " + std::to_string(size) +
           ") (the file has " + std::to_string(size) + " records)");
    if (order[p] >= 0)
      fail(where + ": index " + std::to_string(p) + " appears twice (also line " +
           std::to_string(lines[order[p]]) + ")");
    order[p] = r;
  }

  IndexTable table;
  table.size = size;
  table.labels = Labels(size);
  bool has_id = false;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (c == index_column) continue;
    std::vector<std::string> column(static_cast<std::size_t>(size));
    for (Index p = 0; p < size; ++p) column[p] = records[order[p]][c];
    has_id = has_id || names[c] == "id";
    table.labels.set_column(names[c], std::move(column));
  }
  if (!has_id && size > 0) add_composite_id(table, kind);
  return table;
}

// ---------------------------------------------------------------------------------------------
// Triplet files.

struct TripletColumns {
  std::size_t row = 0, col = 1, value = 2;
  std::optional<std::size_t> type, variance, min, mode, max;
};

Uncertainty uncertainty_of(const std::vector<std::string>& fields, const TripletColumns& cols,
                           double coefficient, const CsvFile& file, const EcoinventOptions& options,
                           EcoinventReport& report) {
  Uncertainty u;
  if (!options.read_uncertainty || !cols.type || *cols.type >= fields.size()) return u;
  const std::string type = normalize(fields[*cols.type]);
  if (type.empty() || type == "undefined" || type == "none" || type == "0" ||
      type == "nouncertainty")
    return u;
  auto value = [&](const std::optional<std::size_t>& c) -> double {
    if (!c || *c >= fields.size()) return NAN;
    const auto x = parse_double(fields[*c]);
    if (!x && !trim(fields[*c]).empty())
      fail(file.where() + ": uncertainty field " + std::to_string(*c + 1) +
           " is not a number: " + shown(fields[*c]));
    return x.value_or(NAN);
  };
  auto reject = [&](const std::string& why, bool unsupported) {
    const std::string text =
        file.where() + ": uncertainty " + shown(fields[*cols.type]) + ": " + why;
    if (options.strict_uncertainty) fail(text);
    ++(unsupported ? report.uncertainty_unsupported : report.uncertainty_invalid);
    if (report.uncertainty_examples.size() < options.max_examples)
      report.uncertainty_examples.push_back(text);
    return Uncertainty{};
  };
  auto finite = [](double x) { return std::isfinite(x); };
  // A distribution on [lo, hi] (type 4 uniform, 5 triangular), counted in count.
  auto bounded = [&](std::uint8_t type_code, double loc, double lo, double hi,
                     std::int64_t& count) {
    u.type = type_code;
    u.loc = loc;
    u.minimum = lo;
    u.maximum = hi;
    ++count;
    return u;
  };
  if (type == "lognormal") {
    const double var = value(cols.variance);
    if (!finite(var) || !(var > 0.0)) return reject("variance must be positive", false);
    if (coefficient == 0.0) return reject("coefficient is zero", false);
    u.type = 2;
    u.loc = std::log(std::fabs(coefficient));
    u.scale = std::sqrt(var);
    u.negative = coefficient < 0.0;
    ++report.uncertain_lognormal;
    return u;
  }
  if (type == "normal") {
    const double var = value(cols.variance);
    if (!finite(var) || !(var > 0.0)) return reject("variance must be positive", false);
    u.type = 3;
    u.loc = coefficient;
    u.scale = std::sqrt(var);
    ++report.uncertain_normal;
    return u;
  }
  if (type == "triangular" || type == "triangle") {
    const double lo = value(cols.min), hi = value(cols.max);
    double mode = value(cols.mode);
    if (std::isnan(mode)) mode = coefficient;
    if (!finite(lo) || !finite(hi) || !finite(mode) || !(lo <= mode && mode <= hi && lo < hi))
      return reject("needs minValue <= mostLikelyValue <= maxValue", false);
    return bounded(5, mode, lo, hi, report.uncertain_triangular);
  }
  if (type == "uniform") {
    const double lo = value(cols.min), hi = value(cols.max);
    if (!finite(lo) || !finite(hi) || !(lo < hi)) return reject("needs minValue < maxValue", false);
    return bounded(4, coefficient, lo, hi, report.uncertain_uniform);
  }
  return reject("unsupported distribution type", true);
}

// Columns that name a row or column by its labels (index file headers) rather than by its
// position: a matrix file in such a layout is refused, saying how to convert it.
std::string label_columns(const std::vector<std::string>& header) {
  static const std::set<std::string> kLabels = {"activityname",
                                                "systemprocess",
                                                "product",
                                                "referenceproduct",
                                                "productname",
                                                "geography",
                                                "location",
                                                "name",
                                                "compartment",
                                                "subcompartment",
                                                "method",
                                                "category",
                                                "indicator",
                                                "unitname",
                                                "activityid",
                                                "productid",
                                                "flowname",
                                                "elementaryexchange",
                                                "intermediateexchange"};
  std::string named;
  for (const auto& h : header)
    if (kLabels.count(normalize(h)) != 0) named += (named.empty() ? "" : ", ") + shown(trim(h));
  return named;
}

// The refusal of a matrix file whose header is not the triplet layout.
[[noreturn]] void fail_layout(const CsvFile& file, const std::vector<std::string>& header,
                              const char* row_file, const char* col_file) {
  const std::string named = label_columns(header);
  std::string text = file.where() + ": header " + shown(file.text().substr(0, 120));
  text += named.empty() ? " needs 'row', 'column' and 'coefficient' columns"
                        : " names rows or columns by their labels (" + named + ")";
  throw FormatError(
      text +
      "; hiili reads the matrix files only as the export's readme lays them out: "
      "zero-based triplets row;column;coefficient (A_public and B_public may add "
      "uncertainty type;varianceWithPedigreeUncertainty;minValue;mostLikelyValue;"
      "maxValue), the row a position in " +
      std::string(row_file) + " and the column a position in " + col_file +
      ". To convert a table with named rows or columns, replace each name with the 'index' of "
      "its record in that index file");
}

void read_triplets(CsvFile& file, MatrixKind kind, Index rows, const char* row_file, Index cols,
                   const char* col_file, ModelBuilder& builder, const EcoinventOptions& options,
                   EcoinventReport& report) {
  std::vector<std::string> fields;
  if (!file.next(fields)) return;  // an empty file: no entries
  TripletColumns columns;
  // A first record that does not start with a number is a header.
  const std::string_view first_field = trim(fields[0]);
  long long probe = 0;
  const auto probed =
      std::from_chars(first_field.data(), first_field.data() + first_field.size(), probe);
  const bool header = first_field.empty() || probed.ec != std::errc() ||
                      probed.ptr != first_field.data() + first_field.size();
  if (header) {
    std::optional<std::size_t> row, col, value;
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const std::string name = normalize(fields[c]);
      if (name == "row" || name == "rowindex" || name == "i")
        row = c;
      else if (name == "column" || name == "col" || name == "columnindex" || name == "j")
        col = c;
      else if (name == "coefficient" || name == "value" || name == "amount")
        value = c;
      else if (name == "uncertaintytype")
        columns.type = c;
      else if (name == "variancewithpedigreeuncertainty" || name == "variance")
        columns.variance = c;
      else if (name == "minvalue" || name == "minimum")
        columns.min = c;
      else if (name == "mostlikelyvalue" || name == "mode")
        columns.mode = c;
      else if (name == "maxvalue" || name == "maximum")
        columns.max = c;
    }
    if (!row && !col && !label_columns(fields).empty())
      fail_layout(file, fields, row_file, col_file);
    if (!row && !col && !value && fields.size() >= 3) {
      // Another spelling of the triplet header: the first three columns by position.
      report.notes.push_back(file.name() + ": header " + shown(file.text().substr(0, 120)) +
                             " names no row, column or coefficient: read the first three columns "
                             "as row;column;coefficient (by position)");
      row = 0;
      col = 1;
      value = 2;
    }
    if (!row || !col || !value) fail_layout(file, fields, row_file, col_file);
    columns.row = *row;
    columns.col = *col;
    columns.value = *value;
  } else if (kind != MatrixKind::Characterization) {
    columns.type = 3;
    columns.variance = 4;
    columns.min = 5;
    columns.mode = 6;
    columns.max = 7;
  }
  const bool uncertain = kind != MatrixKind::Characterization && columns.type.has_value();
  std::int64_t count = 0;
  for (bool first = true; first ? true : file.next(fields); first = false) {
    if (first && header) continue;
    const Index row = integer(fields, columns.row, "row", rows, row_file, file);
    const Index col = integer(fields, columns.col, "column", cols, col_file, file);
    const double value = number(fields, columns.value, "coefficient", file);
    const Uncertainty u =
        uncertain ? uncertainty_of(fields, columns, value, file, options, report) : Uncertainty{};
    if (u.type != 0) {
      builder.add(kind, Entry{row, col, value, false}, u);
    } else {
      builder.add(kind, row, col, value);
    }
    ++count;
  }
  (kind == MatrixKind::Technosphere ? report.technosphere_entries
   : kind == MatrixKind::Biosphere  ? report.biosphere_entries
                                    : report.characterization_entries) = count;
}

// The files of the folder by lower-case name.
std::map<std::string, fs::path> list_folder(const fs::path& folder) {
  std::map<std::string, fs::path> files;
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  if (ec) fail(folder.string() + ": cannot list the folder: " + ec.message());
  std::size_t count = 0;
  for (const fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) fail(folder.string() + ": cannot list the folder: " + ec.message());
    if (++count > 100000) fail(folder.string() + ": more than 100000 files in the folder");
    if (!it->is_regular_file(ec)) continue;
    std::string name = it->path().filename().string();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    files.emplace(std::move(name), it->path());
  }
  return files;
}

std::optional<fs::path> pick(const std::map<std::string, fs::path>& files,
                             std::initializer_list<const char*> names) {
  for (const char* name : names) {
    auto it = files.find(name);
    if (it != files.end()) return it->second;
  }
  return std::nullopt;
}

// A 7-Zip archive (ecoinvent ships its releases so): the name ends in .7z or the file starts
// with 7-Zip's signature.
bool is_7z_archive(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".7z") return true;
  char head[6] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(head, 6);
  return in.gcount() == 6 && std::string_view(head, 6) == std::string_view("7z\xBC\xAF\x27\x1C", 6);
}

// The single subfolder of `folder` that holds ie_index.csv, if there is exactly one.
std::optional<fs::path> export_subfolder(const fs::path& folder) {
  std::optional<fs::path> found;
  std::error_code ec;
  std::size_t seen = 0;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (++seen > 1000) break;
    if (!it->is_directory(ec)) continue;
    if (!pick(list_folder(it->path()), {"ie_index.csv"})) continue;
    if (found) return std::nullopt;  // several: the user must choose
    found = it->path();
  }
  return found;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The files a universal matrix export may hold, by lower-case name.
bool export_file_name(const std::string& name) {
  static const std::set<std::string> kNames = {"ie_index.csv", "ee_index.csv", "lcia_index.csv",
                                               "a_public.csv", "a.csv",        "b_public.csv",
                                               "b.csv",        "c.csv",        "c_public.csv"};
  return kNames.count(name) != 0;
}

// A member name split into its folder ("" at the root) and its lower-case file name; nullopt
// when it lies deeper than one folder down.
std::optional<std::pair<std::string, std::string>> split_member(std::string_view name) {
  std::string path(name);
  std::replace(path.begin(), path.end(), '\\', '/');
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return std::make_pair(std::string(), lower(path));
  const std::string folder = path.substr(0, slash);
  if (folder.empty() || folder.find('/') != std::string::npos) return std::nullopt;
  return std::make_pair(folder, lower(path.substr(slash + 1)));
}

// The export inside a 7-Zip release, read in one pass (io/archive): its CSV files at the root
// of the archive or in the one folder (one level down) that holds ie_index.csv.
ExportFiles files_of_7z(const fs::path& path, const EcoinventOptions& options,
                        EcoinventReport& out) {
  detail::ArchiveLimits limits;
  limits.max_member_bytes = options.max_file_bytes;
  auto members = detail::read_7z_members(
      path,
      [](std::string_view name) {
        const auto split = split_member(name);
        return split && export_file_name(split->second);
      },
      limits);
  std::set<std::string> folders;
  for (const auto& m : members)
    if (split_member(m.name)->second == "ie_index.csv") folders.insert(split_member(m.name)->first);
  if (folders.empty())
    fail(path.string() +
         ": a 7-Zip archive without ie_index.csv at its root or one folder down "
         "(is it ecoinvent's universal matrix export?)");
  if (folders.size() > 1 && folders.count("") == 0) {
    std::string names;
    for (const auto& f : folders) names += (names.empty() ? "" : ", ") + shown(f);
    fail(path.string() + ": several folders of the archive hold ie_index.csv (" + names +
         "): extract it and give one of them");
  }
  const std::string folder = folders.count("") != 0 ? std::string() : *folders.begin();
  if (!folder.empty())
    out.notes.push_back(path.string() + ": read the export in its folder " + folder);
  ExportFiles files;
  for (auto& m : members) {
    const auto [where, name] = *split_member(m.name);
    if (where == folder)
      files.emplace(name, ExportFile{path.string() + "!/" + m.name, {}, std::move(m.data)});
  }
  return files;
}

// The export's files: a folder (or its one subfolder holding ie_index.csv) or a .7z release.
ExportFiles export_files(const fs::path& source, const EcoinventOptions& options,
                         EcoinventReport& out) {
  if (is_7z_archive(source)) return files_of_7z(source, options, out);
  std::error_code ec;
  if (!fs::is_directory(source, ec))
    fail(source.string() +
         ": not a folder (the universal matrix export is a folder of CSV files or its .7z)");
  auto paths = list_folder(source);
  if (!pick(paths, {"ie_index.csv"})) {
    // An unpacked release: the CSV files one folder down.
    if (auto inner = export_subfolder(source)) {
      out.notes.push_back(source.string() + ": read the export in its subfolder " +
                          inner->filename().string());
      paths = list_folder(*inner);
    }
  }
  ExportFiles files;
  for (auto& [name, path] : paths) files.emplace(name, ExportFile{path.string(), path, {}});
  return files;
}

ExportFile* pick(ExportFiles& files, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    auto it = files.find(name);
    if (it != files.end()) return &it->second;
  }
  return nullptr;
}

}  // namespace

std::string EcoinventReport::brief() const {
  std::ostringstream s;
  s << "ecoinvent: n=" << activities << " m=" << flows << " k=" << categories << ", A "
    << technosphere_entries << " B " << biosphere_entries << " C " << characterization_entries
    << " entries; diagonal missing " << missing_diagonal << ", negative " << negative_diagonal
    << "; duplicates " << duplicate_entries << "; uncertainty "
    << uncertain_lognormal + uncertain_normal + uncertain_uniform + uncertain_triangular
    << " (unsupported " << uncertainty_unsupported << ", invalid " << uncertainty_invalid << ")"
    << (latin1 ? "; Latin-1 text" : "");
  return s.str();
}

Model read_ecoinvent(const std::filesystem::path& folder, const EcoinventOptions& options,
                     EcoinventReport* report) {
  if (options.max_file_bytes == 0)
    throw InvalidInputError("read_ecoinvent: max_file_bytes must be positive");
  EcoinventReport local;
  EcoinventReport& out = report != nullptr ? *report : local;
  out = EcoinventReport{};
  out.source = folder.string();
  ExportFiles files = export_files(folder, options, out);

  ExportFile* const ie_path = pick(files, {"ie_index.csv"});
  ExportFile* const a_path = pick(files, {"a_public.csv", "a.csv"});
  if (!ie_path) fail(folder.string() + ": ie_index.csv is missing");
  if (!a_path) fail(folder.string() + ": A_public.csv is missing");
  ExportFile* const ee_path = pick(files, {"ee_index.csv"});
  ExportFile* const b_path = pick(files, {"b_public.csv", "b.csv"});
  ExportFile* const lcia_path = pick(files, {"lcia_index.csv"});
  ExportFile* const c_path = pick(files, {"c.csv", "c_public.csv"});
  if (b_path && !ee_path)
    fail(b_path->shown + ": the biosphere needs ee_index.csv, which is missing");
  if (c_path && !lcia_path)
    fail(c_path->shown + ": the characterisation needs LCIA_index.csv, which is missing");
  if (c_path && !ee_path)
    fail(c_path->shown + ": the characterisation needs ee_index.csv, which is missing");

  auto load_index = [&](ExportFile& export_file, IndexKind kind) {
    CsvFile file(export_file, options);
    out.files.push_back(export_file.shown);
    return read_index(file, kind, options, out);
  };
  IndexTable activities = load_index(*ie_path, IndexKind::Activities);
  if (activities.size == 0) fail(ie_path->shown + ": no activities");
  IndexTable flows = ee_path ? load_index(*ee_path, IndexKind::Flows) : IndexTable{};
  IndexTable categories =
      (lcia_path && c_path) ? load_index(*lcia_path, IndexKind::Categories) : IndexTable{};
  if (lcia_path && !c_path) {
    // An index without its matrix: read it for its labels' sake? k rows of zeros help no one.
    out.files.push_back(lcia_path->shown + " (ignored: no C.csv)");
  }

  ModelBuilder builder(activities.size, flows.size, categories.size);
  {
    CsvFile file(*a_path, options);
    out.files.push_back(a_path->shown);
    builder.reserve(MatrixKind::Technosphere,
                    std::min<std::size_t>(file.text().size() / 8, std::size_t{1} << 26));
    read_triplets(file, MatrixKind::Technosphere, activities.size, "ie_index.csv", activities.size,
                  "ie_index.csv", builder, options, out);
  }
  if (b_path) {
    CsvFile file(*b_path, options);
    out.files.push_back(b_path->shown);
    read_triplets(file, MatrixKind::Biosphere, flows.size, "ee_index.csv", activities.size,
                  "ie_index.csv", builder, options, out);
  }
  if (c_path) {
    CsvFile file(*c_path, options);
    out.files.push_back(c_path->shown);
    read_triplets(file, MatrixKind::Characterization, categories.size, "LCIA_index.csv", flows.size,
                  "ee_index.csv", builder, options, out);
  }
  builder.set_activities(std::move(activities.labels));
  if (flows.size > 0) builder.set_flows(std::move(flows.labels));
  if (categories.size > 0) builder.set_categories(std::move(categories.labels));
  Model model = builder.build();

  out.activities = model.num_activities();
  out.flows = model.num_flows();
  out.categories = model.num_categories();
  out.duplicate_entries =
      static_cast<std::int64_t>(model.technosphere().entries.size()) - model.A().nnz() +
      static_cast<std::int64_t>(model.biosphere().entries.size()) - model.B().nnz() +
      static_cast<std::int64_t>(model.characterization().entries.size()) - model.C().nnz();
  const CscMatrix& A = model.A();
  for (Index j = 0; j < A.cols; ++j) {
    bool found = false;
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p)
      if (A.row_idx[p] == j) {
        found = true;
        if (A.values[p] < 0.0) ++out.negative_diagonal;
      }
    if (!found) ++out.missing_diagonal;
  }
  return model;
}

bool is_ecoinvent(const std::filesystem::path& path) {
  try {
    std::error_code ec;
    if (is_7z_archive(path)) return true;  // a release: read_ecoinvent reads it or says why not
    if (!fs::is_directory(path, ec)) return false;
    auto files = list_folder(path);
    if (!pick(files, {"ie_index.csv"})) {
      auto inner = export_subfolder(path);
      if (!inner) return false;
      files = list_folder(*inner);
    }
    return pick(files, {"ie_index.csv"}).has_value() &&
           pick(files, {"a_public.csv", "a.csv"}).has_value();
  } catch (...) {
    return false;
  }
}

}  // namespace hiili::io
