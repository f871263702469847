#include "solver/analysis_cache.hpp"

#include <klu.h>
#define XXH_INLINE_ALL
#include <unistd.h>
#include <xxhash.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "hiili/version.hpp"
#include "solver/ordering.hpp"

namespace hiili::detail {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'H', 'I', 'I', 'L', 'I', 'K', 'L', 'U'};
constexpr std::uint32_t kEndianMarker = 0x01020304;
constexpr std::uint32_t kKluVersion =
    KLU_MAIN_VERSION * 10000 + KLU_SUB_VERSION * 100 + KLU_SUBSUB_VERSION;
constexpr std::size_t kVersionBytes = 24;
constexpr std::size_t kHeaderBytes = 80;
constexpr std::size_t kScalarBytes = 8 * sizeof(Index) + 4 * sizeof(double);

// The header as it is on disk (native byte order; the marker tells a foreign one).
struct Header {
  char magic[8];
  std::uint32_t endian, format, index_size, klu_version;
  char hiili_version[kVersionBytes];
  std::uint64_t key_lo, key_hi, payload_bytes, checksum;
};
static_assert(sizeof(Header) == kHeaderBytes);

XXH128_hash_t cache_key(const CscMatrix& pattern, const FactorizationOptions& options) {
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  const auto add = [&](const void* data, std::size_t bytes) {
    XXH3_128bits_update(&state, data, bytes);
  };
  const std::uint32_t format = kCacheFormatVersion;
  const std::int32_t backend = int(options.backend), ordering = int(options.ordering),
                     btf = options.btf ? 1 : 0;
  add(&format, sizeof format);
  add(&backend, sizeof backend);
  add(&ordering, sizeof ordering);
  add(&btf, sizeof btf);
  add(&options.amd_dense, sizeof options.amd_dense);
  if (options.amd_dense == kAmdDenseAuto) add(&kAmdDenseRuleRevision, sizeof kAmdDenseRuleRevision);
  add(&pattern.rows, sizeof pattern.rows);
  add(pattern.col_ptr.data(), pattern.col_ptr.size() * sizeof(Index));
  add(pattern.row_idx.data(), pattern.row_idx.size() * sizeof(Index));
  return XXH3_128bits_digest(&state);
}

Header make_header(const CscMatrix& pattern, const FactorizationOptions& options) {
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.endian = kEndianMarker;
  h.format = kCacheFormatVersion;
  h.index_size = sizeof(Index);
  h.klu_version = kKluVersion;
  std::strncpy(h.hiili_version, kVersion, kVersionBytes - 1);
  const XXH128_hash_t key = cache_key(pattern, options);
  h.key_lo = key.low64;
  h.key_hi = key.high64;
  return h;
}

std::size_t payload_bytes(Index n, Index nblocks) {
  return kScalarBytes + sizeof(Index) * std::size_t(2 * n + nblocks + 1) +
         sizeof(double) * std::size_t(nblocks);
}

// Why a header (of a file of `size` bytes) is not ours for this key; empty when it is.
std::string check_header(const Header& h, const Header& want, std::size_t size) {
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) return "not a hiili analysis file";
  if (h.endian != kEndianMarker) return "written on a machine of the other byte order";
  if (h.index_size != sizeof(Index))
    return "written with " + std::to_string(h.index_size) + "-byte indices, not " +
           std::to_string(sizeof(Index));
  if (h.format != kCacheFormatVersion)
    return "format version " + std::to_string(h.format) + ", not " +
           std::to_string(kCacheFormatVersion);
  if (std::strncmp(h.hiili_version, want.hiili_version, kVersionBytes) != 0)
    return "written by hiili " +
           std::string(h.hiili_version, strnlen(h.hiili_version, kVersionBytes)) + ", this is " +
           kVersion;
  if (h.klu_version != kKluVersion)
    return "written with KLU " + std::to_string(h.klu_version) + ", this is " +
           std::to_string(kKluVersion);
  if (h.key_lo != want.key_lo || h.key_hi != want.key_hi) return "its key is not this pattern's";
  if (h.payload_bytes != size - kHeaderBytes) return "truncated or padded";
  return {};
}

template <class T>
void put(std::string& out, const T* data, std::size_t count) {
  out.append(reinterpret_cast<const char*>(data), count * sizeof(T));
}

template <class T>
void take(const char*& in, T* data, std::size_t count) {
  std::memcpy(data, in, count * sizeof(T));
  in += count * sizeof(T);
}

std::string hex(std::uint64_t hi, std::uint64_t lo) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  return buf;
}

