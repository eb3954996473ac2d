/* The single-core throughput of AMX-INT8 (tdpbusd) on this machine, in
   GOP/s (one multiply and one add per u8 x s8 product): four 16 x 16 i32
   accumulator tiles updated in turn from two A and two B tiles, as a GEMM
   kernel's inner loop does. Prints 0 where the CPU or the kernel has no
   AMX. Built and run by int8_gemm.py next to vnni_peak.c. */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

struct TileConfig {
  uint8_t palette, start;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

__attribute__((target("amx-tile,amx-int8"))) static double peak(void) {
  static int8_t a[16 * 64], b[16 * 64];
  static int32_t c[16 * 16];
  struct TileConfig config;
  memset(&config, 0, sizeof config);
  config.palette = 1;
  for (int t = 0; t < 8; ++t) {
    config.rows[t] = 16;
    config.colsb[t] = 64;
  }
  _tile_loadconfig(&config);
  for (int t = 0; t < 16 * 64; ++t)
    a[t] = b[t] = (int8_t)(t & 3);
  _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
  _tile_loadd(4, a, 64); _tile_loadd(5, a, 64);
  _tile_loadd(6, b, 64); _tile_loadd(7, b, 64);
  const long iterations = 10000000;
  double best = 0;
  for (int trial = 0; trial < 5; ++trial) {
    double start = seconds();
    for (long it = 0; it < iterations; ++it) {
      _tile_dpbusd(0, 4, 6);
      _tile_dpbusd(1, 4, 7);
      _tile_dpbusd(2, 5, 6);
      _tile_dpbusd(3, 5, 7);
    }
    double ops = 2.0 * 16 * 16 * 64 * 4 * iterations;
    double rate = ops / (seconds() - start) / 1e9;
    best = rate > best ? rate : best;
  }
  _tile_stored(0, c, 64);
  _tile_release();
  return best + 0 * c[0];
}

int main(void) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("amx-int8") ||
      syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0) {
    printf("0\n");
    return 0;
  }
  printf("%.1f\n", peak());
  return 0;
}
