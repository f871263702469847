// `hiili contrib`, `hiili paths`, `hiili sensitivity` (src/cli/analyze.cpp): runs the built
// command (beside this test in the build tree: ../../src/cli/hiili) and checks its --json
// and --csv against the library, and its exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "hiili/contribution.hpp"
#include "hiili/sensitivity.hpp"
#include "hiili/synth.hpp"

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace hiili;
using cli_test::Outcome;

namespace {

class CliAnalysisTest : public cli_test::CliFixture {};

// The model the commands below name: synth:n=400,k=2,seed=3.
Lca reference_lca() {
  SynthOptions o;
  o.n = 400;
  o.k = 2;
  o.seed = 3;
  return Lca(synth(o));
}

const char* kModel = "synth:n=400,k=2,seed=3";

}  // namespace

TEST_F(CliAnalysisTest, ContribJsonMatchesTheLibrary) {
  Outcome r = run({"contrib", kModel, "-d", "#350=2", "-c", "1", "-n", "5", "--json", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["command"], "contrib");
  ASSERT_EQ(j["categories"].size(), 1u);
  const Json& c = j["categories"][0];
  Lca lca = reference_lca();
  const ScoreAnalysis a = analyze_score(lca, SparseDemand{{350, 2.0}}, 1);
  EXPECT_NEAR(c["score"].get<double>(), a.score, 1e-12 * std::abs(a.score));
  const RankedContributions p = rank_contributions(a.process_contributions(), 5);
  ASSERT_EQ(c["processes"].size(), 5u);
  double sum = c["process_rest"]["value"].get<double>();
  for (std::size_t t = 0; t < 5; ++t) {
    EXPECT_EQ(c["processes"][t]["index"].get<Index>(), p.top[t].index);
    EXPECT_NEAR(c["processes"][t]["value"].get<double>(), p.top[t].value, 1e-12);
    sum += c["processes"][t]["value"].get<double>();
  }
  EXPECT_NEAR(sum, a.score, 1e-10 * std::abs(a.score));  // top + rest = score
  EXPECT_EQ(c["flows"].size(), 5u);
  EXPECT_EQ(c["upstream"][0]["index"].get<Index>(), 350);

  r = run({"contrib", kModel, "-d", "#350=2", "--all-categories", "--json", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["categories"].size(), 2u);
  r = run({"contrib", kModel, "-d", "#350=2", "--csv", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("category,kind,rank,index,label,value,share", 0), 0u) << r.out;
  r = run({"contrib", kModel, "-d", "#350=2", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("rest ("), std::string::npos) << r.out;
}

TEST_F(CliAnalysisTest, PathsJsonMatchesTheLibrary) {
  Outcome r = run({"paths", kModel, "-d", "#390=1", "-n", "7", "--json", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = Json::parse(r.out);
  Lca lca = reference_lca();
  const ScoreAnalysis a = analyze_score(lca, SparseDemand{{390, 1.0}}, 0);
  PathOptions o;
  o.top = 7;
  const PathAnalysis p = structural_paths(lca.model(), a, o);
  ASSERT_EQ(j["paths"].size(), 7u);
  EXPECT_EQ(j["complete"].get<bool>(), p.complete);
  for (std::size_t t = 0; t < 7; ++t) {
    EXPECT_NEAR(j["paths"][t]["value"].get<double>(), p.paths[t].value, 1e-12);
    EXPECT_EQ(j["paths"][t]["activities"].get<std::vector<Index>>(), p.paths[t].activities);
    EXPECT_EQ(j["paths"][t]["labels"].size(), p.paths[t].activities.size());
  }
  r = run({"paths", kModel, "-d", "#390=1", "--csv", "-q", "--max-length", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("rank,value,share,cumulative,length,activities,path", 0), 0u);
  EXPECT_EQ(run({"paths", kModel, "-d", "#390=1", "-q"}).code, 0);
}

TEST_F(CliAnalysisTest, SensitivityJsonMatchesTheLibrary) {
  Outcome r =
      run({"sensitivity", kModel, "-d", "#10=1", "-n", "6", "--matrices", "AB", "--json", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = Json::parse(r.out);
  Lca lca = reference_lca();
  const Sensitivity s = sensitivity(lca, SparseDemand{{10, 1.0}}, 0);
  const auto top = s.top(6, true, true, false);
  ASSERT_EQ(j["entries"].size(), top.size());
  for (std::size_t t = 0; t < top.size(); ++t) {
    const Json& e = j["entries"][t];
    EXPECT_EQ(e["matrix"], top[t].matrix == MatrixKind::Technosphere ? "A" : "B");
    EXPECT_EQ(e["row"].get<Index>(), top[t].row);
    EXPECT_EQ(e["col"].get<Index>(), top[t].col);
    EXPECT_NEAR(e["derivative"].get<double>(), top[t].derivative,
                1e-12 * std::abs(top[t].derivative));
    EXPECT_NEAR(e["elasticity"].get<double>(), top[t].elasticity, 1e-12);
  }
  r = run({"sensitivity", kModel, "-d", "#10=1", "--csv", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("rank,matrix,row,col,row_label,col_label,value,derivative,elasticity", 0),
            0u);
  EXPECT_EQ(run({"sensitivity", kModel, "-d", "#10=1", "-q"}).code, 0);
}

TEST_F(CliAnalysisTest, ExitCodes) {
  for (const char* command : {"contrib", "paths", "sensitivity"}) {
    EXPECT_EQ(run({command, kModel, "-q"}).code, 2) << command;  // no demand
    EXPECT_EQ(run({command, kModel, "-d", "1=x", "-q"}).code, 2) << command;
    EXPECT_EQ(run({command, kModel, "-d", "1=1", "--json", "--csv"}).code, 2) << command;
    EXPECT_EQ(run({command, kModel, "-d", "#999=1", "-q"}).code, 3) << command;
    EXPECT_EQ(run({command, kModel, "-d", "1=1", "-c", "nope", "-q"}).code, 3) << command;
    EXPECT_EQ(run({command, kModel, "-d", "1=0", "-q"}).code, 3) << command;  // empty demand
    EXPECT_EQ(run({command, "synth:n=50,k=0", "-d", "1=1", "-q"}).code, 3) << command;
  }
  EXPECT_EQ(run({"sensitivity", kModel, "-d", "1=1", "--matrices", "AX"}).code, 2);
  EXPECT_EQ(run({"paths", kModel, "-d", "1=1", "--cutoff", "2"}).code, 2);
  EXPECT_EQ(run({"contrib", "--help"}).code, 0);
}
