#pragma once

#include <functional>
#include <string>

namespace migpower {

// Where a live source (NVML, DCGM) tells what happened to it while reading, e.g. a GPU lost or
// a MIG layout change: the caller's handler, or else one "migpower: <message>" line on stderr,
// so that nothing an operator should see is silently dropped.
void tell_source_event(const std::function<void(const std::string&)>& handler,
                       const std::string& message);

}  // namespace migpower
