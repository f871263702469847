// `hiili ... --cache DIR`: the second run loads the analysis and prints the same scores; a
// corrupt cache file or a DIR that cannot be written is one "hiili: warning:" line on stderr
// and the run succeeds with the same output (docs/cli.md, docs/analysis-cache.md).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_runner.hpp"

using hiili::cli_test::Outcome;
namespace fs = std::filesystem;

namespace {

class CliCache : public hiili::cli_test::CliFixture {
 protected:
  std::vector<std::string> solve(const std::string& cache) const {
    return {"solve", "synth:n=1500,seed=3", "-d", "0=1", "--json", "-q", "--cache", cache};
  }
  std::vector<fs::path> files(const fs::path& dir) const {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path());
    return out;
  }
};

TEST_F(CliCache, SecondRunHitsWithTheSameOutput) {
  const Outcome plain = run({"solve", "synth:n=1500,seed=3", "-d", "0=1", "--json", "-q"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  const std::string cache = (dir_ / "cache").string();
  const Outcome first = run(solve(cache));
  ASSERT_EQ(first.code, 0) << first.err;
  ASSERT_EQ(files(cache).size(), 1u);
  const Outcome second = run(solve(cache));
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_TRUE(second.err.empty()) << second.err;
  // The timings differ between runs; the scores must not, to the last digit printed.
  const auto want = nlohmann::json::parse(plain.out)["scores"];
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(nlohmann::json::parse(first.out)["scores"], want);
  EXPECT_EQ(nlohmann::json::parse(second.out)["scores"], want);
}

TEST_F(CliCache, CorruptFileIsAWarning) {
  const std::string cache = (dir_ / "cache").string();
  ASSERT_EQ(run(solve(cache)).code, 0);
  const fs::path file = files(cache).at(0);
  std::string bytes = hiili::cli_test::slurp(file);
  bytes[bytes.size() / 2] ^= 0x20;
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  const Outcome r = run(solve(cache));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.rfind("hiili: warning: analysis cache ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("checksum"), std::string::npos) << r.err;
  const Outcome again = run(solve(cache));  // the fresh analysis replaced the file
  EXPECT_TRUE(again.err.empty()) << again.err;
}

TEST_F(CliCache, UnwritableDirectoryIsAWarning) {
  std::ofstream(dir_ / "file") << "a file, not a folder";
  const Outcome r = run(solve((dir_ / "file" / "cache").string()));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("hiili: warning: analysis cache not written"), std::string::npos) << r.err;
}

}  // namespace
