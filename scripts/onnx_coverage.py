#!/usr/bin/env python3
"""Writes docs/onnx-coverage.md: for every operator of ONNX's default domain
(onnx 1.17), what quantc does with it, measured here rather than claimed.

- Import: the importer's own table (`quant-opt --list-onnx-ops`): imported,
  or declined with the reason the importer gives.
- ONNX backend tests: ONNX's node tests (model, inputs, expected outputs)
  through the reference evaluator (quant-run), passed / run. Inputs that the
  importer needs as constants (axes, shapes, K) are bound with --bind-inputs
  as a user would; tests whose inputs numpy cannot hold are not run. The ops
  whose output size depends on the values (NonZero, NonMaxSuppression)
  return quantc's static maximum, padded with -1: the expected output must
  lead it, and the rest be -1.
- Imports to: the qc ops its cases in test/e2e/test_op_parity.py become.
- CPU, int8: the project's tests that compile those cases (float, and int8
  bit-exact against the evaluator): test/e2e/test_compiled.py.
- CUDA: whether one case compiles for --target cuda (sm_80 cubin), here.

Usage: onnx_coverage.py [--bin BUILD/bin] [--check]
With --check it fails (exit 1) when the file differs from what it would write.
"""
import argparse
import concurrent.futures
import os
import pathlib
import re
import subprocess
import sys
import tempfile
from collections import defaultdict

import numpy as np
import onnx
import onnx.defs
from onnx import numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "onnx-coverage.md"
NODE_TESTS = pathlib.Path(onnx.__file__).parent / "backend" / "test" / "data" / "node"
MAX_OPSET = 22
CONSTANT_INPUT = re.compile(r"input (\d+) \('([^']*)'\) must be a compile-time constant")

sys.path.insert(0, str(ROOT / "test" / "e2e"))


def default_domain_ops():
    """Each op of the default domain with a version that is not deprecated,
    and its versions <= 22."""
    versions = defaultdict(set)
    current = set()
    for schema in onnx.defs.get_all_schemas_with_history():
        if schema.domain != "":
            continue
        if schema.since_version <= MAX_OPSET:
            versions[schema.name].add(schema.since_version)
        if not schema.deprecated:
            current.add(schema.name)
    return {op: sorted(v) for op, v in versions.items() if op in current}


def importer_table(bin_dir):
    out = subprocess.run([str(bin_dir / "quant-opt"), "--list-onnx-ops"], check=True,
                         capture_output=True, text=True).stdout
    table = {}
    for line in out.splitlines():
        op, status, *reason = line.split("\t")
        table[op] = (status, reason[0] if reason else "")
    return table


def load_tensor(path, declared=None):
    """The tensor at `path`. Bfloat16 values (stored as their uint16 bits where
    `declared`, the graph's value info, says bfloat16) come as float32."""
    tensor = onnx.TensorProto()
    tensor.ParseFromString(path.read_bytes())
    array = numpy_helper.to_array(tensor)
    # Float8 values come as float32, which carries them exactly.
    float8 = {onnx.TensorProto.FLOAT8E4M3FN: (numpy_helper.float8e4m3_to_float32, False),
              onnx.TensorProto.FLOAT8E4M3FNUZ: (numpy_helper.float8e4m3_to_float32, True),
              onnx.TensorProto.FLOAT8E5M2: (numpy_helper.float8e5m2_to_float32, False),
              onnx.TensorProto.FLOAT8E5M2FNUZ: (numpy_helper.float8e5m2_to_float32, True)}
    if tensor.data_type in float8:
        convert, uz = float8[tensor.data_type]
        return convert(array.view(np.uint8), fn=uz, uz=uz) if uz else convert(array.view(np.uint8))
    # 4-bit integers come as int8 / uint8, which carry them in .npz files.
    if tensor.data_type in (onnx.TensorProto.INT4, onnx.TensorProto.UINT4):
        return array.view(np.int8 if tensor.data_type == onnx.TensorProto.INT4 else np.uint8)
    bfloat16 = onnx.TensorProto.BFLOAT16
    if tensor.data_type == bfloat16 or (
            declared is not None and declared.type.tensor_type.elem_type == bfloat16):
        return (array.astype(np.uint32) << 16).view(np.float32)
    return array


