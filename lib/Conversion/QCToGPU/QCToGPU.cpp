//===- QCToGPU.cpp - the bufferized qc lowering onto the GPU ----*- C++ -*-===//
//
// convert-qc-to-gpu: after convert-qc-to-linalg{tensor-cores} and
// bufferization, every computation of the host functions moves into a
// gpu.launch, and their buffers into device memory:
//
// 1. contractions marked for tensor cores become mma.sync kernels, with the
//    element-wise op reading their accumulators (the requantization) fused
//    into the kernel's epilogue;
// 2. other linalg ops (and memref.copy, as linalg.copy) become scf.parallel
//    loops, each launched with one thread per iteration (linearized over
//    blocks of `block-size` threads, so any rank and shape maps), their
//    reduction loops accumulating in registers; zero-dimensional ops run in
//    a one-thread launch;
// 3. host allocations become gpu.alloc / gpu.dealloc;
// 4. constant weights (memref.get_global and views of them) sink into the
//    launches, so outlining places them in the kernels' module (one for all
//    kernels, `qc_kernels`): they load onto the device once, with it.
//
//===----------------------------------------------------------------------===//
#include "QCToGPUPatterns.h"
#include "quantc/Conversion/Passes.h"
#include "quantc/Dialect/QC/QCOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_CONVERTQCTOGPU
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
bool isOnHost(Operation *op) { return !op->getParentOfType<gpu::LaunchOp>(); }

Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// A launch of `blocks` x `threads` (1-d) before `op`, with the insertion
/// point left at the start of its body (before its terminator).
gpu::LaunchOp createLaunch(PatternRewriter &rewriter, Location loc, Value blocks,
                           Value threads) {
  Value one = indexConstant(rewriter, loc, 1);
  auto launch = gpu::LaunchOp::create(rewriter, loc, blocks, one, one, threads,
                                      one, one);
  rewriter.setInsertionPointToStart(&launch.getBody().front());
  auto terminator = gpu::TerminatorOp::create(rewriter, loc);
  rewriter.setInsertionPoint(terminator);
  return launch;
}

/// memref.copy → linalg.copy, which lowers to loops like the rest.
struct CopyToLinalg : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(), op.getTarget());
    return success();
  }
};

/// A linalg op without parallel dims (zero-dimensional, or a reduction to a
/// scalar) on the host moves into a one-thread launch.
struct ScalarOpToLaunch : OpInterfaceRewritePattern<linalg::LinalgOp> {
  ScalarOpToLaunch(MLIRContext *ctx)
      : OpInterfaceRewritePattern(ctx, /*benefit=*/3) {}
  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getNumParallelLoops() != 0 || !isOnHost(op) ||
        !op.hasPureBufferSemantics())
      return failure();
    Value one = indexConstant(rewriter, op.getLoc(), 1);
    OpBuilder::InsertionGuard guard(rewriter);
    createLaunch(rewriter, op.getLoc(), one, one);
    rewriter.moveOpBefore(op, rewriter.getInsertionBlock(),
                          rewriter.getInsertionPoint());
    return success();
  }
};

/// Linalg ops on buffers → scf.parallel over their parallel dims (reduction
/// dims stay sequential loops inside).
struct LinalgToParallelLoops : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() ||
        (op.getNumParallelLoops() == 0 && isOnHost(op)))
      return failure();
    if (failed(linalg::linalgOpToParallelLoops(rewriter, op)))
      return failure();
    rewriter.eraseOp(op);
    return success();
  }
};

/// A host scf.parallel (without reductions) → a launch with one thread per
/// iteration: the linear thread id is split into the loop's induction
/// variables, and threads past the trip count do nothing.
struct ParallelLoopToLaunch : OpRewritePattern<scf::ParallelOp> {
  ParallelLoopToLaunch(MLIRContext *ctx, int64_t blockSize)
      : OpRewritePattern(ctx), blockSize(blockSize) {}

