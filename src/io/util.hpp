// Internal helpers shared by the readers in src/io: error messages that name the file and the
// entry, bounded whole-file reads, text checks, number parsing and zip access. Not installed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hiili/error.hpp"
#include "hiili/sparse.hpp"

namespace hiili::io::detail {

// Bounds on sizes that come from a file, checked before anything is allocated for them.
inline constexpr Index kMaxDimension = 100'000'000;          // rows or columns of one matrix
inline constexpr std::uint64_t kMaxFileBytes = 8ull << 30;   // one file or zip member
inline constexpr std::size_t kMaxJsonMetadataBytes = 256u << 20;  // datapackage.json, labels
// A dimension a file declares or implies (Matrix Market size line, CSV triplets' largest index)
// above this needs evidence in the file: 64 rows or columns per byte, or per entry. Below it a
// model costs at most a few tens of MB, whatever the file.
inline constexpr Index kUncheckedDimension = Index{1} << 16;

// How a path is shown in messages.
std::string display(const std::filesystem::path& path);

// Throws FormatError("<file>: <what>").
[[noreturn]] void fail(std::string_view file, std::string_view what);
// Throws FormatError("<file>: <where>: <what>").
[[noreturn]] void fail(std::string_view file, std::string_view where, std::string_view what);

// A short, printable rendering of untrusted text for messages: quoted, control bytes escaped,
// cut at `max` characters.
std::string quote(std::string_view text, std::size_t max = 80);

// Reads a whole file. FormatError when it is missing, a folder, unreadable or larger than
// `max_bytes`.
std::string read_file(const std::filesystem::path& path, std::uint64_t max_bytes = kMaxFileBytes);

// Text content of a file: rejects UTF-16/UTF-32 byte order marks and NUL bytes (FormatError
// naming the file), drops a UTF-8 byte order mark.
std::string_view text_content(std::string_view file, std::string_view data);

// Offset of the first byte that is not valid UTF-8, or npos.
std::size_t find_invalid_utf8(std::string_view text);

// Whole-token number parsing (fast_float for doubles). nullopt when the token is not exactly
// one number. parse_double accepts "nan"/"inf" spellings; callers check finiteness.
std::optional<double> parse_double(std::string_view token);
std::optional<std::int64_t> parse_int(std::string_view token);

std::string_view trim(std::string_view s);

// Checks a dimension read from a file against kMaxDimension.
void check_dimension(std::string_view file, std::string_view what, std::int64_t value);

// Read-only access to the members of a zip archive (libzip).
class ZipArchive {
 public:
  // FormatError when the file is missing or not a readable zip archive.
  explicit ZipArchive(const std::filesystem::path& path);
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::vector<std::string> names() const;
  bool contains(std::string_view name) const;
  // The bytes of one member; FormatError when absent, corrupt or larger than `max_bytes`
  // (the size is checked while decompressing, not taken from the directory on trust).
  std::string read(std::string_view name, std::uint64_t max_bytes = kMaxFileBytes) const;
  // "archive.zip!/member" for messages.
  std::string display(std::string_view name) const;

 private:
  std::filesystem::path path_;
  void* archive_ = nullptr;  // zip_t*
};

// True when the file starts like a zip archive (local header or empty-archive signature).
bool looks_like_zip(const std::filesystem::path& path);

// The first `count` bytes of a file (fewer if it is shorter); empty if unreadable.
std::string read_prefix(const std::filesystem::path& path, std::size_t count);

}  // namespace hiili::io::detail
