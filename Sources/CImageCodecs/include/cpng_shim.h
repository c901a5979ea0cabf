// A small, non-exiting C interface to libpng for the ImageDecoding module.
//
// libpng's default error handling prints to stderr and, without a setjmp point, aborts;
// these functions install their own error and warning callbacks instead, so every failure
// comes back as a status code plus libpng's message text. Decoding is split in two calls
// so the caller can check the image size (and refuse decompression bombs) before
// allocating any pixels.
#ifndef CPNG_SHIM_H
#define CPNG_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Return values of the cpng_* functions.
enum {
    CPNG_OK = 0,
    /// libpng reported an error (or the data ended early); the message says which.
    CPNG_ERROR = 1,
    /// The caller's output buffer is smaller than width * height * 3.
    CPNG_BUFFER_TOO_SMALL = 2,
};

/// What the PNG header (IHDR) says, without decoding any pixels.
typedef struct {
    int width;
    int height;
    int bit_depth;   // 1, 2, 4, 8 or 16 bits per sample
    int color_type;  // PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
    int interlaced;  // 1 for Adam7
} cpng_info;

/// Reads the signature and IHDR (and any chunks before the image data) and fills `info`.
/// On failure, `message` receives a NUL-terminated description.
int cpng_read_info(const unsigned char *data, size_t size, cpng_info *info,
                   char *message, size_t message_capacity);

/// Decodes the whole image into `out` as interleaved RGB8, row-major, no padding.
/// Every colour type, bit depth and Adam7 interlacing is supported. 16-bit samples are
/// scaled to 8 bits with rounding (png_set_scale_16: round(v / 257)); transparency (alpha
/// channel or tRNS) is composited over white: out = (c*a + 255*(255-a) + 127) / 255.
/// Gamma and colour-profile chunks are ignored, as most image libraries do.
int cpng_decode_rgb8(const unsigned char *data, size_t size,
                     unsigned char *out, size_t out_capacity,
                     char *message, size_t message_capacity);

#ifdef __cplusplus
}
#endif

#endif
