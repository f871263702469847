// what_if(): scenarios answered by a Woodbury update of the existing factorisation.
#include <tbb/parallel_invoke.h>

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

// The largest |v_i|; infinite when an entry is not finite (Eigen's maxCoeff may drop a NaN), so
// that a residual or answer with a NaN never looks small.
double inf_norm(const Eigen::VectorXd& v) {
  if (!v.allFinite()) return std::numeric_limits<double>::infinity();
  return v.size() ? v.cwiseAbs().maxCoeff() : 0.0;
}

// y += Delta x for a list of entry changes.
void add_delta_product(const std::vector<Delta>& d, const Eigen::VectorXd& x,
                       Eigen::Ref<Eigen::VectorXd> y) {
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

// The right-hand sides A^-1 U needs: column t of U in column t of the block.
void put_columns(const LowRank& lr, Eigen::Ref<Eigen::MatrixXd> block) {
  block.setZero();
  for (Index t = 0; t < lr.rank(); ++t)
    for (const auto& [i, a] : lr.U[t]) block(i, t) += a;
}

// The Woodbury operator x -> x - Z K^-1 V^T x, applied to x = A^-1 b; Z = A^-1 U solved by
// the caller (all scenarios' columns in one multi-column solve).
class Woodbury {
 public:
  Woodbury(const LowRank& lr, Eigen::MatrixXd Z) : lr_(lr), Z_(std::move(Z)) {
    const Index r = lr.rank();
    Eigen::MatrixXd K = Eigen::MatrixXd::Identity(r, r);
    for (Index a = 0; a < r; ++a)
      for (Index b = 0; b < r; ++b) K(a, b) += dot(lr.V[a], Z_.col(b).data());
    lu_.compute(K);
    rcond_ = lu_.rcond();
  }
  double rcond() const { return rcond_; }

  void apply(Eigen::Ref<Eigen::VectorXd> x) const {
    const Index r = lr_.rank();
    Eigen::VectorXd w(r);
    for (Index t = 0; t < r; ++t) w[t] = dot(lr_.V[t], x.data());
    x.noalias() -= Z_ * lu_.solve(w);
  }

 private:
  LowRank lr_;
  Eigen::MatrixXd Z_;
  Eigen::PartialPivLU<Eigen::MatrixXd> lu_;
  double rcond_ = 0.0;
};

// A lower bound of ||A'||_inf for A' = A + the changes: ||A||_inf less the largest row sum of
// |changes|. With it the backward error below is never more lenient than the exact one.
double changed_norm(double a_norm, const std::vector<Delta>& d) {
  std::map<Index, double> rows;
  for (const Delta& e : d) rows[e.row] += std::abs(e.delta);
  double largest = 0.0;
  for (const auto& [row, sum] : rows) largest = std::max(largest, sum);
  return std::max(a_norm - largest, 0.0);
}

// The normwise backward error of x as the answer of A' x = f, as the solver's own check
// measures it: ||f - A' x||_inf / (||A'||_inf ||x||_inf + ||f||_inf), given Ax = A x.
double residual_from(const Eigen::VectorXd& Ax, const std::vector<Delta>& d,
                     const Eigen::VectorXd& x, const Eigen::VectorXd& f, double a_norm,
                     Eigen::VectorXd* r_out = nullptr) {
  Eigen::VectorXd r = f - Ax;
  for (const Delta& e : d) r[e.row] -= e.delta * x[e.col];
  const double rnorm = inf_norm(r);
  if (r_out) *r_out = std::move(r);
  const double scale = a_norm * inf_norm(x) + inf_norm(f);
  if (!std::isfinite(rnorm) || !std::isfinite(scale)) return std::numeric_limits<double>::infinity();
  return scale > 0.0 ? rnorm / scale : rnorm;
}

double residual(const CscMatrix& A, const std::vector<Delta>& d, const Eigen::VectorXd& x,
                const Eigen::VectorXd& f, double a_norm) {
  return residual_from(A.multiply(span_of(x)), d, x, f, a_norm);
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

// How one scenario is answered, decided before any solve.
struct Plan {
  std::vector<Delta> dA;
  LowRank lr;
  bool woodbury = false;
  Index first = 0;             // its first column in the stacked right-hand sides
  std::optional<Woodbury> wb;  // kept when the update is well conditioned ...
  Index column = 0;            // ... and then its answer's column in S (and in A S, B S)
};

bool wants_woodbury(const WhatIfOptions& o, Index rank, Index n) {
  switch (o.strategy) {
    case WhatIfStrategy::Auto:
      return rank <= o.max_rank && rank <= n / 4;
    case WhatIfStrategy::Woodbury:
      return true;
    case WhatIfStrategy::Refactor:
      return false;
  }
  return false;
}

// The scenario refactored afresh: on A's analysis when the pattern is unchanged.
Eigen::VectorXd refactored_supply(Factorization& base, const CscMatrix& A, const Plan& p,
                                  const Eigen::VectorXd& f, ScenarioResult& sr) {
  bool same_pattern = true;
  const CscMatrix changed = changed_matrix(A, p.dA, &same_pattern);
  std::optional<Factorization> fresh;
  if (same_pattern) {
    fresh.emplace(base.symbolic());
    fresh->factorize(changed.values);
    sr.method = UpdateMethod::Refactor;
  } else {
    fresh.emplace(changed, base.symbolic()->options());
    sr.method = UpdateMethod::Factorize;
  }
  Eigen::VectorXd supply = fresh->solve(span_of(f));
  sr.residual = fresh->report().last_residual;
  return supply;
}

// Woodbury supplies s' of every planned scenario from the baseline s (columns of S after the
// first, which holds s).
void apply_updates(const std::vector<Plan>& plans, Eigen::MatrixXd& S) {
  for (const Plan& p : plans) {
    if (!p.wb) continue;
    S.col(p.column) = S.col(0);
    p.wb->apply(S.col(p.column));
  }
}

// The scenarios' changes to A, each as a low-rank update; those Woodbury will answer get their
// columns in the stacked right-hand sides (column 0 is the demand). Returns the column count.
Index plan_updates(const CscMatrix& A, const std::vector<Scenario>& resolved,
                   const WhatIfOptions& options, std::vector<Plan>& plans) {
  plans.resize(resolved.size());
  Index columns = 1;
  for (std::size_t k = 0; k < resolved.size(); ++k) {
    Plan& p = plans[k];
    p.dA = deltas(A, resolved[k], MatrixKind::Technosphere);
    p.lr = low_rank(p.dA);
    p.woodbury = p.lr.rank() > 0 && wants_woodbury(options, p.lr.rank(), A.cols);
    if (p.woodbury) {
      p.first = columns;
      columns += p.lr.rank();
    }
  }
  return columns;
}

// The supplies of the baseline (column 0) and of each well-conditioned Woodbury update (its
// p.column), from one unchecked many-column solve with the base factorisation. A near-singular
// capacitance matrix means A' is (near) singular or the update is badly conditioned: that plan
// keeps no Woodbury, and a fresh factorisation decides and reports.
Eigen::MatrixXd woodbury_supplies(Factorization& base, const Eigen::VectorXd& f,
                                  std::vector<Plan>& plans, Index columns) {
  const Index n = f.size();
  Eigen::MatrixXd X(n, columns);
  X.col(0) = f;
  for (const Plan& p : plans)
    if (p.woodbury) put_columns(p.lr, X.middleCols(p.first, p.lr.rank()));
  base.solve_many_unchecked(X);
  Index updates = 0;
  for (Plan& p : plans) {
    if (!p.woodbury) continue;
    p.wb.emplace(p.lr, X.middleCols(p.first, p.lr.rank()));
    if (p.wb->rcond() > 1e-12)
      p.column = ++updates;
    else
      p.wb.reset();
  }
  Eigen::MatrixXd S(n, 1 + updates);
  S.col(0) = X.col(0);
  X.resize(0, 0);
  apply_updates(plans, S);
  return S;
}

// The supplies S with A S (for the residuals) and B S (the inventories of every answer that is
// a column of S as it stands).
struct Supplies {
  Eigen::MatrixXd S, AS, GS;
};

// One pass over A and one over B, side by side; when the unchecked baseline is not accurate
// enough, the checked solve refines (or rejects) it.
Supplies checked_supplies(Factorization& base, const Model& model, const Eigen::VectorXd& f,
                          const std::vector<Plan>& plans, Eigen::MatrixXd S, double a_norm,
                          double tolerance) {
  const CscMatrix& A = model.A();
  Supplies out;
  tbb::parallel_invoke([&] { out.AS = A.multiply(S); }, [&] { out.GS = model.B().multiply(S); });
  if (!(residual_from(out.AS.col(0), {}, S.col(0), f, a_norm) <= tolerance)) {
    S.col(0) = f;
    base.solve_in_place({S.col(0).data(), std::size_t(f.size())});
    apply_updates(plans, S);
    out.AS = A.multiply(S);
    out.GS = model.B().multiply(S);
  }
  out.S = std::move(S);
  return out;
}

// One scenario's supply: unchanged, Woodbury (refined once when its residual asks), or a
// refactorisation. Returns its column of S (and of B S) when the answer is one, else -1.
Index answer_scenario(Factorization& base, const CscMatrix& A, Plan& p, const Eigen::VectorXd& f,
                      const Supplies& sup, double a_norm, double tolerance, ScenarioResult& sr) {
  sr.rank = p.lr.rank();
  Eigen::VectorXd& supply = sr.result.supply;
  if (sr.rank == 0) {
    supply = sup.S.col(0);
    sr.method = UpdateMethod::Unchanged;
    return 0;
  }
  Index from = -1;
  if (p.wb) {
    supply = sup.S.col(p.column);
    Eigen::VectorXd r;
    const double changed = changed_norm(a_norm, p.dA);
    double res = residual_from(sup.AS.col(p.column), p.dA, supply, f, changed, &r);
    if (res <= tolerance) {
      from = p.column;
    } else {
      base.solve_in_place({r.data(), std::size_t(f.size())});
      p.wb->apply(r);
      supply += r;
      res = residual(A, p.dA, supply, f, changed);
      sr.refined = true;
    }
    if (res <= tolerance) {
      sr.method = UpdateMethod::Woodbury;
      sr.residual = res;
      return from;
    }
  }
  sr.fell_back = p.woodbury;
  supply = refactored_supply(base, A, p, f, sr);
  return -1;
}

// Inventories: from B S, or one more product with B for the answers that are not columns of S
// (refined, refactored); then the scenarios' own B changes. Scores: one product with C, then
// the scenarios' C changes.
WhatIfResults inventories_and_scores(const Model& model, const std::vector<Scenario>& resolved,
                                     std::vector<ScenarioResult> out,
                                     const std::vector<Index>& from, const Supplies& sup) {
  std::vector<std::size_t> pending;
  for (std::size_t k = 0; k < out.size(); ++k)
    if (from[k] < 0) pending.push_back(k);
  Eigen::MatrixXd GP;
  if (!pending.empty()) {
    Eigen::MatrixXd P(model.num_activities(), Index(pending.size()));
    for (std::size_t t = 0; t < pending.size(); ++t)
      P.col(Index(t)) = out[pending[t]].result.supply;
    GP = model.B().multiply(P);
  }
  Eigen::MatrixXd G(sup.GS.rows(), 1 + Index(out.size()));
  G.col(0) = sup.GS.col(0);
  for (std::size_t k = 0, t = 0; k < out.size(); ++k) {
    if (from[k] >= 0)
      G.col(1 + Index(k)) = sup.GS.col(from[k]);
    else
      G.col(1 + Index(k)) = GP.col(Index(t++));
    add_delta_product(deltas(model.B(), resolved[k], MatrixKind::Biosphere), out[k].result.supply,
                      G.col(1 + Index(k)));
  }
  const Eigen::MatrixXd H = model.C().multiply(G);
  WhatIfResults results;
  results.baseline.supply = sup.S.col(0);
  results.baseline.inventory = G.col(0);
  results.baseline.scores = H.col(0);
  for (std::size_t k = 0; k < out.size(); ++k) {
    LcaResult& r = out[k].result;
    r.inventory = G.col(1 + Index(k));
    r.scores = H.col(1 + Index(k));
    add_delta_product(deltas(model.C(), resolved[k], MatrixKind::Characterization), r.inventory,
                      r.scores);
  }
  results.scenarios = std::move(out);
  return results;
}

}  // namespace

void WhatIfOptions::validate() const {
  if (max_rank < 0)
    throw InvalidInputError("what_if: max_rank must be >= 0, got " + std::to_string(max_rank));
  if (!(residual_tolerance > 0.0) || !std::isfinite(residual_tolerance))
    throw InvalidInputError("what_if: residual_tolerance must be a positive number");
}

// The demand and the U columns of every Woodbury scenario are solved together (one pass over
// the factors per 8 columns), unchecked: what is checked is what is answered, the baseline's
// residual in A and each scenario's in its A', all from one product with A. The inventories
// of the baseline and every scenario come from one product with B.
WhatIfResults what_if(Lca& lca, std::span<const double> demand,
                      const std::vector<Scenario>& scenarios, const WhatIfOptions& options) {
  options.validate();
  const Model& model = lca.model();
  std::vector<Scenario> resolved;
  resolved.reserve(scenarios.size());
  for (const Scenario& s : scenarios) resolved.push_back(s.resolved(model));
  lca.check_demand(demand);
  analysis::require_factorization_matches(lca, "what_if");
  const Eigen::VectorXd f =
      Eigen::Map<const Eigen::VectorXd>(demand.data(), model.num_activities());
  Factorization& base = lca.factorization();

  std::vector<Plan> plans;
  const Index columns = plan_updates(model.A(), resolved, options, plans);
  Eigen::MatrixXd S = woodbury_supplies(base, f, plans, columns);
  const double a_norm = base.norm_inf();
  const double tolerance = options.residual_tolerance;
  const Supplies sup = checked_supplies(base, model, f, plans, std::move(S), a_norm, tolerance);
  std::vector<ScenarioResult> out(resolved.size());
  std::vector<Index> from(resolved.size(), -1);  // column of S (and B S) of the answer, or -1
  for (std::size_t k = 0; k < resolved.size(); ++k) {
    out[k].name = resolved[k].name;
    from[k] = answer_scenario(base, model.A(), plans[k], f, sup, a_norm, tolerance, out[k]);
  }
  return inventories_and_scores(model, resolved, std::move(out), from, sup);
}

WhatIfResults what_if(Lca& lca, const SparseDemand& demand, const std::vector<Scenario>& scenarios,
                      const WhatIfOptions& options) {
  const Eigen::VectorXd f = lca.dense_demand(demand);
  return what_if(lca, span_of(f), scenarios, options);
}

}  // namespace hiili
