// Tests of hiili/io/useeio.hpp: hand-made models with known matrices, the published USEEIO
// v1.2 and v2.0-GHG models against their own oracle U = C B (I - A)^-1, demand files, and
// hostile variants of every file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "hiili/error.hpp"
#include "hiili/io/read.hpp"
#include "hiili/io/useeio.hpp"
#include "hiili/lca.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using hiili::test_util::TempDir;
using hiili::test_util::expect_format_error;
using hiili::FormatError;
using hiili::Index;

namespace {

const fs::path kShared = HIILI_SHARED_DATA;



Eigen::MatrixXd read_json_matrix(const fs::path& file) {
  std::ifstream in(file);
  const nlohmann::json j = nlohmann::json::parse(in);
  Eigen::MatrixXd M(j.size(), j.empty() ? 0 : j[0].size());
  for (std::size_t i = 0; i < j.size(); ++i)
    for (std::size_t k = 0; k < j[i].size(); ++k) M(i, k) = j[i][k].get<double>();
  return M;
}

// A small model: A = [[0.1, 0.2], [0, 0.3]], B = [[1, 2], [0, 4]], C = [[3, 0.5]].
void write_small_model(const TempDir& dir, bool with_labels = true) {
  dir.write("m/matrix/A.json", "[[0.1,0.2],[0,0.3]]");
  dir.write("m/matrix/B.json", "[[1,2],[0,4e0]]");
  dir.write("m/matrix/C.json", "[[3,0.5]]");
  if (!with_labels) return;
  dir.write("m/sectors.json",
            R"([{"id":"a/x/us","index":0,"name":"Alpha","code":"A1","location":"US","description":"first"},
                {"id":"b/y/us","index":1,"name":"Beta","code":"B1","location":"US","description":"second"}])");
  dir.write("m/flows.json",
            R"([{"id":"f0","index":0,"name":"CO2","category":"air","subCategory":"unspecified","unit":"kg","uuid":"u0"},
                {"id":"f1","index":1,"name":"CH4","category":"air","subCategory":"","unit":"kg","uuid":"u1"}])");
  dir.write("m/indicators.json",
            R"([{"id":"gcc","index":0,"name":"Global warming","code":"GCC","unit":"kg CO2 eq","group":"Impact"}])");
  dir.write("m/demands.json", R"([{"id":"d1","year":2020,"type":"Consumption","system":"Full","location":"US"}])");
  dir.write("m/demands/d1.json", R"([{"sector":"a/x/us","amount":2},{"sector":"b/y/us","amount":1e1}])");
}

}  // namespace

// ---- small hand-made model -------------------------------------------------------------

TEST(UseeioSmall, MatricesAndLabels) {
  TempDir dir;
  write_small_model(dir);
  const hiili::Model model = hiili::io::read_useeio(dir.path() / "m");
  ASSERT_EQ(model.num_activities(), 2);
  ASSERT_EQ(model.num_flows(), 2);
  ASSERT_EQ(model.num_categories(), 1);
  Eigen::MatrixXd T(2, 2);
  T << 0.9, -0.2, 0.0, 0.7;
  EXPECT_TRUE(model.A().to_dense().isApprox(T, 1e-15));
  Eigen::MatrixXd B(2, 2);
  B << 1, 2, 0, 4;
  EXPECT_EQ(model.B().to_dense(), B);
  Eigen::MatrixXd C(1, 2);
  C << 3, 0.5;
  EXPECT_EQ(model.C().to_dense(), C);
  // I - A as entries: 2 identity entries plus 3 published coefficients, flipped.
  EXPECT_EQ(model.technosphere().entries.size(), 5u);
  int flipped = 0;
  for (const auto& e : model.technosphere().entries) flipped += e.flip;
  EXPECT_EQ(flipped, 3);
  EXPECT_FALSE(model.technosphere().has_uncertainty());

  EXPECT_EQ(model.activities().column("id")[1], "b/y/us");
  EXPECT_EQ(model.activities().column("name")[0], "Alpha");
  EXPECT_EQ(model.activities().column("code")[1], "B1");
  EXPECT_EQ(model.activities().column("location")[0], "US");
  EXPECT_EQ(model.activities().column("description")[1], "second");
  EXPECT_EQ(model.flows().column("sub_category")[0], "unspecified");
  EXPECT_EQ(model.flows().column("unit")[1], "kg");
  EXPECT_EQ(model.categories().column("unit")[0], "kg CO2 eq");
  EXPECT_EQ(model.categories().column("name")[0], "Global warming");

  // Scores against a dense computation.
  hiili::Lca lca(model);
  const Eigen::MatrixXd expected = C * B * T.inverse();
  const Eigen::MatrixXd scores = lca.activity_scores();
  EXPECT_TRUE(scores.isApprox(expected, 1e-13)) << scores << "\n" << expected;
}

