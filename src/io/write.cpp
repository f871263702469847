#include "hiili/io/write.hpp"

#include <cmath>
#include <fstream>
#include <ostream>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "hiili/error.hpp"
#include "io/text_tables.hpp"
#include "io/util.hpp"

namespace hiili::io {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

void check_part(const Labels& labels, const Eigen::VectorXd& values, const char* part) {
  if (!labels.empty() && labels.size() != values.size())
    throw InvalidInputError(std::string(part) + " has " + std::to_string(values.size()) +
                            " values, the model's labels " + std::to_string(labels.size()) + " rows");
}

void check_result(const Model& model, const LcaResult& result) {
  auto fits = [](Index want, Index got, const char* part) {
    if (want != got)
      throw InvalidInputError(std::string("result ") + part + " has " + std::to_string(got) +
                              " values, the model needs " + std::to_string(want));
  };
  fits(model.num_activities(), result.supply.size(), "supply");
  fits(model.num_flows(), result.inventory.size(), "inventory");
  fits(model.num_categories(), result.scores.size(), "scores");
}

json part_json(const Labels& labels, const Eigen::VectorXd& values, const WriteOptions& options) {
  const auto names = labels.empty() ? std::vector<std::string>{} : labels.column_names();
  json out = json::array();
  for (Index i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (options.skip_zeros && v == 0.0) continue;
    json row = json::object();
    row["index"] = i;
    for (const std::string& c : names) row[c] = labels.column(c)[static_cast<std::size_t>(i)];
    row["value"] = std::isfinite(v) ? json(v) : json(nullptr);
    out.push_back(std::move(row));
  }
  return out;
}

json result_document(const Model& model, const LcaResult& result, const WriteOptions& options) {
  check_result(model, result);
  json doc = json::object();
  doc["supply"] = part_json(model.activities(), result.supply, options);
  doc["inventory"] = part_json(model.flows(), result.inventory, options);
  doc["scores"] = part_json(model.categories(), result.scores, options);
  return doc;
}

}  // namespace

void write_csv_table(std::ostream& out, const Labels& labels, const Eigen::VectorXd& values,
                     const WriteOptions& options) {
  check_part(labels, values, "vector");
  const auto names = labels.empty() ? std::vector<std::string>{} : labels.column_names();
  out << "index";
  for (const std::string& c : names) out << ',' << detail::csv_field(c);
  out << ",value\n";
  std::vector<const std::vector<std::string>*> columns;
  for (const std::string& c : names) columns.push_back(&labels.column(c));
  for (Index i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (options.skip_zeros && v == 0.0) continue;
    out << i;
    for (const auto* col : columns) out << ',' << detail::csv_field((*col)[static_cast<std::size_t>(i)]);
    out << ',' << detail::format_double(v, /*empty_for_nonfinite=*/true) << '\n';
  }
}

void write_result_csv(const fs::path& folder, const Model& model, const LcaResult& result,
                      const WriteOptions& options) {
  check_result(model, result);
  std::error_code ec;
  fs::create_directories(folder, ec);
  const std::pair<const char*, std::pair<const Labels*, const Eigen::VectorXd*>> parts[] = {
      {"supply.csv", {&model.activities(), &result.supply}},
      {"inventory.csv", {&model.flows(), &result.inventory}},
      {"scores.csv", {&model.categories(), &result.scores}}};
  for (const auto& [file, part] : parts) {
    const fs::path path = folder / file;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(detail::display(path) + ": cannot open for writing");
    write_csv_table(out, *part.first, *part.second, options);
    out.close();
    if (!out) throw Error(detail::display(path) + ": write failed");
  }
}

void write_result_json(std::ostream& out, const Model& model, const LcaResult& result,
                       const WriteOptions& options) {
  out << result_json(model, result, options);
}

void write_result_json(const fs::path& file, const Model& model, const LcaResult& result,
                       const WriteOptions& options) {
  detail::write_text_file(file, result_json(model, result, options));
}

std::string result_json(const Model& model, const LcaResult& result, const WriteOptions& options) {
  // Labels that are not valid UTF-8 are replaced, not thrown on, when written as JSON.
  return result_document(model, result, options).dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace hiili::io
