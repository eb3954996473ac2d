// Two 64x64 layers; one has a large weight in every group of 32 along K
// that multiplies an input which is always 0, so 4-bit groups lose all its
// other weights (see Inputs/make_assign_precision.py) while 8 bits keep them.
// Sizes: w4g32 2560 bytes (2048 + 512 for scales), i8 4352 (4096 + 256),
// f32 16384. 6912 bytes afford one i8 and one w4g32 layer: the sensitive
// layer must be the i8 one.
// RUN: %qc_python %S/Inputs/make_assign_precision.py %t
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 candidates=f32,i8,w4g32" | FileCheck %s
// RUN: quant-opt %t.swapped.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 candidates=f32,i8,w4g32" | FileCheck %s --check-prefix=SWAPPED
// The proxy signal (weight error x input channel energy, no trial runs)
// finds the same sensitive layer.
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 candidates=f32,i8,w4g32 signal=proxy" 2>/dev/null | FileCheck %s
// RUN: quant-opt %t.swapped.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 candidates=f32,i8,w4g32 signal=proxy" 2>/dev/null | FileCheck %s --check-prefix=SWAPPED
// So does the KL divergence of the output's softmax (the outputs read as
// logits over their 64 columns).
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 candidates=f32,i8,w4g32 signal=kl" 2>/dev/null | FileCheck %s
// RUN: quant-opt %t.swapped.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 candidates=f32,i8,w4g32 signal=kl" 2>/dev/null | FileCheck %s --check-prefix=SWAPPED
// RUN: not quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 signal=hessian" 2>&1 | FileCheck %s --check-prefix=SIGNAL
// Asymmetric weight-only weights cost a zero point byte per scale: w4g32
// takes 2688 bytes, so 6912 no longer affords i8 + w4g32 (7040): both
// layers get w4g32; 7040 does, and the sensitive layer is again the i8 one.
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 candidates=f32,i8,w4g32 weight-scheme=asymmetric" | FileCheck %s --check-prefix=ASYMMETRIC
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=7040 candidates=f32,i8,w4g32 weight-scheme=asymmetric" | FileCheck %s
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=7040 candidates=f32,i8,w4g32 weight-scheme=asymmetric signal=proxy" 2>/dev/null | FileCheck %s
// RUN: not quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=7040 weight-scheme=zero" 2>&1 | FileCheck %s --check-prefix=SCHEME
// Enough bits for f32 everywhere: nothing is quantized.
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz bits-per-weight=32" | FileCheck %s --check-prefix=ROOMY
// RUN: not quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=4000 candidates=f32,i8,w4g32" 2>&1 | FileCheck %s --check-prefix=TIGHT
// RUN: not quant-opt %t.mlir "--qc-assign-precision=data=%t.npz" 2>&1 | FileCheck %s --check-prefix=NOBUDGET
// An error budget: w4g32 + i8 is predicted at 0.0272 but measures 0.0286, so
// the refinement solves again below the miss and settles on i8 + i8 (0.0228).
// RUN: rm -f %t.cache.json
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz max-error=0.0275 candidates=f32,i8,w4g32 cache=%t.cache.json pareto=%t.pareto.json" 2>&1 | FileCheck %s --check-prefix=REFINE
// RUN: FileCheck %s --input-file %t.pareto.json --check-prefix=PARETO
// RUN: FileCheck %s --input-file %t.pareto.svg --check-prefix=SVG
// The cache is read: with the second layer's measured errors swapped there,
// the same size budget picks the swapped assignment.
// RUN: sed -e 's/"1:second,|f32\/i4\/per_group32": 1/"1:second,|f32\/i4\/per_group32": 0/' -e 's/"1:second,|i8\/i8\/per_channel": .*,/"1:second,|i8\/i8\/per_channel": 1,/' %t.cache.json > %t.fake.json
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 candidates=f32,i8,w4g32 cache=%t.fake.json" | FileCheck %s --check-prefix=CACHED
// A latency budget: each layer is 4096 MACs. With a measured cost table where
// int8 is slow and int4 weight-only fast, 0.6 us buys f32 for the sensitive
// layer and w4g32 for the other; with the op-count defaults (fast int8),
// 0.3 us buys i8 and f32.
// RUN: echo '{"ns_per_mac": {"f32": 0.1, "i8": 0.08, "w4g32": 0.01}}' > %t.costs.json
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz latency-us=0.6 candidates=f32,i8,w4g32 cost-table=%t.costs.json" 2>&1 | FileCheck %s --check-prefix=TABLE
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz latency-us=0.3 candidates=f32,i8,w4g32" 2>/dev/null | FileCheck %s --check-prefix=OPCOUNT
// RUN: not quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz latency-us=0.01 candidates=f32,i8,w4g32" 2>&1 | FileCheck %s --check-prefix=SLOW
// RUN: not quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz latency-us=1 cost-table=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=NOTABLE
// The report says why each layer got its precision.
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 candidates=f32,i8,w4g32" --qc-quantize --qc-fold-scales "--qc-report=reference=%t.mlir data=%t.npz markdown=%t.md" -o /dev/null 2>/dev/null
// RUN: FileCheck %s --input-file %t.md --check-prefix=WHY
// RUN: not quant-opt %t.mlir "--qc-assign-precision=data=%t.npz bits-per-weight=4 candidates=f8" 2>&1 | FileCheck %s --check-prefix=CANDIDATE