TEST(UseeioSmall, IndexFieldPlacesLabels) {
  TempDir dir;
  write_small_model(dir);
  dir.write("m/sectors.json", R"([{"id":"second","index":1,"name":"B"},{"id":"first","index":0,"name":"A"}])");
  const hiili::Model model = hiili::io::read_useeio(dir.path() / "m");
  EXPECT_EQ(model.activities().column("id")[0], "first");
  EXPECT_EQ(model.activities().column("id")[1], "second");
  EXPECT_EQ(model.activities().column("code")[0], "");  // absent fields are empty
}

TEST(UseeioSmall, GeneratedLabelsWhenFilesAreAbsent) {
  TempDir dir;
  write_small_model(dir, /*with_labels=*/false);
  const hiili::Model model = hiili::io::read_useeio(dir.path() / "m");
  EXPECT_EQ(model.activities().column("id")[1], "sector 1");
  EXPECT_EQ(model.flows().column("id")[0], "flow 0");
  EXPECT_EQ(model.categories().column("name")[0], "indicator 0");
  EXPECT_TRUE(hiili::io::list_useeio_demands(dir.path() / "m").empty());
}

TEST(UseeioSmall, OnlyATechnosphere) {
  TempDir dir;
  dir.write("m/matrix/A.json", "[[0.5]]");
  const hiili::Model model = hiili::io::read_useeio(dir.path() / "m");
  EXPECT_EQ(model.num_activities(), 1);
  EXPECT_EQ(model.num_flows(), 0);
  EXPECT_EQ(model.num_categories(), 0);
  EXPECT_DOUBLE_EQ(model.A().to_dense()(0, 0), 0.5);
}

TEST(UseeioSmall, Demands) {
  TempDir dir;
  write_small_model(dir);
  const fs::path m = dir.path() / "m";
  const hiili::Model model = hiili::io::read_useeio(m);
  const auto list = hiili::io::list_useeio_demands(m);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id, "d1");
  EXPECT_EQ(list[0].year, 2020);
  EXPECT_EQ(list[0].type, "Consumption");
  EXPECT_EQ(list[0].system, "Full");
  EXPECT_EQ(list[0].location, "US");
  EXPECT_EQ(list[0].file, m / "demands" / "d1.json");
  const hiili::SparseDemand d = hiili::io::read_useeio_demand(model, list[0].file);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], (std::pair<Index, double>{0, 2.0}));
  EXPECT_EQ(d[1], (std::pair<Index, double>{1, 10.0}));
}

TEST(UseeioSmall, ReadDispatchAndDetection) {
  TempDir dir;
  write_small_model(dir);
  EXPECT_EQ(hiili::io::detect_format(dir.path() / "m"), hiili::io::Format::Useeio);
  const hiili::Model model = hiili::io::read(dir.path() / "m");
  EXPECT_EQ(model.num_activities(), 2);
  const hiili::Model again = hiili::io::read(dir.path() / "m", hiili::io::Format::Useeio);
  EXPECT_EQ(again.num_flows(), 2);
}

