#!/usr/bin/python3
"""The `gbt` model (bench/gbt_bench, XGBoost's C API) against XGBoost's Python package.

Both sides get identical data (generated here once per size, written to one binary file that
both read), identical XGBoost parameters (the exact strings gbt_bench gave XGBoosterSetParam,
base_score included) and the same thread count. Training time includes DMatrix construction on
both sides: gbt_bench times GbtModel::fit, which builds it from the FeatureMatrix; here it is
xgboost.DMatrix(X, label=y) + xgboost.train(...). Runs alternate ours/theirs so that a busy
machine slows both alike; each cell shows the fastest, median and slowest of --repeat runs, and
the ratios are fastest/fastest (the least disturbed runs) and median/median.

  bench/model/xgboost_compare.py --bench build/bench/gbt_bench [--rows 1000000,200000] [--repeat 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import xgboost


def write_data(path, rows, columns, seed):
    """Power-like targets from utilisation-like features: a clock-scaled product, a square, a
    step, an interaction, a linear term and measurement noise."""
    rng = np.random.default_rng(seed)
    x = rng.random((rows, columns))
    y = (60.0 + 150.0 * x[:, 0] * (0.5 + 0.5 * x[:, 1]) + 40.0 * x[:, 2] ** 2
         + 30.0 * (x[:, 3] > 0.7) + 20.0 * x[:, 4] * x[:, 5] + 10.0 * x[:, 6]
         + rng.normal(0.0, 2.0, rows))
    with open(path, "wb") as out:
        np.array([rows, columns], dtype="<i8").tofile(out)
        x.astype("<f8").tofile(out)
        y.astype("<f8").tofile(out)


def read_data(path):
    with open(path, "rb") as data:
        rows, columns = np.fromfile(data, dtype="<i8", count=2)
        x = np.fromfile(data, dtype="<f8", count=rows * columns).reshape(rows, columns)
        y = np.fromfile(data, dtype="<f8", count=rows)
    return x, y


def per_call_us(call):
    """Median over 7 batches of the per-call time, in µs; batches sized to ~50 ms."""
    batch = 1
    while True:
        start = time.perf_counter()
        for _ in range(batch):
            call()
        if time.perf_counter() - start > 0.05:
            break
        batch *= 2
    samples = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(batch):
            call()
        samples.append((time.perf_counter() - start) / batch * 1e6)
    return statistics.median(samples)


def run_ours(bench, data, threads, rounds, out):
    subprocess.run([bench, "--data", data, "--threads", str(threads), "--rounds", str(rounds),
                    "--out", out], check=True)
    with open(out) as result:
        return json.load(result)


def run_theirs(x, y, threads, rounds, parameters):
    start = time.perf_counter()
    train = xgboost.DMatrix(x, label=y, nthread=threads)
    booster = xgboost.train(parameters, train, num_boost_round=rounds)
    return time.perf_counter() - start, booster


def spread(values, unit, digits):
    return (f"{min(values):.{digits}f} / {statistics.median(values):.{digits}f} / "
            f"{max(values):.{digits}f} {unit}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", required=True, help="path to gbt_bench")
    parser.add_argument("--rows", default="1000000,200000")
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(f"xgboost {xgboost.__version__} (Python) and libxgboost through the C API, "
          f"{args.threads} threads, {args.rounds} rounds, max_depth 6, eta 0.1, hist; training "
          f"includes DMatrix construction on both sides; fastest / median / slowest of "
          f"{args.repeat} runs")
    table = []
    with tempfile.TemporaryDirectory() as work:
        for rows in (int(r) for r in args.rows.split(",")):
            data = os.path.join(work, f"data-{rows}.bin")
            write_data(data, rows, args.columns, seed=rows)
            x, y = read_data(data)
            ours, theirs, ours_results, booster = [], [], [], None
            for run in range(args.repeat):
                # Ours first on even runs, theirs first on odd ones. The first run of all is
                # ours: it tells the parameters Python must use.
                order = ("ours", "theirs") if run % 2 == 0 else ("theirs", "ours")
                for side in order:
                    if side == "ours":
                        result = run_ours(args.bench, data, args.threads, args.rounds,
                                          os.path.join(work, "result.json"))
                        ours.append(result["fit_seconds"])
                        ours_results.append(result)
                    else:
                        parameters = ours_results[0]["booster_parameters"]
                        seconds, booster = run_theirs(x, y, args.threads, args.rounds,
                                                      parameters)
                        theirs.append(seconds)
            checked = np.array(ours_results[0]["predictions"])
            disagreement = np.max(np.abs(booster.inplace_predict(x[:len(checked)]) - checked))
            table.append(("train " + f"{rows:,} × {args.columns}", spread(ours, "s", 2),
                          spread(theirs, "s", 2), min(ours) / min(theirs),
                          statistics.median(ours) / statistics.median(theirs),
                          f"models agree to {disagreement:.2g} W"))

        frame = np.ascontiguousarray(x[:7])
        python_trained = per_call_us(lambda: booster.inplace_predict(frame))
        booster.set_param({"nthread": 1})
        python_one_thread = per_call_us(lambda: booster.inplace_predict(frame))
        python_dmatrix = per_call_us(lambda: booster.predict(xgboost.DMatrix(frame, nthread=1)))
        ours_frame = [r["predict_frame_us"] for r in ours_results]
        ours_singles = [r["predict_seven_singles_us"] for r in ours_results]
        # Python's prediction is timed once (a median of 7 batches), ours once per run.
        table.append(("predict 7-row frame (ours: predict_all; Python: inplace_predict, "
                      f"nthread {args.threads})", spread(ours_frame, "µs", 1),
                      f"{python_trained:.1f} µs", min(ours_frame) / python_trained,
                      statistics.median(ours_frame) / python_trained, ""))
        table.append(("  same, Python booster set to nthread 1", spread(ours_frame, "µs", 1),
                      f"{python_one_thread:.1f} µs", min(ours_frame) / python_one_thread,
                      statistics.median(ours_frame) / python_one_thread, ""))
        table.append(("  ours as 7 × predict(); Python predict(DMatrix(frame))",
                      spread(ours_singles, "µs", 1), f"{python_dmatrix:.1f} µs",
                      min(ours_singles) / python_dmatrix,
                      statistics.median(ours_singles) / python_dmatrix, ""))

    width = max(len(row[0]) for row in table)
    print(f"{'':{width}}  {'ours (C API)':>26}  {'xgboost (Python)':>26}  "
          f"{'ours/Python: fastest':>20}  {'median':>7}")
    for name, ours_cell, theirs_cell, best_ratio, median_ratio, note in table:
        print(f"{name:{width}}  {ours_cell:>26}  {theirs_cell:>26}  {best_ratio:>19.2f}×  "
              f"{median_ratio:>6.2f}×  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
