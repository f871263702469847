// Tests of hiili/io/datapackage.hpp: bw2calc's own fixtures against the numbers its tests
// assert (expected.json), hand-made packages for every mapping and duplicate rule, and a
// hostile suite of .npy files, datapackage.json files and zip archives.
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "hiili/distributions.hpp"
#include "hiili/error.hpp"
#include "hiili/io/datapackage.hpp"
#include "hiili/io/read.hpp"
#include "hiili/lca.hpp"
#include "hiili/monte_carlo.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using hiili::test_util::TempDir;
using hiili::test_util::expect_format_error;
using hiili::FormatError;
using hiili::Index;
using hiili::InvalidInputError;
using json = nlohmann::json;

namespace {

const fs::path kFixtures = fs::path(HIILI_SHARED_DATA) / "bw2calc_fixtures" / "fixtures";



// ---- .npy writing ---------------------------------------------------------------------------

template <typename T>
void put(std::string& out, T value) {
  char buf[sizeof(T)];
  std::memcpy(buf, &value, sizeof(T));
  out.append(buf, sizeof(T));
}

// A .npy file: `descr` as a Python literal ("'<f8'" or "[('row', '<i4'), ...]").
std::string npy(const std::string& descr, const std::string& shape, const std::string& data,
                bool fortran = false, int version = 1) {
  std::string header = "{'descr': " + descr + ", 'fortran_order': " + (fortran ? "True" : "False") +
                       ", 'shape': " + shape + ", }";
  const std::size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  if (version == 1)
    put<std::uint16_t>(out, static_cast<std::uint16_t>(header.size()));
  else
    put<std::uint32_t>(out, static_cast<std::uint32_t>(header.size()));
  return out + header + data;
}

std::string shape1(std::size_t n) { return "(" + std::to_string(n) + ",)"; }

std::string npy_f8(const std::vector<double>& v) {
  std::string data;
  for (double x : v) put(data, x);
  return npy("'<f8'", shape1(v.size()), data);
}
std::string npy_f4(const std::vector<float>& v) {
  std::string data;
  for (float x : v) put(data, x);
  return npy("'<f4'", shape1(v.size()), data);
}
std::string npy_i8(const std::vector<std::int64_t>& v) {
  std::string data;
  for (auto x : v) put(data, x);
  return npy("'<i8'", shape1(v.size()), data);
}
std::string npy_f8_big_endian(const std::vector<double>& v) {
  std::string data;
  for (double x : v) {
    std::string one;
    put(one, x);
    data.append(one.rbegin(), one.rend());
  }
  return npy("'>f8'", shape1(v.size()), data);
}
std::string npy_bool(const std::vector<bool>& v) {
  std::string data;
  for (bool x : v) data += static_cast<char>(x ? 1 : 0);
  return npy("'|b1'", shape1(v.size()), data);
}
using Ids = std::vector<std::pair<std::int64_t, std::int64_t>>;
std::string npy_indices(const Ids& v, bool wide = false) {
  std::string data;
  for (auto [r, c] : v) {
    if (wide) {
      put<std::int64_t>(data, r);
      put<std::int64_t>(data, c);
    } else {
      put<std::int32_t>(data, static_cast<std::int32_t>(r));
      put<std::int32_t>(data, static_cast<std::int32_t>(c));
    }
  }
  return npy(wide ? "[('row', '<i8'), ('col', '<i8')]" : "[('row', '<i4'), ('col', '<i4')]",
             shape1(v.size()), data);
}
struct Dist {
  std::uint8_t type;
  float loc, scale, shape, minimum, maximum;
  bool negative;
};
std::string npy_distributions(const std::vector<Dist>& v) {
  std::string data;
  for (const Dist& d : v) {
    put(data, d.type);
    put(data, d.loc);
    put(data, d.scale);
    put(data, d.shape);
    put(data, d.minimum);
    put(data, d.maximum);
    data += static_cast<char>(d.negative ? 1 : 0);
  }
  return npy("[('uncertainty_type', '|u1'), ('loc', '<f4'), ('scale', '<f4'), ('shape', '<f4'), "
             "('minimum', '<f4'), ('maximum', '<f4'), ('negative', '|b1')]",
             shape1(v.size()), data);
}

// ---- zip writing (stored members, so the bytes are fully under the test's control) --------

std::uint32_t crc32(const std::string& data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string make_zip(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out, central;
  // Plain references, not structured bindings: clang 14 (the sanitizer build) cannot capture
  // those in the lambda below.
  for (const auto& member : members) {
    const std::string& name = member.first;
    const std::string& data = member.second;
    const auto offset = static_cast<std::uint32_t>(out.size());
    const std::uint32_t crc = crc32(data);
    auto header = [&](std::string& s, bool is_central) {
      put<std::uint32_t>(s, is_central ? 0x02014b50u : 0x04034b50u);
      if (is_central) put<std::uint16_t>(s, 20);
      put<std::uint16_t>(s, 20);  // version needed
      put<std::uint16_t>(s, 0);   // flags
      put<std::uint16_t>(s, 0);   // stored
      put<std::uint16_t>(s, 0);   // time
      put<std::uint16_t>(s, 0x21);  // date 1980-01-01
      put<std::uint32_t>(s, crc);
      put<std::uint32_t>(s, static_cast<std::uint32_t>(data.size()));
      put<std::uint32_t>(s, static_cast<std::uint32_t>(data.size()));
      put<std::uint16_t>(s, static_cast<std::uint16_t>(name.size()));
      put<std::uint16_t>(s, 0);  // extra
      if (is_central) {
        put<std::uint16_t>(s, 0);  // comment
        put<std::uint16_t>(s, 0);  // disk
        put<std::uint16_t>(s, 0);  // internal attributes
        put<std::uint32_t>(s, 0);  // external attributes
        put<std::uint32_t>(s, offset);
      }
      s += name;
    };
    header(out, false);
    out += data;
    header(central, true);
  }
  const auto cd_offset = static_cast<std::uint32_t>(out.size());
  out += central;
  put<std::uint32_t>(out, 0x06054b50u);
  put<std::uint16_t>(out, 0);
  put<std::uint16_t>(out, 0);
  put<std::uint16_t>(out, static_cast<std::uint16_t>(members.size()));
  put<std::uint16_t>(out, static_cast<std::uint16_t>(members.size()));
  put<std::uint32_t>(out, static_cast<std::uint32_t>(central.size()));
  put<std::uint32_t>(out, cd_offset);
  put<std::uint16_t>(out, 0);
  return out;
}

// ---- datapackage writing -----------------------------------------------------------------

class Package {
 public:
  explicit Package(std::string name = "test", bool sum_intra = true, bool sum_inter = false) {
    meta_ = {{"profile", "data-package"},
             {"name", std::move(name)},
             {"sum_intra_duplicates", sum_intra},
             {"sum_inter_duplicates", sum_inter},
             {"resources", json::array()}};
  }
  // One resource "<group>.<kind>" holding `bytes`.
  Package& resource(const std::string& matrix, const std::string& group, const std::string& kind,
                    std::string bytes, json extra = json::object()) {
    const std::string name = group + "." + kind;
    json r = {{"profile", "data-resource"}, {"format", "npy"}, {"mediatype", "application/octet-stream"},
              {"name", name}, {"matrix", matrix}, {"kind", kind}, {"path", name + ".npy"},
              {"group", group}, {"category", "vector"}};
    for (auto& [k, v] : extra.items()) r[k] = v;
    meta_["resources"].push_back(r);
    files_.emplace_back(r["path"].get<std::string>(), std::move(bytes));
    return *this;
  }
  Package& vector(const std::string& matrix, const std::string& group, const Ids& ids,
                  const std::vector<double>& data, std::optional<std::vector<bool>> flip = std::nullopt,
                  json extra = json::object()) {
    resource(matrix, group, "indices", npy_indices(ids), extra);
    resource(matrix, group, "data", npy_f8(data), extra);
    if (flip) resource(matrix, group, "flip", npy_bool(*flip), extra);
    return *this;
  }
  json& meta() { return meta_; }
  const json& meta() const { return meta_; }
  std::vector<std::pair<std::string, std::string>>& files() { return files_; }
  const std::vector<std::pair<std::string, std::string>>& files() const { return files_; }

  fs::path folder(const TempDir& dir, const std::string& name) const {
    for (const auto& [path, bytes] : files_) dir.write(name + "/" + path, bytes);
    dir.write(name + "/datapackage.json", meta_.dump(1));
    return dir.path() / name;
  }
  fs::path zip(const TempDir& dir, const std::string& name) const {
    std::vector<std::pair<std::string, std::string>> members = files_;
    members.emplace_back("datapackage.json", meta_.dump(1));
    return dir.write(name, make_zip(members));
  }

 private:
  json meta_;
  std::vector<std::pair<std::string, std::string>> files_;
};

// A 2 x 2 system: products 10, 11; activities 20, 21; flow 30; one method.
Package small_package() {
  Package p;
  p.vector("technosphere_matrix", "tech", {{10, 20}, {11, 21}, {11, 20}}, {1.0, 2.0, 0.5},
           std::vector<bool>{false, false, true});
  p.vector("biosphere_matrix", "bio", {{30, 20}, {30, 21}}, {3.0, 4.0});
  p.vector("characterization_matrix", "cf", {{30, 0}}, {7.0}, std::nullopt,
           {{"global_index", 0}, {"identifier", {"m", "x"}}});
  return p;
}

json expected() {
  std::ifstream in(fs::path(HIILI_SHARED_DATA) / "bw2calc_fixtures" / "expected.json");
  return json::parse(in);
}

double dense_sum(const hiili::CscMatrix& m) { return m.to_dense().sum(); }

}  // namespace

// ---- bw2calc's fixtures ---------------------------------------------------------------------

TEST(DatapackageFixtures, BasicZipAndFolder) {
  ASSERT_TRUE(fs::exists(kFixtures)) << "missing " << kFixtures;
  for (const fs::path& p : {kFixtures / "basic_fixture.zip", kFixtures / "basic_fixture",
                            kFixtures / "basic_fixture" / "datapackage.json"}) {
    SCOPED_TRACE(p.string());
    EXPECT_EQ(hiili::io::detect_format(p), hiili::io::Format::Datapackage);
    const hiili::Model model = hiili::io::read(p);
    ASSERT_EQ(model.num_activities(), 2);
    ASSERT_EQ(model.num_flows(), 1);
    ASSERT_EQ(model.num_categories(), 1);
    EXPECT_EQ(model.activities().column("id"), (std::vector<std::string>{"101", "102"}));
    EXPECT_EQ(model.activities().column("product"), (std::vector<std::string>{"1", "2"}));
    Eigen::MatrixXd A(2, 2);
    A << 1, 0, -0.5, 1;
    EXPECT_EQ(model.A().to_dense(), A);
    hiili::Lca lca(model);
    const std::pair<std::int64_t, double> demand[] = {{1, 1.0}};
    const hiili::LcaResult r = lca.solve(hiili::io::brightway_demand(model, demand));
    EXPECT_DOUBLE_EQ(r.supply[hiili::io::brightway_activity_index(model, 101)], 1.0);
    EXPECT_DOUBLE_EQ(r.supply[hiili::io::brightway_activity_index(model, 102)], 0.5);
    EXPECT_DOUBLE_EQ(r.scores[0], 1.0);  // expected.json: score eb-characterization
  }
}

TEST(DatapackageFixtures, DemandByActivityIdIsRejected) {
  ASSERT_TRUE(fs::exists(kFixtures)) << "missing " << kFixtures;
  const hiili::Model model = hiili::io::read_datapackage(kFixtures / "basic_fixture.zip");
  EXPECT_EQ(hiili::io::brightway_product_index(model, 2), 1);
  try {
    (void)hiili::io::brightway_product_index(model, 101);
    ADD_FAILURE();
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("is an activity, not a product"), std::string::npos);
  }
  EXPECT_THROW((void)hiili::io::brightway_product_index(model, 999), InvalidInputError);
  EXPECT_THROW((void)hiili::io::brightway_activity_index(model, 1), InvalidInputError);
  EXPECT_EQ(hiili::io::brightway_flow_index(model, 1), 0);
}

