// A small, non-exiting C interface to libjpeg(-turbo) for the ImageDecoding module.
//
// libjpeg's default error handling prints to stderr and calls exit(); these functions
// install their own error manager instead, so every failure comes back as a status code
// plus the library's own message text. Decoding is split in two calls so the caller can
// check the image size (and refuse decompression bombs) before allocating any pixels.
#ifndef CJPEG_SHIM_H
#define CJPEG_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Return values of the cjpeg_* functions.
enum {
    CJPEG_OK = 0,
    /// libjpeg reported an error (or a corrupt-data warning); the message says which.
    CJPEG_ERROR = 1,
    /// The caller's output buffer is smaller than width * height * 3.
    CJPEG_BUFFER_TOO_SMALL = 2,
};

/// What the JPEG header says, without decoding any pixels.
typedef struct {
    int width;
    int height;
    /// Components stored in the file: 1 (gray), 3 (YCbCr/RGB) or 4 (CMYK/YCCK).
    int components;
    /// Length of the Exif payload copied into the caller's buffer (bytes after
    /// "Exif\0\0", i.e. the TIFF header onwards); 0 when the file has no Exif APP1.
    size_t exif_length;
} cjpeg_info;

/// Reads the JPEG header (up to the first scan) and fills `info`. When `exif` is not NULL,
/// the first APP1 Exif payload is copied into it (truncated to `exif_capacity`).
/// On failure, `message` receives a NUL-terminated description.
int cjpeg_read_info(const unsigned char *data, size_t size, cjpeg_info *info,
                    unsigned char *exif, size_t exif_capacity,
                    char *message, size_t message_capacity);

/// Decodes the whole image into `out` as interleaved RGB8, row-major, no padding.
/// Grayscale is replicated to RGB; CMYK and YCCK are converted to RGB (Adobe files store
/// inverted CMYK, which is detected from the APP14 marker). EXIF orientation is NOT applied.
/// Corrupt-data warnings (truncated file, bad Huffman code...) are errors.
int cjpeg_decode_rgb8(const unsigned char *data, size_t size,
                      unsigned char *out, size_t out_capacity,
                      char *message, size_t message_capacity);

#ifdef __cplusplus
}
#endif

#endif
