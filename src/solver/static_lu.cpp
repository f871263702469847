#include "solver/static_lu.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>

#include "core/lanes.hpp"
#include "hiili/error.hpp"

// The AVX2 + FMA kernel variants need GCC/Clang on x86; elsewhere only the portable ones exist.
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define HIILI_X86_FMA 1
#else
#define HIILI_X86_FMA 0
#endif

namespace hiili::detail {
namespace {

// A pivot below this fraction of the largest entry of its (scaled) column of A, or of the
// dense Schur complement, is taken as zero: the elimination cancelled all its digits.
constexpr double kTinyPivot = 1e-14;
// KLU's threshold pivoting (tol 0.001) keeps the reference's multipliers at or below 1e3;
// far beyond that the old pivot order has gone bad for these values.
constexpr double kMaxMultiplier = 1e8;
// Pivot growth max|U| / max|A| per block beyond this: refactor afresh with pivoting.
constexpr double kMaxGrowth = 1e8;
// A trailing square of a block's L + U pattern at least this full goes dense ...
constexpr double kDenseFill = 0.9;
// ... when it has at least this many columns (below that the sparse kernel is as fast).
constexpr Index kMinDense = 32;
// Largest dense tail kept (h^2 doubles: 128 MB at 4,000).
constexpr Index kMaxDense = 4000;
// Parallel refactor (multiply-adds, about 1 ns each): a block's sparse part goes parallel from
// kParallelBlock; a level below kParallelLevel is one chunk (one thread), a larger one is cut
// into kChunksPerLevel chunks of at least kChunkWork.
constexpr double kParallelBlock = 2e5;
constexpr double kParallelLevel = 2e4;
constexpr double kChunkWork = 4e3;
constexpr double kChunksPerLevel = 16.0;
// Relaxed panels: at most this many columns, at most this share of a panel's L storage
// explicit zeros.
constexpr Index kMaxPanel = 32;
constexpr double kPanelPadding = 0.2;
// Tests: every block parallel, one column per chunk (force_fine_chunks).
std::atomic<bool> g_fine_chunks{false};
// Tests: no panels (force_no_panels).
std::atomic<bool> g_no_panels{false};

[[noreturn]] void bad_structure(const std::string& what) {
  throw InvalidInputError("static LU: the reference factorisation does not fit the pattern: " +
                          what);
}

void check_permutation(const std::vector<Index>& p, Index n, const char* name) {
  if (static_cast<Index>(p.size()) != n) bad_structure(std::string(name) + " has the wrong size");
  std::vector<char> seen(n, 0);
  for (Index v : p) {
    if (v < 0 || v >= n || seen[v]) bad_structure(std::string(name) + " is not a permutation");
    seen[v] = 1;
  }
}

}  // namespace

StaticLu::StaticLu(const CscMatrix& pattern, const StaticStructure& s)
    : StaticLu(pattern, s, s.Rs) {}

StaticLu::StaticLu(const CscMatrix& pattern, const StaticStructure& s,
                   const std::vector<double>& Rs)
    : pattern_(pattern), n_(s.n), P_(s.P), Q_(s.Q) {
  if (pattern.rows != n_ || pattern.cols != n_) bad_structure("n differs");
  if (n_ > std::numeric_limits<std::int32_t>::max()) bad_structure("n above 2^31");
  check_permutation(P_, n_, "P");
  check_permutation(Q_, n_, "Q");
  if (s.R.size() < 2 || s.R.front() != 0 || s.R.back() != n_) bad_structure("block bounds");
  for (std::size_t b = 0; b + 1 < s.R.size(); ++b)
    if (s.R[b] >= s.R[b + 1]) bad_structure("empty block " + std::to_string(b));
  if (static_cast<Index>(s.Lp.size()) != n_ + 1 || static_cast<Index>(s.Up.size()) != n_ + 1)
    bad_structure("L or U pointers have the wrong size");
  build_blocks(s);
  build_plan(s, Rs);
  for (Block& blk : blocks_)
    if (blk.size > 1) build_schedule(blk);
}

void StaticLu::build_blocks(const StaticStructure& s) {
  block_of_.resize(n_);
  Index max_size = 0;
  for (std::size_t b = 0; b + 1 < s.R.size(); ++b) {
    Block blk;
    blk.r0 = s.R[b];
    blk.size = s.R[b + 1] - s.R[b];
    std::fill(block_of_.begin() + blk.r0, block_of_.begin() + blk.r0 + blk.size, Index(b));
    max_size = std::max(max_size, blk.size);
    blocks_.push_back(std::move(blk));
  }
  for (Block& blk : blocks_) {
    blk.c0 = choose_dense_tail(s, blk.r0, blk.size);
    const Index h = blk.size - blk.c0;
    if (h > 0) {
      blk.S.assign(h * h, 0.0);
      blk.ipiv.assign(h, 0);
      dense_columns_ += h;
    }
  }
  max_block_ = max_size;
  ws_.resize(1);
  ws_[0].x.assign(max_size, 0.0);
  ws_[0].acc.assign(max_size, 0.0);
  work_.assign(n_, 0.0);
}

// The largest h whose trailing h x h square of the block's L + U pattern is at least
// kDenseFill full: the market hubs that AMD orders last.
Index choose_dense_tail(const StaticStructure& s, Index r0, Index size) {
  if (size < kMinDense) return size;
  // count[m]: pattern entries (i, j) of the block with min(i, j) = m (local).
  std::vector<Index> count(size, 1);  // the diagonal
  for (Index k = 0; k < size; ++k) {
    const Index col = r0 + k;
    for (Index p = s.Lp[col]; p < s.Lp[col + 1]; ++p)
      if (s.Li[p] > col) ++count[k];
    for (Index p = s.Up[col]; p < s.Up[col + 1]; ++p)
      if (s.Ui[p] < col && s.Ui[p] >= r0) ++count[s.Ui[p] - r0];
  }
  Index best = 0;
  Index inside = 0;
  const Index limit = std::min(size, kMaxDense);
  for (Index h = 1; h <= limit; ++h) {
    inside += count[size - h];
    if (double(inside) >= kDenseFill * double(h) * double(h)) best = h;
  }
  return best >= kMinDense ? size - best : size;
}

// Column k's level: one more than the highest level of the columns j of its U pattern (the
// columns it reads); its work: the multiply-adds of its updates and its own entries. Levels
// are then cut into chunks of about equal work.
void StaticLu::build_schedule(Block& b) const {
  const Index* lp = lp_.data() + b.r0;
  std::vector<Index> lev(b.size, 0), start(1, 0);
  std::vector<double> w(b.size, 0.0);
  for (Index k = 0; k < b.size; ++k) {
    const Index kg = b.r0 + k;
    Index l = 0;
    double wk = double(ap_[kg + 1] - ap_[kg]) + double(lp[k + 1] - lp[k]);
    if (k >= b.c0) wk += double(b.size - b.c0);
    for (Index t = up_[kg]; t < up_[kg + 1]; ++t) {
      const Index j = ui_[t];
      l = std::max(l, lev[j] + 1);
      wk += 1.0 + double(lp[j + 1] - lp[j]);
    }
    lev[k] = l;
    w[k] = wk;
    b.work += wk;
    if (Index(start.size()) < l + 2) start.resize(l + 2, 0);
    ++start[l + 1];
  }
  for (std::size_t l = 1; l < start.size(); ++l) start[l] += start[l - 1];
  b.order.assign(b.size, 0);
  std::vector<Index> next(start.begin(), start.end() - 1);
  for (Index k = 0; k < b.size; ++k) b.order[next[lev[k]]++] = k;
  b.chunk.assign(1, 0);
  b.level.assign(1, 0);
  for (std::size_t l = 0; l + 1 < start.size(); ++l) {
    double level_work = 0.0;
    for (Index q = start[l]; q < start[l + 1]; ++q) level_work += w[b.order[q]];
    const double target = g_fine_chunks.load(std::memory_order_relaxed) ? 0.0
                          : level_work < kParallelLevel
                              ? level_work + 1.0
                              : std::max(kChunkWork, level_work / kChunksPerLevel);
    double acc = 0.0;
    for (Index q = start[l]; q < start[l + 1]; ++q) {
      acc += w[b.order[q]];
      if (acc >= target && q + 1 < start[l + 1]) {
        b.chunk.push_back(q + 1);
        acc = 0.0;
      }
    }
    b.chunk.push_back(start[l + 1]);
    b.level.push_back(Index(b.chunk.size()) - 1);
  }
}

// Relaxed panels (supernodes with explicit zeros, as SuperLU relaxes them): consecutive
// leading columns of a block whose L patterns nearly nest are stored alike. Column j of panel
// [s, e) holds the rows j + 1 ... e - 1, then R, the panel's rows at or below e (the union of
// its columns' rows there), zeros where its own pattern has none, while the zeros stay within
// kPanelPadding of the panel's storage. A column's updates from several columns of one panel
// then run on contiguous arrays (R's part into a dense accumulator, scattered once) instead
// of one scattered update per entry. pend_[j]: the local end e of j's panel.
void StaticLu::build_panels() {
  std::vector<Index> lp(n_ + 1, 0);
  std::vector<std::int32_t> li, rows, merged;
  li.reserve(li_.size() + li_.size() / 4);
  pend_.assign(n_, 0);
  for (const Block& blk : blocks_) {
    const Index lead_end = blk.r0 + blk.c0;
    Index k = blk.r0;
    while (k < blk.r0 + blk.size) {
      rows.assign(li_.begin() + lp_[k], li_.begin() + lp_[k + 1]);
      double actual = double(rows.size());
      Index e = k + 1;
      const bool panels = !g_no_panels.load(std::memory_order_relaxed) && k < lead_end;
      while (panels && e < lead_end && e - k < kMaxPanel) {
        merged.clear();
        std::set_union(rows.begin(), rows.end(), li_.begin() + lp_[e], li_.begin() + lp_[e + 1],
                       std::back_inserter(merged));
        const std::int32_t last = static_cast<std::int32_t>(e - blk.r0);
        const double below =
            double(merged.end() - std::upper_bound(merged.begin(), merged.end(), last));
        const double width = double(e - k + 1);
        const double store = width * below + width * (width - 1.0) / 2.0;
        const double now = actual + double(lp_[e + 1] - lp_[e]);
        if (store - now > kPanelPadding * store) break;
        rows.swap(merged);
        actual = now;
        ++e;
      }
      const std::int32_t last = static_cast<std::int32_t>(e - 1 - blk.r0);
      const auto r_begin = std::upper_bound(rows.begin(), rows.end(), last);
      for (Index j = k; j < e; ++j) {
        pend_[j] = last + 1;
        if (e - k == 1) {
          li.insert(li.end(), li_.begin() + lp_[j], li_.begin() + lp_[j + 1]);
        } else {
          for (std::int32_t r = static_cast<std::int32_t>(j - blk.r0) + 1; r <= last; ++r)
            li.push_back(r);
          li.insert(li.end(), r_begin, rows.end());
        }
        lp[j + 1] = static_cast<Index>(li.size());
      }
      k = e;
    }
  }
  lp_.swap(lp);
  li_.swap(li);
}

void StaticLu::build_plan(const StaticStructure& s, const std::vector<double>& Rs) {
  std::vector<Index> pinv(n_);
  for (Index i = 0; i < n_; ++i) pinv[P_[i]] = i;
  rscale_.assign(n_, 1.0);
  if (!Rs.empty()) {
    if (static_cast<Index>(Rs.size()) != n_) bad_structure("row scale has the wrong size");
    for (Index i = 0; i < n_; ++i) {
      if (!(Rs[i] > 0.0)) bad_structure("row scale factor not positive");
      rscale_[i] = 1.0 / Rs[i];
    }
  }
  // A's entries by permuted column: inside the diagonal block or above it (F).
  ap_.assign(n_ + 1, 0);
  fp_.assign(n_ + 1, 0);
  const std::size_t nnz = pattern_.row_idx.size();
  asrc_.reserve(nnz);
  arow_.reserve(nnz);
  ascale_.reserve(nnz);
  for (Index k = 0; k < n_; ++k) {
    const Index j = Q_[k];
    const Block& blk = blocks_[block_of_[k]];
    for (Index p = pattern_.col_ptr[j]; p < pattern_.col_ptr[j + 1]; ++p) {
      const Index i = pinv[pattern_.row_idx[p]];
      if (i >= blk.r0 + blk.size) bad_structure("an entry below the block diagonal");
      if (i >= blk.r0) {
        asrc_.push_back(p);
        arow_.push_back(static_cast<std::int32_t>(i - blk.r0));
        ascale_.push_back(rscale_[i]);
      } else {
        fsrc_.push_back(p);
        frow_.push_back(i);
        fscale_.push_back(rscale_[i]);
      }
    }
    ap_[k + 1] = static_cast<Index>(asrc_.size());
    fp_[k + 1] = static_cast<Index>(fsrc_.size());
  }
  fx_.assign(fsrc_.size(), 0.0);
  // L below and U above the diagonal, local rows; a dense tail keeps only U rows above it.
  lp_.assign(n_ + 1, 0);
  up_.assign(n_ + 1, 0);
  li_.reserve(s.Li.size());
  ui_.reserve(s.Ui.size());
  for (Index k = 0; k < n_; ++k) {
    const Block& blk = blocks_[block_of_[k]];
    const Index local = k - blk.r0;
    const bool dense = local >= blk.c0;
    const std::size_t u0 = ui_.size();
    for (Index p = s.Up[k]; p < s.Up[k + 1]; ++p) {
      const Index i = s.Ui[p];
      if (i > k || i < blk.r0) bad_structure("U entry outside its block");
      if (i < k && (!dense || i - blk.r0 < blk.c0))
        ui_.push_back(static_cast<std::int32_t>(i - blk.r0));
    }
    // Increasing rows: a valid order for the left-looking updates (L is lower triangular),
    // and measured faster than KLU's own (topological) order: neighbouring rows of x.
    std::sort(ui_.begin() + u0, ui_.end());
    up_[k + 1] = static_cast<Index>(ui_.size());
    const std::size_t l0 = li_.size();
    for (Index p = s.Lp[k]; p < s.Lp[k + 1]; ++p) {
      const Index i = s.Li[p];
      if (i < k || i >= blk.r0 + blk.size) bad_structure("L entry outside its block");
      if (i > k && !dense) li_.push_back(static_cast<std::int32_t>(i - blk.r0));
    }
    std::sort(li_.begin() + l0, li_.end());
    lp_[k + 1] = static_cast<Index>(li_.size());
  }
  const std::size_t l_entries = li_.size();
  build_panels();
  lx_.assign(li_.size(), 0.0);
  ux_.assign(ui_.size(), 0.0);
  ud_.assign(n_, 0.0);
  nnz_factors_ = static_cast<Index>(l_entries + ui_.size() + fsrc_.size()) + n_;
  for (const Block& blk : blocks_) {
    const Index h = blk.size - blk.c0;
    nnz_factors_ += h * h - h;
  }
}

bool StaticLu::refactor(const double* values, int threads) {
  const int here = oneapi::tbb::this_task_arena::max_concurrency();
  if (threads == 1 || here < 2) return refactor_on(values, 1);
  if (threads == 0 || threads >= here) {
    bool ok = false;
    // Isolated: a thread waiting for the kernel's chunks takes no unrelated task of the
    // caller's arena (a Monte Carlo worker would otherwise start another iteration on its
    // own Factorization, in the middle of this refactor).
    oneapi::tbb::this_task_arena::isolate([&] { ok = refactor_on(values, here); });
    return ok;
  }
  if (!arena_ || arena_->max_concurrency() != threads)
    arena_ = std::make_unique<oneapi::tbb::task_arena>(threads);
  bool ok = false;
  arena_->execute([&] { ok = refactor_on(values, threads); });
  return ok;
}

namespace {
// min |d| / max |d| (0 when all are zero), four lanes at a time: a minimum and a maximum are
// exact in any order.
double pivot_ratio(const double* d, Index n) {
  double lo[4], hi[4];
  for (int l = 0; l < 4; ++l) {
    lo[l] = std::numeric_limits<double>::infinity();
    hi[l] = 0.0;
  }
  Index i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) {
      const double a = std::abs(d[i + l]);
      lo[l] = a < lo[l] ? a : lo[l];
      hi[l] = a > hi[l] ? a : hi[l];
    }
  for (; i < n; ++i) {
    lo[0] = std::min(lo[0], std::abs(d[i]));
    hi[0] = std::max(hi[0], std::abs(d[i]));
  }
  const double low = std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3]));
  const double high = std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3]));
  return high > 0.0 ? low / high : 0.0;
}
}  // namespace

