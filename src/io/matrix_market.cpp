// Matrix Market reader and writer (https://math.nist.gov/MatrixMarket/formats.html).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <system_error>

#include "hiili/error.hpp"
#include "hiili/io/matrix_files.hpp"
#include "io/text_tables.hpp"
#include "io/util.hpp"

namespace hiili::io {

namespace fs = std::filesystem;
using detail::fail;

namespace {

// Splits a line into at most 8 whitespace-separated tokens; returns the count (9 = more).
std::size_t tokens(std::string_view line, std::string_view (&out)[8]) {
  std::size_t count = 0, i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i >= line.size()) break;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (count == 8) return 9;
    out[count++] = line.substr(start, i - start);
  }
  return count;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    const std::size_t end = text_.find('\n', pos_);
    const std::size_t stop = end == std::string_view::npos ? text_.size() : end;
    line = text_.substr(pos_, stop - pos_);
    pos_ = stop + 1;
    ++number_;
    return true;
  }
  std::string where() const { return "line " + std::to_string(number_); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t number_ = 0;
};

// What the header line says.
struct MmHeader {
  bool coordinate = true, pattern = false, sym = false, skew = false;
};

MmHeader read_header(const std::string& name, Lines& lines) {
  std::string_view line, tok[8];
  lines.next(line);
  const std::size_t nh = tokens(line, tok);
  if (nh == 0 || lower(tok[0]) != "%%matrixmarket")
    fail(name, "line 1", "not a Matrix Market file (expected a %%MatrixMarket header)");
  if (nh != 5)
    fail(name, "line 1", "header must be '%%MatrixMarket matrix <format> <field> <symmetry>'");
  const std::string object = lower(tok[1]), format = lower(tok[2]), field = lower(tok[3]),
                    symmetry = lower(tok[4]);
  if (object != "matrix") fail(name, "line 1", "object " + detail::quote(tok[1]) + " is not 'matrix'");
  if (format != "coordinate" && format != "array")
    fail(name, "line 1", "format " + detail::quote(tok[2]) + " is neither 'coordinate' nor 'array'");
  if (field != "real" && field != "integer" && field != "pattern" && field != "double")
    fail(name, "line 1", "field " + detail::quote(tok[3]) + " is not supported (real, integer, pattern)");
  if (symmetry != "general" && symmetry != "symmetric" && symmetry != "skew-symmetric")
    fail(name, "line 1",
         "symmetry " + detail::quote(tok[4]) + " is not supported (general, symmetric, skew-symmetric)");
  MmHeader h;
  h.coordinate = format == "coordinate";
  h.pattern = field == "pattern";
  h.sym = symmetry != "general";
  h.skew = symmetry == "skew-symmetric";
  if (h.pattern && !h.coordinate) fail(name, "line 1", "'pattern' needs the coordinate format");
  return h;

}

// The size line: the shape into `out` (checked against the file's size) and the number of
// entries (values, for the array format) the file must hold; reserves for them, bounded.
std::uint64_t read_size_line(const std::string& name, Lines& lines, const MmHeader& h,
                             std::string_view bytes, detail::TripletMatrix& out) {
  const bool coordinate = h.coordinate, sym = h.sym, skew = h.skew;
  std::string_view line, tok[8];
  // Size line, after comments.
  bool found = false;
  while (lines.next(line)) {
    const std::string_view t = detail::trim(line);
    if (t.empty() || t.front() == '%') continue;
    found = true;
    break;
  }
  if (!found) fail(name, "truncated: no size line after the header");
  const std::size_t ns = tokens(line, tok);
  if (ns != (coordinate ? 3u : 2u))
    fail(name, lines.where(), coordinate ? "size line must be 'rows cols entries'" : "size line must be 'rows cols'");
  std::int64_t dims[3] = {0, 0, 0};
  for (std::size_t i = 0; i < ns; ++i) {
    const auto v = detail::parse_int(tok[i]);
    if (!v) fail(name, lines.where(), "size " + detail::quote(tok[i]) + " is not an integer");
    dims[i] = *v;
  }
  detail::check_declared_dimension(name, "row count", dims[0], bytes.size());
  detail::check_declared_dimension(name, "column count", dims[1], bytes.size());
  out.rows = dims[0];
  out.cols = dims[1];
  if (sym && out.rows != out.cols) fail(name, lines.where(), "a symmetric matrix must be square");

  // Dimensions are at most kMaxDimension (1e8), so these products fit in 64 bits.
  const auto rows_u = static_cast<std::uint64_t>(out.rows), cols_u = static_cast<std::uint64_t>(out.cols);
  const std::uint64_t cells = rows_u * cols_u;
  std::uint64_t expected = 0;
  if (coordinate) {
    if (dims[2] < 0) fail(name, lines.where(), "negative entry count");
    // Duplicates are allowed (they add up), so the count is bounded by the file, not the shape:
    // an entry takes at least 4 bytes ("1 1\n").
    if (static_cast<std::uint64_t>(dims[2]) > bytes.size() / 4)
      fail(name, lines.where(), "declares " + std::to_string(dims[2]) +
                                    " entries, more than the file can hold");
    expected = static_cast<std::uint64_t>(dims[2]);
  } else {
    const std::uint64_t count = !sym ? cells : skew ? rows_u * (rows_u - (rows_u > 0)) / 2 : rows_u * (rows_u + 1) / 2;
    if (count > bytes.size()) fail(name, lines.where(), "declares more values than the file can hold");
    expected = count;
  }
  // Each entry takes at least 2 bytes ("1\n"), so the file bounds any reservation.
  out.entries.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(expected, bytes.size() / 2 + 1)));
  return expected;
}

