// The connection to DCGM, from opening the library to shutting it down (see dcgm_connection.hpp);
// what is set up on a connection is delegated to dcgm_discovery and dcgm_watches.
#include "sources/dcgm/dcgm_connection.hpp"

#include <utility>

#include "sources/dcgm/dcgm_discovery.hpp"
#include "sources/dcgm/dcgm_options.hpp"
#include "sources/dcgm/dcgm_watches.hpp"

namespace migpower::dcgm_source {

using dcgm::Return;

State::State(DcgmSourceOptions opts)
    : options(checked(std::move(opts))),
      clock(options.clock != nullptr ? *options.clock : system_live_clock()),
      pacer(clock, options.interval_s, options.duration_s, options.stop),
      library(options.library_path),
      fn(library.fn()) {}

State::~State() {
  teardown(*this);
  if (initialized) fn.shutdown();
}

void start(State& s) {
  const Return code = s.fn.init();
  if (code != dcgm::kOk) s.fail("dcgmInit", code);
  s.initialized = true;
  setup(s);
  s.now = s.clock.now_s();
  s.next_layout_check_s = s.now + s.options.layout_check_interval_s;
}

void setup(State& s) {
  connect(s);
  discover(s);
  watch(s);
}

void connect(State& s) {
  Return code = dcgm::kOk;
  if (s.options.host_engine.empty()) {
    code = s.fn.start_embedded(dcgm::kOperationModeAuto, &s.handle);
    if (code != dcgm::kOk) s.fail("dcgmStartEmbedded", code);
  } else {
    code = s.fn.connect(s.options.host_engine.c_str(), &s.handle);
    if (code != dcgm::kOk) s.fail("dcgmConnect(" + s.options.host_engine + ")", code);
  }
  s.connected = true;
}

void teardown(State& s) {
  if (!s.connected) return;
  drop_watch(s, s.instance_watch);
  drop_watch(s, s.card_watch);
  if (s.options.host_engine.empty()) {
    s.fn.stop_embedded(s.handle);
  } else {
    s.fn.disconnect(s.handle);
  }
  s.connected = false;
}

}  // namespace migpower::dcgm_source
