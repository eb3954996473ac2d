//===- KernelOps.cpp - qc.microkernel ---------------------------*- C++ -*-===//
#include "quantc/Dialect/QC/QCOps.h"

#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"

using namespace mlir;
using namespace quantc::qc;

LogicalResult MicrokernelOp::verify() {
  if (getKernel().empty())
    return emitOpError("needs a kernel name");
  if (hasPureTensorSemantics()) {
    if (getNumResults() != getOutputs().size())
      return emitOpError("returns one tensor per output, got ")
             << getNumResults() << " for " << getOutputs().size();
    for (auto [result, output] : llvm::zip(getResults(), getOutputs()))
      if (result.getType() != output.getType())
        return emitOpError("result type ") << result.getType()
                                           << " differs from its output "
                                           << output.getType();
    return success();
  }
  if (!hasPureBufferSemantics())
    return emitOpError("mixes tensors and buffers");
  if (getNumResults() != 0)
    return emitOpError("on buffers returns nothing");
  return success();
}

void MicrokernelOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : getInputsMutable())
    if (isa<MemRefType>(operand.get().getType()))
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
  for (OpOperand &operand : getOutputsMutable())
    if (isa<MemRefType>(operand.get().getType())) {
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
    }
}

namespace {
struct MicrokernelBufferization
    : bufferization::DstBufferizableOpInterfaceExternalModel<
          MicrokernelBufferization, MicrokernelOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const bufferization::BufferizationOptions &options,
                          bufferization::BufferizationState &state) const {
    auto kernel = cast<MicrokernelOp>(op);
    SmallVector<Value> inputs, outputs;
    for (Value v : kernel.getInputs()) {
      FailureOr<Value> buffer = bufferization::getBuffer(rewriter, v, options, state);
      if (failed(buffer))
        return failure();
      inputs.push_back(*buffer);
    }
    for (Value v : kernel.getOutputs()) {
      FailureOr<Value> buffer = bufferization::getBuffer(rewriter, v, options, state);
      if (failed(buffer))
        return failure();
      outputs.push_back(*buffer);
    }
    rewriter.setInsertionPoint(op);
    MicrokernelOp::create(rewriter, op->getLoc(), TypeRange{},
                          kernel.getKernelAttr(), inputs, outputs);
    bufferization::replaceOpWithBufferizedValues(rewriter, op, outputs);
    return success();
  }
};
} // namespace

void quantc::qc::registerMicrokernelBufferization(MLIRContext *ctx) {
  MicrokernelOp::attachInterface<MicrokernelBufferization>(*ctx);
}
