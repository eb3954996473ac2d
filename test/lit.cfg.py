# lit configuration of the quantc tests.
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "quantc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.excludes = ["e2e", "lit.cfg.py", "Inputs", "capi_example.c"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.quantc_obj_root, "test")

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
config.substitutions.append(("%qc_python", config.python_executable))
config.substitutions.append(("%qc_plugin", os.path.join(
    config.quantc_obj_root, "lib", "QuantCPlugin.so")))
example_opt = os.path.join(config.quantc_obj_root, "example", "example-opt")
config.substitutions.append(("%example_opt", example_opt))
# scripts/test.sh installs quantc and builds the external example first.
if os.path.exists(example_opt):
    config.available_features.add("installed-example")
config.substitutions.append(("%quantc_install", os.path.join(
    config.quantc_obj_root, "install")))
config.substitutions.append(("%quantc_unittests", os.path.join(
    config.quantc_obj_root, "unittests", "QuantCUnitTests")))
config.substitutions.append(("%kernels_tsan", os.path.join(
    config.quantc_obj_root, "lib", "libquantc_kernels_tsan.a")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))

tool_dirs = [config.quantc_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["quant-opt", "quant-run", "quant-translate",
                                    "quantc", "capi-example", "runtime-stress",
                                    "runtime-stress-tsan"],
                                   tool_dirs)
llvm_config.add_tool_substitutions(["not", "FileCheck", "count", "split-file",
                                    "mlir-opt", "llvm-readelf"],
                                   [config.llvm_tools_dir])

# The CUDA toolkit (ptxas, fatbinary, libdevice): GPU code compiles and is
# checked statically without a GPU.
ptxas = os.path.join(config.cuda_toolkit, "bin", "ptxas")
if config.cuda_toolkit and os.path.exists(ptxas):
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%cuda_toolkit", config.cuda_toolkit))
    config.substitutions.append(("%ptxas", ptxas))
