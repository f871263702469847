#include "hiili/model.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <optional>
#include <string>

#include "hiili/diagnostics.hpp"
#include "hiili/error.hpp"
#include "hiili/monte_carlo.hpp"

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

Index Model::activity_index(std::string_view key) const {
  return resolve_label(activities_, num_activities(), key, "activity");
}

Index Model::flow_index(std::string_view key) const {
  return resolve_label(flows_, num_flows(), key, "flow");
}

Index Model::category_index(std::string_view key) const {
  return resolve_label(categories_, num_categories(), key, "category");
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

// The checks of Model::from_data for one matrix: its entries sit at their slots.
void check_data(const MatrixData& data, const char* name) {
  const CscMatrix& m = data.matrix;
  m.validate(name);
  const std::size_t ne = data.entries.size();
  if (data.slots.size() != ne || (data.has_uncertainty() && data.uncertainty.size() != ne))
    throw InvalidInputError(std::string(name) + ": " + std::to_string(ne) + " entries but " +
                            std::to_string(data.slots.size()) + " slots and " +
                            std::to_string(data.uncertainty.size()) + " uncertainties");
  const Index nnz = static_cast<Index>(m.row_idx.size());
  for (std::size_t e = 0; e < ne; ++e) {
    const Entry& entry = data.entries[e];
    const Index slot = data.slots[e];
    const bool placed = slot >= 0 && slot < nnz && entry.col >= 0 && entry.col < m.cols &&
                        m.row_idx[slot] == entry.row && m.col_ptr[entry.col] <= slot &&
                        slot < m.col_ptr[entry.col + 1];
    if (!placed || !std::isfinite(entry.amount))
      throw InvalidInputError(std::string(name) + " entry " + std::to_string(e) + " (row " +
                              std::to_string(entry.row) + ", col " + std::to_string(entry.col) +
                              (placed ? ") has a non-finite amount" : ") is not at its slot " +
                                                                         std::to_string(slot)));
  }
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

Model Model::from_data(MatrixData A, MatrixData B, MatrixData C, Labels activities,
                       Labels flows, Labels categories) {
  check_data(A, "technosphere A");
  check_data(B, "biosphere B");
  check_data(C, "characterization C");
  if (A.matrix.rows != A.matrix.cols || B.matrix.cols != A.matrix.cols ||
      C.matrix.cols != B.matrix.rows)
    throw InvalidInputError("model parts of mismatched shapes: A " +
                            std::to_string(A.matrix.rows) + " x " + std::to_string(A.matrix.cols) +
                            ", B " + std::to_string(B.matrix.rows) + " x " +
                            std::to_string(B.matrix.cols) + ", C " + std::to_string(C.matrix.rows) +
                            " x " + std::to_string(C.matrix.cols));
  check_shape(A.matrix.cols, B.matrix.rows, C.matrix.rows);
  check_labels(activities, A.matrix.cols, "activity");
  check_labels(flows, B.matrix.rows, "flow");
  check_labels(categories, C.matrix.rows, "category");
  Model model;
  model.technosphere_ = std::move(A);
  model.biosphere_ = std::move(B);
  model.characterization_ = std::move(C);
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

// ---- diagnostics.hpp: characterisation -------------------------------------------------------

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string cell(const Labels& labels, std::string_view column, Index i) {
  if (labels.empty() || !labels.has_column(column)) return {};
  return labels.column(column)[static_cast<std::size_t>(i)];
}

// "'Global Climate Change' (GCC)", else the id, else "#q".
std::string category_label(const Model& model, Index q) {
  const Labels& c = model.categories();
  std::string name = cell(c, "name", q), code = cell(c, "code", q);
  if (name.empty()) name = cell(c, "id", q);
  // Appends only: GCC 12 warns falsely (-Wrestrict) on "'" + std::string here.
  std::string text;
  if (name.empty()) {
    text.append("#").append(std::to_string(q));
  } else {
    text.append("'").append(name).append("'");
  }
  if (!code.empty()) text.append(" (").append(code).append(")");
  return text;
}

// The flow's compartment: its "compartment" column, else "category" (USEEIO), lower case.
std::string compartment(const Labels& flows, Index f) {
  std::string text = cell(flows, "compartment", f);
  if (text.empty()) text = cell(flows, "category", f);
  return lower(text);
}

std::string flow_label(const Labels& flows, Index f) {
  std::string name = cell(flows, "name", f);
  std::string where = cell(flows, "compartment", f);
  if (where.empty()) where = cell(flows, "category", f);
  return "'" + name + "'" + (where.empty() ? "" : " (" + where + ")");
}

struct GasRule {
  const char* gas;
  std::vector<std::string> names;  // lower case, exact
  double lo, hi;
};

const std::vector<GasRule>& gas_rules() {
  static const std::vector<GasRule> rules{
      {"carbon dioxide", {"carbon dioxide", "carbon dioxide, fossil"}, 0.9, 1.1},
      {"methane",
       {"methane", "methane, fossil", "methane, biogenic", "methane, non-fossil"},
       1.0,
       100.0},
      {"nitrous oxide", {"dinitrogen monoxide", "nitrous oxide"}, 100.0, 400.0}};
  return rules;
}

// Flows (in air, where the flows say) named as one of `rule`'s names.
std::vector<Index> flows_of(const Labels& flows, const GasRule& rule) {
  std::vector<Index> out;
  if (flows.empty() || !flows.has_column("name")) return out;
  const auto& names = flows.column("name");
  for (Index f = 0; f < flows.size(); ++f) {
    const std::string name = lower(names[static_cast<std::size_t>(f)]);
    if (std::find(rule.names.begin(), rule.names.end(), name) == rule.names.end()) continue;
    const std::string where = compartment(flows, f);
    if (where.empty() || where.find("air") != std::string::npos) out.push_back(f);
  }
  return out;
}

// C as dense rows (k x m); C is small next to A and B.
std::vector<std::vector<double>> dense_rows(const CscMatrix& C) {
  std::vector<std::vector<double>> rows(static_cast<std::size_t>(C.rows),
                                        std::vector<double>(static_cast<std::size_t>(C.cols), 0.0));
  for (Index f = 0; f < C.cols; ++f)
    for (Index p = C.col_ptr[f]; p < C.col_ptr[f + 1]; ++p)
      rows[static_cast<std::size_t>(C.row_idx[p])][static_cast<std::size_t>(f)] += C.values[p];
  return rows;
}

// "Cyfluthrin 4.9e+08, Lambda-cyhalothrin 1.39e+08, Fenpropathrin 1.14e+08".
std::string largest_factors(const Labels& flows, const std::vector<double>& row) {
  std::vector<Index> order;
  for (Index f = 0; f < static_cast<Index>(row.size()); ++f)
    if (row[static_cast<std::size_t>(f)] != 0.0) order.push_back(f);
  const std::size_t shown = std::min<std::size_t>(3, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(),
                    [&](Index a, Index b) {
                      return std::abs(row[static_cast<std::size_t>(a)]) >
                             std::abs(row[static_cast<std::size_t>(b)]);
                    });
  std::string text;
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) text += ", ";
    text +=
        flow_label(flows, order[i]) + " " + message_number(row[static_cast<std::size_t>(order[i])]);
  }
  return text.empty() ? "none" : text;
}

bool in_range(double v, const GasRule& rule) { return v >= rule.lo && v <= rule.hi; }

// The first category other than `q` (and a flow of `gas`) that gives the gas its expected factor.
std::optional<std::pair<Index, Index>> category_counting(
    const std::vector<std::vector<double>>& rows, const std::vector<Index>& gas,
    const GasRule& rule, Index q) {
  for (Index other = 0; other < static_cast<Index>(rows.size()); ++other)
    for (Index f : gas)
      if (other != q &&
          in_range(rows[static_cast<std::size_t>(other)][static_cast<std::size_t>(f)], rule))
        return std::make_pair(other, f);
  return std::nullopt;
}

bool contains_any(const std::string& text, std::initializer_list<const char*> words) {
  for (const char* w : words)
    if (text.find(w) != std::string::npos) return true;
  return false;
}

}  // namespace

