#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attribution/attributor.hpp"
#include "core/frame.hpp"
#include "export/report_source.hpp"
#include "ledger/energy_ledger.hpp"

namespace migpower {

// The part of the input a report covers: frames whose timestamp is in [from_s, to_s], either
// end open when unset.
struct ReportPeriod {
  std::optional<double> from_s;
  std::optional<double> to_s;
};

// A ReportSource over frames (a trace, the simulator): each frame is attributed by the usual
// pipeline (the Attributor, as `migpower attribute` does) and integrated by the EnergyLedger,
// and handed on with the energy of the interval it closes. Frames before the period are still
// attributed, so that an online model has learnt from them, but count for nothing; reading stops
// at the first frame after it. The period's energy is integrated from its first frame to its
// last, so the instances' energy plus the unattributed energy is the card's measured energy over
// exactly that span.
class AttributedReportSource final : public ReportSource {
 public:
  AttributedReportSource(FrameSource& frames, Attributor attributor, ReportSourceInfo info,
                         ReportPeriod period = {});

  [[nodiscard]] const ReportSourceInfo& info() const override { return info_; }
  bool next(ReportFrame& out) override;

  // The ledger of the period's frames, for checks and for reports that want its cards.
  [[nodiscard]] const EnergyLedger& ledger() const { return ledger_; }

 private:
  // Each card's ledger totals after its last frame, to take each interval's energy from them.
  struct CardTotals {
    std::string gpu_uuid;
    double energy_j = 0.0;
    double unattributed_j = 0.0;
  };
  CardTotals& totals_for(const std::string& gpu_uuid);

  FrameSource& frames_;
  Attributor attributor_;
  ReportSourceInfo info_;
  ReportPeriod period_;
  EnergyLedger ledger_;
  std::vector<CardTotals> totals_;
  Frame frame_;
  FrameAttribution attribution_;
  bool done_ = false;
};

}  // namespace migpower
