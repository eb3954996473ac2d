"""Trains the two small models bundled with quantc on scikit-learn's digits
(8x8 grey images, 10 classes) with plain numpy, and exports them to ONNX:

  digits_mlp.onnx  64 -> 64 -> 32 -> 10 (Gemm + Relu)
  digits_cnn.onnx  Conv3x3(8) + BN + Relu + MaxPool + Conv3x3(16) + Relu
                   + GlobalAveragePool + Gemm

Also writes digits_test.npz, the held-out split (inputs and labels), and
digits_calib.npz, the first 256 training images, the calibration set.
Deterministic: fixed seeds, fixed split.
"""
import pathlib

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
from sklearn.datasets import load_digits

OUT = pathlib.Path(__file__).resolve().parent
rng = np.random.default_rng(0)


def load():
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]  # N x 1 x 8 x 8
    y = d.target.astype(np.int64)
    order = rng.permutation(len(y))
    test = order[:360]
    train = order[360:]
    return x[train], y[train], x[test], y[test]


def softmax_xent(logits, y):
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
    g = p
    g[np.arange(len(y)), y] -= 1
    return loss, g / len(y)


class Adam:
    def __init__(self, params, lr=3e-3):
        self.params, self.lr, self.t = params, lr, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, grads):
        self.t += 1
        for k, g in grads.items():
            self.m[k] = 0.9 * self.m[k] + 0.1 * g
            self.v[k] = 0.999 * self.v[k] + 0.001 * g * g
            mh = self.m[k] / (1 - 0.9 ** self.t)
            vh = self.v[k] / (1 - 0.999 ** self.t)
            self.params[k] -= self.lr * mh / (np.sqrt(vh) + 1e-8)


def init(shape, fan_in):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def train_mlp(x, y):
    p = {"w1": init((64, 64), 64), "b1": np.zeros(64, np.float32),
         "w2": init((32, 64), 64), "b2": np.zeros(32, np.float32),
         "w3": init((10, 32), 32), "b3": np.zeros(10, np.float32)}
    opt = Adam(p)
    x = x.reshape(len(x), -1)
    for epoch in range(60):
        for i in rng.permutation(len(x) // 64):
            xb, yb = x[i * 64:(i + 1) * 64], y[i * 64:(i + 1) * 64]
            h1 = np.maximum(xb @ p["w1"].T + p["b1"], 0)
            h2 = np.maximum(h1 @ p["w2"].T + p["b2"], 0)
            _, g3 = softmax_xent(h2 @ p["w3"].T + p["b3"], yb)
            g2 = (g3 @ p["w3"]) * (h2 > 0)
            g1 = (g2 @ p["w2"]) * (h1 > 0)
            opt.step({"w3": g3.T @ h2, "b3": g3.sum(0), "w2": g2.T @ h1,
                      "b2": g2.sum(0), "w1": g1.T @ xb, "b1": g1.sum(0)})
    return p


def im2col(x, k=3, pad=1):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((n, c, k, k, h, w), x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = xp[:, :, i:i + h, j:j + w]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * h * w, c * k * k)


def col2im(cols, shape, k=3, pad=1):
    n, c, h, w = shape
    cols = cols.reshape(n, h, w, c, k, k).transpose(0, 3, 4, 5, 1, 2)
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), cols.dtype)
    for i in range(k):
        for j in range(k):
            xp[:, :, i:i + h, j:j + w] += cols[:, :, i, j]
    return xp[:, :, pad:pad + h, pad:pad + w]


def conv(x, w, b):
    n, _, h, wd = x.shape
    cols = im2col(x)
    out = cols @ w.reshape(len(w), -1).T + b
    return out.reshape(n, h, wd, -1).transpose(0, 3, 1, 2), cols


def conv_backward(g, x, cols, w):
    n, o, h, wd = g.shape
    g2 = g.transpose(0, 2, 3, 1).reshape(-1, o)
    gw = (g2.T @ cols).reshape(w.shape)
    gx = col2im(g2 @ w.reshape(o, -1), x.shape)
    return gx, gw, g2.sum(0)


