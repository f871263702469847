// Fuzz target: the Brightway datapackage reader on a zip archive (read_datapackage). Input:
// the members as sections (harness.hpp; default datapackage.json), zipped by the harness, or
// raw zip bytes when the input starts with "PK". The last byte also picks the options.
#include "harness.hpp"
#include "hiili/io/datapackage.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto files = hiili::fuzz::split_files(bytes, "datapackage.json");
  const auto zip = hiili::fuzz::write_zip("package.zip", bytes, files);
  hiili::io::DatapackageOptions options;
  options.strict = size > 0 && (data[size - 1] & 1) != 0;
  options.skip_nan = size > 0 && (data[size - 1] & 2) != 0;
  hiili::fuzz::check_contract("read_datapackage", [&] {
    hiili::io::DatapackageReport report;
    hiili::io::read_datapackage(zip, options, &report);
  });
  return 0;
}