bool StaticLu::refactor_on(const double* values, int threads) {
  for (std::size_t t = 0; t < fsrc_.size(); ++t) fx_[t] = values[fsrc_[t]] * fscale_[t];
  for (Block& blk : blocks_) {
    if (blk.size == 1) {
      const Index e = ap_[blk.r0];
      if (ap_[blk.r0 + 1] != e + 1) return false;  // no diagonal entry: structurally zero
      ud_[blk.r0] = values[asrc_[e]] * ascale_[e];
      if (!(ud_[blk.r0] != 0.0)) return false;
    } else if (!refactor_block(blk, values, threads)) {
      for (Workspace& w : ws_) {
        std::fill(w.x.begin(), w.x.end(), 0.0);
        std::fill(w.acc.begin(), w.acc.end(), 0.0);
      }
      return false;
    }
  }
  rcond_ = pivot_ratio(ud_.data(), n_);
  return true;
}

namespace {

// One block's sparse refactor on plain arrays (the kernels below are compiled twice, for any
// x86-64 and for AVX2 + FMA; no Eigen here: its alignment differs between such builds).
struct SparseBlock {
  Index r0, size, c0;
  const Index *ap, *asrc, *up, *lp;
  const std::int32_t *arow, *ui, *li, *pend;
  const double *ascale, *values;
  double *ux, *lx, *ud, *S;  // S: the dense tail, column-major, size - c0 rows
};

// Local column k of the block, left-looking: its U entries from the columns of its U pattern
// (all computed before it), then its pivot and L or, in a dense tail, its column of the Schur
// complement in S. x: the block's scatter workspace, zero before and (on success) after. Each
// column's result depends only on its own operations, in a fixed order: whichever thread runs
// it, and whatever ran before, the same bits. Returns false on a zero/tiny pivot or a
// multiplier above the bound.
template <bool kFma>
[[gnu::always_inline]] inline bool sparse_column(const SparseBlock& b, Index k, double* x,
                                                 double* acc, Maxima& m) {
  const Index* lp = b.lp + b.r0;
  const std::int32_t* li = b.li;
  const double* lx = b.lx;
  const Index kg = b.r0 + k;
  double col_max = 0.0;
  for (Index e = b.ap[kg]; e < b.ap[kg + 1]; ++e) {
    const double v = b.values[b.asrc[e]] * b.ascale[e];
    x[b.arow[e]] = v;
    col_max = std::max(col_max, std::abs(v));
  }
  m.a = std::max(m.a, col_max);
  const std::int32_t* pend = b.pend + b.r0;
  const Index u_end = b.up[kg + 1];
  for (Index t = b.up[kg]; t < u_end;) {
    const std::int32_t j = b.ui[t];
    const std::int32_t pe = pend[j];
    Index t2 = t + 1;
    while (t2 < u_end && b.ui[t2] < pe) ++t2;
    if (t2 - t == 1) {  // one column of its panel: scattered updates
      const double u = x[j];
      x[j] = 0.0;
      b.ux[t] = u;
      m.u = std::max(m.u, std::abs(u));
      t = t2;
      if (u == 0.0) continue;
      const Index end = lp[j + 1];
#pragma GCC unroll 4
      for (Index p = lp[j]; p < end; ++p) {
        if constexpr (kFma)
          x[li[p]] = std::fma(-lx[p], u, x[li[p]]);
        else
          x[li[p]] -= lx[p] * u;
      }
      continue;
    }
    // Several columns of one panel: rows inside the panel directly (later columns of the
    // group read them), the panel's rows below it summed in acc and scattered once.
    const Index nr = lp[j + 1] - lp[j] - (pe - 1 - j);
    const std::int32_t* rows = li + lp[j + 1] - nr;
    bool any = false;
    for (Index q = t; q < t2; ++q) {
      const std::int32_t jq = b.ui[q];
      const double u = x[jq];
      x[jq] = 0.0;
      b.ux[q] = u;
      m.u = std::max(m.u, std::abs(u));
      if (u == 0.0) continue;
      any = true;
      const double* l = lx + lp[jq];
      const Index inside = pe - 1 - jq;
      double* xi = x + jq + 1;
      for (Index i = 0; i < inside; ++i) {
        if constexpr (kFma)
          xi[i] = std::fma(-l[i], u, xi[i]);
        else
          xi[i] -= l[i] * u;
      }
      const double* lr = l + inside;
      for (Index i = 0; i < nr; ++i) {
        if constexpr (kFma)
          acc[i] = std::fma(lr[i], u, acc[i]);
        else
          acc[i] += lr[i] * u;
      }
    }
    if (any)
      for (Index i = 0; i < nr; ++i) {
        x[rows[i]] -= acc[i];
        acc[i] = 0.0;
      }
    t = t2;
  }
  if (k >= b.c0) {
    double* s = b.S + (k - b.c0) * (b.size - b.c0);
    std::copy(x + b.c0, x + b.size, s);
    std::fill(x + b.c0, x + b.size, 0.0);
    return true;
  }
  const double pivot = x[k];
  x[k] = 0.0;
  if (!(std::abs(pivot) > kTinyPivot * col_max)) return false;
  b.ud[kg] = pivot;
  m.u = std::max(m.u, std::abs(pivot));
  double max_l = 0.0;
  for (Index p = lp[k]; p < lp[k + 1]; ++p) {
    const double l = x[li[p]] / pivot;
    x[li[p]] = 0.0;
    b.lx[p] = l;
    max_l = std::max(max_l, std::abs(l));
  }
  return max_l <= kMaxMultiplier;
}

// The local columns cols[0, count) in that order (cols null: k0, k0 + 1, ...). x and acc: the
// thread's zero workspaces of the block's size.
template <bool kFma>
[[gnu::always_inline]] inline bool sparse_columns(const SparseBlock& b, const Index* cols, Index k0,
                                                  Index count, double* x, double* acc, Maxima& m) {
  for (Index c = 0; c < count; ++c)
    if (!sparse_column<kFma>(b, cols ? cols[c] : k0 + c, x, acc, m)) return false;
  return true;
}

bool sparse_columns_plain(const SparseBlock& b, const Index* cols, Index k0, Index count, double* x,
                          double* acc, Maxima& m) {
  return sparse_columns<false>(b, cols, k0, count, x, acc, m);
}
// Fused multiply-adds: ~1 instruction less per update. Which variant runs depends only on
// the CPU, so a machine always gets the same bits for the same values.
#if HIILI_X86_FMA
[[gnu::target("avx2,fma")]] bool sparse_columns_fma(const SparseBlock& b, const Index* cols,
                                                    Index k0, Index count, double* x, double* acc,
                                                    Maxima& m) {
  return sparse_columns<true>(b, cols, k0, count, x, acc, m);
}
#else
bool sparse_columns_fma(const SparseBlock& b, const Index* cols, Index k0, Index count, double* x,
                        double* acc, Maxima& m) {
  return sparse_columns<false>(b, cols, k0, count, x, acc, m);
}
#endif

std::atomic<bool> g_plain_kernels{false};

bool cpu_has_fma() {
#if HIILI_X86_FMA
  static const bool fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  constexpr bool fma = false;
#endif
  return fma && !g_plain_kernels.load(std::memory_order_relaxed);
}

bool run_sparse_columns(const SparseBlock& b, const Index* cols, Index k0, Index count, double* x,
                        double* acc, Maxima& m) {
  return cpu_has_fma() ? sparse_columns_fma(b, cols, k0, count, x, acc, m)
                       : sparse_columns_plain(b, cols, k0, count, x, acc, m);
}

// a[i] -= sum_q l_q[i] u_q over four columns at once (one load and store of a per 4 updates).
template <bool kFma>
[[gnu::always_inline]] inline void axpy4(double* a, const double* l0, const double* l1,
                                         const double* l2, const double* l3, const double* u,
                                         Index begin, Index end) {
  for (Index i = begin; i < end; ++i) {
    if constexpr (kFma) {
      double t = std::fma(-l0[i], u[0], a[i]);
      t = std::fma(-l1[i], u[1], t);
      t = std::fma(-l2[i], u[2], t);
      a[i] = std::fma(-l3[i], u[3], t);
    } else {
      a[i] = a[i] - l0[i] * u[0] - l1[i] * u[1] - l2[i] * u[2] - l3[i] * u[3];
    }
  }
}

template <bool kFma>
[[gnu::always_inline]] inline void axpy1(double* a, const double* l, double u, Index begin,
                                         Index end) {
  for (Index i = begin; i < end; ++i) {
    if constexpr (kFma)
      a[i] = std::fma(-l[i], u, a[i]);
    else
      a[i] -= l[i] * u;
  }
}

// Columns [j0, j1) of the column-major h x h matrix a lose L(r0:, k0:k1) * U(k0:k1, j) on rows
// [r0, h): the update of a right-looking LU.
template <bool kFma>
[[gnu::always_inline]] inline void update(double* a, Index h, Index k0, Index k1, Index j0,
                                          Index j1, Index r0) {
  for (Index j = j0; j < j1; ++j) {
    double* aj = a + j * h;
    Index k = k0;
    for (; k + 4 <= k1; k += 4) {
      const double u[4] = {aj[k], aj[k + 1], aj[k + 2], aj[k + 3]};
      const double* l = a + k * h;
      axpy4<kFma>(aj, l, l + h, l + 2 * h, l + 3 * h, u, r0, h);
    }
    for (; k < k1; ++k) axpy1<kFma>(aj, a + k * h, aj[k], r0, h);
  }
}

// In-place LU with partial pivoting of the column-major h x h matrix a (as LAPACK's dgetrf:
// ipiv[k] is the row swapped with row k at step k, whole rows swapped). Right-looking with
// panels of 32 columns, so that the bulk of the work is the four-column update above. A zero
// pivot is left in place (the caller checks the diagonal). dense_panel factors the panel's
// columns [k0, k1); dense_trailing then updates columns [j0, j1) right of it: U of the panel's
// rows (unit lower triangular solve), then the trailing update. Each column of the trailing
// part sees the same operations in the same order however [k1, h) is split into [j0, j1)
// ranges (and across threads): the same bits.
constexpr Index kPanel = 32;

template <bool kFma>
[[gnu::always_inline]] inline void dense_panel(double* a, Index h, std::int32_t* ipiv, Index k0,
                                               Index k1) {
  for (Index k = k0; k < k1; ++k) {
    double* ak = a + k * h;
    Index p = k;
    for (Index i = k + 1; i < h; ++i)
      if (std::abs(ak[i]) > std::abs(ak[p])) p = i;
    ipiv[k] = static_cast<std::int32_t>(p);
    if (p != k)
      for (Index j = 0; j < h; ++j) std::swap(a[k + j * h], a[p + j * h]);
    const double pivot = ak[k];
    if (pivot != 0.0)
      for (Index i = k + 1; i < h; ++i) ak[i] /= pivot;
    update<kFma>(a, h, k, k + 1, k + 1, k1, k + 1);  // the rest of the panel
  }
}

template <bool kFma>
[[gnu::always_inline]] inline void dense_trailing(double* a, Index h, Index k0, Index k1, Index j0,
                                                  Index j1) {
  for (Index j = j0; j < j1; ++j) {
    double* aj = a + j * h;
    for (Index k = k0; k < k1; ++k) axpy1<kFma>(aj, a + k * h, aj[k], k + 1, k1);
  }
  update<kFma>(a, h, k0, k1, j0, j1, k1);
}

void dense_panel_plain(double* a, Index h, std::int32_t* ipiv, Index k0, Index k1) {
  dense_panel<false>(a, h, ipiv, k0, k1);
}
void dense_trailing_plain(double* a, Index h, Index k0, Index k1, Index j0, Index j1) {
  dense_trailing<false>(a, h, k0, k1, j0, j1);
}
#if HIILI_X86_FMA
[[gnu::target("avx2,fma")]] void dense_panel_fma(double* a, Index h, std::int32_t* ipiv, Index k0,
                                                 Index k1) {
  dense_panel<true>(a, h, ipiv, k0, k1);
}
[[gnu::target("avx2,fma")]] void dense_trailing_fma(double* a, Index h, Index k0, Index k1,
                                                    Index j0, Index j1) {
  dense_trailing<true>(a, h, k0, k1, j0, j1);
}
#else
void dense_panel_fma(double* a, Index h, std::int32_t* ipiv, Index k0, Index k1) {
  dense_panel<false>(a, h, ipiv, k0, k1);
}
void dense_trailing_fma(double* a, Index h, Index k0, Index k1, Index j0, Index j1) {
  dense_trailing<false>(a, h, k0, k1, j0, j1);
}
#endif

// Trailing updates of at least this many multiply-adds are split over threads, in ranges of
// kDenseChunk columns.
constexpr double kParallelDense = 1e5;
constexpr Index kDenseChunk = 16;

// The dense LU; `threads` > 1: each panel's trailing update split over the current arena.
void run_dense_lu(double* a, Index h, std::int32_t* ipiv, int threads) {
  const bool fma = cpu_has_fma();
  for (Index k0 = 0; k0 < h; k0 += kPanel) {
    const Index k1 = std::min(h, k0 + kPanel);
    fma ? dense_panel_fma(a, h, ipiv, k0, k1) : dense_panel_plain(a, h, ipiv, k0, k1);
    auto trailing = [=](Index j0, Index j1) {
      fma ? dense_trailing_fma(a, h, k0, k1, j0, j1) : dense_trailing_plain(a, h, k0, k1, j0, j1);
    };
    const double work = double(h - k1) * double(h - k1) * double(k1 - k0);
    if (threads < 2 || (work < kParallelDense && !g_fine_chunks.load(std::memory_order_relaxed))) {
      trailing(k1, h);
      continue;
    }
    oneapi::tbb::parallel_for(
        oneapi::tbb::blocked_range<Index>(k1, h, kDenseChunk),
        [&](const oneapi::tbb::blocked_range<Index>& r) { trailing(r.begin(), r.end()); },
        oneapi::tbb::simple_partitioner());
  }
}

// Solves with the dense LU in place: A y = b (transposed: A^T y = b).
void dense_solve(const double* lu, Index h, const std::int32_t* ipiv, double* y, bool transposed) {
  if (!transposed) {
    for (Index k = 0; k < h; ++k) std::swap(y[k], y[ipiv[k]]);
    for (Index k = 0; k < h; ++k) {
      const double yk = y[k];
      const double* l = lu + k * h;
      for (Index i = k + 1; i < h; ++i) y[i] -= l[i] * yk;
    }
    for (Index k = h - 1; k >= 0; --k) {
      const double* u = lu + k * h;
      y[k] /= u[k];
      const double yk = y[k];
      for (Index i = 0; i < k; ++i) y[i] -= u[i] * yk;
    }
  } else {
    for (Index k = 0; k < h; ++k) {  // U^T: row k of U^T is column k of U
      const double* u = lu + k * h;
      double s = y[k];
      for (Index i = 0; i < k; ++i) s -= u[i] * y[i];
      y[k] = s / u[k];
    }
    for (Index k = h - 1; k >= 0; --k) {  // L^T, unit diagonal
      const double* l = lu + k * h;
      double s = y[k];
      for (Index i = k + 1; i < h; ++i) s -= l[i] * y[i];
      y[k] = s;
    }
    for (Index k = h - 1; k >= 0; --k) std::swap(y[k], y[ipiv[k]]);
  }
}

}  // namespace

