// The analysis cache (FactorizationOptions::analysis_cache): hits give the uncached answer to the
// bit, and every bad file (truncated, corrupt, foreign, or lying with a valid checksum) is a miss
// with a warning, then overwritten. The hostile files are built here from the documented layout
// (docs/analysis-cache.md), with xxHash's own XXH3-64 as the checksum.
#include <gtest/gtest.h>
#define XXH_INLINE_ALL
#include <unistd.h>
#include <xxhash.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "hiili/lca.hpp"
#include "hiili/synth.hpp"

namespace fs = std::filesystem;
using namespace hiili;

namespace {

// Offsets of the file layout: an 80-byte header, then the payload.
constexpr std::size_t kEndian = 8, kFormat = 12, kIndexSize = 16, kVersion = 24, kPayloadBytes = 64,
                      kChecksum = 72, kPayload = 80;
constexpr std::size_t kNzoff = kPayload + 16, kNblocks = kPayload + 24, kMaxblock = kPayload + 32,
                      kLnz = kPayload + 80, kP = kPayload + 96;

std::shared_ptr<const Model> model(std::uint64_t seed = 3, Index n = 1500) {
  SynthOptions o;
  o.n = n;
  o.seed = seed;
  o.labels = false;
  return std::make_shared<const Model>(synth(o));
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
}

template <class T>
T get(const std::string& bytes, std::size_t at) {
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

template <class T>
void set(std::string& bytes, std::size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
}

// The payload checksum recomputed, as a writer who means harm would.
void reseal(std::string& bytes) {
  set<std::uint64_t>(bytes, kChecksum,
                     XXH3_64bits(bytes.data() + kPayload, bytes.size() - kPayload));
}

class AnalysisCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hiili-cache-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  FactorizationOptions cached(FactorizationOptions o = {}) const {
    o.analysis_cache = (dir_ / "sub").string();  // created on the first store
    return o;
  }

  // The supply for demand e_0 + e_7 with these options, and the analysis cache report.
  static std::pair<Eigen::VectorXd, AnalysisCacheReport> run(const std::shared_ptr<const Model>& m,
                                                             const FactorizationOptions& o) {
    Lca lca(m, o);
    const LcaResult r = lca.solve(SparseDemand{{0, 1.0}, {7, 2.0}});
    return {r.supply, lca.report().cache};
  }

  static bool same_bits(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
  }

  // A file edited by `edit` is rejected with a warning containing `why`, the answer is the
  // uncached one, and the fresh analysis overwrites the file (the next run is a hit).
  void expect_rejected(const std::function<void(std::string&)>& edit, const std::string& why) {
    fs::remove_all(dir_);
    const auto m = model();
    const auto [plain, off] = run(m, {});
    const auto [first, stored] = run(m, cached());
    ASSERT_EQ(stored.outcome, CacheOutcome::Stored) << stored.warning;
    std::string bytes = slurp(stored.path);
    edit(bytes);
    spit(stored.path, bytes);
    const auto [again, rejected] = run(m, cached());
    EXPECT_EQ(rejected.outcome, CacheOutcome::Stored);
    EXPECT_NE(rejected.warning.find(why), std::string::npos) << rejected.warning;
    EXPECT_NE(rejected.warning.find(stored.path), std::string::npos) << rejected.warning;
    EXPECT_TRUE(same_bits(again, plain));
    const auto [third, hit] = run(m, cached());
    EXPECT_EQ(hit.outcome, CacheOutcome::Hit) << hit.warning;
    EXPECT_TRUE(same_bits(third, plain));
  }

  fs::path dir_;
};

TEST_F(AnalysisCache, OffByDefault) {
  const auto [x, report] = run(model(), {});
  EXPECT_EQ(report.outcome, CacheOutcome::Off);
  EXPECT_TRUE(report.path.empty());
}

TEST_F(AnalysisCache, StoresThenHitsWithTheSameBits) {
  const auto m = model();
  const auto [plain, off] = run(m, {});
  const auto [first, stored] = run(m, cached());
  EXPECT_EQ(stored.outcome, CacheOutcome::Stored) << stored.warning;
  EXPECT_TRUE(stored.warning.empty());
  EXPECT_TRUE(fs::is_regular_file(stored.path));
  const auto [second, hit] = run(m, cached());
  EXPECT_EQ(hit.outcome, CacheOutcome::Hit) << hit.warning;
  EXPECT_TRUE(hit.warning.empty());
  EXPECT_EQ(hit.path, stored.path);
  EXPECT_TRUE(same_bits(first, plain));
  EXPECT_TRUE(same_bits(second, plain));
  // And the answer is right: A s = f to a small backward error.
  Eigen::VectorXd f = Eigen::VectorXd::Zero(m->num_activities());
  f[0] = 1.0, f[7] = 2.0;
  const Eigen::VectorXd As =
      m->A().multiply(std::span<const double>(second.data(), std::size_t(second.size())));
  EXPECT_LT((As - f).lpNorm<Eigen::Infinity>(), 1e-10 * (1.0 + second.lpNorm<Eigen::Infinity>()));
}

TEST_F(AnalysisCache, HitKeepsTheBlockSplitAndReportsLoadTime) {
  const auto m = model();
  Lca first(m, cached());
  Lca second(m, cached());
  EXPECT_EQ(second.report().cache.outcome, CacheOutcome::Hit);
  EXPECT_EQ(second.report().blocks, first.report().blocks);
  EXPECT_EQ(second.report().max_block, first.report().max_block);
  EXPECT_NE(second.report().brief().find("cache=hit"), std::string::npos);
}

TEST_F(AnalysisCache, PatternChangeIsAMiss) {
  const auto [a, stored] = run(model(3), cached());
  const auto [b, other] = run(model(4), cached());
  EXPECT_EQ(stored.outcome, CacheOutcome::Stored);
  EXPECT_EQ(other.outcome, CacheOutcome::Stored) << other.warning;
  EXPECT_TRUE(other.warning.empty());
  EXPECT_NE(other.path, stored.path);
}

TEST_F(AnalysisCache, OptionChangeIsAMiss) {
  const auto m = model();
  FactorizationOptions no_btf, colamd, dense, metis, chosen;
  no_btf.btf = false;
  colamd.ordering = Ordering::Colamd;
  dense.amd_dense = 5.0;
  metis.ordering = Ordering::Metis;
  chosen.ordering = Ordering::Auto;
  std::set<std::string> paths;
  for (const auto& o : {FactorizationOptions{}, no_btf, colamd, dense, metis, chosen}) {
    const auto [plain, off] = run(m, o);
    const auto [x, stored] = run(m, cached(o));
    EXPECT_EQ(stored.outcome, CacheOutcome::Stored) << stored.warning;
    paths.insert(stored.path);
    const auto [y, hit] = run(m, cached(o));
    EXPECT_EQ(hit.outcome, CacheOutcome::Hit) << hit.warning;
    EXPECT_TRUE(same_bits(y, plain));
  }
  EXPECT_EQ(paths.size(), 6u);
  // Options that do not change the analysis share its file.
  FactorizationOptions tolerant;
  tolerant.residual_tolerance = 1e-6;
  const auto [z, hit] = run(m, cached(tolerant));
  EXPECT_EQ(hit.outcome, CacheOutcome::Hit);
}

TEST_F(AnalysisCache, TruncatedFile) {
  expect_rejected([](std::string& b) { b.resize(b.size() / 2); }, "truncated");
  expect_rejected([](std::string& b) { b.resize(20); }, "truncated");
}

TEST_F(AnalysisCache, FlippedByte) {
  expect_rejected([](std::string& b) { b[b.size() - 3] ^= 0x10; }, "checksum");
  expect_rejected([](std::string& b) { b[kP + 5] ^= 0x01; }, "checksum");
}

TEST_F(AnalysisCache, NotAnAnalysisFile) {
  expect_rejected([](std::string& b) { b.assign(500, 'x'); }, "not a hiili analysis file");
}

TEST_F(AnalysisCache, NonPermutationWithValidChecksum) {
  expect_rejected(
      [](std::string& b) {
        set<Index>(b, kP, get<Index>(b, kP + sizeof(Index)));  // P[0] = P[1]
        reseal(b);
      },
      "P is not a permutation");
  expect_rejected(
      [](std::string& b) {
        set<Index>(b, kP, -5);
        reseal(b);
      },
      "P is not a permutation");
}

TEST_F(AnalysisCache, WrongBlockSplitWithValidChecksum) {
  // Move the last row/column of a block of two or more into the block after it (maxblock and
  // the fill estimates kept consistent): in a strongly connected block that row has an entry
  // in a column of the block, which is now below the diagonal blocks.
  expect_rejected(
      [](std::string& b) {
        const Index n = get<Index>(b, kPayload), nblocks = get<Index>(b, kNblocks);
        const std::size_t r = kP + 2 * n * sizeof(Index);
        auto R = [&](Index k) { return get<Index>(b, r + k * sizeof(Index)); };
        Index k = 0;
        while (k + 1 < nblocks && R(k + 1) - R(k) < 2) ++k;
        ASSERT_LT(k + 1, nblocks) << "no block of two or more before the last";
        set<Index>(b, r + (k + 1) * sizeof(Index), R(k + 1) - 1);
        // Fill estimates that fit the new sizes, so that only the triangular form is wrong.
        const std::size_t lnz = r + (nblocks + 1) * sizeof(Index);
        set<double>(b, lnz + k * sizeof(double), double(R(k + 1) - R(k)));
        set<double>(b, lnz + (k + 1) * sizeof(double), double(R(k + 2) - R(k + 1)));
        Index largest = 0;
        for (Index q = 0; q < nblocks; ++q) largest = std::max(largest, R(q + 1) - R(q));
        set<Index>(b, kMaxblock, largest);
        reseal(b);
      },
      "not block upper triangular");
  expect_rejected(
      [](std::string& b) {
        set<Index>(b, kNzoff, get<Index>(b, kNzoff) + 1);
        reseal(b);
      },
      "nzoff");
  expect_rejected(
      [](std::string& b) {
        set<Index>(b, kMaxblock, get<Index>(b, kMaxblock) + 1);
        reseal(b);
      },
      "maxblock");
  expect_rejected(
      [](std::string& b) {
        set<double>(b, kLnz, 1e300);
        reseal(b);
      },
      "impossible fill");
  expect_rejected(
      [](std::string& b) {
        set<Index>(b, kNblocks, get<Index>(b, kNblocks) - 1);
        reseal(b);
      },
      "sizes do not match");
}

TEST_F(AnalysisCache, FileFromAnotherMachine) {
  expect_rejected([](std::string& b) { set<std::uint32_t>(b, kEndian, 0x04030201); }, "byte order");
  expect_rejected([](std::string& b) { set<std::uint32_t>(b, kIndexSize, 4); }, "4-byte indices");
  expect_rejected([](std::string& b) { set<std::uint32_t>(b, kFormat, 999); }, "format version");
  expect_rejected([](std::string& b) { std::memcpy(b.data() + kVersion, "0.0.1\0", 6); },
                  "written by hiili 0.0.1");
  expect_rejected([](std::string& b) { set<std::uint64_t>(b, kPayloadBytes, 8); },
                  "truncated or padded");
}

TEST_F(AnalysisCache, ConcurrentWritersOfOneKey) {
  const auto m = model(5, 3000);
  const auto [plain, off] = run(m, {});
  std::vector<std::pair<Eigen::VectorXd, AnalysisCacheReport>> got(4);
  std::vector<std::thread> threads;
  for (auto& slot : got) threads.emplace_back([&, this] { slot = run(m, cached()); });
  for (auto& t : threads) t.join();
  for (const auto& [x, report] : got) {
    EXPECT_NE(report.outcome, CacheOutcome::Miss) << report.warning;
    EXPECT_TRUE(same_bits(x, plain));
  }
  const auto [y, hit] = run(m, cached());
  EXPECT_EQ(hit.outcome, CacheOutcome::Hit) << hit.warning;
  // No temporary file is left behind.
  for (const auto& entry : fs::directory_iterator(dir_ / "sub"))
    EXPECT_EQ(entry.path().string(), hit.path);
}

TEST_F(AnalysisCache, UnwritableDirectoryIsAWarning) {
  fs::create_directories(dir_);
  spit((dir_ / "file").string(), "not a directory");
  FactorizationOptions o;
  o.analysis_cache = (dir_ / "file" / "cache").string();
  const auto m = model();
  const auto [plain, off] = run(m, {});
  const auto [x, report] = run(m, o);
  EXPECT_EQ(report.outcome, CacheOutcome::Miss);
  EXPECT_NE(report.warning.find("not written"), std::string::npos) << report.warning;
  EXPECT_TRUE(same_bits(x, plain));
}

TEST_F(AnalysisCache, OtherBackendsAreNotCached) {
  FactorizationOptions o = cached();
  o.backend = Backend::Umfpack;
  const auto [x, report] = run(model(), o);
  EXPECT_EQ(report.outcome, CacheOutcome::Off);
  EXPECT_FALSE(fs::exists(dir_ / "sub"));
}

}  // namespace
