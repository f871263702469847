// FlowStatistics: streaming, mergeable statistics of every inventory flow (monte_carlo.hpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "hiili/diagnostics.hpp"
#include "hiili/error.hpp"
#include "hiili/monte_carlo.hpp"
#include "montecarlo/special.hpp"

namespace hiili {

namespace {

// Knuth's TwoSum: hi + lo = a + b exactly.
inline void two_sum_into(double& hi, double& lo, double x) {
  const double s = hi + x;
  const double bp = s - hi;
  const double err = (hi - (s - bp)) + (x - bp);
  hi = s;
  lo += err;
}

}  // namespace

FlowStatistics::FlowStatistics(const Eigen::VectorXd& reference, double relative_accuracy,
                               int bins)
    : accuracy_(relative_accuracy), bins_(bins) {
  if (!(relative_accuracy > 0.0 && relative_accuracy < 0.5))
    throw InvalidInputError("sketch accuracy must lie in (0, 0.5), got " +
                            message_number(relative_accuracy));
  if (bins < 2 || bins > (1 << 20) || bins % 2 != 0)
    throw InvalidInputError("sketch bins must be even and in [2, 2^20], got " +
                            std::to_string(bins));
  const Index m = reference.size();
  reference_.resize(m);
  for (Index f = 0; f < m; ++f) {
    const double r = std::abs(reference[f]);
    reference_[f] = std::isfinite(r) && r > 0.0 ? r : 1.0;
  }
  log_gamma_ = std::log((1.0 + accuracy_) / (1.0 - accuracy_));
  const std::size_t um = static_cast<std::size_t>(m);
  sum_hi_.assign(um, 0.0);
  sum_lo_.assign(um, 0.0);
  sq_hi_.assign(um, 0.0);
  sq_lo_.assign(um, 0.0);
  min_.assign(um, std::numeric_limits<double>::infinity());
  max_.assign(um, -std::numeric_limits<double>::infinity());
  counts_.assign(um * static_cast<std::size_t>(2 * bins_ + 1), 0u);
}

int FlowStatistics::bucket(Index flow, double value, bool& clamped) const {
  clamped = false;
  if (value == 0.0) return bins_;
  const double a = std::abs(value) / reference_[flow];
  const double k = std::ceil(mc::log(a) / log_gamma_);  // bucket k covers (g^(k-1), g^k]
  const int half = bins_ / 2;
  int kk;
  if (!(k >= -half)) {
    kk = 0;
    clamped = true;
  } else if (!(k <= half - 1)) {
    kk = bins_ - 1;
    clamped = true;
  } else {
    kk = static_cast<int>(k) + half;
  }
  return value > 0.0 ? bins_ + 1 + kk : bins_ - 1 - kk;
}

double FlowStatistics::bucket_value(Index flow, int index) const {
  if (index == bins_) return 0.0;
  const int half = bins_ / 2;
  const bool positive = index > bins_;
  const int kk = positive ? index - bins_ - 1 : bins_ - 1 - index;
  const double gamma = std::exp(log_gamma_);
  // DDSketch's estimate for (g^(k-1), g^k]: within relative error a of every value there.
  const double v = reference_[flow] * 2.0 * std::exp((kk - half) * log_gamma_) / (gamma + 1.0);
  return positive ? v : -v;
}

void FlowStatistics::add(const double* g) {
  const Index m = flows();
  const std::size_t stride = static_cast<std::size_t>(2 * bins_ + 1);
  for (Index f = 0; f < m; ++f) {
    const double x = g[f];
    const double d = x - reference_[f];
    two_sum_into(sum_hi_[f], sum_lo_[f], d);
    two_sum_into(sq_hi_[f], sq_lo_[f], d * d);
    min_[f] = std::min(min_[f], x);
    max_[f] = std::max(max_[f], x);
    bool clamped;
    const int b = bucket(f, x, clamped);
    out_of_range_ += clamped;
    ++counts_[static_cast<std::size_t>(f) * stride + static_cast<std::size_t>(b)];
  }
  ++count_;
}

void FlowStatistics::merge(const FlowStatistics& o) {
  if (o.flows() != flows() || o.bins_ != bins_ || o.accuracy_ != accuracy_ ||
      o.reference_ != reference_)
    throw InvalidInputError("FlowStatistics::merge: statistics of different flows or sketches");
  if (count_ + o.count_ > Index(0xFFFFFFFF))
    throw InvalidInputError("FlowStatistics::merge: more than 2^32 - 1 iterations in one sketch");
  for (Index f = 0; f < flows(); ++f) {
    two_sum_into(sum_hi_[f], sum_lo_[f], o.sum_hi_[f]);
    sum_lo_[f] += o.sum_lo_[f];
    two_sum_into(sq_hi_[f], sq_lo_[f], o.sq_hi_[f]);
    sq_lo_[f] += o.sq_lo_[f];
    min_[f] = std::min(min_[f], o.min_[f]);
    max_[f] = std::max(max_[f], o.max_[f]);
  }
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  out_of_range_ += o.out_of_range_;
}

FlowStatistics::State FlowStatistics::state() const {
  return {reference_, accuracy_, bins_, count_,  out_of_range_, sum_hi_, sum_lo_,
          sq_hi_,     sq_lo_,    min_,  max_,    counts_};
}

FlowStatistics FlowStatistics::from_state(State state) {
  FlowStatistics out(Eigen::VectorXd::Ones(state.reference.size()), state.accuracy, state.bins);
  const std::size_t m = static_cast<std::size_t>(state.reference.size());
  const std::vector<double>* sums[6] = {&state.sum_hi, &state.sum_lo, &state.sq_hi,
                                        &state.sq_lo,  &state.min,    &state.max};
  for (const auto* v : sums)
    if (v->size() != m)
      throw InvalidInputError("FlowStatistics state: a sum has " + std::to_string(v->size()) +
                              " values for " + std::to_string(m) + " flows");
  if (state.counts.size() != out.counts_.size() || state.count < 0 || state.out_of_range < 0)
    throw InvalidInputError("FlowStatistics state: " + std::to_string(state.counts.size()) +
                            " bucket counts, expected " + std::to_string(out.counts_.size()));
  out.reference_ = std::move(state.reference);
  out.count_ = state.count;
  out.out_of_range_ = state.out_of_range;
  out.sum_hi_ = std::move(state.sum_hi);
  out.sum_lo_ = std::move(state.sum_lo);
  out.sq_hi_ = std::move(state.sq_hi);
  out.sq_lo_ = std::move(state.sq_lo);
  out.min_ = std::move(state.min);
  out.max_ = std::move(state.max);
  out.counts_ = std::move(state.counts);
  return out;
}

Eigen::VectorXd FlowStatistics::mean() const {
  Eigen::VectorXd out(flows());
  const double n = static_cast<double>(count_);
  for (Index f = 0; f < flows(); ++f)
    out[f] = count_ == 0 ? mc::kNaN : reference_[f] + (sum_hi_[f] + sum_lo_[f]) / n;
  return out;
}

Eigen::VectorXd FlowStatistics::variance() const {
  Eigen::VectorXd out(flows());
  const double n = static_cast<double>(count_);
  for (Index f = 0; f < flows(); ++f) {
    if (count_ < 2) {
      out[f] = mc::kNaN;
      continue;
    }
    // Shifted sums (by the reference): sum d^2 - (sum d)^2 / n, cancellation-free in practice.
    const double s = sum_hi_[f] + sum_lo_[f];
    const double q = sq_hi_[f] + sq_lo_[f];
    out[f] = std::max(0.0, (q - s * (s / n)) / (n - 1.0));
  }
  return out;
}

Eigen::VectorXd FlowStatistics::std() const { return variance().cwiseSqrt(); }

Eigen::VectorXd FlowStatistics::min() const {
  Eigen::VectorXd out(flows());
  for (Index f = 0; f < flows(); ++f) out[f] = count_ == 0 ? mc::kNaN : min_[f];
  return out;
}

Eigen::VectorXd FlowStatistics::max() const {
  Eigen::VectorXd out(flows());
  for (Index f = 0; f < flows(); ++f) out[f] = count_ == 0 ? mc::kNaN : max_[f];
  return out;
}

Eigen::VectorXd FlowStatistics::quantile(double q) const {
  if (!(q >= 0.0 && q <= 1.0))
    throw InvalidInputError("quantile must lie in [0, 1], got " + std::to_string(q));
  Eigen::VectorXd out(flows());
  const std::size_t stride = static_cast<std::size_t>(2 * bins_ + 1);
  const auto rank = static_cast<std::uint64_t>(std::floor(q * double(count_ - 1)));
  for (Index f = 0; f < flows(); ++f) {
    if (count_ == 0) {
      out[f] = mc::kNaN;
      continue;
    }
    const std::uint32_t* c = counts_.data() + static_cast<std::size_t>(f) * stride;
    std::uint64_t seen = 0;
    int b = 0;
    for (; b < static_cast<int>(stride); ++b) {
      seen += c[b];
      if (seen > rank) break;
    }
    out[f] = std::clamp(bucket_value(f, b), min_[f], max_[f]);
  }
  return out;
}

}  // namespace hiili
