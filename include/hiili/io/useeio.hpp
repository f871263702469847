// hiili/io/useeio.hpp: USEEIO models in the "model API" JSON layout.
//
// A model folder (e.g. USEEIOv1.2 or USEEIOv2.0-GHG as published by the USEEIO API builds)
// holds:
//
//   matrix/A.json     n x n  direct requirements (input-output coefficients, $ per $)
//   matrix/B.json     m x n  satellite coefficients: flow per $ of sector output
//   matrix/C.json     k x m  characterisation factors
//   sectors.json      n entries {id, index, name, code, location, description}
//   flows.json        m entries {id, index, name, category, subCategory, unit, uuid}
//   indicators.json   k entries {id, index, name, code, unit, group, ...}
//   demands.json      the demand vectors of the model: [{id, year, type, system, location}]
//   demands/<id>.json [{"sector": <sectors.json id>, "amount": <USD>}, ...]
//
// Matrices are dense, row-major JSON ([[row 0], [row 1], ...]). The published results
// (matrix/D.json, L.json, U.json or N.json) are not read: they are what hiili computes.
//
// The model hiili builds: the technosphere is I - A (entries: one identity entry of 1 per
// sector, then each nonzero A_ij as an entry with amount A_ij and flip = true, so the
// published coefficients stay visible in Model::technosphere().entries); B and C as given
// (nonzeros only). USEEIO carries no uncertainty.
//
// Labels:
//   activities  id, name, code, location, description        (from sectors.json)
//   flows       id, name, category, sub_category, unit, uuid (from flows.json)
//   categories  id, name, code, unit, group                  (from indicators.json)
// A label file that is absent gives generated labels: flows "flow 0", "flow 1", ... (USEEIO
// v2.0-GHG publishes no flows.json; which gas a row is can only be inferred from C, so hiili
// does not guess), sectors "sector 0", ..., indicators "indicator 0", ...
// Each entry's "index" field, when present, places it; indices must be a permutation of
// 0..size-1 and ids must be unique.
//
// Errors: FormatError naming the file and the row / entry for a missing matrix/A.json, a
// file that is not JSON, ragged rows, wrong shapes (A not square, B without n columns, C
// without m columns, label files of the wrong length), non-numeric or non-finite cells,
// duplicate ids or indices, and files over the size limit.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "hiili/demand.hpp"
#include "hiili/model.hpp"

namespace hiili::io {

// Reads the model in the folder `model_dir` (the folder holding matrix/A.json).
Model read_useeio(const std::filesystem::path& model_dir);

// One entry of demands.json.
struct UseeioDemandInfo {
  std::string id;                // e.g. "2007_us_consumption"
  int year = 0;                  // 0 when not given
  std::string type;              // "Consumption", "Production", ...
  std::string system;            // "Full System", ...
  std::string location;          // "US", ...
  std::filesystem::path file;    // model_dir / "demands" / (id + ".json")
};

// The demand vectors a model folder lists in its demands.json, in file order; empty when the
// folder has no demands.json. FormatError for a malformed demands.json. (Files under demands/
// that demands.json does not list may belong to another model; see read_useeio_demand.)
std::vector<UseeioDemandInfo> list_useeio_demands(const std::filesystem::path& model_dir);

// Reads a demand file [{"sector": id, "amount": number}, ...] and maps each sector id to the
// model's activity index (label column "id"). Repeated sectors add up (SparseDemand
// semantics). Throws FormatError naming the file, the entry number and the sector id when a
// sector is not in the model (demand files of another model are rejected, not silently
// dropped), and for a missing or malformed file or a non-finite amount.
SparseDemand read_useeio_demand(const Model& model, const std::filesystem::path& demand_json);

}  // namespace hiili::io
