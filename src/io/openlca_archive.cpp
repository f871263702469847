// The openLCA reader's archives: zip (libzip) or folder, read within OpenLcaOptions' limits.
#include "io/openlca_archive.hpp"

#include <zip.h>

#include <algorithm>
#include <fstream>
#include <string_view>
#include <system_error>

#include "io/openlca_entities.hpp"

namespace hiili::io::openlca {

namespace fs = std::filesystem;

namespace {

class ZipArchive final : public Archive {
 public:
  ZipArchive(const fs::path& path, const OpenLcaOptions& options)
      : path_(path.string()), options_(options) {
    int code = 0;
    zip_ = zip_open(path_.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (zip_ == nullptr) {
      zip_error_t error;
      zip_error_init_with_code(&error, code);
      std::string why = zip_error_strerror(&error);
      zip_error_fini(&error);
      fail(path_ + ": not a readable zip archive (truncated or corrupt?): " + why);
    }
    // A constructor that throws runs no destructor: the archive is discarded here on failure
    // (LeakSanitizer found the leak when the entry limit was exceeded).
    try {
      list_names();
    } catch (...) {
      zip_discard(zip_);
      zip_ = nullptr;
      throw;
    }
  }
  ~ZipArchive() override {
    if (zip_ != nullptr) zip_discard(zip_);
  }
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  std::string where(std::size_t i) const override { return path_ + ": " + names_[i]; }

  std::string read(std::size_t i) override {
    const auto index = static_cast<zip_uint64_t>(i);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip_, index, 0, &st) != 0 || (st.valid & ZIP_STAT_SIZE) == 0)
      fail(where(i) + ": cannot read the entry's size: " + zip_strerror(zip_));
    if (st.size > options_.max_entry_bytes)
      fail(where(i) + ": entry is " + std::to_string(st.size) + " bytes, above the limit of " +
           std::to_string(options_.max_entry_bytes));
    total_ += st.size;
    if (total_ > options_.max_total_bytes)
      fail(where(i) + ": the entries read so far exceed the limit of " +
           std::to_string(options_.max_total_bytes) + " bytes");
    zip_file_t* file = zip_fopen_index(zip_, index, 0);
    if (file == nullptr) fail(where(i) + ": cannot open the entry: " + zip_strerror(zip_));
    std::string buffer(static_cast<std::size_t>(st.size), '\0');
    zip_uint64_t got = 0;
    std::string error;
    while (got < st.size) {
      const zip_int64_t r = zip_fread(file, buffer.data() + got, st.size - got);
      if (r < 0) {
        error = zip_file_strerror(file);
        break;
      }
      if (r == 0) break;
      got += static_cast<zip_uint64_t>(r);
    }
    if (error.empty() && got == st.size) {
      // One more read reaches the end of the entry, where libzip checks the CRC.
      char extra = 0;
      const zip_int64_t r = zip_fread(file, &extra, 1);
      if (r < 0) error = zip_file_strerror(file);
      if (r > 0) error = "entry holds more data than its header says";
    }
    zip_fclose(file);
    if (!error.empty()) fail(where(i) + ": corrupt entry: " + error);
    if (got != st.size)
      fail(where(i) + ": truncated entry: " + std::to_string(got) + " of " +
           std::to_string(st.size) + " bytes");
    return buffer;
  }

 private:
  std::string path_;
  const OpenLcaOptions& options_;
  void list_names() {
    const zip_int64_t count = zip_get_num_entries(zip_, 0);
    if (count < 0) fail(path_ + ": cannot list the zip archive: " + zip_strerror(zip_));
    if (static_cast<std::uint64_t>(count) > options_.max_entries)
      fail(path_ + ": zip archive has " + std::to_string(count) + " entries, above the limit of " +
           std::to_string(options_.max_entries));
    for (zip_int64_t i = 0; i < count; ++i) {
      const char* name = zip_get_name(zip_, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
      if (name == nullptr)
        fail(path_ + ": zip entry " + std::to_string(i) +
             " has no readable name: " + zip_strerror(zip_));
      names_.emplace_back(name);
    }
  }

  zip_t* zip_ = nullptr;
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