// The sparse part of a block, then its dense tail with partial pivoting; the pivot growth
// check covers both.
bool StaticLu::refactor_block(Block& blk, const double* values, int threads) {
  const Index r0 = blk.r0, c0 = blk.c0, h = blk.size - blk.c0;
  Maxima m;
  if (!refactor_sparse(blk, values, threads, m)) return false;
  double max_u = m.u;
  const double max_a = m.a;
  if (h > 0) {
    double* S = blk.S.data();
    double max_s = 0.0;
    for (Index i = 0; i < h * h; ++i) max_s = std::max(max_s, std::abs(S[i]));
    run_dense_lu(S, h, blk.ipiv.data(), threads);
    for (Index i = 0; i < h; ++i) {
      const double d = S[i + i * h];
      if (!(std::abs(d) > kTinyPivot * max_s)) return false;
      ud_[r0 + c0 + i] = d;
      for (Index r = 0; r <= i; ++r) max_u = std::max(max_u, std::abs(S[r + i * h]));
    }
  }
  return max_u <= kMaxGrowth * max_a;
}

// A block's sparse part: in index order on one thread, or level by level, the chunks of a
// level spread over the arena's threads (each thread with its own workspace).
bool StaticLu::refactor_sparse(Block& blk, const double* values, int threads, Maxima& m) {
  const SparseBlock b{blk.r0,
                      blk.size,
                      blk.c0,
                      ap_.data(),
                      asrc_.data(),
                      up_.data(),
                      lp_.data(),
                      arow_.data(),
                      ui_.data(),
                      li_.data(),
                      pend_.data(),
                      ascale_.data(),
                      values,
                      ux_.data(),
                      lx_.data(),
                      ud_.data(),
                      blk.size > blk.c0 ? blk.S.data() : nullptr};
  const bool fine = g_fine_chunks.load(std::memory_order_relaxed);
  if (threads < 2 || (blk.work < kParallelBlock && !fine))
    return run_sparse_columns(b, nullptr, 0, blk.size, ws_[0].x.data(), ws_[0].acc.data(), m);
  const std::size_t slots = std::size_t(oneapi::tbb::this_task_arena::max_concurrency());
  if (ws_.size() < slots) {
    ws_.resize(slots);
    for (Workspace& w : ws_) {
      w.x.resize(std::size_t(max_block_), 0.0);
      w.acc.resize(std::size_t(max_block_), 0.0);
    }
  }
  for (Workspace& w : ws_) w.m = Maxima{};
  auto workspace = [this]() -> Workspace& {
    const int i = oneapi::tbb::this_task_arena::current_thread_index();
    return ws_[i >= 0 && std::size_t(i) < ws_.size() ? std::size_t(i) : 0];
  };
  std::atomic<bool> ok{true};
  auto run_chunk = [&](Index c, Workspace& w) {
    const Index* cols = blk.order.data() + blk.chunk[c];
    const Index count = blk.chunk[c + 1] - blk.chunk[c];
    if (!run_sparse_columns(b, cols, 0, count, w.x.data(), w.acc.data(), w.m))
      ok.store(false, std::memory_order_relaxed);
  };
  for (std::size_t l = 0; l + 1 < blk.level.size() && ok.load(); ++l) {
    const Index first = blk.level[l], last = blk.level[l + 1];
    if (last - first == 1) {
      run_chunk(first, workspace());
      continue;
    }
    oneapi::tbb::parallel_for(
        oneapi::tbb::blocked_range<Index>(first, last, 1),
        [&](const oneapi::tbb::blocked_range<Index>& r) {
          Workspace& w = workspace();
          for (Index c = r.begin(); c != r.end(); ++c) run_chunk(c, w);
        },
        oneapi::tbb::simple_partitioner());
  }
  for (const Workspace& w : ws_) {
    m.a = std::max(m.a, w.m.a);
    m.u = std::max(m.u, w.m.u);
  }
  return ok.load();
}

