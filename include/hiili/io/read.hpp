// hiili/io/read.hpp: read a model in any supported format, detected from its content.
//
// Readers build Models (with labels and, where the format has it, uncertainty) and know
// nothing of solvers. Every reader rejects bad input with FormatError naming the file and
// the entry or line: wrong shapes, ids that point nowhere, NaN/Inf, truncated or corrupt
// files, hostile sizes (nothing is allocated from an untrusted size without a bound).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hiili/demand.hpp"
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

// Reader options by name, as text, e.g. {"allocation", "physical"}. Each format has its own
// names (option_names); an unknown name or a bad value is an InvalidInputError that names the
// option and lists what is accepted. Booleans: true/false, yes/no, on/off, 1/0.
using ReadOptions = std::vector<std::pair<std::string, std::string>>;

// What a reader found and did, the same shape for every format.
struct ReadReport {
  std::string format;  // "openlca", ...
  std::string source;  // the path read
  // Sizes, links made, cut-offs, unlinked flows, conversions, ...: (name, count), in the
  // reader's order. Names are plain snake_case words ("processes", "linked_by_flow").
  std::vector<std::pair<std::string, std::int64_t>> counts;
  // Examples and anything worth a look, one line each.
  std::vector<std::string> warnings;
  // The reader's one-line summary.
  std::string brief;
};

struct ReadResult {
  Model model;
  ReadReport report;
  // Demands the source names (openLCA product systems), in the source's order.
  std::vector<NamedDemand> demands;
};

// Reads the model at `path` with reader options and returns it with the read report.
ReadResult read(const std::filesystem::path& path, Format format, const ReadOptions& options);

// The option names `format` accepts (Auto: none).
std::vector<std::string> option_names(Format format);

}  // namespace hiili::io
