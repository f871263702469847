// Fuzz target: the CSV triplet model reader (read_csv_triplets: A.csv, B.csv, C.csv and label
// tables). Input: the folder as sections (harness.hpp; default A.csv). The last byte picks
// io_coefficients.
#include "harness.hpp"
#include "hiili/io/matrix_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto files = hiili::fuzz::split_files({reinterpret_cast<const char*>(data), size}, "A.csv");
  const auto dir = hiili::fuzz::write_folder("csv", files);
  hiili::io::MatrixFilesOptions options;
  options.io_coefficients = size > 0 && (data[size - 1] & 1) != 0;
  hiili::fuzz::check_contract("read_csv_triplets", [&] { hiili::io::read_csv_triplets(dir, options); });
  return 0;
}
