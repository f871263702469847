// The openLCA reader's archives: zip (libzip) or folder, read within OpenLcaOptions' limits.
#include "io/openlca_archive.hpp"

#include <algorithm>
#include <fstream>
#include <string_view>
#include <system_error>

#include "io/openlca_entities.hpp"
#include "io/util.hpp"

namespace hiili::io::openlca {

namespace fs = std::filesystem;

namespace {

// A zip archive through io/util's ZipArchive (libzip; sizes checked while decompressing, CRC
// checked at the end of each member), within the entry count and total size of the options.
class ZipArchive final : public Archive {
 public:
  ZipArchive(const fs::path& path, const OpenLcaOptions& options)
      : zip_(path), path_(path.string()), options_(options) {
    names_ = zip_.names();
    if (names_.size() > options_.max_entries)
      fail(path_ + ": zip archive has " + std::to_string(names_.size()) +
           " entries, above the limit of " + std::to_string(options_.max_entries));
  }

  std::string where(std::size_t i) const override { return path_ + ": " + names_[i]; }

  std::string read(std::size_t i) override {
    std::string data = zip_.read(names_[i], options_.max_entry_bytes);
    total_ += data.size();
    if (total_ > options_.max_total_bytes)
      fail(where(i) + ": the entries read so far exceed the limit of " +
           std::to_string(options_.max_total_bytes) + " bytes");
    return data;
  }

 private:
  detail::ZipArchive zip_;
  std::string path_;
  const OpenLcaOptions& options_;
  std::uint64_t total_ = 0;
};

class FolderArchive final : public Archive {
 public:
  FolderArchive(const fs::path& root, const OpenLcaOptions& options)
      : root_(root), options_(options) {
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) fail(root.string() + ": cannot list the folder: " + ec.message());
    for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
      if (ec) fail(root.string() + ": cannot list the folder: " + ec.message());
      // Entities live at <root>/<type>/<id>.json or <root>/<dir>/<type>/<id>.json.
      if (it.depth() >= 2) it.disable_recursion_pending();
      if (!it->is_regular_file(ec)) continue;
      if (names_.size() >= options_.max_entries)
        fail(root.string() + ": folder holds more than " + std::to_string(options_.max_entries) +
             " files");
      paths_.push_back(it->path());
      names_.push_back(it->path().lexically_relative(root).generic_string());
    }
  }

  std::string where(std::size_t i) const override { return paths_[i].string(); }

  std::string read(std::size_t i) override {
    std::error_code ec;
    const auto size = fs::file_size(paths_[i], ec);
    if (ec) fail(where(i) + ": cannot read: " + ec.message());
    if (size > options_.max_entry_bytes)
      fail(where(i) + ": file is " + std::to_string(size) + " bytes, above the limit of " +
           std::to_string(options_.max_entry_bytes));
    total_ += size;
    if (total_ > options_.max_total_bytes)
      fail(where(i) + ": the files read so far exceed the limit of " +
           std::to_string(options_.max_total_bytes) + " bytes");
    std::ifstream in(paths_[i], std::ios::binary);
    if (!in) fail(where(i) + ": cannot open");
    std::string buffer(static_cast<std::size_t>(size), '\0');
    in.read(buffer.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size)
      fail(where(i) + ": short read (" + std::to_string(in.gcount()) + " of " +
           std::to_string(size) + " bytes)");
    return buffer;
  }

 private:
  fs::path root_;
  const OpenLcaOptions& options_;
  std::vector<fs::path> paths_;
  std::uint64_t total_ = 0;
};

}  // namespace

std::unique_ptr<Archive> open_archive(const fs::path& path, const OpenLcaOptions& options) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) fail(path.string() + ": no such file or folder");
  if (fs::is_directory(status)) return std::make_unique<FolderArchive>(path, options);
  return std::make_unique<ZipArchive>(path, options);
}

std::optional<std::string> find_prefix(const std::vector<std::string>& names) {
  std::optional<std::string> best;
  for (const std::string& name : names) {
    if (!ends_with(name, ".json")) continue;
    const auto slash = name.rfind('/');
    if (slash == std::string::npos) continue;
    const std::string_view dir(name.data(), slash);
    std::string prefix;
    if (dir == "processes") {
      prefix.clear();
    } else if (ends_with(dir, "/processes")) {
      prefix = std::string(dir.substr(0, dir.size() - 9));
    } else {
      continue;
    }
    if (!best || prefix.size() < best->size() || (prefix.size() == best->size() && prefix < *best))
      best = prefix;
  }
  return best;
}

Layout make_layout(const std::vector<std::string>& names, const std::string& source) {
  auto prefix = find_prefix(names);
  if (!prefix) fail(source + ": no processes/<id>.json entry found: not an openLCA JSON-LD export");
  Layout layout;
  layout.prefix = *prefix;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (name.compare(0, layout.prefix.size(), layout.prefix) != 0 || !ends_with(name, ".json"))
      continue;
    const std::string_view rest = std::string_view(name).substr(layout.prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || rest.find('/', slash + 1) != std::string_view::npos)
      continue;
    layout.folders[std::string(rest.substr(0, slash))].push_back(i);
  }
  for (auto& [folder, entries] : layout.folders)
    std::sort(entries.begin(), entries.end(),
              [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
  return layout;
}

}  // namespace hiili::io::openlca