// ---- the published models against their oracle -----------------------------------------

struct UseeioCase {
  const char* folder;
  Index n, m, k;
};

class UseeioPublished : public ::testing::TestWithParam<UseeioCase> {};

TEST_P(UseeioPublished, ActivityScoresEqualPublishedU) {
  const UseeioCase c = GetParam();
  const fs::path dir = kShared / c.folder;
  ASSERT_TRUE(fs::exists(dir)) << "missing " << dir;
  auto model = std::make_shared<const hiili::Model>(hiili::io::read_useeio(dir));
  ASSERT_EQ(model->num_activities(), c.n);
  ASSERT_EQ(model->num_flows(), c.m);
  ASSERT_EQ(model->num_categories(), c.k);
  const Eigen::MatrixXd U = read_json_matrix(dir / "matrix" / "U.json");
  ASSERT_EQ(U.rows(), c.k);
  ASSERT_EQ(U.cols(), c.n);

  hiili::Lca lca(model);
  const Eigen::MatrixXd N = lca.activity_scores();
  ASSERT_EQ(N.rows(), c.k);
  ASSERT_EQ(N.cols(), c.n);
  auto check = [&](Index q, Index j, double got, const char* how) {
    const double want = U(q, j);
    const double row_max = U.row(q).cwiseAbs().maxCoeff();
    if (want != 0.0) {
      ASSERT_LE(std::abs(got - want), 1e-9 * std::abs(want))
          << how << " indicator " << q << " sector " << j << ": " << got << " vs " << want;
    } else {
      ASSERT_LE(std::abs(got), 1e-12 * row_max) << how << " indicator " << q << " sector " << j;
    }
  };
  for (Index q = 0; q < c.k; ++q)
    for (Index j = 0; j < c.n; ++j) check(q, j, N(q, j), "activity_scores");

  // And one forward solve per sector.
  for (Index j = 0; j < c.n; ++j) {
    const hiili::LcaResult r = lca.solve(hiili::SparseDemand{{j, 1.0}});
    for (Index q = 0; q < c.k; ++q) check(q, j, r.scores[q], "solve");
  }
}

TEST_P(UseeioPublished, LabelsMatchTheJsonFiles) {
  const UseeioCase c = GetParam();
  const fs::path dir = kShared / c.folder;
  ASSERT_TRUE(fs::exists(dir)) << "missing " << dir;
  const hiili::Model model = hiili::io::read_useeio(dir);
  std::ifstream in(dir / "sectors.json");
  const nlohmann::json sectors = nlohmann::json::parse(in);
  for (std::size_t i = 0; i < sectors.size(); ++i) {
    const auto row = static_cast<std::size_t>(sectors[i]["index"].get<int>());
    EXPECT_EQ(model.activities().column("id")[row], sectors[i]["id"].get<std::string>());
    EXPECT_EQ(model.activities().column("code")[row], sectors[i]["code"].get<std::string>());
  }
  EXPECT_TRUE(model.categories().has_column("unit"));
  EXPECT_EQ(model.categories().column("unit")[0].empty(), false);
}

INSTANTIATE_TEST_SUITE_P(Data, UseeioPublished,
                         ::testing::Values(UseeioCase{"useeio_v1.2", 388, 2412, 24},
                                           UseeioCase{"useeio_v2.0_ghg", 405, 15, 3}),
                         [](const auto& info) {
                           return std::string(info.param.folder[8] == '1' ? "v1_2" : "v2_0_ghg");
                         });

TEST(UseeioPublishedV20, FlowsAreGeneratedNotGuessed) {
  const fs::path dir = kShared / "useeio_v2.0_ghg";
  ASSERT_TRUE(fs::exists(dir)) << "missing " << dir;
  const hiili::Model model = hiili::io::read_useeio(dir);
  ASSERT_EQ(model.num_flows(), 15);
  EXPECT_EQ(model.flows().column("id")[0], "flow 0");
  EXPECT_EQ(model.flows().column("id")[14], "flow 14");
  EXPECT_EQ(model.categories().column("code")[0], "GHG");
}

