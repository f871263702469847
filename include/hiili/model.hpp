// hiili/model.hpp: an LCA model: technosphere A, biosphere B, characterisation C, labels.
//
//   A (n x n)  technosphere; column j is activity j: its product output on the diagonal
//              (positive), its inputs off the diagonal (negative).
//   B (m x n)  biosphere: emissions and resource uses per unit of activity.
//   C (k x m)  characterisation: impact factor of flow f in category q.
//
// Models are built from triplets with ModelBuilder (the way readers and users assemble
// them) or from CSC matrices directly. For every input triplet the model remembers the slot
// in the CSC value array its value was added to ("the pattern stays, values move"), so that
// Monte Carlo and scenarios can rewrite values without rebuilding the pattern.
//
// A Model is immutable after construction and safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hiili/sparse.hpp"
#include "hiili/uncertainty.hpp"

namespace hiili {

// A table of string labels, one row per activity, flow or category, with named columns
// (e.g. "id", "name", "unit", "location"). Lookups by `find` try the "id" column, then
// "name", then the first column; resolve_label (below) is the full rule that every user-facing
// lookup (Python, C++, the CLI) goes through.
class Labels {
 public:
  Labels() = default;
  // Creates `size` rows and no columns.
  explicit Labels(Index size) : size_(size) {}

  Index size() const { return size_; }
  bool empty() const { return columns_.empty(); }

  // Adds or replaces a column; throws InvalidInputError when values.size() != size().
  void set_column(const std::string& name, std::vector<std::string> values);
  bool has_column(std::string_view name) const;
  // Throws InvalidInputError when there is no such column.
  const std::vector<std::string>& column(std::string_view name) const;
  std::vector<std::string> column_names() const;

  // The row whose "id" (else "name", else first column) equals `key`; nullopt if none.
  // Throws InvalidInputError when the key matches more than one row (naming the candidates).
  std::optional<Index> find(std::string_view key) const;

  // The label tables and messages print for row i: "name" (else "id", else the first column),
  // then " [location]" and " (compartment)" when those columns hold a value; "#i" when the
  // table has no columns or the text would be empty. resolve_label accepts it back.
  std::string display(Index i) const;

 private:
  Index size_ = 0;
  std::vector<std::pair<std::string, std::vector<std::string>>> columns_;
};

// The row of a label table (of `size` rows; an empty table may stand for any size) that `key`
// names. The one rule for every label a user types, in C++, Python and the CLI; the first
// step with a match decides:
//   1. an exact match in "id", then "name", then the first column (Labels::find);
//   2. an exact match in any other column, e.g. a sector "code" ("221100") or an impact
//      category's code ("GCC");
//   3. the display label (Labels::display), e.g. "production of plastics 39 [ES]";
//   4. "#i" or a plain index i in [0, size).
// Throws InvalidInputError naming `what` ("activity", "flow", "category") for an unknown key,
// an index out of range, or a key that matches more than one row in one step; an ambiguity
// lists the candidates' display labels and "#i" forms, each of which resolves.
Index resolve_label(const Labels& labels, Index size, std::string_view key, std::string_view what);

// Which of the three matrices an entry belongs to.
enum class MatrixKind { Technosphere, Biosphere, Characterization };
const char* to_string(MatrixKind kind);

// One input entry as given: its value is `flip ? -amount : amount` (Brightway's `flip`),
// summed with any other entry at the same (row, col).
struct Entry {
  Index row = 0;
  Index col = 0;
  double amount = 0.0;
  bool flip = false;

  double value() const { return flip ? -amount : amount; }
};

// One of A, B, C with the entries it was built from.
struct MatrixData {
  CscMatrix matrix;
  std::vector<Entry> entries;           // as given, in input order
  std::vector<Index> slots;             // slots[e]: position of entries[e] in matrix.values
  std::vector<Uncertainty> uncertainty;  // empty, or one per entry

  bool has_uncertainty() const { return !uncertainty.empty(); }
};

class Model {
 public:
  Model() = default;

