#include "io/npy.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>

#include "io/util.hpp"

namespace hiili::io::detail {

namespace {

constexpr std::size_t kMaxHeaderBytes = 1u << 20;
constexpr int kMaxLiteralDepth = 16;

// The subset of Python literals that .npy headers use: dicts, lists, tuples, strings,
// integers, True / False / None.
struct PyValue {
  enum class Type { None, Bool, Int, Str, List, Tuple, Dict } type = Type::None;
  bool boolean = false;
  std::int64_t integer = 0;
  std::string text;
  std::vector<PyValue> items;                          // List, Tuple
  // Dict: keys[i] -> values[i]. (Two vectors of the type being defined: a vector of
  // pair<PyValue, PyValue> would need PyValue complete, which libc++/clang enforce.)
  std::vector<PyValue> keys, values;
};

class LiteralParser {
 public:
  LiteralParser(std::string_view file, std::string_view text) : file_(file), s_(text) {}

  PyValue parse() {
    PyValue v = value(0);
    skip();
    if (pos_ != s_.size()) error("unexpected text after the header dictionary");
    return v;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    fail(file_, "npy header, character " + std::to_string(pos_), what);
  }
  void skip() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                                s_[pos_] == '\r'))
      ++pos_;
  }
  bool eat(char c) {
    skip();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    if (s_.substr(pos_, w.size()) == w) {
      pos_ += w.size();
      return true;
    }
    return false;
  }

  PyValue value(int depth) {
    if (depth > kMaxLiteralDepth) error("nested too deeply");
    skip();
    if (pos_ >= s_.size()) error("truncated header");
    const char c = s_[pos_];
    PyValue v;
    if (c == '\'' || c == '"') {
      v.type = PyValue::Type::Str;
      v.text = string();
    } else if (c == '{') {
      ++pos_;
      v.type = PyValue::Type::Dict;
      while (!eat('}')) {
        PyValue key = value(depth + 1);
        if (!eat(':')) error("expected ':' in a dictionary");
        PyValue val = value(depth + 1);
        v.keys.push_back(std::move(key));
        v.values.push_back(std::move(val));
        if (!eat(',')) {
          if (!eat('}')) error("expected ',' or '}' in a dictionary");
          break;
        }
      }
    } else if (c == '[' || c == '(') {
      const char close = c == '[' ? ']' : ')';
      ++pos_;
      v.type = c == '[' ? PyValue::Type::List : PyValue::Type::Tuple;
      while (!eat(close)) {
        v.items.push_back(value(depth + 1));
        if (!eat(',')) {
          if (!eat(close)) error(std::string("expected ',' or '") + close + "'");
          break;
        }
      }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t start = pos_;
      if (c == '-') ++pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      auto number = parse_int(s_.substr(start, pos_ - start));
      if (!number) error("bad integer " + quote(s_.substr(start, pos_ - start)));
      if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;  // Python 2 long
      v.type = PyValue::Type::Int;
      v.integer = *number;
    } else if (word("True")) {
      v.type = PyValue::Type::Bool;
      v.boolean = true;
    } else if (word("False")) {
      v.type = PyValue::Type::Bool;
    } else if (word("None")) {
      v.type = PyValue::Type::None;
    } else {
      error("unexpected " + quote(s_.substr(pos_, 20)));
    }
    return v;
  }

  std::string string() {
    const char quote_char = s_[pos_++];
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) error("unterminated string");
      const char c = s_[pos_++];
      if (c == quote_char) break;
      if (c == '\\') {
        if (pos_ >= s_.size()) error("unterminated string");
        out += s_[pos_++];
      } else {
        out += c;
      }
    }
    return out;
  }

  std::string_view file_;
  std::string_view s_;
  std::size_t pos_ = 0;
};

const PyValue* lookup(const PyValue& dict, std::string_view key) {
  for (std::size_t i = 0; i < dict.keys.size(); ++i)
    if (dict.keys[i].type == PyValue::Type::Str && dict.keys[i].text == key) return &dict.values[i];
  return nullptr;
}

