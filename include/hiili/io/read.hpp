// hiili/io/read.hpp: read a model in any supported format, detected from its content.
//
// Readers build Models (with labels and, where the format has it, uncertainty) and know
// nothing of solvers. Every reader rejects bad input with FormatError naming the file and
// the entry or line: wrong shapes, ids that point nowhere, NaN/Inf, truncated or corrupt
// files, hostile sizes (nothing is allocated from an untrusted size without a bound).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "hiili/lca.hpp"
#include "hiili/model.hpp"

namespace hiili::io {

enum class Format { Auto, Useeio, Datapackage, Ecoinvent, OpenLca, MatrixMarket, CsvTriplets };
const char* to_string(Format format);
// "useeio", "datapackage", ... ; throws InvalidInputError for an unknown name.
Format format_from_string(std::string_view name);

// Looks at the path (folder or file) and its content; throws FormatError when no reader fits.
Format detect_format(const std::filesystem::path& path);

// Reads the model at `path` (a file or a folder, depending on the format).
Model read(const std::filesystem::path& path, Format format = Format::Auto);

}  // namespace hiili::io
