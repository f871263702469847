// CSV triplet reader and writer: A.csv, B.csv, C.csv with "row,col,value" lines.
#include <algorithm>
#include <array>
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

enum Column { kRow, kCol, kValue, kFlip, kType, kLoc, kScale, kShape, kMin, kMax, kNegative, kCount };
constexpr std::array<const char*, kCount> kNames = {
    "row", "col", "value", "flip", "uncertainty_type", "loc", "scale", "shape", "minimum", "maximum", "negative"};

std::string lower(std::string_view s) {
  std::string out(detail::trim(s));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<bool> parse_bool(std::string_view text) {
  const std::string t = lower(text);
  if (t.empty() || t == "false" || t == "0" || t == "f" || t == "no") return false;
  if (t == "true" || t == "1" || t == "t" || t == "yes") return true;
  return std::nullopt;
}

// Entries of one triplet file; indices are checked against `limits` (rows, cols) when given,
// else only against kMaxDimension. Records the largest indices seen.
struct Parsed {
  detail::TripletMatrix matrix;
  Index max_row = -1, max_col = -1;
};

// Bounds known from label tables, checked on each line.
struct Limits {
  std::optional<Index> rows, cols;
  const char* rows_what;
  const char* cols_what;
};

Parsed parse_triplets(const fs::path& path, const Limits& limits) {
  const std::string name = detail::display(path);
  const std::string bytes = detail::read_file(path);
  const std::string_view text = detail::text_content(name, bytes);
  if (detail::trim(text).empty()) fail(name, "empty file, expected row,col,value lines");
  detail::CsvReader csv(name, text);
  std::vector<std::string> fields;
  std::array<int, kCount> where;  // field position of each column, -1 if absent
  where.fill(-1);
  Parsed out;
  out.matrix.file = name;
  bool header = false;
  if (!csv.next(fields)) fail(name, "empty file");
  if (!detail::parse_int(detail::trim(fields[0]))) {
    header = true;
    for (std::size_t f = 0; f < fields.size(); ++f) {
      const std::string key = lower(fields[f]);
      const auto it = std::find(kNames.begin(), kNames.end(), key);
      if (it == kNames.end())
        fail(name, "line 1", "unknown column " + detail::quote(fields[f]) +
                                 " (row, col, value, flip, uncertainty_type, loc, scale, shape, "
                                 "minimum, maximum, negative)");
      int& slot = where[static_cast<std::size_t>(it - kNames.begin())];
      if (slot >= 0) fail(name, "line 1", "duplicate column " + detail::quote(fields[f]));
      slot = static_cast<int>(f);
    }
    for (int c : {kRow, kCol, kValue})
      if (where[static_cast<std::size_t>(c)] < 0)
        fail(name, "line 1", std::string("the header has no '") + kNames[static_cast<std::size_t>(c)] + "' column");
  } else {
    where[kRow] = 0;
    where[kCol] = 1;
    where[kValue] = 2;
  }
  const std::size_t width = header ? fields.size() : 3;
  bool uncertain = false;
  for (int c = kType; c < kCount; ++c) uncertain |= where[static_cast<std::size_t>(c)] >= 0;
  auto& entries = out.matrix.entries;
  entries.reserve(std::min<std::size_t>(bytes.size() / 6 + 1, 1u << 24));
  bool have = !header;
  while (have || csv.next(fields)) {
    have = false;
    if (fields.size() != width)
      fail(name, csv.where(), "has " + std::to_string(fields.size()) + " fields, expected " +
                                  std::to_string(width));
    auto field = [&](int c) { return detail::trim(fields[static_cast<std::size_t>(where[static_cast<std::size_t>(c)])]); };
    const auto r = detail::parse_int(field(kRow)), c = detail::parse_int(field(kCol));
    if (!r || !c) fail(name, csv.where(), "row and col must be integers (0-based)");
    if (*r < 0 || *c < 0) fail(name, csv.where(), "negative index (indices are 0-based)");
    if (*r >= detail::kMaxDimension || *c >= detail::kMaxDimension)
      fail(name, csv.where(), "index beyond the dimension limit of " + std::to_string(detail::kMaxDimension));
    if ((limits.rows && *r >= *limits.rows) || (limits.cols && *c >= *limits.cols))
      fail(name, csv.where(),
           std::string("entry (") + std::to_string(*r) + ", " + std::to_string(*c) +
               ") is outside the " + (limits.rows ? std::to_string(*limits.rows) : std::string("?")) +
               " " + limits.rows_what + " x " +
               (limits.cols ? std::to_string(*limits.cols) : std::string("?")) + " " +
               limits.cols_what + " the label tables give");
    const auto v = detail::parse_double(field(kValue));
    if (!v) fail(name, csv.where(), "value " + detail::quote(field(kValue)) + " is not a number");
    if (!std::isfinite(*v)) fail(name, csv.where(), "value is not finite");
    Entry e{*r, *c, *v, false};
    if (where[kFlip] >= 0) {
      const auto flip = parse_bool(field(kFlip));
      if (!flip) fail(name, csv.where(), "flip " + detail::quote(field(kFlip)) + " is not true/false");
      e.flip = *flip;
    }
    if (uncertain) {
      Uncertainty u;
      if (where[kType] >= 0 && !field(kType).empty()) {
        const auto t = detail::parse_int(field(kType));
        if (!t || *t < 0 || *t > 12)
          fail(name, csv.where(), "uncertainty_type " + detail::quote(field(kType)) + " is not 0-12");
        u.type = static_cast<std::uint8_t>(*t);
      }
      double* targets[] = {&u.loc, &u.scale, &u.shape, &u.minimum, &u.maximum};
      for (int k = kLoc; k <= kMax; ++k) {
        if (where[static_cast<std::size_t>(k)] < 0 || field(k).empty()) continue;
        const auto x = detail::parse_double(field(k));
        if (!x) fail(name, csv.where(), std::string(kNames[static_cast<std::size_t>(k)]) + " is not a number");
        *targets[k - kLoc] = *x;
      }
      if (where[kNegative] >= 0) {
        const auto neg = parse_bool(field(kNegative));
        if (!neg) fail(name, csv.where(), "negative is not true/false");
        u.negative = *neg;
      }
      out.matrix.uncertainty.push_back(u);
    }
    out.max_row = std::max<Index>(out.max_row, e.row);
    out.max_col = std::max<Index>(out.max_col, e.col);
    entries.push_back(e);
  }
  return out;
}

// A size inferred from indices must be backed by data: at most a few times the entry count.
void check_inferred(const std::string& file, const char* what, Index value, std::size_t entries) {
  if (value > detail::kUncheckedDimension && static_cast<std::size_t>(value) / 64 > entries)
    fail(file, std::string(what) + " " + std::to_string(value) +
                   " implied by the largest index is implausible for " + std::to_string(entries) +
                   " entries; give a label table for the size");
}

}  // namespace