// One scalar dtype string such as "<f8", "|b1", "u1". Returns false for the padding void
// type ("|V4") when `allow_void`, setting size only.
NpyField scalar_type(std::string_view file, const std::string& text, bool allow_void,
                     bool* is_void) {
  NpyField f;
  std::string_view t = text;
  char order = '=';
  if (!t.empty() && (t[0] == '<' || t[0] == '>' || t[0] == '|' || t[0] == '=')) {
    order = t[0];
    t.remove_prefix(1);
  }
  if (t.empty()) fail(file, "npy header", "empty dtype");
  const char kind = t[0];
  const auto size = parse_int(t.substr(1));
  if (kind == 'O')
    fail(file, "npy header",
         "object dtype (pickled Python objects) is refused: only numeric arrays are read");
  if (!size || *size <= 0 || *size > 64)
    fail(file, "npy header", "unsupported dtype " + quote(text));
  f.size = static_cast<std::size_t>(*size);
  if (is_void) *is_void = false;
  switch (kind) {
    case 'b':
      if (f.size != 1) fail(file, "npy header", "unsupported dtype " + quote(text));
      f.kind = 'b';
      break;
    case 'i':
    case 'u':
      if (f.size != 1 && f.size != 2 && f.size != 4 && f.size != 8)
        fail(file, "npy header", "unsupported dtype " + quote(text));
      f.kind = kind;
      break;
    case 'f':
      if (f.size != 4 && f.size != 8)
        fail(file, "npy header", "unsupported floating dtype " + quote(text) + " (f4 and f8 are read)");
      f.kind = 'f';
      break;
    case 'V':
      if (allow_void && is_void) {
        *is_void = true;
        return f;
      }
      [[fallthrough]];
    default:
      fail(file, "npy header",
           "unsupported dtype " + quote(text) + " (bool, integer and float types are read)");
  }
  const bool big = order == '>';
  const bool little = order == '<';
  f.swap = (big && std::endian::native == std::endian::little) ||
           (little && std::endian::native == std::endian::big);
  return f;
}

template <typename T>
T load(const unsigned char* p, std::size_t size, bool swap) {
  unsigned char buf[sizeof(T)];
  std::memcpy(buf, p, size);
  if (swap) std::reverse(buf, buf + size);
  T value;
  std::memcpy(&value, buf, sizeof(T));
  return value;
}

double to_double(const NpyField& f, const unsigned char* p) {
  switch (f.kind) {
    case 'b': return *p != 0 ? 1.0 : 0.0;
    case 'f': return f.size == 4 ? static_cast<double>(load<float>(p, 4, f.swap)) : load<double>(p, 8, f.swap);
    case 'i':
      switch (f.size) {
        case 1: return load<std::int8_t>(p, 1, false);
        case 2: return load<std::int16_t>(p, 2, f.swap);
        case 4: return load<std::int32_t>(p, 4, f.swap);
        default: return static_cast<double>(load<std::int64_t>(p, 8, f.swap));
      }
    default:
      switch (f.size) {
        case 1: return load<std::uint8_t>(p, 1, false);
        case 2: return load<std::uint16_t>(p, 2, f.swap);
        case 4: return load<std::uint32_t>(p, 4, f.swap);
        default: return static_cast<double>(load<std::uint64_t>(p, 8, f.swap));
      }
  }
}

}  // namespace

