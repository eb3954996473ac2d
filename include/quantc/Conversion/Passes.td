//===- Passes.td - qc conversion passes --------------------*- tablegen -*-===//
#ifndef QUANTC_CONVERSION_PASSES
#define QUANTC_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertQCToLinalg : Pass<"convert-qc-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower qc ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites every `qc` op into upstream ops on builtin tensors, so that the
    upstream bufferization and code generation passes take over:

    - quantized tensors become tensors of their storage integers, and
      `quant.scast` disappears;
    - element-wise ops become `linalg.generic` with numpy broadcasting in the
      indexing maps; `qc.requantize`, `qc.qadd` and `qc.qmul` compute the
      fixed-point rescaling exactly in 64-bit integers with the op's rounding
      mode, so the generated code agrees bit for bit with the reference
      evaluator;
    - matmul, gemm and conv become `linalg.batch_matmul`, `linalg.matmul` and
      `linalg.conv_2d_ngchw_gfchw` (padding as `tensor.pad`);
      `qc.qmatmul` / `qc.qconv` do the same in i32 after subtracting their
      zero points, unless `microkernels` is set and the weights are constant
      signed 8-bit with zero zero points: then the layer and the
      `qc.requantize` that follows it become one call of a packed-weight
      microkernel of the quantc runtime (weights repacked here, once, into the
      layout the kernel reads, with the column-sum correction of the u8 x s8
      product folded into the bias); with `microkernels`, f32 layers and
      weight-only layers call the float and weight-only kernels, and 8-bit
      table lookups call `quantc_lookup` (AVX-512 VBMI byte permutes where
      the CPU has them);
    - f16/bf16 ops that sum or average (layers, pooling, normalizations,
      softmax, reductions) compute in f32 between casts and round once, as
      the evaluator does;
    - pooling, normalization, softmax, reductions and data movement become
      linalg reductions, `tensor` slices and gathers.

    The func signature keeps its order; `@main`'s arguments and results keep
    their `qc.name` attributes, and the module records the original tensor
    types in `qc.signature` for packaging.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let options = [
    Option<"microkernels", "microkernels", "bool", /*default=*/"false",
           "Lower 8-bit and float layers with constant weights, weight-only "
           "layers and 8-bit table lookups to runtime microkernel calls">,
    Option<"kernelSuffix", "kernel-suffix", "std::string",
           /*default=*/"\"generic\"",
           "Instruction-set variant of the microkernels to call "
           "(avx512vnni, avx2, generic)">,
    Option<"floatMode", "float-mode", "std::string", /*default=*/"\"exact\"",
           "exact: float layers sum in the evaluator's order; fast: their "
           "kernels may contract into FMA and reorder sums">,
    Option<"bf16Tiles", "bf16-tiles", "bool", /*default=*/"false",
           "With float-mode=fast: bf16 layers (widened bf16 operands) with "
           "constant weights run on the bf16 tile layout (targets with "
           "AMX-BF16 or AVX-512 BF16)">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"false",
           "Lower 8-bit integer layers with constant weights to contractions "
           "marked for tensor cores, and weight-only layers (without "
           "microkernels) to contractions unpacking their packed weights in "
           "registers (GPU targets)">,
  ];
}

