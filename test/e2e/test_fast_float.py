"""The fast float mode (--float-mode=fast): FMA, reordered sums and
polynomial math everywhere, and, where this CPU has AMX-BF16 or AVX-512
BF16, float layers with constant weights on bf16 operands with f32 sums
(qc-fast-float).
- Single layers against the evaluator on the graph the fast mode compiles
  (bf16 operands where narrowed): only the order of the sums differs.
- The real models against the evaluator on the float model: the fast
  mode's documented tolerance (docs/README.md, "Float modes"). In a whole
  model a reordered sum can flip the bf16 rounding of the next layer's
  input, so its error is the bf16 operands' error, whatever the order.
"""
import json
import subprocess

import numpy as np
import pytest

import onnx

from conftest import BIN, ROOT, max_rel_error, quant_run
from test_real_models import PACKAGE_MODELS, package_model

# Max relative error (max |difference| / max(max |reference|, 1)) against
# the float model's evaluator with bf16 layers, measured on an Intel Xeon
# with AMX-BF16 (OpenVINO's bf16 hint on the same inputs, against ONNX
# Runtime, in brackets): digits_cnn 0.22 % (0.55 %), ppocr-cls 0.16 %
# (1.4 %), ppocr-det 6e-7 (3e-6), ppocr-rec 3.0 % (1.6 %), yolov8n 0.50 %
# (0.76 %); bounded here at about twice that.
FLOAT_MODEL_TOLERANCE = {"digits_cnn": 0.005, "yolov8n-nudenet": 0.015, "ppocr-cls": 0.005,
                         "ppocr-det": 1e-5, "ppocr-rec": 0.06}
# Models whose outputs are class scores: the fast mode must choose the same
# classes (digits, text direction, characters of each text position).
CLASSIFIERS = {"digits_cnn", "ppocr-cls", "ppocr-rec"}
# Without bf16 layers: FMA and polynomial math only.
FMA_TOLERANCE = 1e-5


def has_bf16_tiles():
    """Whether this CPU runs the bf16 tile layout: on AMX-BF16 tiles or on
    AVX-512 BF16 dot products."""
    return bf16_min_reduction() is not None


def bf16_min_reduction():
    """The fewest reduction steps of a layer the fast mode narrows on this
    CPU: 16 on AMX-BF16 tiles (qc-fast-float's default), 8 with AVX-512
    BF16 alone; None without bf16 products."""
    flags = open("/proc/cpuinfo").read()
    if " amx_bf16 " in flags:
        return 16
    return 8 if " avx512_bf16 " in flags else None


def model_and_input(name):
    if name == "digits_cnn":
        with np.load(ROOT / "models" / "digits_test.npz") as data:
            image = data["image"][:4]
        return ROOT / "models" / "digits_cnn.onnx", "image", image
    package, relpath, input_name, shape = PACKAGE_MODELS[name]
    rng = np.random.default_rng(3)
    yy, xx = np.meshgrid(np.linspace(0, 1, shape[2]), np.linspace(0, 1, shape[3]), indexing="ij")
    image = np.stack([np.sin(6 * xx + c) * np.cos(4 * yy) * 0.5 + 0.5 for c in range(3)])
    image = image[None].astype(np.float32) + rng.uniform(0, 0.05, shape).astype(np.float32)
    return package_model(package, relpath), input_name, image


