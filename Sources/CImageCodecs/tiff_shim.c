// libtiff reports errors through handlers and return codes (it never exits or longjmps). The
// handlers here are per file (TIFFOpenOptions, libtiff 4.5), not the process-wide ones, so
// concurrent decodes keep their messages apart; warnings (unknown tags and the like) are
// dropped. Pixels come from libtiff's RGBA interface, which covers every photometric
// interpretation, bit depth and compression the library supports.
#include "cimage_codecs.h"
#include "shim_common.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#define MESSAGE_CAPACITY 256
// The largest single buffer libtiff may allocate for a strip or tile: far above any real
// photo's strip, far below what a hostile header can claim.
#define MAX_SINGLE_ALLOCATION ((tmsize_t)1 << 30)

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t position;
    char message[MESSAGE_CAPACITY];
} tiff_reader;

static tmsize_t read_proc(thandle_t handle, void *destination, tmsize_t length) {
    tiff_reader *reader = (tiff_reader *)handle;
    if (length < 0 || reader->position > reader->size) {
        return 0;
    }
    size_t available = reader->size - reader->position;
    size_t count = (size_t)length < available ? (size_t)length : available;
    memcpy(destination, reader->data + reader->position, count);
    reader->position += count;
    return (tmsize_t)count;
}

static tmsize_t write_proc(thandle_t handle, void *source, tmsize_t length) {
    (void)handle;
    (void)source;
    (void)length;
    return 0;  // read only
}

static toff_t seek_proc(thandle_t handle, toff_t offset, int whence) {
    tiff_reader *reader = (tiff_reader *)handle;
    uint64_t base = whence == SEEK_CUR ? reader->position : whence == SEEK_END ? reader->size : 0;
    uint64_t target = base + offset;
    if (target < base) {
        return (toff_t)-1;
    }
    // Seeking past the end is allowed (a read there returns nothing), as with a file.
    reader->position = target > SIZE_MAX ? SIZE_MAX : (size_t)target;
    return target;
}

static int close_proc(thandle_t handle) {
    (void)handle;
    return 0;
}

static toff_t size_proc(thandle_t handle) {
    return ((tiff_reader *)handle)->size;
}

static int map_proc(thandle_t handle, void **base, toff_t *size) {
    (void)handle;
    (void)base;
    (void)size;
    return 0;  // no mapping: libtiff reads through read_proc
}

static void unmap_proc(thandle_t handle, void *base, toff_t size) {
    (void)handle;
    (void)base;
    (void)size;
}

static int on_error(TIFF *tiff, void *user_data, const char *module, const char *format, va_list arguments) {
    (void)tiff;
    (void)module;
    tiff_reader *reader = (tiff_reader *)user_data;
    if (reader->message[0] == '\0') {  // the first error is the cause; later ones follow from it
        char text[MESSAGE_CAPACITY];
        vsnprintf(text, sizeof text, format, arguments);
        shim_copy_text(reader->message, sizeof reader->message, text);
    }
    return 1;  // handled: libtiff does not print it
}

static int on_warning(TIFF *tiff, void *user_data, const char *module, const char *format, va_list arguments) {
    (void)tiff;
    (void)user_data;
    (void)module;
    (void)format;
    (void)arguments;
    return 1;
}

static TIFF *open_tiff(tiff_reader *reader) {
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (options == NULL) {
        shim_copy_text(reader->message, sizeof reader->message, "out of memory");
        return NULL;
    }
    TIFFOpenOptionsSetMaxSingleMemAlloc(options, MAX_SINGLE_ALLOCATION);
    TIFFOpenOptionsSetErrorHandlerExtR(options, on_error, reader);
    TIFFOpenOptionsSetWarningHandlerExtR(options, on_warning, reader);
    // "m": never memory-map; "r": read only. libtiff starts some messages with the file's name,
    // which here is the format's.
    TIFF *tiff = TIFFClientOpenExt("TIFF", "rm", (thandle_t)reader, read_proc, write_proc, seek_proc,
                                   close_proc, size_proc, map_proc, unmap_proc, options);
    TIFFOpenOptionsFree(options);
    if (tiff == NULL && reader->message[0] == '\0') {
        shim_copy_text(reader->message, sizeof reader->message, "not a readable TIFF file");
    }
    return tiff;
}