// CHECK: qc.matmul {{.*}}qc.precision = #qc.precision<activation = f32, weight = i4, granularity = per_group, scheme = asymmetric, group_size = 32>{{.*}}qc.sensitivity
// CHECK: qc.matmul {{.*}}qc.precision = #qc.precision<activation = i8, weight = i8, granularity = per_channel, scheme = asymmetric, group_size = 0>{{.*}}qc.sensitivity

// SWAPPED: qc.matmul {{.*}}qc.precision = #qc.precision<activation = i8, weight = i8
// SWAPPED: qc.matmul {{.*}}qc.precision = #qc.precision<activation = f32, weight = i4

// ASYMMETRIC-COUNT-2: qc.precision = #qc.precision<activation = f32, weight = i4
// SCHEME: error: weight-scheme 'zero' is not symmetric or asymmetric

// ROOMY-COUNT-2: qc.precision = #qc.precision<activation = f32, weight = f32

// TIGHT: error: no precision assignment fits 4000 bytes of weights; the smallest takes 5120
// NOBUDGET: error: qc-assign-precision needs data= and exactly one of budget-bytes=, bits-per-weight=, latency-us=, max-error= and max-drop=

// REFINE: remark: assigned 8704 bytes of weights (8.50 bits each), predicted error {{.*}}, measured 2.{{[0-9]+}}e-02
// REFINE: qc.matmul {{.*}}qc.choice = "i8/i8/per_channel: error {{.*}}, 4352 bytes; f32/f32/per_tensor 0.00e+00, 16384 B; f32/i4/per_group32 {{.*}}, 2560 B"{{.*}}qc.precision = #qc.precision<activation = i8
// REFINE: qc.matmul {{.*}}qc.precision = #qc.precision<activation = i8

// PARETO: "bits_per_weight": 5
// PARETO: "chosen": true
// PARETO-NEXT: "layers": {
// PARETO-NEXT: "first": "i8/i8/per_channel",
// PARETO-NEXT: "second": "i8/i8/per_channel"
// SVG: <svg
// SVG: fill='red'

// WHY: Why (qc-assign-precision
// WHY: - first: f32/i4/per_group32: error {{.*}}, 2560 bytes; f32/f32/per_tensor 0.00e+00, 16384 B; i8/i8/per_channel {{.*}}, 4352 B
// WHY: - second: i8/i8/per_channel: error {{.*}}, 4352 bytes

// TABLE: remark: assigned layers predicted to take 0.451 us
// TABLE: qc.matmul {{.*}}weight = i4
// TABLE: qc.matmul {{.*}}activation = f32, weight = f32
// OPCOUNT: qc.matmul {{.*}}activation = i8, weight = i8
// OPCOUNT: qc.matmul {{.*}}activation = f32, weight = f32
// SLOW: error: no precision assignment fits 0.01 us; the fastest is predicted to take 0.041 us
// NOTABLE: error: cannot read the cost table '{{.*}}missing.json'

// CACHED: qc.matmul {{.*}}qc.precision = #qc.precision<activation = i8
// CACHED: qc.matmul {{.*}}qc.precision = #qc.precision<activation = f32, weight = i4
// SIGNAL: error: unknown sensitivity signal 'hessian' (output, kl or proxy)
// CANDIDATE: error: unknown candidate precision 'f8' (f32, bf16, i8, w8, w4 or w4g<N>)
