//===- ElementSize.cpp - sizes of artifact element types --------*- C++ -*-===//
//
// Compiled into libquantc_runtime and into the CUDA backend archive, which
// artifacts link without the runtime.
//
//===----------------------------------------------------------------------===//
#include "quantc/Runtime/QuantCRuntime.h"

extern "C" size_t qc_element_size(qc_element_type type) {
  switch (type) {
  case QC_ELEMENT_F64:
  case QC_ELEMENT_I64:
    return 8;
  case QC_ELEMENT_F32:
  case QC_ELEMENT_I32:
    return 4;
  case QC_ELEMENT_F16:
  case QC_ELEMENT_BF16:
  case QC_ELEMENT_I16:
  case QC_ELEMENT_U16:
    return 2;
  case QC_ELEMENT_I8:
  case QC_ELEMENT_U8:
  case QC_ELEMENT_BOOL:
    return 1;
  }
  return 0;
}
