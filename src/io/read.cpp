#include "hiili/io/read.hpp"

#include <algorithm>
#include <cctype>
#include <system_error>

#include "hiili/error.hpp"
#include "hiili/io/datapackage.hpp"
#include "hiili/io/ecoinvent.hpp"
#include "hiili/io/matrix_files.hpp"
#include "hiili/io/openlca.hpp"
#include "hiili/io/useeio.hpp"
#include "io/util.hpp"

namespace hiili::io {

namespace fs = std::filesystem;

const char* to_string(Format format) {
  switch (format) {
    case Format::Auto: return "auto";
    case Format::Useeio: return "useeio";
    case Format::Datapackage: return "datapackage";
    case Format::Ecoinvent: return "ecoinvent";
    case Format::OpenLca: return "openlca";
    case Format::MatrixMarket: return "matrix-market";
    case Format::CsvTriplets: return "csv-triplets";
  }
  return "?";
}

Format format_from_string(std::string_view name) {
  std::string key;
  for (char c : name)
    if (c != '-' && c != '_' && c != ' ') key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (key == "auto" || key.empty()) return Format::Auto;
  if (key == "useeio") return Format::Useeio;
  if (key == "datapackage" || key == "brightway" || key == "bwprocessing") return Format::Datapackage;
  if (key == "ecoinvent") return Format::Ecoinvent;
  if (key == "openlca" || key == "jsonld") return Format::OpenLca;
  if (key == "matrixmarket" || key == "mtx" || key == "mm") return Format::MatrixMarket;
  if (key == "csvtriplets" || key == "csv" || key == "triplets") return Format::CsvTriplets;
  throw InvalidInputError("unknown format '" + std::string(name) +
                          "' (auto, useeio, datapackage, ecoinvent, openlca, matrix-market, "
                          "csv-triplets)");
}

namespace {

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

}  // namespace

Format detect_format(const fs::path& path) {
  const std::string name = detail::display(path);
  std::error_code ec;
  if (!fs::exists(path, ec)) detail::fail(name, "no such file or folder");
  if (fs::is_directory(path, ec)) {
    if (is_file(path / "matrix" / "A.json")) return Format::Useeio;
    if (is_file(path / "datapackage.json")) return Format::Datapackage;
    if (is_ecoinvent(path)) return Format::Ecoinvent;  // before A.csv: it may name A.csv
    if (is_openlca(path)) return Format::OpenLca;
    if (is_file(path / "A.mtx") || is_file(path / "A.mm")) return Format::MatrixMarket;
    if (is_file(path / "A.csv")) return Format::CsvTriplets;
    detail::fail(name,
                 "no reader recognises this folder (looked for matrix/A.json, datapackage.json, "
                 "ie_index.csv, processes/, A.mtx, A.csv)");
  }
  if (path.filename() == "datapackage.json") return Format::Datapackage;
  if (detail::looks_like_zip(path)) {
    const detail::ZipArchive zip(path);
    for (const std::string& member : zip.names()) {
      const auto slash = member.find('/');
      if (member == "datapackage.json" ||
          (slash != std::string::npos && member.substr(slash + 1) == "datapackage.json"))
        return Format::Datapackage;
    }
    if (is_openlca(path)) return Format::OpenLca;
    detail::fail(name, "a zip archive without datapackage.json or processes/: no reader recognises it");
  }
  const std::string head = detail::read_prefix(path, 64);
  if (starts_with_nocase(head, "%%MatrixMarket")) return Format::MatrixMarket;
  detail::fail(name, "no reader recognises this file (a datapackage zip, a Matrix Market file, "
                     "or a model folder was expected)");
}

Model read(const fs::path& path, Format format) {
  if (format == Format::Auto) format = detect_format(path);
  switch (format) {
    case Format::Useeio: return read_useeio(path);
    case Format::Datapackage: return read_datapackage(path);
    case Format::MatrixMarket: return read_matrix_market(path);
    case Format::CsvTriplets: return read_csv_triplets(path);
    case Format::Ecoinvent: return read_ecoinvent(path);
    case Format::OpenLca: return read_openlca(path);
    case Format::Auto: break;
  }
  throw InvalidInputError("read: unknown format");
}

}  // namespace hiili::io
