#include "sources/prometheus/dcgm_exporter_source.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/fields.hpp"

namespace migpower {

struct DcgmExporterSource::Endpoint {
  Endpoint(const std::string& url, const HttpOptions& http, LiveClock& clock,
           const std::atomic<bool>* stop)
      : split(split_url(url)),
        name(split.origin + split.target),
        fetcher(split.origin, http, clock, stop),
        parser(name),
        mapper(name) {
    mapper.use_sample_timestamps(false);
  }

  SplitUrl split;
  std::string name;  // the URL, in messages
  HttpFetcher fetcher;
  PrometheusTextParser parser;
  DcgmExporterFrames mapper;
};

DcgmExporterSource::DcgmExporterSource(DcgmExporterSourceOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : system_live_clock()),
      pacer_(clock_, options_.interval_s, options_.duration_s, options_.stop) {
  if (options_.urls.empty()) throw InputError("dcgm-exporter: no URL to scrape");
  for (const std::string& url : options_.urls) {
    endpoints_.push_back(std::make_unique<Endpoint>(url, options_.http, clock_, options_.stop));
  }
}

DcgmExporterSource::~DcgmExporterSource() = default;

bool DcgmExporterSource::next(Frame& out) {
  while (ready_pos_ == ready_.size()) {
    if (!scrape_round()) return false;
  }
  std::swap(out, ready_[ready_pos_++]);
  return true;
}

bool DcgmExporterSource::scrape_round() {
  const std::optional<double> round_time = pacer_.wait();
  if (!round_time) return false;
  ++rounds_;
  ready_.clear();
  ready_pos_ = 0;
  cards_.clear();
  for (const auto& endpoint : endpoints_) {
    const bool complete = endpoint->fetcher.get(
        endpoint->split.target,
        [&] {
          endpoint->parser.reset();
          endpoint->mapper.begin(*round_time);
        },
        [&](std::string_view chunk) { endpoint->parser.feed(chunk, endpoint->mapper); });
    if (!complete) return false;  // stopped during a back-off
    endpoint->parser.finish(endpoint->mapper);
    endpoint->mapper.finish(scratch_);
    const auto& cards = endpoint->mapper.cards();
    for (std::size_t i = 0; i < scratch_.size(); ++i) {
      // One card behind two URLs: a GPU's frames only move forward.
      auto [last, first] = last_time_.try_emplace(scratch_[i].gpu_uuid, scratch_[i].timestamp_s);
      if (!first) {
        if (scratch_[i].timestamp_s <= last->second) continue;
        last->second = scratch_[i].timestamp_s;
      }
      ready_.push_back(std::move(scratch_[i]));
      cards_.push_back(cards[i]);
    }
  }
  return true;
}

std::size_t DcgmExporterSource::dropped_values() const {
  std::size_t total = 0;
  for (const auto& endpoint : endpoints_) total += endpoint->mapper.dropped_values();
  return total;
}

std::vector<std::string> DcgmExporterSource::drop_examples() const {
  std::vector<std::string> examples;
  for (const auto& endpoint : endpoints_) {
    const auto& more = endpoint->mapper.drop_examples();
    examples.insert(examples.end(), more.begin(), more.end());
  }
  return examples;
}

namespace {

// Which trace fields a scrape filled, for each card.
std::vector<FieldProvision> provisions(const Frame& frame) {
  std::vector<FieldProvision> fields;
  const auto card = [&](std::string_view name, const std::optional<double>& value) {
    fields.push_back({std::string(name), value.has_value(),
                      value ? "the card's value (under MIG: one of its copies on the instances)"
                            : "no series on this card"});
  };
  card(field::kPower, frame.power_w);
  card(field::kEnergy, frame.energy_mj);
  card(field::kSmClock, frame.sm_clock_mhz);
  card(field::kMemClock, frame.mem_clock_mhz);
  card(field::kGpuTemp, frame.temperature_c);
  card(field::kPowerLimit, frame.power_limit_w);
  for (std::size_t a = 0; a < kActivityCount; ++a) {
    const bool provided = std::any_of(frame.instances.begin(), frame.instances.end(),
                                      [&](const InstanceSample& i) { return i.activity[a]; });
    fields.push_back({std::string(kActivityFieldNames[a]), provided,
                      provided ? "per instance" : "not exported (add it to the exporter's CSV)"});
  }
  const bool fb = std::any_of(frame.instances.begin(), frame.instances.end(),
                              [](const InstanceSample& i) { return i.fb_used_mib.has_value(); });
  fields.push_back({std::string(field::kFbUsed), fb, fb ? "per instance" : "not exported"});
  return fields;
}

}  // namespace

SourceReport probe_dcgm_exporter(const DcgmExporterSourceOptions& options) {
  SourceReport report;
  report.source = "dcgm-exporter";
  std::string urls;
  for (const auto& url : options.urls) urls += (urls.empty() ? "" : ", ") + url;
  try {
    DcgmExporterSourceOptions once = options;
    once.duration_s = once.interval_s;  // one round
    DcgmExporterSource source(once);
    Frame frame;
    std::vector<Frame> frames;
    while (source.next(frame)) frames.push_back(frame);
    report.available = true;
    report.detail = "scraped " + urls;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      CardReport card;
      card.uuid = frames[i].gpu_uuid;
      card.model = frames[i].gpu_model;
      const bool mig = std::any_of(frames[i].instances.begin(), frames[i].instances.end(),
                                   [](const InstanceSample& s) { return !s.profile.empty(); });
      card.mig = mig ? "on" : "off";
      if (mig) {
        for (const InstanceSample& s : frames[i].instances) {
          InstanceReport instance;
          instance.gpu_i_id = s.gpu_i_id;
          instance.profile = s.profile;
          instance.compute_slices = s.compute_slices;
          instance.memory_slices = s.memory_slices;
          card.instances.push_back(instance);
        }
      }
      card.fields = provisions(frames[i]);
      report.cards.push_back(std::move(card));
      const auto& identity = source.cards()[i];
      if (!identity.hostname.empty()) {
        report.notes.push_back(identity.uuid + " is gpu " + identity.gpu_index + " of host " +
                               identity.hostname);
      }
    }
    if (frames.empty()) report.notes.emplace_back("the exporter serves no GPU series");
    if (source.dropped_values() > 0) {
      report.notes.push_back(std::to_string(source.dropped_values()) +
                             " impossible values dropped, e.g. " + source.drop_examples()[0]);
    }
  } catch (const std::exception& e) {
    report.available = false;
    report.detail = e.what();
  }
  return report;
}

}  // namespace migpower
