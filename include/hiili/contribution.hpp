// hiili/contribution.hpp: where a score comes from.
//
// For one demand f and one impact category q, with s = A^-1 f, g = B s and
// h_q = c_q^T g (c_q is row q of C), hiili takes the score apart in these ways:
//
//   process contributions  d_j = s_j b_j, b = B^T c_q   the direct impact of activity j;
//                                                      the d_j sum to h_q
//   flow contributions     e_f = c_qf g_f               the impact of flow f; sums to h_q
//   adjoint                y = A^-T b                   y_i = the cumulative score of one unit
//                                                      of product i, supply chain included
//   upstream scores        u_j = y_j A_jj s_j           the cumulative score of everything
//                                                      activity j produces for this demand
//   supply-chain tree      a walk from the demand down through A (see TreeOptions)
//   structural paths       the largest terms of the power series of A (see PathOptions)
//
// Every analysis reuses the Lca's factorisation: the adjoint is one transposed solve, and
// nothing inverts A. Upstream scores of activities inside a loop (the strongly connected
// core) count the loop more than once, so they do not add up to h_q; the process and flow
// contributions do.
//
// The tree and the paths read product j as made by activity j (the diagonal A_jj) and
// follow the normalised technical coefficients -A_ij / A_jj: the amount of product i that
// one unit of product j needs. They need a nonzero diagonal (InvalidInputError otherwise).
//
// Thread safety: the functions taking an Lca& solve with its factorisation and share its
// contract (one thread per Lca). The functions taking a ScoreAnalysis only read and may run
// concurrently.
#pragma once

#include <Eigen/Core>
#include <span>
#include <string>
#include <vector>

#include "hiili/lca.hpp"
#include "hiili/model.hpp"

namespace hiili {

// One score taken apart: everything the contribution, tree, path and sensitivity analyses
// share. Built by analyze_score() with one forward and one transposed solve.
struct ScoreAnalysis {
  Index category = 0;
  double score = 0.0;           // h_q
  Eigen::VectorXd demand;       // f (n)
  Eigen::VectorXd supply;       // s = A^-1 f (n)
  Eigen::VectorXd inventory;    // g = B s (m)
  Eigen::VectorXd scores;       // h = C g, every category (k)
  Eigen::VectorXd factors;      // c_q, row q of C, dense (m)
  Eigen::VectorXd unit_direct;  // b = B^T c_q: direct impact of one unit of each activity (n)
  Eigen::VectorXd adjoint;      // y = A^-T b: cumulative impact of one unit of each product (n)
  Eigen::VectorXd production;   // A_jj s_j: gross output of each product (n)

  // d = s o b (n): the direct impact of each activity; sums to score.
  Eigen::VectorXd process_contributions() const;
  // e = c_q o g (m): the impact of each flow; sums to score.
  Eigen::VectorXd flow_contributions() const;
  // u = y o production (n): the cumulative (upstream) score of each activity's output for
  // this demand. For the demanded product outside loops it equals the score.
  Eigen::VectorXd upstream_scores() const;
};

// Solves for `demand` (dense, length n; or sparse) and takes apart the score of `category`.
// Throws InvalidInputError for a bad demand (as Lca::solve), a category out of range, a model
// without categories, or when the Lca's factorisation no longer matches the model's A (after
// Lca::update_technosphere: analyse the updated model with its own Lca). May throw the
// solver's SingularMatrixError / IllConditionedError.
ScoreAnalysis analyze_score(Lca& lca, std::span<const double> demand, Index category);
ScoreAnalysis analyze_score(Lca& lca, const SparseDemand& demand, Index category);

// Contributions of every activity (k x n: C B diag(s)) and every flow (k x m: C diag(g)) in
// every category, for a supply s (n) or inventory g (m) from Lca::solve. Each row sums to
// that category's score. Throws InvalidInputError for a wrong length.
Eigen::MatrixXd process_contributions(const Model& model, const Eigen::VectorXd& supply);
Eigen::MatrixXd flow_contributions(const Model& model, const Eigen::VectorXd& inventory);

// One entry of a ranked list.
struct RankedItem {
  Index index = 0;     // activity, flow or entry
  double value = 0.0;  // its contribution
  double share = 0.0;  // value / total (NaN when total is 0)
};

// The largest `top` values by magnitude, and the rest summed.
struct RankedContributions {
  std::vector<RankedItem> top;  // by |value|, largest first; ties by index
  double rest = 0.0;            // sum of the values not in `top`
  Index rest_count = 0;         // how many values that is (zeros included)
  double total = 0.0;           // sum of all values
};

// Ranks `values` by magnitude. `top` < 0 keeps all; exact zeros are never listed in `top`
// (they count in rest_count). Throws InvalidInputError for NaN/Inf values.
RankedContributions rank_contributions(const Eigen::VectorXd& values, Index top);

// ---- supply-chain tree ---------------------------------------------------------------------

struct TreeOptions {
  // Children whose |cumulative| is below cutoff * |score| are not made nodes; their
  // cumulative impact is summed into their parent's `rest`. In [0, 1].
  double cutoff = 0.01;
  // Nodes at this depth (the root is depth 0) are not expanded. >= 0.
  int max_depth = 10;
  // No more nodes than this; when reached, the walk stops and the tree is marked truncated.
  Index max_nodes = 10000;
  // false: a node whose product already appears on its own path from the root is a loop
  //        node: a leaf carrying its exact cumulative impact (from the adjoint). Every node
  //        then satisfies cumulative = direct + sum(children's cumulative) + rest.
  // true:  loops are unrolled like the power series of A, bounded by cutoff and max_depth;
  //        the sum of all nodes' direct impacts approaches the score as the bounds loosen.
  bool expand_loops = false;

