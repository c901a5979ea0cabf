// libheif's C API returns a heif_error from every call (its C++ exceptions never cross it)
// and does not print, so this shim only turns those into messages. HEIC (HEVC, through
// libde265) and AVIF (AV1, through dav1d or aom) share the container and this code.
#include "cimage_codecs.h"
#include "shim_common.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libheif/heif.h>

static pthread_once_t initialized = PTHREAD_ONCE_INIT;

// Registers the decoder plugins once per process (heif_init is reference counted; the
// process keeps its one reference until exit).
static void initialize(void) {
    heif_init(NULL);
}

static void fail(char *message, size_t capacity, struct heif_error error) {
    char text[256];
    snprintf(text, sizeof text, "%s", error.message ? error.message : "unknown libheif error");
    shim_copy_text(message, capacity, text);
}

// Opens the container and its primary image. Returns 0 with the message set on failure;
// on success the caller releases both.
static int open_primary(const unsigned char *data, size_t size, struct heif_context **context,
                        struct heif_image_handle **handle, char *message, size_t capacity) {
    pthread_once(&initialized, initialize);
    *handle = NULL;
    *context = heif_context_alloc();
    if (*context == NULL) {
        shim_copy_text(message, capacity, "out of memory");
        return 0;
    }
    struct heif_error error = heif_context_read_from_memory_without_copy(*context, data, size, NULL);
    if (error.code == heif_error_Ok) {
        error = heif_context_get_primary_image_handle(*context, handle);
    }
    if (error.code != heif_error_Ok) {
        fail(message, capacity, error);
        heif_context_free(*context);
        *context = NULL;
        return 0;
    }
    return 1;
}

static int read_info(const unsigned char *data, size_t size, cimage_info *info,
                     unsigned char *exif, size_t exif_capacity,
                     char *message, size_t message_capacity) {
    memset(info, 0, sizeof *info);
    struct heif_context *context;
    struct heif_image_handle *handle;
    if (!open_primary(data, size, &context, &handle, message, message_capacity)) {
        return CIMAGE_ERROR;
    }
    // The size after rotation, as it will be decoded.
    info->width = heif_image_handle_get_width(handle);
    info->height = heif_image_handle_get_height(handle);
    heif_image_handle_release(handle);
    heif_context_free(context);
    return CIMAGE_OK;
}

static int decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                       char *message, size_t message_capacity) {
    struct heif_context *context;
    struct heif_image_handle *handle;
    if (!open_primary(data, size, &context, &handle, message, message_capacity)) {
        return CIMAGE_ERROR;
    }
    // The caller checked the displayed size against its pixel limit; libheif decodes the coded
    // size (ispe) and then crops (clap). Real crops trim a few rows of padding, so a coded size
    // far beyond the displayed one is a file built to slip past the limit.
    size_t coded = (size_t)heif_image_handle_get_ispe_width(handle) * (size_t)heif_image_handle_get_ispe_height(handle);
    if (coded * 3 > out_capacity * 4 + 3 * 64 * 64) {
        char text[200];
        snprintf(text, sizeof text, "HEIF image is coded at %dx%d, far larger than its %dx%d display size",
                 heif_image_handle_get_ispe_width(handle), heif_image_handle_get_ispe_height(handle),
                 heif_image_handle_get_width(handle), heif_image_handle_get_height(handle));
        shim_copy_text(message, message_capacity, text);
        heif_image_handle_release(handle);
        heif_context_free(context);
        return CIMAGE_ERROR;
    }
    int has_alpha = heif_image_handle_has_alpha_channel(handle);
    int premultiplied = heif_image_handle_is_premultiplied_alpha(handle);
    struct heif_image *image = NULL;
    struct heif_error error = heif_decode_image(
        handle, &image, heif_colorspace_RGB, has_alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, NULL);
    int ok = error.code == heif_error_Ok;
    if (!ok) {
        fail(message, message_capacity, error);
    }
    if (ok) {
        size_t width = (size_t)heif_image_get_width(image, heif_channel_interleaved);
        size_t height = (size_t)heif_image_get_height(image, heif_channel_interleaved);
        int stride = 0;
        const uint8_t *plane = heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride);
        size_t channels = has_alpha ? 4 : 3;
        if (plane == NULL || width * height * 3 != out_capacity || stride < 0 || (size_t)stride < width * channels) {
            shim_copy_text(message, message_capacity, "decoded HEIF image does not match its declared size");
            ok = 0;
        }
        for (size_t y = 0; ok && y < height; y++) {
            const uint8_t *row = plane + y * (size_t)stride;
            unsigned char *target = out + y * width * 3;
            if (!has_alpha) {
                memcpy(target, row, width * 3);
            } else if (premultiplied) {
                shim_premultiplied_over_white(row, target, width);
            } else {
                shim_rgba_over_white(row, target, width);
            }
        }
        heif_image_release(image);
    }
    heif_image_handle_release(handle);
    heif_context_free(context);
    return ok ? CIMAGE_OK : CIMAGE_ERROR;
}

const cimage_codec cimage_heif = {read_info, decode_rgb8};