def ConvertQCToTosa : Pass<"convert-qc-to-tosa", "::mlir::ModuleOp"> {
  let summary = "Export the integer graph to TOSA 1.0";
  let description = [{
    Rewrites a folded qc graph into the TOSA integer profile, exactly (the
    TOSA graph computes the same integers as the reference evaluator):

    | qc | TOSA |
    |---|---|
    | `qc.qconv` (2-d, plain or depthwise) | `tosa.conv2d` / `tosa.depthwise_conv2d` in NHWC between `tosa.transpose`s, with `input_zp` / `weight_zp` |
    | `qc.qmatmul` | rank-3 `tosa.matmul` with `a_zp` / `b_zp`, bias by `tosa.add` |
    | `qc.requantize` | `tosa.rescale` (SINGLE_ROUND, per channel along the last dimension) and `tosa.clamp` for fused bounds and narrow ranges |
    | `qc.qadd` | one `tosa.rescale` into i32 per operand (the left shift folded into the shift), `tosa.add`, one `tosa.rescale` back |
    | `qc.lookup_table` (8-bit) | `tosa.table` |
    | `qc.max_pool`, reshape, transpose, concat, slice, pad | `tosa.max_pool2d`, `tosa.reshape`, `tosa.transpose`, `tosa.concat`, `tosa.slice`, `tosa.pad` |

    Quantized values become their signed storage integers. A function
    argument used only by `qc.quantize` and a result produced by
    `qc.dequantize` become integer arguments and results, their
    `!quant.uniform` type recorded in `qc.quant_type`: TOSA has no float
    division, so only the caller can quantize exactly as `qc.quantize`
    does. `convert-tosa-to-qc` reads these attributes back.

    Transposes between consecutive layers cancel, and transposes of constant
    weights are folded. TOSA rescales round half up, so only graphs folded
    with `rounding=half_up` export; everything TOSA cannot express exactly
    (other roundings, float ops inside the graph, grouped convolutions,
    per-channel zero points, unsigned storage) is reported on its op, and
    nothing is exported. Quantizes of arguments are first moved above
    reshapes and transposes, and dequantizes of results below them (exact:
    quantization is element-wise).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::tosa::TosaDialect"];
}

def ConvertTosaToQC : Pass<"convert-tosa-to-qc", "::mlir::ModuleOp"> {
  let summary = "Import TOSA integer graphs into qc";
  let description = [{
    The inverse of `convert-qc-to-tosa`, for the graphs it writes and for
    int8 TOSA from other frontends:

    | TOSA | qc |
    |---|---|
    | `tosa.conv2d`, `tosa.depthwise_conv2d` (i8, i32 accumulators) | `qc.qconv` (plain or depthwise) between `qc.transpose`s |
    | `tosa.matmul` (+ `tosa.add` of a constant bias) | `qc.qmatmul` with its bias |
    | `tosa.rescale` (SINGLE_ROUND; INEXACT_ROUND; DOUBLE_ROUND with shifts up to 31) | `qc.requantize` with `half_up` rounding |
    | `tosa.clamp` of a rescale | the requantization's `clamp_min` / `clamp_max` |
    | rescale, rescale, `tosa.add`, rescale | `qc.qadd` |
    | `tosa.table` (8-bit), `tosa.max_pool2d`, reshape, transpose, concat, slice, pad | `qc.lookup_table`, `qc.max_pool`, and the movement ops |

    TOSA keeps zero points on operations and has no scales: each value takes
    its producer's zero point and scale 1.0, and a consumer reading it with
    another zero point sees it through `quant.scast`. Integer arguments and
    results with a `qc.quant_type` attribute (from `convert-qc-to-tosa`)
    become float again, quantized and dequantized with that type, so a
    round trip gives back a graph that runs on the same float inputs.
    Anything else is reported on its op.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect",
                           "::mlir::quant::QuantDialect"];
}

def ConvertQCToGPU : Pass<"convert-qc-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Move the bufferized qc lowering into GPU kernels";
  let description = [{
    Runs after `convert-qc-to-linalg{tensor-cores=true}` and bufferization.
    Every computation of the host functions becomes a `gpu.launch`, and
    every buffer device memory, so that `gpu-kernel-outlining` and the NVVM
    lowering take over:

    - contractions marked `qc.mma_operands` become tensor-core kernels:
      blocks of 4 warps each computing 32 x 32 of C with
      `nvvm.mma.sync` m16n8k32 (s8/u8 operands, i32 accumulators, exact);
      fragments load straight from the K-contiguous operands, taps past K
      and rows past M or N as zeros, and the epilogue adds the
      accumulators to C, which holds the bias; when C's only reader is an
      all-parallel `linalg.generic` reading it element for element (the
      requantization, with the clamp and dequantization fused into it), and
      nothing computes in between, that op's body runs in the epilogue on
      accumulator plus bias and writes its output: the i32 accumulators
      never reach memory;
    - other linalg ops (and `memref.copy`) become `scf.parallel` loops
      launched with one thread per iteration, the linear thread id split
      into the loop's induction variables (the last dim fastest, so
      neighbouring threads touch neighbouring elements); ops without
      parallel dims run in a one-thread launch;
    - host `memref.alloc` / `memref.dealloc` become `gpu.alloc` /
      `gpu.dealloc`;
    - constants, weights (`memref.get_global`) and views of them are
      cloned into the launches that use them, so outlining copies the
      weights into the kernel module: they load onto the device once,
      with the module, and never cross the bus per run;
    - every launch names its kernel (`kernel_<n>`) in one module,
      `qc_kernels`, so the toolkit compiles one module and the runtime
      loads one.

    A host op still touching memory afterwards is reported, and the pass
    fails.
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block of the element-wise and loop kernels">,
  ];
}

def QCConcatInPlace : Pass<"qc-concat-in-place"> {
  let summary = "Let the producers of a concatenation's inputs write into it";
  let description = [{
    Rewrites the `tensor.insert_slice` chains of concatenations on tensors
    so that each input's producer (a kernel call, a loop) writes its result
    straight into its slice of the concatenation, instead of a temporary
    that bufferization copies there:

    - two insertions of adjacent slices of one tensor into adjacent slices
      along the same dimension become one. A split whose parts are
      concatenated again (YOLOv8's C2f blocks) inserts the split tensor
      itself, whose producer can then write into the concatenation;
    - the `tensor.empty` at the root of an insertion chain moves before the
      first op that writes any of the inserted values (through reshapes,
      slices and the inits of destination-style ops), and every insertion
      moves up to just after the definitions of its operands. A
      concatenation's insertions were created where it was, after all its
      inputs, so each producer but the first ran before the slice it could
      write into existed;
    - a slice of an inserted tensor read after its insertion is read from
      the insertion instead (the same values). Bufferization sees that read
      as disjoint from later insertions; read from the tensor itself, it
      would count the insertion as a write between the tensor's definition
      and the read, and copy the tensor;
    - the op at the root of each inserted value (a destination-style op
      whose init is a `tensor.empty`, reached through the tied inits of
      destination-style ops and through reshapes, which upstream's
      `eliminate-empty-tensors` does not follow) starts from its slice of
      the destination instead. Not where one of those ops also reads a
      view of the destination (a residual sum reading a split half): one
      op reading one slice of a buffer and writing another is a conflict to
      bufferization, which would copy both.

    All moved ops are pure, and a `tensor.empty`'s values are undefined:
    the results are unchanged, only where their buffers live. Upstream's
    `eliminate-empty-tensors` then handles what is left.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def QCFlattenElementwise : Pass<"qc-flatten-elementwise"> {
  let summary = "Element-wise loops over whole tensors as one loop";
  let description = [{
    Collapses the loops of every element-wise `linalg.generic` on tensors
    (all loops parallel, every operand read element for element with the
    identity map, no `linalg.index`) into one loop over all elements, with
    upstream's `populateCollapseDimensions` (the operands are reshaped,
    which bufferizes to views). A CPU vectorizer then runs one long loop:
    over [1, 64, 20, 20] it would otherwise vectorize rows of 20 and finish
    each with a scalar remainder. The arithmetic is unchanged.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QCFuseElementwise : Pass<"qc-fuse-elementwise"> {
  let summary = "Fuse element-wise linalg ops without recomputation";
  let description = [{
    Upstream's element-wise fusion of linalg ops on tensors (as
    `linalg-fuse-elementwise-ops`), restricted to fusions that compute
    nothing twice and keep the forms the back ends map onto kernels:

    - a producer fuses only into its only user (as upstream's default), and
      only when that consumer reads it element for
      element (a permutation map). Through a broadcast (a
      squeeze-excitation scale read at every pixel) or a window (a
      pooling), the fused body would redo the producer's lookup tables and
      rescalings once per read rather than once per element;
    - nothing fuses into or out of a contraction marked `qc.mma_operands`,
      which must keep the form `convert-qc-to-gpu` maps onto tensor cores;
    - the op reading a contraction's accumulators (its requantization)
      becomes the tensor-core kernel's epilogue, so it fuses only into
      all-parallel consumers;
    - with `isolate-lookups` (CPU targets), table lookups (`tensor.extract`
      at computed indices) fuse with nothing: a gather keeps the loop it is
      in from vectorizing, while alone it is a cheap byte load and the
      rescaling loops around it vectorize.
  }];
  let options = [
    Option<"isolateLookups", "isolate-lookups", "bool", /*default=*/"false",
           "Keep table lookups out of fused loops (they would stop CPU "
           "vectorization)">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QCCPUEntryPoint : Pass<"qc-cpu-entry-point", "::mlir::ModuleOp"> {
  let summary = "Add the artifact's C entry point and signature tables";
  let description = [{
    Runs on the LLVM dialect after `@main` was lowered, with the bare-pointer
    calling convention (CPU) or with expanded memref descriptors (the GPU
    host, whose kernels take descriptors). Renames `@main` to an internal function and adds:

    - `int32_t quantc_artifact_run(void **buffers)`: inputs then outputs, each a
      caller-owned contiguous row-major buffer;
    - `quantc_artifact_signature`: an `i64` table `[#inputs, #outputs, then per
      tensor: element code, rank, dims...]` built from the module's
      `qc.signature` attribute;
    - `quantc_artifact_names`: the tensors' names, each NUL-terminated.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def QCEraseSelfCopies : Pass<"qc-erase-self-copies"> {
  let summary = "Erase copies of buffer elements onto themselves";
  let description = [{
    Erases each `memref.copy` whose source and target, followed through
    their views (subviews, reshapes, casts) to one buffer, have static
    layouts that place the same elements: the same offset, and the same
    size and stride in every dimension of more than one element. Upstream's
    folding erases a copy only when both operands are the same value; an
    element-wise op flattened by `qc-flatten-elementwise` that writes into
    its slice of a concatenation (`qc-concat-in-place`) leaves its result
    seen through reshapes, whose layout differs from the slice's only in
    the stride of a unit dimension.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def QCLowerMicrokernels : Pass<"qc-lower-microkernels", "::mlir::ModuleOp"> {
  let summary = "Turn bufferized qc.microkernel ops into C calls";
  let description = [{
    Replaces each `qc.microkernel` on buffers by a `func.call` of its kernel
    with one `!llvm.ptr` per operand (the first element of the buffer,
    offset included) and declares the kernel. Operands that are not
    contiguous are first copied into (and outputs back from) contiguous
    buffers, since kernels read dense row-major memory.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def QCCollapseLoops : Pass<"qc-collapse-loops"> {
  let summary = "The loops of bufferized linalg ops as few and as long as their operands allow";
  let description = [{
    LLVM fully unrolls a short innermost loop (a row of 14 to 40 elements)
    and then vectorizes the next loop out, one row per lane, with gathers
    and scatters: a squeeze-excitation scale over 20 x 20 planes, a -inf
    fill of a pooling's padded 14 x 14 planes and a global pool's 40 x 40
    plane ran at 2 to 8 times the time of one long loop. This pass runs on
    the linalg ops that become loops (after `qc-lower-microkernels`):

    - fills and maps (a padding's fill) of two or more dimensions become
      `linalg.generic`;
    - unit dimensions are dropped (upstream's
      `populateFoldUnitExtentDimsPatterns`: a [1, C, 1, 1] channel scale
      becomes a [C] operand read by the channel loop);
    - consecutive loops of the same kind that every operand reads as
      consecutive indices, in loop order, of a layout that collapses them
      (or does not read at all) collapse into one (upstream's
      `populateCollapseDimensions`, operands through
      `memref.collapse_shape` views). Ops that read a loop through a
      constant or a window offset, or whose body reads its indices, keep
      their loops.

    Each loop visits the elements in the same order as before, reductions
    included: the results are bit for bit the same.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def QCParallelizeLoops : Pass<"qc-parallelize-loops", "::mlir::ModuleOp"> {
  let summary = "Split large bufferized linalg loops over the run's threads";
  let description = [{
    Moves each bufferized linalg op with static loop ranges and at least
    `min-work` iterations (times the ops of its body) into a private
    function over a range of one parallel loop, and calls it through
    `quantc_parallel_range`, which the kernel runtime splits over the
    threads of the run: element-wise loops, poolings, resizes and
    quantizations then scale with threads as the microkernels do.

    The loop split is the outermost parallel loop of more than one
    iteration that indexes every output, so no two ranges write the same
    element. Its bounds are multiples of the iterations that fill 64
    elements, so vectors stay whole. The op's buffers and captured values
    travel in a stack struct of their LLVM forms (memref descriptors);
    constants are cloned into the function.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"16384",
           "Iterations times body ops below which a loop stays on the "
           "calling thread (waking a worker costs about a microsecond)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def QCReductionLoops : Pass<"qc-reduction-loops"> {
  let summary = "Lower innermost linalg reductions to loops with a register accumulator";
  let description = [{
    `convert-linalg-to-loops` reads and writes a reduction's accumulator in
    its output buffer at every step; LLVM cannot keep it in a register
    unless it proves that no input aliases the output, which it mostly
    cannot for the buffers of generated code, so the loop neither
    pipelines nor vectorizes (a softmax's row maximum ran one element per
    store-to-load round trip). This pass lowers each bufferized linalg op
    whose innermost loops are its reductions (a row's maximum, a global
    pool over each plane) to `scf.for` loops over the parallel loops around
    nested `scf.for` loops carrying the accumulator (`iter_args`): the
    output is loaded once before the reductions and stored once after them.
    (`qc-collapse-loops`, before, makes a global pool's plane one loop.)
    The order of the reduction is unchanged.
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def QCReassociateReductions : Pass<"qc-reassociate-reductions"> {
  let summary = "Let float reductions sum in any order (the fast float mode)";
  let description = [{
    Marks the combining `arith.addf` / `arith.mulf` of every linalg
    reduction (an operand is the accumulator: a row's softmax denominator,
    a mean, a norm's variance) `reassoc`, so that LLVM splits the sum over
    vector lanes instead of adding one element at a time. The exact mode
    never runs it: its sums follow the evaluator's order, bit for bit.
    Elementwise float arithmetic (requantization included) is left alone.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def QCExpandDivisions : Pass<"qc-expand-divisions"> {
  let summary = "Expand arith's ceil and floor divisions for the LLVM lowering";
  let description = [{
    Rewrites `arith.ceildivsi`, `arith.ceildivui` and `arith.floordivsi`,
    which LLVM has no instruction for, into divisions and selects. Unlike
    upstream's `arith-expand-ops`, it leaves `arith.maximumf`/`minimumf`
    and the integer minimum and maximum to the LLVM lowering, which maps
    them onto LLVM's intrinsics with the same semantics: LLVM vectorizes
    reductions of those (a softmax's row maximum) but not of the compare
    and select they would otherwise expand to.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // QUANTC_CONVERSION_PASSES
