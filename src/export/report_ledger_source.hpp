#pragma once

#include <cstddef>
#include <vector>

#include "export/report_source.hpp"
#include "ledger/bucket_rows.hpp"

namespace migpower {

// A report from a ledger's stored buckets (LedgerStore::read): one ReportFrame per card segment,
// its power the segment's mean, each instance's tenant as its workload label (so `--group-by
// tenant` groups by the ledger's tenants), the intensities the bucket recorded. Nothing is
// attributed again: the figures are those that were billed.
class LedgerReportSource final : public ReportSource {
 public:
  // `info.method` and `info.idle_policy` are taken from the batches (or "mixed" when they
  // differ) when left empty.
  LedgerReportSource(std::vector<BucketBatch> batches, ReportSourceInfo info);

  [[nodiscard]] const ReportSourceInfo& info() const override { return info_; }
  bool next(ReportFrame& out) override;

 private:
  std::vector<BucketBatch> batches_;
  ReportSourceInfo info_;
  std::size_t next_ = 0;
};

}  // namespace migpower