TEST(DatapackageFixtures, MultiLcaMatricesAndScores) {
  ASSERT_TRUE(fs::exists(kFixtures)) << "missing " << kFixtures;
  std::vector<fs::path> packages;
  for (int i = 1; i <= 5; ++i) packages.push_back(kFixtures / ("multi_lca_simple_" + std::to_string(i) + ".zip"));
  packages.push_back(kFixtures / "multi_lca_simple_normalization.zip");
  packages.push_back(kFixtures / "multi_lca_simple_weighting.zip");
  hiili::io::DatapackageReport report;
  const hiili::Model model = hiili::io::read_datapackages(packages, {}, &report);
  ASSERT_EQ(model.num_activities(), 6);
  ASSERT_EQ(model.num_flows(), 4);
  ASSERT_EQ(model.num_categories(), 2);
  EXPECT_NEAR(dense_sum(model.A()), 3.7, 1e-12);
  EXPECT_NEAR(dense_sum(model.B()), 30.0, 1e-12);
  const Eigen::MatrixXd C = model.C().to_dense();
  const auto& names = model.categories().column("name");
  const Index first = std::find(names.begin(), names.end(), "first, category") - names.begin();
  const Index second = std::find(names.begin(), names.end(), "second, category") - names.begin();
  ASSERT_LT(first, 2);
  ASSERT_LT(second, 2);
  EXPECT_DOUBLE_EQ(C.row(first).sum(), 4.0);
  EXPECT_DOUBLE_EQ(C.row(second).sum(), 20.0);
  EXPECT_EQ(model.categories().column("id")[first], R"(["first","category"])");
  EXPECT_EQ(report.unmatched_characterization_factors, 4);  // flows 204-206 and 205
  EXPECT_EQ(report.packages.size(), 7u);
  EXPECT_FALSE(report.skipped.empty());  // normalisation and weighting are not model matrices
  EXPECT_EQ(report.replaced_entries, 0);

  // Asserted technosphere entries (product id, activity id, value).
  const Eigen::MatrixXd A = model.A().to_dense();
  const json oracle = expected();
  for (const auto& e : oracle["asserted_by_upstream_tests"][2]["expect"]
                             ["technosphere entries (product id, activity id, value)"]) {
    const Index i = hiili::io::brightway_product_index(model, e[0].get<std::int64_t>());
    const Index j = hiili::io::brightway_activity_index(model, e[1].get<std::int64_t>());
    EXPECT_NEAR(A(i, j), e[2].get<double>(), 1e-15);
  }

  hiili::Lca lca(model);
  const json cases = expected()["computed_here_independently"]["multi_lca_simple"];
  for (const char* key : {"γ", "ε", "ζ"}) {
    SCOPED_TRACE(key);
    const json& c = cases[key];
    std::vector<std::pair<std::int64_t, double>> demand;
    for (const auto& [id, amount] : c["demand"].items()) demand.emplace_back(std::stoll(id), amount.get<double>());
    const hiili::LcaResult r = lca.solve(hiili::io::brightway_demand(model, demand));
    for (const auto& [id, value] : c["supply_by_activity_id"].items())
      EXPECT_NEAR(r.supply[hiili::io::brightway_activity_index(model, std::stoll(id))], value.get<double>(), 1e-12);
    for (const auto& [id, value] : c["inventory_by_flow_id"].items())
      EXPECT_NEAR(r.inventory[hiili::io::brightway_flow_index(model, std::stoll(id))], value.get<double>(), 1e-12);
    EXPECT_NEAR(r.scores[first], c["score first/category"].get<double>(), 1e-12);
    EXPECT_NEAR(r.scores[second], c["score second/category"].get<double>(), 1e-12);
  }
}

