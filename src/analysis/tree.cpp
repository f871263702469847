// Supply-chain tree: a best-first walk from the demand down through A.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <queue>
#include <string>
#include <utility>

#include "analysis/common.hpp"
#include "hiili/contribution.hpp"
#include "hiili/diagnostics.hpp"
#include "hiili/error.hpp"

namespace hiili {

namespace {

void check_sizes(const Model& model, const ScoreAnalysis& a, const char* what) {
  const Index n = model.num_activities();
  if (a.demand.size() != n || a.supply.size() != n || a.adjoint.size() != n ||
      a.unit_direct.size() != n)
    throw InvalidInputError(std::string(what) + ": the analysis does not fit the model (" +
                            std::to_string(n) + " activities)");
}

double direct_of(const Eigen::VectorXd& d, const ScoreAnalysis& a, Index j, double amount,
                 const char* what) {
  if (d[j] == 0.0)
    throw InvalidInputError(std::string(what) + ": activity " + std::to_string(j) +
                            " has no output on the diagonal (A_jj = 0); the walk needs product j "
                            "made by activity j");
  return amount / d[j] * a.unit_direct[j];
}

bool on_path(const std::vector<TreeNode>& nodes, Index parent, Index activity) {
  for (Index p = parent; p >= 0; p = nodes[p].parent)
    if (nodes[p].activity == activity) return true;
  return false;
}

std::string label_of(const Labels& labels, const std::string* column, Index j) {
  if (j < 0) return "demand";
  if (column != nullptr) return labels.column(*column)[j];
  std::string label = "#";  // (not "#" + to_string: GCC 12 warns falsely, -Wrestrict)
  label += std::to_string(j);
  return label;
}

}  // namespace

void TreeOptions::validate() const {
  if (!(cutoff >= 0.0 && cutoff <= 1.0))
    throw InvalidInputError("supply_chain_tree: cutoff must be in [0, 1], got " +
                            message_number(cutoff));
  // The JSON export nests one level per depth; keep that well inside any stack.
  if (max_depth < 0 || max_depth > 10000)
    throw InvalidInputError("supply_chain_tree: max_depth must be in [0, 10000], got " +
                            std::to_string(max_depth));
  if (max_nodes < 1)
    throw InvalidInputError("supply_chain_tree: max_nodes must be >= 1, got " +
                            std::to_string(max_nodes));
}

SupplyTree supply_chain_tree(const Model& model, const ScoreAnalysis& a, const TreeOptions& o) {
  constexpr const char* what = "supply_chain_tree";
  o.validate();
  check_sizes(model, a, what);
  const CscMatrix& A = model.A();
  const Eigen::VectorXd d = analysis::diagonal(A);
  const double threshold = o.cutoff * std::abs(a.score);

  SupplyTree tree;
  tree.category = a.category;
  tree.score = a.score;
  tree.options = o;
  auto& nodes = tree.nodes;

  // Whether a candidate child is worth a node; the rest goes to its parent's `rest`.
  const auto keep = [&](double cumulative) {
    return cumulative != 0.0 && std::abs(cumulative) >= threshold;
  };
  const auto add_child = [&](Index parent, Index j, double amount) {
    const double cumulative = amount * a.adjoint[j];
    TreeNode& p = nodes[parent];
    if (!keep(cumulative) || static_cast<Index>(nodes.size()) >= o.max_nodes) {
      if (keep(cumulative)) tree.truncated = true;
      p.rest += cumulative;
      ++p.rest_count;
      return;
    }
    TreeNode child;
    child.activity = j;
    child.parent = parent;
    child.depth = p.depth + 1;
    child.amount = amount;
    child.direct = direct_of(d, a, j, amount, what);
    child.cumulative = cumulative;
    child.loop = on_path(nodes, parent, j);
    p.children.push_back(static_cast<Index>(nodes.size()));
    nodes.push_back(std::move(child));
  };

  std::vector<Index> demanded;
  for (Index j = 0; j < a.demand.size(); ++j)
    if (a.demand[j] != 0.0) demanded.push_back(j);

  using Item = std::pair<double, Index>;  // |cumulative|, node
  std::priority_queue<Item> queue;
  if (demanded.size() == 1) {
    const Index j = demanded.front();
    TreeNode root;
    root.activity = j;
    root.amount = a.demand[j];
    root.direct = direct_of(d, a, j, root.amount, what);
    root.cumulative = root.amount * a.adjoint[j];
    nodes.push_back(std::move(root));
    queue.emplace(std::abs(nodes[0].cumulative), 0);
  } else {
    TreeNode root;  // virtual: the demand itself
    root.expanded = true;
    nodes.push_back(std::move(root));
    for (Index j : demanded) {
      nodes[0].cumulative += a.demand[j] * a.adjoint[j];
      add_child(0, j, a.demand[j]);
    }
    for (Index c : nodes[0].children) queue.emplace(std::abs(nodes[c].cumulative), c);
  }

  while (!queue.empty() && !tree.truncated) {
    const Index id = queue.top().second;
    queue.pop();
    if (nodes[id].depth >= o.max_depth) continue;
    if (nodes[id].loop && !o.expand_loops) continue;
    nodes[id].expanded = true;
    const Index j = nodes[id].activity;
    const double scale = nodes[id].amount / d[j];  // d[j] != 0: checked when the node was made
    const std::size_t first = nodes[id].children.size();
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) {
      const Index i = A.row_idx[p];
      if (i == j || A.values[p] == 0.0) continue;
      add_child(id, i, -A.values[p] * scale);
    }
    for (std::size_t c = first; c < nodes[id].children.size(); ++c) {
      const Index child = nodes[id].children[c];
      queue.emplace(std::abs(nodes[child].cumulative), child);
    }
  }

