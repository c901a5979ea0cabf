// JPEG through libjpeg(-turbo): the cimage_jpeg codec of cimage_codecs.h. libjpeg reports fatal errors through error_exit (which must not
// return) and warnings through emit_message; both are replaced here so that nothing is
// printed and the process never exits: errors longjmp back to the public function.
#include "cimage_codecs.h"

#include <setjmp.h>
#include <stdio.h>  // jpeglib.h needs FILE and size_t declared first
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr base;  // must be first: libjpeg hands us a jpeg_error_mgr *
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} shim_error_mgr;

static void store_message(j_common_ptr cinfo) {
    shim_error_mgr *err = (shim_error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
}

static void shim_error_exit(j_common_ptr cinfo) {
    store_message(cinfo);
    longjmp(((shim_error_mgr *)cinfo->err)->jump, 1);
}

// libjpeg's default prints to stderr; we keep the text instead (only used if some code
// path calls output_message directly).
static void shim_output_message(j_common_ptr cinfo) {
    store_message(cinfo);
}

// Warnings that do not mean lost or damaged pixels. Everything else libjpeg "only warns
// about" (premature end of file/segment, bad Huffman code, missing restart marker...)
// would otherwise produce a silently grey or garbled image, so it is treated as an error.
static int is_harmless_warning(j_common_ptr cinfo) {
    switch (cinfo->err->msg_code) {
    case JWRN_JFIF_MAJOR:   // unknown JFIF version: the data itself decodes fine
    case JWRN_ADOBE_XFORM:  // unknown Adobe transform: libjpeg falls back to a sane guess
    case JWRN_BOGUS_ICC:    // we ignore ICC profiles anyway
        return 1;
    case JWRN_EXTRANEOUS_DATA:
        // Junk bytes before the end-of-image marker, after the last scan: the picture is
        // complete. Common in real photo collections, so only this placement is accepted.
        return cinfo->err->msg_parm.i[1] == (JPEG_EOI & 0xFF);
    default:
        return 0;
    }
}

static void shim_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level >= 0) {
        return;  // trace messages: never shown
    }
    if (is_harmless_warning(cinfo)) {
        cinfo->err->num_warnings++;
        return;
    }
    shim_error_exit(cinfo);
}

// A progressive (or multi-scan) JPEG may hold any number of scans, and each scan visits every
// block of its component, yet one end-of-band run codes up to 32,767 blocks in a few bits: a
// 300 KB flat-grey 10000 x 10000 file with 694 valid scans took 31 s to decode (0.8 s with
// libjpeg's 6-scan progression). Encoders write a few dozen scans at most (libjpeg's default
// progression has 10), so more than this are refused, as djpeg -maxscans and TurboJPEG's
// scan limit allow. Found with the hand-made inputs of scripts/make_fuzz_fixtures.py.
#define CJPEG_MAX_SCANS 100

static void limit_scans(j_common_ptr cinfo) {
    j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
    if (dinfo->input_scan_number > CJPEG_MAX_SCANS) {
        shim_error_mgr *err = (shim_error_mgr *)cinfo->err;
        snprintf(err->message, sizeof err->message,
                 "JPEG file has more than %d scans", CJPEG_MAX_SCANS);
        longjmp(err->jump, 1);
    }
}

static void copy_message(const char *text, char *message, size_t capacity) {
    if (message == NULL || capacity == 0) {
        return;
    }
    strncpy(message, text, capacity - 1);
    message[capacity - 1] = '\0';
}

static void install_error_manager(struct jpeg_decompress_struct *cinfo, shim_error_mgr *err) {
    cinfo->err = jpeg_std_error(&err->base);
    err->base.error_exit = shim_error_exit;
    err->base.output_message = shim_output_message;
    err->base.emit_message = shim_emit_message;
    err->message[0] = '\0';
}

static void copy_exif(struct jpeg_decompress_struct *cinfo, cimage_info *info,
                      unsigned char *exif, size_t capacity) {
    static const unsigned char signature[6] = {'E', 'x', 'i', 'f', 0, 0};
    for (jpeg_saved_marker_ptr marker = cinfo->marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker != JPEG_APP0 + 1 || marker->data_length < sizeof signature ||
            memcmp(marker->data, signature, sizeof signature) != 0) {
            continue;
        }
        size_t length = marker->data_length - sizeof signature;
        if (length > capacity) {
            length = capacity;
        }
        memcpy(exif, marker->data + sizeof signature, length);
        info->exif_length = length;
        return;
    }
}