TEST(DatapackageFixtures, MultiLcaUncertainty) {
  ASSERT_TRUE(fs::exists(kFixtures)) << "missing " << kFixtures;
  const hiili::Model one = hiili::io::read_datapackage(kFixtures / "multi_lca_simple_1.zip");
  const auto& tech = one.technosphere();
  ASSERT_TRUE(tech.has_uncertainty());
  ASSERT_EQ(tech.entries.size(), 6u);
  // Entry 0: (100, 1), 0.2, flipped, uniform between 0.1 and 0.8 (float32 in the file).
  EXPECT_DOUBLE_EQ(tech.entries[0].amount, 0.2);
  EXPECT_TRUE(tech.entries[0].flip);
  EXPECT_EQ(tech.uncertainty[0].type, 4);
  EXPECT_DOUBLE_EQ(tech.uncertainty[0].loc, static_cast<double>(0.2f));
  EXPECT_DOUBLE_EQ(tech.uncertainty[0].minimum, static_cast<double>(0.1f));
  EXPECT_DOUBLE_EQ(tech.uncertainty[0].maximum, static_cast<double>(0.8f));
  EXPECT_TRUE(std::isnan(tech.uncertainty[0].scale));
  EXPECT_EQ(tech.uncertainty[2].type, 0);
  const auto& bio = one.biosphere();
  ASSERT_TRUE(bio.has_uncertainty());
  EXPECT_EQ(bio.uncertainty[5].type, 5);  // triangular
  EXPECT_DOUBLE_EQ(bio.uncertainty[5].maximum, 10.0);
}

TEST(DatapackageFixtures, MobilityExample) {
  ASSERT_TRUE(fs::exists(kFixtures)) << "missing " << kFixtures;
  const std::vector<fs::path> packages = {kFixtures / "bw2io_example_db.zip", kFixtures / "ipcc_simple.zip"};
  hiili::io::DatapackageReport report;
  const hiili::Model model = hiili::io::read_datapackages(packages, {}, &report);
  ASSERT_EQ(model.num_activities(), 8);
  ASSERT_EQ(model.num_flows(), 1);
  ASSERT_EQ(model.num_categories(), 1);
  EXPECT_EQ(report.skipped.size(), 1u);  // the geomapping matrix
  hiili::Lca lca(model);
  const json cases = expected()["computed_here_independently"]["mobility_example (bw2io_example_db.zip + ipcc_simple.zip)"];
  for (const char* name : {"Driving an electric car", "Driving an combustion car"}) {
    SCOPED_TRACE(name);
    const json& c = cases[name];
    const std::pair<std::int64_t, double> demand[] = {{c["demand_id"].get<std::int64_t>(), 1.0}};
    const hiili::LcaResult r = lca.solve(hiili::io::brightway_demand(model, demand));
    const double want = c["score_IPCC_simple_kgCO2eq"].get<double>();
    EXPECT_NEAR(r.scores[0], want, 1e-6 * want);
    for (const auto& [id, value] : c["supply_by_activity_id"].items()) {
      const double v = value.get<double>();
      EXPECT_NEAR(r.supply[hiili::io::brightway_activity_index(model, std::stoll(id))], v, 1e-6 * std::abs(v) + 1e-15);
    }
  }
}

TEST(DatapackageFixtures, MissingAndEmptyParts) {
  ASSERT_TRUE(fs::exists(kFixtures)) << "missing " << kFixtures;
  const hiili::Model missing = hiili::io::read_datapackage(kFixtures / "missing_characterization.zip");
  EXPECT_EQ(missing.num_categories(), 0);
  EXPECT_EQ(missing.num_flows(), 1);
  const hiili::Model empty_cf = hiili::io::read_datapackage(kFixtures / "empty_characterization.zip");
  EXPECT_EQ(empty_cf.num_categories(), 1);
  EXPECT_EQ(empty_cf.C().nnz(), 0);
  const hiili::Model empty_bio = hiili::io::read_datapackage(kFixtures / "empty_biosphere.zip");
  EXPECT_EQ(empty_bio.num_flows(), 0);
  EXPECT_EQ(empty_bio.num_categories(), 1);
  EXPECT_EQ(empty_bio.num_activities(), 2);
  // The technosphere alone still solves.
  hiili::Lca lca(empty_bio);
  const hiili::LcaResult r = lca.solve(hiili::SparseDemand{{0, 1.0}});
  EXPECT_EQ(r.inventory.size(), 0);
  EXPECT_DOUBLE_EQ(r.scores[0], 0.0);
}

// ---- hand-made packages: the mapping and duplicate rules ---------------------------------

TEST(DatapackageRules, SmallPackageFolderAndZip) {
  TempDir dir;
  const Package p = small_package();
  for (const fs::path& path : {p.folder(dir, "pkg"), p.zip(dir, "pkg.zip")}) {
    SCOPED_TRACE(path.string());
    const hiili::Model model = hiili::io::read(path);
    Eigen::MatrixXd A(2, 2);
    A << 1, 0, -0.5, 2;
    EXPECT_EQ(model.A().to_dense(), A);
    EXPECT_EQ(model.B().to_dense(), (Eigen::MatrixXd(1, 2) << 3, 4).finished());
    EXPECT_EQ(model.C().to_dense(), (Eigen::MatrixXd(1, 1) << 7).finished());
    EXPECT_EQ(model.categories().column("name")[0], "m, x");
    EXPECT_EQ(model.categories().column("package")[0], "test");
    EXPECT_FALSE(model.technosphere().has_uncertainty());
  }
}

TEST(DatapackageRules, ZipWithTopFolder) {
  TempDir dir;
  Package p = small_package();
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& [path, bytes] : p.files()) members.emplace_back("inner/" + path, bytes);
  members.emplace_back("inner/datapackage.json", p.meta().dump());
  const fs::path zip = dir.write("top.zip", make_zip(members));
  EXPECT_EQ(hiili::io::read_datapackage(zip).num_activities(), 2);
}

TEST(DatapackageRules, IntraDuplicatesSumOrLastWins) {
  TempDir dir;
  Package sum;
  sum.vector("technosphere_matrix", "t", {{1, 1}, {1, 1}, {2, 2}}, {0.25, 0.5, 1.0});
  const hiili::Model a = hiili::io::read(sum.folder(dir, "sum"));
  EXPECT_DOUBLE_EQ(a.A().to_dense()(0, 0), 0.75);
  EXPECT_EQ(a.technosphere().entries.size(), 3u);

  Package last("p", /*sum_intra=*/false);
  last.vector("technosphere_matrix", "t", {{1, 1}, {1, 1}, {2, 2}}, {0.25, 0.5, 1.0});
  hiili::io::DatapackageReport report;
  const hiili::Model b = hiili::io::read_datapackage(last.folder(dir, "last"), {}, &report);
  EXPECT_DOUBLE_EQ(b.A().to_dense()(0, 0), 0.5);
  EXPECT_EQ(b.technosphere().entries.size(), 2u);
  EXPECT_EQ(report.replaced_entries, 1);
}

TEST(DatapackageRules, InterDuplicatesReplaceOrSum) {
  TempDir dir;
  for (bool inter : {false, true}) {
    SCOPED_TRACE(inter);
    Package p("p", true, inter);
    p.vector("technosphere_matrix", "base", {{1, 1}, {2, 2}, {1, 2}}, {1.0, 1.0, 0.3},
             std::vector<bool>{false, false, true});
    p.vector("technosphere_matrix", "overlay", {{1, 2}}, {0.5}, std::vector<bool>{true});
    hiili::io::DatapackageReport report;
    const hiili::Model m = hiili::io::read_datapackage(p.folder(dir, inter ? "sum" : "replace"), {}, &report);
    EXPECT_DOUBLE_EQ(m.A().to_dense()(0, 1), inter ? -0.8 : -0.5);
    EXPECT_EQ(report.replaced_entries, inter ? 0 : 1);
  }
  // Across packages: the later package's flag decides.
  Package base("base");
  base.vector("technosphere_matrix", "t", {{1, 1}, {2, 2}, {1, 2}}, {1.0, 1.0, -0.3});
  Package scenario("scenario", true, false);
  scenario.vector("technosphere_matrix", "t", {{1, 2}}, {-0.9});
  const std::vector<fs::path> both = {base.folder(dir, "base"), scenario.folder(dir, "scenario")};
  const hiili::Model m = hiili::io::read_datapackages(both);
  EXPECT_DOUBLE_EQ(m.A().to_dense()(0, 1), -0.9);
}