void force_plain_kernels(bool plain) { g_plain_kernels = plain; }
void force_fine_chunks(bool fine) { g_fine_chunks = fine; }
void force_no_panels(bool none) { g_no_panels = none; }

void StaticLu::solve(double* x, Index nrhs, bool transposed) {
  Index c = 0;
  while (nrhs - c >= 5) {
    const Index cols = std::min<Index>(8, nrhs - c);
    solve_wide<8>(x + c * n_, cols, transposed);
    c += cols;
  }
  if (nrhs - c >= 3)
    solve_wide<4>(x + c * n_, nrhs - c, transposed);
  else if (nrhs - c == 2)
    solve_wide<2>(x + c * n_, 2, transposed);
  else if (nrhs - c == 1)
    solve_one(x + c * n_, transposed);
}

// B = P diag(1/Rs) A Q is block upper triangular: A x = b is a block back-substitution on
// B z = P (b / Rs), x = Q z; A^T x = b a forward one on B^T w = Q^T b, x = P^T w / Rs.
void StaticLu::solve_one(double* x, bool transposed) {
  double* y = work_.data();
  if (!transposed) {
    for (Index i = 0; i < n_; ++i) y[i] = x[P_[i]] * rscale_[i];
    for (auto b = blocks_.rbegin(); b != blocks_.rend(); ++b) {
      if (b->size == 1)
        y[b->r0] /= ud_[b->r0];
      else
        block_solve(*b, y + b->r0);
      for (Index k = b->r0; k < b->r0 + b->size; ++k) {
        const double zk = y[k];
        if (zk == 0.0) continue;
        for (Index t = fp_[k]; t < fp_[k + 1]; ++t) y[frow_[t]] -= fx_[t] * zk;
      }
    }
    for (Index k = 0; k < n_; ++k) x[Q_[k]] = y[k];
  } else {
    for (Index k = 0; k < n_; ++k) y[k] = x[Q_[k]];
    for (const Block& b : blocks_) {
      for (Index k = b.r0; k < b.r0 + b.size; ++k) {
        double s = y[k];
        for (Index t = fp_[k]; t < fp_[k + 1]; ++t) s -= fx_[t] * y[frow_[t]];
        y[k] = s;
      }
      if (b.size == 1)
        y[b.r0] /= ud_[b.r0];
      else
        block_solve_transposed(b, y + b.r0);
    }
    for (Index i = 0; i < n_; ++i) x[P_[i]] = y[i] * rscale_[i];
  }
}

