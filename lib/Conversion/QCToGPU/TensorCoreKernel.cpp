//===- TensorCoreKernel.cpp - 8-bit contractions on tensor cores -*- C++ -*-===//
//
// A contraction marked by convert-qc-to-linalg{tensor-cores} (on buffers)
// becomes one gpu.launch of warps issuing mma.sync.m16n8k32 (8-bit operands,
// exact i32 accumulators, no saturation):
//
// - a block of 4 warps computes a 64 x 64 tile of C (per batch: grid z);
//   each warp a 32 x 32 tile, 2 x 4 mma tiles of 16 x 8;
// - every lane loads its fragments straight from memory, four K-contiguous
//   bytes per 32-bit register, as the PTX fragment layout places them; taps
//   past K and rows past M or N read 0, so any shape works;
// - C already holds the bias (bufferization copies it in), so the epilogue
//   adds the accumulators to it; when C's only reader is an element-wise op
//   (the requantization, clamp and whatever fused with them), that op's body
//   runs in the epilogue instead, on accumulator plus bias, and writes its
//   own output: the i32 accumulators never reach memory.
//
//===----------------------------------------------------------------------===//
#include "QCToGPUPatterns.h"
#include "quantc/Conversion/TensorCores.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace quantc;

namespace {
// mma.sync.m16n8k32 tile and the block's arrangement of warps and tiles.
constexpr int64_t kTileM = 16, kTileN = 8, kTileK = 32;
constexpr int64_t kWarpsM = 2, kWarpsN = 2;
constexpr int64_t kTilesM = 2, kTilesN = 4; // per warp
constexpr int64_t kBlockM = kWarpsM * kTilesM * kTileM;
constexpr int64_t kBlockN = kWarpsN * kTilesN * kTileN;
constexpr int64_t kWarpSize = 32;

/// The contraction's operands when its maps are one of the two forms of
/// TensorCores.h: (m, n, k) with A[m, k], B[n, k], C[m, n], or
/// (b, m, n, k) with A[m, k], B[b, n, k], C[b, m, n].
struct MMAContraction {
  Value a, b, c;
  bool batched;
  NVVM::MMATypes aType, bType;
};

FailureOr<MMAContraction> matchContraction(linalg::GenericOp op) {
  auto types = op->getAttrOfType<ArrayAttr>(kMMAOperandsAttr);
  if (!types || types.size() != 2 || !op.hasPureBufferSemantics() ||
      op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return failure();
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  bool batched = op.getNumLoops() == 4;
  SmallVector<AffineMap> expected =
      batched ? SmallVector<AffineMap>{AffineMap::get(4, 0, {d(1), d(3)}, ctx),
                                       AffineMap::get(4, 0, {d(0), d(2), d(3)}, ctx),
                                       AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx)}
              : SmallVector<AffineMap>{AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                       AffineMap::get(3, 0, {d(1), d(2)}, ctx),
                                       AffineMap::get(3, 0, {d(0), d(1)}, ctx)};
  if (maps != expected)
    return failure();
  auto ptxType = [](Attribute attr) -> std::optional<NVVM::MMATypes> {
    StringRef name = cast<StringAttr>(attr).getValue();
    if (name == "s8")
      return NVVM::MMATypes::s8;
    if (name == "u8")
      return NVVM::MMATypes::u8;
    return std::nullopt;
  };
  std::optional<NVVM::MMATypes> aType = ptxType(types[0]), bType = ptxType(types[1]);
  if (!aType || !bType)
    return failure();
  return MMAContraction{op.getDpsInputs()[0], op.getDpsInputs()[1],
                        op.getDpsInits()[0], batched, *aType, *bType};
}

/// An all-parallel linalg.generic after the contraction reading C (or a
/// reshape of it) element for element, with an identity output: its body
/// becomes the kernel's epilogue.
struct Epilogue {
  linalg::GenericOp op;
  unsigned input;              // the input reading C
  SmallVector<int64_t> ranges; // the op's (static) loop ranges
};

/// The buffer a view is taken of.
Value rootBuffer(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (!isa<memref::SubViewOp, memref::ExpandShapeOp, memref::CollapseShapeOp,
             memref::CastOp, memref::ReinterpretCastOp>(op))
      break;
    value = op->getOperand(0);
  }
  return value;
}

