"""Seed corpora of the fuzz targets (scripts/fuzz.sh): per target a directory
of inputs that exercise much of what it reads.
  import:   the bundled models, every op test model and edge-case model
            (test/e2e/edge_models.py), the first nodes of the real models,
            and the lit tests' ONNX text
  onnxtext: the same models as ONNX text
  npz:      calibration files, one array of every dtype and rank, .npy
  json:     statistics, override rules, a cost table, a sensitivity cache
            and an artifact manifest
usage: python scripts/fuzz_seeds.py OUT_DIR"""
import io
import json
import pathlib
import sys

import numpy as np
import onnx
from onnx import helper, printer

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "test" / "e2e"), str(ROOT / "benchmarks")]
from edge_models import edge_models  # noqa: E402


def op_test_models():
    from test_combination_parity import COMBOS  # noqa: E402
    from test_op_parity import CASES  # noqa: E402
    for name, case in {**CASES, **COMBOS}.items():
        built = case() if callable(case) else case
        model = built[0] if isinstance(built, tuple) else built
        if isinstance(model, onnx.ModelProto):
            yield f"op_{name}", model


def first_nodes(model, count=6):
    """The first `count` nodes of a real model with what they read."""
    graph = model.graph
    nodes = list(graph.node[:count])
    used = {name for node in nodes for name in node.input}
    inits = [t for t in graph.initializer if t.name in used]
    outputs = [helper.make_value_info(nodes[-1].output[0], onnx.TypeProto())]
    small = helper.make_graph(nodes, "first", list(graph.input), outputs, inits)
    return helper.make_model(small, opset_imports=model.opset_import)


def real_model_heads():
    try:
        from datasets import real_models  # noqa: E402
        for model in real_models():
            yield f"head_{model.name}", first_nodes(onnx.load(model.path))
    except Exception as e:  # the packages may be missing: seeds are optional
        print(f"fuzz_seeds: no real models ({e})", file=sys.stderr)


def write_models(out):
    (out / "import").mkdir(parents=True, exist_ok=True)
    (out / "onnxtext").mkdir(parents=True, exist_ok=True)
    sources = [(p.stem, onnx.load(p)) for p in sorted((ROOT / "models").glob("*.onnx"))]
    for source in (edge_models(shapes=[(), (1,), (0,), (2, 3)]), op_test_models(),
                   real_model_heads()):
        try:
            sources += list(source)
        except Exception as e:  # an unusual case builder: skip it
            print(f"fuzz_seeds: {e}", file=sys.stderr)
    for name, model in sources:
        data = model.SerializeToString()
        if len(data) > 200_000:
            continue
        (out / "import" / f"{name}.onnx").write_bytes(data)
        try:
            (out / "onnxtext" / f"{name}.onnxtxt").write_text(printer.to_text(model))
        except Exception:  # not every model prints
            pass
    for test in (ROOT / "test" / "Import" / "ONNX").rglob("*.onnxtxt"):
        # Bytes: the fuzz regressions among them need not be UTF-8.
        text = b"".join(l for l in test.read_bytes().splitlines(True)
                        if not l.startswith(b"#"))
        (out / "import" / test.name).write_bytes(text)
        (out / "onnxtext" / test.name).write_bytes(text)


def write_arrays(out):
    npz = out / "npz"
    npz.mkdir(parents=True, exist_ok=True)
    for path in (ROOT / "models").glob("*.npz"):
        (npz / path.name).write_bytes(path.read_bytes())
    for dtype in ["float32", "float64", "float16", "int8", "uint8", "int32", "int64", "bool"]:
        for shape in [(), (0,), (3,), (2, 1, 2)]:
            array = (np.arange(int(np.prod(shape))).reshape(shape) % 5).astype(dtype)
            name = f"{dtype}_{'x'.join(map(str, shape)) or 'scalar'}"
            np.savez(npz / f"{name}.npz", x=array)
            np.savez_compressed(npz / f"{name}_deflated.npz", x=array, y=array)
            buffer = io.BytesIO()
            np.save(buffer, array)
            (npz / f"{name}.npy").write_bytes(buffer.getvalue())


def write_json(out):
    seeds = {
        "statistics": {"format": "quantc-statistics", "version": 1, "tensors": {
            "conv1": {"min": -1.5, "max": 2.0, "histogram": {"min": -1.5, "max": 2.0,
                                                             "counts": [1, 4, 9, 4, 1]}}}},
        "overrides": {"rules": [{"name": "conv1", "activation": "i16", "weight": "i8"},
                                {"op_type": "MatMul", "weight": "i4", "granularity": "per_group",
                                 "group_size": 32}, {"name_regex": "^head", "precision": "f32"}]},
        "cost_table": {"ns_per_mac": {"f32": 0.06, "bf16": 0.1, "i8": 0.005, "w4": 0.02}},
        "sensitivity": {"fingerprint": "fingerprint", "errors": {"layer|i8": 0.01}},
        "manifest": {"format": "quantc-artifact-2", "target": "cpu", "target_cpu": "znver4",
                     "target_features": ["avx2", "avx512f"],
                     "library": {"file": "m.so", "size": 20, "xxh3_64": "0123456789abcdef"},
                     "inputs": [{"name": "image", "dtype": "f32", "shape": [1, 3]}]},
    }
    (out / "json").mkdir(parents=True, exist_ok=True)
    for name, value in seeds.items():
        (out / "json" / f"{name}.json").write_text(json.dumps(value, indent=1))


if __name__ == "__main__":
    out = pathlib.Path(sys.argv[1])
    write_models(out)
    write_arrays(out)
    write_json(out)
    for target in sorted(p for p in out.iterdir() if p.is_dir()):
        print(f"{target.name}: {sum(1 for _ in target.iterdir())} seeds")