// Empty when p is a permutation of 0..n-1.
std::string check_permutation(const std::vector<Index>& p, Index n, const char* name) {
  std::vector<char> seen(n, 0);
  for (Index k = 0; k < n; ++k) {
    if (p[k] < 0 || p[k] >= n || seen[p[k]])
      return std::string(name) + " is not a permutation (entry " + std::to_string(k) + ")";
    seen[p[k]] = 1;
  }
  return {};
}

// Empty when R splits 0..n into nblocks increasing blocks of which the largest is maxblock,
// and every Lnz estimate (L's nonzeros with the diagonal) lies within the block's lower
// triangle; COLAMD leaves it unknown (-1).
std::string check_blocks(const KluAnalysisData& d) {
  if (d.R[0] != 0 || d.R[d.nblocks] != d.n) return "the block split does not run from 0 to n";
  Index largest = 0;
  for (Index k = 0; k < d.nblocks; ++k) {
    const Index size = d.R[k + 1] - d.R[k];
    if (size < 1) return "block " + std::to_string(k) + " is empty or reversed";
    largest = std::max(largest, size);
    const double most = 0.5 * double(size) * double(size + 1);
    const bool unknown = d.Lnz[k] == -1.0 && d.ordering == 1;
    if (!(unknown || (d.Lnz[k] >= double(size) && d.Lnz[k] <= most)))
      return "block " + std::to_string(k) + " has an impossible fill estimate";
  }
  if (largest != d.maxblock) return "maxblock does not match the block split";
  return {};
}

// Empty when A(P, Q) is block upper triangular for R with exactly nzoff entries above the
// diagonal blocks (what klu_factor assumes: it copies those into an array of that size).
std::string check_triangular(const KluAnalysisData& d, const CscMatrix& pattern) {
  std::vector<Index> block(d.n), pinv(d.n);
  for (Index k = 0; k < d.nblocks; ++k)
    for (Index i = d.R[k]; i < d.R[k + 1]; ++i) block[i] = k;
  for (Index i = 0; i < d.n; ++i) pinv[d.P[i]] = i;
  Index off = 0;
  for (Index jj = 0; jj < d.n; ++jj) {
    const Index j = d.Q[jj];
    for (Index p = pattern.col_ptr[j]; p < pattern.col_ptr[j + 1]; ++p) {
      const Index row_block = block[pinv[pattern.row_idx[p]]];
      if (row_block > block[jj])
        return "A(P, Q) is not block upper triangular (column " + std::to_string(j) + ")";
      off += row_block < block[jj];
    }
  }
  if (off != d.nzoff) return "nzoff does not match the off-diagonal blocks";
  return {};
}

