"""Quantizing language models in quantc's generator libraries: GPTQ on
calibration windows (quantc --generator --gptq) and the KV cache's storage
formats (--kv-cache, --kv-keys), on a small random llama."""
import subprocess

import numpy as np
import pytest

from conftest import BIN
from quantc.llm.calibration import write_calibration_set
from quantc.llm.export_onnx import export_decoder
from quantc.runtime import Generator
from test_llm import compile_generator, tiny_llama


def held_out_logits(library, windows, max_context=64):
    g = Generator(str(library), max_context=max_context)
    out = []
    for window in windows:
        g.reset()
        out.append(g.prefill_logits(window))
    return np.stack(out)


@pytest.mark.parametrize("scheme", ["symmetric", "asymmetric"])
def test_gptq_generator_is_closer_to_float_than_round_to_nearest(scheme, tmp_path):
    """A small random llama compiled as an int4 (groups of 32) generator,
    symmetric or with a zero point per group: with GPTQ on calibration
    windows its logits on other windows are closer to the float library's
    than round to nearest's are."""
    weights = tiny_llama(seed=3)
    cfg = weights.config
    path = export_decoder(weights, tmp_path / "tiny.onnx")
    rng = np.random.default_rng(0)
    step = 16
    write_calibration_set(tmp_path / "calib", rng.integers(0, cfg.vocab, (32, step)).tolist(),
                          cfg.layers, cfg.kv_heads, cfg.head_dim)
    held_out = rng.integers(0, cfg.vocab, (8, 2 * step)).tolist()
    int4 = ["--step-tokens", step, "--weight", "i4", "--granularity", "per_group",
            "--group-size", 32, "--weight-scheme", scheme]

    def logits(library):
        return held_out_logits(library, held_out)
    reference = logits(compile_generator(path, tmp_path / "f32.so", "--step-tokens", step))
    nearest = logits(compile_generator(path, tmp_path / "rtn.so", *int4))
    by_gptq = logits(compile_generator(path, tmp_path / "gptq.so", *int4, "--calib",
                                       tmp_path / "calib", "--gptq"))
    error = {name: float(np.mean((x - reference) ** 2))
             for name, x in (("rtn", nearest), ("gptq", by_gptq))}
    assert error["gptq"] < 0.9 * error["rtn"], error
    # A decode library (steps of 1 token) from the same 16-token windows has
    # the same weights: it answers as the prefill library does.
    decode = logits(compile_generator(path, tmp_path / "gptq1.so", *int4[2:], "--calib",
                                      tmp_path / "calib", "--gptq"))
    np.testing.assert_allclose(decode, by_gptq, rtol=1e-4, atol=2e-3)