// Reads the header (up to the first scan); the first APP1 Exif payload (the bytes after
// "Exif\0\0") is copied into `exif`, truncated to its capacity.
static int read_info(const unsigned char *data, size_t size, cimage_info *info,
                     unsigned char *exif, size_t exif_capacity,
                     char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    shim_error_mgr err;
    install_error_manager(&cinfo, &err);
    memset(info, 0, sizeof *info);
    if (setjmp(err.jump)) {
        copy_message(err.message, message, message_capacity);
        jpeg_destroy_decompress(&cinfo);
        return CIMAGE_ERROR;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    if (exif != NULL) {
        jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    }
    jpeg_read_header(&cinfo, TRUE);
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    if (exif != NULL) {
        copy_exif(&cinfo, info, exif, exif_capacity);
    }
    jpeg_destroy_decompress(&cinfo);
    return CIMAGE_OK;
}

// CMYK -> RGB: R = 255 (1 - C)(1 - K), rounded, with C and K as ink amounts. Adobe
// (Photoshop) files store 255 - ink, so there the formula becomes R = C * K / 255.
static void cmyk_row_to_rgb(const JSAMPLE *cmyk, unsigned char *rgb, JDIMENSION width, int inverted) {
    for (JDIMENSION x = 0; x < width; x++) {
        unsigned c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
        if (!inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        rgb[0] = (unsigned char)((c * k + 127) / 255);
        rgb[1] = (unsigned char)((m * k + 127) / 255);
        rgb[2] = (unsigned char)((y * k + 127) / 255);
        cmyk += 4;
        rgb += 3;
    }
}

// Grayscale is replicated to RGB; CMYK and YCCK are converted to RGB (Adobe files store
// inverted CMYK, which is detected from the APP14 marker). Corrupt-data warnings (truncated
// file, bad Huffman code...) are errors.
static int decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                       char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    shim_error_mgr err;
    struct jpeg_progress_mgr progress = {0};
    install_error_manager(&cinfo, &err);
    if (setjmp(err.jump)) {
        copy_message(err.message, message, message_capacity);
        jpeg_destroy_decompress(&cinfo);
        return CIMAGE_ERROR;
    }
    jpeg_create_decompress(&cinfo);
    progress.progress_monitor = limit_scans;  // called before each chunk of input is consumed
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    // Four-component files are read as raw CMYK (libjpeg converts YCCK -> CMYK itself)
    // and converted below; everything else goes straight to RGB, libjpeg's fast path.
    int is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = is_cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);

    size_t row_bytes = (size_t)cinfo.output_width * 3;
    if (row_bytes == 0 || (size_t)cinfo.output_height > out_capacity / row_bytes) {
        copy_message("output buffer too small", message, message_capacity);
        jpeg_destroy_decompress(&cinfo);
        return CIMAGE_ERROR;
    }

    if (is_cmyk) {
        // One CMYK row at a time; the row lives in libjpeg's image pool, so it is freed by
        // jpeg_destroy_decompress even when an error longjmps out of the loop.
        JSAMPARRAY cmyk_row = (*cinfo.mem->alloc_sarray)(
            (j_common_ptr)&cinfo, JPOOL_IMAGE, cinfo.output_width * 4, 1);
        int inverted = cinfo.saw_Adobe_marker;
        while (cinfo.output_scanline < cinfo.output_height) {
            unsigned char *rgb = out + (size_t)cinfo.output_scanline * row_bytes;
            jpeg_read_scanlines(&cinfo, cmyk_row, 1);
            cmyk_row_to_rgb(cmyk_row[0], rgb, cinfo.output_width, inverted);
        }
    } else {
        // Decode straight into the caller's buffer, several rows per call.
        JSAMPROW rows[16];
        while (cinfo.output_scanline < cinfo.output_height) {
            JDIMENSION count = cinfo.output_height - cinfo.output_scanline;
            if (count > 16) {
                count = 16;
            }
            for (JDIMENSION i = 0; i < count; i++) {
                rows[i] = out + (size_t)(cinfo.output_scanline + i) * row_bytes;
            }
            jpeg_read_scanlines(&cinfo, rows, count);
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return CIMAGE_OK;
}

const cimage_codec cimage_jpeg = {read_info, decode_rgb8};