std::string read_file(const fs::path& path, bool& exists) {
  std::ifstream in(path, std::ios::binary);
  exists = bool(in);
  if (!in) return {};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

std::string analysis_cache_file(const CscMatrix& pattern, const FactorizationOptions& options) {
  const XXH128_hash_t key = cache_key(pattern, options);
  return "klu-" + hex(key.high64, key.low64) + ".analysis";
}

std::string check_analysis(const KluAnalysisData& d, const CscMatrix& pattern,
                           const FactorizationOptions& options) {
  if (d.n != pattern.rows) return "n does not match the pattern";
  if (d.nz != pattern.nnz()) return "nz does not match the pattern";
  if (d.nblocks < 1 || d.nblocks > d.n) return "the number of blocks is impossible";
  if (d.P.size() != std::size_t(d.n) || d.Q.size() != std::size_t(d.n) ||
      d.R.size() != std::size_t(d.nblocks + 1) || d.Lnz.size() != std::size_t(d.nblocks))
    return "array sizes do not match n and nblocks";
  if (d.do_btf != (options.btf ? 1 : 0)) return "the BTF flag does not match the options";
  if (d.structural_rank != (options.btf ? d.n : -1)) return "the structural rank is not n";
  if (!options.btf && d.nblocks != 1) return "blocks without BTF";
  if (d.ordering != (options.ordering == Ordering::Colamd ? 1 : 3))
    return "the ordering does not match the options";
  if (!(std::isfinite(d.symmetry) && std::isfinite(d.est_flops) && std::isfinite(d.lnz) &&
        std::isfinite(d.unz) && d.lnz >= -1.0 && d.unz >= -1.0 &&
        d.lnz <= 0.5 * double(d.n) * double(d.n + 1) &&
        d.unz <= 0.5 * double(d.n) * double(d.n + 1)))
    return "impossible fill estimates";
  if (d.nzoff < 0 || d.nzoff > d.nz) return "impossible nzoff";
  for (const auto& message :
       {check_permutation(d.P, d.n, "P"), check_permutation(d.Q, d.n, "Q"), check_blocks(d)})
    if (!message.empty()) return message;
  return check_triangular(d, pattern);
}

std::string encode_analysis(const CscMatrix& pattern, const FactorizationOptions& options,
                            const KluAnalysisData& d) {
  std::string payload;
  const Index scalars[8] = {d.n,        d.nz,       d.nzoff,  d.nblocks,
                            d.maxblock, d.ordering, d.do_btf, d.structural_rank};
  const double estimates[4] = {d.symmetry, d.est_flops, d.lnz, d.unz};
  put(payload, scalars, 8);
  put(payload, estimates, 4);
  put(payload, d.P.data(), d.P.size());
  put(payload, d.Q.data(), d.Q.size());
  put(payload, d.R.data(), d.R.size());
  put(payload, d.Lnz.data(), d.Lnz.size());
  Header h = make_header(pattern, options);
  h.payload_bytes = payload.size();
  h.checksum = XXH3_64bits(payload.data(), payload.size());
  std::string out(reinterpret_cast<const char*>(&h), sizeof h);
  return out + payload;
}

std::optional<KluAnalysisData> decode_analysis(const std::string& bytes, const CscMatrix& pattern,
                                               const FactorizationOptions& options,
                                               std::string& reason) {
  if (bytes.size() < kHeaderBytes + kScalarBytes) {
    reason = "truncated (" + std::to_string(bytes.size()) + " bytes)";
    return std::nullopt;
  }
  Header h;
  std::memcpy(&h, bytes.data(), sizeof h);
  reason = check_header(h, make_header(pattern, options), bytes.size());
  if (!reason.empty()) return std::nullopt;
  const char* in = bytes.data() + kHeaderBytes;
  if (XXH3_64bits(in, h.payload_bytes) != h.checksum) {
    reason = "checksum mismatch (corrupt)";
    return std::nullopt;
  }
  KluAnalysisData d;
  Index scalars[8];
  double estimates[4];
  take(in, scalars, 8);
  take(in, estimates, 4);
  d.n = scalars[0], d.nz = scalars[1], d.nzoff = scalars[2], d.nblocks = scalars[3];
  d.maxblock = scalars[4], d.ordering = scalars[5], d.do_btf = scalars[6];
  d.structural_rank = scalars[7];
  d.symmetry = estimates[0], d.est_flops = estimates[1], d.lnz = estimates[2];
  d.unz = estimates[3];
  if (d.n != pattern.rows || d.nblocks < 1 || d.nblocks > d.n ||
      h.payload_bytes != payload_bytes(d.n, d.nblocks)) {
    reason = "sizes do not match the pattern";
    return std::nullopt;
  }
  d.P.resize(d.n), d.Q.resize(d.n), d.R.resize(d.nblocks + 1), d.Lnz.resize(d.nblocks);
  take(in, d.P.data(), d.P.size());
  take(in, d.Q.data(), d.Q.size());
  take(in, d.R.data(), d.R.size());
  take(in, d.Lnz.data(), d.Lnz.size());
  reason = check_analysis(d, pattern, options);
  if (!reason.empty()) return std::nullopt;
  return d;
}

std::optional<KluAnalysisData> load_analysis(const CscMatrix& pattern,
                                             const FactorizationOptions& options,
                                             AnalysisCacheReport& report) {
  report.path = (fs::path(options.analysis_cache) / analysis_cache_file(pattern, options)).string();
  bool exists = false;
  std::string bytes;
  try {
    bytes = read_file(report.path, exists);
  } catch (const std::exception& e) {
    report.warning = "analysis cache " + report.path + " unreadable: " + e.what();
    return std::nullopt;
  }
  if (!exists) return std::nullopt;
  std::string reason;
  auto data = decode_analysis(bytes, pattern, options, reason);
  if (!data) report.warning = "analysis cache " + report.path + " rejected: " + reason;
  return data;
}

void store_analysis(const CscMatrix& pattern, const FactorizationOptions& options,
                    const KluAnalysisData& data, AnalysisCacheReport& report) {
  const fs::path path = report.path;
  std::random_device random;
  // A name of its own per writer: concurrent writers of one key each rename a whole file.
  std::string name = path.filename().string();
  name += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(random());
  const fs::path temp = path.parent_path() / name;
  const auto fail = [&](const std::string& why) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    if (!report.warning.empty()) report.warning += "; ";
    report.warning += "analysis cache not written to " + path.parent_path().string() + ": " + why;
    report.outcome = CacheOutcome::Miss;
  };
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  if (error) return fail(error.message());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return fail("cannot create " + temp.filename().string());
    const std::string bytes = encode_analysis(pattern, options, data);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    out.close();
    if (!out) return fail("cannot write " + temp.filename().string());
  }
  fs::rename(temp, path, error);  // atomic: readers see the old file or the new, never a torn one
  if (error) return fail(error.message());
  report.outcome = CacheOutcome::Stored;
}

}  // namespace hiili::detail
