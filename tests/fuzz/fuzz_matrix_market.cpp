// Fuzz target: the Matrix Market model reader (read_matrix_market on a folder: A.mtx, B.mtx,
// C.mtx and label tables). Input: the folder as sections (harness.hpp; default A.mtx). The
// last byte picks io_coefficients.
#include "harness.hpp"
#include "hiili/io/matrix_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto files = hiili::fuzz::split_files({reinterpret_cast<const char*>(data), size}, "A.mtx");
  const auto dir = hiili::fuzz::write_folder("mtx", files);
  hiili::io::MatrixFilesOptions options;
  options.io_coefficients = size > 0 && (data[size - 1] & 1) != 0;
  hiili::fuzz::check_contract("read_matrix_market", [&] { hiili::io::read_matrix_market(dir, options); });
  return 0;
}
