//===- EntryPoint.cpp - the qc-cpu-entry-point pass -------------*- C++ -*-===//
//
// Gives a lowered model the stable C ABI of quantc artifacts: one function
// taking an array of buffer pointers, and two constant tables describing the
// tensors, so the runtime can check and bind buffers without parsing JSON.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Target/CPU/Artifact.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinOps.h"

namespace quantc {
#define GEN_PASS_DEF_QCCPUENTRYPOINT
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

FailureOr<int64_t> quantc::getElementCode(Type element) {
  if (auto q = dyn_cast<quant::QuantizedType>(element))
    element = IntegerType::get(element.getContext(),
                               q.getStorageTypeIntegralWidth(),
                               q.isSigned() ? IntegerType::Signless
                                            : IntegerType::Unsigned);
  if (element.isF32())
    return QC_ELEMENT_F32;
  if (element.isF16())
    return QC_ELEMENT_F16;
  if (element.isBF16())
    return QC_ELEMENT_BF16;
  if (element.isF64())
    return QC_ELEMENT_F64;
  auto integer = dyn_cast<IntegerType>(element);
  if (!integer)
    return failure();
  bool isUnsigned = integer.isUnsigned();
  switch (integer.getWidth()) {
  case 1:
    return QC_ELEMENT_BOOL;
  case 8:
    return isUnsigned ? QC_ELEMENT_U8 : QC_ELEMENT_I8;
  case 16:
    return isUnsigned ? QC_ELEMENT_U16 : QC_ELEMENT_I16;
  case 32:
    return QC_ELEMENT_I32;
  case 64:
    return QC_ELEMENT_I64;
  default:
    return failure();
  }
}

namespace {
LLVM::GlobalOp addConstantGlobal(OpBuilder &b, Location loc, StringRef name,
                                 Type type, Attribute value) {
  return LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/true,
                                LLVM::Linkage::External, name, value);
}

RankedTensorType entryType(Attribute entry) {
  return cast<RankedTensorType>(
      cast<TypeAttr>(cast<DictionaryAttr>(entry).get("type")).getValue());
}

/// The fields after the allocated pointer of a contiguous row-major
/// buffer's descriptor: aligned pointer, offset 0, sizes, strides.
void appendDescriptorFields(OpBuilder &b, Location loc, Value buffer,
                            RankedTensorType type, SmallVectorImpl<Value> &args) {
  auto i64 = b.getI64Type();
  auto constant = [&](int64_t v) -> Value {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
  };
  args.push_back(buffer);
  args.push_back(constant(0));
  for (int64_t size : type.getShape())
    args.push_back(constant(size));
  int64_t stride = 1;
  SmallVector<Value> strides;
  for (int64_t size : llvm::reverse(type.getShape())) {
    strides.push_back(constant(stride));
    stride *= size;
  }
  args.append(strides.rbegin(), strides.rend());
}

struct QCCPUEntryPointPass
    : quantc::impl::QCCPUEntryPointBase<QCCPUEntryPointPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto signature = module->getAttrOfType<DictionaryAttr>("qc.signature");
    auto main = module.lookupSymbol<LLVM::LLVMFuncOp>("main");
    if (!signature || !main) {
      module.emitError("qc-cpu-entry-point needs a lowered @main and the "
                       "qc.signature of convert-qc-to-linalg");
      return signalPassFailure();
    }
    auto inputs = cast<ArrayAttr>(signature.get("inputs"));
    auto outputs = cast<ArrayAttr>(signature.get("outputs"));
    size_t count = inputs.size() + outputs.size();
    // Bare pointers (CPU), or expanded memref descriptors (GPU hosts, whose
    // kernels take descriptors): pointer, pointer, offset, sizes, strides.
    size_t descriptorArgs = 0;
    for (ArrayAttr group : {inputs, outputs})
      for (Attribute entry : group)
        descriptorArgs += 3 + 2 * entryType(entry).getRank();
    bool descriptors = main.getNumArguments() == descriptorArgs &&
                       descriptorArgs != count;
    if (main.getNumArguments() != count && !descriptors) {
      main.emitError() << "@main takes " << main.getNumArguments()
                       << " arguments, expected " << count
                       << " pointers or " << descriptorArgs
                       << " descriptor fields (inputs then output buffers)";
      return signalPassFailure();
    }

    SmallVector<int64_t> table = {(int64_t)inputs.size(), (int64_t)outputs.size()};
    std::string names;
    for (ArrayAttr group : {inputs, outputs})
      for (Attribute entry : group) {
        auto dict = cast<DictionaryAttr>(entry);
        RankedTensorType type = entryType(entry);
        FailureOr<int64_t> code = getElementCode(type.getElementType());
        if (failed(code) || !type.hasStaticShape()) {
          main.emitError() << "graph " << (group == inputs ? "input" : "output") << " '"
                           << cast<StringAttr>(dict.get("name")).getValue() << "' is "
                           << type << ", which a compiled library cannot pass ("
                           << (failed(code) ? "its element type runs in the reference "
                                              "evaluator only)"
                                            : "its shape must be static)");
          return signalPassFailure();
        }
        table.push_back(*code);
        table.push_back(type.getRank());
        table.append(type.getShape().begin(), type.getShape().end());
        names += cast<StringAttr>(dict.get("name")).str();
        names.push_back('\0');
      }

    MLIRContext *ctx = &getContext();
    main.setSymName("qc_model_main");
    main.setLinkage(LLVM::Linkage::Internal);
    // Names and ranges moved into the tables; LLVM has no use for them.
    main.removeArgAttrsAttr();
    main.removeResAttrsAttr();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = main.getLoc();
    auto i64 = IntegerType::get(ctx, 64);
    auto tableType = LLVM::LLVMArrayType::get(i64, table.size());
    addConstantGlobal(b, loc, kSignatureSymbol, tableType,
                      DenseIntElementsAttr::get(
                          RankedTensorType::get({(int64_t)table.size()}, i64),
                          ArrayRef(table)));
    auto namesType = LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), names.size());
    addConstantGlobal(b, loc, kNamesSymbol, namesType, b.getStringAttr(names));

    // int32_t qc_model_run(void **buffers)
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i32 = IntegerType::get(ctx, 32);
    auto run = LLVM::LLVMFuncOp::create(
        b, loc, kRunSymbol, LLVM::LLVMFunctionType::get(i32, {ptr}));
    Block *body = run.addEntryBlock(b);
    b.setInsertionPointToStart(body);
    SmallVector<Value> args;
    size_t i = 0;
    for (ArrayAttr group : {inputs, outputs})
      for (Attribute entry : group) {
        Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, body->getArgument(0),
                                         ArrayRef<LLVM::GEPArg>{(int32_t)i++});
        Value buffer = LLVM::LoadOp::create(b, loc, ptr, slot);
        args.push_back(buffer);
        if (descriptors)
          appendDescriptorFields(b, loc, buffer, entryType(entry), args);
      }
    // A model with qc.fail returns its thread's failure flag, cleared first.
    Value zero = LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(0));
    Value failed;
    if (module.lookupSymbol<LLVM::GlobalOp>(qc::kRunFailedSymbol)) {
      failed = LLVM::AddressOfOp::create(b, loc, ptr, qc::kRunFailedSymbol);
      LLVM::StoreOp::create(b, loc, zero, failed);
    }
    LLVM::CallOp::create(b, loc, main, args);
    LLVM::ReturnOp::create(b, loc, failed ? LLVM::LoadOp::create(b, loc, i32, failed) : zero);
  }
};
} // namespace
