// Cost of the offline models, on data that bench/model/sklearn_compare.py reads too (bench/run runs
// both, then prints one table of ratios):
//
//   model_bench --write-data FILE [--rows N] [--features P]   generate the data set once
//   model_bench --data FILE [--repeat R] [--json OUT]          time our fits and predictions
//
// The data file: 8 bytes "MIGPBIN1", rows and columns as little-endian uint64, the features
// (rows × columns float64, row-major), then the targets (rows float64). Each timing is the
// fastest of R runs (the least disturbed by the rest of the machine) and its median.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "attribution/attributor.hpp"
#include "attribution/offline_model_estimator.hpp"
#include "model/features.hpp"
#include "model/linear_model.hpp"
#include "model/model_kinds.hpp"
#include "model/poly2_model.hpp"
#include "model/training_data.hpp"
#include "sim/simulator.hpp"

namespace migpower {
namespace {

constexpr char kMagic[8] = {'M', 'I', 'G', 'P', 'B', 'I', 'N', '1'};

struct Data {
  FeatureMatrix x;
  Eigen::VectorXd y;
};

// A power-like target: linear in every feature, a saturating square, an interaction, noise.
Data generate(Eigen::Index rows, Eigen::Index columns, unsigned seed) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 2.0);
  Data d{FeatureMatrix(rows, columns), Eigen::VectorXd(rows)};
  for (Eigen::Index i = 0; i < rows; ++i) {
    double y = 40.0;
    for (Eigen::Index j = 0; j < columns; ++j) {
      const double v = unit(random);
      d.x(i, j) = v;
      y += (10.0 + 5.0 * static_cast<double>(j)) * v;
    }
    y += -30.0 * d.x(i, 0) * d.x(i, 0) + 25.0 * d.x(i, 1) * d.x(i, columns - 1);
    d.y[i] = y + noise(random);
  }
  return d;
}

