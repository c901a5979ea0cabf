// PNG through libpng: the cimage_png codec of cimage_codecs.h. libpng calls our error callback for fatal errors; it stores the text
// and longjmps back to the public function (libpng would print and abort if it
// returned). Warnings (e.g. a damaged ancillary chunk, which libpng skips) are kept out
// of stderr and otherwise ignored: they do not affect the pixels.
#include "cimage_codecs.h"
#include "shim_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#define MESSAGE_CAPACITY 256

// Read cursor over the caller's bytes, plus the last error message.
typedef struct {
    const unsigned char *data;
    size_t size;
    size_t position;
    char message[MESSAGE_CAPACITY];
} shim_reader;

static void shim_error(png_structp png, png_const_charp text) {
    shim_reader *reader = (shim_reader *)png_get_error_ptr(png);
    shim_copy_text(reader->message, sizeof reader->message, text);
    png_longjmp(png, 1);
}

static void shim_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void shim_read(png_structp png, png_bytep destination, png_size_t length) {
    shim_reader *reader = (shim_reader *)png_get_io_ptr(png);
    if (length > reader->size - reader->position) {
        png_error(png, "truncated PNG: the data ends early");
    }
    memcpy(destination, reader->data + reader->position, length);
    reader->position += length;
}

// Creates the read structs; returns 0 (and sets the message) if the signature is wrong
// or libpng cannot allocate. The caller must setjmp right after.
static int open_png(shim_reader *reader, png_structp *png, png_infop *info) {
    *png = NULL;
    *info = NULL;
    if (reader->size < 8 || png_sig_cmp(reader->data, 0, 8) != 0) {
        shim_copy_text(reader->message, sizeof reader->message, "not a PNG file (bad signature)");
        return 0;
    }
    *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, reader, shim_error, shim_warning);
    if (*png != NULL) {
        *info = png_create_info_struct(*png);
    }
    if (*png == NULL || *info == NULL) {
        png_destroy_read_struct(png, info, NULL);
        shim_copy_text(reader->message, sizeof reader->message, "out of memory");
        return 0;
    }
    png_set_read_fn(*png, reader, shim_read);
    // Skip every ancillary chunk except tRNS (the only one that changes our pixels) instead of
    // letting libpng parse it. libpng allocates a whole eXIf, iCCP, sPLT, text... chunk before
    // reading it, and a length over its 8 MB chunk limit is only a warning on read, so a
    // 60-byte file declaring a 2 GB eXIf chunk made it malloc 2 GB. Skipped chunks are read
    // through in small pieces, allocating nothing. (Found by Fuzz/FuzzPNG.)
    png_set_keep_unknown_chunks(*png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    return 1;
}

// Reads the signature and IHDR (and any chunks before the image data).
static int read_info(const unsigned char *data, size_t size, cimage_info *info,
                     unsigned char *exif, size_t exif_capacity,
                     char *message, size_t message_capacity) {
    shim_reader reader = {data, size, 0, ""};
    png_structp png;
    png_infop png_info;
    memset(info, 0, sizeof *info);
    if (!open_png(&reader, &png, &png_info)) {
        shim_copy_text(message, message_capacity, reader.message);
        return CIMAGE_ERROR;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &png_info, NULL);
        shim_copy_text(message, message_capacity, reader.message);
        return CIMAGE_ERROR;
    }
    png_read_info(png, png_info);
    info->width = (int)png_get_image_width(png, png_info);
    info->height = (int)png_get_image_height(png, png_info);
    png_destroy_read_struct(&png, &png_info, NULL);
    return CIMAGE_OK;
}

// Asks libpng for 8-bit RGB, or RGBA when the image has any transparency.
// Returns 1 when rows will be RGBA.
static int request_rgb8(png_structp png, png_infop info) {
    int color_type = png_get_color_type(png, info);
    int has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0;
    if (png_get_bit_depth(png, info) == 16) {
        png_set_scale_16(png);  // rounds, unlike png_set_strip_16 which drops the low byte
    }
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);  // also unpacks 1/2/4-bit indices
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if (png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_tRNS_to_alpha(png);  // palette alpha or a colour key -> alpha channel
        has_alpha = 1;
    }
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0) {
        png_set_gray_to_rgb(png);
    }
    png_set_interlace_handling(png);  // Adam7: libpng merges the passes into full rows
    png_read_update_info(png, info);
    return has_alpha;
}

// Every colour type, bit depth and Adam7 interlacing. 16-bit samples are scaled to 8 bits with
// rounding (png_set_scale_16: round(v / 257)). Gamma and colour-profile chunks are ignored, as
// most image libraries do.
static int decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                       char *message, size_t message_capacity) {
    shim_reader reader = {data, size, 0, ""};
    png_structp png;
    png_infop info;
    // Memory we own; volatile so the values are reliable after a longjmp.
    png_bytep volatile rgba = NULL;
    png_bytepp volatile rows = NULL;

    if (!open_png(&reader, &png, &info)) {
        shim_copy_text(message, message_capacity, reader.message);
        return CIMAGE_ERROR;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(rgba);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        shim_copy_text(message, message_capacity, reader.message);
        return CIMAGE_ERROR;
    }
    png_read_info(png, info);
    int has_alpha = request_rgb8(png, info);
    size_t width = png_get_image_width(png, info);
    size_t height = png_get_image_height(png, info);
    size_t channels = has_alpha ? 4 : 3;
    size_t out_row_bytes = width * 3;
    if (png_get_rowbytes(png, info) != width * channels) {
        png_error(png, "unexpected row layout after transformations");
    }
    if (height > out_capacity / out_row_bytes) {
        png_destroy_read_struct(&png, &info, NULL);
        shim_copy_text(message, message_capacity, "output buffer too small");
        return CIMAGE_ERROR;
    }

    int interlaced = png_get_interlace_type(png, info) == PNG_INTERLACE_ADAM7;
    if (!has_alpha) {
        // Decode straight into the caller's buffer.
        rows = malloc(height * sizeof(png_bytep));
        if (rows == NULL) {
            png_error(png, "out of memory");
        }
        for (size_t y = 0; y < height; y++) {
            rows[y] = out + y * out_row_bytes;
        }
        png_read_image(png, rows);
    } else if (!interlaced) {
        // One RGBA row at a time, composited as it arrives.
        rgba = malloc(width * 4);
        if (rgba == NULL) {
            png_error(png, "out of memory");
        }
        for (size_t y = 0; y < height; y++) {
            png_read_row(png, rgba, NULL);
            shim_rgba_over_white(rgba, out + y * out_row_bytes, width);
        }
    } else {
        // Adam7 passes revisit every row, so the whole RGBA image must be kept.
        if (height > SIZE_MAX / (width * 4)) {
            png_error(png, "image too large");
        }
        rgba = malloc(width * 4 * height);
        rows = malloc(height * sizeof(png_bytep));
        if (rgba == NULL || rows == NULL) {
            png_error(png, "out of memory");
        }
        for (size_t y = 0; y < height; y++) {
            rows[y] = rgba + y * width * 4;
        }
        png_read_image(png, rows);
        shim_rgba_over_white(rgba, out, width * height);
    }
    // Reads the chunks after the image data through IEND, so a file cut off after the
    // last IDAT (or with a damaged IEND) is reported rather than silently accepted.
    png_read_end(png, NULL);

    free(rgba);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    return CIMAGE_OK;
}

const cimage_codec cimage_png = {read_info, decode_rgb8};
