"""quantc from Python: compile an ONNX model (optionally calibrated and
quantized) into a native library and call it with numpy arrays.

    import quantc
    model = quantc.compile("model.onnx", calibration="calib.npz")
    outputs = model(image=x)          # {"logits": array(...)}
    # The same quantization as a QDQ ONNX model for other runtimes:
    quantc.quantize("model.onnx", calibration="calib.npz", output="model.qdq.onnx")

The package drives the `quantc` compiler and loads libraries through
libquantc_runtime with ctypes; it needs no MLIR bindings. Both are found in
$QUANTC_HOME/{bin,lib} (an install or build tree), else on PATH and next to
the `quantc` executable.
"""
from .compiler import CompileError, compile, find_tool, quantize
from .runtime import Generator, Model

__all__ = ["CompileError", "Generator", "Model", "compile", "find_tool", "quantize"]
