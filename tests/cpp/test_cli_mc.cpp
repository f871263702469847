// `hiili mc` (src/cli/mc.cpp): runs the built command (../../src/cli/hiili from this test in
// the build tree) and checks its --json, --csv and --scores output against the library run with
// the same seed, its exit codes, and that Ctrl-C (SIGINT) stops it within a second with the
// statistics of the completed iterations.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.hpp"
#include "hiili/monte_carlo.hpp"
#include "hiili/synth.hpp"

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace hiili;
using cli_test::command_path;
using cli_test::Outcome;
using cli_test::slurp;

namespace {

const char* kModel = "synth:n=500,k=2,seed=3,uncertainty=1";

std::shared_ptr<const Model> reference_model() {
  SynthOptions o;
  o.n = 500;
  o.k = 2;
  o.seed = 3;
  o.uncertainty = true;
  return std::make_shared<const Model>(synth(o));
}


class CliMcTest : public cli_test::CliFixture {};

}  // namespace

TEST_F(CliMcTest, JsonMatchesTheLibrary) {
  Outcome r = run({"mc", kModel, "-d", "#499=2", "-N", "300", "--seed", "7", "-t", "2", "--json",
                   "-q", "--quantiles", "0.05,0.5,0.95"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["command"], "mc");
  EXPECT_EQ(j["completed"], 300);
  EXPECT_EQ(j["interrupted"], false);
  EXPECT_TRUE(j["failed"].empty());
  ASSERT_EQ(j["categories"].size(), 2u);

  MonteCarloOptions o;
  o.seed = 7;
  MonteCarlo mc(reference_model(), SparseDemand{{499, 2.0}}, o);
  const MonteCarloResult want = mc.run(300);
  const ScoreSummary s = summarize_scores(want.scores[0], {0.05, 0.5, 0.95});
  for (Index q = 0; q < 2; ++q) {
    const Json& c = j["categories"][q];
    EXPECT_EQ(c["index"], q);
    EXPECT_EQ(c["deterministic"].get<double>(), mc.deterministic_scores()(q, 0));
    EXPECT_EQ(c["scores"]["mean"].get<double>(), s.mean[q]);  // same seed: the same numbers
    EXPECT_EQ(c["scores"]["std"].get<double>(), s.std[q]);
    EXPECT_EQ(c["scores"]["quantiles"]["0.5"].get<double>(), s.quantiles(q, 1));
    EXPECT_EQ(c["scores"]["quantiles"]["0.95"].get<double>(), s.quantiles(q, 2));
  }
}

TEST_F(CliMcTest, AlternativeOnCommonRandomNumbers) {
  Outcome r = run({"mc", kModel, "-d", "#499=1", "--vs", "#499=2", "-N", "100", "--json", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = Json::parse(r.out);
  for (const Json& c : j["categories"]) {
    EXPECT_EQ(c["probability_less"].get<double>(), 1.0);  // twice the demand, same draws
    EXPECT_EQ(c["difference"]["mean"].get<double>(), c["scores"]["mean"].get<double>());
  }
  r = run({"mc", kModel, "-d", "#499=1", "--vs", "#480=1", "-N", "50", "--csv", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("demand,category,deterministic,mean,std,min,q0.025,q0.5,q0.975,max,"
                        "iterations,p_less",
                        0),
            0u)
      << r.out;
  EXPECT_NE(r.out.find("alternative - demand,"), std::string::npos);
  r = run({"mc", kModel, "-d", "#499=1", "--vs", "#480=1", "-N", "50", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("P(demand < alternative)"), std::string::npos) << r.out;
}

TEST_F(CliMcTest, ScoresFileHoldsEveryIterationAndSplitsJoin) {
  const std::string file = (dir_ / "scores.csv").string();
  Outcome r = run({"mc", kModel, "-d", "#499=1", "-N", "40", "--first", "10", "--scores", file, "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("iteration,demand,", 0), 0u) << line;
  MonteCarlo mc(reference_model(), SparseDemand{{499, 1.0}});
  const MonteCarloResult want = mc.run(40, 10);
  int rows = 0;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    std::getline(ss, cell, ',');
    EXPECT_EQ(std::stoll(cell), 10 + rows);
    std::getline(ss, cell, ',');
    for (Index q = 0; q < 2; ++q) {
      std::getline(ss, cell, ',');
      EXPECT_EQ(std::stod(cell), want.scores[0](rows, q));  // 17 digits: the same double
    }
    ++rows;
  }
  EXPECT_EQ(rows, 40);
}

TEST_F(CliMcTest, ExitCodes) {
  EXPECT_EQ(run({"mc", kModel, "-N", "10", "-q"}).code, 2);  // no demand
  EXPECT_EQ(run({"mc", kModel, "-d", "#499=1", "-N", "-3", "-q"}).code, 2);
  EXPECT_EQ(run({"mc", kModel, "-d", "#100000=1", "-N", "10", "-q"}).code, 3);
  EXPECT_EQ(run({"mc", "synth:n=50,uncertainty=2", "-d", "#1=1", "-q"}).code, 2);
  Outcome ok = run({"mc", "-d", "#19999=1", "-N", "3", "--json", "-q"});  // the default model
  ASSERT_EQ(ok.code, 0) << ok.err;
  const Json j = Json::parse(ok.out);
  EXPECT_EQ(j["model"]["source"], "synth:n=20000,k=3,seed=1,uncertainty=1");
  EXPECT_EQ(j["completed"], 3);
}

// True once process `pid` catches SIGINT (its SigCgt mask in /proc has bit SIGINT - 1).
bool catches_sigint(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("SigCgt:", 0) == 0)
      return (std::stoull(line.substr(7), nullptr, 16) >> (SIGINT - 1)) & 1u;
  return false;
}

TEST_F(CliMcTest, CtrlCStopsTheRunAndPrintsWhatIsDone) {
  const std::string out = (dir_ / "out").string(), err = (dir_ / "err").string();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::freopen(out.c_str(), "w", stdout);
    std::freopen(err.c_str(), "w", stderr);
    ::execl(command_path().c_str(), "hiili", "mc", "synth:n=3000,seed=2,uncertainty=1", "-d",
            "#2999=1", "-N", "1000000", "--json", "-q", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until the command has installed its handler (it does so just before the engine's
  // setup), however long building the model takes; a million iterations take minutes, so the
  // run is still going when the signal comes.
  int status = 0;
  bool exited = false;
  while (!catches_sigint(pid)) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(exited) << "the command ended before it caught SIGINT: " << slurp(err);
  ::kill(pid, SIGINT);
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << slurp(err);
  EXPECT_EQ(WEXITSTATUS(status), 130) << slurp(err);
  const Json j = Json::parse(slurp(out));
  EXPECT_EQ(j["interrupted"], true);
  EXPECT_LT(j["completed"].get<long long>(), 1000000);
}
