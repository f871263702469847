#include "hiili/lca.hpp"

#include <cmath>
#include <cstring>
#include <string>

#include "hiili/error.hpp"

namespace hiili {

namespace {
std::shared_ptr<const Model> require_model(std::shared_ptr<const Model> model) {
  if (!model) throw InvalidInputError("Lca needs a model");
  if (model->num_activities() < 1) throw InvalidInputError("model has no activities");
  return model;
}
}  // namespace

Lca::Lca(std::shared_ptr<const Model> model, const FactorizationOptions& options)
    : model_(require_model(std::move(model))), factorization_(model_->A(), options) {}

Lca::Lca(Model model, const FactorizationOptions& options)
    : Lca(std::make_shared<const Model>(std::move(model)), options) {}

Eigen::VectorXd Lca::dense_demand(const SparseDemand& demand) const {
  const Index n = model_->num_activities();
  Eigen::VectorXd f = Eigen::VectorXd::Zero(n);
  for (const auto& [index, amount] : demand) {
    if (index < 0 || index >= n)
      throw InvalidInputError("demand names activity " + std::to_string(index) +
                              ", out of range [0, " + std::to_string(n) + ")");
    if (!std::isfinite(amount))
      throw InvalidInputError("demand amount for activity " + std::to_string(index) +
                              " is not finite");
    f[index] += amount;
  }
  return f;
}

void Lca::finish(LcaResult& result) const {
  result.inventory = model_->B().multiply(
      std::span<const double>(result.supply.data(), std::size_t(result.supply.size())));
  result.scores = model_->C().multiply(
      std::span<const double>(result.inventory.data(), std::size_t(result.inventory.size())));
}

void Lca::check_demand(std::span<const double> demand) const {
  const Index n = model_->num_activities();
  if (static_cast<Index>(demand.size()) != n)
    throw InvalidInputError("demand has " + std::to_string(demand.size()) +
                            " entries, the model has " + std::to_string(n) + " activities");
  bool any = false;
  for (std::size_t i = 0; i < demand.size(); ++i) {
    if (!std::isfinite(demand[i]))
      throw InvalidInputError("demand entry " + std::to_string(i) + " is not finite");
    any = any || demand[i] != 0.0;
  }
  if (!any) throw InvalidInputError("demand is empty: every entry is zero");
}

bool Lca::factorization_matches_model() const {
  const std::span<const double> factorized = factorization_.values();
  const std::vector<double>& model_values = model_->A().values;
  return factorized.size() == model_values.size() &&
         std::memcmp(factorized.data(), model_values.data(),
                     model_values.size() * sizeof(double)) == 0;
}

LcaResult Lca::solve(std::span<const double> demand) {
  check_demand(demand);
  const Index n = model_->num_activities();
  LcaResult result;
  result.supply = Eigen::Map<const Eigen::VectorXd>(demand.data(), n);
  factorization_.solve_in_place({result.supply.data(), std::size_t(n)});
  finish(result);
  return result;
}

LcaResult Lca::solve(const SparseDemand& demand) {
  const Eigen::VectorXd f = dense_demand(demand);
  return solve(std::span<const double>(f.data(), std::size_t(f.size())));
}

LcaResults Lca::solve_many(const Eigen::MatrixXd& demands) {
  const Index n = model_->num_activities();
  if (demands.rows() != n)
    throw InvalidInputError("demands have " + std::to_string(demands.rows()) +
                            " rows, the model has " + std::to_string(n) + " activities");
  for (Index c = 0; c < demands.cols(); ++c) {
    if (!demands.col(c).allFinite())
      throw InvalidInputError("demand column " + std::to_string(c) +
                              " has a value that is not finite");
    if ((demands.col(c).array() == 0.0).all())
      throw InvalidInputError("demand column " + std::to_string(c) +
                              " is empty: every entry is zero");
  }
  LcaResults results;
  results.supply = demands;
  factorization_.solve_many_in_place(results.supply);
  results.inventory = model_->B().multiply(results.supply);
  results.scores = model_->C().multiply(results.inventory);
  return results;
}

Eigen::MatrixXd Lca::activity_scores() {
  const Index k = model_->num_categories();
  const CscMatrix& B = model_->B();
  const CscMatrix& C = model_->C();
  // Right-hand sides B^T c_q for every category q: first the rows of C, dense (m x k).
  Eigen::MatrixXd Ct = Eigen::MatrixXd::Zero(C.cols, k);
  for (Index f = 0; f < C.cols; ++f)
    for (Index p = C.col_ptr[f]; p < C.col_ptr[f + 1]; ++p) Ct(f, C.row_idx[p]) += C.values[p];
  Eigen::MatrixXd Y = B.multiply_transposed(Ct);  // one pass over B
  // A^T y_q = B^T c_q: one transposed multi-RHS solve for all categories.
  factorization_.solve_many_in_place(Y, /*transposed=*/true);
  return Y.transpose();
}

void Lca::update_technosphere(std::span<const double> values) { factorization_.refactor(values); }

}  // namespace hiili
