// Tests of the `hiili` command: runs the built binary (its path comes from
// src/cli/CMakeLists.txt as HIILI_CLI_PATH) and checks exit codes and that its --json
// scores equal an independent computation.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Eigen/Dense>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "hiili/lca.hpp"
#include "hiili/synth.hpp"
#include "hiili/version.hpp"

namespace fs = std::filesystem;
using Json = nlohmann::json;
using hiili::cli_test::Outcome;
using hiili::cli_test::slurp;

namespace {

class CliTest : public hiili::cli_test::CliFixture {
 protected:
  fs::path write(const std::string& name, const std::string& content) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
};

// Relative difference, with an absolute floor for values near zero.
double rel(double a, double b) { return std::abs(a - b) / std::max({std::abs(b), 1e-300}); }

}  // namespace

TEST_F(CliTest, VersionExitsZero) {
  Outcome r = run({"--version"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(hiili::kVersion), std::string::npos) << r.out;
}

TEST_F(CliTest, HelpExitsZero) {
  Outcome r = run({"solve", "--help"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("--demand"), std::string::npos);
}

TEST_F(CliTest, BadUsageExitsTwo) {
  EXPECT_EQ(run({}).code, 2);                                            // no subcommand
  EXPECT_EQ(run({"frobnicate"}).code, 2);                                // unknown subcommand
  EXPECT_EQ(run({"solve", "synth:n=50"}).code, 2);                       // --demand missing
  EXPECT_EQ(run({"solve", "synth:n=50", "--demand", "3"}).code, 2);      // no amount
  EXPECT_EQ(run({"solve", "synth:n=50", "--demand", "3=abc"}).code, 2);  // not a number
  EXPECT_EQ(run({"solve", "synth:n=50", "-d", "3=1", "--solver", "lapack"}).code, 2);
  EXPECT_EQ(run({"info", "synth:n=50", "--json", "--csv"}).code, 2);
  EXPECT_EQ(run({"info", "synth:n=50", "--format", "nosuchformat"}).code, 2);
  EXPECT_EQ(run({"info", "synth:n=50,bogus=1"}).code, 2);
  Outcome missing = run({"info", (dir_ / "no_such_model").string()});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("no_such_model"), std::string::npos) << missing.err;
}

// AMOUNT as the readers read numbers (io/util.hpp): whole token, finite, decimal.
TEST_F(CliTest, DemandAmountSyntax) {
  for (const std::string bad : {"inf", "-inf", "nan", "1e400", " 2", "2 ", "0x10", "", "1,5"}) {
    Outcome r = run({"solve", "synth:n=50", "-d", "3=" + bad});
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_NE(r.err.find("is not a finite number"), std::string::npos) << bad << ": " << r.err;
  }
  const std::vector<std::pair<std::string, double>> good{
      {"2", 2.0}, {"+2", 2.0}, {".5", 0.5}, {"1e6", 1e6}, {"-3.25E-2", -0.0325}};
  for (const auto& [text, value] : good) {
    Outcome r = run({"solve", "synth:n=50", "-d", "3=" + text, "--json"});
    ASSERT_EQ(r.code, 0) << text << ": " << r.err;
    EXPECT_EQ(Json::parse(r.out)["demand"][0]["amount"].get<double>(), value) << text;
  }
}

TEST_F(CliTest, BadDataExitsThree) {
  Outcome r = run({"solve", "synth:n=50", "--demand", "no such activity=1"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("no such activity"), std::string::npos) << r.err;
  r = run({"solve", "synth:n=50", "--demand", "#50=1"});  // index out of range
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("50"), std::string::npos) << r.err;
  r = run({"solve", "synth:n=50", "-d", "#1=1", "--category", "no such category"});
  EXPECT_EQ(r.code, 3);
  r = run({"solve", "synth:n=50", "-d", "#1=0"});  // all-zero demand
  EXPECT_EQ(r.code, 3) << r.err;
  r = run({"info", "synth:n=0"});  // a synth: MODEL out of its limits is bad usage
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("n must be in [1, "), std::string::npos) << r.err;
  // A file that no reader recognises: the message names it.
  fs::path junk = write("junk.bin", std::string("\x01\x02 this is not a model\n", 24));
  r = run({"info", junk.string()});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("junk.bin"), std::string::npos) << r.err;
}

