// libwebp never exits or longjmps: every call returns a status, so this shim only turns
// statuses into messages and picks the right decoding path (still or animated, with or
// without alpha).
#include "cimage_codecs.h"
#include "shim_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

static const char *status_text(VP8StatusCode status) {
    switch (status) {
    case VP8_STATUS_OK: return "ok";
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "corrupt WebP bitstream";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported WebP feature";
    case VP8_STATUS_SUSPENDED: return "WebP decoding suspended";
    case VP8_STATUS_USER_ABORT: return "WebP decoding aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "truncated WebP: the data ends early";
    }
    return "unknown WebP error";
}

static int read_info(const unsigned char *data, size_t size, cimage_info *info,
                     unsigned char *exif, size_t exif_capacity,
                     char *message, size_t message_capacity) {
    memset(info, 0, sizeof *info);
    WebPBitstreamFeatures features;
    VP8StatusCode status = WebPGetFeatures(data, size, &features);
    if (status != VP8_STATUS_OK) {
        shim_copy_text(message, message_capacity, status_text(status));
        return CIMAGE_ERROR;
    }
    info->width = features.width;
    info->height = features.height;
    // The EXIF chunk (extended format only). A file the demuxer cannot parse simply has none
    // here; decoding reports what is wrong with it.
    WebPData webp = {data, size};
    WebPDemuxer *demux = WebPDemux(&webp);
    if (demux != NULL) {
        WebPChunkIterator chunk;
        if (WebPDemuxGetChunk(demux, "EXIF", 1, &chunk)) {
            size_t length = chunk.chunk.size < exif_capacity ? chunk.chunk.size : exif_capacity;
            memcpy(exif, chunk.chunk.bytes, length);
            info->exif_length = length;
            WebPDemuxReleaseChunkIterator(&chunk);
        }
        WebPDemuxDelete(demux);
    }
    return CIMAGE_OK;
}

// The first frame of an animation, composed on the canvas by libwebpdemux.
static int decode_first_frame(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                              char *message, size_t message_capacity) {
    WebPData webp = {data, size};
    WebPAnimDecoderOptions options;
    if (!WebPAnimDecoderOptionsInit(&options)) {
        shim_copy_text(message, message_capacity, "libwebp version mismatch");
        return CIMAGE_ERROR;
    }
    options.color_mode = MODE_RGBA;
    options.use_threads = 0;
    WebPAnimDecoder *decoder = WebPAnimDecoderNew(&webp, &options);
    if (decoder == NULL) {
        shim_copy_text(message, message_capacity, "corrupt animated WebP");
        return CIMAGE_ERROR;
    }
    WebPAnimInfo animation;
    uint8_t *canvas = NULL;
    int timestamp = 0;
    int ok = WebPAnimDecoderGetInfo(decoder, &animation)
        && (size_t)animation.canvas_width * animation.canvas_height * 3 == out_capacity
        && WebPAnimDecoderGetNext(decoder, &canvas, &timestamp);
    if (ok) {
        shim_rgba_over_white(canvas, out, (size_t)animation.canvas_width * animation.canvas_height);
    } else {
        shim_copy_text(message, message_capacity, "corrupt or truncated animated WebP");
    }
    WebPAnimDecoderDelete(decoder);
    return ok ? CIMAGE_OK : CIMAGE_ERROR;
}

static int decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                       char *message, size_t message_capacity) {
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) {
        shim_copy_text(message, message_capacity, "libwebp version mismatch");
        return CIMAGE_ERROR;
    }
    VP8StatusCode status = WebPGetFeatures(data, size, &config.input);
    if (status != VP8_STATUS_OK) {
        shim_copy_text(message, message_capacity, status_text(status));
        return CIMAGE_ERROR;
    }
    if (config.input.has_animation) {
        return decode_first_frame(data, size, out, out_capacity, message, message_capacity);
    }
    size_t width = (size_t)config.input.width;
    size_t height = (size_t)config.input.height;
    if (width * height * 3 != out_capacity) {
        shim_copy_text(message, message_capacity, "output buffer does not match the image size");
        return CIMAGE_ERROR;
    }
    unsigned char *rgba = NULL;
    config.output.is_external_memory = 1;
    if (config.input.has_alpha) {
        // Straight (not premultiplied) RGBA, then over white.
        rgba = malloc(width * height * 4);
        if (rgba == NULL) {
            shim_copy_text(message, message_capacity, "out of memory");
            return CIMAGE_ERROR;
        }
        config.output.colorspace = MODE_RGBA;
        config.output.u.RGBA.rgba = rgba;
        config.output.u.RGBA.stride = (int)(width * 4);
        config.output.u.RGBA.size = width * height * 4;
    } else {
        // Straight into the caller's buffer.
        config.output.colorspace = MODE_RGB;
        config.output.u.RGBA.rgba = out;
        config.output.u.RGBA.stride = (int)(width * 3);
        config.output.u.RGBA.size = out_capacity;
    }
    status = WebPDecode(data, size, &config);
    if (status == VP8_STATUS_OK && rgba != NULL) {
        shim_rgba_over_white(rgba, out, width * height);
    }
    free(rgba);
    WebPFreeDecBuffer(&config.output);
    if (status != VP8_STATUS_OK) {
        shim_copy_text(message, message_capacity, status_text(status));
        return CIMAGE_ERROR;
    }
    return CIMAGE_OK;
}

const cimage_codec cimage_webp = {read_info, decode_rgb8};