// M = [L11 0; L21 I] [U11 U12; 0 S], S = P_S^T L22 U22 (the dense tail; absent when c0 = size).
void StaticLu::block_solve(const Block& b, double* y) {
  const Index r0 = b.r0, c0 = b.c0, h = b.size - b.c0;
  const Index* lp = lp_.data() + r0;
  const Index* up = up_.data() + r0;
  const double* ud = ud_.data() + r0;
  for (Index j = 0; j < c0; ++j) {
    const double yj = y[j];
    if (yj == 0.0) continue;
    for (Index p = lp[j]; p < lp[j + 1]; ++p) y[li_[p]] -= lx_[p] * yj;
  }
  if (h > 0) {
    dense_solve(b.S.data(), h, b.ipiv.data(), y + c0, false);
    for (Index k = c0; k < b.size; ++k) {
      const double zk = y[k];
      for (Index t = up[k]; t < up[k + 1]; ++t) y[ui_[t]] -= ux_[t] * zk;
    }
  }
  for (Index k = c0 - 1; k >= 0; --k) {
    const double zk = y[k] / ud[k];
    y[k] = zk;
    if (zk == 0.0) continue;
    for (Index t = up[k]; t < up[k + 1]; ++t) y[ui_[t]] -= ux_[t] * zk;
  }
}

