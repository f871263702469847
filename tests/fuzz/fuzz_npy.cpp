// Fuzz target: the NumPy .npy parser behind the datapackage reader (NpyArray::parse and the
// field conversions). Input: the bytes of one .npy file.
#include "harness.hpp"
#include "io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using hiili::io::detail::NpyArray;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  hiili::fuzz::check_contract("NpyArray::parse", [&] {
    const NpyArray array = NpyArray::parse("fuzz.npy", std::move(bytes));
    std::vector<std::string> fields = {""};
    for (const auto& field : array.fields()) fields.push_back(field.name);
    for (const auto& name : fields) {
      hiili::fuzz::check_contract("NpyArray::as_double", [&] { array.as_double(name); });
      hiili::fuzz::check_contract("NpyArray::as_int", [&] { array.as_int(name); });
      hiili::fuzz::check_contract("NpyArray::as_bool", [&] { array.as_bool(name); });
    }
  });
  return 0;
}
