#include "io/json_util.hpp"

#include <cmath>
#include <system_error>
#include <unordered_map>

#include <fast_float/fast_float.h>

#include "io/util.hpp"

namespace hiili::io::detail {

namespace fs = std::filesystem;
using json = nlohmann::json;

json parse_json(std::string_view file, std::string_view text) {
  text = text_content(file, text);
  if (trim(text).empty()) fail(file, "empty file, expected JSON");
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    fail(file, std::string("not valid JSON: ") + e.what());
  }
}

json read_json_file(const fs::path& path) {
  const std::string text = read_file(path, kMaxJsonMetadataBytes);
  return parse_json(display(path), text);
}

namespace {

// Streams [[...], ...] straight into a row-major buffer: no DOM, one pass.
class DenseMatrixSax : public json::json_sax_t {
 public:
  explicit DenseMatrixSax(DenseMatrix& out) : out_(out) {}

  bool null() override { return bad("null"); }
  bool boolean(bool) override { return bad("a boolean"); }
  bool number_integer(number_integer_t v) override { return cell(static_cast<double>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return cell(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override {
    if (!std::isfinite(v)) return fail_at("value is not finite");
    return cell(v);
  }
  bool string(string_t&) override { return bad("a string"); }
  bool binary(binary_t&) override { return bad("binary data"); }
  bool start_object(std::size_t) override { return bad("an object"); }
  bool key(string_t&) override { return bad("an object"); }
  bool end_object() override { return bad("an object"); }
  bool start_array(std::size_t) override {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (depth_ == 1) {
      depth_ = 2;
      col_ = 0;
      return true;
    }
    return bad("a nested array");
  }
  bool end_array() override {
    if (depth_ == 2) {
      if (row_ == 0) {
        out_.cols = col_;
      } else if (col_ != out_.cols) {
        message_ = "row " + std::to_string(row_) + " has " + std::to_string(col_) +
                   " entries, row 0 has " + std::to_string(out_.cols);
        return false;
      }
      ++row_;
      depth_ = 1;
      return true;
    }
    depth_ = 0;
    out_.rows = row_;
    done_ = true;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    message_ = depth_ >= 1 ? "row " + std::to_string(row_) + ", column " + std::to_string(col_) + ": " : "";
    message_ += std::string("not valid JSON: ") + ex.what();
    return false;
  }

  const std::string& message() const { return message_; }
  bool done() const { return done_; }

 private:
  bool cell(double v) {
    if (depth_ != 2) return bad("a number");
    if (row_ > 0 && col_ >= out_.cols) {
      message_ = "row " + std::to_string(row_) + " has more than " + std::to_string(out_.cols) +
                 " entries (row 0 has " + std::to_string(out_.cols) + ")";
      return false;
    }
    if (row_ == 0 && col_ >= kMaxDimension) return fail_at("row longer than the dimension limit");
    out_.values.push_back(v);
    ++col_;
    return true;
  }
  bool bad(const char* what) {
    if (depth_ == 0) {
      message_ = std::string("expected an array of rows, found ") + what;
    } else if (depth_ == 1) {
      message_ = "row " + std::to_string(row_) + ": expected an array of numbers, found " + what;
    } else {
      return fail_at(std::string("expected a number, found ") + what);
    }
    return false;
  }
  bool fail_at(const std::string& what) {
    message_ = "row " + std::to_string(row_) + ", column " + std::to_string(col_) + ": " + what;
    return false;
  }

  DenseMatrix& out_;
  int depth_ = 0;
  Index row_ = 0;
  Index col_ = 0;
  bool done_ = false;
  std::string message_;
};

// The fast path: a scanner for exactly the grammar [[number, ...], ...] (JSON numbers and
// whitespace only), numbers converted by fast_float. It gives up (returns false) at anything
// else, and the SAX parser above then reads the file and reports the precise error, so the
// two always agree on what is accepted.
bool scan_dense_matrix(std::string_view text, DenseMatrix& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  auto ws = [&] {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  };
  auto digits = [&] {
    const char* start = p;
    while (p < end && *p >= '0' && *p <= '9') ++p;
    return p > start;
  };
  // One JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  auto number = [&](double& value) {
    const char* start = p;
    if (p < end && *p == '-') ++p;
    if (p < end && *p == '0') {
      ++p;
    } else if (!digits()) {
      return false;
    }
    if (p < end && *p == '.') {
      ++p;
      if (!digits()) return false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
      ++p;
      if (p < end && (*p == '+' || *p == '-')) ++p;
      if (!digits()) return false;
    }
    const auto result = fast_float::from_chars(start, p, value);
    return result.ec == std::errc() && result.ptr == p && std::isfinite(value);
  };
  // After a list element: ',' (another follows, whitespace after it skipped), ']' (the list
  // closes) or 0 (anything else).
  auto after_element = [&]() -> char {
    ws();
    if (p == end || (*p != ',' && *p != ']')) return 0;
    const char c = *p++;
    if (c == ',') ws();
    return c;
  };
  out = DenseMatrix{};
  ws();
  if (p == end || *p++ != '[') return false;
  ws();
  Index rows = 0;
  if (p < end && *p == ']') {
    ++p;
  } else {
    while (true) {
      if (p == end || *p++ != '[') return false;
      ws();
      Index cols = 0;
      if (p < end && *p == ']') {
        ++p;
      } else {
        while (true) {
          double v;
          if (!number(v)) return false;
          out.values.push_back(v);
          ++cols;
          const char next = after_element();
          if (next == 0) return false;
          if (next == ']') break;
        }
      }
      if (rows == 0) {
        if (cols > kMaxDimension) return false;
        out.cols = cols;
      } else if (cols != out.cols) {
        return false;
      }
      ++rows;
      const char next = after_element();
      if (next == 0) return false;
      if (next == ']') break;
    }
  }
  ws();
  if (p != end) return false;
  out.rows = rows;
  if (rows == 0) out.cols = 0;
  return true;
}

}  // namespace

DenseMatrix parse_dense_json_matrix(std::string_view file, std::string_view text) {
  text = text_content(file, text);
  if (trim(text).empty()) fail(file, "empty file, expected a JSON matrix [[...], ...]");
  DenseMatrix out;
  if (scan_dense_matrix(text, out)) return out;
  out = DenseMatrix{};
  DenseMatrixSax sax(out);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &sax);
  } catch (const json::exception& e) {
    fail(file, std::string("not valid JSON: ") + e.what());
  }
  if (!ok || !sax.done()) fail(file, sax.message().empty() ? "not a JSON matrix" : sax.message());
  if (out.rows == 0) out.cols = 0;
  return out;
}