TEST(DatapackageRules, RescaleFloat32Int64AndBigEndianData) {
  TempDir dir;
  Package p;
  p.resource("technosphere_matrix", "a", "indices", npy_indices({{1, 1}, {2, 2}}, /*wide=*/true));
  p.resource("technosphere_matrix", "a", "data", npy_f4({1.5f, 2.0f}));
  p.resource("technosphere_matrix", "a", "rescale", npy_f8({2.0, 0.5}));
  p.resource("technosphere_matrix", "b", "indices", npy_indices({{1, 2}}));
  p.resource("technosphere_matrix", "b", "data", npy_i8({-3}));
  p.resource("biosphere_matrix", "c", "indices", npy_indices({{5, 1}, {5, 2}}));
  p.resource("biosphere_matrix", "c", "data", npy_f8_big_endian({0.125, -7.5}));
  const hiili::Model m = hiili::io::read(p.folder(dir, "p"));
  Eigen::MatrixXd A(2, 2);
  A << 3.0, -3.0, 0.0, 1.0;
  EXPECT_EQ(m.A().to_dense(), A);
  EXPECT_EQ(m.B().to_dense(), (Eigen::MatrixXd(1, 2) << 0.125, -7.5).finished());
  EXPECT_EQ(m.num_categories(), 0);
}

TEST(DatapackageRules, Distributions) {
  TempDir dir;
  Package p;
  p.resource("technosphere_matrix", "t", "indices", npy_indices({{1, 1}, {2, 2}, {1, 2}}));
  p.resource("technosphere_matrix", "t", "data", npy_f8({1.0, 1.0, 0.4}));
  p.resource("technosphere_matrix", "t", "flip", npy_bool({false, false, true}));
  p.resource("technosphere_matrix", "t", "distributions",
             npy_distributions({{0, 1, NAN, NAN, NAN, NAN, false},
                                {1, 1, NAN, NAN, NAN, NAN, false},
                                {2, -0.9163f, 0.1f, NAN, NAN, NAN, false}}));
  const hiili::Model m = hiili::io::read(p.folder(dir, "p"));
  const auto& t = m.technosphere();
  ASSERT_TRUE(t.has_uncertainty());
  EXPECT_EQ(t.uncertainty[2].type, 2);
  EXPECT_DOUBLE_EQ(t.uncertainty[2].loc, static_cast<double>(-0.9163f));
  EXPECT_DOUBLE_EQ(t.uncertainty[2].scale, static_cast<double>(0.1f));
  EXPECT_TRUE(t.entries[2].flip);
  EXPECT_DOUBLE_EQ(m.A().to_dense()(0, 1), -0.4);
}

TEST(DatapackageRules, UnlinkedBiosphereDroppedOrStrict) {
  TempDir dir;
  Package p = small_package();
  p.vector("biosphere_matrix", "orphans", {{31, 99}}, {5.0});
  const fs::path path = p.folder(dir, "p");
  hiili::io::DatapackageReport report;
  const hiili::Model m = hiili::io::read_datapackage(path, {}, &report);
  EXPECT_EQ(report.unlinked_biosphere_entries, 1);
  EXPECT_EQ(m.num_flows(), 2);  // bw2calc maps flow 31 although its only entry is dropped
  hiili::io::DatapackageOptions strict;
  strict.strict = true;
  expect_format_error([&] { hiili::io::read_datapackage(path, strict); },
                      {"orphans.indices.npy", "entry 0", "activity id 99"});
}

TEST(DatapackageRules, GlobalIndexAndCategories) {
  TempDir dir;
  Package p = small_package();
  // A regionalised factor (col 5) is left out where global_index is 0.
  p.vector("characterization_matrix", "cf2", {{30, 0}, {30, 5}}, {1.0, 100.0}, std::nullopt,
           {{"global_index", 0}, {"identifier", {"m", "x"}}});  // same method as "cf"
  p.vector("characterization_matrix", "other", {{30, 0}}, {2.0}, std::nullopt,
           {{"global_index", 0}});  // no identifier: a category of its own
  hiili::io::DatapackageReport report;
  const hiili::Model m = hiili::io::read_datapackage(p.folder(dir, "p"), {}, &report);
  ASSERT_EQ(m.num_categories(), 2);
  // Same identifier, different groups: the later group replaces the factor (sum_inter false).
  EXPECT_DOUBLE_EQ(m.C().to_dense()(0, 0), 1.0);
  EXPECT_DOUBLE_EQ(m.C().to_dense()(1, 0), 2.0);
  EXPECT_EQ(m.categories().column("id")[1], "other");
  EXPECT_EQ(report.regionalized_factors_skipped, 1);
}

TEST(DatapackageRules, GlobalIndexIsOneAcrossPackages) {
  TempDir dir;
  // Two methods in two packages with the same global location 0: each keeps its col-0 factor.
  Package first = small_package();
  Package method("method");
  method.vector("characterization_matrix", "m2", {{30, 0}, {30, 7}}, {5.0, 50.0}, std::nullopt,
                {{"global_index", 0}, {"identifier", {"m", "y"}}});
  const std::vector<fs::path> both = {first.folder(dir, "p"), method.folder(dir, "q")};
  hiili::io::DatapackageReport report;
  const hiili::Model m = hiili::io::read_datapackages(both, {}, &report);
  ASSERT_EQ(m.num_categories(), 2);
  EXPECT_DOUBLE_EQ(m.C().to_dense()(0, 0), 7.0);
  EXPECT_DOUBLE_EQ(m.C().to_dense()(1, 0), 5.0);
  EXPECT_EQ(report.regionalized_factors_skipped, 1);
  // Without any global_index every factor counts, the regionalised one too (bw2calc: no filter).
  Package plain;
  plain.vector("technosphere_matrix", "tech", {{10, 20}}, {1.0});
  plain.vector("biosphere_matrix", "bio", {{30, 20}}, {3.0});
  plain.vector("characterization_matrix", "cf", {{30, 0}, {30, 7}}, {1.0, 2.0});
  const hiili::Model unfiltered = hiili::io::read_datapackage(plain.folder(dir, "plain"));
  EXPECT_DOUBLE_EQ(unfiltered.C().to_dense()(0, 0), 3.0);
}

TEST(DatapackageRules, ConflictingGlobalIndexIsAFormatErrorNamingBoth) {
  TempDir dir;
  // Another location across packages (bw2calc: InconsistentGlobalIndex).
  Package method("method");
  method.vector("characterization_matrix", "m2", {{30, 5}}, {5.0}, std::nullopt,
                {{"global_index", 5}, {"identifier", {"m", "y"}}});
  const std::vector<fs::path> both = {small_package().folder(dir, "p"), method.folder(dir, "q")};
  expect_format_error([&] { hiili::io::read_datapackages(both); },
                      {"q/datapackage.json resource 0 (m2.indices)", "global_index 5",
                       "p/datapackage.json resource 5 (cf.indices)", "global_index 0",
                       "InconsistentGlobalIndex"});
  // One with and one without, in one package: also two values for bw2calc.
  Package mixed = small_package();
  mixed.vector("characterization_matrix", "other", {{30, 0}}, {2.0});
  expect_format_error([&] { hiili::io::read_datapackage(mixed.folder(dir, "mixed")); },
                      {"resource 7 (other.indices)", "no global_index", "resource 5 (cf.indices)",
                       "global_index 0"});
  // Only the indices resource counts (bw2calc reads kind "indices"): another value on the data
  // resource is no conflict, and the indices' value filters.
  Package data_only = small_package();
  data_only.resource("characterization_matrix", "cf2", "indices", npy_indices({{30, 0}, {30, 4}}),
                     {{"global_index", 0}});
  data_only.resource("characterization_matrix", "cf2", "data", npy_f8({1.0, 9.0}),
                     {{"global_index", 4}});
  const hiili::Model m = hiili::io::read_datapackage(data_only.folder(dir, "data_only"));
  EXPECT_DOUBLE_EQ(m.C().to_dense()(1, 0), 1.0);
}

// ---- rescale with distributions --------------------------------------------------------------