def outputs_match(got, expected):
    if got.shape != expected.shape:
        return False
    if expected.dtype.kind not in "fc":
        return np.array_equal(got.astype(expected.dtype), expected)
    got, expected = got.astype(np.float64), expected.astype(np.float64)
    nan = np.isnan(expected)
    if np.any(np.isnan(got) != nan):
        return False
    finite = np.isfinite(expected)
    if np.any(got[~finite & ~nan] != expected[~finite & ~nan]):
        return False
    scale = max(np.max(np.abs(expected[finite]), initial=0.0), 1e-6)
    return np.max(np.abs(got[finite] - expected[finite]), initial=0.0) <= 1e-3 * scale


# Ops whose output size depends on the values: the axis along which quantc
# pads their static maximum with -1 (docs/README.md).
PADDED_AXIS = {"NonZero": 1, "NonMaxSuppression": 0}


def padded_outputs_match(got, expected, axis):
    """`expected` leads `got` along `axis`, and -1 fills the rest."""
    count = expected.shape[axis]
    if got.ndim != expected.ndim or got.shape[axis] < count:
        return False
    lead = np.take(got, np.arange(count), axis=axis)
    rest = np.take(got, np.arange(count, got.shape[axis]), axis=axis)
    return lead.shape == expected.shape and np.array_equal(lead, expected) and bool(
        (rest == -1).all())


def run_node_test(case, bin_dir):
    """(op types, passed or None when it cannot run here)."""
    model = onnx.load(case / "model.onnx")
    ops = {node.op_type for node in model.graph.node}
    data = case / "test_data_set_0"
    order = lambda p: int(p.stem.split("_")[1])
    initializers = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in initializers]
    names = [i.name for i in graph_inputs]
    input_files = sorted(data.glob("input_*.pb"), key=order)
    if len(input_files) != len(graph_inputs):
        return ops, None
    try:
        inputs = [load_tensor(p, info) for p, info in zip(input_files, graph_inputs)]
        expected = [load_tensor(p, info) for p, info in
                    zip(sorted(data.glob("output_*.pb"), key=order), model.graph.output)]
    except Exception:
        return ops, None
    if any(a.dtype.kind not in "biuf" for a in inputs + expected):
        return ops, None
    feed = dict(zip(names, inputs))
    bfloat16_inputs = any(i.type.tensor_type.elem_type == onnx.TensorProto.BFLOAT16
                          for i in graph_inputs)
    with tempfile.TemporaryDirectory() as tmp:
        bound = {}
        for _ in range(len(names) + 1):
            np.savez(f"{tmp}/in.npz", **{k: v for k, v in feed.items() if k not in bound})
            args = [str(bin_dir / "quant-run"), str(case / "model.onnx"), "--inputs",
                    f"{tmp}/in.npz", "--outputs", f"{tmp}/out.npz"]
            if bfloat16_inputs:  # Fed as float32 of the same values.
                args.append("--cast-inputs")
            if bound:
                np.savez(f"{tmp}/bound.npz", **bound)
                args += ["--bind-inputs", f"{tmp}/bound.npz"]
            proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
            if proc.returncode == 0:
                with np.load(f"{tmp}/out.npz") as out:
                    got = [out[k] for k in out.files]
                padded = PADDED_AXIS.get(next(iter(ops))) if len(ops) == 1 else None
                match = (lambda g, e: padded_outputs_match(g, e, padded)) \
                    if padded is not None else outputs_match
                return ops, len(got) == len(expected) and all(
                    match(g, e) for g, e in zip(got, expected))
            match = CONSTANT_INPUT.search(proc.stderr)
            if not match or match.group(2) not in feed or match.group(2) in bound:
                return ops, False
            bound[match.group(2)] = feed[match.group(2)]
    return ops, False


def exported_model_results(bin_dir):
    """(passed, run) over ONNX's test models exported from PyTorch layers and
    operators (most of opset 6, from before uniform broadcasting)."""
    root = NODE_TESTS.parent
    cases = sorted(p for sub in ("pytorch-converted", "pytorch-operator")
                   for p in (root / sub).iterdir() if (p / "model.onnx").exists())
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        results = [passed for _, passed in pool.map(lambda c: run_node_test(c, bin_dir), cases)
                   if passed is not None]
    return sum(results), len(results)


