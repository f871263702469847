#include "hiili/io/useeio.hpp"

#include <cmath>
#include <system_error>
#include <unordered_map>

#include "hiili/error.hpp"
#include "io/json_util.hpp"
#include "io/util.hpp"

namespace hiili::io {

namespace fs = std::filesystem;
using detail::fail;
using json = nlohmann::json;

namespace {

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

Index count_nonzeros(const detail::DenseMatrix& M) {
  Index nz = 0;
  for (double v : M.values) nz += v != 0.0;
  return nz;
}

Labels read_labels(const fs::path& file, Index size, const std::vector<detail::LabelField>& fields,
                   const std::string& generated_prefix) {
  if (!is_file(file)) return detail::generated_labels(size, generated_prefix);
  return detail::labels_from_json(detail::display(file), detail::read_json_file(file), size, fields,
                                  "id");
}

}  // namespace

Model read_useeio(const fs::path& model_dir) {
  const fs::path matrix = model_dir / "matrix";
  const fs::path a_file = matrix / "A.json", b_file = matrix / "B.json", c_file = matrix / "C.json";
  std::error_code ec;
  if (!fs::is_directory(model_dir, ec))
    fail(detail::display(model_dir), "not a folder (expected a USEEIO model folder with matrix/A.json)");
  if (!is_file(a_file)) fail(detail::display(a_file), "no such file (every USEEIO model has matrix/A.json)");

  const detail::DenseMatrix A = detail::read_dense_json_matrix(a_file);
  if (A.rows == 0) fail(detail::display(a_file), "empty matrix: the model has no sectors");
  if (A.rows != A.cols)
    fail(detail::display(a_file), "A must be square, it is " + std::to_string(A.rows) + " x " +
                                      std::to_string(A.cols));
  const Index n = A.rows;

  detail::DenseMatrix B, C;
  const bool has_b = is_file(b_file), has_c = is_file(c_file);
  if (has_c && !has_b)
    fail(detail::display(c_file), "characterisation factors without matrix/B.json to apply them to");
  if (has_b) {
    B = detail::read_dense_json_matrix(b_file);
    if (B.rows > 0 && B.cols != n)
      fail(detail::display(b_file), "B has " + std::to_string(B.cols) + " columns, A has " +
                                        std::to_string(n) + " sectors");
  }
  const Index m = B.rows;
  if (has_c) {
    C = detail::read_dense_json_matrix(c_file);
    if (C.rows > 0 && C.cols != m)
      fail(detail::display(c_file), "C has " + std::to_string(C.cols) + " columns, B has " +
                                        std::to_string(m) + " flow rows");
  }
  const Index k = C.rows;

  ModelBuilder builder(n, m, k);
  builder.reserve(MatrixKind::Technosphere, static_cast<std::size_t>(n + count_nonzeros(A)));
  // I - A: an identity entry per sector, then every published coefficient, flipped.
  for (Index j = 0; j < n; ++j) builder.add_technosphere(j, j, 1.0);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j)
      if (const double a = A(i, j); a != 0.0) builder.add_technosphere(i, j, a, /*flip=*/true);
  builder.reserve(MatrixKind::Biosphere, static_cast<std::size_t>(count_nonzeros(B)));
  for (Index f = 0; f < m; ++f)
    for (Index j = 0; j < n; ++j)
      if (const double b = B(f, j); b != 0.0) builder.add_biosphere(f, j, b);
  builder.reserve(MatrixKind::Characterization, static_cast<std::size_t>(count_nonzeros(C)));
  for (Index q = 0; q < k; ++q)
    for (Index f = 0; f < m; ++f)
      if (const double c = C(q, f); c != 0.0) builder.add_characterization(q, f, c);