// Every family hiili can rescale, with and without bounds and `negative` (as test_bw_mc.py).
std::vector<hiili::Uncertainty> rescalable_records() {
  return {
      hiili::test_util::uncertainty(2, std::log(0.5), 0.3, NAN, NAN, NAN),
      hiili::test_util::uncertainty(2, 0.1, 0.3, NAN, 0.8, 1.6),
      hiili::test_util::uncertainty(2, 0.1, 0.3, NAN, -1.6, -0.9, true),
      hiili::test_util::uncertainty(3, 1.0, 0.2, NAN, NAN, NAN),
      hiili::test_util::uncertainty(3, 1.0, 0.2, NAN, 0.8, 1.5),
      hiili::test_util::uncertainty(4, NAN, NAN, NAN, 0.1, 0.3),
      hiili::test_util::uncertainty(5, 0.2, NAN, NAN, 0.1, 0.4),
      hiili::test_util::uncertainty(8, 0.1, 0.5, 2.0, NAN, NAN),
      hiili::test_util::uncertainty(8, NAN, 0.5, 2.0, NAN, NAN, true),
      hiili::test_util::uncertainty(8, 0.1, 0.5, 2.0, 0.2, 0.9),
      hiili::test_util::uncertainty(9, NAN, 0.1, 4.0, NAN, NAN),
      hiili::test_util::uncertainty(9, 0.2, 0.1, 4.0, -1.0, -0.3, true),
      hiili::test_util::uncertainty(10, 2.0, NAN, 3.0, NAN, NAN),
      hiili::test_util::uncertainty(10, 2.0, NAN, 3.0, -1.0, 2.0),
      hiili::test_util::uncertainty(11, 0.3, 0.05, 0.0, NAN, NAN),
      hiili::test_util::uncertainty(11, 0.3, 0.05, NAN, 0.25, 0.5),
      hiili::test_util::uncertainty(12, NAN, NAN, 5.0, NAN, NAN),
      hiili::test_util::uncertainty(12, 1.0, 0.2, 5.0, 0.8, 1.5),
  };
}

void expect_close(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, 1e-12 * std::abs(want) + 1e-15) << what;
}

TEST(DatapackageRescale, DrawsAreFactorTimesTheUnscaledDraws) {
  // The sampler is affine in location and scale: with the same stream the folded record draws
  // r times what the original draws (negated where the flip toggles).
  for (double r : {2.5, 0.3, -1.7, -1.0, 0.0}) {
    const auto records = rescalable_records();
    for (std::size_t i = 0; i < records.size(); ++i) {
      const hiili::Uncertainty original = records[i];
      hiili::Uncertainty u = original;
      double amount = 1.0 * r;  // the reader's amount already holds data * r
      bool flip = false;
      hiili::io::rescale_uncertainty(r, amount, flip, u);
      const auto x = hiili::sample_distribution(original, 1.0, 3, 400, 0, 17);
      const auto y = hiili::sample_distribution(u, amount, 3, 400, 0, 17);
      for (std::size_t j = 0; j < x.size(); ++j)
        expect_close(flip ? -y[j] : y[j], r * x[j],
                     "r " + std::to_string(r) + ", record " + std::to_string(i) + ", draw " +
                         std::to_string(j));
      // The deterministic value is unchanged: data * r.
      EXPECT_DOUBLE_EQ(flip ? -amount : amount, r) << "record " << i;
    }
  }
}

TEST(DatapackageRescale, ParametersOfEachFamily) {
  using hiili::io::rescale_uncertainty;
  double amount = 2.0;
  bool flip = false;
  auto u = hiili::test_util::uncertainty(2, 0.1, 0.3, NAN, 0.8, 1.6);  // lognormal: loc + ln 2, bounds times 2
  rescale_uncertainty(2.0, amount, flip, u);
  EXPECT_NEAR(u.loc, 0.1 + std::log(2.0), 1e-15);
  EXPECT_DOUBLE_EQ(u.scale, 0.3);
  EXPECT_DOUBLE_EQ(u.minimum, 1.6);
  EXPECT_DOUBLE_EQ(u.maximum, 3.2);
  EXPECT_FALSE(flip);
  EXPECT_DOUBLE_EQ(amount, 2.0);

  amount = -1.5, flip = true;  // normal with r = -3: |r| X, flip toggled, amount negated
  u = hiili::test_util::uncertainty(3, 0.5, 0.1, NAN, NAN, NAN);
  rescale_uncertainty(-3.0, amount, flip, u);
  EXPECT_DOUBLE_EQ(u.loc, 1.5);
  EXPECT_DOUBLE_EQ(u.scale, 0.1 * 3.0);
  EXPECT_FALSE(flip);
  EXPECT_DOUBLE_EQ(amount, 1.5);
  EXPECT_TRUE(std::isnan(u.minimum));

  u = hiili::test_util::uncertainty(5, 0.2, NAN, NAN, 0.1, 0.4);  // triangular: mode and ends
  rescale_uncertainty(-0.5, amount, flip, u);
  EXPECT_DOUBLE_EQ(u.loc, 0.1);
  EXPECT_DOUBLE_EQ(u.minimum, 0.05);
  EXPECT_DOUBLE_EQ(u.maximum, 0.2);
  EXPECT_TRUE(flip);

  u = hiili::test_util::uncertainty(10, 2.0, NAN, 3.0, NAN, NAN);  // beta: support [0, 1] -> [0, 4], alpha and beta kept
  rescale_uncertainty(4.0, amount, flip, u);
  EXPECT_DOUBLE_EQ(u.loc, 2.0);
  EXPECT_DOUBLE_EQ(u.shape, 3.0);
  EXPECT_DOUBLE_EQ(u.minimum, 0.0);
  EXPECT_DOUBLE_EQ(u.maximum, 4.0);

  u = hiili::test_util::uncertainty(12, NAN, NAN, 5.0, NAN, NAN);  // Student's t: scale NaN is 1
  rescale_uncertainty(2.0, amount, flip, u);
  EXPECT_DOUBLE_EQ(u.scale, 2.0);
  EXPECT_TRUE(std::isnan(u.loc));
  EXPECT_DOUBLE_EQ(u.shape, 5.0);

  u = hiili::test_util::uncertainty(9, 0.2, 0.1, 4.0, NAN, NAN);  // gamma: offset and scale, not shape
  rescale_uncertainty(1.5, amount, flip, u);
  EXPECT_DOUBLE_EQ(u.loc, 0.2 * 1.5);
  EXPECT_DOUBLE_EQ(u.scale, 0.1 * 1.5);
  EXPECT_DOUBLE_EQ(u.shape, 4.0);

  amount = 0.0;
  u = hiili::test_util::uncertainty(3, 0.5, 0.1, NAN, NAN, NAN);  // r = 0: fixed at 0
  rescale_uncertainty(0.0, amount, flip, u);
  EXPECT_EQ(u.type, 0);
  EXPECT_EQ(amount, 0.0);

  amount = 4.0, flip = false;  // fixed entries keep their (already rescaled) amount
  u = hiili::test_util::uncertainty(1, 2.0, NAN, NAN, NAN, NAN);
  rescale_uncertainty(-2.0, amount, flip, u);
  EXPECT_EQ(u.type, 1);
  EXPECT_DOUBLE_EQ(amount, 4.0);
  EXPECT_FALSE(flip);
}

TEST(DatapackageRescale, BernoulliAndDiscreteUniformOnlyByOneOrZero) {
  using hiili::io::rescale_uncertainty;
  double amount = 1.0;
  bool flip = false;
  auto bernoulli = hiili::test_util::uncertainty(6, 0.3, NAN, NAN, NAN, NAN);
  rescale_uncertainty(-1.0, amount, flip, bernoulli);  // -X: the flip toggles
  EXPECT_TRUE(flip);
  EXPECT_DOUBLE_EQ(bernoulli.loc, 0.3);
  EXPECT_THROW(rescale_uncertainty(2.0, amount, flip, bernoulli), InvalidInputError);
  auto discrete = hiili::test_util::uncertainty(7, NAN, NAN, NAN, 1.0, 4.0);
  try {
    rescale_uncertainty(0.5, amount, flip, discrete);
    ADD_FAILURE() << "no error";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("discrete uniform"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("0.5"), std::string::npos) << e.what();
  }
  rescale_uncertainty(0.0, amount, flip, discrete);
  EXPECT_EQ(discrete.type, 0);
  auto normal = hiili::test_util::uncertainty(3, 0.5, 0.1, NAN, NAN, NAN);
  EXPECT_THROW(rescale_uncertainty(std::nan(""), amount, flip, normal), InvalidInputError);
  EXPECT_THROW(rescale_uncertainty(INFINITY, amount, flip, normal), InvalidInputError);
}

