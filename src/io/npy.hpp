// Internal: a reader of NumPy .npy files (format versions 1, 2, 3) for plain numeric and
// structured dtypes. Object dtypes (pickles) are refused, as numpy's allow_pickle=False does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hiili::io::detail {

struct NpyField {
  std::string name;     // "" for a plain (unstructured) dtype
  char kind = 'f';      // 'b' bool, 'i' signed, 'u' unsigned, 'f' floating
  std::size_t size = 8;    // bytes
  std::size_t offset = 0;  // within one record
  bool swap = false;       // stored big-endian
};

class NpyArray {
 public:
  // Parses `bytes` (the whole file). FormatError naming `file` for anything malformed: bad
  // magic, truncated header or data, an unparsable header, object / string / complex dtypes,
  // shapes whose size does not match the bytes present.
  static NpyArray parse(std::string file, std::string bytes);

  const std::string& file() const { return file_; }
  const std::vector<std::uint64_t>& shape() const { return shape_; }
  std::size_t ndim() const { return shape_.size(); }
  std::uint64_t count() const { return count_; }
  bool structured() const { return structured_; }
  bool fortran_order() const { return fortran_order_; }
  const std::vector<NpyField>& fields() const { return fields_; }
  bool has_field(std::string_view name) const;
  // "<f8", "[('row', '<i4'), ('col', '<i4')]" ... as written in the header.
  const std::string& descr() const { return descr_text_; }

  // One field (or the plain value when `field` is empty) of every element, converted.
  // FormatError when the field is missing; as_int refuses floating fields.
  std::vector<double> as_double(std::string_view field = {}) const;
  std::vector<std::int64_t> as_int(std::string_view field = {}) const;
  std::vector<bool> as_bool(std::string_view field = {}) const;

 private:
  const NpyField& field(std::string_view name) const;
  const unsigned char* record(std::uint64_t i) const {
    return reinterpret_cast<const unsigned char*>(bytes_.data()) + data_offset_ + i * itemsize_;
  }

  std::string file_;
  std::string bytes_;
  std::size_t data_offset_ = 0;
  std::size_t itemsize_ = 0;
  std::vector<std::uint64_t> shape_;
  std::uint64_t count_ = 0;
  bool structured_ = false;
  bool fortran_order_ = false;
  std::vector<NpyField> fields_;
  std::string descr_text_;
};

}  // namespace hiili::io::detail
