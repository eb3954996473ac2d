"""ONNX Runtime's MatMul4BitsQuantizer with its GPTQ algorithm (which runs
Intel Neural Compressor's GPTQ), for benchmarks/llm_quantization.py. Run by
an interpreter that has onnxruntime 1.20.1 and neural-compressor 2.6:

    python3 -m venv build/inc-venv
    build/inc-venv/bin/pip install onnxruntime==1.20.1 onnx "numpy<2" six neural-compressor==2.6
    build/inc-venv/bin/python benchmarks/llm_ort_gptq.py IN.onnx OUT.onnx BLOCK CALIB_DIR

CALIB_DIR holds the .npz decoder inputs that quantc's GPTQ calibrates on
(the same token windows)."""
import pathlib
import sys

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader
from onnxruntime.quantization.matmul_4bits_quantizer import (GPTQWeightOnlyQuantConfig,
                                                             MatMul4BitsQuantizer)


class Samples(CalibrationDataReader):
    def __init__(self, directory):
        self.files = iter(sorted(pathlib.Path(directory).glob("*.npz")))

    def get_next(self):
        path = next(self.files, None)
        if path is None:
            return None
        with np.load(path) as data:
            return {k: data[k] for k in data.files}


def main(src, dst, block, calibration):
    config = GPTQWeightOnlyQuantConfig(calibration_data_reader=Samples(calibration),
                                       block_size=int(block))
    quantizer = MatMul4BitsQuantizer(onnx.load(src), block_size=int(block), is_symmetric=True,
                                     algo_config=config)
    quantizer.process()
    quantizer.model.save_model_to_file(dst, use_external_data_format=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
