#include "export/report_decimate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace migpower {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A bucket draws at most two points, and at most twice max_buckets buckets are held (the full
// ones plus the one filling): max_points / 4 buckets keep a plot within max_points.
std::size_t buckets_for(std::size_t max_points) { return std::max<std::size_t>(1, max_points / 4); }

double key_of(const std::vector<double>& values) { return values.empty() ? kNaN : values[0]; }

void append_row(DecimatedSeries& out, double t, const std::vector<double>& values) {
  out.t.push_back(t);
  for (std::size_t c = 0; c < out.columns.size(); ++c)
    out.columns[c].push_back(c < values.size() ? values[c] : kNaN);
}

}  // namespace

KeyedMinMaxDecimator::KeyedMinMaxDecimator(std::size_t max_points)
    : max_buckets_(buckets_for(max_points)) {}

void KeyedMinMaxDecimator::add(double t, std::span<const double> values) {
  ++frames_;
  width_ = std::max(width_, values.size());
  const double key = values.empty() ? kNaN : values[0];
  if (open_.count == 0) {
    open_.low = Point{t, {values.begin(), values.end()}};
    open_.high = open_.low;
  } else if (key < key_of(open_.low.values) || std::isnan(key_of(open_.low.values))) {
    open_.low.t = t;
    open_.low.values.assign(values.begin(), values.end());
  } else if (key > key_of(open_.high.values) || std::isnan(key_of(open_.high.values))) {
    open_.high.t = t;
    open_.high.values.assign(values.begin(), values.end());
  }
  if (++open_.count < per_bucket_) return;
  buckets_.push_back(std::move(open_));
  open_ = Bucket{};
  if (buckets_.size() >= 2 * max_buckets_) merge_buckets();
}

void KeyedMinMaxDecimator::merge_buckets() {
  std::vector<Bucket> merged;
  merged.reserve(buckets_.size() / 2 + 1);
  for (std::size_t i = 0; i < buckets_.size(); i += 2) {
    Bucket bucket = std::move(buckets_[i]);
    if (i + 1 < buckets_.size()) {
      Bucket& next = buckets_[i + 1];
      if (key_of(next.low.values) < key_of(bucket.low.values)) bucket.low = std::move(next.low);
      if (key_of(next.high.values) > key_of(bucket.high.values)) bucket.high = std::move(next.high);
      bucket.count += next.count;
    }
    merged.push_back(std::move(bucket));
  }
  buckets_ = std::move(merged);
  per_bucket_ *= 2;
}

DecimatedSeries KeyedMinMaxDecimator::finish() const {
  DecimatedSeries out;
  out.columns.resize(width_);
  auto emit = [&](const Bucket& bucket) {
    const Point& first = bucket.low.t <= bucket.high.t ? bucket.low : bucket.high;
    const Point& second = bucket.low.t <= bucket.high.t ? bucket.high : bucket.low;
    append_row(out, first.t, first.values);
    if (second.t != first.t) append_row(out, second.t, second.values);
  };
  for (const Bucket& bucket : buckets_) emit(bucket);
  if (open_.count > 0) emit(open_);
  return out;
}

SeriesMinMaxDecimator::SeriesMinMaxDecimator(std::size_t max_points)
    : max_buckets_(buckets_for(max_points)) {}

void SeriesMinMaxDecimator::add(double t, std::span<const double> values) {
  ++frames_;
  width_ = std::max(width_, values.size());
  if (open_.count == 0) open_.first_t = t;
  open_.last_t = t;
  if (open_.series.size() < values.size()) open_.series.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double value = values[i];
    if (std::isnan(value)) continue;
    Extremes& e = open_.series[i];
    if (!e.seen || value < e.low) {
      e.low = value;
      e.low_t = t;
    }
    if (!e.seen || value > e.high) {
      e.high = value;
      e.high_t = t;
    }
    e.seen = true;
  }
  if (++open_.count < per_bucket_) return;
  buckets_.push_back(std::move(open_));
  open_ = Bucket{};
  if (buckets_.size() >= 2 * max_buckets_) merge_buckets();
}

void SeriesMinMaxDecimator::merge_into(Bucket& into, const Bucket& from) {
  into.last_t = from.last_t;
  into.count += from.count;
  if (into.series.size() < from.series.size()) into.series.resize(from.series.size());
  for (std::size_t i = 0; i < from.series.size(); ++i) {
    const Extremes& f = from.series[i];
    if (!f.seen) continue;
    Extremes& e = into.series[i];
    if (!e.seen || f.low < e.low) {
      e.low = f.low;
      e.low_t = f.low_t;
    }
    if (!e.seen || f.high > e.high) {
      e.high = f.high;
      e.high_t = f.high_t;
    }
    e.seen = true;
  }
}

void SeriesMinMaxDecimator::merge_buckets() {
  std::vector<Bucket> merged;
  merged.reserve(buckets_.size() / 2 + 1);
  for (std::size_t i = 0; i < buckets_.size(); i += 2) {
    Bucket bucket = std::move(buckets_[i]);
    if (i + 1 < buckets_.size()) merge_into(bucket, buckets_[i + 1]);
    merged.push_back(std::move(bucket));
  }
  buckets_ = std::move(merged);
  per_bucket_ *= 2;
}

DecimatedSeries SeriesMinMaxDecimator::finish() const {
  DecimatedSeries out;
  out.columns.resize(width_);
  auto emit = [&](const Bucket& bucket) {
    const bool two = bucket.last_t != bucket.first_t;
    out.t.push_back(bucket.first_t);
    if (two) out.t.push_back(bucket.last_t);
    for (std::size_t c = 0; c < width_; ++c) {
      std::vector<double>& column = out.columns[c];
      if (c >= bucket.series.size() || !bucket.series[c].seen) {
        column.insert(column.end(), two ? 2 : 1, kNaN);
        continue;
      }
      const Extremes& e = bucket.series[c];
      const bool low_first = e.low_t <= e.high_t;
      if (!two) {
        // One point for the bucket (its frames share a time): keep the extreme farther from
        // zero, the one a plot must not lose.
        column.push_back(std::abs(e.high) >= std::abs(e.low) ? e.high : e.low);
        continue;
      }
      column.push_back(low_first ? e.low : e.high);
      column.push_back(low_first ? e.high : e.low);
    }
  };
  for (const Bucket& bucket : buckets_) emit(bucket);
  if (open_.count > 0) emit(open_);
  return out;
}

}  // namespace migpower
