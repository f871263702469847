// Internal: members of a 7-Zip archive (ecoinvent ships its releases so), read with libarchive
// in one streaming pass, under hard limits. Not installed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hiili::io::detail {

struct ArchiveLimits {
  std::uint64_t max_member_bytes = 0;  // any one member read
  std::size_t max_entries = 100000;    // entries of any kind in the archive
  // Members read may decompress to at most this many times the archive's size once they pass
  // 256 MiB in all (an archive bomb; LZMA compresses real CSV text about 10 to 30 times).
  std::uint64_t max_ratio = 2048;
};

struct ArchiveMember {
  std::string name;  // its path inside the archive, '/'-separated
  std::string data;
};

// Reads the regular-file members of the 7-Zip archive `path` whose name `want` accepts (other
// members are skipped unread). FormatError naming the archive (and the member) when it is not a
// readable 7-Zip archive, is truncated or corrupt (a CRC mismatch included), is encrypted, has
// more than max_entries entries, or a wanted member is larger than max_member_bytes.
std::vector<ArchiveMember> read_7z_members(const std::filesystem::path& path,
                                           const std::function<bool(std::string_view)>& want,
                                           const ArchiveLimits& limits);

}  // namespace hiili::io::detail
