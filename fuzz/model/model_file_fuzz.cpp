// Checks the model-file loader of src/model/model_file.hpp on arbitrary bytes: only InputError
// may escape, and a file it accepts is a usable model: it predicts from the full feature vector,
// and writing it out and reading it back gives the same kind, provenance and predictions.
//
// Input layout: the bytes are the file's text, as `--model FILE` would read them.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "model/features.hpp"
#include "model/model_file.hpp"

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "model_file_fuzz: %s\n", what);
  std::abort();
}

// Equal, or both NaN: a loaded model may legally predict NaN from huge weights.
bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (a != a && b != b); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  migpower::ModelFile file;
  try {
    file = migpower::parse_model_file(text, "fuzz.json");
  } catch (const migpower::InputError& e) {
    if (std::string_view(e.what()).rfind("fuzz.json: ", 0) != 0) {
      broken("an error that does not name the file");
    }
    return 0;
  }
  if (!file.model) broken("accepted a file without a model");
  if (file.training.validation_rows > file.training.rows) broken("more validation rows than rows");

  // Two feature vectors: all zeros and a ramp inside the features' range.
  std::vector<double> zeros(migpower::kFeatureCount, 0.0);
  std::vector<double> ramp(migpower::kFeatureCount);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<double>(i + 1) / 32.0;
  double first[2] = {};
  try {
    first[0] = file.model->predict(zeros);
    first[1] = file.model->predict(ramp);
  } catch (const migpower::InputError&) {
    broken("an accepted model cannot predict from the full feature vector");
  }

  const std::string written = migpower::model_file_json(file).dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  migpower::ModelFile again;
  try {
    again = migpower::parse_model_file(written, "again.json");
  } catch (const migpower::InputError& e) {
    std::fprintf(stderr, "model_file_fuzz: %s\n", e.what());
    broken("a file written from an accepted one is refused");
  }
  if (again.model->kind() != file.model->kind()) broken("the kind changed on the round trip");
  if (again.training.gpu_model != file.training.gpu_model ||
      again.training.rows != file.training.rows ||
      again.training.workloads != file.training.workloads) {
    broken("the training summary changed on the round trip");
  }
  if (!same(again.model->predict(zeros), first[0]) || !same(again.model->predict(ramp), first[1])) {
    broken("predictions changed on the round trip");
  }
  return 0;
}
