// what_if(): scenarios answered by a Woodbury update of the existing factorisation.
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/common.hpp"
#include "hiili/error.hpp"
#include "hiili/scenario.hpp"

namespace hiili {

namespace {

using analysis::span_of;
using SparseVec = std::vector<std::pair<Index, double>>;

struct Delta {
  Index row, col;
  double delta;  // new value - current value
  Index slot;    // in the model's matrix; -1 outside its pattern
};

std::vector<Delta> deltas(const CscMatrix& M, const Scenario& s, MatrixKind kind) {
  std::vector<Delta> out;
  for (const Change& c : s.changes) {
    if (c.matrix != kind) continue;
    const Index slot = analysis::find_slot(M, c.row, c.col);
    const double current = slot >= 0 ? M.values[slot] : 0.0;
    out.push_back({c.row, c.col, c.value - current, slot});
  }
  return out;
}

double inf_norm(const Eigen::VectorXd& v) { return v.size() ? v.cwiseAbs().maxCoeff() : 0.0; }

// y += Delta x for a list of entry changes.
void add_delta_product(const std::vector<Delta>& d, const Eigen::VectorXd& x, Eigen::VectorXd& y) {
  for (const Delta& e : d) y[e.row] += e.delta * x[e.col];
}

// A' = A + U V^T, U and V n x r with sparse columns. Grouped by columns of the change
// (U_t = the change of column j_t, V_t = e_jt) or by rows (U_t = e_it, V_t = the change of
// row i_t), whichever gives the smaller r.
struct LowRank {
  std::vector<SparseVec> U, V;
  Index rank() const { return static_cast<Index>(U.size()); }
};

LowRank low_rank(const std::vector<Delta>& d) {
  std::map<Index, SparseVec> by_col, by_row;
  for (const Delta& e : d) {
    if (e.delta == 0.0) continue;
    by_col[e.col].emplace_back(e.row, e.delta);
    by_row[e.row].emplace_back(e.col, e.delta);
  }
  LowRank lr;
  if (by_col.size() <= by_row.size()) {
    for (auto& [j, column] : by_col) {
      lr.U.push_back(std::move(column));
      lr.V.push_back({{j, 1.0}});
    }
  } else {
    for (auto& [i, row] : by_row) {
      lr.U.push_back({{i, 1.0}});
      lr.V.push_back(std::move(row));
    }
  }
  return lr;
}

double dot(const SparseVec& v, const double* x) {
  double s = 0.0;
  for (const auto& [i, a] : v) s += a * x[i];
  return s;
}

// The Woodbury operator x -> x - Z K^-1 V^T x, applied to x = A^-1 b.
class Woodbury {
 public:
  Woodbury(Factorization& factorization, const LowRank& lr, Index n) : lr_(lr) {
    const Index r = lr.rank();
    Z_ = Eigen::MatrixXd::Zero(n, r);
    for (Index t = 0; t < r; ++t)
      for (const auto& [i, a] : lr.U[t]) Z_(i, t) += a;
    factorization.solve_many_in_place(Z_);
    Eigen::MatrixXd K = Eigen::MatrixXd::Identity(r, r);
    for (Index a = 0; a < r; ++a)
      for (Index b = 0; b < r; ++b) K(a, b) += dot(lr.V[a], Z_.col(b).data());
    lu_.compute(K);
    rcond_ = lu_.rcond();
  }
  double rcond() const { return rcond_; }

  void apply(Eigen::VectorXd& x) const {
    const Index r = lr_.rank();
    Eigen::VectorXd w(r);
    for (Index t = 0; t < r; ++t) w[t] = dot(lr_.V[t], x.data());
    x.noalias() -= Z_ * lu_.solve(w);
  }