@pytest.mark.parametrize("args,message", [
    (["--weight", "i4", "--gptq"], "--bits-per-weight and --kv-keys per-channel need --calib"),
    (["--weight", "i8", "--smooth-quant"], "--bits-per-weight and --kv-keys per-channel need --calib"),
    (["--kv-cache", "i4", "--kv-keys", "per-channel"], "--kv-keys per-channel need --calib"),
    (["--weight", "i4", "--calib", "CALIB"], "--calib is for --gptq, --awq, --smooth-quant or --bits-per-weight"),
    (["--gptq", "--calib", "CALIB"], "--calib is for --gptq, --awq, --smooth-quant or --bits-per-weight"),
    (["--weight", "i4", "--gptq", "--calib", "EMPTY"], "holds no .npz file"),
    (["--weight", "i4", "--gptq", "--calib", "IMAGES"], "has no input_ids"),
])
def test_gptq_generator_options_are_checked(tmp_path, args, message):
    path = export_decoder(tiny_llama(), tmp_path / "tiny.onnx")
    out = tmp_path / "g.so"
    (tmp_path / "empty").mkdir()
    np.savez(tmp_path / "images.npz", x=np.zeros((1, 3, 8, 8), np.float32))
    where = {"CALIB": tmp_path, "EMPTY": tmp_path / "empty", "IMAGES": tmp_path / "images.npz"}
    args = [str(where.get(a, a)) for a in args]
    proc = subprocess.run([str(BIN / "quantc"), str(path), "--generator", *args, "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert not out.exists()


def test_kv_cache_formats_follow_the_float_cache(tmp_path):
    """Every cache format answers close to the f32 cache, the 16-bit ones
    closest, int4 furthest; steps of 3 tokens, so later steps read rows that
    earlier ones stored."""
    weights = tiny_llama(seed=5)
    path = export_decoder(weights, tmp_path / "tiny.onnx")
    windows = np.random.default_rng(1).integers(0, weights.config.vocab, (4, 12)).tolist()
    logits = {cache: held_out_logits(compile_generator(path, tmp_path / f"{cache}.so",
                                                       "--step-tokens", 3, "--kv-cache", cache),
                                     windows)
              for cache in ("f32", "f16", "bf16", "i8", "i4")}
    scale = float(np.sqrt(np.mean(logits["f32"] ** 2)))
    error = {c: float(np.sqrt(np.mean((x - logits["f32"]) ** 2))) / scale
             for c, x in logits.items()}
    assert error["f32"] == 0
    assert 0 < error["f16"] < error["bf16"] < 0.02, error
    assert 0 < error["i8"] < 0.03 and error["i8"] < error["i4"] < 0.3, error


@pytest.mark.parametrize("args,message", [
    (["--generator", "--kv-cache", "i3"], "kv-cache 'i3' is not f32, f16, bf16, i8 or i4"),
    (["--kv-cache", "i8"], "--kv-cache and --kv-keys are options of --generator libraries"),
    (["--kv-keys", "per-channel"], "--kv-cache and --kv-keys are options of --generator libraries"),
    (["--generator", "--kv-keys", "per-head"], "--kv-keys 'per-head' is not per-token or per-channel"),
    (["--generator", "--kv-cache", "f16", "--kv-keys", "per-channel"],
     "--kv-keys per-channel scales the keys of an i8 or i4 --kv-cache, not 'f16'"),
])
def test_kv_cache_options_are_checked(tmp_path, args, message):
    path = export_decoder(tiny_llama(), tmp_path / "tiny.onnx")
    out = tmp_path / "g.so"
    proc = subprocess.run([str(BIN / "quantc"), str(path), *args, "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert not out.exists()


def test_keys_per_channel_follow_the_float_cache_closer(tmp_path):
    """A small llama whose keys have one large channel per KV head (as real
    models' keys do): an int4 or int8 cache that divides keys by their
    channel's range, measured on calibration windows, answers closer to the
    f32 cache than scales per token and group alone do."""
    weights = tiny_llama(seed=9)
    cfg = weights.config
    for layer in weights.layers:
        for head in range(cfg.kv_heads):
            layer.wk[head * cfg.head_dim + 3] *= 12
    path = export_decoder(weights, tmp_path / "tiny.onnx")
    rng = np.random.default_rng(2)
    write_calibration_set(tmp_path / "calib", rng.integers(0, cfg.vocab, (8, 12)).tolist(),
                          cfg.layers, cfg.kv_heads, cfg.head_dim)
    windows = rng.integers(0, cfg.vocab, (4, 24)).tolist()

    def error(*args):
        library = compile_generator(path, tmp_path / f"{'-'.join(map(str, args))[:40]}.so",
                                    "--step-tokens", 4, *args)
        x = held_out_logits(library, windows)
        return float(np.sqrt(np.mean((x - reference) ** 2) / np.mean(reference ** 2)))
    reference = held_out_logits(compile_generator(path, tmp_path / "f32.so", "--step-tokens", 4),
                                windows)
    for cache in ("i4", "i8"):
        per_token = error("--kv-cache", cache)
        per_channel = error("--kv-cache", cache, "--kv-keys", "per-channel",
                            "--calib", tmp_path / "calib")
        assert 0 < per_channel < 0.7 * per_token, (cache, per_channel, per_token)


def static_decoder(weights, path, tokens):
    """The decoder with its dimensions bound (batch 1, `tokens` new tokens, a
    past of 1), for quant-opt."""
    import onnx
    model = onnx.load(str(export_decoder(weights, path)))
    sizes = {"batch_size": 1, "sequence_length": tokens, "past_sequence_length": 1,
             "total_sequence_length": tokens + 1}
    for value in list(model.graph.input) + list(model.graph.output):
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param:
                dim.dim_value = sizes[dim.dim_param]
    onnx.save(model, str(path))
    return path


def test_awq_keeps_the_float_model_and_lowers_the_error(tmp_path):
    """qc-awq on a small llama: the scaled float model computes what the
    original does (<= 1e-5), and quantized to int4 its logits are closer to
    the float model's than the unscaled model's are, with the clipping
    search too."""
    from conftest import quant_run
    from test_lossless_int8 import quant_opt

    weights = tiny_llama(seed=4)
    # Outlier channels, as trained language models have: a few inputs of
    # every block's linear layers are much louder than the rest.
    for layer in weights.layers:
        layer.attn_norm[[3, 17, 40]] *= 12
        layer.ffn_norm[[5, 29]] *= 12
    cfg = weights.config
    step = 16
    path = static_decoder(weights, tmp_path / "tiny.onnx", step)
    rng = np.random.default_rng(2)
    write_calibration_set(tmp_path / "calib", rng.integers(0, cfg.vocab, (24, step)).tolist(),
                          cfg.layers, cfg.kv_heads, cfg.head_dim)
    held_out = write_calibration_set(tmp_path / "held", rng.integers(0, cfg.vocab, (4, step)).tolist(),
                                     cfg.layers, cfg.kv_heads, cfg.head_dim)
    int4 = "weight=i4 granularity=per_group group-size=32"
    prepare = ["--qc-simplify", "--qc-fuse-attention"]
    awq = f"--qc-awq=data={tmp_path / 'calib'} {int4}"
    quantize = f"--qc-quantize=activation=f32 scope=layers {int4}"
    models = {"float": quant_opt([path, *prepare], tmp_path, "float.mlirbc")[0],
              "scaled": quant_opt([path, *prepare, awq], tmp_path, "scaled.mlirbc")[0],
              "rtn": quant_opt([path, *prepare, quantize], tmp_path, "rtn.mlirbc")[0],
              "awq": quant_opt([path, *prepare, awq, quantize], tmp_path, "awq.mlirbc")[0],
              "clipped": quant_opt([path, *prepare, awq + " clip=true", quantize], tmp_path,
                                   "clipped.mlirbc")[0]}

    def logits(model):
        out = []
        for sample in held_out:
            with np.load(sample) as data:
                out.append(quant_run(model, {k: data[k] for k in data.files}, tmp_path)["logits"])
        return np.stack(out)
    results = {name: logits(model) for name, model in models.items()}
    reference = results["float"]
    scale = float(np.abs(reference).max())
    assert np.abs(results["scaled"] - reference).max() <= 1e-5 * scale
    error = {n: float(np.mean((results[n] - reference) ** 2)) for n in ("rtn", "awq", "clipped")}
    assert error["awq"] < 0.9 * error["rtn"], error
    assert error["clipped"] < 0.9 * error["rtn"], error


@pytest.mark.parametrize("signal", ["output", "kl"])
def test_mixed_precision_keeps_a_sensitive_layer_at_int8(signal, tmp_path):
    """A generator under a size budget between int4 and int8 (w4g32 / w8):
    a down projection with outlier weights on inputs that are always zero
    (int4 groups then round the rest of each group to nothing) is kept at
    int8; without the outliers it is not. Sensitivity as logit noise or as
    the KL divergence of the next-token distribution."""
    import json

    def kept(weights, name):
        cfg = weights.config
        path = export_decoder(weights, tmp_path / f"{name}.onnx")
        rng = np.random.default_rng(3)
        write_calibration_set(tmp_path / "calib", rng.integers(0, cfg.vocab, (8, 16)).tolist(),
                              cfg.layers, cfg.kv_heads, cfg.head_dim)
        front = tmp_path / f"{name}-front.json"
        compile_generator(path, tmp_path / f"{name}.so", "--step-tokens", 16, "--weight", "i4",
                          "--granularity", "per_group", "--group-size", 32, "--calib",
                          tmp_path / "calib", "--bits-per-weight", 5.5, "--candidates", "w4g32,w8",
                          "--pareto", front, "--gptq", "--signal", signal)
        chosen = next(p for p in json.loads(front.read_text()) if p.get("chosen"))
        assert chosen["bits_per_weight"] <= 5.5
        return {layer for layer, precision in chosen["layers"].items() if "/i8/" in precision}

    down = "/model/layers.1/mlp/down_proj/MatMul"
    weights = tiny_llama(seed=6)
    weights.layers[1].w_down *= 5
    assert down not in kept(weights, "plain")
    weights.layers[1].w_down[:, [7, 40, 71]] = 50
    weights.layers[1].w_up[[7, 40, 71], :] = 0
    assert down in kept(weights, "sensitive")


def test_smooth_quant_keeps_the_float_model_and_helps_w8a8(tmp_path):
    """qc-smooth-quant on a small llama with outlier input channels: the
    scaled float model computes what the original does (<= 1e-5), and as a
    W8A8 generator (int8 weights, int8 activations with one scale per token)
    its logits are closer to the float library's than without migration."""
    from conftest import quant_run
    from test_lossless_int8 import quant_opt

    weights = tiny_llama(seed=5)
    for layer in weights.layers:
        layer.attn_norm[[3, 17, 40]] *= 30
        layer.ffn_norm[[5, 29]] *= 30
    cfg = weights.config
    step = 16
    rng = np.random.default_rng(6)
    write_calibration_set(tmp_path / "calib", rng.integers(0, cfg.vocab, (24, step)).tolist(),
                          cfg.layers, cfg.kv_heads, cfg.head_dim)
    held = write_calibration_set(tmp_path / "held", rng.integers(0, cfg.vocab, (2, step)).tolist(),
                                 cfg.layers, cfg.kv_heads, cfg.head_dim)
    path = static_decoder(weights, tmp_path / "static.onnx", step)
    prepare = ["--qc-simplify", "--qc-fuse-attention"]
    plain = quant_opt([path, *prepare], tmp_path, "float.mlirbc")[0]
    smooth = quant_opt([path, *prepare, f"--qc-smooth-quant=data={tmp_path / 'calib'}"],
                       tmp_path, "smooth.mlirbc")[0]
    for sample in held:
        with np.load(sample) as data:
            feed = {k: data[k] for k in data.files}
        reference = quant_run(plain, feed, tmp_path)["logits"]
        scaled = quant_run(smooth, feed, tmp_path)["logits"]
        assert np.abs(scaled - reference).max() <= 1e-5 * np.abs(reference).max()

    decoder = export_decoder(weights, tmp_path / "tiny.onnx")
    held_out = rng.integers(0, cfg.vocab, (6, 2 * step)).tolist()
    w8a8 = ["--step-tokens", step, "--weight", "i8", "--dynamic-int8", "--dynamic-int8-block", 0]
    reference = held_out_logits(compile_generator(decoder, tmp_path / "f32.so",
                                                  "--step-tokens", step), held_out)
    error = {}
    for name, extra in (("w8a8", []),
                        ("smoothquant", ["--calib", tmp_path / "calib", "--smooth-quant"])):
        library = compile_generator(decoder, tmp_path / f"{name}.so", *w8a8, *extra)
        error[name] = float(np.mean((held_out_logits(library, held_out) - reference) ** 2))
    assert error["smoothquant"] < 0.7 * error["w8a8"], error
