// JPEG encoding for small previews (the batch report's thumbnails), with the same
// non-exiting error handling as the decoder in cjpeg_shim.c.
#ifndef CJPEG_ENCODE_H
#define CJPEG_ENCODE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Encodes interleaved RGB8 pixels (width * height * 3 bytes) as a baseline JPEG.
/// On success returns 0 and sets *out / *out_size to a buffer the caller frees with
/// cjpeg_free; on failure returns 1 and writes libjpeg's message into `message`.
int cjpeg_encode_rgb8(const unsigned char *pixels, int width, int height, int quality,
                      unsigned char **out, unsigned long *out_size,
                      char *message, size_t message_capacity);

/// Frees a buffer returned by cjpeg_encode_rgb8.
void cjpeg_free(unsigned char *buffer);

#ifdef __cplusplus
}
#endif

#endif
