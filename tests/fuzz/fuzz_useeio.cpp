// Fuzz target: the USEEIO model-API JSON reader (read_useeio, list_useeio_demands,
// read_useeio_demand). Input: a model folder as sections (harness.hpp); the default file is
// matrix/A.json.
#include "harness.hpp"
#include "hiili/io/useeio.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fs = std::filesystem;
  const auto files = hiili::fuzz::split_files({reinterpret_cast<const char*>(data), size},
                                              "matrix/A.json");
  const fs::path dir = hiili::fuzz::write_folder("useeio", files);
  hiili::fuzz::check_contract("read_useeio", [&] {
    const hiili::Model model = hiili::io::read_useeio(dir);
    for (const auto& file : files)
      if (file.path.starts_with("demands/"))
        hiili::fuzz::check_contract("read_useeio_demand",
                                    [&] { hiili::io::read_useeio_demand(model, dir / file.path); });
  });
  hiili::fuzz::check_contract("list_useeio_demands", [&] { hiili::io::list_useeio_demands(dir); });
  return 0;
}