  // InvalidInputError naming the first option out of range (supply_chain_tree calls it).
  void validate() const;
};

struct TreeNode {
  Index activity = -1;          // the product / activity; -1 for the virtual root of a demand of
                                // several products
  Index parent = -1;            // index into SupplyTree::nodes; -1 for the root
  int depth = 0;                // root: 0
  double amount = 0.0;          // product amount this node supplies to its parent (for the root:
                                // the demand)
  double direct = 0.0;          // direct impact of making it: amount / A_jj * b_j
  double cumulative = 0.0;      // with its whole supply chain: amount * y_j
  double rest = 0.0;            // summed cumulative of inputs below the cutoff (not nodes)
  Index rest_count = 0;         // how many inputs that is
  bool loop = false;            // the product already appears among its ancestors
  bool expanded = false;        // its inputs were examined (false for leaves cut by depth, by
                                // the node budget, and loop nodes when loops are not expanded)
  std::vector<Index> children;  // by |cumulative|, largest first
};

struct SupplyTree {
  Index category = 0;
  double score = 0.0;  // h_q; equals nodes[0].cumulative
  TreeOptions options;
  std::vector<TreeNode> nodes;  // nodes[0] is the root; parents come before children
  bool truncated = false;       // max_nodes stopped the walk

  const TreeNode& root() const { return nodes.front(); }
  // The tree as nested JSON objects: {"activity", "label", "amount", "direct", "cumulative",
  // "share", "rest", "loop", "children": [...]} plus a header {"category", "score", ...}.
  // Labels come from `activities` (the "name" column, else "id", else the first one), or
  // "#j" when it is empty. indent < 0: compact.
  std::string to_json(const Labels& activities = {}, int indent = -1) const;
};

// Walks the supply chain of the analysed demand best-first (largest |cumulative| first).
// Throws InvalidInputError for options out of range, or a zero diagonal entry on the way.
SupplyTree supply_chain_tree(const Model& model, const ScoreAnalysis& analysis,
                             const TreeOptions& options = {});
SupplyTree supply_chain_tree(Lca& lca, std::span<const double> demand, Index category,
                             const TreeOptions& options = {});

// ---- structural path analysis ----------------------------------------------------------------

struct PathOptions {
  Index top = 100;  // how many paths to return; >= 1
  // Prefixes whose |cumulative| is below cutoff * |score| are not extended. In [0, 1].
  double cutoff = 1e-6;
  Index max_length = 50;  // edges in a path; >= 0
  // Prefixes taken from the queue before the search gives up (complete = false).
  Index max_expansions = 1000000;

  // InvalidInputError naming the first option out of range (structural_paths calls it).
  void validate() const;
};

// One path from a demanded product to the activity whose emissions it carries:
// activities[0] is demanded, activities[l + 1] is an input of activities[l].
struct Path {
  std::vector<Index> activities;
  double amount = 0.0;      // product of the last activity that this path delivers
  double value = 0.0;       // its direct impact: amount / A_jj * b_j (the path's term of the
                            // power series)
  double share = 0.0;       // value / score
  double cumulative = 0.0;  // amount * y_j: the value plus every extension of the path
};

struct PathAnalysis {
  Index category = 0;
  double score = 0.0;
  std::vector<Path> paths;  // by |value|, largest first
  double coverage = 0.0;    // sum of the paths' values / score
  Index expansions = 0;     // prefixes taken from the queue
  // true when the search stopped because no remaining prefix could enter the top (exact for
  // models whose terms are all of one sign); false when max_expansions stopped it.
  bool complete = false;
};

// Top paths by |value|: a best-first search over the power series
//   h_q = sum_paths f_j0 * prod_l (-A_{j(l+1) j(l)} / A_{j(l) j(l)}) * b_jL / A_jL,jL,
// keyed by each prefix's |cumulative| (an upper bound of any extension when all terms are
// of one sign; with mixed signs a heuristic). Paths may revisit products: every walk through
// a loop is its own path, so a loop appears once per round trip, each round smaller.
// Throws InvalidInputError for options out of range or a zero diagonal entry on the way.
PathAnalysis structural_paths(const Model& model, const ScoreAnalysis& analysis,
                              const PathOptions& options = {});
PathAnalysis structural_paths(Lca& lca, std::span<const double> demand, Index category,
                              const PathOptions& options = {});

}  // namespace hiili
