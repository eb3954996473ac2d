// Two 64x64 layers; one has a large weight in every group of 32 along K
// that multiplies an input which is always 0, so 4-bit groups lose all its
// other weights (see Inputs/make_assign_precision.py) while 8 bits keep them.
// Sizes: w4g32 2560 bytes (2048 + 512 for scales), i8 4352 (4096 + 256),
// f32 16384. 6912 bytes afford one i8 and one w4g32 layer: the sensitive
// layer must be the i8 one.
// RUN: %qc_python %S/Inputs/make_assign_precision.py %t
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 candidates=f32,i8,w4g32" | FileCheck %s
// RUN: quant-opt %t.swapped.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=6912 candidates=f32,i8,w4g32" | FileCheck %s --check-prefix=SWAPPED
// Enough bits for f32 everywhere: nothing is quantized.
// RUN: quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz bits-per-weight=32" | FileCheck %s --check-prefix=ROOMY
// RUN: not quant-opt %t.mlir --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=4000 candidates=f32,i8,w4g32" 2>&1 | FileCheck %s --check-prefix=TIGHT
// RUN: not quant-opt %t.mlir "--qc-assign-precision=data=%t.npz" 2>&1 | FileCheck %s --check-prefix=NOBUDGET
// RUN: not quant-opt %t.mlir "--qc-assign-precision=data=%t.npz bits-per-weight=4 candidates=f8" 2>&1 | FileCheck %s --check-prefix=CANDIDATE

// CHECK: qc.matmul {{.*}}qc.precision = #qc.precision<activation = f32, weight = i4, granularity = per_group, scheme = asymmetric, group_size = 32>{{.*}}qc.sensitivity
// CHECK: qc.matmul {{.*}}qc.precision = #qc.precision<activation = i8, weight = i8, granularity = per_channel, scheme = asymmetric, group_size = 0>{{.*}}qc.sensitivity

// SWAPPED: qc.matmul {{.*}}qc.precision = #qc.precision<activation = i8, weight = i8
// SWAPPED: qc.matmul {{.*}}qc.precision = #qc.precision<activation = f32, weight = i4

// ROOMY-COUNT-2: qc.precision = #qc.precision<activation = f32, weight = f32

// TIGHT: error: no precision assignment fits 4000 bytes of weights; the smallest takes 5120
// NOBUDGET: error: qc-assign-precision needs data= and exactly one of budget-bytes= and bits-per-weight=
// CANDIDATE: error: unknown candidate precision 'f8' (f32, bf16, i8, w8 or w4g<N>)
