#!/usr/bin/env python3
"""Tests for workloads/label-trace: labels by phase and process, truth on a card without MIG,
power from the energy counter, the split by workload family, and bad input."""

import csv
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "workloads", "label-trace")
HEADER = ("timestamp,gpu_uuid,gpu_model,gpu_i_id,gpu_i_profile,workload,truth_power_w,"
          "DCGM_FI_DEV_POWER_USAGE,DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION,"
          "DCGM_FI_PROF_GR_ENGINE_ACTIVE\n")


def frame(t, power_w, energy_mj, activity):
    return (f"{t},GPU-a,NVIDIA H200,,,,,{power_w},{energy_mj},\n"
            f"{t},GPU-a,,0,,,,,,{activity}\n")


class LabelTrace(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        # 1 s frames: idle, then a duty-cycled job (instant power reads its idle half), idle.
        with open(os.path.join(self.dir, "trace.csv"), "w") as f:
            f.write(HEADER)
            f.write(frame(10, 100, 1000000, 0.0))
            f.write(frame(11, 100, 1100000, 0.0))
            f.write(frame(12, 120, 1500000, 0.5))  # drew 400 W on average, read 120 W
            f.write(frame(13, 125, 1900000, 0.5))
            f.write(frame(14, 100, 2000000, 0.0))
        with open(os.path.join(self.dir, "phases.csv"), "w") as f:
            f.write("start,end,pid,workload\n11.5,13.2,77,dgemm-half\n")
        with open(os.path.join(self.dir, "processes.csv"), "w") as f:
            f.write("timestamp,gpu_uuid,gpu_i_id,pid,process_name,sm_util_pct,mem_util_pct,"
                    "used_memory_bytes\n12,GPU-a,,77,migload,50,1,1000\n")

    def label(self, *extra):
        return subprocess.run([sys.executable, SCRIPT, self.dir, *extra], capture_output=True,
                              text=True)

    def rows(self, name="labelled.csv"):
        with open(os.path.join(self.dir, name), newline="") as f:
            return list(csv.DictReader(f))

    def test_labels_instances_by_phase_and_gives_the_card_power_as_truth(self):
        done = self.label()
        self.assertEqual(done.returncode, 0, done.stderr)
        instances = [r for r in self.rows() if r["gpu_i_id"] != ""]
        self.assertEqual([r["workload"] for r in instances],
                         ["idle", "idle", "dgemm-half", "dgemm-half", "idle"])
        self.assertEqual([r["truth_power_w"] for r in instances],
                         ["100", "100", "120", "125", "100"])

    def test_power_from_counter_is_the_mean_over_each_frame(self):
        done = self.label("--power-from-counter")
        self.assertEqual(done.returncode, 0, done.stderr)
        cards = [r for r in self.rows() if r["gpu_i_id"] == ""]
        # The first frame has no interval and keeps its reading.
        self.assertEqual([float(r["DCGM_FI_DEV_POWER_USAGE"]) for r in cards],
                         [100.0, 100.0, 400.0, 400.0, 100.0])
        truth = [float(r["truth_power_w"]) for r in self.rows() if r["gpu_i_id"] != ""]
        self.assertEqual(truth, [100.0, 100.0, 400.0, 400.0, 100.0])

    def test_split_writes_one_trace_per_workload_family(self):
        done = self.label("--split")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(self.dir, "by-workload"))),
                         ["dgemm.csv", "idle.csv"])
        dgemm = self.rows(os.path.join("by-workload", "dgemm.csv"))
        self.assertEqual([r["timestamp"] for r in dgemm], ["12", "12", "13", "13"])

    def test_a_bad_phase_row_names_the_file_and_line(self):
        with open(os.path.join(self.dir, "phases.csv"), "a") as f:
            f.write("soon,later,78,stream\n")
        done = self.label()
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("phases.csv:3", done.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "labelled.csv")))


if __name__ == "__main__":
    unittest.main()