// Totals h = U f of the demand vectors, as SOURCE.txt lists them (11 significant digits).
TEST(UseeioPublishedDemands, TotalsMatchSourceTable) {
  struct Row {
    const char* folder;
    const char* demand;
    const char* indicator;
    double total;
  };
  const Row rows[] = {
      {"useeio_v1.2", "2007_us_consumption", "ACID", 2.0657115277e+10},
      {"useeio_v1.2", "2007_us_consumption", "GCC", 2.9521021982e+12},
      {"useeio_v1.2", "2007_us_consumption", "WATR", 3.9246396309e+11},
      {"useeio_v1.2", "2007_us_production", "GCC", 3.5021764323e+12},
      {"useeio_v1.2", "2007_us_production", "HNC", 1.1439543870e+03},
      {"useeio_v1.2", "2007_us_production", "VADD", 1.6332488229e+13},
      {"useeio_v2.0_ghg", "2012_us_consumption_complete", "GHG", 5.1719396270e+12},
      {"useeio_v2.0_ghg", "2012_us_consumption_complete", "OGHG", 9.9166816226e+10},
      {"useeio_v2.0_ghg", "2012_us_consumption_household", "MGHG", 3.6157783439e+12},
      {"useeio_v2.0_ghg", "2012_us_production_complete", "GHG", 5.8067975513e+12},
      {"useeio_v2.0_ghg", "2012_us_production_complete", "OGHG", 1.0649542995e+11},
  };
  std::map<std::string, std::shared_ptr<hiili::Lca>> lcas;
  for (const Row& r : rows) {
    const fs::path dir = kShared / r.folder;
    ASSERT_TRUE(fs::exists(dir)) << "missing " << dir;
    auto& lca = lcas[r.folder];
    if (!lca) lca = std::make_shared<hiili::Lca>(hiili::io::read_useeio(dir));
    const auto list = hiili::io::list_useeio_demands(dir);
    const auto it = std::find_if(list.begin(), list.end(), [&](const auto& d) { return d.id == r.demand; });
    ASSERT_NE(it, list.end()) << r.demand;
    const hiili::SparseDemand demand = hiili::io::read_useeio_demand(lca->model(), it->file);
    const hiili::LcaResult result = lca->solve(demand);
    const auto& codes = lca->model().categories().column("code");
    const auto q = std::find(codes.begin(), codes.end(), r.indicator) - codes.begin();
    ASSERT_LT(q, static_cast<long>(codes.size()));
    EXPECT_NEAR(result.scores[q], r.total, 1e-9 * std::abs(r.total)) << r.folder << " " << r.demand;
  }
}

TEST(UseeioPublishedDemands, ListedDemands) {
  const fs::path v12 = kShared / "useeio_v1.2", v20 = kShared / "useeio_v2.0_ghg";
  ASSERT_TRUE(fs::exists(v12)) << "missing " << v12;
  ASSERT_TRUE(fs::exists(v20)) << "missing " << v20;
  const auto a = hiili::io::list_useeio_demands(v12);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].id, "2007_us_consumption");
  EXPECT_EQ(a[0].year, 2007);
  EXPECT_EQ(a[1].type, "Production");
  const auto b = hiili::io::list_useeio_demands(v20);
  ASSERT_EQ(b.size(), 3u);
  const hiili::Model model = hiili::io::read_useeio(v20);
  for (const auto& d : b) {
    const auto demand = hiili::io::read_useeio_demand(model, d.file);
    EXPECT_EQ(demand.size(), 405u) << d.id;  // every sector listed
  }
}

