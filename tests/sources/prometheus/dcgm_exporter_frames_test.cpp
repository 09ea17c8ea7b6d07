#include "sources/prometheus/dcgm_exporter_frames.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/fields.hpp"
#include "trace/trace_reader.hpp"
#include "trace/trace_writer.hpp"

namespace migpower {
namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(MIGPOWER_SOURCE_DIR) / "tests/sources/prometheus/fixtures/dcgm-exporter";
constexpr double kScrapeTime = 1763000000.25;

std::string read_fixture(const std::string& name) {
  std::ifstream in(kFixtures / name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<Frame> frames_of(const std::string& fixture) {
  return dcgm_exporter_frames(read_fixture(fixture), fixture, kScrapeTime);
}

// The values a fixture repeats for one field on one card, in file order.
std::vector<double> copies_of(const std::string& fixture, const std::string& field,
                              const std::string& uuid) {
  std::vector<double> values;
  for (const auto& sample : parse_prometheus_samples(read_fixture(fixture), fixture)) {
    if (sample.name != field) continue;
    for (const auto& [name, value] : sample.labels) {
      if ((name == "UUID" || name == "uuid") && value == uuid) values.push_back(sample.value);
    }
  }
  return values;
}

const InstanceSample* find_instance(const Frame& frame, int id) {
  for (const auto& instance : frame.instances) {
    if (instance.gpu_i_id == id) return &instance;
  }
  return nullptr;
}

std::vector<int> instance_ids(const Frame& frame) {
  std::vector<int> ids;
  for (const auto& instance : frame.instances) ids.push_back(instance.gpu_i_id);
  return ids;
}

TEST(DcgmExporterFrames, A100WithKubernetesGivesOneFramePerCard) {
  DcgmExporterFrames mapper("a100");
  mapper.begin(kScrapeTime);
  parse_prometheus_text(read_fixture("a100-mig-k8s.txt"), "a100", mapper);
  std::vector<Frame> frames;
  mapper.finish(frames);
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_EQ(frames[0].gpu_uuid, "GPU-a810a1fc-9f46-0e6f-5cef-bf34c2248e12");
  EXPECT_EQ(frames[1].gpu_uuid, "GPU-604c7a18-e7d0-02e0-723a-7578be840651");
  for (const Frame& frame : frames) {
    EXPECT_EQ(frame.gpu_model, "NVIDIA A100-SXM4-40GB");
    EXPECT_EQ(frame.timestamp_s, kScrapeTime);
    EXPECT_EQ(frame.sm_clock_mhz, 1410.0);
    EXPECT_EQ(frame.mem_clock_mhz, 1215.0);
    EXPECT_EQ(frame.power_limit_w, 400.0);
  }
  EXPECT_EQ(frames[0].temperature_c, 34.0);
  EXPECT_EQ(frames[1].temperature_c, 39.0);

  ASSERT_EQ(mapper.cards().size(), 2U);
  EXPECT_EQ(mapper.cards()[0].hostname, "dgx-a100-07");
  EXPECT_EQ(mapper.cards()[0].gpu_index, "0");
  EXPECT_EQ(mapper.cards()[1].device, "nvidia1");
  EXPECT_EQ(mapper.dropped_values(), 0U);
  EXPECT_GT(mapper.ignored_samples(), 0U);  // FB_FREE, XID_ERRORS, MEMORY_TEMP, ...

  const Frame& card0 = frames[0];
  EXPECT_EQ(instance_ids(card0), (std::vector<int>{1, 5, 13, 14}));
  const InstanceSample* llm = find_instance(card0, 1);
  ASSERT_NE(llm, nullptr);
  EXPECT_EQ(llm->profile, "3g.20gb");
  EXPECT_EQ(llm->compute_slices, 3);
  EXPECT_EQ(llm->memory_slices, 4);
  EXPECT_EQ(llm->workload, "llm/vllm-decode-7c9f8b6d5-xk2lp/vllm");
  EXPECT_EQ(llm->get(Activity::gr_engine), 0.812345);
  EXPECT_EQ(llm->get(Activity::sm), 0.731002);
  EXPECT_EQ(llm->get(Activity::tensor), 0.402113);
  EXPECT_EQ(llm->get(Activity::dram), 0.4219);
  EXPECT_EQ(llm->fb_used_mib, 15210.0);
  // Fields the exporter does not serve are missing, not zero.
  EXPECT_FALSE(llm->get(Activity::sm_occupancy).has_value());
  EXPECT_FALSE(llm->get(Activity::fp64).has_value());

  const InstanceSample* idle = find_instance(card0, 13);
  ASSERT_NE(idle, nullptr);
  EXPECT_EQ(idle->profile, "1g.5gb");
  EXPECT_EQ(idle->compute_slices, 1);
  EXPECT_EQ(idle->workload, "");
  EXPECT_EQ(idle->get(Activity::gr_engine), 0.0);  // a real zero stays a zero
  EXPECT_EQ(find_instance(card0, 14)->workload, "batch/etl-job-4xq9z/etl");
  EXPECT_EQ(instance_ids(frames[1]), (std::vector<int>{1, 2, 7}));
}

TEST(DcgmExporterFrames, CardFieldsRepeatedOnInstancesGiveOneValueNeverASum) {
  const std::string fixture = "a100-mig-k8s.txt";
  const auto frames = frames_of(fixture);
  ASSERT_EQ(frames.size(), 2U);
  for (const Frame& frame : frames) {
    for (const auto& [field, value] : {std::pair{std::string(field::kPower), frame.power_w},
                                       std::pair{std::string(field::kEnergy), frame.energy_mj}}) {
      auto copies = copies_of(fixture, field, frame.gpu_uuid);
      ASSERT_GE(copies.size(), 3U) << field;
      ASSERT_TRUE(value.has_value()) << field;
      // One of the readings, the (lower) median: never their sum or a made-up mean.
      std::sort(copies.begin(), copies.end());
      EXPECT_EQ(*value, copies[(copies.size() - 1) / 2]) << field << " " << frame.gpu_uuid;
      double sum = 0.0;
      for (const double c : copies) sum += c;
      EXPECT_LT(*value, sum / 2.0);
    }
  }
}

TEST(DcgmExporterFrames, H100WithPciBusIdLowercaseHostnameAndAllProfilingFields) {
  DcgmExporterFrames mapper("h100");
  mapper.begin(kScrapeTime);
  parse_prometheus_text(read_fixture("h100-mig-k8s.txt"), "h100", mapper);
  std::vector<Frame> frames;
  mapper.finish(frames);
  ASSERT_EQ(frames.size(), 1U);
  const Frame& frame = frames[0];
  EXPECT_EQ(frame.gpu_model, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(mapper.cards()[0].pci_bus_id, "00000000:1A:00.0");
  EXPECT_EQ(mapper.cards()[0].hostname, "gsrh100-074");
  EXPECT_EQ(frame.power_w, 212.004);  // copies 212.437, 212.9, 211.875, 212.004
  EXPECT_EQ(frame.power_limit_w, 700.0);
  EXPECT_EQ(instance_ids(frame), (std::vector<int>{2, 7, 8, 9}));
  const InstanceSample* big = find_instance(frame, 2);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->profile, "3g.40gb");
  EXPECT_EQ(big->compute_slices, 3);
  for (const Activity a :
       {Activity::gr_engine, Activity::sm, Activity::sm_occupancy, Activity::tensor, Activity::dram,
        Activity::fp64, Activity::fp32, Activity::fp16}) {
    EXPECT_TRUE(big->get(a).has_value()) << field_name(a);
  }
  EXPECT_EQ(big->get(Activity::gr_engine), 0.973001);
  EXPECT_EQ(big->get(Activity::fp16), 0.4);
  EXPECT_EQ(find_instance(frame, 8)->workload, "");
  EXPECT_EQ(find_instance(frame, 9)->workload,
            "model-playground/tts-predictor-00011-deployment-5554f75554-8j8pl/kserve-container");
}

TEST(DcgmExporterFrames, OldLabelNamesFromUseOldNamespace) {
  const auto frames = frames_of("a100-mig-old-namespace.txt");
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_EQ(frames[0].gpu_uuid, "GPU-ed1353d6-52ba-8793-7230-4d5d3eb68167");
  EXPECT_EQ(frames[0].power_w, 72.3);  // lower median of 72.3 and 72.41
  EXPECT_EQ(find_instance(frames[0], 1)->workload, "team-a/trainer-0/pytorch");
  EXPECT_EQ(find_instance(frames[0], 2)->workload, "");  // pod_name="" is no workload
  EXPECT_EQ(find_instance(frames[1], 2)->workload, "team-b/infer-1/triton");
  EXPECT_EQ(find_instance(frames[1], 2)->profile, "4g.40gb");
  EXPECT_EQ(find_instance(frames[1], 2)->compute_slices, 4);
  EXPECT_EQ(find_instance(frames[1], 2)->get(Activity::gr_engine), 0.25);
}

TEST(DcgmExporterFrames, A30WithoutKubernetes) {
  const auto frames = frames_of("a30-mig-no-k8s.txt");
  ASSERT_EQ(frames.size(), 1U);
  EXPECT_EQ(frames[0].power_w, 33.213);  // of 33.213, 33.198, 33.255, 33.240
  EXPECT_EQ(frames[0].temperature_c, 31.0);
  EXPECT_EQ(instance_ids(frames[0]), (std::vector<int>{3, 4, 5, 6}));
  for (const auto& instance : frames[0].instances) {
    EXPECT_EQ(instance.profile, "1g.6gb");
    EXPECT_EQ(instance.compute_slices, 1);
    EXPECT_EQ(instance.workload, "");
    EXPECT_EQ(instance.fb_used_mib, 0.0);
  }
}

TEST(DcgmExporterFrames, FullGpuIsOneWholeCardInstance) {
  const auto frames = frames_of("full-gpu.txt");
  ASSERT_EQ(frames.size(), 1U);
  const Frame& frame = frames[0];
  EXPECT_EQ(frame.power_w, 187.254);
  EXPECT_EQ(frame.energy_mj, 77001234567.0);
  ASSERT_EQ(frame.instances.size(), 1U);
  EXPECT_EQ(frame.instances[0].gpu_i_id, 0);
  EXPECT_EQ(frame.instances[0].profile, "");
  EXPECT_EQ(frame.instances[0].get(Activity::gr_engine), 0.87);
  EXPECT_EQ(frame.instances[0].fb_used_mib, 30210.0);
  EXPECT_EQ(frame.instances[0].workload, "inference/triton-0/server");
}

TEST(DcgmExporterFrames, CardsOwnSeriesWinsOverInstanceCopies) {
  const std::string text =
      "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-a\",GPU_I_PROFILE=\"3g.20gb\",GPU_I_ID=\"1\"} "
      "99\n"
      "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-a\"} 120.5\n"
      "DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu=\"0\",UUID=\"GPU-a\"} 0.9\n"
      "DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu=\"0\",UUID=\"GPU-a\",GPU_I_PROFILE=\"3g.20gb\","
      "GPU_I_ID=\"1\"} 0.4\n";
  const auto frames = dcgm_exporter_frames(text, "mixed", kScrapeTime);
  ASSERT_EQ(frames.size(), 1U);
  EXPECT_EQ(frames[0].power_w, 120.5);
  // Under MIG the card-level profiling series belongs to no instance.
  ASSERT_EQ(frames[0].instances.size(), 1U);
  EXPECT_EQ(frames[0].instances[0].gpu_i_id, 1);
  EXPECT_EQ(frames[0].instances[0].get(Activity::gr_engine), 0.4);
}

TEST(DcgmExporterFrames, ImpossibleValuesAreDroppedAndCounted) {
  const std::string text =
      "DCGM_FI_DEV_POWER_USAGE{UUID=\"GPU-a\",GPU_I_ID=\"1\"} NaN\n"
      "DCGM_FI_DEV_GPU_TEMP{UUID=\"GPU-a\",GPU_I_ID=\"1\"} -3\n"
      "DCGM_FI_PROF_SM_ACTIVE{UUID=\"GPU-a\",GPU_I_ID=\"1\"} 1.5\n"
      "DCGM_FI_PROF_DRAM_ACTIVE{UUID=\"GPU-a\",GPU_I_ID=\"1\"} 1.0000005\n"
      "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE{UUID=\"GPU-a\",GPU_I_ID=\"1\"} +Inf\n"
      "DCGM_FI_DEV_FB_USED{UUID=\"GPU-a\",GPU_I_ID=\"1\"} -1\n";
  DcgmExporterFrames mapper("bad-values");
  mapper.begin(kScrapeTime);
  parse_prometheus_text(text, "bad-values", mapper);
  std::vector<Frame> frames;
  mapper.finish(frames);
  ASSERT_EQ(frames.size(), 1U);
  EXPECT_FALSE(frames[0].power_w.has_value());
  EXPECT_FALSE(frames[0].temperature_c.has_value());
  ASSERT_EQ(frames[0].instances.size(), 1U);  // the instance exists: its series are there
  const InstanceSample& instance = frames[0].instances[0];
  EXPECT_FALSE(instance.get(Activity::sm).has_value());
  EXPECT_EQ(instance.get(Activity::dram), 1.0);  // within DCGM's rounding of 1
  EXPECT_FALSE(instance.get(Activity::tensor).has_value());
  EXPECT_FALSE(instance.fb_used_mib.has_value());
  EXPECT_EQ(mapper.dropped_values(), 5U);
  ASSERT_FALSE(mapper.drop_examples().empty());
  EXPECT_EQ(mapper.drop_examples()[0], "bad-values:1: DCGM_FI_DEV_POWER_USAGE: not a number");
  EXPECT_NE(mapper.drop_examples()[2].find("outside 0..1"), std::string::npos);
}

TEST(DcgmExporterFrames, SampleTimestampsStampTheFrameUnlessTurnedOff) {
  const std::string text =
      "DCGM_FI_DEV_POWER_USAGE{UUID=\"GPU-a\"} 100 1700000000500\n"
      "DCGM_FI_DEV_GPU_TEMP{UUID=\"GPU-a\"} 40 1700000001250\n"
      "DCGM_FI_DEV_POWER_USAGE{UUID=\"GPU-b\"} 100\n";
  DcgmExporterFrames mapper("stamps");
  std::vector<Frame> frames;
  mapper.begin(kScrapeTime);
  parse_prometheus_text(text, "stamps", mapper);
  mapper.finish(frames);
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_EQ(frames[0].timestamp_s, 1700000001.25);  // the card's latest sample
  EXPECT_EQ(frames[1].timestamp_s, kScrapeTime);

  mapper.use_sample_timestamps(false);
  mapper.begin(kScrapeTime);
  parse_prometheus_text(text, "stamps", mapper);
  mapper.finish(frames);
  EXPECT_EQ(frames[0].timestamp_s, kScrapeTime);
}

TEST(DcgmExporterFrames, BadInstanceIdIsALocatedError) {
  const std::string text = std::string("DCGM_FI_DEV_POWER_USAGE{UUID=\"GPU-a\"} 1\n") +
                           read_fixture("malformed/bad-gpu-i-id.txt");
  try {
    (void)dcgm_exporter_frames(text, "http://n:9400/metrics", kScrapeTime);
    FAIL() << "no error";
  } catch (const LocatedError& e) {
    EXPECT_EQ(e.file(), "http://n:9400/metrics");
    EXPECT_EQ(e.line(), 2U);
    EXPECT_EQ(e.column(), "GPU_I_ID");
    EXPECT_EQ(e.reason(), "'three' is not a GPU instance id");
  }
}

TEST(DcgmExporterFrames, LowercaseNamesSeveralPodsNullProfileAndNoUuid) {
  const std::string text =
      // Lower-case names, as one relabelling setup in dcgm-exporter issue 272 shows them.
      "dcgm_fi_prof_gr_engine_active{gpu=\"0\",uuid=\"GPU-x\",GPU_I_PROFILE=\"2g.10gb\","
      "GPU_I_ID=\"3\",pod=\"p1\",namespace=\"n\"} 0.5\n"
      "dcgm_fi_prof_gr_engine_active{gpu=\"0\",uuid=\"GPU-x\",GPU_I_PROFILE=\"2g.10gb\","
      "GPU_I_ID=\"3\",pod=\"p2\",namespace=\"n\"} 0.5\n"
      "DCGM_FI_DEV_FB_USED{gpu=\"0\",uuid=\"GPU-x\",GPU_I_PROFILE=\"2g.10gb\",GPU_I_ID=\"3\","
      "pod=\"p1\",namespace=\"n\"} 512\n"
      // dcgm-exporter 2.x printed <<<NULL>>> for a profile it could not name.
      "DCGM_FI_DEV_SM_CLOCK{gpu=\"0\",uuid=\"GPU-x\",GPU_I_PROFILE=\"<<<NULL>>>\",GPU_I_ID=\"6\"} "
      "1410\n"
      // No UUID at all: the host and index name the card.
      "DCGM_FI_DEV_POWER_USAGE{gpu=\"2\",Hostname=\"node-9\"} 50\n"
      // Not a GPU series, and not a DCGM field.
      "DCGM_FI_DEV_POWER_USAGE{job=\"x\"} 1\n"
      "go_goroutines 17\n";
  DcgmExporterFrames mapper("mixed");
  mapper.begin(kScrapeTime);
  parse_prometheus_text(text, "mixed", mapper);
  std::vector<Frame> frames;
  mapper.finish(frames);
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_EQ(frames[0].gpu_uuid, "GPU-x");
  EXPECT_EQ(frames[0].sm_clock_mhz, 1410.0);
  EXPECT_EQ(instance_ids(frames[0]), (std::vector<int>{3, 6}));
  EXPECT_EQ(frames[0].instances[0].workload, "n/p1;n/p2");
  EXPECT_EQ(frames[0].instances[0].get(Activity::gr_engine), 0.5);
  EXPECT_EQ(frames[0].instances[0].fb_used_mib, 512.0);
  EXPECT_EQ(frames[0].instances[1].profile, "");
  EXPECT_EQ(frames[0].instances[1].compute_slices, 0);
  EXPECT_EQ(frames[1].gpu_uuid, "node-9/gpu2");
  EXPECT_EQ(frames[1].power_w, 50.0);
  EXPECT_EQ(mapper.ignored_samples(), 2U);
}

TEST(DcgmExporterFrames, ReusedMapperForgetsThePreviousScrape) {
  DcgmExporterFrames mapper("reuse");
  std::vector<Frame> frames;
  mapper.begin(1.0);
  parse_prometheus_text(read_fixture("a100-mig-k8s.txt"), "reuse", mapper);
  mapper.finish(frames);
  ASSERT_EQ(frames.size(), 2U);
  const std::string second =
      "DCGM_FI_DEV_POWER_USAGE{gpu=\"1\",UUID=\"GPU-604c7a18-e7d0-02e0-723a-7578be840651\","
      "GPU_I_PROFILE=\"7g.40gb\",GPU_I_ID=\"0\"} 250\n";
  mapper.begin(2.0);
  parse_prometheus_text(second, "reuse", mapper);
  mapper.finish(frames);
  ASSERT_EQ(frames.size(), 1U);
  EXPECT_EQ(frames[0].timestamp_s, 2.0);
  EXPECT_EQ(frames[0].power_w, 250.0);
  EXPECT_FALSE(frames[0].energy_mj.has_value());
  EXPECT_EQ(instance_ids(frames[0]), (std::vector<int>{0}));
  EXPECT_EQ(frames[0].instances[0].profile, "7g.40gb");
  EXPECT_FALSE(frames[0].instances[0].get(Activity::gr_engine).has_value());
  EXPECT_EQ(frames[0].instances[0].workload, "");
}

TEST(DcgmExporterFrames, FramesSurviveTheTraceContract) {
  for (const char* fixture :
       {"a100-mig-k8s.txt", "h100-mig-k8s.txt", "a30-mig-no-k8s.txt", "full-gpu.txt"}) {
    const auto frames = frames_of(fixture);
    const auto path = std::filesystem::temp_directory_path() /
                      ("dcgm-frames-" + std::to_string(::getpid()) + ".csv");
    {
      std::ofstream out(path, std::ios::binary);
      TraceWriter writer(out);
      for (const Frame& frame : frames) writer.write(frame);
      writer.flush();
    }
    TraceReader reader(path.string());
    Frame back;
    for (const Frame& frame : frames) {
      ASSERT_TRUE(reader.next(back)) << fixture;
      EXPECT_EQ(back.gpu_uuid, frame.gpu_uuid);
      EXPECT_EQ(back.power_w, frame.power_w);
      EXPECT_EQ(back.energy_mj, frame.energy_mj);
      ASSERT_EQ(back.instances.size(), frame.instances.size()) << fixture;
      for (std::size_t i = 0; i < frame.instances.size(); ++i) {
        EXPECT_EQ(back.instances[i].gpu_i_id, frame.instances[i].gpu_i_id);
        EXPECT_EQ(back.instances[i].workload, frame.instances[i].workload);
        EXPECT_EQ(back.instances[i].compute_slices, frame.instances[i].compute_slices);
        EXPECT_EQ(back.instances[i].activity, frame.instances[i].activity);
      }
    }
    EXPECT_FALSE(reader.next(back));
    std::filesystem::remove(path);
  }
}

}  // namespace
}  // namespace migpower
