// GPM (GPU Performance Monitoring, Hopper and later): the activity fields of each instance, from
// two samples a frame apart. Support is asked once per card; samples are kept per instance.
#pragma once

#include <array>
#include <memory>
#include <string_view>

#include "core/fields.hpp"
#include "core/frame.hpp"
#include "sources/nvml/nvml_api.hpp"
#include "sources/nvml/nvml_card.hpp"
#include "sources/nvml/nvml_session.hpp"

namespace migpower::nvml {

// GPM metric for each activity field, in the order of kActivityFieldNames.
struct GpmMetricInfo {
  unsigned id;
  std::string_view name;
};
inline constexpr std::array<GpmMetricInfo, kActivityCount> kGpmMetrics = {{
    {kGpmGraphicsUtil, "NVML_GPM_METRIC_GRAPHICS_UTIL"},
    {kGpmSmUtil, "NVML_GPM_METRIC_SM_UTIL"},
    {kGpmSmOccupancy, "NVML_GPM_METRIC_SM_OCCUPANCY"},
    {kGpmAnyTensorUtil, "NVML_GPM_METRIC_ANY_TENSOR_UTIL"},
    {kGpmDramBwUtil, "NVML_GPM_METRIC_DRAM_BW_UTIL"},
    {kGpmFp64Util, "NVML_GPM_METRIC_FP64_UTIL"},
    {kGpmFp32Util, "NVML_GPM_METRIC_FP32_UTIL"},
    {kGpmFp16Util, "NVML_GPM_METRIC_FP16_UTIL"},
}};

// Card::gpm_returns of a metric not read yet.
inline constexpr Return kNoAnswerYet = -1;

// Turns GPM off from the start when the library lacks one of its functions.
void init_gpm_caps(const Session& session, Card& card);

// Frees the instance's samples (its layout changed, or the card is released).
void free_gpm_samples(const Session& session, Instance& instance);

// Reads GPM metrics, reusing one request buffer for every card and instance.
class GpmReader {
 public:
  explicit GpmReader(Session& session);

  // Takes a GPM sample of the instance and, from the second on, fills its activity over the
  // interval since the previous one.
  void read(Card& card, Instance& instance, InstanceSample& sample);

 private:
  // GPM works on this card (asked once).
  bool ready(Card& card);

  Session& session_;
  std::unique_ptr<GpmMetricsGet> metrics_;  // 13 KB, reused by every GPM reading
};

}  // namespace migpower::nvml
