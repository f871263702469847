// Tests of hiili/io/write.hpp: results as CSV tables and JSON, with labels, on a small model
// with known numbers and on a published USEEIO model.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "hiili/error.hpp"
#include "hiili/io/useeio.hpp"
#include "hiili/io/write.hpp"
#include "hiili/lca.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using hiili::test_util::TempDir;
using json = nlohmann::json;

namespace {


std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Two activities, two flows, one category; labels with characters CSV must quote.
hiili::Model small_model(bool labels = true) {
  hiili::ModelBuilder b(2, 2, 1);
  b.add_technosphere(0, 0, 1.0);
  b.add_technosphere(1, 1, 1.0);
  b.add_technosphere(1, 0, 0.5, /*flip=*/true);
  b.add_biosphere(0, 0, 2.0);
  b.add_biosphere(1, 1, 4.0);
  b.add_characterization(0, 0, 1.0);
  b.add_characterization(0, 1, 25.0);
  if (labels) {
    hiili::Labels act(2);
    act.set_column("id", {"a1", "a2"});
    act.set_column("name", {"Steel, \"hot\" rolled", "Power\nmix"});
    b.set_activities(act);
    hiili::Labels fl(2);
    fl.set_column("id", {"co2", "ch4"});
    fl.set_column("unit", {"kg", "kg"});
    b.set_flows(fl);
    hiili::Labels cat(1);
    cat.set_column("id", {"gwp"});
    cat.set_column("unit", {"kg CO2 eq"});
    b.set_categories(cat);
  }
  return b.build();
}

}  // namespace

TEST(WriteCsv, TableWithQuotedLabels) {
  const hiili::Model model = small_model();
  hiili::Lca lca(model);
  const hiili::LcaResult r = lca.solve(hiili::SparseDemand{{0, 1.0}});  // s = (1, 0.5)
  std::ostringstream out;
  hiili::io::write_csv_table(out, model.activities(), r.supply);
  EXPECT_EQ(out.str(),
            "index,id,name,value\n"
            "0,a1,\"Steel, \"\"hot\"\" rolled\",1\n"
            "1,a2,\"Power\nmix\",0.5\n");
  std::ostringstream scores;
  hiili::io::write_csv_table(scores, model.categories(), r.scores);
  EXPECT_EQ(scores.str(), "index,id,unit,value\n0,gwp,kg CO2 eq,52\n");  // 2 + 25 * 2
}

TEST(WriteCsv, SkipZerosNonFiniteAndNoLabels) {
  Eigen::VectorXd v(4);
  v << 0.0, 0.1, std::numeric_limits<double>::quiet_NaN(), -1e-300;
  std::ostringstream out;
  hiili::io::WriteOptions options;
  options.skip_zeros = true;
  hiili::io::write_csv_table(out, hiili::Labels{}, v, options);
  EXPECT_EQ(out.str(), "index,value\n1,0.1\n2,\n3,-1e-300\n");
  hiili::Labels wrong(3);
  wrong.set_column("id", {"a", "b", "c"});
  std::ostringstream ignored;
  EXPECT_THROW(hiili::io::write_csv_table(ignored, wrong, v), hiili::InvalidInputError);
}

TEST(WriteCsv, ResultFolder) {
  const hiili::Model model = small_model();
  hiili::Lca lca(model);
  const hiili::LcaResult r = lca.solve(hiili::SparseDemand{{1, 2.0}});
  TempDir dir;
  hiili::io::write_result_csv(dir.path() / "out", model, r);
  EXPECT_EQ(slurp(dir.path() / "out" / "inventory.csv"), "index,id,unit,value\n0,co2,kg,0\n1,ch4,kg,8\n");
  EXPECT_EQ(slurp(dir.path() / "out" / "scores.csv"), "index,id,unit,value\n0,gwp,kg CO2 eq,200\n");
  EXPECT_TRUE(fs::exists(dir.path() / "out" / "supply.csv"));
}