  builder.set_activities(read_labels(model_dir / "sectors.json", n,
                                     {{"id", "id"},
                                      {"name", "name"},
                                      {"code", "code"},
                                      {"location", "location"},
                                      {"description", "description"}},
                                     "sector"));
  if (m > 0)
    builder.set_flows(read_labels(model_dir / "flows.json", m,
                                  {{"id", "id"},
                                   {"name", "name"},
                                   {"category", "category"},
                                   {"subCategory", "sub_category"},
                                   {"unit", "unit"},
                                   {"uuid", "uuid"}},
                                  "flow"));
  if (k > 0)
    builder.set_categories(read_labels(model_dir / "indicators.json", k,
                                       {{"id", "id"},
                                        {"name", "name"},
                                        {"code", "code"},
                                        {"unit", "unit"},
                                        {"group", "group"}},
                                       "indicator"));
  return builder.build();
}

std::vector<UseeioDemandInfo> list_useeio_demands(const fs::path& model_dir) {
  const fs::path file = model_dir / "demands.json";
  if (!is_file(file)) return {};
  const std::string name = detail::display(file);
  const json list = detail::read_json_file(file);
  if (!list.is_array()) fail(name, "expected a JSON array of demand descriptions");
  std::vector<UseeioDemandInfo> out;
  for (std::size_t e = 0; e < list.size(); ++e) {
    const json& obj = list[e];
    const std::string where = "entry " + std::to_string(e);
    if (!obj.is_object()) fail(name, where, "expected an object");
    auto text = [&](const char* key) -> std::string {
      auto it = obj.find(key);
      if (it == obj.end() || it->is_null()) return {};
      if (!it->is_string()) fail(name, where, std::string("\"") + key + "\" is not a string");
      return it->get<std::string>();
    };
    UseeioDemandInfo info;
    info.id = text("id");
    if (info.id.empty()) fail(name, where, "missing \"id\"");
    // The id names a file: keep it inside the demands folder.
    if (info.id.find('/') != std::string::npos || info.id.find('\\') != std::string::npos ||
        info.id == "." || info.id == "..")
      fail(name, where, "demand id " + detail::quote(info.id) + " is not a plain file name");
    if (auto it = obj.find("year"); it != obj.end() && !it->is_null()) {
      if (!it->is_number_integer()) fail(name, where, "\"year\" is not an integer");
      info.year = it->get<int>();
    }
    info.type = text("type");
    info.system = text("system");
    info.location = text("location");
    info.file = model_dir / "demands" / (info.id + ".json");
    out.push_back(std::move(info));
  }
  return out;
}

SparseDemand read_useeio_demand(const Model& model, const fs::path& demand_json) {
  const std::string name = detail::display(demand_json);
  if (!model.activities().has_column("id"))
    throw InvalidInputError(name + ": the model's activities have no \"id\" labels to map sectors to");
  const auto& ids = model.activities().column("id");
  std::unordered_map<std::string_view, Index> index;
  index.reserve(ids.size());
  for (std::size_t j = 0; j < ids.size(); ++j) index.emplace(ids[j], static_cast<Index>(j));

  const json list = detail::read_json_file(demand_json);
  if (!list.is_array()) fail(name, "expected a JSON array of {\"sector\", \"amount\"} objects");
  SparseDemand demand;
  demand.reserve(list.size());
  for (std::size_t e = 0; e < list.size(); ++e) {
    const json& obj = list[e];
    const std::string where = "entry " + std::to_string(e);
    if (!obj.is_object()) fail(name, where, "expected an object {\"sector\", \"amount\"}");
    auto sector = obj.find("sector");
    auto amount = obj.find("amount");
    if (sector == obj.end() || !sector->is_string()) fail(name, where, "missing or non-string \"sector\"");
    if (amount == obj.end() || !amount->is_number())
      fail(name, where, "missing or non-numeric \"amount\"");
    const std::string& id = sector->get_ref<const std::string&>();
    const double value = amount->get<double>();
    if (!std::isfinite(value)) fail(name, where, "amount is not finite");
    auto hit = index.find(id);
    if (hit == index.end())
      fail(name, where,
           "sector " + detail::quote(id, 200) +
               " is not a sector of this model (a demand file of another model?)");
    demand.emplace_back(hit->second, value);
  }
  if (demand.empty()) fail(name, "the demand has no entries");
  return demand;
}

}  // namespace hiili::io
