// Internal: the KLU symbolic analysis on disk (FactorizationOptions::analysis_cache).
//
// A file holds a header (magic, format version, hiili version, sizeof(Index), an endianness
// marker, KLU's version, the key) and a payload (KLU's symbolic scalars, P, Q, R, Lnz) with an
// XXH3-64 checksum. The key is XXH3-128 over the format version, the pattern (n, col_ptr,
// row_idx) and the options that change the analysis. Loading checks everything KLU relies on
// (permutations, the block split, the block upper triangular form of A(P,Q) and its count of
// off-diagonal entries), so a file that passes the checksum but lies is still refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hiili/solver.hpp"

namespace hiili::detail {

// The content of a klu_l_symbolic, in plain containers.
struct KluAnalysisData {
  double symmetry = 0.0, est_flops = 0.0, lnz = 0.0, unz = 0.0;
  Index n = 0, nz = 0, nzoff = 0, nblocks = 0, maxblock = 0, ordering = 0, do_btf = 0,
        structural_rank = 0;
  std::vector<Index> P, Q, R;  // n, n, nblocks + 1
  std::vector<double> Lnz;     // nblocks
};

inline constexpr std::uint32_t kCacheFormatVersion = 1;

// The file name (in the cache directory) for this pattern and these options.
std::string analysis_cache_file(const CscMatrix& pattern, const FactorizationOptions& options);

// The analysis stored for `pattern` and `options` in their cache directory, or nothing: no
// file (report.warning stays empty) or a rejected one (report.warning says why).
std::optional<KluAnalysisData> load_analysis(const CscMatrix& pattern,
                                             const FactorizationOptions& options,
                                             AnalysisCacheReport& report);

// Writes `data` to report.path through a temporary file and a rename. Sets report.outcome to
// Stored, or to Miss with a warning when the directory or file cannot be written.
void store_analysis(const CscMatrix& pattern, const FactorizationOptions& options,
                    const KluAnalysisData& data, AnalysisCacheReport& report);

// Empty when `data` is a valid analysis of `pattern` with `options`, else what is wrong.
std::string check_analysis(const KluAnalysisData& data, const CscMatrix& pattern,
                           const FactorizationOptions& options);

// The bytes of a cache file for `data` (for tests and the fuzz target, which build hostile
// files with a valid checksum), and the parse of such bytes (nothing + reason on failure).
std::string encode_analysis(const CscMatrix& pattern, const FactorizationOptions& options,
                            const KluAnalysisData& data);
std::optional<KluAnalysisData> decode_analysis(const std::string& bytes, const CscMatrix& pattern,
                                               const FactorizationOptions& options,
                                               std::string& reason);

}  // namespace hiili::detail
