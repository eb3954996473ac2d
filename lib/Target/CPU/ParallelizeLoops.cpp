//===- ParallelizeLoops.cpp - the qc-parallelize-loops pass -----*- C++ -*-===//
//
// Generated element-wise loops, poolings and quantizations ran on the calling
// thread while the microkernels around them used every thread of the run:
// with two threads, a third of a detector's time was such loops. Each large
// bufferized linalg op moves into a private function of (context, first,
// last) that computes the op over one range of a parallel loop (the op tiled
// with TilingInterface), and the runtime's quantc_parallel_range calls it
// over the run's threads.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace quantc {
#define GEN_PASS_DEF_QCPARALLELIZELOOPS
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
constexpr StringLiteral kParallelRange = "quantc_parallel_range";
/// Elements a range boundary keeps together (a 64-byte line of bytes, four
/// 512-bit vectors of floats).
constexpr int64_t kAlignElements = 64;

/// Which loop of `op` to split, and how.
struct Split {
  unsigned loop;
  int64_t extent;
  int64_t align; // range bounds are multiples of this
};

/// The outermost parallel loop that every output is indexed by (so ranges
/// write disjoint elements) and that has more than one aligned range, when
/// the op is worth splitting. Loops outside it (reductions included) run
/// whole in every range.
std::optional<Split> chooseSplit(linalg::LinalgOp op, int64_t minWork) {
  if (!op.hasPureBufferSemantics() || !isa<TilingInterface>(op.getOperation()))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ranges.empty() || llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  int64_t iterations = computeProduct(ranges);
  int64_t bodyOps = 0;
  for (Operation &bodyOp : op.getBlock()->without_terminator())
    bodyOps += isa<linalg::IndexOp>(bodyOp) ? 0 : 1;
  if (iterations * std::max<int64_t>(bodyOps, 1) < minWork)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  auto indexesEveryOutput = [&](unsigned loop) {
    return llvm::all_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
      AffineMap map = op.getMatchingIndexingMap(&init);
      return map.isProjectedPermutation() &&
             llvm::is_contained(map.getResults(), getAffineDimExpr(loop, op.getContext()));
    });
  };
  int64_t inner = iterations;
  for (unsigned loop = 0; loop < ranges.size(); ++loop) {
    inner /= ranges[loop];
    if (iterators[loop] != utils::IteratorType::parallel || !indexesEveryOutput(loop))
      continue;
    int64_t align = std::max<int64_t>(1, llvm::divideCeil(kAlignElements, inner));
    if (ranges[loop] > align)
      return Split{loop, ranges[loop], align};
  }
  op.emitRemark("stays on the calling thread: no parallel loop that indexes every output "
                "has several ranges");
  return std::nullopt;
}

/// Values the op reads that come from outside it: its operands and the
/// values its body captures.
SmallVector<Value> capturedValues(Operation *op) {
  llvm::SetVector<Value> values(op->getOperands().begin(), op->getOperands().end());
  for (Region &region : op->getRegions())
    getUsedValuesDefinedAbove(region, values);
  return values.takeVector();
}

/// Constants and globals are rebuilt inside the outlined function instead of
/// travelling through the context.
bool isRematerializable(Value value) {
  Operation *def = value.getDefiningOp();
  return def && (def->hasTrait<OpTrait::ConstantLike>() || isa<memref::GetGlobalOp>(def)) &&
         def->getNumOperands() == 0;
}

/// The context struct's field type of `value`, or null where it has none.
Type fieldType(const LLVMTypeConverter &converter, Value value) {
  Type type = value.getType();
  if (isa<MemRefType, IndexType>(type) || type.isIntOrFloat())
    return converter.convertType(type);
  return {};
}

/// `value` as its context field (a memref descriptor, i64 for an index).
Value toField(OpBuilder &b, Location loc, Value value, Type field) {
  if (isa<IndexType>(value.getType()))
    return arith::IndexCastOp::create(b, loc, field, value);
  if (field == value.getType())
    return value;
  return UnrealizedConversionCastOp::create(b, loc, field, value).getResult(0);
}

/// The value of a context field, of the original `type`.
Value fromField(OpBuilder &b, Location loc, Value field, Type type) {
  if (isa<IndexType>(type))
    return arith::IndexCastOp::create(b, loc, type, field);
  if (field.getType() == type)
    return field;
  return UnrealizedConversionCastOp::create(b, loc, type, field).getResult(0);
}

/// Declares quantc_parallel_range(fn, context, extent, align) once.
func::FuncOp rangeRunner(ModuleOp module, FunctionType bodyType) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(kParallelRange))
    return existing;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  Type ptr = LLVM::LLVMPointerType::get(module.getContext());
  Type index = b.getIndexType();
  auto runner = func::FuncOp::create(b, module.getLoc(), kParallelRange,
                                     b.getFunctionType({bodyType, ptr, index, index}, {}));
  runner.setPrivate();
  return runner;
}

class LoopOutliner {
public:
  LoopOutliner(ModuleOp module, const LLVMTypeConverter &converter)
      : module(module), symbols(module), converter(converter) {}

  /// Replaces `op` by a call running it over `split`'s ranges; fails (with
  /// the IR unchanged) where a captured value has no context field.
  LogicalResult outline(linalg::LinalgOp op, const Split &split);

private:
  FailureOr<func::FuncOp> createBody(linalg::LinalgOp op, const Split &split,
                                     ArrayRef<Value> passed, ArrayRef<Value> rebuilt,
                                     LLVM::LLVMStructType context);