  LogicalResult matchAndRewrite(scf::ParallelOp op,
                                PatternRewriter &rewriter) const override {
    if (!isOnHost(op) || op->getParentOfType<scf::ParallelOp>() ||
        op.getNumResults() != 0)
      return failure();
    Location loc = op.getLoc();
    SmallVector<Value> trips;
    Value total = indexConstant(rewriter, loc, 1);
    for (auto [lb, ub, step] :
         llvm::zip(op.getLowerBound(), op.getUpperBound(), op.getStep())) {
      Value span = rewriter.createOrFold<arith::SubIOp>(loc, ub, lb);
      trips.push_back(rewriter.createOrFold<arith::CeilDivUIOp>(loc, span, step));
      total = rewriter.createOrFold<arith::MulIOp>(loc, total, trips.back());
    }
    Value threads = indexConstant(rewriter, loc, blockSize);
    Value blocks = rewriter.createOrFold<arith::CeilDivUIOp>(loc, total, threads);
    OpBuilder::InsertionGuard guard(rewriter);
    gpu::LaunchOp launch = createLaunch(rewriter, loc, blocks, threads);
    Value linear = arith::AddIOp::create(
        rewriter, loc,
        arith::MulIOp::create(rewriter, loc, launch.getBlockIds().x, threads),
        launch.getThreadIds().x);
    Value inside = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult,
                                         linear, total);
    auto guardIf = scf::IfOp::create(rewriter, loc, inside);
    rewriter.setInsertionPointToStart(guardIf.thenBlock());
    // The last dim varies fastest, as in the buffers' row-major order.
    auto indices = affine::AffineDelinearizeIndexOp::create(rewriter, loc, linear,
                                                            ValueRange(trips));
    SmallVector<Value> ivs;
    for (auto [index, lb, step] :
         llvm::zip(indices.getResults(), op.getLowerBound(), op.getStep()))
      ivs.push_back(arith::AddIOp::create(
          rewriter, loc, lb, arith::MulIOp::create(rewriter, loc, index, step)));
    Block *body = op.getBody();
    rewriter.eraseOp(body->getTerminator()); // scf.reduce without operands
    rewriter.inlineBlockBefore(body, guardIf.thenBlock()->getTerminator(), ivs);
    rewriter.eraseOp(op);
    return success();
  }

  int64_t blockSize;
};

/// A loop in a kernel that loads and stores one element at the same
/// loop-invariant position each iteration (a reduction's accumulator, as
/// linalg's loop lowering leaves it) carries the value in a register instead:
/// loaded once before the loop, stored once after. Nested reduction loops
/// hoist one level per application. Nothing else in the loop may use the
/// buffer; bufferized linalg ops never write a buffer their inputs view.
struct AccumulatorToIterArg : OpRewritePattern<scf::ForOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(scf::ForOp loop,
                                PatternRewriter &rewriter) const override {
    if (isOnHost(loop))
      return failure();
    for (auto load : loop.getBody()->getOps<memref::LoadOp>()) {
      memref::StoreOp store = findMatchingStore(loop, load);
      if (!store)
        continue;
      Location loc = load.getLoc();
      rewriter.setInsertionPoint(loop);
      Value init = memref::LoadOp::create(rewriter, loc, load.getMemRef(),
                                          load.getIndices());
      FailureOr<LoopLikeOpInterface> widened = loop.replaceWithAdditionalYields(
          rewriter, init, /*replaceInitOperandUsesInLoop=*/false,
          [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
            return SmallVector<Value>{store.getValueToStore()};
          });
      if (failed(widened))
        return failure();
      auto newLoop = cast<scf::ForOp>(widened->getOperation());
      rewriter.replaceAllUsesWith(load.getResult(), newLoop.getRegionIterArgs().back());
      rewriter.setInsertionPointAfter(newLoop);
      memref::StoreOp::create(rewriter, loc, newLoop.getResults().back(),
                              store.getMemRef(), store.getIndices());
      rewriter.eraseOp(store);
      rewriter.eraseOp(load);
      return success();
    }
    return failure();
  }

  /// The store of `load`'s element later in the loop body, when the two are
  /// the loop's only uses of the buffer and the element is loop-invariant.
  static memref::StoreOp findMatchingStore(scf::ForOp loop, memref::LoadOp load) {
    Value buffer = load.getMemRef();
    if (!loop.isDefinedOutsideOfLoop(buffer) ||
        !llvm::all_of(load.getIndices(),
                      [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
      return nullptr;
    memref::StoreOp store;
    for (Operation *user : buffer.getUsers()) {
      if (user == load || !loop->isAncestor(user))
        continue;
      auto candidate = dyn_cast<memref::StoreOp>(user);
      if (store || !candidate || candidate->getBlock() != load->getBlock() ||
          candidate.getIndices() != load.getIndices() ||
          !load->isBeforeInBlock(candidate))
        return nullptr;
      store = candidate;
    }
    return store;
  }
};

/// Host buffers live on the device.
struct AllocToDevice : OpRewritePattern<memref::AllocOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::AllocOp op,
                                PatternRewriter &rewriter) const override {
    if (!isOnHost(op))
      return failure();
    rewriter.replaceOpWithNewOp<gpu::AllocOp>(
        op, op.getType(), /*asyncToken=*/Type(), /*asyncDependencies=*/ValueRange(),
        op.getDynamicSizes(), op.getSymbolOperands(), /*hostShared=*/false);
    return success();
  }
};

