"""GPU speed: quantc's CUDA artifacts against cuBLASLt and ONNX Runtime's
CUDA provider, in one run. Needs an NVIDIA GPU and driver; elsewhere it says
so and exits 0.

1. int8 GEMM, the shapes of benchmarks/int8_gemm.py (M in {1, 32, 128},
   K = N in {768, 3072, 4096}): a one-layer MatMul quantized by quantc,
   compiled with --target cuda and run on device buffers (qc_model_run_device;
   quantizing X and dequantizing Y included), against cuBLASLt's int8 IMMA
   GEMM (s8 x s8 -> s32) of the same M, N, K on device buffers. Throughput is
   2 M N K / time, and its fraction of the GPU's dense int8 tensor-core peak.
2. Model latency of every real model: quantc int8 and f32 CUDA builds on
   device buffers, against ONNX Runtime's CUDA provider running the float
   model and its own int8 QDQ quantization (where onnxruntime-gpu is
   installed).

Each figure is the median of --runs timed runs after warm-up.

usage: python benchmarks/gpu.py [--runs 50] [--arch sm_90] [--out benchmarks/results]
"""
import argparse
import ctypes
import json
import os
import pathlib
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python"))
from int8_gemm import SHAPES, matmul_model  # noqa: E402
from timing import BIN, compile_model, median_ms  # noqa: E402

# Dense int8 tensor-core peaks (TOP/s, no sparsity) by device name.
INT8_PEAK_TOPS = [("H200", 1979), ("H100 PCIe", 1513), ("H100", 1979), ("A100", 624),
                  ("L40S", 733), ("L4", 242), ("A10", 250), ("RTX 4090", 661)]


class Driver:
    """The few CUDA driver calls the benchmark needs (ctypes, libcuda.so.1)."""

    def __init__(self):
        self.cuda = ctypes.CDLL("libcuda.so.1")
        self.check(self.cuda.cuInit(0), "cuInit")
        device = ctypes.c_int()
        self.check(self.cuda.cuDeviceGet(ctypes.byref(device), 0), "cuDeviceGet")
        name = ctypes.create_string_buffer(256)
        self.cuda.cuDeviceGetName(name, 256, device)
        self.name = name.value.decode()
        context = ctypes.c_void_p()
        self.check(self.cuda.cuDevicePrimaryCtxRetain(ctypes.byref(context), device),
                   "cuDevicePrimaryCtxRetain")
        self.check(self.cuda.cuCtxSetCurrent(context), "cuCtxSetCurrent")

    @staticmethod
    def check(result, what):
        if result:
            raise RuntimeError(f"{what} failed with CUDA error {result}")

    def alloc(self, nbytes):
        pointer = ctypes.c_uint64()
        self.check(self.cuda.cuMemAlloc_v2(ctypes.byref(pointer), ctypes.c_size_t(max(nbytes, 1))),
                   "cuMemAlloc")
        return pointer.value

    def upload(self, array):
        array = np.ascontiguousarray(array)
        pointer = self.alloc(array.nbytes)
        self.check(self.cuda.cuMemcpyHtoD_v2(ctypes.c_uint64(pointer),
                                             array.ctypes.data_as(ctypes.c_void_p),
                                             ctypes.c_size_t(array.nbytes)), "cuMemcpyHtoD")
        return pointer

    def free(self, pointer):
        self.cuda.cuMemFree_v2(ctypes.c_uint64(pointer))

    def synchronize(self):
        self.check(self.cuda.cuCtxSynchronize(), "cuCtxSynchronize")

    def int8_peak(self):
        return next((peak for key, peak in INT8_PEAK_TOPS if key in self.name), None)


def gpu_available():
    try:
        Driver()
        return True
    except (OSError, RuntimeError):
        return False


def time_quantc(driver, library, feeds, runs, warmup):
    """A CUDA artifact on device buffers (inputs uploaded once)."""
    from quantc.runtime import Model
    model = Model(library)
    inputs = [driver.upload(np.asarray(feeds[spec["name"]], spec["dtype"]))
              for spec in model.inputs]
    outputs = [driver.alloc(int(np.prod(spec["shape"])) * spec["dtype"].itemsize)
               for spec in model.outputs]
    try:
        return median_ms(lambda: model.run_device(inputs, outputs), runs, warmup,
                         driver.synchronize)
    finally:
        for pointer in inputs + outputs:
            driver.free(pointer)


