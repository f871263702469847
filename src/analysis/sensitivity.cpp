// Adjoint sensitivities of one score to every entry of A, B and C.
#include "hiili/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "analysis/common.hpp"
#include "hiili/error.hpp"

namespace hiili {

namespace {

CscMatrix same_pattern(const CscMatrix& M) {
  CscMatrix D;
  D.rows = M.rows;
  D.cols = M.cols;
  D.col_ptr = M.col_ptr;
  D.row_idx = M.row_idx;
  D.values.assign(M.values.size(), 0.0);
  return D;
}

}  // namespace

const CscMatrix& Sensitivity::derivatives(MatrixKind kind) const {
  switch (kind) {
    case MatrixKind::Technosphere:
      return A;
    case MatrixKind::Biosphere:
      return B;
    case MatrixKind::Characterization:
      return C;
  }
  throw InvalidInputError("Sensitivity::derivatives: unknown matrix");
}

Sensitivity sensitivity(std::shared_ptr<const Model> model, const ScoreAnalysis& a) {
  if (!model) throw InvalidInputError("sensitivity: model is null");
  const Index n = model->num_activities(), m = model->num_flows();
  analysis::require_category(*model, a.category, "sensitivity");
  if (a.supply.size() != n || a.adjoint.size() != n || a.inventory.size() != m)
    throw InvalidInputError("sensitivity: the analysis does not fit the model (" +
                            std::to_string(n) + " activities, " + std::to_string(m) + " flows)");
  Sensitivity s;
  s.model = model;
  s.category = a.category;
  s.score = a.score;
  s.supply = a.supply;
  s.inventory = a.inventory;
  s.adjoint = a.adjoint;

  const CscMatrix& A = model->A();
  s.A = same_pattern(A);
  for (Index j = 0; j < A.cols; ++j) {
    const double sj = a.supply[j];
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p)
      s.A.values[p] = -a.adjoint[A.row_idx[p]] * sj;
  }
  const CscMatrix& B = model->B();
  s.B = same_pattern(B);
  Eigen::VectorXd c = Eigen::VectorXd::Zero(m);
  const CscMatrix& C = model->C();
  for (Index f = 0; f < C.cols; ++f) {
    const Index p = analysis::find_slot(C, a.category, f);
    if (p >= 0) c[f] = C.values[p];
  }
  for (Index j = 0; j < B.cols; ++j) {
    const double sj = a.supply[j];
    for (Index p = B.col_ptr[j]; p < B.col_ptr[j + 1]; ++p) s.B.values[p] = c[B.row_idx[p]] * sj;
  }
  s.C = same_pattern(C);
  for (Index f = 0; f < C.cols; ++f) {
    const Index p = analysis::find_slot(C, a.category, f);
    if (p >= 0) s.C.values[p] = a.inventory[f];
  }
  return s;
}

Sensitivity sensitivity(Lca& lca, std::span<const double> demand, Index category) {
  analysis::require_category(lca.model(), category, "sensitivity");
  return sensitivity(lca.shared_model(), analyze_score(lca, demand, category));
}

Sensitivity sensitivity(Lca& lca, const SparseDemand& demand, Index category) {
  const Eigen::VectorXd f = lca.dense_demand(demand);
  return sensitivity(lca, analysis::span_of(f), category);
}

std::vector<SensitivityEntry> Sensitivity::top(Index count, bool technosphere, bool biosphere,
                                               bool characterization) const {
  if (!model) throw InvalidInputError("Sensitivity::top: no model");
  struct Candidate {
    double magnitude;  // |dh/dx * x|: |elasticity| * |h|
    int kind;
    Index slot;
  };
  const MatrixKind kinds[3] = {MatrixKind::Technosphere, MatrixKind::Biosphere,
                               MatrixKind::Characterization};
  const bool use[3] = {technosphere, biosphere, characterization};
  std::vector<Candidate> candidates;
  for (int k = 0; k < 3; ++k) {
    if (!use[k]) continue;
    const CscMatrix& values = model->data(kinds[k]).matrix;
    const CscMatrix& der = derivatives(kinds[k]);
    for (Index p = 0; p < values.nnz(); ++p) {
      const double v = std::abs(der.values[p] * values.values[p]);
      if (v != 0.0) candidates.push_back({v, k, p});
    }
  }
  // Column of each slot, for the tie order and the output.
  const auto column_of = [&](const CscMatrix& M, Index slot) {
    return static_cast<Index>(std::upper_bound(M.col_ptr.begin(), M.col_ptr.end(), slot) -
                              M.col_ptr.begin()) -
           1;
  };
  const auto larger = [](const Candidate& x, const Candidate& y) {
    if (x.magnitude != y.magnitude) return x.magnitude > y.magnitude;
    if (x.kind != y.kind) return x.kind < y.kind;
    return x.slot < y.slot;  // slots run in column-major order
  };
  const std::size_t keep =
      count < 0 ? candidates.size() : std::min(candidates.size(), static_cast<std::size_t>(count));
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep),
                    candidates.end(), larger);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<SensitivityEntry> out;
  out.reserve(keep);
  for (std::size_t t = 0; t < keep; ++t) {
    const Candidate& c = candidates[t];
    const CscMatrix& values = model->data(kinds[c.kind]).matrix;
    SensitivityEntry e;
    e.matrix = kinds[c.kind];
    e.row = values.row_idx[c.slot];
    e.col = column_of(values, c.slot);
    e.value = values.values[c.slot];
    e.derivative = derivatives(kinds[c.kind]).values[c.slot];
    e.elasticity = score != 0.0 ? e.derivative * e.value / score : nan;
    out.push_back(e);
  }
  return out;
}

}  // namespace hiili
