/* The single-core throughput of vpdpbusd on this machine, in GOP/s (one
   multiply and one add per u8 x s8 product): 24 independent accumulator
   chains, enough to fill every pipe whatever its latency. Built and run by
   int8_gemm.py, so the fraction of peak it reports is this machine's. */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(void) {
  enum { kChains = 24 };
  const long iterations = 20000000;
  __m512i acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_epi32(i);
  __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(-1);
  double best = 0;
  for (int trial = 0; trial < 5; ++trial) {
    double start = seconds();
    for (long it = 0; it < iterations; ++it) {
      for (int i = 0; i < kChains; ++i)
        acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
      __asm__ volatile("" : "+v"(a)); /* keeps the loop */
    }
    double ops = 2.0 * 64 * kChains * iterations;
    double rate = ops / (seconds() - start) / 1e9;
    best = rate > best ? rate : best;
  }
  int sink = 0;
  for (int i = 0; i < kChains; ++i)
    sink += _mm512_reduce_add_epi32(acc[i]);
  printf("%.1f %d\n", best, sink & 1);
  return 0;
}
