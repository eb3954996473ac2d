//===- CPUFeatures.cpp - instruction sets checked at run time ---*- C++ -*-===//
//
// Kernels built for any x86-64 target use these extensions only where the
// CPU running the model has them; each is checked once.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include <cstdlib>
#include <cstring>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

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

namespace {
/// Whether this process may use the tile state: not with QUANTC_AMX=0, and
/// only where Linux grants it (it hands out the 8 KB of tile data only to
/// processes that ask), asked once.
bool mayUseTiles() {
  static const bool granted = [] {
    if (const char *setting = std::getenv("QUANTC_AMX"); setting && !std::strcmp(setting, "0"))
      return false;
#if defined(__linux__)
    constexpr int kRequestPermission = 0x1023; // ARCH_REQ_XCOMP_PERM
    constexpr int kTileData = 18;              // XFEATURE_XTILEDATA
    return syscall(SYS_arch_prctl, kRequestPermission, kTileData) == 0;
#else
    return false;
#endif
  }();
  return granted;
}
} // namespace

bool quantc::kernels::hasAMX() {
  static const bool amx =
      QUANTC_CPU_SUPPORTS("amx-tile") && QUANTC_CPU_SUPPORTS("amx-int8") && mayUseTiles();
  return amx;
}

bool quantc::kernels::hasAMXBF16() {
  static const bool amx =
      QUANTC_CPU_SUPPORTS("amx-tile") && QUANTC_CPU_SUPPORTS("amx-bf16") && mayUseTiles();
  return amx;
}
