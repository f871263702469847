// hiili/io/write.hpp: LCA results out as CSV and JSON, with the model's labels.
//
// A result has three parts, each a vector over one label table of the model:
//
//   supply     s (n)  over model.activities()
//   inventory  g (m)  over model.flows()
//   scores     h (k)  over model.categories()
//
// CSV: one table per part, a header line "index,<label columns...>,value", then one line per
// element (RFC 4180 quoting where a label needs it). JSON: an object
//   {"supply": [{"index": 0, "id": ..., "name": ..., "value": ...}, ...],
//    "inventory": [...], "scores": [...]}
// with every label column of the part as a string field. Numbers are written with the
// shortest text that reads back to the same double; NaN and infinities (which hiili's solvers
// do not produce) become empty CSV fields and JSON null.
//
// Thread safety: these functions only read the model and the result.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

#include <Eigen/Core>

#include "hiili/lca.hpp"
#include "hiili/model.hpp"

namespace hiili::io {

struct WriteOptions {
  // Leave out elements whose value is exactly zero (long supply vectors of big models).
  bool skip_zeros = false;
};

// One part as a CSV table: `labels` must have values.size() rows or no columns (then only
// index and value are written). Throws InvalidInputError on a size mismatch.
void write_csv_table(std::ostream& out, const Labels& labels, const Eigen::VectorXd& values,
                     const WriteOptions& options = {});

// supply.csv, inventory.csv and scores.csv in `folder` (created when needed). Throws Error
// when a file cannot be written, InvalidInputError when the result does not fit the model.
void write_result_csv(const std::filesystem::path& folder, const Model& model,
                      const LcaResult& result, const WriteOptions& options = {});

// The JSON document described above.
void write_result_json(std::ostream& out, const Model& model, const LcaResult& result,
                       const WriteOptions& options = {});
void write_result_json(const std::filesystem::path& file, const Model& model,
                       const LcaResult& result, const WriteOptions& options = {});
std::string result_json(const Model& model, const LcaResult& result,
                        const WriteOptions& options = {});

}  // namespace hiili::io
