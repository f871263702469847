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
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "hiili/error.hpp"
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
// One semicolon-separated file: read whole within max_file_bytes (io/util), its text checked
// (a UTF-8 byte order mark dropped; UTF-16 and NUL bytes refused), split into records by
// io/text_tables' CSV reader (RFC 4180 quoting, CRLF, blank lines skipped). Messages say
// "file:line".
class CsvFile {
 public:
  CsvFile(fs::path path, const EcoinventOptions& options)
      : path_(std::move(path)),
        data_(detail::read_file(path_, options.max_file_bytes)),
        text_(detail::text_content(path_.string(), data_)),
        reader_(path_.string(), text_, ';') {}

  std::string_view text() const { return text_; }
  std::string name() const { return path_.string(); }
  // "file:line" of the record last returned.
  std::string where() const { return path_.string() + ":" + std::to_string(reader_.line()); }
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
  fs::path path_;
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
    if (!row && !col && !value && fields.size() >= 3) {
      // Another spelling of the triplet header: the first three columns by position.
      report.notes.push_back(file.name() + ": header " + shown(file.text().substr(0, 120)) +
                             " names no row, column or coefficient: read the first three columns "
                             "as row;column;coefficient (by position)");
      row = 0;
      col = 1;
      value = 2;
    }
    if (!row || !col || !value)
      fail(file.where() + ": header needs 'row', 'column' and 'coefficient' columns");
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
  std::error_code ec;
  if (is_7z_archive(folder))
    fail(folder.string() + ": a 7-Zip archive, which hiili does not unpack: extract it (for example "
                           "7z x FILE) and give the folder that holds ie_index.csv and "
                           "A_public.csv");
  if (!fs::is_directory(folder, ec))
    fail(folder.string() + ": not a folder (the universal matrix export is a folder of CSV files)");
  auto files = list_folder(folder);
  if (!pick(files, {"ie_index.csv"})) {
    // An unpacked release: the CSV files one folder down.
    if (auto inner = export_subfolder(folder)) {
      out.notes.push_back(folder.string() + ": read the export in its subfolder " +
                          inner->filename().string());
      files = list_folder(*inner);
    }
  }

  const auto ie_path = pick(files, {"ie_index.csv"});
  const auto a_path = pick(files, {"a_public.csv", "a.csv"});
  if (!ie_path) fail(folder.string() + ": ie_index.csv is missing");
  if (!a_path) fail(folder.string() + ": A_public.csv is missing");
  const auto ee_path = pick(files, {"ee_index.csv"});
  const auto b_path = pick(files, {"b_public.csv", "b.csv"});
  const auto lcia_path = pick(files, {"lcia_index.csv"});
  const auto c_path = pick(files, {"c.csv", "c_public.csv"});
  if (b_path && !ee_path)
    fail(b_path->string() + ": the biosphere needs ee_index.csv, which is missing");
  if (c_path && !lcia_path)
    fail(c_path->string() + ": the characterisation needs LCIA_index.csv, which is missing");
  if (c_path && !ee_path)
    fail(c_path->string() + ": the characterisation needs ee_index.csv, which is missing");

  auto load_index = [&](const fs::path& path, IndexKind kind) {
    CsvFile file(path, options);
    out.files.push_back(path.string());
    return read_index(file, kind, options, out);
  };
  IndexTable activities = load_index(*ie_path, IndexKind::Activities);
  if (activities.size == 0) fail(ie_path->string() + ": no activities");
  IndexTable flows = ee_path ? load_index(*ee_path, IndexKind::Flows) : IndexTable{};
  IndexTable categories =
      (lcia_path && c_path) ? load_index(*lcia_path, IndexKind::Categories) : IndexTable{};
  if (lcia_path && !c_path) {
    // An index without its matrix: read it for its labels' sake? k rows of zeros help no one.
    out.files.push_back(lcia_path->string() + " (ignored: no C.csv)");
  }

  ModelBuilder builder(activities.size, flows.size, categories.size);
  {
    CsvFile file(*a_path, options);
    out.files.push_back(a_path->string());
    builder.reserve(MatrixKind::Technosphere,
                    std::min<std::size_t>(file.text().size() / 8, std::size_t{1} << 26));
    read_triplets(file, MatrixKind::Technosphere, activities.size, "ie_index.csv", activities.size,
                  "ie_index.csv", builder, options, out);
  }
  if (b_path) {
    CsvFile file(*b_path, options);
    out.files.push_back(b_path->string());
    read_triplets(file, MatrixKind::Biosphere, flows.size, "ee_index.csv", activities.size,
                  "ie_index.csv", builder, options, out);
  }
  if (c_path) {
    CsvFile file(*c_path, options);
    out.files.push_back(c_path->string());
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
    if (is_7z_archive(path)) return true;  // read_ecoinvent says which folder to give
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