TEST(UseeioPublishedDemands, ForeignDemandFilesAreRejected) {
  const fs::path dir = kShared / "useeio_v1.2";
  ASSERT_TRUE(fs::exists(dir)) << "missing " << dir;
  const hiili::Model model = hiili::io::read_useeio(dir);
  for (const char* name : {"2007_ga_consumption", "2007_ga_consumption_food", "2007_ga_production",
                           "2007_ga_production_food", "2007_us_consumption_food",
                           "2007_us_production_food"}) {
    const fs::path file = dir / "demands" / (std::string(name) + ".json");
    std::ifstream in(file);
    const nlohmann::json first = nlohmann::json::parse(in)[0];
    expect_format_error([&] { hiili::io::read_useeio_demand(model, file); },
                        {file.string(), "entry 0", first["sector"].get<std::string>(),
                         "not a sector of this model"});
  }
}

// ---- hostile files ----------------------------------------------------------------------

struct HostileCase {
  const char* name;
  const char* file;     // relative to the model folder
  std::string content;  // replaces the file ("<delete>" removes it)
  std::vector<std::string> message;  // parts the FormatError message must hold
};

void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

class UseeioHostile : public ::testing::TestWithParam<HostileCase> {};

TEST_P(UseeioHostile, IsFormatErrorNamingFileAndEntry) {
  const HostileCase& c = GetParam();
  TempDir dir;
  write_small_model(dir);
  const fs::path m = dir.path() / "m";
  if (c.content == "<delete>")
    fs::remove(m / c.file);
  else
    dir.write(std::string("m/") + c.file, c.content);
  try {
    (void)hiili::io::read_useeio(m);
    ADD_FAILURE() << "no FormatError for " << c.name;
  } catch (const FormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(c.file), std::string::npos) << what;
    for (const std::string& part : c.message)
      EXPECT_NE(what.find(part), std::string::npos) << "message lacks '" << part << "': " << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << c.name << ": expected FormatError, got " << e.what();
  }
}

const std::string kUtf16A = std::string("\xFF\xFE[\0[\0""0\0]\0]\0", 12);