struct DeallocToDevice : OpRewritePattern<memref::DeallocOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::DeallocOp op,
                                PatternRewriter &rewriter) const override {
    if (!isOnHost(op))
      return failure();
    rewriter.replaceOpWithNewOp<gpu::DeallocOp>(op, /*asyncToken=*/Type(),
                                                ValueRange(), op.getMemref());
    return success();
  }
};

/// Ops cloned into launches rather than passed to them: constants, weights
/// and views computed from them.
bool isSunkIntoLaunch(Operation *op) {
  return op->hasTrait<OpTrait::ConstantLike>() ||
         isa<memref::GetGlobalOp, memref::DimOp, memref::SubViewOp,
             memref::CollapseShapeOp, memref::ExpandShapeOp,
             memref::ReinterpretCastOp, memref::CastOp>(op);
}

/// The first host op that still touches memory (a lowering left it behind).
Operation *findHostMemoryAccess(func::FuncOp func) {
  Operation *found = nullptr;
  func.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<gpu::LaunchOp>(op))
      return WalkResult::skip();
    if (isa<memref::LoadOp, memref::StoreOp, vector::LoadOp, vector::StoreOp,
            linalg::LinalgOp, memref::CopyOp>(op)) {
      found = op;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

struct ConvertQCToGPUPass
    : quantc::impl::ConvertQCToGPUBase<ConvertQCToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    // Calls of the CPU runtime's kernels (TopK's partial sort) and control
    // flow decided at run time have no device form: refuse them by name
    // rather than fail later.
    WalkResult cpuOnly = module.walk([](Operation *op) {
      StringRef kernel;
      if (auto call = dyn_cast<quantc::qc::MicrokernelOp>(op))
        kernel = call.getKernel();
      else if (auto call = dyn_cast<func::CallOp>(op); call && call.getCallee().starts_with("quantc_"))
        kernel = call.getCallee();
      if (isa<scf::IfOp, scf::WhileOp>(op)) {
        // The model's own branches and loops (the lowering makes none
        // before this pass) would read their conditions on the host.
        op->emitError("is a branch or loop decided at run time, which has no CUDA form "
                      "yet: compile it for the CPU, or bind the inputs its condition "
                      "depends on with --bind-inputs");
        return WalkResult::interrupt();
      }
      if (kernel.empty())
        return WalkResult::advance();
      op->emitError("calls the CPU kernel '") << kernel << "', which has no CUDA form";
      return WalkResult::interrupt();
    });
    if (cpuOnly.wasInterrupted())
      return signalPassFailure();
    // Tensor-core kernels first: they absorb their epilogue ops, which
    // must not have become loops yet. In program order, so that each
    // contraction sees the ops after it as they were.
    RewritePatternSet tensorCores(ctx);
    gpu_lowering::populateTensorCoreKernelPatterns(tensorCores);
    if (failed(applyPatternsGreedily(
            module, std::move(tensorCores),
            GreedyRewriteConfig().setUseTopDownTraversal(true))))
      return signalPassFailure();
    RewritePatternSet patterns(ctx);
    patterns.add<CopyToLinalg, ScalarOpToLaunch, LinalgToParallelLoops,
                 AccumulatorToIterArg, AllocToDevice, DeallocToDevice>(ctx);
    patterns.add<ParallelLoopToLaunch>(ctx, blockSize);
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      return signalPassFailure();

    for (auto func : module.getOps<func::FuncOp>())
      if (Operation *op = findHostMemoryAccess(func)) {
        op->emitError("cannot run on the GPU: no lowering moved it into a kernel");
        return signalPassFailure();
      }
    // All kernels outline into one module: one ptxas run when compiling and
    // one module load at run time, not one per kernel.
    unsigned count = 0;
    WalkResult sunk = module.walk([&](gpu::LaunchOp launch) {
      launch.setModuleAttr(FlatSymbolRefAttr::get(ctx, "qc_kernels"));
      launch.setFunctionAttr(
          FlatSymbolRefAttr::get(ctx, "kernel_" + std::to_string(count++)));
      return failed(sinkOperationsIntoLaunchOp(launch, isSunkIntoLaunch))
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    });
    if (sunk.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