  for (auto& node : nodes)
    std::stable_sort(node.children.begin(), node.children.end(), [&](Index x, Index y) {
      return std::abs(nodes[x].cumulative) > std::abs(nodes[y].cumulative);
    });
  return tree;
}

SupplyTree supply_chain_tree(Lca& lca, std::span<const double> demand, Index category,
                             const TreeOptions& options) {
  options.validate();
  return supply_chain_tree(lca.model(), analyze_score(lca, demand, category), options);
}

std::string SupplyTree::to_json(const Labels& activities, int indent) const {
  using json = nlohmann::ordered_json;
  const std::string* column = nullptr;
  std::string chosen;
  if (!activities.empty()) {
    const auto names = activities.column_names();
    chosen = activities.has_column("name") ? "name"
             : activities.has_column("id") ? "id"
                                           : names.front();
    column = &chosen;
  }
  if (column != nullptr && !nodes.empty()) {
    Index max_activity = -1;
    for (const auto& node : nodes) max_activity = std::max(max_activity, node.activity);
    if (max_activity >= activities.size())
      throw InvalidInputError("SupplyTree::to_json: the labels have " +
                              std::to_string(activities.size()) +
                              " rows, the tree names activity " + std::to_string(max_activity));
  }
  const auto number = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  // Children come after their parents: build bottom-up without recursion.
  std::vector<json> built(nodes.size());
  for (std::size_t t = nodes.size(); t-- > 0;) {
    const TreeNode& node = nodes[t];
    json j;
    j["activity"] = node.activity;
    j["label"] = label_of(activities, column, node.activity);
    j["depth"] = node.depth;
    j["amount"] = number(node.amount);
    j["direct"] = number(node.direct);
    j["cumulative"] = number(node.cumulative);
    j["share"] = score != 0.0 ? number(node.cumulative / score) : json(nullptr);
    j["rest"] = number(node.rest);
    j["rest_count"] = node.rest_count;
    j["loop"] = node.loop;
    j["expanded"] = node.expanded;
    json children = json::array();
    for (Index c : node.children) children.push_back(std::move(built[c]));
    j["children"] = std::move(children);
    built[t] = std::move(j);
  }
  json out;
  out["category"] = category;
  out["score"] = number(score);
  out["cutoff"] = options.cutoff;
  out["max_depth"] = options.max_depth;
  out["expand_loops"] = options.expand_loops;
  out["nodes"] = nodes.size();
  out["truncated"] = truncated;
  out["root"] = nodes.empty() ? json(nullptr) : std::move(built[0]);
  return out.dump(indent);
}

}  // namespace hiili
