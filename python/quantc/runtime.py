"""Loading and calling model libraries through libquantc_runtime (ctypes)."""
import ctypes
import json
import os
import pathlib
import shutil

import numpy as np

# qc_element_type codes (quantc/Runtime/QuantCRuntime.h).
_DTYPES = {0: np.float32, 1: np.float16, 3: np.float64, 10: np.int8,
           11: np.uint8, 12: np.int16, 13: np.uint16, 14: np.int32,
           15: np.int64, 16: np.bool_}


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("element_type", ctypes.c_int),
                ("rank", ctypes.c_int32), ("dims", ctypes.POINTER(ctypes.c_int64)),
                ("size_bytes", ctypes.c_size_t)]


def _find_runtime():
    candidates = []
    home = os.environ.get("QUANTC_HOME")
    if home:
        candidates.append(pathlib.Path(home) / "lib" / "libquantc_runtime.so")
    tool = shutil.which("quantc")
    if tool:
        candidates.append(pathlib.Path(tool).resolve().parent.parent / "lib" /
                          "libquantc_runtime.so")
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise FileNotFoundError("cannot find libquantc_runtime.so: set QUANTC_HOME "
                            "to a quantc build or install directory")


_runtime = None


def _library():
    global _runtime
    if _runtime is None:
        lib = ctypes.CDLL(str(_find_runtime()))
        lib.qc_last_error.restype = ctypes.c_char_p
        lib.qc_model_load.restype = ctypes.c_void_p
        lib.qc_model_load.argtypes = [ctypes.c_char_p]
        lib.qc_model_free.argtypes = [ctypes.c_void_p]
        for fn in (lib.qc_model_num_inputs, lib.qc_model_num_outputs):
            fn.restype = ctypes.c_size_t
            fn.argtypes = [ctypes.c_void_p]
        for fn in (lib.qc_model_input_info, lib.qc_model_output_info):
            fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(_TensorInfo)]
        lib.qc_model_set_num_threads.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.qc_model_run_device.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                                            ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
        lib.qc_model_target.restype = ctypes.c_char_p
        lib.qc_model_target.argtypes = [ctypes.c_void_p]
        lib.qc_model_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                                     ctypes.POINTER(ctypes.c_void_p)]
        _runtime = lib
    return _runtime


class Model:
    """A compiled model: call it with numpy arrays (positional, in input
    order, or by input name); returns {output name: array}."""

    def __init__(self, path, threads=1):
        self.path = pathlib.Path(path)
        lib = _library()
        self._lib = lib
        self._handle = lib.qc_model_load(str(self.path).encode())
        if not self._handle:
            raise RuntimeError(lib.qc_last_error().decode())
        self.inputs = [self._info(lib.qc_model_input_info, i)
                       for i in range(lib.qc_model_num_inputs(self._handle))]
        self.outputs = [self._info(lib.qc_model_output_info, i)
                        for i in range(lib.qc_model_num_outputs(self._handle))]
        self.target = lib.qc_model_target(self._handle).decode()  # "cpu" or "cuda"
        self.set_num_threads(threads)
        manifest = self.path.with_suffix(".json")
        self.manifest = json.loads(manifest.read_text()) if manifest.exists() else None

    def _info(self, fn, index):
        info = _TensorInfo()
        if fn(self._handle, index, ctypes.byref(info)):
            raise RuntimeError(self._lib.qc_last_error().decode())
        return {"name": info.name.decode(), "dtype": np.dtype(_DTYPES[info.element_type]),
                "shape": tuple(info.dims[d] for d in range(info.rank))}

    def set_num_threads(self, threads):
        if self._lib.qc_model_set_num_threads(self._handle, int(threads)):
            raise ValueError(self._lib.qc_last_error().decode())

    def __call__(self, *args, **kwargs):
        if args and kwargs:
            raise TypeError("pass inputs by position or by name, not both")
        if len(args) > len(self.inputs):
            raise TypeError(f"the model takes {len(self.inputs)} inputs")
        named = dict(zip((i["name"] for i in self.inputs), args)) if args else kwargs
        arrays = []
        for spec in self.inputs:
            if spec["name"] not in named:
                raise TypeError(f"missing input '{spec['name']}'")
            array = np.ascontiguousarray(named.pop(spec["name"]), dtype=spec["dtype"])
            if array.shape != spec["shape"]:
                raise ValueError(f"input '{spec['name']}' has shape {array.shape}, "
                                 f"the model expects {spec['shape']}")
            arrays.append(array)
        if named:
            raise TypeError(f"unknown inputs {sorted(named)}")
        results = [np.empty(spec["shape"], spec["dtype"]) for spec in self.outputs]
        inputs = (ctypes.c_void_p * len(arrays))(*[a.ctypes.data for a in arrays])
        outputs = (ctypes.c_void_p * len(results))(*[r.ctypes.data for r in results])
        if self._lib.qc_model_run(self._handle, inputs, outputs):
            raise RuntimeError(self._lib.qc_last_error().decode())
        return {spec["name"]: r for spec, r in zip(self.outputs, results)}

    def run_device(self, inputs, outputs, stream=None):
        """Runs a CUDA model on device buffers: `inputs` and `outputs` are
        device pointers (ints, e.g. cupy's `.data.ptr` or torch's
        `.data_ptr()`) of contiguous tensors of the shapes and dtypes in
        `self.inputs` / `self.outputs`; `stream` a CUstream handle (None: the
        default stream). Returns when the stream has finished the model."""
        if len(inputs) != len(self.inputs) or len(outputs) != len(self.outputs):
            raise TypeError(f"the model takes {len(self.inputs)} inputs and "
                            f"{len(self.outputs)} outputs")
        ins = (ctypes.c_void_p * len(inputs))(*inputs)
        outs = (ctypes.c_void_p * len(outputs))(*outputs)
        if self._lib.qc_model_run_device(self._handle, ins, outs, stream):
            raise RuntimeError(self._lib.qc_last_error().decode())

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            self._lib.qc_model_free(handle)
            self._handle = None