/// The buffers `op` reads and writes (roots), or failure for ops whose
/// accesses are not known here.
LogicalResult getAccesses(Operation *op, SmallVectorImpl<Value> &reads,
                          SmallVectorImpl<Value> &writes) {
  if (isa<memref::AllocOp, memref::DeallocOp, memref::SubViewOp,
          memref::ExpandShapeOp, memref::CollapseShapeOp, memref::CastOp,
          memref::ReinterpretCastOp, memref::GetGlobalOp, memref::DimOp>(op) ||
      op->hasTrait<OpTrait::ConstantLike>())
    return success();
  if (auto launch = dyn_cast<gpu::LaunchOp>(op)) {
    // A kernel made earlier: every buffer it captures may be read and written.
    SetVector<Value> captured;
    getUsedValuesDefinedAbove(launch.getBody(), captured);
    for (Value value : captured)
      if (isa<MemRefType>(value.getType())) {
        reads.push_back(rootBuffer(value));
        writes.push_back(rootBuffer(value));
      }
    return success();
  }
  if (auto copy = dyn_cast<memref::CopyOp>(op)) {
    reads.push_back(rootBuffer(copy.getSource()));
    writes.push_back(rootBuffer(copy.getTarget()));
    return success();
  }
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureBufferSemantics())
    return failure();
  for (OpOperand *input : linalgOp.getDpsInputOperands())
    reads.push_back(rootBuffer(input->get()));
  for (OpOperand &init : linalgOp.getDpsInitsMutable()) {
    writes.push_back(rootBuffer(init.get()));
    if (linalgOp.payloadUsesValueFromOperand(&init))
      reads.push_back(rootBuffer(init.get()));
  }
  return success();
}

/// Whether `view` is `buffer` itself or reshapes of it (expand_shape,
/// collapse_shape of contiguous buffers): then both enumerate the same
/// elements in the same row-major order.
bool isReshapeOf(Value view, Value buffer) {
  while (view != buffer) {
    if (!cast<MemRefType>(view.getType()).getLayout().isIdentity())
      return false;
    Operation *op = view.getDefiningOp();
    if (!isa_and_nonnull<memref::ExpandShapeOp, memref::CollapseShapeOp>(op))
      return false;
    view = op->getOperand(0);
  }
  return cast<MemRefType>(buffer.getType()).getLayout().isIdentity();
}

/// Whether `op` writes every element of `buffer` without reading it.
bool overwritesWhole(Operation *op, Value buffer) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || linalgOp.getNumParallelLoops() != linalgOp.getNumLoops())
    return false;
  return llvm::any_of(linalgOp.getDpsInitsMutable(), [&](OpOperand &init) {
    return isReshapeOf(init.get(), buffer) &&
           linalgOp.getMatchingIndexingMap(&init).isIdentity() &&
           !linalgOp.payloadUsesValueFromOperand(&init);
  });
}

/// The epilogue op of `contraction`, scanning the block in order:
///
/// - the first op touching C after the contraction reads it element for
///   element (directly or through reshapes) as an all-parallel
///   linalg.generic with an identity output: its body runs in the kernel,
///   which then replaces it at its place;
/// - ops in between may not write the contraction's operands (the kernel
///   runs later than the contraction did);
/// - after it, C must not be read before something overwrites it whole
///   (bufferization reuses accumulator buffers): the kernel no longer
///   stores the accumulators.
std::optional<Epilogue> matchEpilogue(linalg::GenericOp contraction,
                                      Value accumulators) {
  // C is an allocation (a caller's buffer holds the results) or a reshape
  // of one.
  Value c = rootBuffer(accumulators);
  if (!c.getDefiningOp<memref::AllocOp>() || !isReshapeOf(accumulators, c))
    return std::nullopt;
  Value a = rootBuffer(contraction.getDpsInputs()[0]);
  Value b = rootBuffer(contraction.getDpsInputs()[1]);
  std::optional<Epilogue> found;
  for (Operation *op = contraction->getNextNode(); op; op = op->getNextNode()) {
    if (op->hasTrait<OpTrait::IsTerminator>())
      return found;
    SmallVector<Value> reads, writes;
    if (failed(getAccesses(op, reads, writes)))
      return std::nullopt;
    bool readsC = llvm::is_contained(reads, c), writesC = llvm::is_contained(writes, c);
    if (found) {
      if (readsC || (writesC && !overwritesWhole(op, c)))
        return std::nullopt;
      if (writesC)
        return found;
      continue;
    }
    if (!readsC && !writesC) {
      if (llvm::is_contained(writes, a) || llvm::is_contained(writes, b))
        return std::nullopt;
      continue;
    }
    auto consumer = dyn_cast<linalg::GenericOp>(op);
    if (!consumer || writesC || consumer.getNumDpsInits() != 1 ||
        consumer.getNumParallelLoops() != consumer.getNumLoops())
      return std::nullopt;
    OpOperand *output = consumer.getDpsInitOperand(0);
    if (!consumer.getMatchingIndexingMap(output).isIdentity())
      return std::nullopt;
    std::optional<unsigned> input;
    for (OpOperand *operand : consumer.getDpsInputOperands()) {
      if (rootBuffer(operand->get()) != c)
        continue;
      if (input || !isReshapeOf(operand->get(), c) ||
          !consumer.getMatchingIndexingMap(operand).isIdentity())
        return std::nullopt;
      input = operand->getOperandNumber();
    }
    SmallVector<int64_t> ranges = consumer.getStaticLoopRanges();
    if (!input || llvm::any_of(ranges, ShapedType::isDynamic))
      return std::nullopt;
    found = Epilogue{consumer, *input, ranges};
  }
  return found;
}