// One activity, four flows, one category per flow: each flow's score is its B entry.
Package rescaled_package() {
  Package p;
  p.vector("technosphere_matrix", "tech", {{1, 1}}, {1.0});
  p.resource("biosphere_matrix", "bio", "indices", npy_indices({{5, 1}, {6, 1}, {7, 1}, {8, 1}}));
  p.resource("biosphere_matrix", "bio", "data", npy_f8({2.0, 0.5, 1.0, 1.5}));
  p.resource("biosphere_matrix", "bio", "flip", npy_bool({false, true, false, true}));
  p.resource("biosphere_matrix", "bio", "rescale", npy_f8({3.0, -2.0, 0.5, 4.0}));
  p.resource("biosphere_matrix", "bio", "distributions",
             npy_distributions({{2, 0.6931472f, 0.2f, NAN, NAN, NAN, false},  // lognormal
                                {3, 0.5f, 0.1f, NAN, NAN, NAN, false},        // normal
                                {4, NAN, NAN, NAN, 0.5f, 1.5f, false},        // uniform
                                {0, 1.5f, NAN, NAN, NAN, NAN, false}}));      // fixed
  for (std::int64_t flow : {5, 6, 7, 8})
    p.vector("characterization_matrix", "cf" + std::to_string(flow), {{flow, 0}}, {1.0});
  return p;
}

TEST(DatapackageRescale, ReaderFoldsTheFactorIntoEachDistribution) {
  TempDir dir;
  const hiili::Model m = hiili::io::read_datapackage(rescaled_package().folder(dir, "p"));
  const auto& bio = m.biosphere();
  ASSERT_TRUE(bio.has_uncertainty());
  ASSERT_EQ(bio.entries.size(), 4u);
  // Deterministic values: r (flip ? -data : data).
  Eigen::MatrixXd B(4, 1);
  B << 6.0, 1.0, 0.5, -6.0;
  EXPECT_EQ(m.B().to_dense(), B);
  // lognormal times 3: loc + ln 3
  EXPECT_NEAR(bio.uncertainty[0].loc, static_cast<double>(0.6931472f) + std::log(3.0), 1e-15);
  EXPECT_DOUBLE_EQ(bio.uncertainty[0].scale, static_cast<double>(0.2f));
  EXPECT_FALSE(bio.entries[0].flip);
  // flipped normal times -2: 2 X, flip toggled off, amount 0.5 * -2 negated (value +1)
  EXPECT_DOUBLE_EQ(bio.uncertainty[1].loc, 2.0 * static_cast<double>(0.5f));
  EXPECT_DOUBLE_EQ(bio.uncertainty[1].scale, 2.0 * static_cast<double>(0.1f));
  EXPECT_FALSE(bio.entries[1].flip);
  EXPECT_DOUBLE_EQ(bio.entries[1].amount, 1.0);
  // uniform times 0.5
  EXPECT_DOUBLE_EQ(bio.uncertainty[2].minimum, 0.25);
  EXPECT_DOUBLE_EQ(bio.uncertainty[2].maximum, 0.75);
  // fixed: the amount alone carries the factor
  EXPECT_EQ(bio.uncertainty[3].type, 0);
  EXPECT_DOUBLE_EQ(bio.entries[3].amount, 6.0);
  EXPECT_TRUE(bio.entries[3].flip);
}

TEST(DatapackageRescale, MonteCarloDrawsAreRescaledDraws) {
  // What bw2calc computes for each iteration: r (flip ? -X : X), X a draw of the file's own
  // distribution. hiili draws X with the stream of each B entry; the scores must be r times
  // those draws (to rounding), not the unscaled draws the reader used to give.
  TempDir dir;
  const auto model = std::make_shared<const hiili::Model>(
      hiili::io::read_datapackage(rescaled_package().folder(dir, "p")));
  hiili::MonteCarloOptions options;
  options.seed = 11;
  options.threads = 1;
  hiili::MonteCarlo mc(model, hiili::SparseDemand{{0, 1.0}}, options);
  const Index n = 300;
  const hiili::MonteCarloResult result = mc.run(n);
  ASSERT_EQ(result.completed, n);
  const Eigen::MatrixXd& scores = result.scores[0];  // n x 4: the flows' values
  const std::vector<hiili::Uncertainty> file = {hiili::test_util::uncertainty(2, 0.6931472f, 0.2f, NAN, NAN, NAN),
                                                hiili::test_util::uncertainty(3, 0.5f, 0.1f, NAN, NAN, NAN),
                                                hiili::test_util::uncertainty(4, NAN, NAN, NAN, 0.5f, 1.5f)};
  const double factor[] = {3.0, -2.0, 0.5}, sign[] = {1.0, -1.0, 1.0};
  for (int e = 0; e < 3; ++e) {
    const auto x = hiili::sample_distribution(file[static_cast<std::size_t>(e)], 0.0, 11, n, 0,
                                              hiili::stream_id(hiili::MatrixKind::Biosphere, e));
    for (Index i = 0; i < n; ++i)
      expect_close(scores(i, e), factor[e] * sign[e] * x[static_cast<std::size_t>(i)],
                   "entry " + std::to_string(e) + ", iteration " + std::to_string(i));
  }
  for (Index i = 0; i < n; ++i) EXPECT_DOUBLE_EQ(scores(i, 3), -6.0);
}

TEST(DatapackageRescale, BernoulliTimesTwoIsAFormatError) {
  TempDir dir;
  Package p;
  p.vector("technosphere_matrix", "tech", {{1, 1}}, {1.0});
  p.resource("biosphere_matrix", "bio", "indices", npy_indices({{5, 1}, {6, 1}}));
  p.resource("biosphere_matrix", "bio", "data", npy_f8({1.0, 0.5}));
  p.resource("biosphere_matrix", "bio", "rescale", npy_f8({1.0, 2.0}));
  p.resource("biosphere_matrix", "bio", "distributions",
             npy_distributions({{3, 1.0f, 0.1f, NAN, NAN, NAN, false},
                                {6, 0.5f, NAN, NAN, NAN, NAN, false}}));
  expect_format_error([&] { hiili::io::read_datapackage(p.folder(dir, "p")); },
                      {"bio.rescale.npy", "entry 1", "Bernoulli", "rescale factor 2"});
}

TEST(DatapackageRules, NanSkippedOnRequest) {
  TempDir dir;
  Package p;
  p.vector("technosphere_matrix", "t", {{1, 1}, {2, 2}, {1, 2}}, {1.0, 1.0, std::nan("")});
  const fs::path path = p.folder(dir, "p");
  expect_format_error([&] { hiili::io::read_datapackage(path); }, {"t.data.npy", "entry 2", "NaN"});
  hiili::io::DatapackageOptions skip;
  skip.skip_nan = true;
  hiili::io::DatapackageReport report;
  const hiili::Model m = hiili::io::read_datapackage(path, skip, &report);
  EXPECT_EQ(report.nan_entries_skipped, 1);
  EXPECT_EQ(m.A().nnz(), 2);
}

TEST(DatapackageRules, ArraysAreSkippedLikeBw2calc) {
  TempDir dir;
  Package p = small_package();
  std::string data;
  for (double x : {1.0, 2.0, 3.0, 4.0}) put(data, x);
  p.resource("technosphere_matrix", "samples", "indices", npy_indices({{10, 20}, {11, 21}}), {{"category", "array"}});
  p.resource("technosphere_matrix", "samples", "data", npy("'<f8'", "(2, 2)", data), {{"category", "array"}});
  hiili::io::DatapackageReport report;
  const hiili::Model m = hiili::io::read_datapackage(p.folder(dir, "p"), {}, &report);
  EXPECT_DOUBLE_EQ(m.A().to_dense()(0, 0), 1.0);
  ASSERT_EQ(report.skipped.size(), 1u);
  EXPECT_NE(report.skipped[0].find("samples"), std::string::npos);
}

