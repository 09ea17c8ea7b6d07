// The source's report: reads every GPU once and says what was found (cards, MIG mode, GPU
// instances) and which trace fields DCGM fills, or why it does not.
#pragma once

#include "sources/dcgm/dcgm_state.hpp"
#include "sources/source_report.hpp"

namespace migpower::dcgm_source {

// The report DcgmSource::report() returns; the next tick after it starts afresh.
[[nodiscard]] SourceReport make_report(State& s);

}  // namespace migpower::dcgm_source
