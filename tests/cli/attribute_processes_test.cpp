// `migpower attribute --processes`, end to end through the real binary: a hand-written trace and
// side file with values worked out by hand, errors, and conservation on a simulated trace.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "cli/run_command.hpp"

namespace migpower {
namespace {

using test::run_migpower;

// A full A100 40GB (idle floor 55 W; MIG off, so the whole card is instance 0) with no energy
// counter: each frame's power times the time since the previous one.
constexpr const char* kTrace =
    "timestamp,gpu_uuid,gpu_model,gpu_i_id,gpu_i_profile,DCGM_FI_DEV_POWER_USAGE,"
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE\n"
    "100.000,GPU-full,NVIDIA A100-SXM4-40GB,,,100,\n"
    "100.000,GPU-full,,0,,,0.5\n"
    "101.000,GPU-full,NVIDIA A100-SXM4-40GB,,,200,\n"
    "101.000,GPU-full,,0,,,0.5\n"
    "103.000,GPU-full,NVIDIA A100-SXM4-40GB,,,160,\n"
    "103.000,GPU-full,,0,,,0.5\n"
    "104.000,GPU-full,NVIDIA A100-SXM4-40GB,,,120,\n"
    "104.000,GPU-full,,0,,,0.5\n";

// Two processes time-sliced on it; pid 2 is reused by another program at 103. A row at 102 (no
// frame) and one of a GPU the trace does not have match nothing. Nothing runs at 104.
constexpr const char* kProcesses =
    "timestamp,gpu_uuid,gpu_i_id,pid,process_name,sm_util_pct,mem_util_pct,used_memory_bytes\n"
    "100.000,GPU-full,,1,a,30,,\n"
    "100.000,GPU-full,,2,\"b, \"\"x\"\"\",10,,\n"
    "101.000,GPU-full,,1,a,30,,\n"
    "101.000,GPU-full,,2,\"b, \"\"x\"\"\",10,,\n"
    "102.000,GPU-full,,1,a,30,,\n"
    "103.000,GPU-full,,1,a,50,,\n"
    "103.000,GPU-full,,2,c,,,\n"
    "103.000,GPU-other,,7,z,,,\n";

class AttributeProcessesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-attribute-processes-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    write("t.csv", kTrace);
    write("p.csv", kProcesses);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
  }

  std::filesystem::path dir_;
};

