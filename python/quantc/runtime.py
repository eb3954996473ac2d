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
        lib.qc_model_target_cpu.restype = ctypes.c_char_p
        lib.qc_model_target_cpu.argtypes = [ctypes.c_void_p]
        lib.qc_model_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                                     ctypes.POINTER(ctypes.c_void_p)]
        lib.qc_generator_create.restype = ctypes.c_void_p
        lib.qc_generator_create.argtypes = [ctypes.c_void_p, ctypes.c_int64]
        lib.qc_generator_free.argtypes = [ctypes.c_void_p]
        lib.qc_generator_prefill.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64),
                                             ctypes.c_size_t]
        lib.qc_generator_prefill_logits.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64), ctypes.c_size_t,
            ctypes.POINTER(ctypes.c_float)]
        lib.qc_generator_step.argtypes = [ctypes.c_void_p, ctypes.c_int64]
        lib.qc_generator_logits.restype = ctypes.POINTER(ctypes.c_float)
        lib.qc_generator_logits.argtypes = [ctypes.c_void_p]
        lib.qc_generator_vocab_size.restype = ctypes.c_size_t
        lib.qc_generator_vocab_size.argtypes = [ctypes.c_void_p]
        for fn in (lib.qc_generator_length, lib.qc_generator_cache_bytes):
            fn.restype = ctypes.c_int64
            fn.argtypes = [ctypes.c_void_p]
        lib.qc_generator_reset.argtypes = [ctypes.c_void_p]
        _runtime = lib
    return _runtime


class Model:
    """A compiled model: call it with numpy arrays (positional, in input
    order, or by input name); returns {output name: array}.

    Thread safety: many threads may call one Model (and different Models)
    at once; each call uses `threads` threads (the caller's and workers of
    the library's pool) and releases the GIL while the model runs. Results
    do not depend on concurrency. The library is native code: load only
    libraries from a trusted source."""

    def __init__(self, path, threads=1, cast_inputs=False):
        self.path = pathlib.Path(path)
        self.cast_inputs = cast_inputs
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
        # The CPU its running code was compiled for: of a library with several
        # variants (target_cpu="a;b" or "portable"), the one picked at load.
        self.target_cpu = lib.qc_model_target_cpu(self._handle).decode()
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
            array = self._bind(spec, named.pop(spec["name"]))
            if array.shape != spec["shape"]:
                raise ValueError(f"input '{spec['name']}' has shape {array.shape}, "
                                 f"the model expects {spec['shape']}")
            arrays.append(array)
        if named:
            raise TypeError(f"unknown inputs {sorted(named)}")
        if not self._handle:
            raise RuntimeError(f"{self.path.name} is closed")
        results = [np.empty(spec["shape"], spec["dtype"]) for spec in self.outputs]
        inputs = (ctypes.c_void_p * len(arrays))(*[a.ctypes.data for a in arrays])
        outputs = (ctypes.c_void_p * len(results))(*[r.ctypes.data for r in results])
        if self._lib.qc_model_run(self._handle, inputs, outputs):
            raise RuntimeError(self._lib.qc_last_error().decode())
        return {spec["name"]: r for spec, r in zip(self.outputs, results)}

    def _bind(self, spec, value):
        """An input as the library takes it: numpy arrays must have the
        input's dtype unless cast_inputs (quant-run's --cast-inputs) is set;
        lists and scalars take it."""
        if isinstance(value, np.ndarray) and value.dtype != spec["dtype"] \
                and not self.cast_inputs:
            raise TypeError(f"input '{spec['name']}' has dtype {value.dtype}, the model "
                            f"expects {spec['dtype']} (cast_inputs=True converts it)")
        return np.ascontiguousarray(value, dtype=spec["dtype"])

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

    def close(self):
        """Releases the library (it unloads when no other Model uses it);
        the Model cannot run afterwards. Not to be called while another
        thread runs the model."""
        handle = getattr(self, "_handle", None)
        if handle:
            self._lib.qc_model_free(handle)
            self._handle = None

    def __del__(self):
        self.close()


class Generator:
    """Token generation with a library compiled by `quantc --generator`: the
    KV cache lives here, grows with the sequence and is reset with reset().
    One generator serves one sequence at a time and one thread at a time;
    make one per concurrent sequence (see QuantCRuntime.h)."""

    def __init__(self, model, max_context):
        if not isinstance(model, Model):
            model = Model(model)
        self.model = model  # keeps the library loaded
        self._lib = model._lib
        self._handle = self._lib.qc_generator_create(model._handle, int(max_context))
        if not self._handle:
            raise RuntimeError(self._lib.qc_last_error().decode())
        self.max_context = int(max_context)
        self.vocab_size = self._lib.qc_generator_vocab_size(self._handle)

    def _check(self, rc):
        if rc:
            raise ValueError(self._lib.qc_last_error().decode())

    def prefill(self, tokens):
        """Appends tokens; returns the logits after the last one."""
        ids = np.ascontiguousarray(tokens, dtype=np.int64).reshape(-1)
        self._check(self._lib.qc_generator_prefill(
            self._handle, ids.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)), ids.size))
        return self.logits()

    def prefill_logits(self, tokens):
        """Appends tokens; returns the logits after each one [count, vocab]."""
        ids = np.ascontiguousarray(tokens, dtype=np.int64).reshape(-1)
        out = np.empty((ids.size, self.vocab_size), np.float32)
        self._check(self._lib.qc_generator_prefill_logits(
            self._handle, ids.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)), ids.size,
            out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))))
        return out

    def step(self, token):
        self._check(self._lib.qc_generator_step(self._handle, int(token)))
        return self.logits()

    def logits(self):
        """A copy of the logits after the last token (None before any)."""
        ptr = self._lib.qc_generator_logits(self._handle)
        if not ptr:
            return None
        return np.ctypeslib.as_array(ptr, shape=(self.vocab_size,)).copy()

    def __len__(self):
        return self._lib.qc_generator_length(self._handle)

    @property
    def cache_bytes(self):
        return self._lib.qc_generator_cache_bytes(self._handle)

    def reset(self):
        self._lib.qc_generator_reset(self._handle)

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            self._lib.qc_generator_free(handle)
            self._handle = None


def sample_token(logits, rng, temperature=0.0, top_k=0, top_p=1.0):
    """Greedy at temperature 0, else softmax sampling restricted to the
    top_k most likely tokens and to the smallest set holding top_p of the
    probability."""
    if temperature <= 0:
        return int(np.argmax(logits))
    z = logits.astype(np.float64) / temperature
    order = np.argsort(-z, kind="stable")
    if top_k > 0:
        order = order[:top_k]
    p = np.exp(z[order] - z[order[0]])
    p /= p.sum()
    if top_p < 1.0:
        keep = int(np.searchsorted(np.cumsum(p), top_p) + 1)
        order, p = order[:keep], p[:keep] / p[:keep].sum()
    return int(order[rng.choice(len(order), p=p)])
