/* This machine's single-core read bandwidth from DRAM, in GB/s: the best of
   summing 1 GiB with AVX-512 loads, without and with software prefetching
   at several distances. Built and run by weight_only_gemv.py, so the
   fraction of bandwidth it reports is this machine's. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* Sums `bytes` of `data` (prefetching `ahead` bytes ahead unless 0); returns
   the seconds taken and adds the sum to `sink`. */
static double sweep(const char *data, size_t bytes, size_t ahead, long long *sink) {
  double start = seconds();
  __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
  for (size_t i = 0; i < bytes; i += 256) {
    if (ahead)
      for (int line = 0; line < 4; ++line)
        _mm_prefetch(data + i + ahead + 64 * line, _MM_HINT_T0);
    s0 = _mm512_add_epi64(s0, _mm512_load_si512(data + i));
    s1 = _mm512_add_epi64(s1, _mm512_load_si512(data + i + 64));
    s2 = _mm512_add_epi64(s2, _mm512_load_si512(data + i + 128));
    s3 = _mm512_add_epi64(s3, _mm512_load_si512(data + i + 192));
  }
  double elapsed = seconds() - start;
  *sink += _mm512_reduce_add_epi64(
      _mm512_add_epi64(_mm512_add_epi64(s0, s1), _mm512_add_epi64(s2, s3)));
  return elapsed;
}

int main(void) {
  const size_t bytes = (size_t)1 << 30, slack = 1 << 16;
  char *data = aligned_alloc(64, bytes + slack);
  memset(data, 1, bytes + slack);
  const size_t distances[] = {0, 2048, 4096, 8192, 16384};
  double best = 1e9;
  long long sink = 0;
  for (int trial = 0; trial < 3; ++trial)
    for (size_t d = 0; d < sizeof(distances) / sizeof(distances[0]); ++d) {
      double t = sweep(data, bytes, distances[d], &sink);
      best = t < best ? t : best;
    }
  printf("%.1f %lld\n", bytes / best / 1e9, sink & 1);
  free(data);
  return 0;
}
