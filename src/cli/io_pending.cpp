// Stand-in for hiili::io's entry points while src/io has none yet (src/cli/CMakeLists.txt
// adds this file only then): the command builds and runs on synthetic models, and reading a
// file says why it cannot. Delete this file once src/io defines read() and detect_format().
#include <string>

#include "hiili/error.hpp"
#include "hiili/io/read.hpp"
#include "hiili/io/useeio.hpp"

namespace hiili::io {

namespace {
[[noreturn]] void pending(const std::filesystem::path& path) {
  throw FormatError(path.string() + ": this build of hiili has no model readers yet");
}
}  // namespace

const char* to_string(Format) { return "auto"; }

Format format_from_string(std::string_view name) {
  if (name == "auto") return Format::Auto;
  throw InvalidInputError("unknown format '" + std::string(name) + "' (this build reads none)");
}

Format detect_format(const std::filesystem::path& path) { pending(path); }

Model read(const std::filesystem::path& path, Format) { pending(path); }

SparseDemand read_useeio_demand(const Model&, const std::filesystem::path& path) { pending(path); }

}  // namespace hiili::io
