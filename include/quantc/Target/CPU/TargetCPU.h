//===- TargetCPU.h - what --target-cpu names ---------------------*- C++ -*-===//
#ifndef QUANTC_TARGET_CPU_TARGETCPU_H
#define QUANTC_TARGET_CPU_TARGETCPU_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/LogicalResult.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace quantc {

/// A --target-cpu value resolved for code generation: `host` (the CPU the
/// compiler runs on, the default), any LLVM x86-64 CPU name
/// (`sapphirerapids`, `znver5`, `x86-64-v4`, ...), or either followed by
/// LLVM feature changes (`x86-64-v4,+avx512vnni`; a list alone starts from
/// `x86-64`).
struct CPUTarget {
  /// The LLVM CPU name (`host` resolved).
  std::string cpu;
  /// The feature changes for the target machine, "+a,-b".
  std::string features;
  /// Every feature the generated code may use, implied ones included,
  /// sorted: the manifest's target_features, checked at load time.
  llvm::SmallVector<std::string> enabled;
  /// The microkernel variant these features run: avx512vnni, avx2 or generic.
  std::string kernelSuffix;
};

/// Resolves `spec`, or fails with a message that names what is wrong.
llvm::FailureOr<CPUTarget> resolveCPUTarget(llvm::StringRef spec, std::string &error);

/// The targets of a --target-cpu value: one, or several separated by `;`
/// (one library with a variant per target, the first the loading CPU can
/// run is picked), or `portable`: kPortableTargets, or in the fast float
/// mode kPortableFastTargets.
llvm::SmallVector<std::string> splitCPUTargets(llvm::StringRef spec,
                                               llvm::StringRef floatMode = "exact");

/// `portable`: Intel Xeon with AMX, any AVX-512 VNNI CPU (AMD Zen 4/5,
/// Intel Ice Lake and later), any AVX2 CPU, any x86-64.
inline constexpr const char *kPortableTargets =
    "sapphirerapids;x86-64-v4,+avx512vnni;x86-64-v3;x86-64";
/// `portable` in the fast float mode, whose float layers run on bf16
/// products where the target has them: also AVX-512 VNNI with BF16 (AMD
/// Zen 4/5), before AVX-512 VNNI alone.
inline constexpr const char *kPortableFastTargets =
    "sapphirerapids;x86-64-v4,+avx512vnni,+avx512bf16;x86-64-v4,+avx512vnni;x86-64-v3;x86-64";

/// Resolves every target of `spec` (splitCPUTargets), or fails naming the
/// first that does not resolve.
llvm::LogicalResult checkCPUTargets(llvm::StringRef spec, std::string &error);

} // namespace quantc

#endif // QUANTC_TARGET_CPU_TARGETCPU_H