class CublasLt:
    """cuBLASLt's int8 GEMM: C (s32, m x n) = A^T B with A (k x m) and B
    (k x n) column-major s8, the TN layout its IMMA kernels take."""
    COMPUTE_32I, R_8I, R_32I, DESC_TRANSA, OP_T = 72, 3, 10, 3, 1

    def __init__(self, driver):
        for name in ("libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"):
            try:
                self.lt = ctypes.CDLL(name)
                break
            except OSError:
                continue
        else:
            raise OSError("no libcublasLt")
        self.driver = driver
        self.handle = ctypes.c_void_p()
        self.check(self.lt.cublasLtCreate(ctypes.byref(self.handle)), "cublasLtCreate")

    @staticmethod
    def check(status, what):
        if status:
            raise RuntimeError(f"{what} failed with cuBLAS status {status}")

    def layout(self, dtype, rows, cols):
        layout = ctypes.c_void_p()
        self.check(self.lt.cublasLtMatrixLayoutCreate(
            ctypes.byref(layout), dtype, ctypes.c_uint64(rows), ctypes.c_uint64(cols),
            ctypes.c_int64(rows)), "cublasLtMatrixLayoutCreate")
        return layout

    def time_gemm(self, m, n, k, runs, warmup):
        desc = ctypes.c_void_p()
        self.check(self.lt.cublasLtMatmulDescCreate(ctypes.byref(desc), self.COMPUTE_32I,
                                                    self.R_32I), "cublasLtMatmulDescCreate")
        transpose = ctypes.c_int32(self.OP_T)
        self.check(self.lt.cublasLtMatmulDescSetAttribute(
            desc, self.DESC_TRANSA, ctypes.byref(transpose), ctypes.c_size_t(4)),
            "cublasLtMatmulDescSetAttribute")
        a_layout, b_layout = self.layout(self.R_8I, k, m), self.layout(self.R_8I, k, n)
        c_layout = self.layout(self.R_32I, m, n)
        rng = np.random.default_rng(0)
        a = self.driver.upload(rng.integers(-127, 128, (m, k), dtype=np.int8))
        b = self.driver.upload(rng.integers(-127, 128, (n, k), dtype=np.int8))
        c = self.driver.alloc(4 * m * n)
        workspace_bytes = 32 << 20
        workspace = self.driver.alloc(workspace_bytes)
        alpha, beta = ctypes.c_int32(1), ctypes.c_int32(0)

        def gemm():
            self.check(self.lt.cublasLtMatmul(
                self.handle, desc, ctypes.byref(alpha), ctypes.c_uint64(a), a_layout,
                ctypes.c_uint64(b), b_layout, ctypes.byref(beta), ctypes.c_uint64(c), c_layout,
                ctypes.c_uint64(c), c_layout, None, ctypes.c_uint64(workspace),
                ctypes.c_size_t(workspace_bytes), None), "cublasLtMatmul")
        try:
            return median_ms(gemm, runs, warmup, self.driver.synchronize)
        finally:
            for pointer in (a, b, c, workspace):
                self.driver.free(pointer)


def bench_gemm(driver, args, tmp):
    try:
        cublas = CublasLt(driver)
    except (OSError, RuntimeError) as error:
        print(f"cuBLASLt unavailable: {error}")
        cublas = None
    peak = driver.int8_peak()
    rng = np.random.default_rng(0)
    rows = []
    for m, k in SHAPES:
        model = tmp / f"mm_{m}_{k}.onnx"
        matmul_model(m, k, model, rng)
        calib = rng.uniform(-1, 1, size=(4, m, k)).astype(np.float32)
        np.savez(tmp / "calib.npz", X=calib)
        library = tmp / f"mm_{m}_{k}.so"
        compile_model(model, library, calibration=tmp / "calib.npz",
                      extra=["--target", "cuda", "--gpu-arch", args.arch])
        ops = 2.0 * m * k * k
        ours = time_quantc(driver, library, {"X": calib[0]}, args.runs, 10)
        theirs = cublas.time_gemm(m, k, k, args.runs, 10) if cublas else None
        row = {"M": m, "K": k, "N": k, "quantc_ms": ours, "quantc_tops": ops / ours / 1e9,
               "cublaslt_ms": theirs,
               "cublaslt_tops": ops / theirs / 1e9 if theirs else None}
        row["quantc_peak"] = row["quantc_tops"] / peak if peak else None
        row["quantc_vs_cublaslt"] = theirs / ours if theirs else None
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def bench_models(driver, args, tmp):
    import datasets
    try:
        import onnxruntime as ort
        cuda_ort = "CUDAExecutionProvider" in ort.get_available_providers()
    except ImportError:
        cuda_ort = False
    rows = []
    for model in datasets.real_models():
        calib = model.calibration().astype(np.float32)
        np.savez(tmp / "calib.npz", **{model.input_name: calib})
        feeds = {model.input_name: calib[:1]}
        shape = f"{model.input_name}=" + "x".join(map(str, feeds[model.input_name].shape))
        row = {"model": model.name}
        for label, calibration in (("int8", tmp / "calib.npz"), ("f32", None)):
            library = tmp / f"{model.name}_{label}.so"
            compile_model(model.path, library, shape, calibration,
                          extra=["--target", "cuda", "--gpu-arch", args.arch])
            row[f"quantc_{label}_ms"] = time_quantc(driver, library, feeds, args.runs, 10)
        if cuda_ort:
            session = ort.InferenceSession(str(model.path), providers=["CUDAExecutionProvider"])
            row["ort_cuda_f32_ms"] = median_ms(lambda: session.run(None, feeds), args.runs,
                                               10)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--arch", default=os.environ.get("QUANTC_GPU_ARCH", "sm_90"))
    parser.add_argument("--out", default=str(pathlib.Path(__file__).parent / "results"))
    args = parser.parse_args()
    if not gpu_available():
        print("no NVIDIA GPU and driver here: the GPU benchmarks need one")
        return
    os.environ.setdefault("QUANTC_HOME", str(BIN.parent))
    driver = Driver()
    print(f"device: {driver.name}, int8 peak {driver.int8_peak()} TOP/s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        results = {"device": driver.name, "int8_peak_tops": driver.int8_peak(),
                   "int8_gemm": bench_gemm(driver, args, tmp),
                   "models": bench_models(driver, args, tmp)}
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
