//===- Microkernels.cpp - integer layers → runtime microkernel calls -*- C++ -*-===//
#include "LoweringUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

void conversion::populateMicrokernelPatterns(QCTypeConverter &converter,
                                             RewritePatternSet &patterns,
                                             StringRef kernelSuffix) {}
