// The decoder's panel products (see ckernels.h). One AVX2 + FMA + F16C version, chosen once at
// run time from CPUID, and a portable version for other x86-64 CPUs; the Swift code that calls
// them is compiled for baseline x86-64 (SSE2, no FMA), which cannot express either.
#include "ckernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define CK_X86 1
#endif

#define WIDTH 32

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff, bits;
    if (exponent == 0x1f) {
        // Infinity, or a NaN made quiet, as F16C and Swift's Float(Float16) make it.
        bits = sign | 0x7f800000u | (mantissa << 13) | (mantissa ? 0x400000u : 0);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {
        // Subnormal: shift the mantissa up until its leading 1 is the implicit bit.
        exponent = 113;
        while (!(mantissa & 0x400)) { mantissa <<= 1; exponent--; }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static void panel_f32_portable(const float *w, long count, const float *a, long lda, long m, float *c, long ldc) {
    for (long r = 0; r < m; r++) {
        float sums[WIDTH] = {0};
        for (long k = 0; k < count; k++) {
            float x = a[r * lda + k];
            for (int j = 0; j < WIDTH; j++) sums[j] += x * w[k * WIDTH + j];
        }
        for (int j = 0; j < WIDTH; j++) c[r * ldc + j] += sums[j];
    }
}

static void panel_f16_portable(const uint16_t *w, long count, const float *a, long lda, long m, float *c, long ldc) {
    float row[WIDTH];
    for (long r = 0; r < m; r++) {
        float sums[WIDTH] = {0};
        for (long k = 0; k < count; k++) {
            float x = a[r * lda + k];
            for (int j = 0; j < WIDTH; j++) row[j] = half_to_float(w[k * WIDTH + j]);
            for (int j = 0; j < WIDTH; j++) sums[j] += x * row[j];
        }
        for (int j = 0; j < WIDTH; j++) c[r * ldc + j] += sums[j];
    }
}

// The float16 bits of f when f is one exactly (a normal or subnormal float16, zero, ±∞), else -1.
static long float_to_half_exact(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    uint32_t sign = (bits >> 16) & 0x8000, exponent = (bits >> 23) & 0xff, mantissa = bits & 0x7fffff;
    if (exponent == 0 && mantissa == 0) return sign;
    if (exponent == 0xff) return mantissa == 0 ? (long)(sign | 0x7c00) : -1;
    int e = (int)exponent - 127;
    if (e >= -14 && e <= 15) {
        if (mantissa & 0x1fff) return -1;
        return sign | ((uint32_t)(e + 15) << 10) | (mantissa >> 13);
    }
    if (e >= -24 && e < -14) {
        // Subnormal float16: value = m · 2^-24 with m < 1024.
        uint32_t full = mantissa | 0x800000;  // 1.mantissa · 2^e = full · 2^(e − 23)
        int shift = -14 - e + 13;            // full · 2^(e−23) = (full >> shift) · 2^-24
        if (full & ((1u << shift) - 1)) return -1;
        return sign | (full >> shift);
    }
    return -1;
}

static int narrow_portable(const float *src, uint16_t *dst, long n) {
    for (long i = 0; i < n; i++) {
        long h = float_to_half_exact(src[i]);
        if (h < 0) return 0;
        dst[i] = (uint16_t)h;
    }
    return 1;
}

// tanh(x) ≈ x · P(x²) / Q(x²) on x clamped to ±7.90531, the rational approximation of Eigen's
// ptanh_float; below 0.0004 in magnitude, tanh(x) = x to float precision.
#define TANH_CLAMP 7.90531110763549805f
static const float tanh_alpha[7] = {4.89352455891786e-03f, 6.37261928875436e-04f, 1.48572235717979e-05f,
                                    5.12229709037114e-08f, -8.60467152213735e-11f, 2.00018790482477e-13f,
                                    -2.76076847742355e-16f};
static const float tanh_beta[4] = {4.89352518554385e-03f, 2.26843463243900e-03f, 1.18534705686654e-04f,
                                   1.19825839466702e-06f};

static float tanh_portable(float x) {
    if (x != x) return x;
    if (x > TANH_CLAMP) x = TANH_CLAMP;
    if (x < -TANH_CLAMP) x = -TANH_CLAMP;
    if (x < 0.0004f && x > -0.0004f) return x;
    float x2 = x * x;
    float p = tanh_alpha[6];
    for (int i = 5; i >= 0; i--) p = p * x2 + tanh_alpha[i];
    float q = tanh_beta[3];
    for (int i = 2; i >= 0; i--) q = q * x2 + tanh_beta[i];
    return x * p / q;
}

static void attention_scores_portable(const float *keys, long regions, long a, const float *query, const float *w,
                                      float *scores) {
    for (long i = 0; i < regions; i++) {
        float sum = 0;
        for (long j = 0; j < a; j++) sum += w[j] * tanh_portable(keys[i * a + j] + query[j]);
        scores[i] = sum;
    }
}

// The source of a widening may sit at any byte offset (a tensor in a file): every load is a memcpy.
static uint16_t load_half(const uint16_t *p) {
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return h;
}

static void round_portable(float *values, long n) {
    for (long i = 0; i < n; i++) values[i] = (float)(_Float16)values[i];
}

static void widen_portable(const uint16_t *src, float *dst, long n) {
    for (long i = 0; i < n; i++) dst[i] = half_to_float(load_half(src + i));
}

#ifdef CK_X86
#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline __m256 load_f32(const float *p) { return _mm256_loadu_ps(p); }
AVX2 static inline __m256 load_f16(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

// R rows × 16 columns (half a panel), for many rows, where multiplying costs more than
// reading: per k, two weight registers shared by the R rows, each row's a[k] broadcast in
// turn, 2·R accumulators (15 registers at R = 6, the classic AVX2 tile).
#define TILE(NAME, TYPE, LOAD, R)                                                                    \
    AVX2 static inline void NAME(const TYPE *w, long count, const float *a, long lda, float *c, long ldc) { \
        __m256 s[R][2];                                                                              \
        for (int r = 0; r < R; r++) s[r][0] = s[r][1] = _mm256_setzero_ps();                        \
        for (long k = 0; k < count; k++) {                                                           \
            const TYPE *p = w + k * WIDTH;                                                           \
            __m256 w0 = LOAD(p), w1 = LOAD(p + 8);                                                   \
            for (int r = 0; r < R; r++) {                                                            \
                __m256 x = _mm256_broadcast_ss(a + r * lda + k);                                     \
                s[r][0] = _mm256_fmadd_ps(x, w0, s[r][0]);                                           \
                s[r][1] = _mm256_fmadd_ps(x, w1, s[r][1]);                                           \
            }                                                                                        \
        }                                                                                            \
        for (int r = 0; r < R; r++) {                                                                \
            float *out = c + r * ldc;                                                                \
            _mm256_storeu_ps(out, _mm256_add_ps(load_f32(out), s[r][0]));                            \
            _mm256_storeu_ps(out + 8, _mm256_add_ps(load_f32(out + 8), s[r][1]));                    \
        }                                                                                            \
    }

// Six rows at a time in 6 × 16 tiles, each once per half panel (the second half from cache).
// The few rows left (one photo's beams), where reading the panel is what costs, read it once:
// three rows at a time over all 32 columns (12 accumulators, one weight register and one
// broadcast per row; measured faster than two half-panel passes, though the compiler spills two
// accumulators), then one row at a time over even and odd k (8 accumulators).
#define PANEL_KERNEL(NAME, TYPE, LOAD)                                                               \
    TILE(NAME##_6, TYPE, LOAD, 6)                                                                    \
    AVX2 static void NAME(const TYPE *w, long count, const float *a, long lda, long m, float *c, long ldc) { \
        long r = 0;                                                                                  \
        for (; r + 6 <= m; r += 6)                                                                   \
            for (int half = 0; half < WIDTH; half += 16)                                             \
                NAME##_6(w + half, count, a + r * lda, lda, c + r * ldc + half, ldc);                 \
        for (; r + 3 <= m; r += 3) {                                                                 \
            const float *a0 = a + r * lda, *a1 = a0 + lda, *a2 = a1 + lda;                           \
            __m256 s00 = _mm256_setzero_ps(), s01 = s00, s02 = s00, s03 = s00;                       \
            __m256 s10 = s00, s11 = s00, s12 = s00, s13 = s00, s20 = s00, s21 = s00, s22 = s00, s23 = s00; \
            const TYPE *p = w;                                                                       \
            for (long k = 0; k < count; k++, p += WIDTH) {  \
                __m256 x0 = _mm256_broadcast_ss(a0 + k), x1 = _mm256_broadcast_ss(a1 + k);          \
                __m256 x2 = _mm256_broadcast_ss(a2 + k), v = LOAD(p);                                \
                s00 = _mm256_fmadd_ps(x0, v, s00); s10 = _mm256_fmadd_ps(x1, v, s10); s20 = _mm256_fmadd_ps(x2, v, s20); \
                v = LOAD(p + 8);                                                                     \
                s01 = _mm256_fmadd_ps(x0, v, s01); s11 = _mm256_fmadd_ps(x1, v, s11); s21 = _mm256_fmadd_ps(x2, v, s21); \
                v = LOAD(p + 16);                                                                    \
                s02 = _mm256_fmadd_ps(x0, v, s02); s12 = _mm256_fmadd_ps(x1, v, s12); s22 = _mm256_fmadd_ps(x2, v, s22); \
                v = LOAD(p + 24);                                                                    \
                s03 = _mm256_fmadd_ps(x0, v, s03); s13 = _mm256_fmadd_ps(x1, v, s13); s23 = _mm256_fmadd_ps(x2, v, s23); \
            }                                                                                        \
            float *c0 = c + r * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc;                                 \
            _mm256_storeu_ps(c0, _mm256_add_ps(load_f32(c0), s00));                                  \
            _mm256_storeu_ps(c0 + 8, _mm256_add_ps(load_f32(c0 + 8), s01));                          \
            _mm256_storeu_ps(c0 + 16, _mm256_add_ps(load_f32(c0 + 16), s02));                        \
            _mm256_storeu_ps(c0 + 24, _mm256_add_ps(load_f32(c0 + 24), s03));                        \
            _mm256_storeu_ps(c1, _mm256_add_ps(load_f32(c1), s10));                                  \
            _mm256_storeu_ps(c1 + 8, _mm256_add_ps(load_f32(c1 + 8), s11));                          \
            _mm256_storeu_ps(c1 + 16, _mm256_add_ps(load_f32(c1 + 16), s12));                        \
            _mm256_storeu_ps(c1 + 24, _mm256_add_ps(load_f32(c1 + 24), s13));                        \
            _mm256_storeu_ps(c2, _mm256_add_ps(load_f32(c2), s20));                                  \
            _mm256_storeu_ps(c2 + 8, _mm256_add_ps(load_f32(c2 + 8), s21));                          \
            _mm256_storeu_ps(c2 + 16, _mm256_add_ps(load_f32(c2 + 16), s22));                        \
            _mm256_storeu_ps(c2 + 24, _mm256_add_ps(load_f32(c2 + 24), s23));                        \
        }                                                                                            \
        for (; r < m; r++) {                                                                         \
            const float *a0 = a + r * lda;                                                           \
            /* Two sets of accumulators over even and odd k, so each FMA chain has time. */         \
            __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0; \
            const TYPE *p = w;                                                                       \
            long k = 0;                                                                              \
            for (; k + 2 <= count; k += 2, p += 2 * WIDTH) {                                         \
                __m256 x = _mm256_broadcast_ss(a0 + k), y = _mm256_broadcast_ss(a0 + k + 1);        \
                s0 = _mm256_fmadd_ps(x, LOAD(p), s0); s1 = _mm256_fmadd_ps(x, LOAD(p + 8), s1);      \
                s2 = _mm256_fmadd_ps(x, LOAD(p + 16), s2); s3 = _mm256_fmadd_ps(x, LOAD(p + 24), s3); \
                t0 = _mm256_fmadd_ps(y, LOAD(p + 32), t0); t1 = _mm256_fmadd_ps(y, LOAD(p + 40), t1); \
                t2 = _mm256_fmadd_ps(y, LOAD(p + 48), t2); t3 = _mm256_fmadd_ps(y, LOAD(p + 56), t3); \
            }                                                                                        \
            if (k < count) {                                                                         \
                __m256 x = _mm256_broadcast_ss(a0 + k);                                              \
                s0 = _mm256_fmadd_ps(x, LOAD(p), s0); s1 = _mm256_fmadd_ps(x, LOAD(p + 8), s1);      \
                s2 = _mm256_fmadd_ps(x, LOAD(p + 16), s2); s3 = _mm256_fmadd_ps(x, LOAD(p + 24), s3); \
            }                                                                                        \
            float *c0 = c + r * ldc;                                                                 \
            _mm256_storeu_ps(c0, _mm256_add_ps(load_f32(c0), _mm256_add_ps(s0, t0)));               \
            _mm256_storeu_ps(c0 + 8, _mm256_add_ps(load_f32(c0 + 8), _mm256_add_ps(s1, t1)));       \
            _mm256_storeu_ps(c0 + 16, _mm256_add_ps(load_f32(c0 + 16), _mm256_add_ps(s2, t2)));     \
            _mm256_storeu_ps(c0 + 24, _mm256_add_ps(load_f32(c0 + 24), _mm256_add_ps(s3, t3)));     \
        }                                                                                            \
    }

PANEL_KERNEL(panel_f32_avx2, float, load_f32)
PANEL_KERNEL(panel_f16_avx2, uint16_t, load_f16)

AVX2 static void widen_avx2(const uint16_t *src, float *dst, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load_f16(src + i));
    for (; i < n; i++) dst[i] = half_to_float(load_half(src + i));
}

AVX2 static int narrow_avx2(const float *src, uint16_t *dst, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(src + i);
        __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        // Exact when widening gives the value back (NaN never compares equal: refused too).
        __m256 back = _mm256_cvtph_ps(h);
        if (_mm256_movemask_ps(_mm256_cmp_ps(back, v, _CMP_EQ_OQ)) != 0xff) return 0;
        _mm_storeu_si128((__m128i *)(dst + i), h);
    }
    return narrow_portable(src + i, dst + i, n - i);
}

AVX2 static inline __m256 tanh_avx2(__m256 x) {
    // min and max return their second operand when either is NaN: a NaN passes through.
    __m256 clamped = _mm256_min_ps(_mm256_set1_ps(TANH_CLAMP), _mm256_max_ps(_mm256_set1_ps(-TANH_CLAMP), x));
    __m256 x2 = _mm256_mul_ps(clamped, clamped);
    __m256 p = _mm256_set1_ps(tanh_alpha[6]);
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(tanh_alpha[5]));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(tanh_alpha[4]));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(tanh_alpha[3]));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(tanh_alpha[2]));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(tanh_alpha[1]));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(tanh_alpha[0]));
    p = _mm256_mul_ps(p, clamped);
    __m256 q = _mm256_set1_ps(tanh_beta[3]);
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(tanh_beta[2]));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(tanh_beta[1]));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(tanh_beta[0]));
    __m256 result = _mm256_div_ps(p, q);
    __m256 tiny = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(0.0004f), _CMP_LT_OQ);
    return _mm256_blendv_ps(result, x, tiny);
}

