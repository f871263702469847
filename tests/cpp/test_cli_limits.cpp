// `hiili` at the edges of its arguments: every usage error is one line "hiili: error: ...",
// names the argument and its allowed range, and exits 2 (docs/cli.md); sizes that cannot fit
// are refused before anything is allocated; `hiili mc --stream` prints the statistics of the
// full table within the sketch's accuracy.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "hiili/limits.hpp"

using Json = nlohmann::json;
using hiili::cli_test::Outcome;

namespace {

class CliLimits : public hiili::cli_test::CliFixture {
 protected:
  // Runs the command and expects a usage error mentioning every one of `parts`.
  void expect_usage_error(const std::vector<std::string>& args,
                          const std::vector<std::string>& parts) {
    const Outcome r = run(args);
    std::string line;
    for (const auto& a : args) line += a + " ";
    EXPECT_EQ(r.code, 2) << line << r.err;
    EXPECT_EQ(r.err.rfind("hiili: error: ", 0), 0u) << line << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << line << r.err;
    for (const auto& p : parts)
      EXPECT_NE(r.err.find(p), std::string::npos) << line << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << line << r.out;
  }
};

const char* kModel = "synth:n=300,k=2,seed=3,uncertainty=1";

TEST_F(CliLimits, SynthSizesBeyondTheBoundsAreUsageErrors) {
  expect_usage_error({"info", "synth:n=1000000000000"},
                     {"n must be in [1, 1000000000]", "got 1000000000000"});
  expect_usage_error({"info", "synth:n=1e12"}, {"n must be in [1, 1000000000]"});
  expect_usage_error({"info", "synth:n=1e30"}, {"n must be in [1, 1000000000]", "1e30"});
  expect_usage_error({"info", "synth:n=2.5"}, {"bad value '2.5' for 'n'"});
  expect_usage_error({"info", "synth:k=-1"}, {"k must be in [0, 100000]"});
  expect_usage_error({"info", "synth:n=5,m=0"}, {"m (-1: n / 8) must be in [1, "});
  // Within the bound but beyond memory: refused by the estimate, not by the allocator.
  expect_usage_error({"info", "synth:n=1000000000"},
                     {"synth: a model with n = 1000000000", "memory"});
}

TEST_F(CliLimits, CountsAndThreadsNameTheOptionAndTheRange) {
  const std::string threads = "[1, " + std::to_string(hiili::max_threads()) + "]";
  expect_usage_error({"mc", kModel, "-d", "#1=1", "--threads", "100000"},
                     {"--threads", threads, "got 100000"});
  expect_usage_error({"mc", kModel, "-d", "#1=1", "--threads", "-1"}, {"--threads", threads});
  expect_usage_error({"mc", kModel, "-d", "#1=1", "--threads", "2.5"},
                     {"--threads must be an integer"});
  expect_usage_error({"mc", kModel, "-d", "#1=1", "-N", "-5"},
                     {"--iterations must be in [0, 1099511627776]"});
  expect_usage_error({"mc", kModel, "-d", "#1=1", "-N", "99999999999999999999"}, {"--iterations"});
  expect_usage_error({"mc", kModel, "-d", "#1=1", "--seed", "-1"},
                     {"--seed must be an integer in [0, 18446744073709551615]"});
  expect_usage_error({"mc", kModel, "-d", "#1=1", "--first", "-1"}, {"--first"});
  expect_usage_error({"mc", kModel, "-d", "#1=1", "--first", "1", "-N", "1099511627776"},
                     {"--first + --iterations", "2^40"});
  expect_usage_error({"solve", kModel, "-d", "#1=1", "-n", "-5"},
                     {"--top must be in [0, 2147483647], got -5"});
  expect_usage_error({"contrib", kModel, "-d", "#1=1", "-n", "-5"},
                     {"--top must be in [0, 2147483647]"});
  expect_usage_error({"paths", kModel, "-d", "#1=1", "--max-length", "-1"}, {"--max-length"});
  expect_usage_error({"paths", kModel, "-d", "#1=1", "--max-expansions", "0"},
                     {"--max-expansions"});
  expect_usage_error({"mc", kModel, "-d", "#1=1", "--stream", "--vs", "#2=1"}, {"--stream"});
}

TEST_F(CliLimits, UnknownCommandsAndMissingOnesHaveTheOneForm) {
  expect_usage_error({"frobnicate"}, {"unknown command 'frobnicate'", "mc"});
  expect_usage_error({}, {"subcommand"});
  expect_usage_error({"info", "--no-such-option"}, {"--no-such-option"});
  // A missing demand reads as a sentence, the same for every command that needs one.
  for (const char* command : {"solve", "mc", "contrib"})
    expect_usage_error({command, kModel},
                       {std::string(command) + ": --demand or --demand-file is required"});
}

TEST_F(CliLimits, StreamedRunPrintsTheStatisticsOfTheTable) {
  const std::vector<std::string> common{"mc",     kModel,   "-d",          "#7=1",         "-N",
                                        "1500",   "--seed", "4",           "--threads",    "2",
                                        "--json", "-q",     "--quantiles", "0.05,0.5,0.95"};
  std::vector<std::string> streamed = common;
  streamed.push_back("--stream");
  const Outcome a = run(common), b = run(streamed);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  const Json ja = Json::parse(a.out), jb = Json::parse(b.out);
  EXPECT_FALSE(ja["streamed"].get<bool>());
  EXPECT_TRUE(jb["streamed"].get<bool>());
  const double accuracy = jb["quantile_relative_accuracy"].get<double>();
  EXPECT_EQ(accuracy, 0.01);
  for (std::size_t q = 0; q < ja["categories"].size(); ++q) {
    const Json& sa = ja["categories"][q]["scores"];
    const Json& sb = jb["categories"][q]["scores"];
    const double mean = sa["mean"].get<double>();
    EXPECT_NEAR(sb["mean"].get<double>(), mean, 1e-12 * std::abs(mean));
    EXPECT_NEAR(sb["std"].get<double>(), sa["std"].get<double>(), 1e-9 * sa["std"].get<double>());
    EXPECT_EQ(sb["min"].get<double>(), sa["min"].get<double>());
    EXPECT_EQ(sb["max"].get<double>(), sa["max"].get<double>());
    // The table's quantiles interpolate, the sketch's take the lower rank (within 1 %): the
    // two differ by at most the accuracy plus the gap between neighbouring order statistics,
    // which for 1500 draws of these scores stays below another 1 %.
    for (const char* level : {"0.05", "0.5", "0.95"}) {
      const double want = sa["quantiles"][level].get<double>();
      EXPECT_NEAR(sb["quantiles"][level].get<double>(), want, 2 * accuracy * std::abs(want))
          << level;
    }
  }
}

}  // namespace