# Why node tests of imported operators fail: where ONNX's test data and
# ONNX Runtime disagree quantc follows ONNX Runtime (docs/README.md).
KNOWN_FAILURES = [
    (re.compile(r"test_training_dropout"),
     "a random mask in training mode: no seed makes it reproducible"),
    (re.compile(r"test_cast(like)?_FLOAT_to_BFLOAT16"),
     "rounds to nearest even, as ONNX Runtime does; the test data truncates"),
    (re.compile(r"test_qlinearmatmul_.*int8"),
     "saturates to int8, as ONNX Runtime does; the test data wraps around"),
    (re.compile(r"test_maxunpool_export_with_output_shape"),
     "writes at the flat indices of `output_shape`, as ONNX Runtime does"),
    (re.compile(r"test_resize_downsample_scales_.*_align_corners"),
     "divides by the integer output length, as ONNX Runtime does"),
]


def backend_results(bin_dir, ops):
    """(op -> [passed, run], the failing tests' names) over the node tests of
    models with that op alone (besides Constant), `_expanded` variants
    (function bodies) excluded."""
    cases = sorted(p for p in NODE_TESTS.iterdir()
                   if (p / "model.onnx").exists() and "_expanded" not in p.name)
    results = defaultdict(lambda: [0, 0])
    failing = defaultdict(list)
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for case, (used, passed) in zip(cases, pool.map(lambda c: run_node_test(c, bin_dir),
                                                        cases)):
            used = used - {"Constant"}
            if passed is None or len(used) != 1:
                continue
            op = next(iter(used))
            if op in ops:
                results[op][1] += 1
                results[op][0] += bool(passed)
                if not passed:
                    failing[op].append(case.name)
    return results, failing


def failure_lines(table, failing):
    """The failing node tests of imported operators, each with its reason."""
    lines = []
    for op in sorted(failing):
        if table.get(op, ("",))[0] != "imported":
            continue
        for name in failing[op]:
            reason = next((why for pattern, why in KNOWN_FAILURES if pattern.match(name)),
                          "not explained yet")
            lines.append(f"| {op} | `{name}` | {reason} |")
    return lines


CONTROL_FLOW_OPS = ("If", "Loop", "Scan")


def project_cases():
    """op -> list of (case name, model, float inputs) from test_op_parity,
    the control flow and the sequence cases (which test_compiled compiles
    too)."""
    from control_flow_cases import CONTROL_FLOW
    from sequence_cases import SEQUENCES
    from test_compiled import EVALUATOR_ONLY
    from test_op_parity import CASES
    by_op = defaultdict(list)
    for name, (model, inputs) in sorted({**CASES, **CONTROL_FLOW, **SEQUENCES}.items()):
        floats = all(a.dtype == np.float32 for a in inputs.values())
        # A branch or loop case computes its condition first: it is the
        # control flow op's case. A sequence case builds its sequence first:
        # it is the case of the op it is named after.
        ops = [node.op_type for node in model.graph.node]
        named = sorted((o for o in ops if name.startswith(o)), key=len)
        op = next((o for o in ops if o in CONTROL_FLOW_OPS),
                  named[-1] if name in SEQUENCES and named else ops[0])
        by_op[op].append((name, model, floats, name in EVALUATOR_ONLY))
    return by_op


def qc_ops_and_cuda(bin_dir, model):
    """The qc ops `model` imports to, and whether it compiles for CUDA."""
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "model.onnx"
        onnx.save(model, path)
        ir = subprocess.run([str(bin_dir / "quant-opt"), str(path)], capture_output=True,
                            text=True)
        ops = sorted(set(re.findall(r"\b(qc\.[a-z_0-9]+|scf\.(?:if|while|for))\b", ir.stdout))
                     - {"qc.constant", "qc.name"})
        cuda = subprocess.run([str(bin_dir / "quantc"), str(path), "--target", "cuda",
                               "--gpu-arch", "sm_80", "-o", f"{tmp}/model.so"],
                              capture_output=True, text=True)
        return ops, cuda.returncode == 0


