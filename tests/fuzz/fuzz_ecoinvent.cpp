// Fuzz target: the ecoinvent universal matrix export reader (read_ecoinvent). Input: the
// export folder as sections (harness.hpp; default A_public.csv). The last byte picks the
// encoding and strictness.
#include "harness.hpp"
#include "hiili/io/ecoinvent.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto files = hiili::fuzz::split_files({reinterpret_cast<const char*>(data), size},
                                              "A_public.csv");
  const auto dir = hiili::fuzz::write_folder("ecoinvent", files);
  hiili::io::EcoinventOptions options;
  const unsigned flags = size > 0 ? data[size - 1] : 0;
  options.encoding = static_cast<hiili::io::EcoinventOptions::Encoding>(flags % 3);
  options.strict_uncertainty = (flags & 4) != 0;
  hiili::fuzz::check_contract("read_ecoinvent", [&] {
    hiili::io::EcoinventReport report;
    hiili::io::read_ecoinvent(dir, options, &report);
    (void)report.brief();
  });
  return 0;
}
