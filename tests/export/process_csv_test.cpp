#include "export/process_csv.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace migpower {
namespace {

Frame two_instance_frame() {
  Frame frame;
  frame.timestamp_text = "1767225600.500";
  frame.gpu_uuid = "GPU-1";
  frame.instances.resize(2);
  frame.instances[0].gpu_i_id = 7;
  frame.instances[1].gpu_i_id = 9;
  return frame;
}

ProcessShare process(int gpu_i_id, std::size_t instance, unsigned pid, const std::string& name,
                     double static_w, double dynamic_w) {
  ProcessShare share;
  share.gpu_uuid = "GPU-1";
  share.gpu_i_id = gpu_i_id;
  share.instance = instance;
  share.pid = pid;
  share.name = name;
  share.static_w = static_w;
  share.dynamic_w = dynamic_w;
  return share;
}

TEST(ProcessCsvWriter, WritesEachProcessThenTheInstancesNoProcessHeld) {
  FrameProcessSplit split;
  split.has_power = true;
  split.processes = {process(7, 0, 41, "python train.py", 5.0, 20.25),
                     process(7, 0, 42, "say \"hi\", twice", 5.0, 0.0)};
  split.instances = {{7, 30.25, 0.0, 2}, {9, 12.5, 12.5, 0}};
  std::ostringstream out;
  ProcessCsvWriter writer(out, "online", "slices");
  writer.write(two_instance_frame(), split);
  writer.flush();
  EXPECT_EQ(out.str(), std::string(ProcessCsvWriter::kHeader) +
                           "1767225600.500,GPU-1,7,41,python train.py,25.250,5.000,20.250,online,"
                           "slices\n"
                           "1767225600.500,GPU-1,7,42,\"say \"\"hi\"\", twice\",5.000,5.000,0.000,"
                           "online,slices\n"
                           "1767225600.500,GPU-1,9,,(no process),12.500,,,online,slices\n");
  EXPECT_EQ(writer.rows(), 3u);
}

TEST(ProcessCsvWriter, SkipsFramesWithoutPowerAndRoundingLeftovers) {
  FrameProcessSplit split;
  split.has_power = false;
  split.processes = {process(7, 0, 41, "a", 0.0, 0.0)};
  std::ostringstream out;
  ProcessCsvWriter writer(out, "equal", "none");
  writer.write(two_instance_frame(), split);

  split.has_power = true;
  split.processes = {process(7, 0, 41, "a", 1.0, 2.0)};
  split.instances = {{7, 3.0, 1e-12, 1}, {9, 0.0, 0.0, 0}};  // nothing left for "no process"
  writer.write(two_instance_frame(), split);
  writer.flush();
  EXPECT_EQ(out.str(), std::string(ProcessCsvWriter::kHeader) +
                           "1767225600.500,GPU-1,7,41,a,3.000,1.000,2.000,equal,none\n");
  EXPECT_EQ(writer.rows(), 1u);
}

TEST(ProcessCsvWriter, FlushesTheHeaderEvenWithoutRows) {
  std::ostringstream out;
  { ProcessCsvWriter writer(out, "equal", "none"); }
  EXPECT_EQ(out.str(), ProcessCsvWriter::kHeader);
}

}  // namespace
}  // namespace migpower