/// Builds the kernel body inside a gpu.launch.
class KernelBuilder {
public:
  KernelBuilder(OpBuilder &b, Location loc, const MMAContraction &mma,
                const std::optional<Epilogue> &epilogue, Value m, Value n,
                Value k)
      : b(b), loc(loc), mma(mma), epilogue(epilogue), m(m), n(n), k(k) {}

  void build(gpu::LaunchOp launch) {
    gpu::KernelDim3 block = launch.getBlockIds(), thread = launch.getThreadIds();
    Value warp = arith::DivUIOp::create(b, loc, thread.x, index(kWarpSize));
    Value lane = arith::RemUIOp::create(b, loc, thread.x, index(kWarpSize));
    group = arith::DivUIOp::create(b, loc, lane, index(4));
    inGroup = arith::RemUIOp::create(b, loc, lane, index(4));
    Value warpM = arith::DivUIOp::create(b, loc, warp, index(kWarpsN));
    Value warpN = arith::RemUIOp::create(b, loc, warp, index(kWarpsN));
    rowBase = add(mul(block.y, index(kBlockM)), mul(warpM, index(kTilesM * kTileM)));
    colBase = add(mul(block.x, index(kBlockN)), mul(warpN, index(kTilesN * kTileN)));
    batchIndex = block.z;

    Value zero = arith::ConstantIntOp::create(b, loc, 0, 32);
    SmallVector<Value> init(kTilesM * kTilesN * 4, zero);
    auto loop = scf::ForOp::create(
        b, loc, index(0), k, index(kTileK), init,
        // The body builder is `b` itself, placed in the loop body.
        [&](OpBuilder &, Location, Value k0, ValueRange acc) {
          scf::YieldOp::create(b, loc, step(k0, acc));
        });
    storeAccumulators(loop.getResults());
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value less(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }

  /// The indices of `row`, `col` in an operand of rank 2 or 3 (batched).
  SmallVector<Value> indices(Value memref, Value row, Value col) {
    if (cast<MemRefType>(memref.getType()).getRank() == 3)
      return {batchIndex, row, col};
    return {row, col};
  }

  /// The four bytes memref[row, tap .. tap + 3] as one i32 (the first in
  /// the low byte); bytes outside rows x [0, K) are 0.
  Value loadWord(Value memref, Value row, Value rows, Value tap) {
    auto type = cast<MemRefType>(memref.getType());
    Value rowOk = less(row, rows);
    Value safeRow = select(rowOk, row, index(0));
    Value zero = arith::ConstantIntOp::create(b, loc, 0, 32);
    int64_t taps = type.getShape().back();
    if (type.getLayout().isIdentity() && !ShapedType::isDynamic(taps) &&
        taps % 4 == 0) {
      // Whole words: four aligned bytes are all inside K or all outside.
      Value ok = arith::AndIOp::create(b, loc, rowOk, less(tap, k));
      Value safeTap = select(ok, tap, index(0));
      auto bytes = vector::LoadOp::create(b, loc, VectorType::get({4}, b.getI8Type()),
                                          memref, indices(memref, safeRow, safeTap));
      bytes.setAlignment(uint64_t{4});
      Value word = vector::BitCastOp::create(
          b, loc, VectorType::get({1}, b.getI32Type()), bytes);
      Value scalar = vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
      return select(ok, scalar, zero);
    }
    Value word = zero;
    for (int64_t j = 0; j < 4; ++j) {
      Value t = add(tap, index(j));
      Value ok = arith::AndIOp::create(b, loc, rowOk, less(t, k));
      Value byte = memref::LoadOp::create(b, loc, memref,
                                          indices(memref, safeRow, select(ok, t, index(0))));
      Value wide = arith::ExtUIOp::create(b, loc, b.getI32Type(), byte);
      wide = select(ok, wide, zero);
      if (j)
        wide = arith::ShLIOp::create(b, loc, wide,
                                     arith::ConstantIntOp::create(b, loc, 8 * j, 32));
      word = arith::OrIOp::create(b, loc, word, wide);
    }
    return word;
  }

  /// One K step of 32: loads the fragments and issues kTilesM x kTilesN mmas.
  SmallVector<Value> step(Value k0, ValueRange acc) {
    Value tap = add(k0, mul(inGroup, index(4)));
    // A (row): registers 0..3 hold rows g, g + 8, g, g + 8 at taps +0, +0,
    // +16, +16.
    SmallVector<SmallVector<Value, 4>> aFragments;
    for (int64_t tm = 0; tm < kTilesM; ++tm) {
      Value row = add(rowBase, add(index(tm * kTileM), group));
      SmallVector<Value, 4> regs;
      for (int64_t r = 0; r < 4; ++r)
        regs.push_back(loadWord(mma.a, add(row, index(r % 2 * 8)), m,
                                add(tap, index(r / 2 * 16))));
      aFragments.push_back(regs);
    }
    // B (col): registers 0, 1 hold column g at taps +0, +16.
    SmallVector<SmallVector<Value, 2>> bFragments;
    for (int64_t tn = 0; tn < kTilesN; ++tn) {
      Value col = add(colBase, add(index(tn * kTileN), group));
      bFragments.push_back({loadWord(mma.b, col, n, tap),
                            loadWord(mma.b, col, n, add(tap, index(16)))});
    }
    Type i32 = b.getI32Type();
    auto resultType = LLVM::LLVMStructType::getLiteral(b.getContext(), {i32, i32, i32, i32});
    SmallVector<Value> next;
    for (int64_t tm = 0; tm < kTilesM; ++tm)
      for (int64_t tn = 0; tn < kTilesN; ++tn) {
        ValueRange c = acc.slice((tm * kTilesN + tn) * 4, 4);
        auto product = NVVM::MmaOp::create(
            b, loc, resultType, aFragments[tm], bFragments[tn], c,
            ArrayRef<int64_t>{kTileM, kTileN, kTileK}, std::nullopt,
            NVVM::MMAIntOverflow::wrapped,
            std::array<NVVM::MMATypes, 2>{mma.aType, mma.bType},
            std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                           NVVM::MMALayout::col});
        for (int64_t i = 0; i < 4; ++i)
          next.push_back(LLVM::ExtractValueOp::create(b, loc, product, i));
      }
    return next;
  }

