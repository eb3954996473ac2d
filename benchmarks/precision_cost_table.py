"""Measures the cost table of qc-assign-precision's latency budget: the time
per multiply-accumulate of a layer at each candidate precision, by compiling
a one-layer model with quantc at that precision and timing the library.

    python benchmarks/precision_cost_table.py [-o results/precision_cost_table.json]

then: --qc-assign-precision="... latency-us=500 cost-table=that.json"
"""
import argparse
import json
import platform
import tempfile
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from timing import ROOT, compile_model, time_library

CANDIDATES = {
    "f32": {"activation": "f32", "weight": "f32"},
    "bf16": {"activation": "bf16", "weight": "bf16"},
    "i8": {"activation": "i8", "weight": "i8", "granularity": "per_channel"},
    "w8": {"activation": "f32", "weight": "i8", "granularity": "per_channel"},
    "w4": {"activation": "f32", "weight": "i4", "granularity": "per_group", "group_size": 32},
}


def matmul_model(path, m, k, n, rng):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"])], "layer",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(rng.standard_normal((k, n)).astype(np.float32), "W")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output", default=str(ROOT / "benchmarks" / "results" /
                                                     "precision_cost_table.json"))
    parser.add_argument("--shape", type=int, nargs=3, default=[8, 1024, 1024],
                        metavar=("M", "K", "N"))
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    m, k, n = args.shape
    rng = np.random.default_rng(0)
    table = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        model = tmp / "layer.onnx"
        matmul_model(model, m, k, n, rng)
        np.savez(tmp / "x.npz", X=rng.standard_normal((m, k)).astype(np.float32))
        for name, rule in CANDIDATES.items():
            (tmp / "rules.json").write_text(json.dumps({"rules": [{"op_type": "MatMul", **rule}]}))
            library = tmp / f"{name}.so"
            compile_model(model, library, calibration=tmp / "x.npz",
                          extra=["--overrides", tmp / "rules.json"])
            ms = min(time_library(library, tmp / "x.npz", 1, args.runs, 5) for _ in range(3))
            table[name] = ms * 1e6 / (m * k * n)
            print(f"{name}: {ms:.3f} ms, {table[name]:.5f} ns/MAC")
    result = {"machine": platform.processor() or platform.machine(),
              "shape": {"M": m, "K": k, "N": n}, "threads": 1, "ns_per_mac": table}
    pathlib.Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