const nlohmann::json& process_named(const nlohmann::json& doc, const std::string& name) {
  for (const auto& process : doc.at("processes")) {
    if (process.at("name") == name) return process;
  }
  throw std::runtime_error("no process " + name);
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// By hand (static 55 W equally, dynamic P - 55 by SM utilization):
//   101: 200 J; a = 27.5 + 145 x 3/4 = 136.25 W -> 136.25 J, b = 27.5 + 36.25 = 63.75 J
//   103: 320 J (2 s); a = 27.5 + 105 = 132.5 W -> 265 J, c = 27.5 W -> 55 J
//   104: 120 J, no process
TEST_F(AttributeProcessesTest, JsonHasEachProcessesEnergy) {
  const auto result = run_migpower("attribute " + path("t.csv") + " --method equal --processes " +
                                   path("p.csv") + " --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto doc = nlohmann::json::parse(result.out);
  ASSERT_EQ(doc.at("processes").size(), 3u);
  const auto& a = process_named(doc, "a");
  EXPECT_DOUBLE_EQ(a.at("energy_j").get<double>(), 401.25);
  EXPECT_DOUBLE_EQ(a.at("static_energy_j").get<double>(), 27.5 + 55.0);
  EXPECT_EQ(a.at("pid"), 1);
  EXPECT_EQ(a.at("gpu_uuid"), "GPU-full");
  EXPECT_EQ(a.at("gpu_i_id"), 0);
  EXPECT_EQ(a.at("frames"), 3);
  EXPECT_DOUBLE_EQ(a.at("seconds").get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(a.at("first_seen_s").get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(a.at("last_seen_s").get<double>(), 103.0);
  // At 100: 27.5 + 45 x 3/4 = 61.25 W.
  EXPECT_DOUBLE_EQ(a.at("mean_power_w").get<double>(), (61.25 + 136.25 + 132.5) / 3.0);
  EXPECT_NEAR(a.at("instance_share").get<double>(), 401.25 / 640.0, 1e-12);
  const auto& b = process_named(doc, "b, \"x\"");
  EXPECT_DOUBLE_EQ(b.at("energy_j").get<double>(), 63.75);
  EXPECT_EQ(b.at("pid"), 2);
  const auto& c = process_named(doc, "c");  // pid 2 again, another program
  EXPECT_DOUBLE_EQ(c.at("energy_j").get<double>(), 55.0);
  EXPECT_EQ(c.at("pid"), 2);

  ASSERT_EQ(doc.at("process_instances").size(), 1u);
  const auto& instance = doc.at("process_instances")[0];
  EXPECT_DOUBLE_EQ(instance.at("energy_j").get<double>(), 640.0);
  EXPECT_DOUBLE_EQ(instance.at("no_process_energy_j").get<double>(), 120.0);
  EXPECT_EQ(instance.at("frames_without_process"), 1);
  // The instance's energy in the summary is the same.
  EXPECT_DOUBLE_EQ(doc.at("cards")[0].at("instances")[0].at("energy_j").get<double>(), 640.0);

  const auto& file = doc.at("process_file");
  EXPECT_EQ(file.at("rows"), 8);
  EXPECT_EQ(file.at("rows_matched"), 6);
  EXPECT_EQ(file.at("rows_unmatched"), 2);
  EXPECT_EQ(file.at("processes_ignored"), 0);
  // Warned once each: the GPU the trace lacks, and the row at a time without a frame.
  EXPECT_EQ(count(result.err, "names GPU GPU-other, which the trace never has; ignoring its 1 row"),
            1u)
      << result.err;
  EXPECT_EQ(count(result.err, "1 row of " + path("p.csv") + " matched no frame"), 1u) << result.err;
}

TEST_F(AttributeProcessesTest, TableListsProcessesAfterTheInstances) {
  const auto result =
      run_migpower("attribute " + path("t.csv") + " --method equal --processes " + path("p.csv"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string& out = result.out;
  const auto processes = out.find("\nProcesses (");
  ASSERT_NE(processes, std::string::npos) << out;
  EXPECT_LT(out.find("card measured"), processes);  // the instance table comes first
  EXPECT_NE(out.find("8 rows, 6 matched to frames"), std::string::npos) << out;
  // gi, profile (none), pid, name, mean W, energy Wh, share of the instance, seconds.
  std::istringstream lines(out.substr(processes));
  std::map<std::string, std::string> by_name;
  for (std::string line; std::getline(lines, line);) {
    for (const std::string name : {" a ", " b, \"x\" ", " c ", " (no process) "}) {
      if (line.find(name) != std::string::npos) by_name[name] = line;
    }
  }
  ASSERT_EQ(by_name.size(), 4u) << out;
  std::istringstream a(by_name[" a "]);
  std::string gi, pid, name, mean, energy, share, seconds;
  a >> gi >> pid >> name >> mean >> energy >> share >> seconds;
  EXPECT_EQ(gi, "0");
  EXPECT_EQ(pid, "1");
  EXPECT_EQ(mean, "110.0");
  EXPECT_EQ(energy, "0.111");  // 401.25 J
  EXPECT_EQ(share, "62.7%");   // of 640 J
  EXPECT_EQ(seconds, "3.0");
  EXPECT_NE(by_name[" (no process) "].find("0.033  18.8%"), std::string::npos)
      << by_name[" (no process) "];
}

// The same hand-worked frames, one row per process per frame: at 100, 61.25 W for a
// (27.5 + 45 x 3/4) and 38.75 W for b; at 104 nobody runs, so the whole 120 W is "no process".
TEST_F(AttributeProcessesTest, ProcessCsvHasEachProcessInEachFrame) {
  const auto result =
      run_migpower("attribute " + path("t.csv") + " --method equal --idle-policy slices" +
                   " --processes " + path("p.csv") + " --process-csv " + path("rows.csv"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Processes ("), std::string::npos);  // the table is still printed
  std::ifstream rows(path("rows.csv"));
  std::ostringstream text;
  text << rows.rdbuf();
  const std::string tail = ",equal,slices\n";
  EXPECT_EQ(text.str(),
            "timestamp,gpu_uuid,gpu_i_id,pid,process_name,power_w,static_w,dynamic_w,method,"
            "idle_policy\n"
            "100.000,GPU-full,0,1,a,61.250,27.500,33.750" +
                tail + "100.000,GPU-full,0,2,\"b, \"\"x\"\"\",38.750,27.500,11.250" + tail +
                "101.000,GPU-full,0,1,a,136.250,27.500,108.750" + tail +
                "101.000,GPU-full,0,2,\"b, \"\"x\"\"\",63.750,27.500,36.250" + tail +
                "103.000,GPU-full,0,1,a,132.500,27.500,105.000" + tail +
                "103.000,GPU-full,0,2,c,27.500,27.500,0.000" + tail +
                "104.000,GPU-full,0,,(no process),120.000,," + tail);
}

TEST_F(AttributeProcessesTest, ProcessCsvUsageErrors) {
  const std::string trace = "attribute " + path("t.csv");
  const auto csv_alone = run_migpower(trace + " --processes " + path("p.csv") + " --format csv");
  EXPECT_EQ(csv_alone.exit_code, 2);
  EXPECT_NE(csv_alone.err.find("--processes with --format csv needs --process-csv FILE"),
            std::string::npos)
      << csv_alone.err;
  const auto no_side_file = run_migpower(trace + " --process-csv " + path("rows.csv"));
  EXPECT_EQ(no_side_file.exit_code, 2);
  EXPECT_NE(no_side_file.err.find("--process-csv needs --processes"), std::string::npos)
      << no_side_file.err;
  const auto same_file = run_migpower(trace + " --processes " + path("p.csv") + " --out " +
                                      path("x.csv") + " --process-csv " + path("x.csv"));
  EXPECT_EQ(same_file.exit_code, 2);
  EXPECT_NE(same_file.err.find("a file of its own"), std::string::npos) << same_file.err;
  const auto both_stdout =
      run_migpower(trace + " --processes " + path("p.csv") + " --process-csv -");
  EXPECT_EQ(both_stdout.exit_code, 2);
  EXPECT_NE(both_stdout.err.find("a file of its own"), std::string::npos) << both_stdout.err;
}

TEST_F(AttributeProcessesTest, BadSideFileNamesFileLineAndColumn) {
  write("bad.csv",
        "timestamp,gpu_uuid,gpu_i_id,pid,process_name,sm_util_pct,mem_util_pct,"
        "used_memory_bytes\n100.000,GPU-full,,1,a,30,,\n101.000,GPU-full,,1,a,x,,\n");
  const auto result =
      run_migpower("attribute " + path("t.csv") + " --processes " + path("bad.csv"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(path("bad.csv") + ":3: column sm_util_pct: 'x' is not a number"),
            std::string::npos)
      << result.err;
  const auto missing =
      run_migpower("attribute " + path("t.csv") + " --processes " + path("missing.csv"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot open process file"), std::string::npos) << missing.err;
}

TEST_F(AttributeProcessesTest, HelpNamesTheOption) {
  const auto result = run_migpower("attribute --help");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("--processes FILE"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("--process-csv FILE"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("migpower attribute node1.csv --processes node1-processes.csv"),
            std::string::npos)
      << result.out;
}

// A simulated MIG trace and a side file made for it: two processes in instance 1, one in
// instance 5 whose pid another program reuses halfway, one in instance 13 every other frame,
// none in instance 10. Per instance, the processes' energy plus its "no process" energy is the
// instance's energy; all instances (plus, with idle policy none, the unattributed energy) make
// the card's.
TEST_F(AttributeProcessesTest, ConservesEnergyOnASimulatedTrace) {
  const auto simulated =
      run_migpower("simulate --scenario mixed --duration 120 --seed 3 --out " + path("sim.csv"));
  ASSERT_EQ(simulated.exit_code, 0) << simulated.err;
  std::ifstream trace(path("sim.csv"));
  std::string line;
  std::getline(trace, line);  // header: timestamp,gpu_uuid,gpu_model,gpu_i_id,...
  std::ostringstream side;
  side << "timestamp,gpu_uuid,gpu_i_id,pid,process_name,sm_util_pct\n";
  int frame = -1;
  std::string last_timestamp;
  while (std::getline(trace, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    ASSERT_GE(cells.size(), 4u);
    if (cells[0] != last_timestamp) ++frame;
    last_timestamp = cells[0];
    const std::string& gi = cells[3];
    const std::string key = cells[0] + "," + cells[1] + "," + gi + ",";
    if (gi == "1") {
      side << key << "100,train,\n" << key << "101,eval,\n";
    } else if (gi == "5") {
      side << key << "500," << (frame < 60 ? "gemm" : "other") << ",\n";
    } else if (gi == "13" && frame % 2 == 0) {
      side << key << "1300,stream,\n";
    }
  }
  ASSERT_GT(frame, 100);
  write("sim-p.csv", side.str());

  for (const std::string policy : {"slices", "none"}) {
    const auto result = run_migpower("attribute " + path("sim.csv") + " --idle-policy " + policy +
                                     " --processes " + path("sim-p.csv") + " --format json");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err, "");  // every row matched a frame
    const auto doc = nlohmann::json::parse(result.out);
    const auto& card = doc.at("cards").at(0);
    const double card_j = card.at("energy_j").get<double>();
    ASSERT_GT(card_j, 0.0);
    double total = card.at("unattributed_j").get<double>();
    if (policy == "slices") {
      EXPECT_EQ(total, 0.0);
    }
    ASSERT_EQ(card.at("instances").size(), 4u);
    for (const auto& instance : card.at("instances")) {
      const int gi = instance.at("gpu_i_id").get<int>();
      const double instance_j = instance.at("energy_j").get<double>();
      double sum = 0.0;
      int processes = 0;
      for (const auto& process : doc.at("processes")) {
        if (process.at("gpu_i_id").get<int>() != gi) continue;
        sum += process.at("energy_j").get<double>();
        ++processes;
      }
      for (const auto& entry : doc.at("process_instances")) {
        if (entry.at("gpu_i_id").get<int>() == gi) {
          const double none_j = entry.at("no_process_energy_j").get<double>();
          sum += none_j;
          if (gi == 10) {
            EXPECT_EQ(none_j, instance_j);
          } else if (gi == 13) {
            EXPECT_GT(none_j, 0.0);
          } else {
            EXPECT_EQ(none_j, 0.0);
          }
        }
      }
      EXPECT_NEAR(sum, instance_j, 1e-9 * instance_j) << "instance " << gi << ", " << policy;
      EXPECT_EQ(processes, gi == 1 || gi == 5 ? 2 : gi == 13 ? 1 : 0) << gi;
      total += sum;
    }
    EXPECT_NEAR(total, card_j, 1e-9 * card_j) << policy;
    // Instance 1's two processes have no utilization (as under MIG): equal halves.
    const double train = process_named(doc, "train").at("energy_j").get<double>();
    const double eval = process_named(doc, "eval").at("energy_j").get<double>();
    EXPECT_NEAR(train, eval, 1e-9 * train);
    const auto& file = doc.at("process_file");
    EXPECT_EQ(file.at("rows_unmatched"), 0);
    EXPECT_EQ(file.at("rows_matched"), file.at("rows"));
  }

  // Frame by frame, the rows of --process-csv for one instance sum to its row of --format csv
  // (each row is rounded to the milliwatt).
  const auto rows = run_migpower("attribute " + path("sim.csv") + " --processes " +
                                 path("sim-p.csv") + " --format csv --out " + path("shares.csv") +
                                 " --process-csv " + path("rows.csv"));
  ASSERT_EQ(rows.exit_code, 0) << rows.err;
  // (timestamp, gpu_i_id) -> {instance power_w, sum of its process rows, rows}
  std::map<std::string, std::tuple<double, double, int>> by_instance;
  const auto for_each_row = [&](const std::string& name, auto&& use) {
    std::ifstream in(path(name));
    std::string header;
    std::getline(in, header);
    for (std::string text; std::getline(in, text);) {
      std::vector<std::string> cells;
      std::istringstream row(text);
      for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
      use(cells[0] + "/" + cells[2], cells);
    }
  };
  for_each_row("shares.csv", [&](const std::string& key, const std::vector<std::string>& cells) {
    std::get<0>(by_instance[key]) = std::stod(cells[5]);  // power_w
  });
  std::size_t process_rows = 0;
  for_each_row("rows.csv", [&](const std::string& key, const std::vector<std::string>& cells) {
    ASSERT_TRUE(by_instance.count(key)) << key << " is in no frame of the attribution";
    std::get<1>(by_instance[key]) += std::stod(cells[5]);
    ++std::get<2>(by_instance[key]);
    ++process_rows;
  });
  EXPECT_GT(process_rows, by_instance.size());
  for (const auto& [key, sums] : by_instance) {
    const auto& [instance_w, processes_w, count] = sums;
    if (instance_w == 0.0) continue;  // an instance with a zero share has no rows
    EXPECT_GE(count, 1) << key;
    EXPECT_NEAR(processes_w, instance_w, 0.0005 * (count + 1)) << key;
  }
}

}  // namespace
}  // namespace migpower
