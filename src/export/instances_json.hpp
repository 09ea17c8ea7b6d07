#pragma once

#include <string>
#include <string_view>

#include "export/live_snapshot.hpp"

namespace migpower {

// The agent's /api/v1/instances document: per card its measured power and energy, per instance
// its power, parts, uncertainty, energy since start and its labels. `gpu_uuid`: only that card
// (empty: every card). Cards whose latest frame is older than stale_after_s are left out.
[[nodiscard]] std::string instances_json(const LiveSnapshot& snapshot, std::string_view gpu_uuid,
                                         double now_wall_s, double stale_after_s);

}  // namespace migpower
