/*
 * One core's fp32 FMA peak, to tell what the engine bench's matmul figure is measured against.
 * Twelve independent 512-bit FMA chains kept in registers (more than the FMA latency × pipes), so the
 * loop runs at the core's FMA throughput: 32 FLOP a cycle on cores that run a 512-bit FMA as two
 * 256-bit halves (AMD Zen 4), 64 on cores with full-width 512-bit FMA units.
 *
 *   gcc -O3 -mavx512f load-tests/tools/fma-peak.c -o /tmp/fma-peak && /tmp/fma-peak
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define FMA(x) x = _mm512_fmadd_ps(x, m, c)

int main(void) {
    __m512 m = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
    __m512 a0 = _mm512_set1_ps(0), a1 = _mm512_set1_ps(1), a2 = _mm512_set1_ps(2), a3 = _mm512_set1_ps(3);
    __m512 a4 = _mm512_set1_ps(4), a5 = _mm512_set1_ps(5), a6 = _mm512_set1_ps(6), a7 = _mm512_set1_ps(7);
    __m512 a8 = _mm512_set1_ps(8), a9 = _mm512_set1_ps(9), a10 = _mm512_set1_ps(10), a11 = _mm512_set1_ps(11);
    long n = 300000000L;
    double started = now();
    for (long i = 0; i < n; i++) {
        FMA(a0); FMA(a1); FMA(a2); FMA(a3); FMA(a4); FMA(a5); FMA(a6); FMA(a7); FMA(a8); FMA(a9); FMA(a10); FMA(a11);
    }
    double seconds = now() - started;
    __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)), _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    sum = _mm512_add_ps(sum, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
    /* 12 chains × 16 lanes × 2 FLOP per FMA; the sum keeps the compiler from dropping the loop */
    printf("one core, fp32 512-bit FMA: %.1f GFLOP/s (checksum %g)\n", n * 12 * 32.0 / seconds / 1e9, (double) _mm512_reduce_add_ps(sum));
    return 0;
}
