#include "model/training_data.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/catalog.hpp"
#include "core/error.hpp"

namespace migpower {

TrainingDataBuilder::TrainingDataBuilder(TrainingDataOptions options) : options_(options) {}

bool TrainingDataBuilder::active(const InstanceSample& instance) const {
  auto level = instance.get(Activity::gr_engine);
  if (!level || !std::isfinite(*level)) level = instance.get(Activity::sm);
  return level && std::isfinite(*level) && *level > options_.active_threshold;
}

std::uint32_t TrainingDataBuilder::gpu_index(const Frame& frame) {
  for (std::size_t i = 0; i < gpus_.size(); ++i) {
    if (gpus_[i].uuid == frame.gpu_uuid) return static_cast<std::uint32_t>(i);
  }
  GpuFloor& gpu = gpus_.emplace_back();
  gpu.uuid = frame.gpu_uuid;
  if (const GpuModel* model = find_gpu_model(frame.gpu_model)) {
    gpu.idle_w = model->idle_w;
    gpu.catalogued = true;
  }
  return static_cast<std::uint32_t>(gpus_.size() - 1);
}

void TrainingDataBuilder::add_frame(const Frame& frame, std::uint32_t source) {
  ++summary_.frames;
  if (!frame.power_w || !std::isfinite(*frame.power_w) || *frame.power_w < 0.0) {
    ++summary_.frames_without_power;
    return;
  }
  if (!have_gpu_model_) {
    summary_.gpu_model = frame.gpu_model;
    have_gpu_model_ = true;
  } else if (!same_gpu_model(summary_.gpu_model, frame.gpu_model)) {
    throw InputError("frames from GPU models '" + summary_.gpu_model + "' and '" + frame.gpu_model +
                     "': train one model per GPU model");
  }
  GpuFloor& gpu = gpus_[gpu_index(frame)];
  const double power = *frame.power_w;
  if (!gpu.seen_power || power < gpu.min_power_w) gpu.min_power_w = power;
  gpu.seen_power = true;

  const InstanceSample* chosen = nullptr;
  std::size_t active_count = 0;
  for (const auto& instance : frame.instances) {
    if (active(instance)) {
      ++active_count;
      chosen = &instance;
    }
  }
  if (active_count > 1) {
    ++summary_.frames_concurrent;
    return;
  }
  if (active_count == 0) {
    if (frame.instances.size() != 1) {  // which idle instance drew the little there is?
      ++summary_.frames_idle;
      return;
    }
    chosen = &frame.instances.front();
  }

  const CardContext card = extractor_.card(frame);
  const std::size_t offset = features_.size();
  features_.resize(offset + kFeatureCount);
  FeatureExtractor::instance_features(
      card, *chosen, std::span<double, kFeatureCount>(features_.data() + offset, kFeatureCount));
  power_w_.push_back(power);
  row_gpu_.push_back(static_cast<std::uint32_t>(&gpu - gpus_.data()));
  timestamp_s_.push_back(frame.timestamp_s);
  source_.push_back(source);
  if (!chosen->workload.empty() &&
      std::find(workloads_.begin(), workloads_.end(), chosen->workload) == workloads_.end()) {
    workloads_.push_back(chosen->workload);
  }
}

void TrainingDataBuilder::add(FrameSource& source, const std::string& name,
                              const std::function<void()>& tick) {
  const auto index = static_cast<std::uint32_t>(summary_.sources.size());
  summary_.sources.push_back(name);
  Frame frame;
  try {
    while (source.next(frame)) {
      add_frame(frame, index);
      if (tick) tick();
    }
  } catch (const LocatedError&) {
    throw;  // already names the file and line
  } catch (const InputError& e) {
    throw InputError(name + ": " + e.what());
  }
}

TrainingData TrainingDataBuilder::finish() {
  TrainingData data;
  const auto rows = static_cast<Eigen::Index>(power_w_.size());
  data.x = Eigen::Map<const FeatureMatrix>(features_.data(), rows,
                                           static_cast<Eigen::Index>(kFeatureCount));
  data.y.resize(rows);
  for (Eigen::Index i = 0; i < rows; ++i) {
    const GpuFloor& gpu = gpus_[row_gpu_[static_cast<std::size_t>(i)]];
    data.y[i] =
        power_w_[static_cast<std::size_t>(i)] - (gpu.catalogued ? gpu.idle_w : gpu.min_power_w);
  }
  data.timestamp_s = std::move(timestamp_s_);
  data.source = std::move(source_);
  data.summary = std::move(summary_);
  data.summary.rows = static_cast<std::size_t>(rows);
  data.summary.workloads = std::move(workloads_);
  std::sort(data.summary.workloads.begin(), data.summary.workloads.end());
  if (!data.timestamp_s.empty()) {
    const auto [lo, hi] = std::minmax_element(data.timestamp_s.begin(), data.timestamp_s.end());
    data.summary.start_s = *lo;
    data.summary.end_s = *hi;
  }
  std::ostringstream floor;
  const bool all_catalogued =
      std::all_of(gpus_.begin(), gpus_.end(), [](const GpuFloor& g) { return g.catalogued; });
  if (gpus_.empty()) {
    floor << "none (no frame with power)";
  } else if (all_catalogued) {
    floor << "catalog idle floor, " << gpus_.front().idle_w << " W";
  } else {
    floor << "lowest power seen per GPU (not in the catalog):";
    for (const auto& gpu : gpus_) {
      floor << " " << (gpu.catalogued ? gpu.idle_w : gpu.min_power_w) << " W";
    }
  }
  data.summary.static_power = floor.str();

  *this = TrainingDataBuilder(options_);
  return data;
}

ValidationSplit split_by_time_blocks(const TrainingData& data, double fraction,
                                     std::size_t blocks) {
  ValidationSplit split;
  const std::size_t n = data.timestamp_s.size();
  if (!(fraction > 0.0) || blocks == 0) {
    split.training.resize(n);
    for (std::size_t i = 0; i < n; ++i) split.training[i] = static_cast<Eigen::Index>(i);
    return split;
  }
  // Each trace's own time span, so a short trace is split as finely as a long one.
  const std::size_t sources = data.summary.sources.size();
  std::vector<double> first(sources, std::numeric_limits<double>::infinity());
  std::vector<double> last(sources, -std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < n; ++i) {
    first[data.source[i]] = std::min(first[data.source[i]], data.timestamp_s[i]);
    last[data.source[i]] = std::max(last[data.source[i]], data.timestamp_s[i]);
  }
  const auto b_count = static_cast<double>(blocks);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t s = data.source[i];
    const double span = last[s] - first[s];
    const double position = span > 0.0 ? (data.timestamp_s[i] - first[s]) / span : 0.0;
    const double block = std::min(std::floor(position * b_count), b_count - 1.0);
    // Block b is held out when the running total (b + 1)·fraction passes a whole number: the
    // held-out blocks are spread evenly, about fraction·blocks of them.
    const bool held_out = std::floor((block + 1.0) * fraction) > std::floor(block * fraction);
    (held_out ? split.validation : split.training).push_back(static_cast<Eigen::Index>(i));
  }
  return split;
}

void take_rows(const TrainingData& data, const std::vector<Eigen::Index>& rows, FeatureMatrix& x,
               Eigen::VectorXd& y) {
  const auto n = static_cast<Eigen::Index>(rows.size());
  x.resize(n, data.x.cols());
  y.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    x.row(i) = data.x.row(rows[static_cast<std::size_t>(i)]);
    y[i] = data.y[rows[static_cast<std::size_t>(i)]];
  }
}

}  // namespace migpower
