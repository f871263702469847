// hiili/limits.hpp: the argument bounds and the memory checks, with the messages they give
// (each names the argument and the allowed range), and their use by synth and the solver.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <string>
#include <thread>

#include "hiili/contribution.hpp"
#include "hiili/error.hpp"
#include "hiili/limits.hpp"
#include "hiili/monte_carlo.hpp"
#include "hiili/scenario.hpp"
#include "hiili/solver.hpp"
#include "hiili/synth.hpp"
#include "test_util.hpp"

namespace hiili {
namespace {

using test_util::invalid_input_message;


bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Sets HIILI_MEMORY_LIMIT for one scope.
class MemoryLimit {
 public:
  explicit MemoryLimit(const char* value) { setenv("HIILI_MEMORY_LIMIT", value, 1); }
  ~MemoryLimit() { unsetenv("HIILI_MEMORY_LIMIT"); }
};

TEST(Limits, ThreadCountsAreZeroOrUpToTheDocumentedMaximum) {
  const unsigned hw = std::thread::hardware_concurrency();
  EXPECT_EQ(max_threads(), std::max(256, 8 * int(hw)));
  EXPECT_NO_THROW(check_threads(0));
  EXPECT_NO_THROW(check_threads(1));
  EXPECT_NO_THROW(check_threads(max_threads()));
  const std::string range = "0 (all cores) or in [1, " + std::to_string(max_threads()) + "]";
  for (long long bad : {-1LL, static_cast<long long>(max_threads()) + 1, 100000LL, -(1LL << 62)}) {
    const std::string what = invalid_input_message([&] { check_threads(bad, "--threads"); });
    EXPECT_TRUE(contains(what, "--threads must be " + range)) << what;
    EXPECT_TRUE(contains(what, "got " + std::to_string(bad))) << what;
  }
}

TEST(Limits, RangesNameTheArgument) {
  EXPECT_NO_THROW(check_range(5, 0, 5, "top"));
  EXPECT_EQ(invalid_input_message([] { check_range(-5, 0, 10, "top"); }),
            "top must be in [0, 10], got -5");
}

TEST(Limits, MemoryLimitComesFromTheMachineOrTheEnvironment) {
  const std::uint64_t machine = memory_limit_bytes();
  EXPECT_GT(machine, std::uint64_t(64) << 20);  // at least 64 MiB: a real number was read
  {
    MemoryLimit limit("3G");
    EXPECT_EQ(memory_limit_bytes(), std::uint64_t(3) << 30);
    EXPECT_NO_THROW(check_memory(2.9 * 0x1p30, "x"));
    const std::string what =
        invalid_input_message([] { check_memory(4.0 * 0x1p30, "a table", "stream it"); });
    EXPECT_EQ(what,
              "a table needs about 4 GiB, more than the 3 GiB of memory available; stream it");
  }
  {
    MemoryLimit limit("512k");
    EXPECT_EQ(memory_limit_bytes(), std::uint64_t(512) << 10);
  }
  for (const char* bad : {"lots", "-1G", "5X", "1e300"}) {
    MemoryLimit limit(bad);
    EXPECT_TRUE(contains(invalid_input_message([] { memory_limit_bytes(); }), "HIILI_MEMORY_LIMIT"))
        << bad;
  }
  EXPECT_EQ(memory_limit_bytes(), machine);
}

TEST(Limits, SynthRefusesSizesBeyondItsBoundsBeforeAllocating) {
  SynthOptions o;
  o.n = 1'000'000'000'000;
  std::string what = invalid_input_message([&] { synth(o); });
  EXPECT_EQ(what, "synth: n must be in [1, 1000000000], got 1000000000000");
  o.n = 0;
  EXPECT_TRUE(contains(invalid_input_message([&] { synth(o); }), "n must be in [1, "));
  o = {};
  o.k = -1;
  EXPECT_TRUE(contains(invalid_input_message([&] { synth(o); }), "k must be in [0, 100000]"));
  o = {};
  o.m = 0;
  EXPECT_TRUE(contains(invalid_input_message([&] { synth(o); }), "m (-1: n / 8) must be in [1, "));
  o = {};
  o.core_fraction = std::nan("");
  EXPECT_TRUE(
      contains(invalid_input_message([&] { synth(o); }), "core_fraction must be in [0, 1]"));
  o = {};
  o.mean_inputs = 1e9;
  EXPECT_TRUE(
      contains(invalid_input_message([&] { synth(o); }), "mean_inputs must be in [0, 400]"));
  o = {};
  o.mean_flows = -1;
  EXPECT_TRUE(contains(invalid_input_message([&] { synth(o); }), "mean_flows"));
}

TEST(Limits, SynthRefusesAModelThatCannotFitInMemory) {
  // n = 10^9 with 400 inputs a column: about 30 TiB, more than any machine this runs on.
  SynthOptions o;
  o.n = 1'000'000'000;
  o.mean_inputs = 400;
  std::string what = invalid_input_message([&] { synth(o); });
  EXPECT_TRUE(contains(what, "synth: a model with n = 1000000000 activities needs about")) << what;
  EXPECT_TRUE(contains(what, "TiB")) << what;
  // The estimate against an explicit limit: a small model fits, and stops fitting below it.
  o = {};
  o.n = 2000;
  const double need = synth_memory_estimate(o);
  EXPECT_GT(need, 2000 * 30 * 16.0);  // at least the nonzeros' indices and values
  MemoryLimit limit("100k");
  EXPECT_TRUE(contains(invalid_input_message([&] { synth(o); }), "n = 2000"));
}

TEST(Limits, FactorisationWhosePredictedFillCannotFitIsRefused) {
  SynthOptions so;
  so.n = 2000;
  const Model model = synth(so);
  FactorizationOptions fo;  // KLU
  EXPECT_NO_THROW(SymbolicAnalysis::create(model.A(), fo));
  MemoryLimit limit("64k");
  const std::string what = invalid_input_message([&] { SymbolicAnalysis::create(model.A(), fo); });
  EXPECT_TRUE(contains(what, "factorising the 2000 x 2000 technosphere (KLU predicts")) << what;
  EXPECT_TRUE(contains(what, "more than the 64 KiB of memory available")) << what;
}

// Every Options struct checks itself (validate(), called where the options are used); the
// defaults pass and a value out of range names the option.
TEST(Limits, OptionsValidateThemselves) {
  FactorizationOptions f;
  MonteCarloOptions mc;
  TreeOptions tree;
  PathOptions paths;
  WhatIfOptions what_if;
  SynthOptions synth;
  EXPECT_NO_THROW(f.validate());
  EXPECT_NO_THROW(mc.validate());
  EXPECT_NO_THROW(tree.validate());
  EXPECT_NO_THROW(paths.validate());
  EXPECT_NO_THROW(what_if.validate());
  EXPECT_NO_THROW(synth.validate());
  f.singular_rcond = std::nan("");
  EXPECT_NE(invalid_input_message([&] { f.validate(); }).find("singular_rcond"), std::string::npos);
  mc.chunk = -1;
  EXPECT_NE(invalid_input_message([&] { mc.validate(); }).find("chunk"), std::string::npos);
  tree.cutoff = 1.5;
  EXPECT_NE(invalid_input_message([&] { tree.validate(); }).find("cutoff"), std::string::npos);
  paths.top = 0;
  EXPECT_NE(invalid_input_message([&] { paths.validate(); }).find("top"), std::string::npos);
  what_if.max_rank = -1;
  EXPECT_NE(invalid_input_message([&] { what_if.validate(); }).find("max_rank"),
            std::string::npos);
  synth.n = 0;
  EXPECT_NE(invalid_input_message([&] { synth.validate(); }).find("synth: n"), std::string::npos);
}

}  // namespace
}  // namespace hiili
