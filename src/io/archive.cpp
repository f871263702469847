#include "io/archive.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <system_error>

#include "io/util.hpp"

namespace hiili::io::detail {
namespace {

namespace fs = std::filesystem;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

std::string why(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "libarchive gives no reason";
}

// The bytes of the member at the reader's position, within the limits.
std::string read_member(archive* a, const std::string& shown, std::uint64_t max_bytes,
                        std::uint64_t& total, std::uint64_t archive_bytes,
                        const ArchiveLimits& limits) {
  std::string data;
  char buffer[1 << 16];
  while (true) {
    const la_ssize_t got = archive_read_data(a, buffer, sizeof buffer);
    if (got < 0) fail(shown, "corrupt 7-Zip member (" + why(a) + ")");
    if (got == 0) break;
    data.append(buffer, static_cast<std::size_t>(got));
    total += static_cast<std::uint64_t>(got);
    if (data.size() > max_bytes)
      fail(shown, "is larger than the limit of " + std::to_string(max_bytes) + " bytes");
    if (total > (std::uint64_t{256} << 20) && total / limits.max_ratio > archive_bytes)
      fail(shown, "decompresses to more than " + std::to_string(limits.max_ratio) +
                      " times the archive's size (an archive bomb?)");
  }
  return data;
}

}  // namespace

std::vector<ArchiveMember> read_7z_members(const fs::path& path,
                                           const std::function<bool(std::string_view)>& want,
                                           const ArchiveLimits& limits) {
  const std::string name = display(path);
  std::error_code ec;
  const auto archive_bytes = fs::file_size(path, ec);
  if (ec) fail(name, "cannot read the archive (" + ec.message() + ")");
  ArchivePtr a(archive_read_new());
  if (!a) fail(name, "libarchive could not allocate a reader");
  archive_read_support_format_7zip(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    fail(name, "not a readable 7-Zip archive (" + why(a.get()) + ")");

  std::vector<ArchiveMember> members;
  std::uint64_t total = 0;
  std::size_t entries = 0;
  archive_entry* entry = nullptr;
  int status;
  while ((status = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK ||
         status == ARCHIVE_WARN) {
    if (++entries > limits.max_entries)
      fail(name, "more than " + std::to_string(limits.max_entries) + " entries in the archive");
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const char* utf8 = archive_entry_pathname_utf8(entry);
    const char* raw = archive_entry_pathname(entry);
    const std::string member = utf8 != nullptr ? utf8 : raw != nullptr ? raw : "";
    if (member.empty() || !want(member)) continue;
    const std::string shown = name + "!/" + member;
    if (archive_entry_size_is_set(entry) != 0 && archive_entry_size(entry) >= 0 &&
        static_cast<std::uint64_t>(archive_entry_size(entry)) > limits.max_member_bytes)
      fail(shown, "declares " + std::to_string(archive_entry_size(entry)) +
                      " bytes, more than the limit of " + std::to_string(limits.max_member_bytes));
    std::string data =
        read_member(a.get(), shown, limits.max_member_bytes, total, archive_bytes, limits);
    if (archive_entry_size_is_set(entry) != 0 &&
        data.size() != static_cast<std::uint64_t>(archive_entry_size(entry)))
      fail(shown, "truncated 7-Zip member: " + std::to_string(data.size()) + " of " +
                      std::to_string(archive_entry_size(entry)) + " bytes");
    members.push_back({member, std::move(data)});
  }
  if (status != ARCHIVE_EOF)
    fail(name, "corrupt or truncated 7-Zip archive (" + why(a.get()) + ")");
  return members;
}

}  // namespace hiili::io::detail