// The scores of `hiili solve --json` equal the library's Lca and a dense LU solve.
TEST_F(CliTest, SolveJsonMatchesIndependentSolve) {
  hiili::SynthOptions options;
  options.n = 300;
  options.k = 3;
  options.seed = 7;
  Outcome r = run({"solve", "synth:n=300,k=3,seed=7", "--demand", "#5=2", "--demand", "17=1.5",
                   "--demand", "5=-0.5", "--top", "1000", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  Json j = Json::parse(r.out);

  hiili::Model model = hiili::synth(options);
  Eigen::VectorXd f = Eigen::VectorXd::Zero(options.n);
  f[5] = 1.5;
  f[17] = 1.5;
  Eigen::MatrixXd A = model.A().to_dense();
  Eigen::VectorXd s = A.partialPivLu().solve(f);
  Eigen::VectorXd g = model.B().to_dense() * s;
  Eigen::VectorXd h = model.C().to_dense() * g;
  hiili::Lca lca(std::move(model));
  hiili::LcaResult lib = lca.solve(hiili::SparseDemand{{5, 1.5}, {17, 1.5}});

  ASSERT_EQ(j["model"]["activities"], options.n);
  ASSERT_EQ(j["scores"].size(), 3u);
  for (int q = 0; q < 3; ++q) {
    double cli = j["scores"][q]["score"];
    EXPECT_LT(rel(cli, h[q]), 1e-10) << "category " << q;
    EXPECT_LT(rel(cli, lib.scores[q]), 1e-12) << "category " << q;
  }
  // With every contributor listed, the direct contributions add up to the score.
  double total = j["contributions"]["score"];
  double sum_activities = 0, sum_flows = 0;
  for (const auto& a : j["contributions"]["activities"])
    sum_activities += a["contribution"].get<double>();
  for (const auto& f : j["contributions"]["flows"]) sum_flows += f["contribution"].get<double>();
  EXPECT_LT(rel(sum_activities, total), 1e-10);
  EXPECT_LT(rel(sum_flows, total), 1e-10);
  // Ranked by magnitude.
  const auto& acts = j["contributions"]["activities"];
  for (std::size_t i = 1; i < acts.size(); ++i)
    EXPECT_GE(std::abs(acts[i - 1]["contribution"].get<double>()),
              std::abs(acts[i]["contribution"].get<double>()));
}

TEST_F(CliTest, SolveOtherBackendsAgree) {
  Outcome klu = run({"solve", "synth:n=400,seed=3", "-d", "#399=1", "--json"});
  ASSERT_EQ(klu.code, 0) << klu.err;
  for (const char* solver : {"umfpack", "eigen"}) {
    Outcome other =
        run({"solve", "synth:n=400,seed=3", "-d", "#399=1", "--json", "--solver", solver});
    ASSERT_EQ(other.code, 0) << solver << ": " << other.err;
    Json a = Json::parse(klu.out), b = Json::parse(other.out);
    for (std::size_t q = 0; q < a["scores"].size(); ++q)
      EXPECT_LT(rel(b["scores"][q]["score"], a["scores"][q]["score"]), 1e-10) << solver;
  }
}

TEST_F(CliTest, SolveCsvAndText) {
  Outcome csv = run({"solve", "synth:n=200", "-d", "#10=1", "--csv", "--top", "3"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  std::istringstream lines(csv.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "part,kind,rank,index,label,value,share");
  int scores = 0, activities = 0, flows = 0;
  while (std::getline(lines, line)) {
    scores += line.rfind("solve,score,", 0) == 0;
    activities += line.rfind("solve,activity,", 0) == 0;
    flows += line.rfind("solve,flow,", 0) == 0;
  }
  EXPECT_EQ(scores, 3);
  EXPECT_EQ(activities, 3);
  EXPECT_EQ(flows, 3);

  Outcome text = run({"solve", "synth:n=200", "-d", "#10=1"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("Scores"), std::string::npos);
  EXPECT_NE(text.out.find("Top 10 activities"), std::string::npos) << text.out;
}

TEST_F(CliTest, InfoJson) {
  Outcome r = run({"info", "synth:n=500,k=4,seed=2", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  Json j = Json::parse(r.out);
  hiili::SynthOptions options;
  options.n = 500;
  options.k = 4;
  options.seed = 2;
  hiili::Model model = hiili::synth(options);
  EXPECT_EQ(j["model"]["activities"], model.num_activities());
  EXPECT_EQ(j["model"]["flows"], model.num_flows());
  EXPECT_EQ(j["model"]["nnz"]["A"], model.A().nnz());
  EXPECT_EQ(j["categories"].size(), 4u);
  EXPECT_GE(j["factorization"]["blocks"].get<long>(), 1);
  EXPECT_GE(j["factorization"]["max_block"].get<long>(), 1);
  EXPECT_GT(j["factorization"]["condition_estimate"].get<double>(), 1.0);
  EXPECT_FALSE(j.at("factorization").at("static_factor").get<bool>());  // no dense part: KLU

  Outcome csv = run({"info", "synth:n=500", "--csv"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("key,value\n", 0), 0u) << csv.out;
  EXPECT_NE(csv.out.find("\nactivities,500\n"), std::string::npos) << csv.out;
}

// A tiny Matrix Market model whose scores are checked against a dense solve by hand.
TEST_F(CliTest, SolveMatrixMarketModel) {
  fs::create_directories(dir_ / "tiny");
  write("tiny/A.mtx",
        "%%MatrixMarket matrix coordinate real general\n3 3 6\n"
        "1 1 1.0\n2 2 1.0\n3 3 2.0\n2 1 -0.5\n3 2 -0.25\n1 3 -0.1\n");
  write("tiny/B.mtx",
        "%%MatrixMarket matrix coordinate real general\n2 3 4\n"
        "1 1 3.0\n1 2 0.5\n2 2 1.0\n2 3 4.0\n");
  write("tiny/C.mtx", "%%MatrixMarket matrix coordinate real general\n1 2 2\n1 1 1.0\n1 2 25.0\n");
  Outcome r = run({"solve", (dir_ / "tiny").string(), "-d", "0=2", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  Json j = Json::parse(r.out);
  Eigen::Matrix3d A;
  A << 1.0, 0.0, -0.1, -0.5, 1.0, 0.0, 0.0, -0.25, 2.0;
  Eigen::MatrixXd B(2, 3);
  B << 3.0, 0.5, 0.0, 0.0, 1.0, 4.0;
  Eigen::RowVector2d C(1.0, 25.0);
  Eigen::Vector3d s = A.partialPivLu().solve(Eigen::Vector3d(2.0, 0.0, 0.0));
  double h = (C * (B * s))(0);
  ASSERT_EQ(j["scores"].size(), 1u);
  EXPECT_LT(rel(j["scores"][0]["score"], h), 1e-13) << r.out;
  EXPECT_EQ(j["model"]["format"], "matrix-market");

  // Structurally singular (column 2 empty) and numerically singular technospheres: exit 3,
  // naming the model.
  fs::create_directories(dir_ / "empty_col");
  write("empty_col/A.mtx",
        "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1.0\n2 1 1.0\n");
  Outcome singular = run({"solve", (dir_ / "empty_col").string(), "-d", "0=1"});
  EXPECT_EQ(singular.code, 3) << singular.out << singular.err;
  EXPECT_NE(singular.err.find("empty_col"), std::string::npos) << singular.err;
  fs::create_directories(dir_ / "rank1");
  write("rank1/A.mtx", "%%MatrixMarket matrix array real general\n2 2\n1.0\n2.0\n2.0\n4.0\n");
  Outcome rank1 = run({"info", (dir_ / "rank1").string()});
  EXPECT_EQ(rank1.code, 3) << rank1.out << rank1.err;
  // A bad entry: exit 3, naming the file.
  fs::create_directories(dir_ / "bad");
  write("bad/A.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1.0\n2 2 nan\n");
  Outcome bad = run({"info", (dir_ / "bad").string()});
  EXPECT_EQ(bad.code, 3) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("A.mtx"), std::string::npos) << bad.err;
}

// The demo: the default model's phases, and the GHG footprint of $1M of a sector from the
// shared USEEIO data equals the published oracle U = C B (I - A)^-1 (matrix/U.json).
TEST_F(CliTest, DemoJson) {
  fs::path useeio = fs::path(HIILI_SHARED_DATA) / "useeio_v2.0_ghg";
  ASSERT_TRUE(fs::exists(useeio / "matrix" / "U.json")) << "missing " << useeio;
  Outcome r = run({"demo", "--json", "--quiet", "--model", useeio.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["synth"]["activities"], 20000);
  for (const char* phase : {"synth/build", "analyse", "factorize", "solve", "activity scores"})
    EXPECT_TRUE(j["synth"]["timings"].contains(phase)) << phase;
  EXPECT_EQ(j["synth"]["contributions"]["activities"].size(), 10u);

  ASSERT_TRUE(j["useeio"].is_object()) << r.out;
  Json oracle = Json::parse(slurp(useeio / "matrix" / "U.json"));
  std::size_t sector = j["useeio"]["demand"]["index"];
  double amount = j["useeio"]["demand"]["amount"];
  EXPECT_EQ(amount, 1e6);
  ASSERT_EQ(j["useeio"]["scores"].size(), 3u);
  for (std::size_t q = 0; q < 3; ++q)
    EXPECT_LT(rel(j["useeio"]["scores"][q]["score"], oracle[q][sector].get<double>() * amount),
              1e-12)
        << "indicator " << q;
}

// USEEIO's nearly dense input-output table is factored on the static kernel (static_factor),
// and the report says so.
TEST_F(CliTest, InfoJsonSaysWhichKernelFactored) {
  const fs::path useeio = fs::path(HIILI_SHARED_DATA) / "useeio_v1.2";
  ASSERT_TRUE(fs::exists(useeio)) << "missing " << useeio;
  Outcome r = run({"info", useeio.string(), "--json", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_TRUE(j.at("factorization").at("static_factor").get<bool>()) << r.out;
}

// Every label solve prints is accepted back (hiili::resolve_label): USEEIO's sector code and
// indicator code, the printed "name [location]" and "#i" all name the same sector and
// category, and the score is the published oracle U = C B (I - A)^-1 (matrix/U.json).
TEST_F(CliTest, SolveAcceptsEveryLabelItPrints) {
  const fs::path useeio = fs::path(HIILI_SHARED_DATA) / "useeio_v1.2";
  ASSERT_TRUE(fs::exists(useeio / "matrix" / "U.json")) << "missing " << useeio;
  auto solve = [&](const std::string& demand, const std::string& category) {
    Outcome r = run({"solve", useeio.string(), "-d", demand, "-c", category, "--json", "-q"});
    EXPECT_EQ(r.code, 0) << demand << " / " << category << ": " << r.err;
    return r.code == 0 ? Json::parse(r.out) : Json();
  };
  const Json by_code = solve("221100=1e6", "GCC");
  ASSERT_TRUE(by_code.is_object());
  const std::size_t sector = by_code["demand"][0]["index"];
  const std::size_t q = by_code["contributions"]["category"]["index"];
  const std::string label = by_code["demand"][0]["label"];
  const std::string category = by_code["contributions"]["category"]["name"];
  EXPECT_EQ(label, "Electricity [US]");
  const Json oracle = Json::parse(slurp(useeio / "matrix" / "U.json"));
  const double score = by_code["contributions"]["score"];
  EXPECT_LT(rel(score, oracle[q][sector].get<double>() * 1e6), 1e-12);
  for (const auto& [demand, cat] :
       {std::pair{label + "=1e6", category}, std::pair{"#" + std::to_string(sector) + "=1e6",
                                                       "#" + std::to_string(q)}}) {
    const Json again = solve(demand, cat);
    ASSERT_TRUE(again.is_object());
    EXPECT_EQ(again["demand"][0]["index"], sector) << demand;
    EXPECT_EQ(again["contributions"]["score"].get<double>(), score) << demand;
  }
}

// A name that two rows share: the message lists both as printed, and each printed form works.
TEST_F(CliTest, AnAmbiguousLabelListsTheCandidates) {
  fs::create_directories(dir_ / "m" / "matrix");
  write("m/matrix/A.json", "[[0.1,0.2],[0,0.3]]");
  write("m/matrix/B.json", "[[1,2]]");
  write("m/matrix/C.json", "[[3]]");
  write("m/sectors.json",
        R"([{"id":"p/es","index":0,"name":"production of plastics 39","location":"ES"},)"
        R"({"id":"p/glo","index":1,"name":"production of plastics 39","location":"GLO"}])");
  const std::string model = (dir_ / "m").string();
  Outcome r = run({"solve", model, "-d", "production of plastics 39=1", "-q"});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("'production of plastics 39 [ES]' (#0)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'production of plastics 39 [GLO]' (#1)"), std::string::npos) << r.err;
  Outcome glo = run({"solve", model, "-d", "production of plastics 39 [GLO]=1", "--json", "-q"});
  ASSERT_EQ(glo.code, 0) << glo.err;
  EXPECT_EQ(Json::parse(glo.out)["demand"][0]["index"], 1);
}

// --csv quotes a label as the writers do (RFC 4180): commas and quotes, and leading or
// trailing spaces, which a reader that trims unquoted fields would lose.
TEST_F(CliTest, CsvQuotesLabelsAsTheWritersDo) {
  fs::create_directories(dir_ / "q" / "matrix");
  write("q/matrix/A.json", "[[0.1,0.2],[0,0.3]]");
  write("q/matrix/B.json", "[[1,2]]");
  write("q/matrix/C.json", "[[3]]");
  write("q/sectors.json", R"([{"id":"s0","index":0,"name":" padded name "},)"
                          R"({"id":"s1","index":1,"name":"steel, hot rolled \"HR\""}])");
  Outcome r = run({"solve", (dir_ / "q").string(), "-d", "#1=1", "--csv", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(",0,\" padded name \","), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(",1,\"steel, hot rolled \"\"HR\"\"\","), std::string::npos) << r.out;
}

TEST_F(CliTest, SynthSpecNamesTheFamily) {
  Outcome r = run({"info", "synth:n=500,seed=2,family=stress", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  Json j = Json::parse(r.out);
  hiili::SynthOptions options;
  options.n = 500;
  options.seed = 2;
  options.family = hiili::SynthFamily::Stress;
  const hiili::Model stress = hiili::synth(options);
  EXPECT_EQ(j["model"]["nnz"]["A"], stress.A().nnz());
  EXPECT_EQ(j["model"]["source"], "synth:n=500,k=3,seed=2,family=stress");
  EXPECT_EQ(run({"info", "synth:n=50,family=dense"}).code, 2);
}

// ---- warnings where a result misleads (hiili/diagnostics.hpp) -------------------------------

namespace {
const char* kTinyA =
    "%%MatrixMarket matrix coordinate real general\n3 3 6\n"
    "1 1 1.0\n2 2 1.0\n3 3 2.0\n2 1 -0.5\n3 2 -0.25\n1 3 -0.1\n";
const char* kTinyB =
    "%%MatrixMarket matrix coordinate real general\n2 3 4\n"
    "1 1 3.0\n1 2 0.5\n2 2 1.0\n2 3 4.0\n";
}  // namespace

TEST_F(CliTest, IllConditionedSystemsWarnWithTheEstimate) {
  fs::create_directories(dir_ / "near");
  write("near/A.mtx",
        "%%MatrixMarket matrix coordinate real general\n2 2 4\n"
        "1 1 1.0\n2 1 1.0\n1 2 1.0\n2 2 1.0000000000001\n");
  write("near/B.mtx", "%%MatrixMarket matrix coordinate real general\n1 2 2\n1 1 1.0\n1 2 1.0\n");
  write("near/C.mtx", "%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 1.0\n");
  Eigen::Matrix2d A;
  A << 1.0, 1.0, 1.0, 1.0000000000001;
  const double cond = A.cwiseAbs().colwise().sum().maxCoeff() *
                      A.inverse().cwiseAbs().colwise().sum().maxCoeff();  // 1-norm, exact
  ASSERT_GT(cond, 1e13);
  Outcome r = run({"solve", (dir_ / "near").string(), "-d", "0=1", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("hiili: warning: the technosphere matrix is ill-conditioned: condition "
                       "estimate "),
            std::string::npos)
      << r.err;
  Json j = Json::parse(r.out);
  EXPECT_TRUE(j["factorization"]["ill_conditioned"].get<bool>());
  EXPECT_LT(rel(j["factorization"]["condition_estimate"], cond), 0.1) << r.out;
  ASSERT_EQ(j["warnings"].size(), 1u);
  Outcome info = run({"info", (dir_ / "near").string()});
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("Warnings\n  - the technosphere matrix is ill-conditioned"),
            std::string::npos)
      << info.out;
  // A well-conditioned model: no warning.
  fs::create_directories(dir_ / "tiny");
  write("tiny/A.mtx", kTinyA);
  write("tiny/B.mtx", kTinyB);
  Outcome fine = run({"solve", (dir_ / "tiny").string(), "-d", "0=1", "--json"});
  ASSERT_EQ(fine.code, 0) << fine.err;
  EXPECT_EQ(fine.err.find("warning"), std::string::npos) << fine.err;
  EXPECT_FALSE(Json::parse(fine.out)["factorization"]["ill_conditioned"].get<bool>());
}

TEST_F(CliTest, SolveWithoutCategoriesShowsTheInventoryAndSaysWhy) {
  fs::create_directories(dir_ / "tiny");
  write("tiny/A.mtx", kTinyA);
  write("tiny/B.mtx", kTinyB);
  Eigen::Matrix3d A;
  A << 1.0, 0.0, -0.1, -0.5, 1.0, 0.0, 0.0, -0.25, 2.0;
  Eigen::MatrixXd B(2, 3);
  B << 3.0, 0.5, 0.0, 0.0, 1.0, 4.0;
  const Eigen::Vector2d g = B * A.partialPivLu().solve(Eigen::Vector3d(2.0, 0.0, 0.0));
  Outcome text = run({"solve", (dir_ / "tiny").string(), "-d", "0=2"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("No scores: the model has no impact categories"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("Top 2 of 2 flows"), std::string::npos) << text.out;
  Outcome r = run({"solve", (dir_ / "tiny").string(), "-d", "0=2", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  Json top = Json::parse(r.out)["inventory"]["top_flows"];
  ASSERT_EQ(top.size(), 2u) << r.out;
  for (const auto& row : top) {
    const int f = row["index"];
    EXPECT_LT(rel(row["amount"], g[f]), 1e-13) << r.out;
  }
  EXPECT_GE(std::abs(top[0]["amount"].get<double>()), std::abs(top[1]["amount"].get<double>()));
}

TEST_F(CliTest, MonteCarloWithoutUncertaintySaysSo) {
  fs::create_directories(dir_ / "tiny");
  write("tiny/A.mtx", kTinyA);
  write("tiny/B.mtx", kTinyB);
  write("tiny/C.mtx", "%%MatrixMarket matrix coordinate real general\n1 2 2\n1 1 1.0\n1 2 25.0\n");
  Outcome r = run({"mc", (dir_ / "tiny").string(), "-d", "0=2", "-N", "20", "--json", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("hiili: warning: no entry of the sampled matrices upstream of the demand "
                       "is uncertain"),
            std::string::npos)
      << r.err;
  Json j = Json::parse(r.out);
  ASSERT_EQ(j["warnings"].size(), 1u) << r.out;
  EXPECT_NE(j["warnings"][0].get<std::string>().find("hiili.with_uncertainty"), std::string::npos);
  EXPECT_EQ(j["sampled_entries"]["A"], 0);
  // With uncertainty: no such warning.
  Outcome u = run(
      {"mc", "synth:n=200,k=1,seed=3,uncertainty=1", "-d", "#150=1", "-N", "20", "--json", "-q"});
  ASSERT_EQ(u.code, 0) << u.err;
  EXPECT_EQ(u.err.find("uncertain"), std::string::npos) << u.err;
  EXPECT_GT(Json::parse(u.out)["sampled_entries"]["B"].get<int>(), 0);
}

TEST_F(CliTest, InfoNotesUseeioV12sClimateRow) {
  const fs::path data = fs::path(HIILI_SHARED_DATA);
  ASSERT_TRUE(fs::exists(data / "useeio_v1.2" / "flows.json")) << "missing " << data;
  Outcome r = run({"info", (data / "useeio_v1.2").string(), "--json", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  Json j = Json::parse(r.out);
  ASSERT_GE(j["warnings"].size(), 1u) << r.out;
  const std::string note = j["warnings"][0];
  for (const char* part : {"'Global Climate Change' (GCC) gives carbon dioxide", "factor of 0",
                           "Cyfluthrin", "'Hazardous Waste' (HAZW)"})
    EXPECT_NE(note.find(part), std::string::npos) << part << "\n" << note;
  Outcome text = run({"info", (data / "useeio_v1.2").string(), "-q"});
  EXPECT_NE(text.out.find("Warnings\n  - category 'Global Climate Change'"), std::string::npos)
      << text.out;
  // v2.0 characterises CO2 with 1 (its flows have no names: nothing to check, nothing said).
  Outcome v2 = run({"info", (data / "useeio_v2.0_ghg").string(), "--json", "-q"});
  ASSERT_EQ(v2.code, 0) << v2.err;
  EXPECT_TRUE(Json::parse(v2.out)["warnings"].empty()) << v2.out;
}

// hiili info shows the reader's report; --json carries it whole; --option reaches the reader.
TEST_F(CliTest, InfoShowsTheReadReportOfUslci) {
  const fs::path zip = fs::path(HIILI_SHARED_DATA) / "uslci" / "uslci_olca1_5_0_json_ld.zip";
  ASSERT_TRUE(fs::exists(zip)) << "missing " << zip;
  Outcome text = run({"info", zip.string(), "-q"});
  ASSERT_EQ(text.code, 0) << text.err;
  for (const char* part : {"Read report (openlca)", "linked_by_flow 3,725", "cut_off 2,441",
                           "unlinked 388", "- ambiguous: flow"})
    EXPECT_NE(text.out.find(part), std::string::npos) << part << "\n" << text.out;
  Outcome json = run({"info", zip.string(), "-q", "--json", "-O", "allocation=physical"});
  ASSERT_EQ(json.code, 0) << json.err;
  const Json report = Json::parse(json.out)["read_report"];
  EXPECT_EQ(report["format"], "openlca");
  EXPECT_EQ(report["counts"]["processes"], 766);
  EXPECT_EQ(report["counts"]["split_processes"], 3);  // the three steel processes
  EXPECT_EQ(report["counts"]["activities"], 772);
  Outcome bad = run({"info", zip.string(), "-q", "--option", "alocation=physical"});
  EXPECT_EQ(bad.code, 3);
  EXPECT_NE(bad.err.find("unknown reader option 'alocation'"), std::string::npos) << bad.err;
}
