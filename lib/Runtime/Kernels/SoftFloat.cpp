//===- SoftFloat.cpp - float conversions LLVM may call ----------*- C++ -*-===//
//
// On CPUs without AVX-512 BF16, LLVM lowers f32 -> bf16 rounding to a call of
// __truncsfbf2, which the system's libgcc (before GCC 13) does not provide.
// Model libraries link this one: round to nearest, ties to even, NaNs kept
// quiet.
//
//===----------------------------------------------------------------------===//
#include <cstdint>
#include <cstring>

extern "C" __bf16 __truncsfbf2(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint16_t result;
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) // NaN: keep it quiet
    result = static_cast<uint16_t>((bits >> 16) | 0x40u);
  else
    result = static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
  __bf16 out;
  std::memcpy(&out, &result, sizeof(out));
  return out;
}