NpyArray NpyArray::parse(std::string file, std::string bytes) {
  NpyArray a;
  a.file_ = std::move(file);
  a.bytes_ = std::move(bytes);
  const std::string& b = a.bytes_;
  const std::string& name = a.file_;
  if (b.empty()) fail(name, "empty file, expected a .npy array");
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0)
    fail(name, "not a .npy file (bad magic bytes)");
  const auto major = static_cast<unsigned char>(b[6]);
  std::size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(b[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(b[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) fail(name, "truncated .npy header");
    header_len = 0;
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(b[8 + i]);
    header_start = 12;
  } else {
    fail(name, "unsupported .npy format version " + std::to_string(major));
  }
  if (header_len > kMaxHeaderBytes)
    fail(name, "npy header length " + std::to_string(header_len) + " is implausibly large");
  if (header_start + header_len > b.size())
    fail(name, "truncated .npy header: declares " + std::to_string(header_len) + " bytes, " +
                   std::to_string(b.size() - header_start) + " present");
  const std::string_view header(b.data() + header_start, header_len);
  const PyValue dict = LiteralParser(name, header).parse();
  if (dict.type != PyValue::Type::Dict) fail(name, "npy header", "is not a dictionary");

  const PyValue* descr = lookup(dict, "descr");
  const PyValue* fortran = lookup(dict, "fortran_order");
  const PyValue* shape = lookup(dict, "shape");
  if (descr == nullptr || fortran == nullptr || shape == nullptr)
    fail(name, "npy header", "needs the keys 'descr', 'fortran_order' and 'shape'");
  if (fortran->type != PyValue::Type::Bool)
    fail(name, "npy header", "'fortran_order' is not True or False");
  a.fortran_order_ = fortran->boolean;

  // dtype
  if (descr->type == PyValue::Type::Str) {
    a.descr_text_ = "'" + descr->text + "'";
    a.fields_.push_back(scalar_type(name, descr->text, false, nullptr));
    a.itemsize_ = a.fields_.back().size;
  } else if (descr->type == PyValue::Type::List) {
    a.structured_ = true;
    a.descr_text_ = "[";
    std::size_t offset = 0;
    for (const PyValue& item : descr->items) {
      if (item.type != PyValue::Type::Tuple || item.items.size() < 2)
        fail(name, "npy header", "structured dtype entries must be (name, type) tuples");
      if (item.items.size() > 2)
        fail(name, "npy header", "sub-array fields are not supported");
      const PyValue& fname = item.items[0];
      const PyValue& ftype = item.items[1];
      if (fname.type != PyValue::Type::Str)
        fail(name, "npy header", "structured field names must be strings");
      if (ftype.type != PyValue::Type::Str)
        fail(name, "npy header", "nested structured field " + quote(fname.text) + " is not supported");
      bool is_void = false;
      NpyField f = scalar_type(name, ftype.text, fname.text.empty(), &is_void);
      if (a.descr_text_.size() > 1) a.descr_text_ += ", ";
      a.descr_text_ += "('" + fname.text + "', '" + ftype.text + "')";
      f.offset = offset;
      offset += f.size;
      if (is_void) continue;  // padding
      for (const NpyField& other : a.fields_)
        if (other.name == fname.text) fail(name, "npy header", "duplicate field " + quote(fname.text));
      f.name = fname.text;
      a.fields_.push_back(f);
    }
    a.descr_text_ += "]";
    if (a.fields_.empty()) fail(name, "npy header", "structured dtype without fields");
    a.itemsize_ = offset;
  } else {
    fail(name, "npy header", "'descr' is neither a type string nor a list of fields");
  }

  // shape, and its size against the bytes present
  if (shape->type != PyValue::Type::Tuple) fail(name, "npy header", "'shape' is not a tuple");
  const std::size_t data_offset = header_start + header_len;
  const std::uint64_t available = b.size() - data_offset;
  std::uint64_t count = 1;
  for (const PyValue& dim : shape->items) {
    if (dim.type != PyValue::Type::Int || dim.integer < 0)
      fail(name, "npy header", "'shape' must hold non-negative integers");
    const auto d = static_cast<std::uint64_t>(dim.integer);
    a.shape_.push_back(d);
    if (d != 0 && count > UINT64_MAX / d)
      fail(name, "npy header", "shape overflows: more elements than any file can hold");
    count *= d;
  }
  if (count > 0 && count > available / a.itemsize_)
    fail(name, "truncated data: shape " + std::to_string(count) + " elements of " +
                   std::to_string(a.itemsize_) + " bytes, but " + std::to_string(available) +
                   " bytes follow the header");
  if (count * a.itemsize_ != available)
    fail(name, std::to_string(available - count * a.itemsize_) +
                   " bytes of unexpected data after the array");
  a.count_ = count;
  a.data_offset_ = data_offset;
  return a;
}

bool NpyArray::has_field(std::string_view name) const {
  return std::any_of(fields_.begin(), fields_.end(), [&](const NpyField& f) { return f.name == name; });
}

const NpyField& NpyArray::field(std::string_view name) const {
  for (const NpyField& f : fields_)
    if (f.name == name) return f;
  if (name.empty())
    fail(file_, "is a structured array " + descr_text_ + ", expected a plain numeric array");
  fail(file_, "has no field " + quote(name) + " (dtype " + descr_text_ + ")");
}

std::vector<double> NpyArray::as_double(std::string_view name) const {
  const NpyField& f = field(name);
  std::vector<double> out(count_);
  for (std::uint64_t i = 0; i < count_; ++i) out[i] = to_double(f, record(i) + f.offset);
  return out;
}

std::vector<std::int64_t> NpyArray::as_int(std::string_view name) const {
  const NpyField& f = field(name);
  if (f.kind == 'f')
    fail(file_, (name.empty() ? std::string("array") : "field " + quote(name)) +
                    " holds floating-point values, expected integers (dtype " + descr_text_ + ")");
  std::vector<std::int64_t> out(count_);
  for (std::uint64_t i = 0; i < count_; ++i) {
    const unsigned char* p = record(i) + f.offset;
    if (f.kind == 'u' && f.size == 8) {
      const auto v = load<std::uint64_t>(p, 8, f.swap);
      if (v > static_cast<std::uint64_t>(INT64_MAX))
        fail(file_, "element " + std::to_string(i), "id " + std::to_string(v) + " exceeds int64");
      out[i] = static_cast<std::int64_t>(v);
    } else if (f.kind == 'i' && f.size == 8) {
      out[i] = load<std::int64_t>(p, 8, f.swap);
    } else {
      out[i] = static_cast<std::int64_t>(to_double(f, p));  // exact for <= 32-bit integers
    }
  }
  return out;
}

std::vector<bool> NpyArray::as_bool(std::string_view name) const {
  const NpyField& f = field(name);
  if (f.kind == 'f')
    fail(file_, "holds floating-point values, expected booleans (dtype " + descr_text_ + ")");
  std::vector<bool> out(count_);
  for (std::uint64_t i = 0; i < count_; ++i) out[i] = to_double(f, record(i) + f.offset) != 0.0;
  return out;
}

}  // namespace hiili::io::detail
