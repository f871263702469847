// Structural path analysis: best-first search over the power series of A.
#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <string>
#include <vector>

#include "analysis/common.hpp"
#include "hiili/contribution.hpp"
#include "hiili/diagnostics.hpp"
#include "hiili/error.hpp"

namespace hiili {

namespace {

// A path prefix, stored once; paths are read back through `parent`.
struct Prefix {
  Index activity;
  Index parent;
  Index length;
  double amount;
};

}  // namespace

void PathOptions::validate() const {
  if (top < 1)
    throw InvalidInputError("structural_paths: top must be >= 1, got " + std::to_string(top));
  if (!(cutoff >= 0.0 && cutoff <= 1.0))
    throw InvalidInputError("structural_paths: cutoff must be in [0, 1], got " +
                            message_number(cutoff));
  if (max_length < 0)
    throw InvalidInputError("structural_paths: max_length must be >= 0, got " +
                            std::to_string(max_length));
  if (max_expansions < 1)
    throw InvalidInputError("structural_paths: max_expansions must be >= 1, got " +
                            std::to_string(max_expansions));
}

PathAnalysis structural_paths(const Model& model, const ScoreAnalysis& a, const PathOptions& o) {
  o.validate();
  const Index n = model.num_activities();
  if (a.demand.size() != n || a.adjoint.size() != n || a.unit_direct.size() != n)
    throw InvalidInputError("structural_paths: the analysis does not fit the model (" +
                            std::to_string(n) + " activities)");
  const CscMatrix& A = model.A();
  const Eigen::VectorXd d = analysis::diagonal(A);
  const double cut = o.cutoff * std::abs(a.score);

  std::vector<Prefix> prefixes;
  using Item = std::pair<double, Index>;  // key, prefix
  std::priority_queue<Item> queue;        // largest |cumulative| first
  // The best paths so far; the smallest |value| on top, so it can be replaced.
  struct Found {
    double magnitude;
    Index prefix;
    double value;
    bool operator<(const Found& other) const {
      return magnitude != other.magnitude ? magnitude > other.magnitude : prefix < other.prefix;
    }
  };
  std::priority_queue<Found> best;
  const std::size_t top = static_cast<std::size_t>(o.top);
  const auto bound = [&] { return best.size() < top ? 0.0 : best.top().magnitude; };
  const auto push = [&](Index activity, Index parent, Index length, double amount) {
    const double key = std::abs(amount * a.adjoint[activity]);
    if (key == 0.0 || key < cut || (best.size() >= top && key <= bound())) return;
    prefixes.push_back({activity, parent, length, amount});
    queue.emplace(key, static_cast<Index>(prefixes.size() - 1));
  };

  for (Index j = 0; j < n; ++j)
    if (a.demand[j] != 0.0) push(j, -1, 0, a.demand[j]);

  PathAnalysis out;
  out.category = a.category;
  out.score = a.score;
  out.complete = true;
  while (!queue.empty()) {
    const auto [key, id] = queue.top();
    // Under one sign no extension of any queued prefix can beat the current top list.
    if (best.size() >= top && key <= bound()) break;
    if (out.expansions >= o.max_expansions) {
      out.complete = false;
      break;
    }
    queue.pop();
    ++out.expansions;
    const Prefix prefix = prefixes[id];
    const Index j = prefix.activity;
    if (d[j] == 0.0)
      throw InvalidInputError("structural_paths: activity " + std::to_string(j) +
                              " has no output on the diagonal (A_jj = 0)");
    const double scale = prefix.amount / d[j];
    const double value = scale * a.unit_direct[j];
    if (value != 0.0) {
      if (best.size() < top) {
        best.push({std::abs(value), id, value});
      } else if (std::abs(value) > best.top().magnitude) {
        best.pop();
        best.push({std::abs(value), id, value});
      }
    }
    if (prefix.length >= o.max_length) continue;
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) {
      const Index i = A.row_idx[p];
      if (i == j || A.values[p] == 0.0) continue;
      push(i, id, prefix.length + 1, -A.values[p] * scale);
    }
  }

  std::vector<Found> found;
  while (!best.empty()) {
    found.push_back(best.top());
    best.pop();
  }
  std::reverse(found.begin(), found.end());  // largest first; ties: earlier prefix first
  const double nan = std::numeric_limits<double>::quiet_NaN();
  double covered = 0.0;
  for (const Found& f : found) {
    Path path;
    const Prefix& last = prefixes[f.prefix];
    for (Index p = f.prefix; p >= 0; p = prefixes[p].parent)
      path.activities.push_back(prefixes[p].activity);
    std::reverse(path.activities.begin(), path.activities.end());
    path.amount = last.amount;
    path.value = f.value;
    path.share = a.score != 0.0 ? f.value / a.score : nan;
    path.cumulative = last.amount * a.adjoint[last.activity];
    covered += f.value;
    out.paths.push_back(std::move(path));
  }
  out.coverage = a.score != 0.0 ? covered / a.score : nan;
  return out;
}

PathAnalysis structural_paths(Lca& lca, std::span<const double> demand, Index category,
                              const PathOptions& options) {
  options.validate();
  return structural_paths(lca.model(), analyze_score(lca, demand, category), options);
}

}  // namespace hiili
