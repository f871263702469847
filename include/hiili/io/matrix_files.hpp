// hiili/io/matrix_files.hpp: models from anyone's own matrices: Matrix Market files and CSV
// triplets, with optional label tables; and the writers that produce the same layouts.
//
// A model folder holds the technosphere A (required), the biosphere B and the
// characterisation C (both optional), as
//
//   Matrix Market   A.mtx, B.mtx, C.mtx (".mm" also accepted): "%%MatrixMarket matrix"
//                   coordinate or array; real, integer or pattern; general, symmetric or
//                   skew-symmetric. Indices are 1-based, as the format says. The header gives
//                   the shape. Duplicate coordinates add up.
//   CSV triplets    A.csv, B.csv, C.csv: one entry per line, "row,col,value", 0-based indices.
//                   An optional header line names the columns: row, col, value (required,
//                   in any order), and optionally flip (true/false/1/0: negate the value,
//                   Brightway's convention) and the uncertainty columns uncertainty_type, loc,
//                   scale, shape, minimum, maximum, negative (stats_arrays; empty = undefined).
//                   Without a header the first three columns are row, col, value. Duplicate
//                   coordinates add up.
//
// and, for both layouts, optional label tables activities.csv (n rows), flows.csv (m rows),
// categories.csv (k rows): a header line of column names ("id", "name", "unit", ...), then
// one line per index in order. An "id" column must have unique values.
//
// Shapes: Matrix Market headers declare them, and they must agree (A n x n, B m x n, C k x m,
// labels of n, m, k rows). CSV triplets take them from the label tables when present, else
// from the largest index used (+1).
//
// Text: UTF-8 (a byte order mark is skipped); UTF-16/32 files, NUL bytes and invalid UTF-8 in
// labels are FormatErrors. CSV follows RFC 4180 (quoted fields, "" inside quotes, CRLF).
//
// Errors: FormatError naming the file and the line for a missing A, a bad header, a wrong
// number of fields, unparsable or non-finite numbers, indices out of range, too few or too
// many entries, shapes that disagree, and sizes beyond the bounds below. A declared dimension
// is refused above 100,000,000, and above 65,536 unless the file is big enough to make it
// plausible (64 per byte); a dimension CSV triplets imply by their largest index (without a
// label table) likewise needs one entry per 64 above 65,536. The declared entry count never
// sizes an allocation on trust.
#pragma once

#include <filesystem>

#include "hiili/model.hpp"
#include "hiili/sparse.hpp"

namespace hiili::io {

struct MatrixFilesOptions {
  // A holds input-output coefficients (USEEIO, EXIOBASE style): the technosphere is I - A.
  // Each coefficient becomes an entry with flip = true, plus one identity entry per column.
  bool io_coefficients = false;
};

// A folder with A.mtx (and optionally B.mtx, C.mtx, label tables), or a single .mtx file,
// read as the technosphere of a model without biosphere and characterisation.
Model read_matrix_market(const std::filesystem::path& path, const MatrixFilesOptions& options = {});

// One Matrix Market file as a CSC matrix (duplicates summed). For anyone's own matrices.
CscMatrix read_matrix_market_matrix(const std::filesystem::path& file);

// A folder with A.csv (and optionally B.csv, C.csv, label tables).
Model read_csv_triplets(const std::filesystem::path& folder, const MatrixFilesOptions& options = {});

// Writers. They create `folder` when needed and overwrite the files they write.
//   write_matrix_market: A.mtx, B.mtx, C.mtx (coordinate real general, the CSC matrices with
//     duplicates summed; 17 significant digits, so values round-trip exactly), and
//     activities.csv / flows.csv / categories.csv for the labels that exist.
//   write_csv_triplets: A.csv, B.csv, C.csv with one line per model entry (value, flip and
//     uncertainty columns as above, so entries and their uncertainty round-trip), and the
//     label tables.
// Throw Error when a file cannot be written.
void write_matrix_market(const Model& model, const std::filesystem::path& folder);
void write_matrix_market_matrix(const CscMatrix& matrix, const std::filesystem::path& file);
void write_csv_triplets(const Model& model, const std::filesystem::path& folder);

}  // namespace hiili::io
