//===- CPUFeatures.cpp - instruction sets checked at run time ---*- C++ -*-===//
//
// Kernels built for any x86-64 target use these extensions only where the
// CPU running the model has them; each is checked once.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

// __builtin_cpu_supports takes a string literal.
#if defined(__x86_64__)
#define QUANTC_CPU_SUPPORTS(feature) (__builtin_cpu_init(), __builtin_cpu_supports(feature))
#else
#define QUANTC_CPU_SUPPORTS(feature) false
#endif

bool quantc::kernels::hasVBMI() {
  static const bool vbmi = QUANTC_CPU_SUPPORTS("avx512vbmi");
  return vbmi;
}

bool quantc::kernels::hasBF16() {
  static const bool bf16 = QUANTC_CPU_SUPPORTS("avx512bf16");
  return bf16;
}