// M^T = [U11^T 0; U12^T I] [I 0; 0 S^T] [L11^T L21^T; 0 I]: forward over U, the dense tail,
// backward over L (dot products: the rows of M^T are the columns of L and U).
void StaticLu::block_solve_transposed(const Block& b, double* y) {
  const Index r0 = b.r0, c0 = b.c0, h = b.size - b.c0;
  const Index* lp = lp_.data() + r0;
  const Index* up = up_.data() + r0;
  const double* ud = ud_.data() + r0;
  for (Index k = 0; k < b.size; ++k) {
    double s = y[k];
    for (Index t = up[k]; t < up[k + 1]; ++t) s -= ux_[t] * y[ui_[t]];
    y[k] = k < c0 ? s / ud[k] : s;
  }
  if (h > 0) {
    dense_solve(b.S.data(), h, b.ipiv.data(), y + c0, true);
  }
  for (Index k = c0 - 1; k >= 0; --k) {
    double s = y[k];
    for (Index p = lp[k]; p < lp[k + 1]; ++p) s -= lx_[p] * y[li_[p]];
    y[k] = s;
  }
}

// The multi-column solve: solve_one and the block solves above, on W columns held row-
// interleaved (y[i * W + c]), so that each entry of the factors is read once per W columns.
// Each column sees exactly solve_one's operations in solve_one's order (a row is skipped only
// when it is zero in every column, and subtracting l * 0 leaves a value as it is), so the
// results are bit-identical to solving the columns one at a time.
namespace {

// Row i of y -= l * z.
template <int W>
[[gnu::always_inline]] inline void sub_row(double* y, Index i, double l, Lanes<W> z) {
  store_lanes<W>(y + i * W, load_lanes<W>(y + i * W) - l * z);
}

template <int W>
HIILI_LANE_KERNEL void dense_solve_wide(const double* lu, Index h, const std::int32_t* ipiv,
                                        double* y, bool transposed) {
  auto swap_rows = [y](Index a, Index b) {
    const Lanes<W> t = load_lanes<W>(y + a * W);
    store_lanes<W>(y + a * W, load_lanes<W>(y + b * W));
    store_lanes<W>(y + b * W, t);
  };
  if (!transposed) {
    for (Index k = 0; k < h; ++k) swap_rows(k, ipiv[k]);
    for (Index k = 0; k < h; ++k) {
      const Lanes<W> yk = load_lanes<W>(y + k * W);
      const double* l = lu + k * h;
      for (Index i = k + 1; i < h; ++i) sub_row<W>(y, i, l[i], yk);
    }
    for (Index k = h - 1; k >= 0; --k) {
      const double* u = lu + k * h;
      const Lanes<W> yk = load_lanes<W>(y + k * W) / u[k];
      store_lanes<W>(y + k * W, yk);
      for (Index i = 0; i < k; ++i) sub_row<W>(y, i, u[i], yk);
    }
  } else {
    for (Index k = 0; k < h; ++k) {
      const double* u = lu + k * h;
      Lanes<W> s = load_lanes<W>(y + k * W);
      for (Index i = 0; i < k; ++i) s -= u[i] * load_lanes<W>(y + i * W);
      store_lanes<W>(y + k * W, s / u[k]);
    }
    for (Index k = h - 1; k >= 0; --k) {
      const double* l = lu + k * h;
      Lanes<W> s = load_lanes<W>(y + k * W);
      for (Index i = k + 1; i < h; ++i) s -= l[i] * load_lanes<W>(y + i * W);
      store_lanes<W>(y + k * W, s);
    }
    for (Index k = h - 1; k >= 0; --k) swap_rows(k, ipiv[k]);
  }
}

}  // namespace