DenseMatrix read_dense_json_matrix(const fs::path& path) {
  const std::string text = read_file(path);
  return parse_dense_json_matrix(display(path), text);
}

Labels labels_from_json(std::string_view file, const json& array, Index size,
                        const std::vector<LabelField>& fields, const char* unique_column) {
  if (!array.is_array()) fail(file, "expected a JSON array of objects");
  if (static_cast<Index>(array.size()) != size)
    fail(file, "has " + std::to_string(array.size()) + " entries, the matrices need " +
                   std::to_string(size));
  std::vector<std::vector<std::string>> columns(fields.size(),
                                                std::vector<std::string>(static_cast<std::size_t>(size)));
  std::vector<char> placed(static_cast<std::size_t>(size), 0);
  std::unordered_map<std::string, Index> seen;
  for (Index e = 0; e < size; ++e) {
    const json& obj = array[static_cast<std::size_t>(e)];
    const std::string where = "entry " + std::to_string(e);
    if (!obj.is_object()) fail(file, where, "expected an object");
    Index row = e;
    if (auto it = obj.find("index"); it != obj.end()) {
      if (!it->is_number_integer()) fail(file, where, "\"index\" is not an integer");
      const auto idx = it->get<std::int64_t>();
      if (idx < 0 || idx >= size)
        fail(file, where, "\"index\" " + std::to_string(idx) + " is out of range [0, " +
                              std::to_string(size) + ")");
      row = idx;
    }
    if (placed[static_cast<std::size_t>(row)])
      fail(file, where, "duplicate \"index\" " + std::to_string(row));
    placed[static_cast<std::size_t>(row)] = 1;
    for (std::size_t f = 0; f < fields.size(); ++f) {
      std::string value;
      auto it = obj.find(fields[f].json_key);
      const bool is_unique = std::string_view(fields[f].column) == unique_column;
      if (it == obj.end() || it->is_null()) {
        if (is_unique) fail(file, where, std::string("missing \"") + fields[f].json_key + "\"");
      } else if (it->is_string()) {
        value = it->get<std::string>();
      } else if (is_unique) {
        fail(file, where, std::string("\"") + fields[f].json_key + "\" is not a string");
      } else {
        value = it->dump();
      }
      if (is_unique) {
        auto [pos, inserted] = seen.emplace(value, e);
        if (!inserted)
          fail(file, where, std::string("duplicate ") + fields[f].json_key + " " + quote(value) +
                                " (also entry " + std::to_string(pos->second) + ")");
      }
      columns[f][static_cast<std::size_t>(row)] = std::move(value);
    }
  }
  Labels labels(size);
  for (std::size_t f = 0; f < fields.size(); ++f) labels.set_column(fields[f].column, std::move(columns[f]));
  return labels;
}

Labels generated_labels(Index size, const std::string& prefix) {
  std::vector<std::string> names(static_cast<std::size_t>(size));
  for (Index i = 0; i < size; ++i) names[static_cast<std::size_t>(i)] = prefix + " " + std::to_string(i);
  Labels labels(size);
  labels.set_column("id", names);
  labels.set_column("name", std::move(names));
  return labels;
}

}  // namespace hiili::io::detail
