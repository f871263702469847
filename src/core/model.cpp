#include "hiili/model.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "hiili/error.hpp"

namespace hiili {

const char* to_string(MatrixKind kind) {
  switch (kind) {
    case MatrixKind::Technosphere: return "technosphere";
    case MatrixKind::Biosphere: return "biosphere";
    case MatrixKind::Characterization: return "characterization";
  }
  return "?";
}

const MatrixData& Model::data(MatrixKind kind) const {
  switch (kind) {
    case MatrixKind::Technosphere: return technosphere_;
    case MatrixKind::Biosphere: return biosphere_;
    case MatrixKind::Characterization: return characterization_;
  }
  throw InvalidInputError("unknown matrix kind");
}

namespace {

// Compresses entries into CSC with one slot per distinct (row, col); fills `slots`.
// A bucket sort by column, then a sort by row within each (short) column.
MatrixData compress(Index rows, Index cols, std::vector<Entry> entries,
                    std::vector<Uncertainty> uncertainty) {
  MatrixData out;
  const std::size_t ne = entries.size();
  std::vector<Index> start(static_cast<std::size_t>(cols) + 1, 0);
  for (const Entry& e : entries) ++start[e.col + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<Index> order(ne);
  {
    std::vector<Index> next(start.begin(), start.end() - 1);
    for (std::size_t e = 0; e < ne; ++e) order[next[entries[e].col]++] = static_cast<Index>(e);
  }
  CscMatrix& m = out.matrix;
  m.rows = rows;
  m.cols = cols;
  m.col_ptr.assign(static_cast<std::size_t>(cols) + 1, 0);
  m.row_idx.reserve(ne);
  m.values.reserve(ne);
  out.slots.assign(ne, 0);
  for (Index j = 0; j < cols; ++j) {
    auto first = order.begin() + start[j], last = order.begin() + start[j + 1];
    std::stable_sort(first, last, [&](Index a, Index b) { return entries[a].row < entries[b].row; });
    for (auto it = first; it != last; ++it) {
      const Entry& e = entries[*it];
      if (m.row_idx.size() == static_cast<std::size_t>(m.col_ptr[j]) || m.row_idx.back() != e.row) {
        m.row_idx.push_back(e.row);
        m.values.push_back(0.0);
      }
      m.values.back() += e.value();
      out.slots[*it] = static_cast<Index>(m.values.size()) - 1;
    }
    m.col_ptr[j + 1] = static_cast<Index>(m.row_idx.size());
  }
  out.entries = std::move(entries);
  out.uncertainty = std::move(uncertainty);
  return out;
}

MatrixData from_matrix(CscMatrix matrix, const char* name) {
  matrix.validate(name);
  MatrixData out;
  out.entries.reserve(matrix.row_idx.size());
  out.slots.reserve(matrix.row_idx.size());
  for (Index j = 0; j < matrix.cols; ++j) {
    for (Index p = matrix.col_ptr[j]; p < matrix.col_ptr[j + 1]; ++p) {
      out.entries.push_back({matrix.row_idx[p], j, matrix.values[p], false});
      out.slots.push_back(p);
    }
  }
  out.matrix = std::move(matrix);
  return out;
}

void check_labels(const Labels& labels, Index expected, const char* what) {
  if (labels.empty() && labels.size() == 0) return;
  if (labels.size() != expected)
    throw InvalidInputError(std::string(what) + " labels have " + std::to_string(labels.size()) +
                            " rows, expected " + std::to_string(expected));
}

void check_shape(Index n, Index m, Index k) {
  if (n < 1) throw InvalidInputError("model has no activities (n = " + std::to_string(n) + ")");
  if (m < 0 || k < 0) throw InvalidInputError("negative number of flows or categories");
}

}  // namespace

Model Model::from_csc(CscMatrix A, CscMatrix B, CscMatrix C, Labels activities, Labels flows,
                      Labels categories) {
  if (A.rows != A.cols)
    throw InvalidInputError("technosphere A must be square, got " + std::to_string(A.rows) +
                            " x " + std::to_string(A.cols));
  check_shape(A.cols, B.rows, C.rows);
  if (B.cols != A.cols)
    throw InvalidInputError("biosphere B has " + std::to_string(B.cols) +
                            " columns, technosphere has " + std::to_string(A.cols) + " activities");
  if (C.cols != B.rows)
    throw InvalidInputError("characterization C has " + std::to_string(C.cols) +
                            " columns, biosphere has " + std::to_string(B.rows) + " flows");
  check_labels(activities, A.cols, "activity");
  check_labels(flows, B.rows, "flow");
  check_labels(categories, C.rows, "category");
  Model model;
  model.technosphere_ = from_matrix(std::move(A), "technosphere A");
  model.biosphere_ = from_matrix(std::move(B), "biosphere B");
  model.characterization_ = from_matrix(std::move(C), "characterization C");
  model.activities_ = std::move(activities);
  model.flows_ = std::move(flows);
  model.categories_ = std::move(categories);
  return model;
}

ModelBuilder::ModelBuilder(Index n, Index m, Index k) : n_(n), m_(m), k_(k) {
  check_shape(n, m, k);
  parts_[0] = {n, n, {}, {}};
  parts_[1] = {m, n, {}, {}};
  parts_[2] = {k, m, {}, {}};
}

ModelBuilder::Part& ModelBuilder::part(MatrixKind kind) {
  return parts_[static_cast<int>(kind)];
}

void ModelBuilder::reserve(MatrixKind kind, std::size_t entries) {
  part(kind).entries.reserve(entries);
}

Index ModelBuilder::add(MatrixKind kind, Index row, Index col, double amount, bool flip) {
  Part& p = part(kind);
  const Index number = static_cast<Index>(p.entries.size());
  auto where = [&] {
    return std::string(to_string(kind)) + " entry " + std::to_string(number) + " (row " +
           std::to_string(row) + ", column " + std::to_string(col) + ")";
  };
  if (row < 0 || row >= p.rows)
    throw InvalidInputError(where() + ": row out of range [0, " + std::to_string(p.rows) + ")");
  if (col < 0 || col >= p.cols)
    throw InvalidInputError(where() + ": column out of range [0, " + std::to_string(p.cols) + ")");
  if (!std::isfinite(amount)) throw InvalidInputError(where() + ": amount is not finite");
  p.entries.push_back({row, col, amount, flip});
  if (!p.uncertainty.empty()) p.uncertainty.emplace_back();
  return number;
}

Index ModelBuilder::add(MatrixKind kind, const Entry& entry, const Uncertainty& uncertainty) {
  const Index number = add(kind, entry.row, entry.col, entry.amount, entry.flip);
  Part& p = part(kind);
  if (p.uncertainty.empty()) p.uncertainty.resize(p.entries.size());
  p.uncertainty.back() = uncertainty;
  return number;
}

void ModelBuilder::set_activities(Labels labels) {
  check_labels(labels, n_, "activity");
  activities_ = std::move(labels);
}
void ModelBuilder::set_flows(Labels labels) {
  check_labels(labels, m_, "flow");
  flows_ = std::move(labels);
}
void ModelBuilder::set_categories(Labels labels) {
  check_labels(labels, k_, "category");
  categories_ = std::move(labels);
}

Model ModelBuilder::build() {
  Model model;
  MatrixData* out[3] = {&model.technosphere_, &model.biosphere_, &model.characterization_};
  for (int i = 0; i < 3; ++i) {
    Part& p = parts_[i];
    *out[i] = compress(p.rows, p.cols, std::move(p.entries), std::move(p.uncertainty));
    p.entries.clear();
    p.uncertainty.clear();
  }
  model.activities_ = std::move(activities_);
  model.flows_ = std::move(flows_);
  model.categories_ = std::move(categories_);
  return model;
}

}  // namespace hiili
