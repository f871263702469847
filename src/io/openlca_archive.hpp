// Internal to the openLCA reader: where the entities come from (a zip archive or a folder),
// read entry by entry within the size limits of OpenLcaOptions, and which folders of entity
// files the export holds. Not installed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hiili/io/openlca.hpp"

namespace hiili::io::openlca {

// Entry names are '/'-separated and relative to the root; they are only ever used as lookup
// keys, never as paths to open.
class Archive {
 public:
  virtual ~Archive() = default;
  const std::vector<std::string>& names() const { return names_; }
  virtual std::string read(std::size_t i) = 0;
  virtual std::string where(std::size_t i) const = 0;

 protected:
  std::vector<std::string> names_;
};

// A zip file or a folder at `path`; FormatError when it is neither, or above the limits.
std::unique_ptr<Archive> open_archive(const std::filesystem::path& path,
                                      const OpenLcaOptions& options);

// The folders of entity files below the root: type ("processes", ...) -> entry positions.
struct Layout {
  std::string prefix;  // "" or "dir/"
  std::map<std::string, std::vector<std::size_t>, std::less<>> folders;
};

// The shortest prefix under which a processes/<x>.json exists; nullopt when there is none.
std::optional<std::string> find_prefix(const std::vector<std::string>& names);

// FormatError naming `source` when there is no processes/<id>.json entry.
Layout make_layout(const std::vector<std::string>& names, const std::string& source);

}  // namespace hiili::io::openlca
