#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace migpower {

// Streaming min–max decimation for the report's plots: a day of 1 s frames is 86,400 points per
// line, far more than a plot is pixels wide, so each plot draws at most about `max_points` of
// them while the report's totals still come from every frame. Frames go into buckets of equal
// count; when there are too many buckets, neighbours merge and the count per bucket doubles, so
// memory stays bounded however long the input. Each bucket keeps its extremes in time order,
// so peaks and dips survive the decimation.

// The decimated columns: times and one column per series (NaN where a series had no value).
struct DecimatedSeries {
  std::vector<double> t;
  std::vector<std::vector<double>> columns;
};

// Keeps whole frames: in each bucket, the frame where the key (values[0], e.g. the card's
// measured power) is lowest and the one where it is highest, with every other value of those
// same frames. The values of a kept frame stay consistent with one another, so stacked areas
// still sum to the card's power at every drawn point.
class KeyedMinMaxDecimator {
 public:
  explicit KeyedMinMaxDecimator(std::size_t max_points);

  // `values` may grow longer over time (a new series); shorter rows read as NaN at the end.
  void add(double t, std::span<const double> values);
  [[nodiscard]] DecimatedSeries finish() const;
  [[nodiscard]] std::size_t frames() const { return frames_; }

 private:
  struct Point {
    double t = 0.0;
    std::vector<double> values;
  };
  struct Bucket {
    Point low;
    Point high;
    std::size_t count = 0;
  };
  void merge_buckets();

  std::size_t max_buckets_;
  std::size_t per_bucket_ = 1;
  std::vector<Bucket> buckets_;
  Bucket open_;
  std::size_t width_ = 0;  // the longest row seen
  std::size_t frames_ = 0;
};

// Each series on its own: in each bucket, every series' lowest and highest value (the first of
// the two in time drawn first) at the bucket's first and last time. For lines that are not
// stacked, e.g. estimated and true power of each instance.
class SeriesMinMaxDecimator {
 public:
  explicit SeriesMinMaxDecimator(std::size_t max_points);

  // NaN: the series has no value at this frame. `values` may grow longer over time.
  void add(double t, std::span<const double> values);
  [[nodiscard]] DecimatedSeries finish() const;
  [[nodiscard]] std::size_t frames() const { return frames_; }

 private:
  struct Extremes {
    double low = 0.0;
    double low_t = 0.0;
    double high = 0.0;
    double high_t = 0.0;
    bool seen = false;
  };
  struct Bucket {
    double first_t = 0.0;
    double last_t = 0.0;
    std::size_t count = 0;
    std::vector<Extremes> series;
  };
  static void merge_into(Bucket& into, const Bucket& from);
  void merge_buckets();

  std::size_t max_buckets_;
  std::size_t per_bucket_ = 1;
  std::vector<Bucket> buckets_;
  Bucket open_;
  std::size_t width_ = 0;
  std::size_t frames_ = 0;
};

}  // namespace migpower