template <int W>
HIILI_LANE_KERNEL void StaticLu::solve_wide(double* x, Index ncols, bool transposed) {
  double* y = aligned_rows(wide_, std::size_t(n_) * 8);
  const Index* in = transposed ? Q_.data() : P_.data();
  for (Index i = 0; i < n_; ++i) {
    double* yi = y + i * W;
    for (Index c = 0; c < ncols; ++c) yi[c] = x[c * n_ + in[i]];
    if (!transposed)
      for (Index c = 0; c < ncols; ++c) yi[c] *= rscale_[i];
    for (Index c = ncols; c < W; ++c) yi[c] = 0.0;
  }
  if (!transposed) {
    for (auto b = blocks_.rbegin(); b != blocks_.rend(); ++b) {
      if (b->size == 1) {
        store_lanes<W>(y + b->r0 * W, load_lanes<W>(y + b->r0 * W) / ud_[b->r0]);
      } else {
        block_solve_wide<W>(*b, y + b->r0 * W);
      }
      for (Index k = b->r0; k < b->r0 + b->size; ++k) {
        const Lanes<W> zk = load_lanes<W>(y + k * W);
        if (all_zero<W>(zk)) continue;
        for (Index t = fp_[k]; t < fp_[k + 1]; ++t) sub_row<W>(y, frow_[t], fx_[t], zk);
      }
    }
    for (Index k = 0; k < n_; ++k)
      for (Index c = 0; c < ncols; ++c) x[c * n_ + Q_[k]] = y[k * W + c];
  } else {
    for (const Block& b : blocks_) {
      for (Index k = b.r0; k < b.r0 + b.size; ++k) {
        Lanes<W> s = load_lanes<W>(y + k * W);
        for (Index t = fp_[k]; t < fp_[k + 1]; ++t) s -= fx_[t] * load_lanes<W>(y + frow_[t] * W);
        store_lanes<W>(y + k * W, s);
      }
      if (b.size == 1) {
        store_lanes<W>(y + b.r0 * W, load_lanes<W>(y + b.r0 * W) / ud_[b.r0]);
      } else {
        block_solve_transposed_wide<W>(b, y + b.r0 * W);
      }
    }
    for (Index i = 0; i < n_; ++i)
      for (Index c = 0; c < ncols; ++c) x[c * n_ + P_[i]] = y[i * W + c] * rscale_[i];
  }
}

