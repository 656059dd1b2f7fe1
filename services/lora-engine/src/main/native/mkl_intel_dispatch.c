/*
 * Preloaded (LD_PRELOAD) in front of DJL's libtorch, whose statically linked oneMKL 2024.0 checks
 * the CPU vendor before it looks at the CPU's features: on AMD CPUs with AVX-512 (Zen 4/5) it
 * falls back to its AVX2 sgemm, about half the speed. libtorch exports this symbol, so the dynamic
 * linker binds MKL's call to this definition and MKL then dispatches on the CPU's real features.
 * Measured here (2 Zen 5 cores): 2048^3 fp32 matmul 192 -> 419 GFLOP/s. See README "Engine".
 */
int mkl_serv_intel_cpu_true(void) {
    return 1;
}
