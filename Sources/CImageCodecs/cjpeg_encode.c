// See cjpeg_encode.h. Errors longjmp back here instead of libjpeg's default exit().
#include "cjpeg_encode.h"

#include <setjmp.h>
#include <stdio.h>  // jpeglib.h needs FILE and size_t declared first
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr base;  // must be first: libjpeg hands us a jpeg_error_mgr *
    jmp_buf jump;
} encode_error_mgr;

static void encode_error_exit(j_common_ptr cinfo) {
    longjmp(((encode_error_mgr *)cinfo->err)->jump, 1);
}

static void encode_output_message(j_common_ptr cinfo) {
    (void)cinfo;  // never print
}

int cjpeg_encode_rgb8(const unsigned char *pixels, int width, int height, int quality,
                      unsigned char **out, unsigned long *out_size,
                      char *message, size_t message_capacity) {
    struct jpeg_compress_struct cinfo;
    encode_error_mgr err;
    // libjpeg writes these through their addresses, so they live in memory and are still
    // valid after a longjmp.
    unsigned char *destination = NULL;
    unsigned long size = 0;
    *out = NULL;
    *out_size = 0;

    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = encode_error_exit;
    err.base.output_message = encode_output_message;
    if (setjmp(err.jump)) {
        if (message != NULL && message_capacity > 0) {
            char text[JMSG_LENGTH_MAX];
            (*cinfo.err->format_message)((j_common_ptr)&cinfo, text);
            strncpy(message, text, message_capacity - 1);
            message[message_capacity - 1] = '\0';
        }
        jpeg_destroy_compress(&cinfo);
        free(destination);
        return 1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &destination, &size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * (size_t)width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = destination;
    *out_size = size;
    return 0;
}

void cjpeg_free(unsigned char *buffer) {
    free(buffer);
}
