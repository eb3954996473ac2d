"""llama.cpp side of benchmarks/llm_speed.py, run by the interpreter that has
llama-cpp-python (built from source, see llm_speed.py). Modes:

    llm_llamacpp.py quantize IN.gguf OUT.gguf TYPE      (Q8_0, Q4_0, Q*_K_M)
    llm_llamacpp.py time MODEL.gguf THREADS DECODE_TOKENS PROMPT_LENGTHS...
    llm_llamacpp.py perplexity MODEL.gguf WINDOWS.json

`time` prints one JSON object: decode tokens/s after a 16-token prompt and
prefill tokens/s of each prompt length (median of 3). `perplexity` reads
lists of token ids (each window from an empty cache, no BOS added) and
prints the summed negative log-likelihood of each window's next tokens and
their count, and the GGUF's bits per weight over its 2-D tensors."""
import ctypes
import json
import statistics
import sys
import time

import llama_cpp

FTYPES = {"Q8_0": 7, "Q4_0": 2, "Q3_K_M": 12, "Q4_K_M": 15, "Q5_K_M": 17}


def quantize(src, dst, kind):
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FTYPES[kind]
    params.nthread = 2
    if llama_cpp.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(params)) != 0:
        raise SystemExit(f"llama.cpp could not quantize {src} to {kind}")


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(path, threads, decode_tokens, prompt_lengths):
    longest = max(prompt_lengths + [16 + decode_tokens])
    llm = llama_cpp.Llama(model_path=path, n_ctx=max(1024, longest + 8), n_batch=512,
                          n_threads=threads, n_threads_batch=threads, verbose=False)
    prompt = [(7 * i + 11) % 40000 + 100 for i in range(max(prompt_lengths))]
    result = {"threads": threads}
    decode = []
    for _ in range(3):
        llm.reset()
        llm.eval(prompt[:16])
        decode.append(timed(lambda: [llm.eval([prompt[i % 16]]) for i in range(decode_tokens)]))
    result["decode_tokens_per_s"] = decode_tokens / statistics.median(decode)
    for n in prompt_lengths:
        runs = []
        for _ in range(3):
            llm.reset()
            runs.append(timed(lambda: llm.eval(prompt[:n])))
        result[f"prefill_{n}_tokens_per_s"] = n / statistics.median(runs)
    print(json.dumps(result))


def perplexity(path, windows_json):
    import gguf
    import numpy as np
    with open(windows_json) as f:
        windows = json.load(f)
    llm = llama_cpp.Llama(model_path=path, n_ctx=max(map(len, windows)), n_batch=512,
                          logits_all=True, verbose=False)
    nlls = []
    for window in windows:
        llm.reset()
        llm.eval(window)
        z = np.asarray(llm.scores[:len(window) - 1], np.float64)
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nlls.append(float(-logp[np.arange(len(window) - 1), window[1:]].sum()))
    tensors = [t for t in gguf.GGUFReader(path).tensors if len(t.shape) == 2]
    bits = 8 * sum(int(t.n_bytes) for t in tensors) / sum(int(t.n_elements) for t in tensors)
    print(json.dumps({"nll": nlls, "tokens": [len(w) - 1 for w in windows],
                      "bits_per_weight": bits}))


if __name__ == "__main__":
    if sys.argv[1] == "quantize":
        quantize(*sys.argv[2:5])
    elif sys.argv[1] == "perplexity":
        perplexity(sys.argv[2], sys.argv[3])
    else:
        measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), [int(a) for a in sys.argv[5:]])