  /// Runs the epilogue op's body on `sum` (accumulator plus bias) at C's
  /// element `at`, writing the op's output.
  void applyEpilogue(Value sum, ArrayRef<Value> at) {
    linalg::GenericOp op = epilogue->op;
    // C and the op's loops enumerate the same elements in row-major order.
    ArrayRef<int64_t> cShape = cast<MemRefType>(mma.c.getType()).getShape();
    Value linear = index(0);
    for (auto [i, position] : llvm::enumerate(at))
      linear = add(mul(linear, index(cShape[i])), position);
    SmallVector<Value> loops = affine::AffineDelinearizeIndexOp::create(
                                   b, loc, linear, epilogue->ranges)
                                   .getResults();
    auto load = [&](OpOperand &operand) -> Value {
      AffineMap map = op.getMatchingIndexingMap(&operand);
      SmallVector<Value> indices;
      for (AffineExpr expr : map.getResults())
        indices.push_back(affine::AffineApplyOp::create(
            b, loc, AffineMap::get(map.getNumDims(), 0, expr), loops));
      return memref::LoadOp::create(b, loc, operand.get(), indices);
    };
    IRMapping values;
    Block *body = op.getBlock();
    for (OpOperand &operand : op->getOpOperands()) {
      BlockArgument arg = body->getArgument(operand.getOperandNumber());
      if (operand.getOperandNumber() == epilogue->input)
        values.map(arg, sum);
      else if (!arg.use_empty())
        values.map(arg, load(operand));
    }
    for (Operation &inner : body->without_terminator())
      b.clone(inner, values);
    Value result = values.lookup(body->getTerminator()->getOperand(0));
    memref::StoreOp::create(b, loc, result, op.getDpsInits()[0], loops);
  }

