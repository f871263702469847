// One score taken apart (ScoreAnalysis), contributions and ranking.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "analysis/common.hpp"
#include "hiili/contribution.hpp"
#include "hiili/error.hpp"

namespace hiili {

namespace analysis {

Index find_slot(const CscMatrix& M, Index row, Index col) {
  const auto begin = M.row_idx.begin() + M.col_ptr[col];
  const auto end = M.row_idx.begin() + M.col_ptr[col + 1];
  const auto it = std::lower_bound(begin, end, row);
  return (it != end && *it == row) ? static_cast<Index>(it - M.row_idx.begin()) : -1;
}

Eigen::VectorXd diagonal(const CscMatrix& A) {
  Eigen::VectorXd d = Eigen::VectorXd::Zero(A.cols);
  for (Index j = 0; j < A.cols; ++j) {
    const Index p = find_slot(A, j, j);
    if (p >= 0) d[j] = A.values[p];
  }
  return d;
}

void require_factorization_matches(const Lca& lca, const char* what) {
  if (!lca.factorization_matches_model())
    throw InvalidInputError(
        std::string(what) +
        ": the Lca's factorisation does not match the model's technosphere (was "
        "update_technosphere called?); build an Lca for the updated model instead");
}

}  // namespace analysis

using analysis::span_of;

Eigen::VectorXd ScoreAnalysis::process_contributions() const {
  return supply.cwiseProduct(unit_direct);
}

Eigen::VectorXd ScoreAnalysis::flow_contributions() const {
  return factors.cwiseProduct(inventory);
}

Eigen::VectorXd ScoreAnalysis::upstream_scores() const { return adjoint.cwiseProduct(production); }

ScoreAnalysis analyze_score(Lca& lca, std::span<const double> demand, Index category) {
  const Model& model = lca.model();
  analysis::require_category(model, category, "analyze_score");
  analysis::require_factorization_matches(lca, "analyze_score");
  LcaResult r = lca.solve(demand);  // checks the demand
  ScoreAnalysis a;
  a.category = category;
  a.demand = Eigen::Map<const Eigen::VectorXd>(demand.data(), static_cast<Index>(demand.size()));
  a.score = r.scores[category];
  a.supply = std::move(r.supply);
  a.inventory = std::move(r.inventory);
  a.scores = std::move(r.scores);

  const CscMatrix& C = model.C();
  a.factors = Eigen::VectorXd::Zero(C.cols);
  for (Index f = 0; f < C.cols; ++f) {
    const Index p = analysis::find_slot(C, category, f);
    if (p >= 0) a.factors[f] = C.values[p];
  }
  a.unit_direct = model.B().multiply_transposed(span_of(a.factors));
  a.adjoint = a.unit_direct;
  lca.factorization().solve_transposed_in_place({a.adjoint.data(), std::size_t(a.adjoint.size())});
  a.production = analysis::diagonal(model.A()).cwiseProduct(a.supply);
  return a;
}

ScoreAnalysis analyze_score(Lca& lca, const SparseDemand& demand, Index category) {
  const Eigen::VectorXd f = lca.dense_demand(demand);
  return analyze_score(lca, span_of(f), category);
}

Eigen::MatrixXd process_contributions(const Model& model, const Eigen::VectorXd& supply) {
  const CscMatrix& B = model.B();
  const CscMatrix& C = model.C();
  if (supply.size() != model.num_activities())
    throw InvalidInputError("process_contributions: supply has " + std::to_string(supply.size()) +
                            " entries, the model has " + std::to_string(model.num_activities()) +
                            " activities");
  Eigen::MatrixXd P = Eigen::MatrixXd::Zero(model.num_categories(), model.num_activities());
  for (Index j = 0; j < B.cols; ++j) {
    const double sj = supply[j];
    if (sj == 0.0) continue;
    for (Index p = B.col_ptr[j]; p < B.col_ptr[j + 1]; ++p) {
      const Index f = B.row_idx[p];
      const double gfj = B.values[p] * sj;
      for (Index t = C.col_ptr[f]; t < C.col_ptr[f + 1]; ++t)
        P(C.row_idx[t], j) += C.values[t] * gfj;
    }
  }
  return P;
}

Eigen::MatrixXd flow_contributions(const Model& model, const Eigen::VectorXd& inventory) {
  const CscMatrix& C = model.C();
  if (inventory.size() != model.num_flows())
    throw InvalidInputError("flow_contributions: inventory has " +
                            std::to_string(inventory.size()) + " entries, the model has " +
                            std::to_string(model.num_flows()) + " flows");
  Eigen::MatrixXd P = Eigen::MatrixXd::Zero(model.num_categories(), model.num_flows());
  for (Index f = 0; f < C.cols; ++f)
    for (Index t = C.col_ptr[f]; t < C.col_ptr[f + 1]; ++t)
      P(C.row_idx[t], f) = C.values[t] * inventory[f];
  return P;
}

RankedContributions rank_contributions(const Eigen::VectorXd& values, Index top) {
  RankedContributions out;
  std::vector<Index> nonzero;
  for (Index i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!std::isfinite(v))
      throw InvalidInputError("rank_contributions: value " + std::to_string(i) + " is not finite");
    out.total += v;
    if (v != 0.0) nonzero.push_back(i);
  }
  const auto larger = [&](Index a, Index b) {
    const double va = std::abs(values[a]), vb = std::abs(values[b]);
    return va != vb ? va > vb : a < b;
  };
  const std::size_t keep =
      top < 0 ? nonzero.size() : std::min(nonzero.size(), static_cast<std::size_t>(top));
  std::partial_sort(nonzero.begin(), nonzero.begin() + static_cast<std::ptrdiff_t>(keep),
                    nonzero.end(), larger);
  for (std::size_t t = 0; t < keep; ++t) {
    const Index i = nonzero[t];
    out.top.push_back({i, values[i], 0.0});
  }
  out.rest_count = values.size() - static_cast<Index>(keep);
  // Sum the rest directly rather than total - listed (no cancellation).
  for (std::size_t t = keep; t < nonzero.size(); ++t) out.rest += values[nonzero[t]];
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (auto& item : out.top) item.share = out.total != 0.0 ? item.value / out.total : nan;
  return out;
}

}  // namespace hiili
