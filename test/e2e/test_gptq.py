"""GPTQ in qc-quantize against a numpy implementation of the published
algorithm (column by column in blocks of 128 with lazy updates), on random
layers with correlated inputs: the integer weights must be identical, and the
layer's output error below round to nearest's."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from conftest import quant_run
from test_lossless_int8 import quant_opt

ROWS = 64  # tokens per calibration sample (all measured: fewer than 256)


def matmul_model(path, w):
    k, n = w.shape
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="linear")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [ROWS, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [ROWS, n])],
        [helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.flatten())])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def second_moment(samples):
    """E[x x^T] as qc-quantize measures it: each sample's sum of products in
    f32 (products and sums rounded in order), summed over samples in f64."""
    total = np.zeros((samples[0].shape[1],) * 2)
    for x in samples:
        part = np.zeros(total.shape, np.float32)
        for row in x:
            part = part + np.outer(row, row).astype(np.float32)
        total += part
    return total * (1.0 / sum(len(x) for x in samples))


def scales_of(w, bits, group, asymmetric=False):
    """Round to nearest's scales and zero points, one per output column and
    group of `group` inputs (w is [in, out]): symmetric, |w| max on the
    largest level; or asymmetric, [min(w, 0), max(w, 0)] on the full range."""
    qmax = 2 ** (bits - 1) - 1
    k, n = w.shape
    blocks = w.astype(np.float64).reshape(k // group, group, n)
    if asymmetric:
        lo, hi = np.minimum(blocks.min(axis=1), 0), np.maximum(blocks.max(axis=1), 0)
        s = ((hi - lo) / (2 * qmax + 1)).astype(np.float32).astype(np.float64)
        s = np.where(s > 0, s, 1.0)
        z = np.clip(np.rint(-qmax - 1 - lo / s), -qmax - 1, qmax)
        return np.repeat(s, group, axis=0), np.repeat(z, group, axis=0), -qmax - 1, qmax
    top = np.abs(blocks).max(axis=1)
    s = np.where(top == 0, 1.0, (top / qmax).astype(np.float32).astype(np.float64))
    return np.repeat(s, group, axis=0), np.zeros_like(w, np.float64), -qmax, qmax


def gptq(w, h, bits, group, damping=0.01, act_order=False, block=128, asymmetric=False):
    """Levels minus zero points of W^T (rows = outputs) by GPTQ with static
    scales and zero points, and the scales."""
    scale, zero, qmin, qmax = scales_of(w, bits, group, asymmetric)
    W, S, Z = w.T.astype(np.float64).copy(), scale.T, zero.T
    H = h.copy()
    dead = np.diag(H) <= 0
    H[dead, dead] = 1
    W[:, dead] = 0
    order = np.argsort(-np.diag(H), kind="stable") if act_order else np.arange(len(H))
    W, S, Z, H = W[:, order], S[:, order], Z[:, order], H[order][:, order]
    H[np.diag_indices_from(H)] += damping * np.mean(np.diag(H))
    U = np.linalg.cholesky(np.linalg.inv(H)).T
    Q = np.zeros(W.shape, np.int64)
    cols = W.shape[1]
    for i1 in range(0, cols, block):
        i2 = min(i1 + block, cols)
        W1, E1 = W[:, i1:i2].copy(), np.zeros((W.shape[0], i2 - i1))
        for i in range(i2 - i1):
            d = U[i1 + i, i1 + i]
            q = np.clip(np.rint(W1[:, i] / S[:, i1 + i]) + Z[:, i1 + i], qmin, qmax) - Z[:, i1 + i]
            Q[:, i1 + i] = q
            err = (W1[:, i] - q * S[:, i1 + i]) / d
            W1[:, i:] -= np.outer(err, U[i1 + i, i1 + i:i2])
            E1[:, i] = err
        W[:, i2:] -= E1 @ U[i1:i2, i2:]
    result = np.zeros_like(Q)
    result[:, order] = Q
    return result.T, scale


def compiled_levels(path, options, calib, tmp_path, scale):
    """The layer's integer weights after qc-quantize: its output on the
    identity is the dequantized weight matrix."""
    out, log = quant_opt([path, f"--qc-quantize=activation=f32 {options} data={calib}"],
                         tmp_path)
    k = scale.shape[0]
    eye = np.eye(ROWS, k, dtype=np.float32)
    y = quant_run(out, {"x": eye}, tmp_path)["y"][:k]
    return np.rint(y / scale).astype(np.int64), log


def random_layer(seed, k, n, count=6):
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((k, n)) * rng.uniform(0.2, 2, (1, n))).astype(np.float32)
    mix = rng.standard_normal((k, k)) / np.sqrt(k) + np.eye(k)
    gains = rng.uniform(0.1, 3, k)
    samples = [(rng.standard_normal((ROWS, k)) @ mix * gains).astype(np.float32)
               for _ in range(count)]
    samples[0][:, 5] = 0  # an input that never fires
    for x in samples:
        x[:, 5] = 0
    return w, samples


@pytest.mark.parametrize("bits,group,act_order,scheme", [
    (4, 16, False, "symmetric"), (4, 16, True, "symmetric"), (4, 64, False, "symmetric"),
    (8, 64, True, "symmetric"), (4, 16, True, "asymmetric"), (8, 64, False, "asymmetric")])
def test_gptq_equals_the_published_algorithm(bits, group, act_order, scheme, tmp_path):
    k, n = 64, 24
    w, samples = random_layer(bits * 10 + group + act_order, k, n)
    if scheme == "asymmetric":  # columns of one sign, whose zero point is an end
        w[:, :4] = np.abs(w[:, :4])
    calib = tmp_path / "calib"
    calib.mkdir()
    for i, x in enumerate(samples):
        np.savez(calib / f"{i}.npz", x=x)
    path = tmp_path / "linear.onnx"
    matmul_model(path, w)
    expected, scale = gptq(w, second_moment(samples), bits, group, act_order=act_order,
                           asymmetric=scheme == "asymmetric")
    granularity = "per_channel" if group == k else f"per_group group-size={group}"
    options = (f"weight=i{bits} granularity={granularity} gptq=true "
               f"gptq-act-order={str(act_order).lower()} weight-scheme={scheme}")
    levels, _ = compiled_levels(path, options, calib, tmp_path, scale)
    np.testing.assert_array_equal(levels, expected)
    assert (levels[5] == 0).all()  # the dead input


def test_gptq_lowers_the_output_error_on_correlated_inputs(tmp_path):
    k, n = 64, 32
    w, samples = random_layer(7, k, n, count=12)
    calib = tmp_path / "calib"
    calib.mkdir()
    for i, x in enumerate(samples[:8]):
        np.savez(calib / f"{i}.npz", x=x)
    path = tmp_path / "linear.onnx"
    matmul_model(path, w)
    scale = scales_of(w, 4, 16)[0]
    held_out = np.concatenate(samples[8:])

    def error(options):
        levels, log = compiled_levels(path, f"weight=i4 granularity=per_group group-size=16 "
                                      f"{options}", calib, tmp_path, scale)
        return float(np.mean((held_out @ (levels * scale) - held_out @ w) ** 2)), log

    nearest, _ = error("")
    by_gptq, _ = error("gptq=true")
    assert by_gptq < 0.7 * nearest, (by_gptq, nearest)