  /// C[row, col] += accumulator (or the epilogue of it), for the C
  /// fragment's rows g, g, g + 8, g + 8 and columns 2t, 2t + 1, 2t, 2t + 1
  /// of each tile.
  void storeAccumulators(ValueRange acc) {
    for (int64_t tm = 0; tm < kTilesM; ++tm)
      for (int64_t tn = 0; tn < kTilesN; ++tn)
        for (int64_t i = 0; i < 4; ++i) {
          Value row = add(rowBase, add(index(tm * kTileM + i / 2 * 8), group));
          Value col = add(colBase, add(index(tn * kTileN + i % 2),
                                       mul(inGroup, index(2))));
          Value inside = arith::AndIOp::create(b, loc, less(row, m), less(col, n));
          Value value = acc[(tm * kTilesN + tn) * 4 + i];
          scf::IfOp::create(b, loc, inside, [&](OpBuilder &, Location) {
            SmallVector<Value> at = indices(mma.c, row, col);
            Value bias = memref::LoadOp::create(b, loc, mma.c, at);
            Value sum = arith::AddIOp::create(b, loc, bias, value);
            if (epilogue)
              applyEpilogue(sum, at);
            else
              memref::StoreOp::create(b, loc, sum, mma.c, at);
            scf::YieldOp::create(b, loc);
          });
        }
  }

  OpBuilder &b;
  Location loc;
  const MMAContraction &mma;
  const std::optional<Epilogue> &epilogue;
  Value m, n, k;
  Value group, inGroup, rowBase, colBase, batchIndex;
};

struct TensorCoreContractionToLaunch : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<MMAContraction> mma = matchContraction(op);
    if (failed(mma))
      return failure();
    Location loc = op.getLoc();
    std::optional<Epilogue> epilogue = matchEpilogue(op, mma->c);
    // A fused kernel replaces the epilogue op, whose operands are all
    // defined by then.
    OpBuilder::InsertionGuard guard(rewriter);
    if (epilogue)
      rewriter.setInsertionPoint(epilogue->op);
    auto dim = [&](Value memref, int64_t i) -> Value {
      return rewriter.createOrFold<memref::DimOp>(loc, memref, i);
    };
    auto ceilDiv = [&](Value x, int64_t d) -> Value {
      return rewriter.createOrFold<arith::CeilDivUIOp>(
          loc, x, arith::ConstantIndexOp::create(rewriter, loc, d));
    };
    int64_t cRank = mma->batched ? 3 : 2;
    Value m = dim(mma->c, cRank - 2), n = dim(mma->c, cRank - 1);
    Value k = dim(mma->a, 1);
    Value batch = mma->batched ? dim(mma->c, 0)
                               : arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value threads =
        arith::ConstantIndexOp::create(rewriter, loc, kWarpsM * kWarpsN * kWarpSize);
    auto launch = gpu::LaunchOp::create(rewriter, loc, ceilDiv(n, kBlockN),
                                        ceilDiv(m, kBlockM), batch, threads, one, one);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    KernelBuilder(rewriter, loc, *mma, epilogue, m, n, k).build(launch);
    gpu::TerminatorOp::create(rewriter, loc);
    rewriter.eraseOp(op);
    if (epilogue)
      rewriter.eraseOp(epilogue->op); // its views of C die with it
    return success();
  }
};
} // namespace

void quantc::gpu_lowering::populateTensorCoreKernelPatterns(
    RewritePatternSet &patterns) {
  patterns.add<TensorCoreContractionToLaunch>(patterns.getContext(), /*benefit=*/2);
}