INSTANTIATE_TEST_SUITE_P(
    Files, UseeioHostile,
    ::testing::Values(
        HostileCase{"missing_A", "matrix/A.json", "<delete>", {"no such file"}},
        HostileCase{"empty_A", "matrix/A.json", "", {"empty"}},
        HostileCase{"whitespace_A", "matrix/A.json", "  \n ", {"empty"}},
        HostileCase{"truncated_A", "matrix/A.json", "[[0.1,0.2],[0,0.", {"not valid JSON"}},
        HostileCase{"truncated_row_A", "matrix/A.json", "[[0.1,0.2],[0", {"not valid JSON"}},
        HostileCase{"ragged_A", "matrix/A.json", "[[0.1,0.2],[0.3]]", {"row 1 has 1 entries"}},
        HostileCase{"long_row_A", "matrix/A.json", "[[0.1,0.2],[0.3,0.1,0.2]]", {"row 1"}},
        HostileCase{"not_square_A", "matrix/A.json", "[[0.1,0.2]]", {"square"}},
        HostileCase{"empty_matrix_A", "matrix/A.json", "[]", {"no sectors"}},
        HostileCase{"string_cell", "matrix/A.json", R"([[0.1,"x"],[0,0.3]])", {"row 0, column 1", "string"}},
        HostileCase{"null_cell", "matrix/A.json", "[[0.1,0.2],[null,0.3]]", {"row 1, column 0", "null"}},
        HostileCase{"bool_cell", "matrix/A.json", "[[0.1,0.2],[0,true]]", {"row 1, column 1"}},
        HostileCase{"nested_cell", "matrix/A.json", "[[0.1,[0.2]],[0,0.3]]", {"row 0, column 1"}},
        HostileCase{"object_row", "matrix/A.json", R"([[0.1,0.2],{"a":1}])", {"row 1"}},
        HostileCase{"not_an_array", "matrix/A.json", R"({"A":[[1]]})", {"expected an array"}},
        HostileCase{"number_not_matrix", "matrix/A.json", "42", {"expected an array"}},
        HostileCase{"infinite_cell", "matrix/A.json", "[[0.1,1e999],[0,0.3]]", {"row 0, column 1", "overflow"}},
        HostileCase{"nan_token", "matrix/A.json", "[[0.1,NaN],[0,0.3]]", {"not valid JSON"}},
        HostileCase{"trailing_garbage", "matrix/A.json", "[[0.1,0.2],[0,0.3]] x", {"not valid JSON"}},
        HostileCase{"two_documents", "matrix/A.json", "[[0.1,0.2],[0,0.3]][[1]]", {"not valid JSON"}},
        HostileCase{"utf16_A", "matrix/A.json", kUtf16A, {"UTF-16"}},
        HostileCase{"binary_A", "matrix/A.json", std::string("[[0.1,\0]]", 9), {"NUL"}},
        HostileCase{"B_wrong_columns", "matrix/B.json", "[[1,2,3],[0,4,5]]", {"3 columns", "2 sectors"}},
        HostileCase{"B_ragged", "matrix/B.json", "[[1,2],[0]]", {"row 1"}},
        HostileCase{"C_wrong_columns", "matrix/C.json", "[[3]]", {"1 columns", "2 flow rows"}},
        HostileCase{"C_without_B", "matrix/B.json", "<delete>", {"without matrix/B.json"}},
        HostileCase{"sectors_too_few", "sectors.json", R"([{"id":"a","index":0}])", {"1 entries", "need 2"}},
        HostileCase{"sectors_not_array", "sectors.json", R"({"id":"a"})", {"array"}},
        HostileCase{"sectors_duplicate_id", "sectors.json", R"([{"id":"a"},{"id":"a"}])", {"entry 1", "duplicate id 'a'"}},
        HostileCase{"sectors_duplicate_index", "sectors.json", R"([{"id":"a","index":1},{"id":"b","index":1}])", {"entry 1", "duplicate \"index\" 1"}},
        HostileCase{"sectors_index_out_of_range", "sectors.json", R"([{"id":"a","index":0},{"id":"b","index":7}])", {"entry 1", "out of range"}},
        HostileCase{"sectors_missing_id", "sectors.json", R"([{"id":"a"},{"name":"b"}])", {"entry 1", "missing \"id\""}},
        HostileCase{"sectors_numeric_id", "sectors.json", R"([{"id":"a"},{"id":5}])", {"entry 1", "not a string"}},
        HostileCase{"sectors_entry_not_object", "sectors.json", R"([{"id":"a"},"b"])", {"entry 1", "object"}},
        HostileCase{"sectors_truncated", "sectors.json", R"([{"id":"a"},{"id":")", {"not valid JSON"}},
        HostileCase{"sectors_invalid_utf8", "sectors.json", "[{\"id\":\"a\"},{\"id\":\"\xC3\x28\"}]", {"not valid JSON"}},
        HostileCase{"flows_too_many", "flows.json", R"([{"id":"a"},{"id":"b"},{"id":"c"}])", {"3 entries"}},
        HostileCase{"indicators_empty", "indicators.json", "", {"empty"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(UseeioHostileDemand, Variants) {
  TempDir dir;
  write_small_model(dir);
  const fs::path m = dir.path() / "m";
  const hiili::Model model = hiili::io::read_useeio(m);
  struct Case {
    std::string content;
    std::vector<std::string> parts;
  };
  const Case cases[] = {
      {R"([{"sector":"a/x/us","amount":1},{"sector":"nowhere/zz","amount":2}])", {"entry 1", "'nowhere/zz'", "not a sector"}},
      {R"([{"sector":"a/x/us"}])", {"entry 0", "amount"}},
      {R"([{"sector":"a/x/us","amount":"3"}])", {"entry 0", "amount"}},
      {R"([{"sector":"a/x/us","amount":1e400}])", {"overflow"}},
      {R"([{"amount":1}])", {"entry 0", "sector"}},
      {R"([{"sector":7,"amount":1}])", {"entry 0", "sector"}},
      {R"([5])", {"entry 0", "object"}},
      {R"({"sector":"a/x/us","amount":1})", {"array"}},
      {R"([])", {"no entries"}},
      {"", {"empty"}},
      {R"([{"sector":"a/x/us","amount":1)", {"not valid JSON"}},
  };
  for (const Case& c : cases) {
    const fs::path file = dir.write("m/demands/bad.json", c.content);
    std::vector<std::string> parts = c.parts;
    parts.push_back(file.string());
    try {
      (void)hiili::io::read_useeio_demand(model, file);
      ADD_FAILURE() << "no FormatError for " << c.content;
    } catch (const FormatError& e) {
      for (const std::string& part : parts)
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  }
  expect_format_error([&] { hiili::io::read_useeio_demand(model, m / "demands" / "absent.json"); },
                      {"absent.json", "no such file"});
}

TEST(UseeioHostileDemand, DemandsJsonVariants) {
  TempDir dir;
  write_small_model(dir);
  const fs::path m = dir.path() / "m";
  dir.write("m/demands.json", R"([{"year":2020}])");
  expect_format_error([&] { hiili::io::list_useeio_demands(m); }, {"demands.json", "entry 0", "id"});
  dir.write("m/demands.json", R"([{"id":"../../etc/passwd"}])");
  expect_format_error([&] { hiili::io::list_useeio_demands(m); }, {"demands.json", "not a plain file name"});
  dir.write("m/demands.json", R"([{"id":"x","year":"2020"}])");
  expect_format_error([&] { hiili::io::list_useeio_demands(m); }, {"demands.json", "year"});
  dir.write("m/demands.json", R"("x")");
  expect_format_error([&] { hiili::io::list_useeio_demands(m); }, {"demands.json", "array"});
}

TEST(UseeioHostileFolder, NotAFolder) {
  TempDir dir;
  expect_format_error([&] { hiili::io::read_useeio(dir.path() / "absent"); }, {"absent", "not a folder"});
  const fs::path file = dir.write("file.json", "[]");
  expect_format_error([&] { hiili::io::read_useeio(file); }, {"file.json"});
  fs::create_directories(dir.path() / "m" / "matrix" / "A.json");  // a folder where a file should be
  expect_format_error([&] { hiili::io::read_useeio(dir.path() / "m"); }, {"A.json"});
}

// ---- robustness: every truncation and many byte flips of every file ---------------------

TEST(UseeioRobustness, TruncationsAndByteFlipsOfEveryFile) {
  TempDir dir;
  write_small_model(dir);
  const fs::path m = dir.path() / "m";
  std::mt19937 rng(42);
  for (const char* file : {"matrix/A.json", "matrix/B.json", "matrix/C.json", "sectors.json",
                           "flows.json", "indicators.json", "demands/d1.json", "demands.json"}) {
    std::ifstream in(m / file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto variant = [&](const std::string& spoiled, const std::string& what) {
      dir.write(std::string("m/") + file, spoiled);
      try {
        const hiili::Model model = hiili::io::read_useeio(m);
        for (const auto& d : hiili::io::list_useeio_demands(m)) (void)hiili::io::read_useeio_demand(model, d.file);
      } catch (const FormatError&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << file << " " << what << ": not a FormatError: " << e.what();
      }
    };
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) variant(bytes.substr(0, cut), "cut at " + std::to_string(cut));
    for (int k = 0; k < 100; ++k) {
      std::string spoiled = bytes;
      const std::size_t at = rng() % spoiled.size();
      spoiled[at] = static_cast<char>(rng() & 0xFF);
      variant(spoiled, "byte " + std::to_string(at));
    }
    dir.write(std::string("m/") + file, bytes);
  }
}
