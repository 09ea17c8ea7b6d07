#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace migpower {

// What made a bucket's numbers, stored on every row so that a figure can always be traced.
struct BucketProvenance {
  std::string node;  // the agent's hostname
  std::string method;
  std::string idle_policy;
  std::string migpower_version;
};

// Grams CO2e (and cost) of a bucket: the intensity or price used and where it came from.
struct BucketCarbon {
  std::optional<double> location_g;       // location-based; none when no intensity was given
  std::optional<double> market_g;         // market-based, where a market series was given
  std::optional<double> intensity_g_kwh;  // the location-based value the bucket used
  std::string carbon_source;              // e.g. "constant", "grid.csv", "none"
  std::optional<double> cost;             // in `currency`, where a price was given
  std::string currency;
};

// One instance's energy over one segment of one time bucket. A segment is the part of a bucket
// one agent run saw: normally the whole bucket (segment_start_s = bucket_start_s); when the agent
// started or restarted inside a bucket, the segment begins at its first frame there. The key
// (gpu_uuid, gpu_i_id, profile, tenant, bucket_start_s, segment_start_s) makes a second write of
// the same segment (a retry, a replay, a second agent on the same card) a no-op, while a restart
// within a bucket adds a second segment rather than losing or repeating one.
struct InstanceBucket {
  std::string gpu_uuid;
  int gpu_i_id = 0;
  std::string profile;
  std::string tenant;  // "" when unknown
  std::int64_t bucket_start_s = 0;
  std::int64_t bucket_seconds = 60;
  double segment_start_s = 0.0;
  double energy_j = 0.0;
  double static_j = 0.0;
  double dynamic_j = 0.0;
  BucketCarbon carbon;
};

// The card's measured energy over the same segment: the instances' energy plus unattributed_j.
struct CardBucket {
  std::string gpu_uuid;
  std::string gpu_model;
  std::int64_t bucket_start_s = 0;
  std::int64_t bucket_seconds = 60;
  double segment_start_s = 0.0;
  double measured_j = 0.0;
  double unattributed_j = 0.0;
  std::int64_t frames = 0;
  BucketCarbon carbon;
};

// Everything one bucket segment of one card produced, written in one transaction.
struct BucketBatch {
  BucketProvenance provenance;
  CardBucket card;
  std::vector<InstanceBucket> instances;
};

}  // namespace migpower