def run(tool, *args):
    proc = subprocess.run([str(BIN / tool), *map(str, args)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc


# The reduction steps of the layers below that have fewer than 16: bf16
# layers only where this CPU narrows from fewer steps (bf16_min_reduction).
THIN_LAYER_STEPS = {"MatMulThin": 12, "ConvThin": 12, "ConvOneChannel": 9}


def layer_model(op):
    """A float layer wide enough for bf16 tiles: MatMul, Gemm (transposed
    weight), Conv (3x3, padded) or ConvTranspose (2x2 at stride 2, each
    output pixel one tap; 3x3 at stride 2, padded, with output padding);
    or a thin one: MatMulThin (12 steps), ConvThin (1x1, 12 input
    channels), ConvOneChannel (3x3, padded, one input channel: an odd
    reduction)."""
    rng = np.random.default_rng(11)
    image = op.startswith("Conv")
    steps = THIN_LAYER_STEPS.get(op, 50)
    channels = {"ConvThin": 12, "ConvOneChannel": 1}.get(op, 16)
    x = rng.standard_normal((2, channels, 9, 9) if image else (37, steps)).astype(np.float32)
    if op.startswith("MatMul"):
        node = onnx.helper.make_node("MatMul", ["X", "W"], ["Y"])
        weights, out = [rng.standard_normal((steps, 70))], [37, 70]
    elif op == "Gemm":
        node = onnx.helper.make_node("Gemm", ["X", "W", "B"], ["Y"], transB=1, beta=0.5)
        weights, out = [rng.standard_normal((40, 50)), rng.standard_normal(40)], [37, 40]
    elif op == "ConvTranspose2x2":
        node = onnx.helper.make_node("ConvTranspose", ["X", "W", "B"], ["Y"], strides=[2, 2])
        weights, out = [rng.standard_normal((16, 12, 2, 2)), rng.standard_normal(12)], [2, 12, 18, 18]
    elif op == "ConvTranspose3x3":
        node = onnx.helper.make_node("ConvTranspose", ["X", "W"], ["Y"], strides=[2, 2],
                                     pads=[1, 1, 1, 1], output_padding=[1, 1])
        weights, out = [rng.standard_normal((16, 20, 3, 3))], [2, 20, 18, 18]
    elif op == "ConvThin":
        node = onnx.helper.make_node("Conv", ["X", "W", "B"], ["Y"])
        weights, out = [rng.standard_normal((32, 12, 1, 1)), rng.standard_normal(32)], [2, 32, 9, 9]
    elif op == "ConvOneChannel":
        node = onnx.helper.make_node("Conv", ["X", "W"], ["Y"], pads=[1, 1, 1, 1])
        weights, out = [rng.standard_normal((16, 1, 3, 3))], [2, 16, 9, 9]
    else:
        node = onnx.helper.make_node("Conv", ["X", "W", "B"], ["Y"], pads=[1, 1, 1, 1])
        weights, out = [rng.standard_normal((33, 16, 3, 3)), rng.standard_normal(33)], [2, 33, 9, 9]
    inits = [onnx.numpy_helper.from_array(w.astype(np.float32), name)
             for w, name in zip(weights, ["W", "B"])]
    graph = onnx.helper.make_graph(
        [node], "g", [onnx.helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, x.shape)],
        [onnx.helper.make_tensor_value_info("Y", onnx.TensorProto.FLOAT, out)], inits)
    return onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)]), x


@pytest.mark.parametrize("op", ["MatMul", "Gemm", "Conv", "ConvTranspose2x2",
                                "ConvTranspose3x3", "MatMulThin", "ConvThin",
                                "ConvOneChannel"])
def test_fast_float_layer(op, tmp_path):
    """The fast mode runs transposed convolutions as convolutions
    (qc-decompose-conv-transpose), so on the convolution kernels; the
    evaluator runs the graph so rewritten, with the layers this CPU
    narrows in bf16."""
    model, x = layer_model(op)
    onnx.save(model, tmp_path / "m.onnx")
    run("quantc", tmp_path / "m.onnx", "--float-mode=fast", "--save-ir", tmp_path / "float.mlir",
        "-o", tmp_path / "fast.so")
    symbols = subprocess.run(["nm", tmp_path / "fast.so"], capture_output=True, text=True).stdout
    convolution = op.startswith("Conv")
    prepare = "qc-decompose-conv-transpose"
    min_reduction = bf16_min_reduction()
    if min_reduction is not None and THIN_LAYER_STEPS.get(op, 16) >= min_reduction:
        assert ("quantc_bconv_tiles" if convolution else "quantc_bmatmul_tiles") in symbols
        prepare += f",func.func(qc-fast-float{{min-reduction={min_reduction}}})"
    else:
        assert ("quantc_fconv_fast_" if convolution else "quantc_fmatmul_fast_") in symbols
    compiled_graph = tmp_path / "fast.mlir"
    run("quant-opt", tmp_path / "float.mlir", f"--pass-pipeline=builtin.module({prepare})",
        "-o", compiled_graph)
    if op.startswith("ConvTranspose"):
        assert "qc.conv_transpose" not in compiled_graph.read_text()
    actual = quant_run(tmp_path / "fast.so", {"X": x}, tmp_path)["Y"]
    expected = quant_run(compiled_graph, {"X": x}, tmp_path)["Y"]
    assert max_rel_error(actual, expected) <= 1e-5


