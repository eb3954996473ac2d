// Data: 100 samples of 4 values, evenly spaced over [-1, 3], except that the
// last value is an outlier, 50.
// RUN: %qc_python -c "import numpy as n; x = n.linspace(-1, 3, 400, dtype=n.float32).reshape(100, 1, 4); x[99, 0, 3] = 50; n.savez('%t.npz', x=x); print('MA', x[:, 0, 0].mean(), x[:, 0, 3].mean())" > %t.expected
// RUN: FileCheck %s --input-file %t.expected --check-prefix=NUMPY
// NUMPY: MA 0.98496{{[0-9]*}} 1.48503{{[0-9]*}}

// RUN: quant-opt %s --qc-calibrate="data=%t.npz" | FileCheck %s --check-prefix=MINMAX
// MINMAX: qc.range = array<f64: -1.000000e+00, 5.000000e+01>
// MINMAX: qc.relu %arg0 {qc.range = array<f64: 0.000000e+00, 5.000000e+01>}

// The moving average is numpy's mean of the per-sample extremes, widened to
// contain 0.
// RUN: quant-opt %s --qc-calibrate="data=%t.npz estimator=moving-average" | FileCheck %s --check-prefix=MA
// MA: qc.range = array<f64: 0.000000e+00, 1.48503{{[0-9]*}}>

// The 99.5th percentile of each tail drops the outlier (one value in 400),
// to within one histogram bin (50 / 2048) of the bulk's maximum, 3.
// RUN: quant-opt %s --qc-calibrate="data=%t.npz estimator=percentile percentile=99.5" | FileCheck %s --check-prefix=PERCENTILE
// PERCENTILE: qc.range = array<f64: -1.000000e+00, 3.0029296875>

// Entropy clips the outlier after the ReLU: the threshold is the first
// candidate, 128 bins of 50 / 2048.
// RUN: quant-opt %s --qc-calibrate="data=%t.npz estimator=entropy" | FileCheck %s --check-prefix=ENTROPY
// ENTROPY: qc.relu %arg0 {qc.range = array<f64: 0.000000e+00, 3.125000e+00>}

// MSE on Laplace(0, 1) data (exact quantiles, |x| <= 8.29) for 4 bits clips
// near the analytic optimum of about 5 (Banner et al., ACIQ: 5.03 b).
// RUN: %qc_python -c "import numpy as n; u = (n.arange(4000) + 0.5) / 4000 - 0.5; x = -n.sign(u) * n.log(1 - 2 * n.abs(u)); n.savez('%t.laplace.npz', x=x.astype(n.float32).reshape(1000, 1, 4))"
// RUN: quant-opt %s --qc-calibrate="data=%t.laplace.npz estimator=mse bits=4" | FileCheck %s --check-prefix=MSE
// MSE: qc.range = array<f64: -4.8{{[0-9]*}}, 4.8{{[0-9]*}}>
// RUN: quant-opt %s --qc-calibrate="data=%t.laplace.npz estimator=mse bits=8" | FileCheck %s --check-prefix=MSE8
// MSE8: qc.range = array<f64: -8.2{{[0-9]*}}, 8.2{{[0-9]*}}>

// Statistics saved once re-estimate without the data.
// RUN: quant-opt %s --qc-calibrate="data=%t.npz statistics-out=%t.json" -o /dev/null
// RUN: FileCheck %s --input-file %t.json --check-prefix=JSON
// JSON: "format": "quantc-statistics"
// JSON: "r": {
// RUN: quant-opt %s --qc-calibrate="statistics-in=%t.json estimator=percentile percentile=99.5" | FileCheck %s --check-prefix=PERCENTILE
// RUN: quant-opt %s --qc-calibrate="statistics-in=%t.json" | FileCheck %s --check-prefix=MINMAX

// A directory of .npz files is read in name order.
// RUN: rm -rf %t.dir && mkdir %t.dir && cp %t.npz %t.dir/a.npz
// RUN: quant-opt %s --qc-calibrate="data=%t.dir" | FileCheck %s --check-prefix=MINMAX

// Errors name the file or the option.
// RUN: not quant-opt %s --qc-calibrate 2>&1 | FileCheck %s --check-prefix=NODATA
// NODATA: error: qc-calibrate needs data= (calibration .npz files or directories) or statistics-in=
// RUN: not quant-opt %s --qc-calibrate="data=%t.npz estimator=median" 2>&1 | FileCheck %s --check-prefix=ESTIMATOR
// ESTIMATOR: error: unknown range estimator 'median'
// RUN: not quant-opt %s --qc-calibrate="data=%t.missing.npz" 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: calibration file '{{.*}}.missing.npz' does not exist
// RUN: rm -rf %t.empty && mkdir %t.empty
// RUN: not quant-opt %s --qc-calibrate="data=%t.empty" 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: calibration directory '{{.*}}.empty' holds no .npz file
// RUN: %qc_python -c "import numpy as n; n.savez('%t.other.npz', y=n.zeros((1, 4), n.float32), z=n.zeros(2))"
// RUN: not quant-opt %s --qc-calibrate="data=%t.other.npz" 2>&1 | FileCheck %s --check-prefix=NAME
// NAME: error: calibration file '{{.*}}.other.npz' has no array for input 'x'
// RUN: %qc_python -c "import numpy as n; n.savez('%t.shape.npz', x=n.zeros((3, 5), n.float32))"
// RUN: not quant-opt %s --qc-calibrate="data=%t.shape.npz" 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: error: calibration file '{{.*}}.shape.npz': array 'x' has shape [3, 5], which is neither the input shape [1, 4] nor a stack of them
// RUN: echo '{"format": "other"}' > %t.bad.json
// RUN: not quant-opt %s --qc-calibrate="statistics-in=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=BADSTATS
// BADSTATS: error: {{.*}}.bad.json: not a quantc statistics file: missing "format": "quantc-statistics"

func.func @main(%arg0: tensor<1x4xf32> {qc.name = "x"}) -> tensor<1x4xf32> {
  %0 = qc.relu %arg0 : tensor<1x4xf32> loc("r")
  return %0 : tensor<1x4xf32>
}