static void finish(tiff_reader *reader, char *message, size_t capacity, const char *fallback) {
    shim_copy_text(message, capacity, reader->message[0] != '\0' ? reader->message : fallback);
}

// Opens the file's first directory and reads its size; on failure returns NULL with the message
// set (and nothing left open).
static TIFF *open_sized(tiff_reader *reader, uint32_t *width, uint32_t *height, char *message, size_t capacity) {
    TIFF *tiff = open_tiff(reader);
    if (tiff == NULL) {
        finish(reader, message, capacity, "not a readable TIFF file");
        return NULL;
    }
    *width = 0;
    *height = 0;
    if (!TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, width) || !TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, height)
        || *width > INT32_MAX || *height > INT32_MAX) {
        TIFFClose(tiff);
        finish(reader, message, capacity, "TIFF has no image size");
        return NULL;
    }
    return tiff;
}

static int read_info(const unsigned char *data, size_t size, cimage_info *info,
                     unsigned char *exif, size_t exif_capacity,
                     char *message, size_t message_capacity) {
    memset(info, 0, sizeof *info);
    tiff_reader reader = {data, size, 0, ""};
    uint32_t width, height;
    TIFF *tiff = open_sized(&reader, &width, &height, message, message_capacity);
    if (tiff == NULL) {
        return CIMAGE_ERROR;
    }
    uint16_t orientation = ORIENTATION_TOPLEFT;
    TIFFGetFieldDefaulted(tiff, TIFFTAG_ORIENTATION, &orientation);
    TIFFClose(tiff);
    info->width = (int)width;
    info->height = (int)height;
    info->orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;
    return CIMAGE_OK;
}

static int decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                       char *message, size_t message_capacity) {
    tiff_reader reader = {data, size, 0, ""};
    uint32_t width, height;
    TIFF *tiff = open_sized(&reader, &width, &height, message, message_capacity);
    if (tiff == NULL) {
        return CIMAGE_ERROR;
    }
    size_t pixels = (size_t)width * height;
    if (pixels == 0 || pixels * 3 != out_capacity) {
        TIFFClose(tiff);
        shim_copy_text(message, message_capacity, "output buffer does not match the image size");
        return CIMAGE_ERROR;
    }
    char reason[1024] = "";
    if (!TIFFRGBAImageOK(tiff, reason)) {
        TIFFClose(tiff);
        char text[MESSAGE_CAPACITY];
        snprintf(text, sizeof text, "unsupported TIFF: %s", reason);
        shim_copy_text(message, message_capacity, text);
        return CIMAGE_ERROR;
    }
    // Pixels in stored order: the caller applies the Orientation tag (libtiff's own handling
    // only flips, it cannot transpose for orientations 5-8).
    TIFFSetField(tiff, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
    uint32_t *raster = malloc(pixels * sizeof(uint32_t));
    if (raster == NULL) {
        TIFFClose(tiff);
        shim_copy_text(message, message_capacity, "out of memory");
        return CIMAGE_ERROR;
    }
    int ok = TIFFReadRGBAImageOriented(tiff, width, height, raster, ORIENTATION_TOPLEFT, 1);
    TIFFClose(tiff);
    if (!ok) {
        free(raster);
        finish(&reader, message, message_capacity, "corrupt TIFF");
        return CIMAGE_ERROR;
    }
    // libtiff's raster is premultiplied ABGR words (unassociated alpha is multiplied in with
    // rounding, (c*a + 127) / 255), so over white is c' + 255 - a: the same integer rule as
    // for straight alpha.
    for (size_t i = 0; i < pixels; i++) {
        uint32_t word = raster[i];
        unsigned char rgba[4] = {TIFFGetR(word), TIFFGetG(word), TIFFGetB(word), TIFFGetA(word)};
        shim_premultiplied_over_white(rgba, out + i * 3, 1);
    }
    free(raster);
    return CIMAGE_OK;
}

const cimage_codec cimage_tiff = {read_info, decode_rgb8};