// The entries, `expected` of them (FormatError naming the line for anything else).
void read_entries(const std::string& name, Lines& lines, const MmHeader& h,
                  std::uint64_t expected, detail::TripletMatrix& out) {
  const bool coordinate = h.coordinate, pattern = h.pattern, sym = h.sym, skew = h.skew;
  std::string_view line, tok[8];
  std::uint64_t seen = 0;
  Index ai = 0, aj = 0;  // array format: next position, column-major
  if (!coordinate && skew) ai = 1;
  while (lines.next(line)) {
    const std::size_t nt = tokens(line, tok);
    if (nt == 0 || tok[0].front() == '%') continue;
    if (seen == expected)
      fail(name, lines.where(), "more entries than the " + std::to_string(expected) + " declared");
    ++seen;
    Index i, j;
    double v = 1.0;
    if (coordinate) {
      if (nt != (pattern ? 2u : 3u))
        fail(name, lines.where(), pattern ? "expected 'row col'" : "expected 'row col value'");
      const auto r = detail::parse_int(tok[0]), c = detail::parse_int(tok[1]);
      if (!r || !c) fail(name, lines.where(), "row and column must be integers");
      if (*r < 1 || *r > out.rows || *c < 1 || *c > out.cols)
        fail(name, lines.where(), "entry (" + std::to_string(*r) + ", " + std::to_string(*c) +
                                      ") is outside the " + std::to_string(out.rows) + " x " +
                                      std::to_string(out.cols) + " matrix (indices are 1-based)");
      i = *r - 1;
      j = *c - 1;
      if (!pattern) {
        const auto parsed = detail::parse_double(tok[2]);
        if (!parsed) fail(name, lines.where(), "value " + detail::quote(tok[2]) + " is not a number");
        v = *parsed;
      }
      if (sym && i < j)
        fail(name, lines.where(), "entry above the diagonal in a symmetric file (only the lower triangle is stored)");
      if (skew && i == j) fail(name, lines.where(), "diagonal entry in a skew-symmetric file");
    } else {
      if (nt != 1) fail(name, lines.where(), "expected one value per line in the array format");
      const auto parsed = detail::parse_double(tok[0]);
      if (!parsed) fail(name, lines.where(), "value " + detail::quote(tok[0]) + " is not a number");
      v = *parsed;
      i = ai;
      j = aj;
      if (++ai == out.rows) {
        ++aj;
        ai = sym ? aj + (skew ? 1 : 0) : 0;
      }
    }
    if (!std::isfinite(v)) fail(name, lines.where(), "value is not finite");
    if (!coordinate && v == 0.0) continue;  // dense zeros are not entries
    out.entries.push_back({i, j, v, false});
    if (sym && i != j) out.entries.push_back({j, i, skew ? -v : v, false});
  }
  if (seen != expected)
    fail(name, "truncated: " + std::to_string(expected) + " entries declared, " +
                   std::to_string(seen) + " found");
}

