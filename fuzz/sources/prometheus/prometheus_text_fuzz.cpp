// Feeds arbitrary bytes to PrometheusTextParser as a /metrics payload, in chunks, with
// DcgmExporterFrames as the visitor, and checks the result against a parse of the whole payload
// in one piece. InputError (LocatedError) is the expected outcome for bad input; any other
// exception, a crash, a sanitizer report, a hang or a broken invariant is a bug.
//
// Input layout: byte 0 picks the chunk size (1 + byte), the rest is the payload.
//
// Invariants: chunking never changes what is reported (the same samples, or the same error at
// the same line and column); frames have a UUID, a finite time, unique instance ids in
// ascending order, fractions in 0..1, and card values that are finite and not negative.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/frame.hpp"
#include "sources/prometheus/dcgm_exporter_frames.hpp"
#include "sources/prometheus/prometheus_text.hpp"

namespace {

using migpower::Frame;

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "prometheus_text_fuzz: invariant broken: %s (%s)\n", what, detail.c_str());
  std::abort();
}

// Writes every sample down (and forwards it to the frame mapper), so two parses compare.
class Recorder : public migpower::PromVisitor {
 public:
  explicit Recorder(migpower::DcgmExporterFrames* mapper) : mapper_(mapper) {}
  void on_sample(const migpower::PromSample& sample) override {
    if (!std::isnan(sample.value) && sample.name.empty()) broken("empty metric name", "");
    log_.append(std::to_string(sample.line)).append(" ").append(sample.name).append("{");
    for (const auto& label : sample.labels) {
      if (label.name.empty()) broken("empty label name", std::string(sample.name));
      log_.append(label.name).append("=").append(label.value).append(",");
    }
    char value[64];
    std::snprintf(value, sizeof(value), "} %a", sample.value);
    log_.append(value);
    if (sample.timestamp_ms) log_.append(" @").append(std::to_string(*sample.timestamp_ms));
    log_.push_back('\n');
    if (mapper_ == nullptr) return;
    try {
      mapper_->on_sample(sample);
    } catch (const migpower::InputError& e) {
      mapping_error_ = e.what();  // a bad GPU_I_ID: the mapper's own, located error
      mapper_ = nullptr;          // the parse goes on, so it still compares
    }
  }
  void on_help(std::string_view metric, std::string_view text) override {
    log_.append("HELP ").append(metric).append(" ").append(text).push_back('\n');
  }
  void on_type(std::string_view metric, migpower::PromMetricType type) override {
    log_.append("TYPE ").append(metric).append(" ").append(to_string(type)).push_back('\n');
  }
  [[nodiscard]] const std::string& log() const { return log_; }
  [[nodiscard]] const std::string& mapping_error() const { return mapping_error_; }

 private:
  migpower::DcgmExporterFrames* mapper_;
  std::string log_;
  std::string mapping_error_;
};

struct Outcome {
  std::string log;
  std::string error;          // empty: parsed
  std::string mapping_error;  // empty: every sample mapped
};

Outcome parse(std::string_view payload, std::size_t chunk, migpower::DcgmExporterFrames* mapper) {
  Outcome outcome;
  Recorder recorder(mapper);
  migpower::PrometheusTextParser parser("fuzz");
  try {
    for (std::size_t at = 0; at < payload.size(); at += chunk) {
      parser.feed(payload.substr(at, chunk), recorder);
    }
    parser.finish(recorder);
  } catch (const migpower::LocatedError& e) {
    outcome.error = e.what();
    if (e.line() == 0) broken("error without a line", e.what());
  }
  outcome.log = recorder.log();
  outcome.mapping_error = recorder.mapping_error();
  return outcome;
}

void check_frame(const Frame& frame) {
  if (frame.gpu_uuid.empty()) broken("frame without a UUID", "");
  if (!std::isfinite(frame.timestamp_s)) broken("time not finite", frame.gpu_uuid);
  for (const auto* value : {&frame.power_w, &frame.energy_mj, &frame.sm_clock_mhz,
                            &frame.mem_clock_mhz, &frame.temperature_c, &frame.power_limit_w}) {
    if (*value && !(std::isfinite(**value) && **value >= 0.0)) {
      broken("card value negative or not finite", std::to_string(**value));
    }
  }
  for (std::size_t i = 0; i < frame.instances.size(); ++i) {
    const auto& instance = frame.instances[i];
    if (i > 0 && instance.gpu_i_id <= frame.instances[i - 1].gpu_i_id) {
      broken("instance ids not unique and ascending", std::to_string(instance.gpu_i_id));
    }
    if (instance.gpu_i_id < 0) broken("negative instance id", std::to_string(instance.gpu_i_id));
    for (const auto& fraction : instance.activity) {
      if (fraction && !(*fraction >= 0.0 && *fraction <= 1.0)) {
        broken("activity fraction outside 0..1", std::to_string(*fraction));
      }
    }
    if (instance.fb_used_mib && !(*instance.fb_used_mib >= 0.0)) {
      broken("negative frame buffer", std::to_string(*instance.fb_used_mib));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + static_cast<std::size_t>(data[0]);
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);

  const Outcome whole = parse(payload, payload.size() + 1, nullptr);
  migpower::DcgmExporterFrames mapper("fuzz");
  mapper.begin(1763000000.0);
  const Outcome pieces = parse(payload, chunk, &mapper);
  if (pieces.log != whole.log) broken("chunking changed the samples", std::to_string(chunk));
  if (pieces.error != whole.error) {
    broken("chunking changed the error", pieces.error + " vs " + whole.error);
  }
  if (pieces.mapping_error.empty()) {
    std::vector<Frame> frames;
    mapper.finish(frames);
    for (const Frame& frame : frames) check_frame(frame);
    if (mapper.cards().size() != frames.size()) broken("cards and frames differ", "");
  }
  return 0;
}