void write_data(const std::string& path, const Data& d) {
  std::ofstream out(path, std::ios::binary);
  const std::uint64_t shape[2] = {static_cast<std::uint64_t>(d.x.rows()),
                                  static_cast<std::uint64_t>(d.x.cols())};
  out.write(kMagic, sizeof kMagic);
  out.write(reinterpret_cast<const char*>(shape), sizeof shape);
  out.write(reinterpret_cast<const char*>(d.x.data()),
            static_cast<std::streamsize>(d.x.size() * sizeof(double)));
  out.write(reinterpret_cast<const char*>(d.y.data()),
            static_cast<std::streamsize>(d.y.size() * sizeof(double)));
  if (!out) {
    std::fprintf(stderr, "model_bench: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

Data read_data(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  std::uint64_t shape[2] = {};
  in.read(magic, sizeof magic);
  in.read(reinterpret_cast<char*>(shape), sizeof shape);
  if (!in || std::memcmp(magic, kMagic, sizeof kMagic) != 0) {
    std::fprintf(stderr, "model_bench: %s is not a model_bench data file\n", path.c_str());
    std::exit(1);
  }
  const auto rows = static_cast<Eigen::Index>(shape[0]);
  const auto columns = static_cast<Eigen::Index>(shape[1]);
  Data d{FeatureMatrix(rows, columns), Eigen::VectorXd(rows)};
  in.read(reinterpret_cast<char*>(d.x.data()),
          static_cast<std::streamsize>(d.x.size() * sizeof(double)));
  in.read(reinterpret_cast<char*>(d.y.data()),
          static_cast<std::streamsize>(d.y.size() * sizeof(double)));
  if (!in) {
    std::fprintf(stderr, "model_bench: %s is truncated\n", path.c_str());
    std::exit(1);
  }
  return d;
}

struct Timing {
  double best_s = 0.0;
  double median_s = 0.0;
  double cpu_s = 0.0;  // fastest process CPU time: what a busy machine disturbs less
};

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Runs `work` `repeat` times; each run does `inner` units of work, timed together.
Timing time_it(int repeat, double inner, const std::function<void()>& work) {
  std::vector<double> seconds;
  double cpu = 1e300;
  for (int i = 0; i < repeat; ++i) {
    const double cpu_start = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    work();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / inner);
    cpu = std::min(cpu, (cpu_seconds() - cpu_start) / inner);
  }
  std::sort(seconds.begin(), seconds.end());
  return {seconds.front(), seconds[seconds.size() / 2], cpu};
}

nlohmann::json timing_json(const Timing& t) {
  return {{"best_s", t.best_s}, {"median_s", t.median_s}, {"cpu_s", t.cpu_s}};
}

// Frames of seven 1g instances, as `attribute` sees them.
std::vector<Frame> seven_instance_frames() {
  SimulationOptions options;
  options.scenario = "seven-1g";
  options.duration_s = 1024;
  Simulator simulator(options);
  std::vector<Frame> frames;
  Frame frame;
  while (simulator.next(frame)) frames.push_back(frame);
  return frames;
}

// A ridge model on the real 22 features, trained as `migpower train` would on the simulator's
// isolated-instance scenario.
ModelFile ridge_on_features() {
  SimulationOptions options;
  options.scenario = "single";
  options.duration_s = 1800;
  Simulator simulator(options);
  TrainingDataBuilder builder;
  builder.add(simulator, "single");
  TrainingData data = builder.finish();
  ModelFile file;
  file.model = make_power_model("ridge");
  file.model->fit(data.x, data.y);
  file.training = data.summary;
  return file;
}

int run(const std::string& data_path, int repeat, const std::string& json_path) {
  const Data d = read_data(data_path);
  std::fprintf(stderr, "model_bench: %td rows x %td features\n", d.x.rows(), d.x.cols());
  nlohmann::json report;
  report["rows"] = d.x.rows();
  report["features"] = d.x.cols();
  report["repeat"] = repeat;

  // Fits, and a few predictions for sklearn_compare.py to check that both fitted the same model.
  const auto fit = [&](const char* name, PowerModel& model) {
    const Timing t = time_it(repeat, 1.0, [&] { model.fit(d.x, d.y); });
    std::vector<double> predictions;
    for (Eigen::Index i = 0; i < 16; ++i) {
      predictions.push_back(model.predict(
          std::span<const double>(d.x.row(i).data(), static_cast<std::size_t>(d.x.cols()))));
    }
    report["fit"][name] = timing_json(t);
    report["predictions"][name] = predictions;
    std::fprintf(stderr, "  %-7s fit  best %8.2f ms  median %8.2f ms\n", name, 1e3 * t.best_s,
                 1e3 * t.median_s);
  };
  LinearModel linear;
  fit("linear", linear);
  LinearModel ridge(1.0);
  fit("ridge", ridge);
  Poly2Model poly2(1.0);
  fit("poly2", poly2);

  // Prediction for one frame of 7 instances, on the data's own columns (what sklearn's
  // Ridge.predict on a 7-row array does).
  constexpr int kFrames = 200000;
  const auto p = static_cast<std::size_t>(d.x.cols());
  double sink = 0.0;
  const Timing predict7 = time_it(repeat, kFrames, [&] {
    for (int f = 0; f < kFrames; ++f) {
      const Eigen::Index base = (f * 7) % (d.x.rows() - 7);
      for (Eigen::Index i = 0; i < 7; ++i) {
        sink += ridge.predict(std::span<const double>(d.x.row(base + i).data(), p));
      }
    }
  });
  report["predict_frame"]["ridge"] = timing_json(predict7);

  // The real path of a frame: 7 instances' features from a simulator frame, then a ridge model
  // on those 22 features; and a whole attribution of the frame with that model.
  const std::vector<Frame> frames = seven_instance_frames();
  ModelFile file = ridge_on_features();
  const auto& model = *file.model;
  FeatureExtractor extractor;
  FeatureVector features{};
  const Timing features_predict = time_it(repeat, kFrames, [&] {
    for (int f = 0; f < kFrames; ++f) {
      const Frame& frame = frames[static_cast<std::size_t>(f) % frames.size()];
      const CardContext card = extractor.card(frame);
      for (const auto& instance : frame.instances) {
        FeatureExtractor::instance_features(card, instance, features);
        sink += model.predict(features);
      }
    }
  });
  report["predict_frame"]["features_ridge22"] = timing_json(features_predict);

  Attributor attributor(AttributionOptions{},
                        std::make_unique<OfflineModelEstimator>(std::move(file), "bench"));
  FrameAttribution out;
  const Timing attribute = time_it(repeat, kFrames, [&] {
    for (int f = 0; f < kFrames; ++f) {
      attributor.attribute(frames[static_cast<std::size_t>(f) % frames.size()], out);
      sink += out.shares.empty() ? 0.0 : out.shares[0].power_w;
    }
  });
  report["predict_frame"]["attribute_ridge22"] = timing_json(attribute);
  report["sink"] = sink;  // keeps the loops from being optimized away
  std::fprintf(stderr,
               "  per frame of 7 instances: ridge predict %.3f us, features + predict %.3f us, "
               "whole attribution %.3f us\n",
               1e6 * predict7.best_s, 1e6 * features_predict.best_s, 1e6 * attribute.best_s);

  if (!json_path.empty()) {
    std::ofstream(json_path) << report.dump(2) << "\n";
  } else {
    std::printf("%s\n", report.dump(2).c_str());
  }
  return 0;
}

}  // namespace
}  // namespace migpower

int main(int argc, char** argv) {
  std::string write_path;
  std::string data_path;
  std::string json_path;
  long rows = 1000000;
  long features = 10;
  int repeat = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "model_bench: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--write-data") {
      write_path = value();
    } else if (arg == "--data") {
      data_path = value();
    } else if (arg == "--json") {
      json_path = value();
    } else if (arg == "--rows") {
      rows = std::stol(value());
    } else if (arg == "--features") {
      features = std::stol(value());
    } else if (arg == "--repeat") {
      repeat = std::max(1, std::stoi(value()));
    } else {
      std::fprintf(stderr,
                   "usage: model_bench --write-data FILE [--rows N] [--features P]\n"
                   "       model_bench --data FILE [--repeat R] [--json OUT]\n");
      return 2;
    }
  }
  if (!write_path.empty()) {
    migpower::write_data(write_path, migpower::generate(rows, features, 1));
    return 0;
  }
  if (data_path.empty()) {
    std::fprintf(stderr, "model_bench: give --write-data FILE or --data FILE\n");
    return 2;
  }
  return migpower::run(data_path, repeat, json_path);
}
