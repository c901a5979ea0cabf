// Small, non-exiting C interfaces to the image libraries behind the ImageDecoding module's
// WebP, GIF, TIFF and HEIF/AVIF decoders: libwebp, giflib, libtiff and libheif.
//
// Every format has the same two calls, as the JPEG and PNG shims do:
//   *_read_info    reads the header only and fills a cimage_info, so the caller can refuse a
//                  decompression bomb before any pixel memory is allocated;
//   *_decode_rgb8  decodes the first image (first frame, first page, primary item) into the
//                  caller's buffer as interleaved RGB8, row-major, no padding, with any
//                  transparency composited over white: out = (c*a + 255*(255-a) + 127) / 255.
// Both return CIMAGE_OK, or CIMAGE_ERROR with a one-line, NUL-terminated message naming
// the problem. None of them prints, exits, aborts or longjmps out: libtiff's and giflib's
// errors come back as codes, libwebp's as status codes, and libheif's C API catches its
// C++ exceptions.
#ifndef CIMAGE_CODECS_H
#define CIMAGE_CODECS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CIMAGE_OK = 0,
    /// The library rejected the data (truncated, damaged, unsupported variant); see the message.
    CIMAGE_ERROR = 1,
};

/// What a header says, without decoding any pixels.
typedef struct {
    int width;
    int height;
    /// EXIF / TIFF orientation (1-8) the caller must still apply to the decoded pixels; 1 when
    /// the format has none or the library already applied it (HEIF's irot/imir).
    int orientation;
    /// Bytes of the Exif payload copied into the caller's buffer (WebP only; 0 otherwise).
    size_t exif_length;
} cimage_info;

// WebP (libwebp, libwebpdemux): lossy, lossless, alpha, animated (the first frame).
// The EXIF chunk, if any, is copied into `exif` (up to `exif_capacity` bytes).
int cwebp_read_info(const unsigned char *data, size_t size, cimage_info *info,
                    unsigned char *exif, size_t exif_capacity,
                    char *message, size_t message_capacity);
int cwebp_decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                      char *message, size_t message_capacity);

// GIF (giflib): the first frame on the logical screen; the transparent colour and any screen
// area the frame does not cover are white.
int cgif_read_info(const unsigned char *data, size_t size, cimage_info *info,
                   char *message, size_t message_capacity);
int cgif_decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                     char *message, size_t message_capacity);

// TIFF (libtiff): the first page; 1 to 16 bits; gray, palette, RGB, RGBA, CMYK, YCbCr, and
// every compression libtiff was built with. `orientation` is the file's Orientation tag.
int ctiff_read_info(const unsigned char *data, size_t size, cimage_info *info,
                    char *message, size_t message_capacity);
int ctiff_decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                      char *message, size_t message_capacity);

// HEIF / HEIC / AVIF (libheif with libde265 and dav1d/aom): the primary image, with its
// rotation and mirroring (irot, imir) applied by libheif; 10- and 12-bit images are
// converted to 8 bits.
int cheif_read_info(const unsigned char *data, size_t size, cimage_info *info,
                    char *message, size_t message_capacity);
int cheif_decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                      char *message, size_t message_capacity);

#ifdef __cplusplus
}
#endif

#endif
