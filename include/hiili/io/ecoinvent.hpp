// hiili/io/ecoinvent.hpp: read ecoinvent's "universal matrix export" (a folder of CSV files,
// or the .7z release that holds it).
//
// ecoinvent publishes each system model (cut-off, APOS, consequential) also as sparse matrices
// in semicolon-separated text files (the layout is described in the export's own readme and in
// docs/formats-openlca-ecoinvent.md; the files are licensed, so hiili's tests use hand-made
// ones):
//
//   A_public.csv   technosphere triplets: row;column;coefficient;uncertainty type;
//                  varianceWithPedigreeUncertainty;minValue;mostLikelyValue;maxValue
//                  rows and columns from ie_index.csv; the diagonal (the reference product,
//                  1 or -1 for waste treatments) is included and inputs are negative, so the
//                  file is hiili's A as it stands.
//   B_public.csv   biosphere triplets (same columns): rows from ee_index.csv, columns from
//                  ie_index.csv.
//   C.csv          characterisation triplets (row;column;coefficient): rows from
//                  LCIA_index.csv, columns from ee_index.csv. C_public.csv is accepted too.
//   ie_index.csv   activityName;geography;product;unitName;index
//   ee_index.csv   name;compartment;subcompartment;unitName;index
//   LCIA_index.csv method;category;indicator;unitName;index
//
// Layouts differ between the exports and the public code that reads them, so the reader looks
// at the headers: a triplet file whose header names no row/column/coefficient is read by
// position (row;column;coefficient first); an LCIA index whose header names none of method,
// category, indicator is read by position (method;category;indicator;unitName) with the names
// reported, and its last column is the index when none is called `index`; activity index
// columns may also be called "system process", "reference product", "location". Each such
// choice is listed in EcoinventReport::notes. A matrix file whose header names its rows or
// columns by labels (activityName, geography, product, name, compartment, ...) instead of
// row;column;coefficient is refused with FormatError saying how to convert it: no public
// source shows such a layout for the matrix files (docs/formats-openlca-ecoinvent.md). A
// folder whose single subfolder holds the export is read there. A release archive (.7z, by
// name or 7-Zip signature) is read directly with libarchive, without unpacking it to disk:
// the export at its root or in the one folder one level down that holds ie_index.csv (several
// such folders: FormatError naming them); each member read is bounded by max_file_bytes,
// there are at most 100,000 entries, more than 2,048 times the archive's size decompressed
// (past 256 MiB) is refused as an archive bomb, and a corrupt, truncated or encrypted archive
// (CRC mismatch included) gives FormatError naming the archive and the member.
//
// Index numbers are 0-based; `index` must be a permutation of 0..rows-1. Columns are found
// by their header names (case-insensitive); a triplet file without a header line is read in
// the column order above. B/ee_index and C/LCIA_index are optional (m = 0, k = 0 without
// them). Index files are Latin-1 in the exports seen; text is converted to UTF-8 for the
// labels (Encoding::Auto keeps files that are valid UTF-8 as they are). A UTF-8 byte order
// mark is skipped; "\r\n" and "\n" line ends and RFC 4180 quoting ("a;b", "say ""x""") work.
//
// Labels: activities id ("activityName|geography|product"), name, location, product, unit;
// flows id ("name|compartment|subcompartment"), name, compartment, subcompartment, unit;
// categories id ("method|category|indicator"), method, category, indicator, unit. Any other
// column of an index file is kept under its header name.
//
// Uncertainty columns (A and B) -> stats_arrays: "lognormal" -> 2 with loc = ln|coefficient|,
// scale = sqrt(varianceWithPedigreeUncertainty), negative when the coefficient is negative
// (the export's readme: sample the positive value, then multiply by -1); "normal" -> 3 with
// loc = coefficient, scale = sqrt(variance); "triangular" -> 5 (minValue, mostLikelyValue,
// maxValue as given: the export already turned them for negated coefficients); "uniform" -> 4
// (minValue, maxValue); "undefined", "none", "" or "0" -> 0. Other names (beta, gamma,
// binomial, ...) and invalid parameters become type 0 and are counted in the report, or raise
// FormatError with `strict_uncertainty`.
//
// Errors: FormatError naming the file and the line (and field) for a missing required file or
// column, a non-numeric, negative or out-of-range row/column, NaN/Inf or unparsable numbers,
// an index file whose `index` column is not a permutation, an unterminated quote, a file above
// `max_file_bytes`. Nothing is allocated from a number in the input without a bound.
//
// Thread safety: read_ecoinvent has no shared state; concurrent calls are safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hiili/model.hpp"

namespace hiili::io {

struct EcoinventOptions {
  // Text encoding of the index files. Auto: UTF-8 when the whole file is valid UTF-8,
  // otherwise Latin-1 (ISO 8859-1).
  enum class Encoding { Auto, Latin1, Utf8 };
  Encoding encoding = Encoding::Auto;

  bool read_uncertainty = true;     // false: every entry is type 0
  bool strict_uncertainty = false;  // unknown types / invalid parameters raise FormatError

  // Bound on the size of any one file read (hostile input).
  std::uint64_t max_file_bytes = std::uint64_t{4} << 30;  // 4 GiB

  std::size_t max_examples = 10;  // per kind, in the report
};

struct EcoinventReport {
  std::string source;              // the folder read
  std::vector<std::string> files;  // the files read, in order

  std::int64_t activities = 0;  // n
  std::int64_t flows = 0;       // m
  std::int64_t categories = 0;  // k
  std::int64_t technosphere_entries = 0;
  std::int64_t biosphere_entries = 0;
  std::int64_t characterization_entries = 0;
  std::int64_t missing_diagonal = 0;   // columns of A with no diagonal entry
  std::int64_t negative_diagonal = 0;  // columns of A whose diagonal is negative (waste)
  std::int64_t duplicate_entries = 0;  // triplets at a (row, column) seen before (summed)

  std::int64_t uncertain_lognormal = 0;
  std::int64_t uncertain_normal = 0;
  std::int64_t uncertain_uniform = 0;
  std::int64_t uncertain_triangular = 0;
  std::int64_t uncertainty_unsupported = 0;       // unknown type names -> 0
  std::int64_t uncertainty_invalid = 0;           // invalid parameters -> 0
  std::vector<std::string> uncertainty_examples;  // "file:line: detail"

  bool latin1 = false;  // some index file was read as Latin-1

  // How the layout was read where it was not the documented one: a triplet header read by
  // position, an LCIA index whose column names were not recognised (the names and what they
  // were read as; its index column by position), the export found in a subfolder.
  std::vector<std::string> notes;

  // One line, e.g. "ecoinvent: n=21238 m=2402 k=12 A 301k B 654k C 4k, ...".
  std::string brief() const;
};

// Reads the universal matrix export in `folder` (a folder or a .7z release). Throws
// FormatError as described above.
Model read_ecoinvent(const std::filesystem::path& folder, const EcoinventOptions& options = {},
                     EcoinventReport* report = nullptr);

// True when `path` is a folder holding ie_index.csv and A_public.csv (or A.csv), directly or
// in its one subfolder, or a 7-Zip archive (by name or signature; read_ecoinvent checks it).
bool is_ecoinvent(const std::filesystem::path& path);

}  // namespace hiili::io
