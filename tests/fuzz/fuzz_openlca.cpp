// Fuzz target: the openLCA JSON-LD reader on a zip archive (read_openlca). Input: the members
// as sections (harness.hpp; default processes/p.json), zipped by the harness, or raw zip bytes
// when the input starts with "PK".
#include "harness.hpp"
#include "hiili/io/openlca.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto files = hiili::fuzz::split_files(bytes, "processes/p.json");
  const auto zip = hiili::fuzz::write_zip("olca.zip", bytes, files);
  hiili::fuzz::check_contract("read_openlca", [&] {
    hiili::io::OpenLcaReport report;
    hiili::io::read_openlca(zip, {}, &report);
  });
  return 0;
}
