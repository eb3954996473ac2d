"""Writes the model and samples of assign-precision.mlir: PREFIX.mlir (the
sensitive layer second), PREFIX.swapped.mlir (first) and PREFIX.npz.

The sensitive layer has one large weight per group of 32 along K, in the
rows that multiply inputs which are always 0: they do not matter to the
output, but they set each group's 4-bit scale so coarse that the small
weights, which carry the output, round to 0."""
import sys

import numpy as np

prefix = sys.argv[1]
rng = np.random.default_rng(0)
smooth = rng.uniform(-0.1, 0.1, (64, 64)).astype(np.float32)
spiky = rng.uniform(-0.1, 0.1, (64, 64)).astype(np.float32)
spiky[::32, :] = 4.0
smooth[:, ::32] = 0.0  # so the smooth layer's outputs 0 and 32 are 0


def dense(a):
    return "dense<[" + ", ".join(
        "[" + ", ".join(f"{v:.6e}" for v in row) + "]" for row in a) + "]>"


def model(first, second):
    return f"""func.func @main(%x: tensor<1x64xf32> {{qc.name = "x"}}) -> tensor<1x64xf32> {{
  %w1 = qc.constant {dense(first)} : tensor<64x64xf32>
  %w2 = qc.constant {dense(second)} : tensor<64x64xf32>
  %a = qc.matmul %x, %w1 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32> loc("first")
  %b = qc.matmul %a, %w2 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32> loc("second")
  return %b : tensor<1x64xf32>
}}
"""


open(prefix + ".mlir", "w").write(model(smooth, spiky))
open(prefix + ".swapped.mlir", "w").write(model(spiky, smooth))
x = rng.standard_normal((16, 1, 64)).astype(np.float32)
x[:, :, ::32] = 0.0  # and so are the model's inputs 0 and 32
np.savez(prefix + ".npz", x=x)