def cnn_forward(p, x):
    c1, cols1 = conv(x, p["w1"], p["b1"])
    r1 = np.maximum(c1, 0)
    n, c, h, w = r1.shape
    blocks = r1.reshape(n, c, h // 2, 2, w // 2, 2)
    m1 = blocks.max(axis=(3, 5))
    c2, cols2 = conv(m1, p["w2"], p["b2"])
    r2 = np.maximum(c2, 0)
    gap = r2.mean(axis=(2, 3))
    logits = gap @ p["w3"].T + p["b3"]
    return logits, (x, cols1, c1, r1, blocks, m1, cols2, c2, r2)


def train_cnn(x, y):
    p = {"w1": init((8, 1, 3, 3), 9), "b1": np.zeros(8, np.float32),
         "w2": init((16, 8, 3, 3), 72), "b2": np.zeros(16, np.float32),
         "w3": init((10, 16), 16), "b3": np.zeros(10, np.float32)}
    opt = Adam(p)
    for epoch in range(30):
        for i in rng.permutation(len(x) // 32):
            xb, yb = x[i * 32:(i + 1) * 32], y[i * 32:(i + 1) * 32]
            logits, (xx, cols1, c1, r1, blocks, m1, cols2, c2, r2) = cnn_forward(p, xb)
            _, g = softmax_xent(logits, yb)
            gw3, gb3 = g.T @ r2.mean(axis=(2, 3)), g.sum(0)
            ggap = g @ p["w3"]
            gr2 = np.broadcast_to(ggap[:, :, None, None] / 16.0, r2.shape) * (c2 > 0)
            gm1, gw2, gb2 = conv_backward(gr2, m1, cols2, p["w2"])
            mask = blocks == m1[:, :, :, None, :, None]
            gr1 = (mask * gm1[:, :, :, None, :, None]).reshape(r1.shape) * (c1 > 0)
            _, gw1, gb1 = conv_backward(gr1, xx, cols1, p["w1"])
            opt.step({"w1": gw1, "b1": gb1, "w2": gw2, "b2": gb2, "w3": gw3, "b3": gb3})
    return p


def const(name, a):
    return numpy_helper.from_array(np.ascontiguousarray(a, np.float32), name)


def export_mlp(p, path):
    nodes = [
        helper.make_node("Flatten", ["image"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["h1"], transB=1, name="fc1"),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        helper.make_node("Gemm", ["a1", "fc2.weight", "fc2.bias"], ["h2"], transB=1, name="fc2"),
        helper.make_node("Relu", ["h2"], ["a2"], name="relu2"),
        helper.make_node("Gemm", ["a2", "fc3.weight", "fc3.bias"], ["logits"], transB=1, name="fc3"),
    ]
    inits = [const("fc1.weight", p["w1"]), const("fc1.bias", p["b1"]),
             const("fc2.weight", p["w2"]), const("fc2.bias", p["b2"]),
             const("fc3.weight", p["w3"]), const("fc3.bias", p["b3"])]
    save(nodes, inits, path)


def export_cnn(p, path):
    # The first conv is exported as conv + identity BatchNorm (bias moved into
    # BN) so the model exercises BN folding in qc-simplify.
    nodes = [
        helper.make_node("Conv", ["image", "conv1.weight"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("BatchNormalization", ["c1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"],
                         ["b1"], epsilon=1e-5, name="bn1"),
        helper.make_node("Relu", ["b1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["m1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
        helper.make_node("Conv", ["m1", "conv2.weight", "conv2.bias"], ["c2"], pads=[1, 1, 1, 1], name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], transB=1, name="fc"),
    ]
    var = np.full(8, 1.0 - 1e-5, np.float32)
    inits = [const("conv1.weight", p["w1"]), const("bn1.scale", np.ones(8)),
             const("bn1.bias", p["b1"]), const("bn1.mean", np.zeros(8)), const("bn1.var", var),
             const("conv2.weight", p["w2"]), const("conv2.bias", p["b2"]),
             const("fc.weight", p["w3"]), const("fc.bias", p["b3"])]
    save(nodes, inits, path)


def save(nodes, inits, path):
    graph = helper.make_graph(
        nodes, path.stem,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="quantc-train-digits")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    xtr, ytr, xte, yte = load()
    mlp = train_mlp(xtr, ytr)
    acc = ((np.maximum(np.maximum(xte.reshape(len(xte), -1) @ mlp["w1"].T + mlp["b1"], 0)
                       @ mlp["w2"].T + mlp["b2"], 0) @ mlp["w3"].T + mlp["b3"]).argmax(1) == yte).mean()
    print(f"mlp held-out accuracy: {acc:.4f}")
    export_mlp(mlp, OUT / "digits_mlp.onnx")
    cnn = train_cnn(xtr, ytr)
    acc = (cnn_forward(cnn, xte)[0].argmax(1) == yte).mean()
    print(f"cnn held-out accuracy: {acc:.4f}")
    export_cnn(cnn, OUT / "digits_cnn.onnx")
    np.savez(OUT / "digits_test.npz", image=xte, label=yte)
    save_calibration(xtr)


def save_calibration(xtr):
    np.savez(OUT / "digits_calib.npz", image=xtr[:256])


if __name__ == "__main__":
    main()