@pytest.mark.parametrize("channels", [6, 32])
@pytest.mark.parametrize("strides", [[1, 1], [2, 1], [1, 2], [2, 2]])
def test_fast_float_depthwise_5x5(strides, channels, tmp_path):
    """5 x 5 depthwise windows in the fast mode: 6 channels sum column by
    column with pixels in vector lanes (blocks of 8 output rows; 13 rows
    leave a partial block, 37 columns a partial vector), 32 with channels in
    the lanes: FMA tolerance against the evaluator."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, channels, 13 * strides[0], 37 * strides[1])).astype(np.float32)
    w = rng.standard_normal((channels, 1, 5, 5)).astype(np.float32)
    node = onnx.helper.make_node("Conv", ["X", "W", "B"], ["Y"], group=channels,
                                 pads=[2, 2, 2, 2], strides=strides)
    graph = onnx.helper.make_graph(
        [node], "g", [onnx.helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, x.shape)],
        [onnx.helper.make_tensor_value_info("Y", onnx.TensorProto.FLOAT, [1, channels, 13, 37])],
        [onnx.numpy_helper.from_array(w, "W"),
         onnx.numpy_helper.from_array(rng.standard_normal(channels).astype(np.float32), "B")])
    onnx.save(onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)]),
              tmp_path / "m.onnx")
    run("quantc", tmp_path / "m.onnx", "--float-mode=fast", "-o", tmp_path / "fast.so")
    actual = quant_run(tmp_path / "fast.so", {"X": x}, tmp_path)["Y"]
    expected = quant_run(tmp_path / "m.onnx", {"X": x}, tmp_path)["Y"]
    assert max_rel_error(actual, expected) <= FMA_TOLERANCE


def epilogue_model():
    """Convolutions followed by what the fast mode fuses into them: scalar
    affine maps around a hard-swish spelled out (x * clip(x + 3, 0, 6) / 6)
    after a 3 x 3 convolution, a ReLU after a 5 x 5 depthwise one (an f32
    kernel), x * hard_sigmoid(x) after a pointwise one."""
    rng = np.random.default_rng(7)
    inits = {"W1": rng.standard_normal((32, 16, 3, 3)) * 0.2, "B1": rng.standard_normal(32) * 0.1,
             "W2": rng.standard_normal((32, 1, 5, 5)) * 0.2, "B2": rng.standard_normal(32) * 0.1,
             "W3": rng.standard_normal((24, 32, 1, 1)) * 0.2, "B3": rng.standard_normal(24) * 0.1,
             "a1": [1.3], "b1": [0.2], "a2": [0.8], "b2": [-0.1], "three": [3.0], "six": [6.0],
             "lo": np.float32(0.0), "hi": np.float32(6.0)}
    node = onnx.helper.make_node
    nodes = [node("Conv", ["X", "W1", "B1"], ["y1"], pads=[1, 1, 1, 1]),
             node("Mul", ["y1", "a1"], ["m1"]), node("Add", ["m1", "b1"], ["t"]),
             node("Add", ["t", "three"], ["t3"]), node("Clip", ["t3", "lo", "hi"], ["r6"]),
             node("Mul", ["t", "r6"], ["tr"]), node("Div", ["tr", "six"], ["hs"]),
             node("Mul", ["hs", "a2"], ["m2"]), node("Add", ["m2", "b2"], ["z1"]),
             node("Conv", ["z1", "W2", "B2"], ["y2"], pads=[2, 2, 2, 2], group=32),
             node("Relu", ["y2"], ["z2"]),
             node("Conv", ["z2", "W3", "B3"], ["y3"]),
             node("HardSigmoid", ["y3"], ["g"], alpha=1 / 6, beta=0.5),
             node("Mul", ["y3", "g"], ["Y"])]
    graph = onnx.helper.make_graph(
        nodes, "g", [onnx.helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, [1, 16, 12, 20])],
        [onnx.helper.make_tensor_value_info("Y", onnx.TensorProto.FLOAT, [1, 24, 12, 20])],
        [onnx.numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()])
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    return model, rng.standard_normal((1, 16, 12, 20)).astype(np.float32)


def test_fast_float_epilogues(tmp_path):
    """With bf16 tiles every element-wise op joins a convolution's call (no
    element-wise loop is left), and the library computes the fast mode's
    graph (the evaluator on it, hard-swish reassembled) up to the order of
    the sums; a last-bit difference may flip one bf16 rounding of a layer's
    input, hence the bound."""
    model, x = epilogue_model()
    onnx.save(model, tmp_path / "m.onnx")
    run("quantc", tmp_path / "m.onnx", "--float-mode=fast", "--save-ir", tmp_path / "float.mlir",
        "-o", tmp_path / "fast.so")
    actual = quant_run(tmp_path / "fast.so", {"X": x}, tmp_path)["Y"]
    if not has_bf16_tiles():
        expected = quant_run(tmp_path / "m.onnx", {"X": x}, tmp_path)["Y"]
        assert max_rel_error(actual, expected, floor=1.0) <= FMA_TOLERANCE
        return
    symbols = subprocess.run(["nm", tmp_path / "fast.so"], capture_output=True, text=True).stdout
    assert "main_parallel" not in symbols
    run("quant-opt", tmp_path / "float.mlir",
        "--pass-pipeline=builtin.module(func.func(qc-fast-float))", "-o", tmp_path / "fast.mlir")
    assert (tmp_path / "fast.mlir").read_text().count("qc.hard_swish") == 2
    expected = quant_run(tmp_path / "fast.mlir", {"X": x}, tmp_path)["Y"]
    assert max_rel_error(actual, expected, floor=1.0) <= 1e-3


# This CPU, and a target without bf16 products (FMA kernels only) on any CPU.
TARGETS = ["host", "x86-64-v4,+avx512vnni"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", ["digits_cnn", *sorted(PACKAGE_MODELS)])
def test_fast_float_model(name, target, tmp_path):
    model, input_name, image = model_and_input(name)
    inputs = {input_name: image}
    shape = ["--input-shape", f"{input_name}=" + "x".join(map(str, image.shape))]
    library = tmp_path / "fast.so"
    run("quantc", model, *shape, "--float-mode=fast", "--target-cpu", target, "-o", library)
    manifest = json.loads((tmp_path / "fast.json").read_text())
    assert manifest["float_mode"] == "fast"
    narrowed = [layer["name"] for layer in manifest["layers"]
                if layer["precision"]["activation"] == "bf16"]
    assert bool(narrowed) == (target == "host" and has_bf16_tiles())
    tolerance = FLOAT_MODEL_TOLERANCE[name] if narrowed else FMA_TOLERANCE
    actual = quant_run(library, inputs, tmp_path)
    for output, expected in quant_run(model, inputs, tmp_path, shape).items():
        error = max_rel_error(actual[output], expected, floor=1.0)
        print(f"{name} {output}: {len(narrowed)} bf16 layers, max relative error {error:.2e}")
        assert error <= tolerance, output
        if name in CLASSIFIERS:
            np.testing.assert_array_equal(actual[output].argmax(-1), expected.argmax(-1))


def test_portable_fast_library_takes_bf16_products(tmp_path):
    """--target-cpu portable in the fast mode has a variant for AVX-512 VNNI
    with BF16 (AMD Zen 4/5): on such a CPU without AMX it is the one that
    runs, bf16 layers and all. Its results are those of that variant
    compiled alone (the same code and kernels), not those of the variant
    without BF16 (f32 layers on FMA)."""
    flags = open("/proc/cpuinfo").read()
    if " avx512_bf16 " not in flags or " amx_bf16 " in flags:
        pytest.skip("needs a CPU with AVX-512 BF16 and without AMX-BF16")
    model, input_name, image = model_and_input("digits_cnn")
    shape = ["--input-shape", f"{input_name}=" + "x".join(map(str, image.shape))]
    outputs = {}
    for name, target in [("portable", "portable"),
                         ("bf16", "x86-64-v4,+avx512vnni,+avx512bf16"),
                         ("fma", "x86-64-v4,+avx512vnni")]:
        library = tmp_path / f"{name}.so"
        run("quantc", model, *shape, "--float-mode=fast", "--target-cpu", target, "-o", library)
        outputs[name] = quant_run(library, {input_name: image}, tmp_path)["logits"]
    np.testing.assert_array_equal(outputs["portable"], outputs["bf16"])
    assert not np.array_equal(outputs["portable"], outputs["fma"])