AVX2 static void attention_scores_avx2(const float *keys, long regions, long a, const float *query, const float *w,
                                       float *scores) {
    long whole = a / 8 * 8;
    for (long i = 0; i < regions; i++) {
        const float *key = keys + i * a;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0;
        long j = 0;
        for (; j + 16 <= whole; j += 16) {
            __m256 t0 = tanh_avx2(_mm256_add_ps(_mm256_loadu_ps(key + j), _mm256_loadu_ps(query + j)));
            __m256 t1 = tanh_avx2(_mm256_add_ps(_mm256_loadu_ps(key + j + 8), _mm256_loadu_ps(query + j + 8)));
            s0 = _mm256_fmadd_ps(t0, _mm256_loadu_ps(w + j), s0);
            s1 = _mm256_fmadd_ps(t1, _mm256_loadu_ps(w + j + 8), s1);
        }
        for (; j < whole; j += 8) {
            __m256 t = tanh_avx2(_mm256_add_ps(_mm256_loadu_ps(key + j), _mm256_loadu_ps(query + j)));
            s0 = _mm256_fmadd_ps(t, _mm256_loadu_ps(w + j), s0);
        }
        __m256 s = _mm256_add_ps(s0, s1);
        __m128 half = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
        half = _mm_add_ps(half, _mm_movehl_ps(half, half));
        half = _mm_add_ss(half, _mm_shuffle_ps(half, half, 1));
        float sum = _mm_cvtss_f32(half);
        for (; j < a; j++) sum += w[j] * tanh_portable(key[j] + query[j]);
        scores[i] = sum;
    }
}

