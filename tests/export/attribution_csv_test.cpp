#include "export/attribution_csv.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace migpower {
namespace {

Frame frame_with(const std::string& workload) {
  Frame frame;
  frame.timestamp_text = "1767225600.500";
  frame.gpu_uuid = "GPU-1";
  InstanceSample a;
  a.gpu_i_id = 7;
  a.profile = "1g.5gb";
  a.workload = workload;
  frame.instances.push_back(a);
  InstanceSample b;
  b.gpu_i_id = 9;
  b.profile = "3g.20gb";
  frame.instances.push_back(b);
  return frame;
}

TEST(AttributionCsvWriter, WritesOneRowPerInstanceWithMilliwatts) {
  std::ostringstream out;
  {
    AttributionCsvWriter writer(out, "slices", "none");
    FrameAttribution attribution;
    attribution.has_power = true;
    attribution.measured_w = 100.0;
    attribution.unattributed_w = 40.0;
    attribution.shares = {{7, 15.0, 0.0, 15.0}, {9, 45.0004, 0.0, 45.0004}};
    writer.write(frame_with("llm, serving"), attribution);
  }
  EXPECT_EQ(out.str(), std::string(AttributionCsvWriter::kHeader) +
                           "1767225600.500,GPU-1,7,1g.5gb,\"llm, serving\",15.000,0.000,15.000,,"
                           "100.000,40.000,slices,none\n"
                           "1767225600.500,GPU-1,9,3g.20gb,,45.000,0.000,45.000,,100.000,40.000,"
                           "slices,none\n");
}

TEST(AttributionCsvWriter, WritesTheShareUncertaintyWhereTheMethodGivesOne) {
  std::ostringstream out;
  {
    AttributionCsvWriter writer(out, "online", "slices");
    FrameAttribution attribution;
    attribution.has_power = true;
    attribution.measured_w = 60.0;
    attribution.shares = {{7, 15.0, 5.0, 10.0}, {9, 45.0, 15.0, 30.0}};
    attribution.shares[0].sd_w = 0.4567;
    writer.write(frame_with("x"), attribution);
  }
  EXPECT_NE(out.str().find("\n1767225600.500,GPU-1,7,1g.5gb,x,15.000,5.000,10.000,0.457,60.000,"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("\n1767225600.500,GPU-1,9,3g.20gb,,45.000,15.000,30.000,,60.000,"),
            std::string::npos)
      << out.str();
}

TEST(AttributionCsvWriter, FrameWithoutPowerKeepsItsRowsWithEmptyCells) {
  std::ostringstream out;
  AttributionCsvWriter writer(out, "equal", "slices");
  writer.write(frame_with("x"), FrameAttribution{});
  writer.flush();
  EXPECT_NE(out.str().find("1767225600.500,GPU-1,7,1g.5gb,x,,,,,,,equal,slices\n"),
            std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace migpower