bool is_climate_category(const Model& model, Index q) {
  const Labels& c = model.categories();
  const std::string code = lower(cell(c, "code", q));
  const std::string name = lower(cell(c, "name", q) + " " + cell(c, "id", q));
  std::string unit = lower(cell(c, "unit", q));
  unit.erase(
      std::remove_if(unit.begin(), unit.end(), [](char ch) { return ch == ' ' || ch == '-'; }),
      unit.end());
  return code == "ghg" || code == "gcc" || code.rfind("gwp", 0) == 0 ||
         contains_any(name, {"climate", "greenhouse", "global warming"}) || unit == "kgco2eq" ||
         unit == "kgco2e" || unit == "kgco2equivalent";
}

std::vector<CharacterisationNote> climate_notes(const Model& model) {
  std::vector<CharacterisationNote> notes;
  const Labels& flows = model.flows();
  std::vector<std::vector<double>> rows;
  for (Index q = 0; q < model.num_categories(); ++q) {
    if (!is_climate_category(model, q)) continue;
    // A partial indicator (EF's "Climate change - Biogenic") rightly leaves fossil CO2 out.
    const std::string name = lower(cell(model.categories(), "name", q));
    if (contains_any(name, {"biogenic", "land use", "land-use", "luluc"})) continue;
    if (rows.empty()) rows = dense_rows(model.C());
    const auto& row = rows[static_cast<std::size_t>(q)];
    for (const GasRule& rule : gas_rules()) {
      const std::vector<Index> gas = flows_of(flows, rule);
      if (gas.empty()) continue;
      Index worst = gas.front();
      bool ok = false;
      for (Index f : gas) {
        ok = ok || in_range(row[static_cast<std::size_t>(f)], rule);
        if (std::abs(row[static_cast<std::size_t>(f)]) >
            std::abs(row[static_cast<std::size_t>(worst)]))
          worst = f;
      }
      if (ok) continue;
      std::string message = "category " + category_label(model, q) + " gives " + rule.gas + " " +
                            flow_label(flows, worst) + " a factor of " +
                            message_number(row[static_cast<std::size_t>(worst)]) + ", expected " +
                            message_number(rule.lo) + " to " + message_number(rule.hi) +
                            "; its largest factors: " + largest_factors(flows, row);
      if (auto other = category_counting(rows, gas, rule, q))
        message += "; " + std::string(rule.gas) + "'s factor of " +
                   message_number(rows[static_cast<std::size_t>(other->first)]
                                      [static_cast<std::size_t>(other->second)]) +
                   " is in category " + category_label(model, other->first);
      notes.push_back({q, message});
    }
  }
  return notes;
}

// ---- diagnostics.hpp: uncertainty ------------------------------------------------------------

std::string no_uncertainty_warning(const MonteCarloReport& report) {
  for (Index sampled : report.sampled_entries)
    if (sampled > 0) return {};
  return "no entry of the sampled matrices upstream of the demand is uncertain: every "
         "iteration repeats the deterministic scores and each interval is a single point. "
         "Attach uncertainty first (Python: hiili.with_uncertainty; a Brightway datapackage "
         "with uncertainty; synth:...,uncertainty=1; docs/monte-carlo.md)";
}

}  // namespace hiili
