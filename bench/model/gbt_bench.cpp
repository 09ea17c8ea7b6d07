// Cost of the `gbt` model (XGBoost through its C API) on data that bench/model/xgboost_compare.py
// also gives XGBoost's Python package: training (DMatrix construction included) and
// predicting one frame of 7 instances. Writes its timings, the exact XGBoost parameters it used
// and some predictions as JSON, so the Python side trains the same model and checks it agrees.
//
//   gbt_bench --data FILE --threads N [--rounds 200] --out RESULT.json
//
// FILE: int64 rows, int64 columns, rows×columns float64 features (row-major), rows float64
// targets, all little-endian (bench/model/xgboost_compare.py writes it).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/gbt_model.hpp"

namespace {

using migpower::FeatureMatrix;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string data;
  std::string out;
  int threads = 0;
  int rounds = 200;
};

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: gbt_bench --data FILE --threads N [--rounds R] --out RESULT.json\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--data") {
      options.data = value;
    } else if (flag == "--out") {
      options.out = value;
    } else if (flag == "--threads") {
      options.threads = std::atoi(value);
    } else if (flag == "--rounds") {
      options.rounds = std::atoi(value);
    } else {
      usage();
    }
  }
  if (argc % 2 == 0 || options.data.empty() || options.out.empty() || options.threads < 1 ||
      options.rounds < 1) {
    usage();
  }
  return options;
}

void read_data(const std::string& path, FeatureMatrix& x, Eigen::VectorXd& y) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "gbt_bench: cannot open %s\n", path.c_str());
    std::exit(1);
  }
  std::int64_t shape[2] = {0, 0};
  in.read(reinterpret_cast<char*>(shape), sizeof shape);
  if (!in || shape[0] < 1 || shape[1] < 1) {
    std::fprintf(stderr, "gbt_bench: %s: bad header\n", path.c_str());
    std::exit(1);
  }
  x.resize(shape[0], shape[1]);
  y.resize(shape[0]);
  in.read(reinterpret_cast<char*>(x.data()), static_cast<std::streamsize>(x.size() * 8));
  in.read(reinterpret_cast<char*>(y.data()), static_cast<std::streamsize>(y.size() * 8));
  if (!in) {
    std::fprintf(stderr, "gbt_bench: %s: truncated\n", path.c_str());
    std::exit(1);
  }
}

// Median over 7 batches of the per-call time of `call`, in µs; batches sized to ~50 ms.
template <typename Call>
double per_call_us(Call call) {
  int batch = 1;
  for (;;) {
    const auto start = Clock::now();
    for (int i = 0; i < batch; ++i) call();
    if (Clock::now() - start > std::chrono::milliseconds(50)) break;
    batch *= 2;
  }
  std::vector<double> samples;
  for (int b = 0; b < 7; ++b) {
    const auto start = Clock::now();
    for (int i = 0; i < batch; ++i) call();
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
                      batch);
  }
  std::nth_element(samples.begin(), samples.begin() + 3, samples.end());
  return samples[3];
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  FeatureMatrix x;
  Eigen::VectorXd y;
  read_data(options.data, x, y);

  migpower::GbtHyperparameters hyperparameters;
  hyperparameters.nthread = options.threads;
  hyperparameters.num_boost_round = options.rounds;
  migpower::GbtModel model(hyperparameters);
  const auto start = Clock::now();
  model.fit(x, y);
  const double fit_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  // One frame: 7 instances' feature rows, as attribution hands them over.
  const FeatureMatrix frame = x.topRows(7);
  Eigen::VectorXd frame_out;
  double sink = 0.0;
  const double frame_us = per_call_us([&] {
    model.predict_all(frame, frame_out);
    sink += frame_out[0];
  });
  const double seven_singles_us = per_call_us([&] {
    for (Eigen::Index i = 0; i < frame.rows(); ++i) {
      sink += model.predict({frame.row(i).data(), static_cast<std::size_t>(frame.cols())});
    }
  });

  const Eigen::Index checked = std::min<Eigen::Index>(1000, x.rows());
  Eigen::VectorXd predictions;
  model.predict_all(x.topRows(checked), predictions);

  nlohmann::json parameters = nlohmann::json::object();
  for (const auto& [name, value] : model.booster_parameters()) parameters[name] = value;
  const nlohmann::json result = {
      {"rows", x.rows()},
      {"columns", x.cols()},
      {"threads", options.threads},
      {"num_boost_round", options.rounds},
      {"fit_seconds", fit_seconds},
      {"predict_frame_us", frame_us},
      {"predict_seven_singles_us", seven_singles_us},
      {"booster_parameters", parameters},
      {"predictions", std::vector<double>(predictions.data(), predictions.data() + checked)},
      {"sink", sink},
  };
  std::ofstream(options.out) << result.dump() << '\n';
  return 0;
}