TEST(WriteJson, Document) {
  const hiili::Model model = small_model();
  hiili::Lca lca(model);
  const hiili::LcaResult r = lca.solve(hiili::SparseDemand{{0, 1.0}});
  const json doc = json::parse(hiili::io::result_json(model, r));
  ASSERT_EQ(doc["supply"].size(), 2u);
  EXPECT_EQ(doc["supply"][1]["index"], 1);
  EXPECT_EQ(doc["supply"][1]["id"], "a2");
  EXPECT_EQ(doc["supply"][1]["name"], "Power\nmix");
  EXPECT_EQ(doc["supply"][1]["value"].get<double>(), 0.5);
  EXPECT_EQ(doc["inventory"][0]["unit"], "kg");
  EXPECT_EQ(doc["inventory"][1]["value"].get<double>(), 2.0);
  EXPECT_EQ(doc["scores"][0]["value"].get<double>(), 52.0);

  TempDir dir;
  hiili::io::write_result_json(dir.path() / "r.json", model, r);
  EXPECT_EQ(json::parse(slurp(dir.path() / "r.json")), doc);
  std::ostringstream out;
  hiili::io::write_result_json(out, model, r);
  EXPECT_EQ(json::parse(out.str()), doc);
}

TEST(WriteJson, NoLabelsSkipZerosAndBadUtf8) {
  const hiili::Model bare = small_model(/*labels=*/false);
  hiili::Lca lca(bare);
  hiili::LcaResult r = lca.solve(hiili::SparseDemand{{1, 1.0}});  // s = (0, 1)
  hiili::io::WriteOptions options;
  options.skip_zeros = true;
  const json doc = json::parse(hiili::io::result_json(bare, r, options));
  ASSERT_EQ(doc["supply"].size(), 1u);
  EXPECT_EQ(doc["supply"][0], (json{{"index", 1}, {"value", 1.0}}));
  r.scores[0] = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(json::parse(hiili::io::result_json(bare, r))["scores"][0]["value"].is_null());

  // A label that is not UTF-8 is replaced in JSON, never thrown on.
  hiili::ModelBuilder b(1, 0, 0);
  b.add_technosphere(0, 0, 1.0);
  hiili::Labels act(1);
  act.set_column("name", {"bad \xC3\x28 byte"});
  b.set_activities(act);
  const hiili::Model odd = b.build();
  hiili::Lca odd_lca(odd);
  const std::string text = hiili::io::result_json(odd, odd_lca.solve(hiili::SparseDemand{{0, 1.0}}));
  const json parsed = json::parse(text);
  EXPECT_TRUE(parsed["supply"][0]["name"].is_string());
}

TEST(WriteErrors, MismatchedResultAndUnwritablePath) {
  const hiili::Model model = small_model();
  hiili::LcaResult wrong;
  wrong.supply = Eigen::VectorXd::Zero(3);
  wrong.inventory = Eigen::VectorXd::Zero(2);
  wrong.scores = Eigen::VectorXd::Zero(1);
  EXPECT_THROW((void)hiili::io::result_json(model, wrong), hiili::InvalidInputError);
  TempDir dir;
  EXPECT_THROW(hiili::io::write_result_csv(dir.path(), model, wrong), hiili::InvalidInputError);

  hiili::Lca lca(model);
  const hiili::LcaResult r = lca.solve(hiili::SparseDemand{{0, 1.0}});
  std::ofstream(dir.path() / "file") << "x";
  EXPECT_THROW(hiili::io::write_result_json(dir.path() / "file" / "r.json", model, r), hiili::Error);
  EXPECT_THROW(hiili::io::write_result_csv(dir.path() / "file" / "sub", model, r), hiili::Error);
}

TEST(WritePublished, UseeioScoresRoundTripThroughJson) {
  const fs::path dir = fs::path(HIILI_SHARED_DATA) / "useeio_v2.0_ghg";
  ASSERT_TRUE(fs::exists(dir)) << "missing " << dir;
  const hiili::Model model = hiili::io::read_useeio(dir);
  hiili::Lca lca(model);
  const auto demands = hiili::io::list_useeio_demands(dir);
  const hiili::LcaResult r = lca.solve(hiili::io::read_useeio_demand(model, demands.at(0).file));
  const json doc = json::parse(hiili::io::result_json(model, r));
  ASSERT_EQ(doc["scores"].size(), 3u);
  for (int q = 0; q < 3; ++q) {
    EXPECT_EQ(doc["scores"][q]["value"].get<double>(), r.scores[q]);  // exact: shortest round trip
    EXPECT_EQ(doc["scores"][q]["code"], model.categories().column("code")[q]);
  }
  EXPECT_EQ(doc["supply"].size(), 405u);
  EXPECT_EQ(doc["supply"][0]["location"], "US");
}