AVX2 static void round_avx2(float *values, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(values + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_storeu_ps(values + i, _mm256_cvtph_ps(h));
    }
    round_portable(values + i, n - i);
}

static int detect_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!(fma && osxsave && avx && f16c)) return 0;
    // The OS must save the YMM registers (XCR0 bits 1 and 2).
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 5) & 1;
}
#endif

static int avx2_state = -1;  // -1: not yet asked; a race writes the same value twice
static _Thread_local int avx2_allowed = 1;  // per thread, so a test can switch only its own calls

int ck_has_avx2(void) {
#ifdef CK_X86
    if (avx2_state < 0) avx2_state = detect_avx2();
    return avx2_state && avx2_allowed;
#else
    return 0;
#endif
}

int ck_use_avx2(int enabled) {
    int previous = avx2_allowed;
    avx2_allowed = enabled;
    return previous;
}

void ck_panel_f32(const float *w, long count, const float *a, long lda, long m, float *c, long ldc) {
#ifdef CK_X86
    if (ck_has_avx2()) { panel_f32_avx2(w, count, a, lda, m, c, ldc); return; }
#endif
    panel_f32_portable(w, count, a, lda, m, c, ldc);
}

void ck_panel_f16(const uint16_t *w, long count, const float *a, long lda, long m, float *c, long ldc) {
#ifdef CK_X86
    if (ck_has_avx2()) { panel_f16_avx2(w, count, a, lda, m, c, ldc); return; }
#endif
    panel_f16_portable(w, count, a, lda, m, c, ldc);
}

void ck_widen_f16(const uint16_t *src, float *dst, long n) {
#ifdef CK_X86
    if (ck_has_avx2()) { widen_avx2(src, dst, n); return; }
#endif
    widen_portable(src, dst, n);
}

int ck_narrow_f16_exact(const float *src, uint16_t *dst, long n) {
#ifdef CK_X86
    if (ck_has_avx2()) return narrow_avx2(src, dst, n);
#endif
    return narrow_portable(src, dst, n);
}

void ck_attention_scores(const float *keys, long regions, long a, const float *query, const float *w, float *scores) {
#ifdef CK_X86
    if (ck_has_avx2()) { attention_scores_avx2(keys, regions, a, query, w, scores); return; }
#endif
    attention_scores_portable(keys, regions, a, query, w, scores);
}

void ck_round_f16(float *values, long n) {
#ifdef CK_X86
    if (ck_has_avx2()) { round_avx2(values, n); return; }
#endif
    round_portable(values, n);
}
