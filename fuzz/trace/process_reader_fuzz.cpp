// Feeds arbitrary bytes to ProcessReader as a per-process side file (record --processes) and asks
// it for frames as attribute --processes does. InputError (with LocatedError) is the expected
// outcome for bad input; any other exception, a crash, a sanitizer report, a hang or a broken
// invariant is a bug.
//
// Input layout: bytes 0-1 pick the frames asked for (a step of 0.5 to 128 s from 0, and the GPU
// asked: "GPU-a" or "GPU-b"), the rest is the file.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "scratch_file.hpp"
#include "trace/process_reader.hpp"

namespace {

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "process_reader_fuzz: invariant broken: %s (%s)\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const double step_s = 0.5 * static_cast<double>(1U << (data[0] % 9U));
  const std::string uuid = (data[1] & 1U) != 0 ? "GPU-b" : "GPU-a";
  const std::string& path =
      migpower::fuzz::write_scratch_file("process_reader_fuzz", data + 2, size - 2);
  try {
    migpower::ProcessReader reader(path);
    std::size_t returned = 0;
    for (int frame = 0; frame < 64; ++frame) {
      const double t = step_s * frame;
      for (const migpower::ProcessSample& row : reader.at(t, uuid)) {
        ++returned;
        if (row.gpu_uuid != uuid) broken("a row of another GPU", row.gpu_uuid);
        if (std::fabs(row.timestamp_s - t) > migpower::ProcessReader::kSameTimeS) {
          broken("a row of another time", row.timestamp_text);
        }
        for (const auto& util : {row.sm_util_pct, row.mem_util_pct}) {
          if (util && !(*util >= 0.0 && *util <= 100.0)) broken("utilization out of range", "");
        }
      }
    }
    reader.finish();
    if (reader.rows_matched() != returned) broken("matched rows miscounted", "");
    if (reader.rows_matched() + reader.rows_unmatched() != reader.rows_read()) {
      broken("rows read != matched + unmatched", std::to_string(reader.rows_read()));
    }
  } catch (const migpower::InputError&) {
    // Bad input, reported as it should be.
  }
  return 0;
}