template <int W>
HIILI_LANE_KERNEL void StaticLu::block_solve_wide(const Block& b, double* y) {
  const Index r0 = b.r0, c0 = b.c0, h = b.size - b.c0;
  const Index* lp = lp_.data() + r0;
  const Index* up = up_.data() + r0;
  const double* ud = ud_.data() + r0;
  for (Index j = 0; j < c0; ++j) {
    const Lanes<W> yj = load_lanes<W>(y + j * W);
    if (all_zero<W>(yj)) continue;
    for (Index p = lp[j]; p < lp[j + 1]; ++p) sub_row<W>(y, li_[p], lx_[p], yj);
  }
  if (h > 0) {
    dense_solve_wide<W>(b.S.data(), h, b.ipiv.data(), y + c0 * W, false);
    for (Index k = c0; k < b.size; ++k) {
      const Lanes<W> zk = load_lanes<W>(y + k * W);
      for (Index t = up[k]; t < up[k + 1]; ++t) sub_row<W>(y, ui_[t], ux_[t], zk);
    }
  }
  for (Index k = c0 - 1; k >= 0; --k) {
    const Lanes<W> zk = load_lanes<W>(y + k * W) / ud[k];
    store_lanes<W>(y + k * W, zk);
    if (all_zero<W>(zk)) continue;
    for (Index t = up[k]; t < up[k + 1]; ++t) sub_row<W>(y, ui_[t], ux_[t], zk);
  }
}

template <int W>
HIILI_LANE_KERNEL void StaticLu::block_solve_transposed_wide(const Block& b, double* y) {
  const Index r0 = b.r0, c0 = b.c0, h = b.size - b.c0;
  const Index* lp = lp_.data() + r0;
  const Index* up = up_.data() + r0;
  const double* ud = ud_.data() + r0;
  for (Index k = 0; k < b.size; ++k) {
    Lanes<W> s = load_lanes<W>(y + k * W);
    for (Index t = up[k]; t < up[k + 1]; ++t) s -= ux_[t] * load_lanes<W>(y + Index(ui_[t]) * W);
    store_lanes<W>(y + k * W, k < c0 ? s / ud[k] : s);
  }
  if (h > 0) dense_solve_wide<W>(b.S.data(), h, b.ipiv.data(), y + c0 * W, true);
  for (Index k = c0 - 1; k >= 0; --k) {
    Lanes<W> s = load_lanes<W>(y + k * W);
    for (Index p = lp[k]; p < lp[k + 1]; ++p) s -= lx_[p] * load_lanes<W>(y + Index(li_[p]) * W);
    store_lanes<W>(y + k * W, s);
  }
}

}  // namespace hiili::detail
