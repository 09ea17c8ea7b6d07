#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/frame.hpp"
#include "sources/interval_pacer.hpp"
#include "sources/live_clock.hpp"
#include "sources/prometheus/dcgm_exporter_frames.hpp"
#include "sources/prometheus/http_fetch.hpp"
#include "sources/source_report.hpp"

namespace migpower {

struct DcgmExporterSourceOptions {
  std::vector<std::string> urls;     // each a dcgm-exporter /metrics URL
  double interval_s = 1.0;           // between the starts of two scrape rounds
  std::optional<double> duration_s;  // none: until stopped
  HttpOptions http{.connect_timeout_s = 2.0,
                   .read_timeout_s = 5.0,
                   .total_timeout_s = 10.0,
                   .attempts = 3,
                   .backoff_initial_s = 0.25,
                   .backoff_factor = 2.0,
                   .backoff_max_s = 2.0,
                   .max_body_bytes = std::size_t{64} << 20};
  LiveClock* clock = nullptr;               // null: the system clock
  const std::atomic<bool>* stop = nullptr;  // next() returns false once it is true
};

// Frames from one or more dcgm-exporter endpoints, scraped live (docs/live-telemetry.md). A
// round scrapes every URL in turn, each GET streamed straight into the Prometheus text parser,
// and yields the frames of all their cards stamped with the round's time, so a round is one
// instant. Rounds are paced by IntervalPacer: a round that overruns skips the missed ticks.
//
// An endpoint that cannot be read after its retries ends the source with an InputError naming
// the URL and the cause; a payload that is not Prometheus text ends it with a LocatedError
// naming the URL, line and column (garbage is not retried). Every wait is bounded by the HTTP
// options, so a hung exporter cannot hang migpower.
class DcgmExporterSource : public FrameSource {
 public:
  // Throws InputError for no URL, a URL that is not http(s), a bad interval or duration.
  explicit DcgmExporterSource(DcgmExporterSourceOptions options);
  ~DcgmExporterSource() override;
  DcgmExporterSource(const DcgmExporterSource&) = delete;
  DcgmExporterSource& operator=(const DcgmExporterSource&) = delete;

  bool next(Frame& out) override;

  [[nodiscard]] std::size_t rounds() const { return rounds_; }
  // Values dropped as impossible, over all endpoints, with the first few messages.
  [[nodiscard]] std::size_t dropped_values() const;
  [[nodiscard]] std::vector<std::string> drop_examples() const;
  // The cards of the last round, in the order of its frames.
  [[nodiscard]] const std::vector<DcgmExporterCard>& cards() const { return cards_; }

 private:
  struct Endpoint;
  bool scrape_round();

  DcgmExporterSourceOptions options_;
  LiveClock& clock_;
  IntervalPacer pacer_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::size_t rounds_ = 0;
  std::vector<Frame> ready_;
  std::size_t ready_pos_ = 0;
  std::vector<Frame> scratch_;
  std::vector<DcgmExporterCard> cards_;
  std::unordered_map<std::string, double> last_time_;  // per GPU: frames only move forward
};

// One scrape of every URL, as `migpower sources` shows it: the cards, their MIG instances and
// which trace fields the exporter serves. Unavailable (with the reason) when a scrape fails.
[[nodiscard]] SourceReport probe_dcgm_exporter(const DcgmExporterSourceOptions& options);

}  // namespace migpower
