// The floor any dcgm-exporter-based agent pays per frame: one HTTP GET of the exporter's
// /metrics, with a fresh connection as migpower's fetcher makes (keep-alive off), the body
// counted and dropped: no parsing, no frame, no CSV.
//
//   scrape_floor ORIGIN PATH INTERVAL_SECONDS FRAMES    (ORIGIN: http://127.0.0.1:9400)
#include <httplib.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace {

double now_s() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

void sleep_until(double t) {
  timespec until{};
  until.tv_sec = static_cast<time_t>(t);
  until.tv_nsec = static_cast<long>((t - static_cast<double>(until.tv_sec)) * 1e9);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) != 0) {
  }
}

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
