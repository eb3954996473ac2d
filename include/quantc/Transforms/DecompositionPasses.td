//===- DecompositionPasses.td - layers as ones the kernels run -*- tablegen -*-===//
//
// Included by Passes.td: passes that rewrite a layer as others of the same
// sums that the integer kernels run (3-d and transposed convolutions).
//
//===----------------------------------------------------------------------===//

def QCDecomposeConv3D : Pass<"qc-decompose-conv3d", "::mlir::ModuleOp"> {
  let summary = "Run 3-d convolutions as 2-d ones over depth-unfolded inputs";
  let description = [{
    Rewrites a 3-d `qc.conv` (input [N, C, D, H, W], weights
    [O, C/g, KD, KH, KW]) as one 2-d `qc.conv` whose batch is N x OD and
    whose channels are the KD depth slices of each input channel: the
    input, padded along depth with zeros, is sliced once per depth tap
    (strided by the depth stride), the slices are stacked next to their
    channel ([N, OD, C, KD, H, W] as [N x OD, C x KD, H, W]), the weights
    are the same numbers as [O, C/g x KD, KH, KW], and the result is
    transposed back to [N, O, OD, OH, OW]. The sums are the 3-d ones, in the
    same order (channel, then depth, height and width tap), so the 2-d
    kernels, integer ones included, run 3-d layers: slices, concatenation,
    reshapes and transposes keep an 8-bit tensor's type. quantc runs it
    after `qc-simplify`, before calibration.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCDecomposeConvTranspose
    : Pass<"qc-decompose-conv-transpose", "::mlir::ModuleOp"> {
  let summary = "Run transposed convolutions as convolutions, one output phase per channel";
  let description = [{
    Rewrites a `qc.conv_transpose` with constant weights (and bias) as one
    `qc.conv` over its input followed by a depth-to-space shuffle. Output
    position `f = s m + r` (stride `s`, phase `r`) of the full transposed
    convolution takes the window positions `k` with `d k = r + s j` only
    (dilation `d`), reading input `m - j`: for each phase a stride-1
    convolution with `J = floor(d (K - 1) / s) + 1` taps (tap `t` holds
    `W[(r + s (J - 1 - t)) / d]` where that is a window position, zero
    elsewhere), so the one convolution has `O x prod(s)` output channels
    (channel `o x prod(s) + phase`, each group's together), `J - 1` zeros of
    padding before the input and enough after it. Along a stride-1 axis the
    one phase is the flipped window with the layer's dilation instead. The
    phases are then interleaved (reshape, transpose, reshape) and the result
    is sliced by `pads` (`output_padding` included). No zero of a
    stride-spread input is multiplied (a dilated strided window multiplies
    the zero taps between its positions instead), and an int8 model runs
    the layer as a `qc.qconv` on the integer kernels (with per-phase weight
    scales). 1-d, 2-d and 3-d layers; a 3-d one is then a 3-d `qc.conv` for
    `qc-decompose-conv3d`. quantc runs it when it quantizes, after
    `qc-simplify`, before calibration, and in the CPU pipeline's fast float
    mode, before `qc-fast-float` (it reorders the sums, which the exact mode
    keeps as the evaluator computes them).
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}