// ---- hostile packages ---------------------------------------------------------------------

struct Hostile {
  const char* name;
  std::function<void(Package&)> spoil;
  std::vector<std::string> message;
};

void PrintTo(const Hostile& h, std::ostream* os) { *os << h.name; }

class DatapackageHostile : public ::testing::TestWithParam<Hostile> {};

// Replaces the bytes of one resource file.
std::function<void(Package&)> replace_file(const std::string& path, std::string bytes) {
  return [=](Package& p) {
    for (auto& [name, content] : p.files())
      if (name == path) content = bytes;
  };
}

std::function<void(Package&)> edit_resource(std::size_t index, std::function<void(json&)> edit) {
  return [=](Package& p) { edit(p.meta()["resources"][index]); };
}

TEST_P(DatapackageHostile, FolderAndZipGiveFormatError) {
  const Hostile& h = GetParam();
  TempDir dir;
  Package p = small_package();
  h.spoil(p);
  for (const fs::path& path : {p.folder(dir, "pkg"), p.zip(dir, "pkg.zip")}) {
    SCOPED_TRACE(path.string());
    try {
      (void)hiili::io::read_datapackage(path);
      ADD_FAILURE() << "no FormatError for " << h.name;
    } catch (const FormatError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("pkg"), std::string::npos) << what;
      for (const std::string& part : h.message)
        EXPECT_NE(what.find(part), std::string::npos) << "message lacks '" << part << "': " << what;
    } catch (const std::exception& e) {
      ADD_FAILURE() << h.name << ": expected FormatError, got " << e.what();
    }
  }
}

std::string with_header(const std::string& header) {
  std::string h = header;
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  put<std::uint16_t>(out, static_cast<std::uint16_t>(h.size()));
  return out + h;
}

const std::string kData3 = std::string(24, '\0');

