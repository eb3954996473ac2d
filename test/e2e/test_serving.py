"""What a server relies on: concurrent calls of one model and of several
models (each with its own thread count) give the results of calls alone and
never hang; a library is checked against its manifest before it is loaded,
so truncated, corrupted, swapped, outdated and wrong-CPU artifacts are
refused with a clear error by the runtime, the Python API and quant-run."""
import json
import pathlib
import shutil
import subprocess
import threading

import numpy as np
import pytest

from conftest import BIN, ROOT
from quantc.runtime import Model

DIGITS = ROOT / "models" / "digits_cnn.onnx"
CALIB = ROOT / "models" / "digits_calib.npz"


def compile_digits(library, batch=1, calib=True, extra=()):
    args = [BIN / "quantc", DIGITS, "--input-shape", f"image={batch}x1x8x8",
            "-o", library, *extra]
    if calib:
        args += ["--calib", CALIB]
    proc = subprocess.run(list(map(str, args)), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return library


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return compile_digits(tmp_path_factory.mktemp("serving") / "digits.so", batch=256)


def test_concurrent_callers_of_one_and_several_models(library, tmp_path):
    """Two Model objects of one library (threads=2 and 1) and a float model
    (threads=2), each called by three Python threads at once."""
    other = compile_digits(tmp_path / "f32.so", batch=256, calib=False)
    images = np.random.default_rng(0).random((256, 1, 8, 8), dtype=np.float32)
    models = [Model(library, threads=2), Model(library, threads=1), Model(other, threads=2)]
    expected = [Model(m.path)(images)["logits"] for m in models]
    errors = []

    def call(model, want):
        try:
            for _ in range(60):
                got = model(images)["logits"]
                if not np.array_equal(got, want):
                    errors.append(f"{model.path.name}: results differ")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=call, args=(m, e))
               for m, e in zip(models, expected) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a concurrent run hangs"
    assert not errors, errors[:3]


def copy_artifact(library, directory, name="m"):
    """The library and its manifest under another name."""
    target = directory / f"{name}.so"
    shutil.copy(library, target)
    shutil.copy(library.with_suffix(".json"), target.with_suffix(".json"))
    return target


def edit_manifest(library, change):
    path = library.with_suffix(".json")
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def missing_cpu_feature():
    """A feature the runtime checks that this CPU lacks (AMX and AVX512-FP16
    on AMD, SSE4a on Intel)."""
    flags = set()
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    for feature, flag in [("amx-int8", "amx_int8"), ("avx512fp16", "avx512_fp16"),
                          ("sse4a", "sse4a")]:
        if flag not in flags:
            return feature
    pytest.skip("this CPU has every candidate feature")


def truncate(library):
    library.write_bytes(library.read_bytes()[:5000])


def corrupt(library):
    data = bytearray(library.read_bytes())
    data[len(data) // 2] ^= 0x40
    library.write_bytes(bytes(data))


def remove_manifest(library):
    library.with_suffix(".json").unlink()


def outdated(library):
    edit_manifest(library, lambda m: m.update(format="quantc-artifact-1"))


def wrong_cpu(library):
    feature = missing_cpu_feature()
    edit_manifest(library, lambda m: m["target_features"].append(feature))


def swapped(library):
    """The library of the same model calibrated on other images: the same
    size, other constants."""
    with np.load(CALIB) as data:
        np.savez(library.parent / "calib.npz", image=data["image"][::-1] * 0.5)
    other = compile_digits(library.parent / "other.so", batch=256,
                           extra=["--calib", library.parent / "calib.npz"], calib=False)
    assert other.stat().st_size == library.stat().st_size
    shutil.copy(other, library)


def bad_json(library):
    library.with_suffix(".json").write_text("{\"format\": ")


DAMAGES = {
    "truncated": (truncate, "has 5000 bytes, its manifest says"),
    "corrupted": (corrupt, "do not match its manifest"),
    "swapped": (swapped, "do not match its manifest"),
    "manifest missing": (remove_manifest, "its manifest"),
    "manifest not json": (bad_json, "is not valid JSON"),
    "outdated format": (outdated, "incompatible quantc (artifact format quantc-artifact-1"),
    "wrong cpu": (wrong_cpu, "this CPU lacks"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_artifacts_are_refused(damage, library, tmp_path):
    apply, message = DAMAGES[damage]
    target = copy_artifact(library, tmp_path)
    apply(target)
    with pytest.raises(RuntimeError, match="cannot load .*m.so") as error:
        Model(target)
    assert message in str(error.value)
    np.savez(tmp_path / "in.npz", image=np.zeros((256, 1, 8, 8), np.float32))
    proc = subprocess.run([str(BIN / "quant-run"), str(target), "--inputs",
                           str(tmp_path / "in.npz"), "--outputs", str(tmp_path / "out.npz")],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr  # an error, not a signal
    assert message in proc.stderr and "Stack dump" not in proc.stderr
    assert not (tmp_path / "out.npz").exists()


def test_intact_copy_loads(library, tmp_path):
    """The check is of contents, not of names: a renamed copy loads."""
    target = copy_artifact(library, tmp_path, "renamed")
    assert Model(target)(np.zeros((256, 1, 8, 8), np.float32))["logits"].shape == (256, 10)


def test_library_replaced_while_loaded(library, tmp_path):
    """A new library written over one still in use: dlopen would hand back
    the old code; the runtime refuses instead, and loads the new file once
    the old library is released."""
    target = copy_artifact(library, tmp_path)
    first = Model(target)
    compile_digits(target, batch=256, calib=False)
    with pytest.raises(RuntimeError, match="the library loaded is not the file checked"):
        Model(target)
    first.close()
    assert Model(target).manifest["layers"] == json.loads(
        target.with_suffix(".json").read_text())["layers"]
