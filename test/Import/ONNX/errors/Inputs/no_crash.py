"""Runs a command on every file of DIR: each run must end with success or a
clean error (exit 1), never a signal, an assertion or a stack dump.
usage: no_crash.py DIR COMMAND...   ('{}' in COMMAND stands for the file)"""
import pathlib
import subprocess
import sys

directory, command = pathlib.Path(sys.argv[1]), sys.argv[2:]
bad = []
files = sorted(p for p in directory.iterdir() if p.is_file())
for path in files:
    args = [str(path) if a == "{}" else a for a in command]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode not in (0, 1) or "Stack dump" in proc.stderr:
        bad.append(f"{path.name}: exit {proc.returncode}\n{proc.stderr[-600:]}")
print(f"{len(files)} inputs, {len(bad)} crashes")
for report in bad:
    print(report)
sys.exit(1 if bad else 0)