def render(bin_dir):
    ops = default_domain_ops()
    table = importer_table(bin_dir)
    backend, failing = backend_results(bin_dir, ops)
    cases = project_cases()
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        compiled = dict(zip(cases, pool.map(lambda op: qc_ops_and_cuda(bin_dir, cases[op][0][1]),
                                            cases)))
    imported = sum(table.get(op, ("",))[0] == "imported" for op in ops)
    declined = sum(table.get(op, ("",))[0] == "declined" for op in ops)
    run = sum(r[1] for r in backend.values())
    passed = sum(r[0] for r in backend.values())
    exported_passed, exported_run = exported_model_results(bin_dir)
    lines = [
        "# ONNX operator coverage",
        "",
        "Generated by `scripts/onnx_coverage.py` from the importer's table, ONNX's backend",
        "node tests and the project's tests; `test/e2e/test_onnx_coverage.py` fails when it",
        "is stale. Do not edit by hand.",
        "",
        f"Of the {len(ops)} operators of ONNX's default domain (onnx {onnx.__version__}, "
        f"opsets up to {MAX_OPSET}), quantc imports **{imported}** and declines "
        f"**{declined}** with a reason; {len(ops) - imported - declined} are not done yet.",
        f"ONNX's backend node tests of single operators: **{passed} of {run}** pass through",
        "the reference evaluator (tolerance 1e-3 of the largest output; NonZero's and",
        "NonMaxSuppression's expected outputs leading quantc's static maximum, the rest",
        "-1); of its models",
        f"exported from PyTorch layers and operators (most of opset 6), **{exported_passed} of "
        f"{exported_run}** pass.",
        "",
        "Columns:",
        "- *Versions*: the operator's ONNX versions through opset 22; the importer reads",
        "  models of opsets 1-22 and handles each version's attributes and inputs, except",
        "  the older forms of the ops imported *from* a later opset.",
        "- *Backend tests*: ONNX's node tests of the operator alone, passed / run here",
        "  (inputs the importer needs as constants bound with `--bind-inputs`).",
        "- *Imports to*: the qc ops of the operator's cases in `test/e2e/test_op_parity.py`.",
        "- *CPU*, *int8*: cases compiled by `test/e2e/test_compiled.py`: in float (within",
        "  1e-5 of the evaluator), and quantized to int8 (bit-exact against the evaluator).",
        "  How an op quantizes follows from its qc ops: convolutions, matmuls and gemms",
        "  become integer layers; element-wise functions of one 8-bit tensor become",
        "  256-entry tables; add and mul integer ops; reshapes, transposes, slices,",
        "  max pooling, nearest resizing and concatenation keep the scale; the rest",
        "  computes in float between dequantized inputs and a quantized output.",
        "- *CUDA*: whether the first case compiles for `--target cuda` (sm_80); ops that",
        "  call CPU microkernels (TopK's partial sort) do not.",
        "",
        "| Operator | Versions | Import | Backend tests | Imports to | CPU | int8 | CUDA |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for op in sorted(ops):
        status, reason = table.get(op, ("not done", ""))
        if status == "declined":
            status = f"declined: {reason}"
        elif status == "not done":
            status = "not done yet"
        elif reason:
            status = f"{status} {reason}"
        passed_run = backend.get(op)
        tests = f"{passed_run[0]} / {passed_run[1]}" if passed_run else "—"
        own = cases.get(op, [])
        qc_ops, cuda = compiled.get(op, ([], None))
        cpu = sum(not evaluator_only for _, _, _, evaluator_only in own)
        int8 = sum(floats and not evaluator_only for _, _, floats, evaluator_only in own)
        lines.append(
            f"| {op} | {', '.join(map(str, ops[op]))} | {status} | {tests} | "
            f"{', '.join(f'`{q}`' for q in qc_ops) or '—'} | {cpu or '—'} | {int8 or '—'} | "
            f"{'—' if cuda is None else ('yes' if cuda else 'no')} |")
    lines += ["", "## Node tests of imported operators that fail", "",
              "| Operator | Test | Why |", "|---|---|---|", *failure_lines(table, failing)]
    return "\n".join(lines) + "\n"


def without_cuda_column(text):
    return "\n".join(re.sub(r"\| (yes|no|—) \|$", "| |", line) for line in text.splitlines())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.environ.get("QUANTC_BIN_DIR", ROOT / "build" / "bin"))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    bin_dir = pathlib.Path(args.bin)
    text = render(bin_dir)
    if args.check:
        current = DOC.read_text() if DOC.exists() else ""
        if not (bin_dir.parent / "lib" / "libquantc_cuda.a").exists():
            # Built without the CUDA toolkit: the CUDA column cannot be checked.
            text, current = without_cuda_column(text), without_cuda_column(current)
        if current != text:
            print(f"{DOC} is stale: run scripts/onnx_coverage.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