detail::TripletMatrix parse_matrix_market(const std::string& name, std::string_view bytes) {
  const std::string_view text = detail::text_content(name, bytes);
  if (detail::trim(text).empty()) fail(name, "empty file, expected a Matrix Market header");
  Lines lines(text);
  const MmHeader header = read_header(name, lines);
  detail::TripletMatrix out;
  out.file = name;
  const std::uint64_t expected = read_size_line(name, lines, header, bytes, out);
  read_entries(name, lines, header, expected, out);
  return out;
}

detail::TripletMatrix read_matrix_market_triplets(const fs::path& file) {
  const std::string name = detail::display(file);
  const std::string bytes = detail::read_file(file);
  return parse_matrix_market(name, bytes);
}

std::optional<fs::path> find_matrix(const fs::path& folder, const char* stem) {
  for (const char* ext : {".mtx", ".mm"}) {
    const fs::path p = folder / (std::string(stem) + ext);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  return std::nullopt;
}

}  // namespace

CscMatrix read_matrix_market_matrix(const fs::path& file) {
  detail::TripletMatrix t = read_matrix_market_triplets(file);
  // Build through a one-matrix model would need a square shape; assemble CSC directly.
  CscMatrix m;
  m.rows = t.rows;
  m.cols = t.cols;
  std::vector<std::vector<std::pair<Index, double>>> columns(static_cast<std::size_t>(t.cols));
  for (const Entry& e : t.entries) columns[static_cast<std::size_t>(e.col)].emplace_back(e.row, e.value());
  m.col_ptr.assign(static_cast<std::size_t>(t.cols) + 1, 0);
  for (Index j = 0; j < t.cols; ++j) {
    auto& col = columns[static_cast<std::size_t>(j)];
    std::stable_sort(col.begin(), col.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [i, v] : col) {
      if (static_cast<Index>(m.row_idx.size()) > m.col_ptr[j] && m.row_idx.back() == i) {
        m.values.back() += v;
      } else {
        m.row_idx.push_back(i);
        m.values.push_back(v);
      }
    }
    m.col_ptr[j + 1] = static_cast<Index>(m.row_idx.size());
  }
  return m;
}

Model read_matrix_market(const fs::path& path, const MatrixFilesOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(detail::display(path), "no such file or folder");
  if (!fs::is_directory(path, ec))
    return detail::build_model(read_matrix_market_triplets(path), {}, {}, std::nullopt,
                               std::nullopt, std::nullopt, options);
  const auto a = find_matrix(path, "A");
  if (!a) fail(detail::display(path / "A.mtx"), "no such file (the technosphere is required)");
  detail::TripletMatrix A = read_matrix_market_triplets(*a), B, C;
  if (const auto b = find_matrix(path, "B")) B = read_matrix_market_triplets(*b);
  if (const auto c = find_matrix(path, "C")) C = read_matrix_market_triplets(*c);
  detail::check_shapes(A, B, C, options);
  auto activities = detail::read_optional_labels(path / "activities.csv", A.cols);
  auto flows = detail::read_optional_labels(path / "flows.csv", B.present() ? B.rows : 0);
  auto categories = detail::read_optional_labels(path / "categories.csv", C.present() ? C.rows : 0);
  return detail::build_model(std::move(A), std::move(B), std::move(C), std::move(activities),
                             std::move(flows), std::move(categories), options);
}

void write_matrix_market_matrix(const CscMatrix& matrix, const fs::path& file) {
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(detail::display(file) + ": cannot open for writing");
  out << "%%MatrixMarket matrix coordinate real general\n% written by hiili\n"
      << matrix.rows << ' ' << matrix.cols << ' ' << matrix.nnz() << '\n';
  for (Index j = 0; j < matrix.cols; ++j)
    for (Index p = matrix.col_ptr[j]; p < matrix.col_ptr[j + 1]; ++p)
      out << matrix.row_idx[p] + 1 << ' ' << j + 1 << ' ' << detail::format_double(matrix.values[p]) << '\n';
  out.close();
  if (!out) throw Error(detail::display(file) + ": write failed");
}

void write_matrix_market(const Model& model, const fs::path& folder) {
  write_matrix_market_matrix(model.A(), folder / "A.mtx");
  write_matrix_market_matrix(model.B(), folder / "B.mtx");
  write_matrix_market_matrix(model.C(), folder / "C.mtx");
  detail::write_model_labels(model, folder);
}

}  // namespace hiili::io
