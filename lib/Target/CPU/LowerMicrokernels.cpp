//===- LowerMicrokernels.cpp - the qc-lower-microkernels pass ---*- C++ -*-===//
#include "quantc/Conversion/Passes.h"
#include "quantc/Dialect/QC/QCOps.h"

#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCLOWERMICROKERNELS
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
bool isContiguous(MemRefType type) {
  return type.getLayout().isIdentity() || memref::isStaticShapeAndContiguousRowMajor(type);
}

/// The address of the first element of `buffer` as an !llvm.ptr.
Value firstElementPointer(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
  int64_t bytes = std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
  Value offset = arith::MulIOp::create(
      b, loc, metadata.getOffset(), arith::ConstantIndexOp::create(b, loc, bytes));
  Value address = arith::AddIOp::create(b, loc, base, offset);
  Value integer = arith::IndexCastOp::create(b, loc, b.getI64Type(), address);
  return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()),
                                  integer);
}

/// A contiguous buffer holding `buffer`'s value (itself when contiguous).
Value contiguous(OpBuilder &b, Location loc, Value buffer, bool copyIn) {
  auto type = cast<MemRefType>(buffer.getType());
  if (isContiguous(type))
    return buffer;
  auto dense = MemRefType::get(type.getShape(), type.getElementType());
  Value copy = memref::AllocOp::create(b, loc, dense);
  if (copyIn)
    memref::CopyOp::create(b, loc, buffer, copy);
  return copy;
}

struct LowerMicrokernel : OpRewritePattern<qc::MicrokernelOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qc::MicrokernelOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized");
    Location loc = op.getLoc();
    SmallVector<Value> pointers;
    SmallVector<std::pair<Value, Value>> writeBack;
    for (Value input : op.getInputs())
      pointers.push_back(firstElementPointer(
          rewriter, loc, contiguous(rewriter, loc, input, /*copyIn=*/true)));
    for (Value output : op.getOutputs()) {
      Value dense = contiguous(rewriter, loc, output, /*copyIn=*/true);
      if (dense != output)
        writeBack.push_back({dense, output});
      pointers.push_back(firstElementPointer(rewriter, loc, dense));
    }
    auto module = op->getParentOfType<ModuleOp>();
    auto ptr = LLVM::LLVMPointerType::get(getContext());
    SmallVector<Type> argTypes(pointers.size(), ptr);
    auto fnType = rewriter.getFunctionType(argTypes, {});
    auto callee = module.lookupSymbol<func::FuncOp>(op.getKernel());
    if (!callee) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(module.getBody());
      callee = func::FuncOp::create(rewriter, loc, op.getKernel(), fnType);
      callee.setPrivate();
    } else if (callee.getFunctionType() != fnType) {
      return op.emitOpError("kernel ") << op.getKernel()
                                       << " is called with different operands";
    }
    func::CallOp::create(rewriter, loc, callee, pointers);
    for (auto [dense, output] : writeBack) {
      memref::CopyOp::create(rewriter, loc, dense, output);
      memref::DeallocOp::create(rewriter, loc, dense);
    }
    rewriter.eraseOp(op);
    return success();
  }
};

struct QCLowerMicrokernelsPass
    : quantc::impl::QCLowerMicrokernelsBase<QCLowerMicrokernelsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerMicrokernel>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    WalkResult left = getOperation().walk([](qc::MicrokernelOp op) {
      op.emitOpError("was not bufferized");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
