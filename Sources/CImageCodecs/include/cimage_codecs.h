// Small, non-exiting C interfaces to the image libraries behind the ImageDecoding module:
// libjpeg-turbo, libpng, libwebp, giflib, libtiff and libheif, one shim file per library.
//
// Every format is a cimage_codec with the same two calls:
//   read_info    reads the header only and fills a cimage_info, so the caller can refuse a
//                decompression bomb before any pixel memory is allocated;
//   decode_rgb8  decodes the first image (first frame, first page, primary item) into the
//                caller's buffer of exactly width * height * 3 bytes as interleaved RGB8,
//                row-major, no padding, with any transparency composited over white:
//                out = (c*a + 255*(255-a) + 127) / 255. Orientation is left to the caller.
// Both return CIMAGE_OK, or CIMAGE_ERROR with a one-line, NUL-terminated message naming
// the problem. None of them prints, exits, aborts or longjmps out: libjpeg's and libpng's
// longjmps are caught in the shim, libtiff's and giflib's errors come back as codes, libwebp's
// as status codes, and libheif's C API catches its C++ exceptions.
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
    /// TIFF's Orientation tag (1-8), which the caller applies to the decoded pixels; left 0
    /// (none) by the other formats: JPEG's and WebP's orientation is in their Exif payload,
    /// HEIF's irot/imir is applied by libheif, and PNG and GIF carry none.
    int orientation;
    /// Bytes of the Exif payload copied into the caller's buffer (JPEG and WebP; 0 otherwise).
    size_t exif_length;
} cimage_info;

/// Reads the header; a format that carries an Exif payload (JPEG's APP1, WebP's EXIF chunk)
/// copies it into `exif`, up to `exif_capacity` bytes.
typedef int (*cimage_read_info)(const unsigned char *data, size_t size, cimage_info *info,
                                unsigned char *exif, size_t exif_capacity,
                                char *message, size_t message_capacity);
/// Decodes the pixels into `out` (`out_capacity` must be width * height * 3).
typedef int (*cimage_decode_rgb8)(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                                  char *message, size_t message_capacity);

typedef struct {
    cimage_read_info read_info;
    cimage_decode_rgb8 decode_rgb8;
} cimage_codec;

/// JPEG (libjpeg-turbo): baseline, progressive (at most 100 scans), gray, CMYK and YCCK;
/// corrupt-data warnings (a truncated file, a bad Huffman code) are errors.
extern const cimage_codec cimage_jpeg;
/// PNG (libpng): every colour type and bit depth, palettes, tRNS, Adam7; 16-bit samples
/// rounded to 8 bits.
extern const cimage_codec cimage_png;
/// WebP (libwebp, libwebpdemux): lossy, lossless, alpha, animated (the first frame).
extern const cimage_codec cimage_webp;
/// GIF (giflib): the first frame on the logical screen; the transparent colour and any screen
/// area the frame does not cover are white.
extern const cimage_codec cimage_gif;
/// TIFF (libtiff): the first page; 1 to 16 bits; gray, palette, RGB, RGBA, CMYK, YCbCr, and
/// every compression libtiff was built with. `orientation` is the file's Orientation tag.
extern const cimage_codec cimage_tiff;
/// HEIF / HEIC / AVIF (libheif with libde265 and dav1d/aom): the primary image, with its
/// rotation and mirroring (irot, imir) applied by libheif; 10- and 12-bit images are
/// converted to 8 bits.
extern const cimage_codec cimage_heif;

#ifdef __cplusplus
}
#endif

#endif
