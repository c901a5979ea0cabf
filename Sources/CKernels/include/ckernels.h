#ifndef CKERNELS_H
#define CKERNELS_H

#include <stdint.h>

// Products of a few rows with a column panel of a weight matrix, the step of a decoder:
//
//     c[r·ldc + j] += Σ_{k < count} a[r·lda + k] · w[k·32 + j]      r < m, j < 32
//
// w is one panel, row-major [count, 32], stored as float32 or as IEEE float16 bits (each
// widened exactly before it is used, so float16 weights give the products of their float32
// values). On a CPU with AVX2, FMA and F16C the kernels run three rows at a time in 256-bit
// registers, reading each panel row once for the three; elsewhere a portable loop gives the
// same sums up to rounding.
void ck_panel_f32(const float *w, long count, const float *a, long lda, long m, float *c, long ldc);
void ck_panel_f16(const uint16_t *w, long count, const float *a, long lda, long m, float *c, long ldc);

// dst[i] = float(src[i]) for n IEEE float16 values, exactly (a NaN comes out quiet); src may sit
// at any byte offset.
void ck_widen_f16(const uint16_t *src, float *dst, long n);

// dst[i] = the float16 bits of src[i] for n values; returns 1 when every value converted
// exactly (dst then holds the same numbers), else 0 (dst is then not meaningful).
int ck_narrow_f16_exact(const float *src, uint16_t *dst, long n);

// values[i] = float(float16(values[i])) in place for n values: rounded to the nearest float16,
// ties to even, as Swift's Float16(_:) rounds (F16C where the CPU has it).
void ck_round_f16(float *values, long n);

// Soft attention's scores for one row: scores[i] = Σ_{j < a} w[j] · tanh(keys[i·a + j] + query[j])
// for i < regions. tanh is a rational approximation within a few ulp (Eigen's), also in the
// portable version, so both give the same values up to the order of the sums.
void ck_attention_scores(const float *keys, long regions, long a, const float *query, const float *w, float *scores);

// 1 when the AVX2 + FMA + F16C kernels run, 0 when the portable ones do.
int ck_has_avx2(void);

// Tests only: 0 makes this thread's calls take the portable path, 1 the AVX2 path again where
// the CPU has it. Returns the previous setting.
int ck_use_avx2(int enabled);

#endif