  Index num_activities() const { return technosphere_.matrix.cols; }        // n
  Index num_flows() const { return biosphere_.matrix.rows; }                // m
  Index num_categories() const { return characterization_.matrix.rows; }    // k

  const CscMatrix& A() const { return technosphere_.matrix; }
  const CscMatrix& B() const { return biosphere_.matrix; }
  const CscMatrix& C() const { return characterization_.matrix; }
  const MatrixData& technosphere() const { return technosphere_; }
  const MatrixData& biosphere() const { return biosphere_; }
  const MatrixData& characterization() const { return characterization_; }
  const MatrixData& data(MatrixKind kind) const;

  const Labels& activities() const { return activities_; }
  const Labels& flows() const { return flows_; }
  const Labels& categories() const { return categories_; }

  // The activity, flow or category a user names (resolve_label: a label as any column or a
  // printed table holds it, "#i" or an index). Throws InvalidInputError when unknown,
  // ambiguous or out of range.
  Index activity_index(std::string_view key) const;
  Index flow_index(std::string_view key) const;
  Index category_index(std::string_view key) const;

  // Builds a model from CSC matrices (copied). Checks shapes (A square, B m x n, C k x m),
  // index ranges, sortedness and finiteness; throws InvalidInputError naming the matrix.
  // Each stored value becomes one entry (no flip).
  static Model from_csc(CscMatrix A, CscMatrix B, CscMatrix C, Labels activities = {},
                        Labels flows = {}, Labels categories = {});
  // Rebuilds a model from the parts another one holds (technosphere(), biosphere(),
  // characterization() and the labels): no sorting, the CSC matrices and entry-to-slot maps are
  // taken as they are, after checking that they agree (shapes, CSC validity, each entry's row
  // and column at its slot, finite amounts, one uncertainty per entry or none). This is how a
  // model is unpickled in Python (hiili.distributed ships models to workers). Throws
  // InvalidInputError naming the matrix and the entry.
  static Model from_data(MatrixData A, MatrixData B, MatrixData C, Labels activities = {},
                         Labels flows = {}, Labels categories = {});

 private:
  friend class ModelBuilder;
  MatrixData technosphere_, biosphere_, characterization_;
  Labels activities_, flows_, categories_;
};

// Assembles a Model from triplets. Sizes are given up front; every add checks its indices
// and that the amount is finite (InvalidInputError naming the matrix, the entry number and
// the offending index or value). Duplicates are summed; `flip` negates.
class ModelBuilder {
 public:
  // n activities (and products), m flows, k categories. n must be > 0; m and k may be 0.
  ModelBuilder(Index n, Index m, Index k);

  void reserve(MatrixKind kind, std::size_t entries);

  // Adds one entry and returns its number (its position in MatrixData::entries).
  Index add(MatrixKind kind, Index row, Index col, double amount, bool flip = false);
  Index add(MatrixKind kind, const Entry& entry, const Uncertainty& uncertainty);
  Index add_technosphere(Index row, Index col, double amount, bool flip = false) {
    return add(MatrixKind::Technosphere, row, col, amount, flip);
  }
  Index add_biosphere(Index row, Index col, double amount, bool flip = false) {
    return add(MatrixKind::Biosphere, row, col, amount, flip);
  }
  Index add_characterization(Index category, Index flow, double factor) {
    return add(MatrixKind::Characterization, category, flow, factor, false);
  }

  // Labels must have the matching number of rows (n, m, k) or be empty.
  void set_activities(Labels labels);
  void set_flows(Labels labels);
  void set_categories(Labels labels);

  // Builds the CSC matrices (sorted rows, duplicates summed, explicit zeros kept so the
  // pattern is fixed) and the entry-to-slot maps. The builder is left empty.
  Model build();

 private:
  struct Part {
    Index rows, cols;
    std::vector<Entry> entries;
    std::vector<Uncertainty> uncertainty;
  };
  Part& part(MatrixKind kind);
  Index n_, m_, k_;
  Part parts_[3];
  Labels activities_, flows_, categories_;
};

}  // namespace hiili
