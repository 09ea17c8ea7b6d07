// The floor any dcgm-exporter-based agent pays per frame: one HTTP GET of the exporter's
// /metrics, with a fresh connection as migpower's fetcher makes (keep-alive off), the body
// counted and dropped: no parsing, no frame, no CSV.
//
//   scrape_floor ORIGIN PATH INTERVAL_SECONDS FRAMES    (ORIGIN: http://127.0.0.1:9400)
#include <httplib.h>

#include <cstdio>
#include <cstdlib>

#include "floor_pacing.hpp"

namespace {

using floor_pacing::now_s;
using floor_pacing::sleep_until;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: scrape_floor ORIGIN PATH INTERVAL_SECONDS FRAMES\n");
    return 2;
  }
  httplib::Client client(argv[1]);
  client.set_keep_alive(false);
  const char* path = argv[2];
  const double interval = std::atof(argv[3]);
  const long frames = std::atol(argv[4]);
  const double start = now_s();
  std::size_t bytes = 0;
  for (long frame = 0; frame < frames; ++frame) {
    sleep_until(start + static_cast<double>(frame) * interval);
    const auto result = client.Get(path, [&](const char*, std::size_t size) {
      bytes += size;
      return true;
    });
    if (!result || result->status != 200) {
      std::fprintf(stderr, "scrape_floor: GET %s%s failed\n", argv[1], path);
      return 1;
    }
  }
  std::printf("frames %ld bytes %zu\n", frames, bytes);
  return 0;
}