  ModuleOp module;
  SymbolTable symbols;
  const LLVMTypeConverter &converter;
};

LogicalResult LoopOutliner::outline(linalg::LinalgOp op, const Split &split) {
  SmallVector<Value> passed, rebuilt;
  SmallVector<Type> fields;
  for (Value value : capturedValues(op)) {
    if (isRematerializable(value)) {
      rebuilt.push_back(value);
      continue;
    }
    Type field = fieldType(converter, value);
    if (!field)
      return op.emitRemark("stays on the calling thread: it captures a value of type ")
             << value.getType() << ", which cannot be passed to another thread";
    passed.push_back(value);
    fields.push_back(field);
  }
  MLIRContext *ctx = module.getContext();
  auto context = LLVM::LLVMStructType::getLiteral(ctx, fields);
  FailureOr<func::FuncOp> body = createBody(op, split, passed, rebuilt, context);
  if (failed(body))
    return failure();

  // The context lives in the caller's frame: allocated once at its entry (an
  // alloca in a loop body would grow the stack every iteration).
  Location loc = op.getLoc();
  auto caller = op->getParentOfType<func::FuncOp>();
  OpBuilder b = OpBuilder::atBlockBegin(&caller.getBody().front());
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Value one = LLVM::ConstantOp::create(b, loc, b.getI64Type(), b.getI64IntegerAttr(1));
  Value slot = LLVM::AllocaOp::create(b, loc, ptr, context, one);

  b.setInsertionPoint(op);
  Value packed = LLVM::UndefOp::create(b, loc, context);
  for (auto [i, value] : llvm::enumerate(passed))
    packed = LLVM::InsertValueOp::create(b, loc, packed, toField(b, loc, value, fields[i]), i);
  LLVM::StoreOp::create(b, loc, packed, slot);
  FunctionType bodyType = body->getFunctionType();
  Value fn = func::ConstantOp::create(b, loc, bodyType, body->getSymName());
  func::FuncOp runner = rangeRunner(module, bodyType);
  func::CallOp::create(b, loc, runner,
                       ValueRange{fn, slot, arith::ConstantIndexOp::create(b, loc, split.extent),
                                  arith::ConstantIndexOp::create(b, loc, split.align)});
  op->erase();
  return success();
}

FailureOr<func::FuncOp> LoopOutliner::createBody(linalg::LinalgOp op, const Split &split,
                                                 ArrayRef<Value> passed,
                                                 ArrayRef<Value> rebuilt,
                                                 LLVM::LLVMStructType context) {
  MLIRContext *ctx = module.getContext();
  Location loc = op.getLoc();
  auto caller = op->getParentOfType<func::FuncOp>();
  OpBuilder b(ctx);
  b.setInsertionPointAfter(caller);
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type index = b.getIndexType();
  auto body = func::FuncOp::create(b, loc, (caller.getSymName() + "_parallel").str(),
                                   b.getFunctionType({ptr, index, index}, {}));
  body.setPrivate();
  // Internal to the library, as the model's other functions.
  body->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  symbols.insert(body); // renames it apart from the others
  Block *entry = body.addEntryBlock();
  b.setInsertionPointToStart(entry);

  // The op's values: fields of the context, or rebuilt constants.
  IRMapping mapping;
  Value fields = LLVM::LoadOp::create(b, loc, context, entry->getArgument(0));
  for (auto [i, value] : llvm::enumerate(passed)) {
    Value field = LLVM::ExtractValueOp::create(b, loc, fields, i);
    mapping.map(value, fromField(b, loc, field, value.getType()));
  }
  for (Value value : rebuilt)
    mapping.map(value, b.clone(*value.getDefiningOp())->getResult(0));

  // The op over [first, last) of the split loop: its tile there.
  auto whole = cast<TilingInterface>(b.clone(*op, mapping));
  SmallVector<OpFoldResult> sizes = getAsIndexOpFoldResult(ctx, op.getStaticLoopRanges());
  SmallVector<OpFoldResult> offsets(sizes.size(), b.getIndexAttr(0));
  Value first = entry->getArgument(1), last = entry->getArgument(2);
  offsets[split.loop] = first;
  sizes[split.loop] = arith::SubIOp::create(b, loc, last, first).getResult();
  FailureOr<TilingResult> tile = whole.getTiledImplementation(b, offsets, sizes);
  whole->erase();
  if (failed(tile)) {
    symbols.erase(body);
    return op.emitRemark("stays on the calling thread: it cannot be tiled");
  }
  func::ReturnOp::create(b, loc);
  return body;
}

struct QCParallelizeLoopsPass
    : quantc::impl::QCParallelizeLoopsBase<QCParallelizeLoopsPass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    linalg::registerTilingInterfaceExternalModels(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<linalg::LinalgOp, Split>> candidates;
    module.walk([&](linalg::LinalgOp op) {
      if (std::optional<Split> split = chooseSplit(op, minWork))
        candidates.push_back({op, *split});
    });
    LLVMTypeConverter converter(&getContext());
    LoopOutliner outliner(module, converter);
    for (auto &[op, split] : candidates)
      (void)outliner.outline(op, split); // ops it cannot pass stay serial
  }
};
} // namespace