INSTANTIATE_TEST_SUITE_P(
    Npy, DatapackageHostile,
    ::testing::Values(
        Hostile{"object_dtype", replace_file("tech.data.npy", npy("'|O'", "(3,)", std::string(24, '\0'))),
                {"tech.data.npy", "object dtype", "refused"}},
        Hostile{"object_field", replace_file("tech.indices.npy", npy("[('row', '<i4'), ('col', '|O')]", "(3,)", std::string(36, '\0'))),
                {"tech.indices.npy", "object dtype"}},
        Hostile{"empty_npy", replace_file("tech.data.npy", ""), {"tech.data.npy", "empty"}},
        Hostile{"bad_magic", replace_file("tech.data.npy", "PK\x03\x04 not numpy at all"), {"tech.data.npy", "magic"}},
        Hostile{"truncated_header", replace_file("tech.data.npy", npy_f8({1, 2, 0.5}).substr(0, 40)),
                {"tech.data.npy", "truncated .npy header"}},
        Hostile{"truncated_data", replace_file("tech.data.npy", npy_f8({1, 2, 0.5}).substr(0, npy_f8({1, 2, 0.5}).size() - 5)),
                {"tech.data.npy", "truncated data"}},
        Hostile{"huge_shape", replace_file("tech.data.npy", npy("'<f8'", "(4611686018427387904,)", kData3)),
                {"tech.data.npy", "truncated data"}},
        Hostile{"overflowing_shape", replace_file("tech.data.npy", npy("'<f8'", "(4294967296, 4294967296, 4294967296)", kData3)),
                {"tech.data.npy", "overflows"}},
        Hostile{"negative_shape", replace_file("tech.data.npy", npy("'<f8'", "(-3,)", kData3)),
                {"tech.data.npy", "non-negative"}},
        Hostile{"trailing_bytes", replace_file("tech.data.npy", npy_f8({1, 2, 0.5}) + "xx"),
                {"tech.data.npy", "2 bytes of unexpected data"}},
        Hostile{"two_dimensional", replace_file("tech.data.npy", npy("'<f8'", "(3, 1)", kData3, true)),
                {"tech.data.npy", "one-dimensional"}},
        Hostile{"complex_dtype", replace_file("tech.data.npy", npy("'<c16'", "(3,)", std::string(48, '\0'))),
                {"tech.data.npy", "unsupported dtype"}},
        Hostile{"unicode_dtype", replace_file("tech.data.npy", npy("'<U2'", "(3,)", kData3)),
                {"tech.data.npy", "unsupported dtype"}},
        Hostile{"half_float", replace_file("tech.data.npy", npy("'<f2'", "(3,)", std::string(6, '\0'))),
                {"tech.data.npy", "f4 and f8"}},
        Hostile{"header_not_dict", replace_file("tech.data.npy", with_header("['<f8', False, (3,)]") + kData3),
                {"tech.data.npy", "not a dictionary"}},
        Hostile{"header_missing_shape", replace_file("tech.data.npy", with_header("{'descr': '<f8', 'fortran_order': False}") + kData3),
                {"tech.data.npy", "'shape'"}},
        Hostile{"header_unterminated", replace_file("tech.data.npy", with_header("{'descr': '<f8, 'fortran_order'") + kData3),
                {"tech.data.npy", "npy header"}},
        Hostile{"header_nested_bomb", replace_file("tech.data.npy", with_header(std::string(500, '[') + std::string(500, ']')) + kData3),
                {"tech.data.npy", "nested too deeply"}},
        Hostile{"header_huge_length", replace_file("tech.data.npy", std::string("\x93NUMPY\x02\x00\xff\xff\xff\x7f", 12) + "{}"),
                {"tech.data.npy", "implausibly large"}},
        Hostile{"version_9", replace_file("tech.data.npy", std::string("\x93NUMPY\x09\x00", 8) + "xx"),
                {"tech.data.npy", "version 9"}},
        Hostile{"indices_without_col", replace_file("tech.indices.npy", npy("[('row', '<i4'), ('other', '<i4')]", "(3,)", kData3)),
                {"tech.indices.npy", "'row' and 'col'"}},
        Hostile{"indices_plain", replace_file("tech.indices.npy", npy_f8({1, 2, 3})), {"tech.indices.npy", "structured"}},
        Hostile{"indices_float", replace_file("tech.indices.npy", npy("[('row', '<f4'), ('col', '<f4')]", "(3,)", kData3)),
                {"tech.indices.npy", "floating-point"}},
        Hostile{"data_structured", replace_file("tech.data.npy", npy_indices({{1, 1}, {1, 1}, {1, 1}})),
                {"tech.data.npy", "structured"}},
        Hostile{"data_too_short", replace_file("tech.data.npy", npy_f8({1, 2})), {"tech.data.npy", "2 elements", "3"}},
        Hostile{"flip_too_long", replace_file("tech.flip.npy", npy_bool({true, false, true, true})), {"tech.flip.npy", "4 elements"}},
        Hostile{"flip_float", replace_file("tech.flip.npy", npy_f8({0, 0, 1})), {"tech.flip.npy", "floating-point"}},
        Hostile{"negative_id", replace_file("tech.indices.npy", npy_indices({{10, 20}, {-11, 21}, {11, 20}})),
                {"tech.indices.npy", "entry 1", "negative id"}},
        Hostile{"infinite_value", replace_file("tech.data.npy", npy_f8({1, std::numeric_limits<double>::infinity(), 0.5})),
                {"tech.data.npy", "entry 1", "infinite"}},
        Hostile{"nan_value", replace_file("tech.data.npy", npy_f8({1, 2, std::nan("")})), {"tech.data.npy", "entry 2", "NaN"}},
        Hostile{"not_square", replace_file("tech.indices.npy", npy_indices({{10, 20}, {11, 21}, {12, 20}})),
                {"not square", "3 products", "2 activities"}}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Metadata, DatapackageHostile,
    ::testing::Values(
        Hostile{"no_resources", [](Package& p) { p.meta().erase("resources"); }, {"datapackage.json", "resources"}},
        Hostile{"resources_not_array", [](Package& p) { p.meta()["resources"] = "x"; }, {"datapackage.json", "resources"}},
        Hostile{"resource_not_object", [](Package& p) { p.meta()["resources"][0] = 5; }, {"datapackage.json", "resource 0"}},
        Hostile{"path_outside", edit_resource(1, [](json& r) { r["path"] = "../../etc/passwd"; }),
                {"datapackage.json", "resource 1", "outside the package"}},
        Hostile{"absolute_path", edit_resource(1, [](json& r) { r["path"] = "/etc/passwd"; }),
                {"datapackage.json", "resource 1", "outside the package"}},
        Hostile{"missing_file", edit_resource(1, [](json& r) { r["path"] = "absent.npy"; }), {"absent.npy"}},
        Hostile{"parquet", edit_resource(1, [](json& r) { r["path"] = "tech.data.parquet"; }), {"resource 1", "parquet"}},
        Hostile{"interface", edit_resource(1, [](json& r) { r["profile"] = "interface"; }), {"resource 1", "interface"}},
        Hostile{"nrows_mismatch", edit_resource(0, [](json& r) { r["nrows"] = 4; }), {"tech.indices.npy", "nrows 4"}},
        Hostile{"nrows_not_integer", edit_resource(0, [](json& r) { r["nrows"] = "3"; }), {"datapackage.json", "nrows"}},
        Hostile{"name_not_string", edit_resource(0, [](json& r) { r["name"] = 3; }), {"datapackage.json", "resource 0", "name"}},
        Hostile{"flag_not_bool", [](Package& p) { p.meta()["sum_inter_duplicates"] = "no"; }, {"sum_inter_duplicates"}},
        Hostile{"no_data", [](Package& p) { p.meta()["resources"].erase(1); }, {"tech", "no data"}},
        Hostile{"no_indices", [](Package& p) { p.meta()["resources"].erase(0); }, {"tech", "no indices"}},
        Hostile{"no_technosphere", [](Package& p) { for (auto& r : p.meta()["resources"]) if (r["matrix"] == "technosphere_matrix") r["matrix"] = "other"; },
                {"no technosphere_matrix data"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(DatapackageHostileFiles, DatapackageJson) {
  TempDir dir;
  const Package p = small_package();
  const fs::path folder = p.folder(dir, "pkg");
  const fs::path meta = folder / "datapackage.json";
  struct Case {
    std::string content;
    std::vector<std::string> parts;
  };
  const Case cases[] = {
      {"", {"empty"}},
      {"{\"resources\": [", {"not valid JSON"}},
      {"[1, 2]", {"JSON object"}},
      {std::string("\xFF\xFE{\0}\0", 6), {"UTF-16"}},
      {"{\"name\": \"\xC3\x28\", \"resources\": []}", {"not valid JSON"}},
  };
  for (const Case& c : cases) {
    dir.write("pkg/datapackage.json", c.content);
    std::vector<std::string> parts = c.parts;
    try {
      (void)hiili::io::read_datapackage(folder);
      ADD_FAILURE() << "no FormatError for " << c.content;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(meta.string()), std::string::npos) << e.what();
      for (const std::string& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  }
  fs::remove(meta);
  expect_format_error([&] { hiili::io::read_datapackage(folder); }, {"datapackage.json", "no such file"});
  expect_format_error([&] { hiili::io::read_datapackage(dir.path() / "absent"); }, {"absent", "no such file"});
  const fs::path text = dir.write("plain.txt", "hello");
  expect_format_error([&] { hiili::io::read_datapackage(text); }, {"plain.txt", "neither"});
}

TEST(DatapackageHostileFiles, Zips) {
  TempDir dir;
  const Package p = small_package();
  const fs::path good = p.zip(dir, "good.zip");
  std::ifstream in(good, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  const fs::path truncated = dir.write("truncated.zip", bytes.substr(0, bytes.size() / 2));
  expect_format_error([&] { hiili::io::read_datapackage(truncated); }, {"truncated.zip"});
  EXPECT_THROW((void)hiili::io::detect_format(truncated), FormatError);

  const fs::path empty = dir.write("empty.zip", "");
  expect_format_error([&] { hiili::io::read_datapackage(empty); }, {"empty.zip"});

  // A flipped byte inside a member's data: the CRC no longer matches.
  std::string corrupt = bytes;
  const auto at = corrupt.find("tech.data.npy") + std::string("tech.data.npy").size() + 80;
  corrupt[at] = static_cast<char>(corrupt[at] ^ 0x5A);
  const fs::path bad_crc = dir.write("crc.zip", corrupt);
  expect_format_error([&] { hiili::io::read_datapackage(bad_crc); }, {"crc.zip"});

  const fs::path no_meta = dir.write("nometa.zip", make_zip({{"a.npy", npy_f8({1})}}));
  expect_format_error([&] { hiili::io::read_datapackage(no_meta); }, {"nometa.zip", "without datapackage.json"});
  expect_format_error([&] { hiili::io::detect_format(no_meta); }, {"nometa.zip", "without datapackage.json"});

  const fs::path garbage = dir.write("garbage.zip", "PK\x03\x04" + std::string(200, 'x'));
  expect_format_error([&] { hiili::io::read_datapackage(garbage); }, {"garbage.zip"});

  // A member whose path leaves the archive root.
  Package evil = small_package();
  evil.meta()["resources"][1]["path"] = "../tech.data.npy";
  expect_format_error([&] { hiili::io::read_datapackage(evil.zip(dir, "evil.zip")); },
                      {"evil.zip", "outside the package"});
}

TEST(DatapackageHostileFiles, NpyVersion2And3HeadersAreRead) {
  TempDir dir;
  Package p = small_package();
  for (auto& [name, content] : p.files())
    if (name == "tech.data.npy") content = npy("'<f8'", "(3,)", [] {
      std::string d;
      for (double x : {1.0, 2.0, 0.5}) put(d, x);
      return d;
    }(), false, 2);
  EXPECT_DOUBLE_EQ(hiili::io::read(p.folder(dir, "v2")).A().to_dense()(1, 1), 2.0);
}

// ---- robustness: every truncation and many byte flips of every file ---------------------

namespace {

// A read either succeeds or throws FormatError; anything else (another exception, a crash
// under the sanitizers) fails.
void expect_robust(const std::function<void()>& read, const std::string& context) {
  try {
    read();
  } catch (const FormatError&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << context << ": not a FormatError: " << e.what();
  }
}

}  // namespace

TEST(DatapackageRobustness, TruncationsAndByteFlipsOfEveryFile) {
  TempDir dir;
  const Package original = small_package();
  const fs::path folder = original.folder(dir, "v");
  std::vector<std::pair<std::string, std::string>> files = original.files();
  files.emplace_back("datapackage.json", original.meta().dump(1));
  std::mt19937 rng(20260805);
  for (const auto& file : files) {
    const std::string& name = file.first;  // not a structured binding: captured below (clang 14)
    const std::string& bytes = file.second;
    // Only the spoiled file is rewritten; the others stay valid.
    auto variant = [&](const std::string& spoiled, const std::string& what) {
      dir.write("v/" + name, spoiled);
      expect_robust([&] { (void)hiili::io::read_datapackage(folder); }, name + " " + what);
    };
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) variant(bytes.substr(0, cut), "cut at " + std::to_string(cut));
    for (int k = 0; k < 100; ++k) {
      std::string spoiled = bytes;
      const std::size_t at = rng() % spoiled.size();
      spoiled[at] = static_cast<char>(rng() & 0xFF);
      variant(spoiled, "byte " + std::to_string(at) + " set");
    }
    dir.write("v/" + name, bytes);
  }
}

TEST(DatapackageRobustness, TruncationsAndByteFlipsOfAZip) {
  TempDir dir;
  const fs::path good = small_package().zip(dir, "good.zip");
  std::ifstream in(good, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::mt19937 rng(7);
  for (std::size_t cut = 0; cut < bytes.size(); cut += 3) {
    const fs::path z = dir.write("cut.zip", bytes.substr(0, cut));
    expect_robust([&] { (void)hiili::io::read(z); }, "zip cut at " + std::to_string(cut));
  }
  for (int k = 0; k < 400; ++k) {
    std::string spoiled = bytes;
    const std::size_t at = rng() % spoiled.size();
    spoiled[at] = static_cast<char>(rng() & 0xFF);
    const fs::path z = dir.write("flip.zip", spoiled);
    expect_robust([&] { (void)hiili::io::read_datapackage(z); }, "zip byte " + std::to_string(at));
  }
}