Model read_csv_triplets(const fs::path& folder, const MatrixFilesOptions& options) {
  std::error_code ec;
  const std::string name = detail::display(folder);
  if (!fs::is_directory(folder, ec)) fail(name, "not a folder (expected A.csv, B.csv, C.csv in a folder)");
  const fs::path a_file = folder / "A.csv", b_file = folder / "B.csv", c_file = folder / "C.csv";
  if (!fs::is_regular_file(a_file, ec)) fail(detail::display(a_file), "no such file (the technosphere is required)");
  auto activities = detail::read_optional_labels(folder / "activities.csv", std::nullopt);
  auto flows = detail::read_optional_labels(folder / "flows.csv", std::nullopt);
  auto categories = detail::read_optional_labels(folder / "categories.csv", std::nullopt);
  auto size = [](const std::optional<Labels>& l) {
    return l ? std::optional<Index>(l->size()) : std::nullopt;
  };
  Parsed A = parse_triplets(a_file, {size(activities), size(activities), "activities", "activities"});
  std::optional<Parsed> B, C;
  if (fs::is_regular_file(b_file, ec))
    B = parse_triplets(b_file, {size(flows), size(activities), "flows", "activities"});
  if (fs::is_regular_file(c_file, ec))
    C = parse_triplets(c_file, {size(categories), size(flows), "categories", "flows"});
  if (C && !B) fail(detail::display(c_file), "characterisation C given without a biosphere B.csv");

  Index n = activities ? activities->size()
                       : std::max({A.max_row, A.max_col, B ? B->max_col : Index{-1}}) + 1;
  Index m = flows ? flows->size() : std::max(B ? B->max_row : Index{-1}, C ? C->max_col : Index{-1}) + 1;
  Index k = categories ? categories->size() : (C ? C->max_row + 1 : 0);
  if (!activities) check_inferred(A.matrix.file, "activity count", n, A.matrix.entries.size());
  if (!flows && B) check_inferred(B->matrix.file, "flow count", m, B->matrix.entries.size());
  if (!categories && C) check_inferred(C->matrix.file, "category count", k, C->matrix.entries.size());
  if (n == 0) fail(A.matrix.file, "no entries: the technosphere is empty");

  A.matrix.rows = A.matrix.cols = n;
  detail::TripletMatrix Bm, Cm;
  if (B) {
    Bm = std::move(B->matrix);
    Bm.rows = m;
    Bm.cols = n;
  }
  if (C) {
    Cm = std::move(C->matrix);
    Cm.rows = k;
    Cm.cols = m;
  }
  if (flows && !B && flows->size() > 0)
    fail(detail::display(folder / "flows.csv"), "flow labels given without a biosphere B.csv");
  return detail::build_model(std::move(A.matrix), std::move(Bm), std::move(Cm), std::move(activities),
                             std::move(flows), std::move(categories), options);
}

void write_csv_triplets(const Model& model, const fs::path& folder) {
  const char* files[3] = {"A.csv", "B.csv", "C.csv"};
  const MatrixKind kinds[3] = {MatrixKind::Technosphere, MatrixKind::Biosphere, MatrixKind::Characterization};
  std::error_code ec;
  fs::create_directories(folder, ec);
  for (int i = 0; i < 3; ++i) {
    const MatrixData& d = model.data(kinds[i]);
    const fs::path file = folder / files[i];
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(detail::display(file) + ": cannot open for writing");
    const bool flip = std::any_of(d.entries.begin(), d.entries.end(), [](const Entry& e) { return e.flip; });
    const bool unc = d.has_uncertainty();
    out << "row,col,value";
    if (flip) out << ",flip";
    if (unc) out << ",uncertainty_type,loc,scale,shape,minimum,maximum,negative";
    out << '\n';
    for (std::size_t e = 0; e < d.entries.size(); ++e) {
      const Entry& x = d.entries[e];
      out << x.row << ',' << x.col << ',' << detail::format_double(x.amount);
      if (flip) out << (x.flip ? ",true" : ",false");
      if (unc) {
        const Uncertainty& u = d.uncertainty[e];
        out << ',' << static_cast<int>(u.type);
        for (double v : {u.loc, u.scale, u.shape, u.minimum, u.maximum})
          out << ',' << detail::format_double(v, /*empty_for_nonfinite=*/true);
        out << (u.negative ? ",true" : ",false");
      }
      out << '\n';
    }
    out.close();
    if (!out) throw Error(detail::display(file) + ": write failed");
  }
  detail::write_model_labels(model, folder);
}

}  // namespace hiili::io