 private:
  const LowRank& lr_;
  Eigen::MatrixXd Z_;
  Eigen::PartialPivLU<Eigen::MatrixXd> lu_;
  double rcond_ = 0.0;
};

// ||A' x - f||_inf / ||f||_inf with A' = A + the changes.
double residual(const CscMatrix& A, const std::vector<Delta>& d, const Eigen::VectorXd& x,
                const Eigen::VectorXd& f, Eigen::VectorXd* r_out = nullptr) {
  Eigen::VectorXd r = f - A.multiply(span_of(x));
  for (const Delta& e : d) r[e.row] -= e.delta * x[e.col];
  const double fnorm = inf_norm(f);
  const double rnorm = inf_norm(r);
  if (r_out) *r_out = std::move(r);
  if (!std::isfinite(rnorm)) return std::numeric_limits<double>::infinity();
  return fnorm > 0.0 ? rnorm / fnorm : rnorm;
}

// A' with the changes applied; its pattern is A's plus any new entries (explicit zeros kept).
CscMatrix changed_matrix(const CscMatrix& A, const std::vector<Delta>& d, bool* same_pattern) {
  std::vector<std::pair<Index, Index>> extra;  // (col, row) of new entries
  CscMatrix out = A;
  for (const Delta& e : d) {
    if (e.slot >= 0)
      out.values[e.slot] += e.delta;
    else
      extra.emplace_back(e.col, e.row);
  }
  *same_pattern = extra.empty();
  if (extra.empty()) return out;
  std::sort(extra.begin(), extra.end());
  std::map<std::pair<Index, Index>, double> added;
  for (const Delta& e : d)
    if (e.slot < 0) added[{e.col, e.row}] = e.delta;
  CscMatrix M;
  M.rows = A.rows;
  M.cols = A.cols;
  M.col_ptr.assign(A.cols + 1, 0);
  M.row_idx.reserve(A.row_idx.size() + extra.size());
  M.values.reserve(A.values.size() + extra.size());
  std::size_t x = 0;
  for (Index j = 0; j < A.cols; ++j) {
    Index p = out.col_ptr[j];
    const Index end = out.col_ptr[j + 1];
    while (p < end || (x < extra.size() && extra[x].first == j)) {
      const bool take_new =
          x < extra.size() && extra[x].first == j && (p >= end || extra[x].second < out.row_idx[p]);
      if (take_new) {
        M.row_idx.push_back(extra[x].second);
        M.values.push_back(added[extra[x]]);
        ++x;
      } else {
        M.row_idx.push_back(out.row_idx[p]);
        M.values.push_back(out.values[p]);
        ++p;
      }
    }
    M.col_ptr[j + 1] = static_cast<Index>(M.row_idx.size());
  }
  return M;
}

void check_options(const WhatIfOptions& o) {
  if (o.max_rank < 0)
    throw InvalidInputError("what_if: max_rank must be >= 0, got " + std::to_string(o.max_rank));
  if (!(o.residual_tolerance > 0.0) || !std::isfinite(o.residual_tolerance))
    throw InvalidInputError("what_if: residual_tolerance must be a positive number");
}

}  // namespace

WhatIfResults what_if(Lca& lca, std::span<const double> demand,
                      const std::vector<Scenario>& scenarios, const WhatIfOptions& options) {
  check_options(options);
  const Model& model = lca.model();
  const Index n = model.num_activities();
  std::vector<Scenario> resolved;
  resolved.reserve(scenarios.size());
  for (const Scenario& s : scenarios) resolved.push_back(s.resolved(model));

  WhatIfResults out;
  out.baseline = lca.solve(demand);  // checks the demand
  const Eigen::VectorXd f =
      Eigen::Map<const Eigen::VectorXd>(demand.data(), static_cast<Index>(demand.size()));
  analysis::require_factorization_matches(model.A(), out.baseline.supply, f, "what_if");
  Factorization& base = lca.factorization();

  for (const Scenario& s : resolved) {
    ScenarioResult sr;
    sr.name = s.name;
    const std::vector<Delta> dA = deltas(model.A(), s, MatrixKind::Technosphere);
    const LowRank lr = low_rank(dA);
    sr.rank = lr.rank();
    Eigen::VectorXd supply;
    if (sr.rank == 0) {
      supply = out.baseline.supply;
      sr.method = UpdateMethod::Unchanged;
    } else {
      bool woodbury = false;
      switch (options.strategy) {
        case WhatIfStrategy::Auto:
          woodbury = sr.rank <= options.max_rank && sr.rank <= n / 4;
          break;
        case WhatIfStrategy::Woodbury:
          woodbury = true;
          break;
        case WhatIfStrategy::Refactor:
          woodbury = false;
          break;
      }
      if (woodbury) {
        const Woodbury wb(base, lr, n);
        // A near-singular capacitance matrix means A' is (near) singular or the update is
        // badly conditioned: let a fresh factorisation decide and report.
        if (wb.rcond() > 1e-12) {
          supply = out.baseline.supply;
          wb.apply(supply);
          Eigen::VectorXd r;
          double res = residual(model.A(), dA, supply, f, &r);
          if (!(res <= options.residual_tolerance)) {
            base.solve_in_place({r.data(), std::size_t(n)});
            wb.apply(r);
            supply += r;
            res = residual(model.A(), dA, supply, f);
            sr.refined = true;
          }
          if (res <= options.residual_tolerance) {
            sr.method = UpdateMethod::Woodbury;
            sr.residual = res;
          } else {
            woodbury = false;
            sr.fell_back = true;
          }
        } else {
          woodbury = false;
          sr.fell_back = true;
        }
      }
      if (!woodbury) {
        bool same_pattern = true;
        const CscMatrix changed = changed_matrix(model.A(), dA, &same_pattern);
        std::optional<Factorization> fresh;
        if (same_pattern) {
          fresh.emplace(base.symbolic());
          fresh->factorize(changed.values);
          sr.method = UpdateMethod::Refactor;
        } else {
          fresh.emplace(changed, base.symbolic()->options());
          sr.method = UpdateMethod::Factorize;
        }
        supply = fresh->solve(span_of(f));
        sr.residual = fresh->report().last_residual;
      }
    }
    sr.result.supply = std::move(supply);
    const std::vector<Delta> dB = deltas(model.B(), s, MatrixKind::Biosphere);
    sr.result.inventory = model.B().multiply(span_of(sr.result.supply));
    add_delta_product(dB, sr.result.supply, sr.result.inventory);
    const std::vector<Delta> dC = deltas(model.C(), s, MatrixKind::Characterization);
    sr.result.scores = model.C().multiply(span_of(sr.result.inventory));
    add_delta_product(dC, sr.result.inventory, sr.result.scores);
    out.scenarios.push_back(std::move(sr));
  }
  return out;
}

WhatIfResults what_if(Lca& lca, const SparseDemand& demand, const std::vector<Scenario>& scenarios,
                      const WhatIfOptions& options) {
  const Eigen::VectorXd f = lca.dense_demand(demand);
  return what_if(lca, span_of(f), scenarios, options);
}

}  // namespace hiili
