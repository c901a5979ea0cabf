// giflib reports every failure as GIF_ERROR plus a code (it never exits or longjmps), and
// reads through a callback, so the whole file is read from the caller's memory.
#include "cimage_codecs.h"
#include "shim_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t position;
} gif_reader;

static int read_bytes(GifFileType *gif, GifByteType *destination, int length) {
    gif_reader *reader = (gif_reader *)gif->UserData;
    size_t available = reader->size - reader->position;
    size_t count = (size_t)length < available ? (size_t)length : available;
    memcpy(destination, reader->data + reader->position, count);
    reader->position += count;
    return (int)count;  // fewer than asked: giflib reports D_GIF_ERR_READ_FAILED
}

static void fail(char *message, size_t capacity, const char *what, int code) {
    char text[200];
    const char *reason = GifErrorString(code);
    if (code == D_GIF_ERR_READ_FAILED || code == D_GIF_ERR_EOF_TOO_SOON) {
        what = "truncated";
        reason = "the data ends early";
    }
    snprintf(text, sizeof text, "%s GIF: %s", what, reason ? reason : "unknown error");
    shim_copy_text(message, capacity, text);
}

static GifFileType *open_gif(gif_reader *reader, char *message, size_t capacity) {
    int error = 0;
    GifFileType *gif = DGifOpen(reader, read_bytes, &error);
    if (gif == NULL) {
        // giflib reports a header cut short (in the colour table, say) as a bad descriptor.
        fail(message, capacity, "corrupt", reader->position >= reader->size ? D_GIF_ERR_READ_FAILED : error);
    }
    return gif;
}

static void close_gif(GifFileType *gif) {
    int error = 0;
    DGifCloseFile(gif, &error);
}

// The canvas is the logical screen, grown to hold the first frame where the frame reaches past
// it (broken encoders write a 0 x 0 screen), as browsers and Pillow do. Growing it, rather than
// cropping the frame, also keeps the pixel limit honest: every pixel the frame's LZW data
// can produce lands on the canvas whose size was checked.
typedef struct {
    int width, height;
    int transparent;  // colour index, or -1
} gif_frame_setup;

// Reads records up to and including the first image descriptor, noting the transparent
// colour of a Graphics Control Extension on the way. Returns 0 on failure (message set).
static int read_to_first_image(GifFileType *gif, gif_frame_setup *setup, char *message, size_t capacity) {
    setup->transparent = NO_TRANSPARENT_COLOR;
    for (;;) {
        GifRecordType record;
        if (DGifGetRecordType(gif, &record) == GIF_ERROR) {
            fail(message, capacity, "corrupt", gif->Error);
            return 0;
        }
        if (record == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(gif) == GIF_ERROR) {
                fail(message, capacity, "corrupt", gif->Error);
                return 0;
            }
            break;
        }
        if (record == TERMINATE_RECORD_TYPE) {
            shim_copy_text(message, capacity, "GIF has no image");
            return 0;
        }
        if (record == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType *extension = NULL;
            if (DGifGetExtension(gif, &code, &extension) == GIF_ERROR) {
                fail(message, capacity, "corrupt", gif->Error);
                return 0;
            }
            if (code == GRAPHICS_EXT_FUNC_CODE && extension != NULL && extension[0] >= 4) {
                GraphicsControlBlock control;
                if (DGifExtensionToGCB(extension[0], extension + 1, &control) == GIF_OK) {
                    setup->transparent = control.TransparentColor;
                }
            }
            while (extension != NULL) {
                if (DGifGetExtensionNext(gif, &extension) == GIF_ERROR) {
                    fail(message, capacity, "corrupt", gif->Error);
                    return 0;
                }
            }
        }
    }
    int frame_right = gif->Image.Left + gif->Image.Width;
    int frame_bottom = gif->Image.Top + gif->Image.Height;
    setup->width = gif->SWidth > frame_right ? gif->SWidth : frame_right;
    setup->height = gif->SHeight > frame_bottom ? gif->SHeight : frame_bottom;
    return 1;
}

static int read_info(const unsigned char *data, size_t size, cimage_info *info,
                     unsigned char *exif, size_t exif_capacity,
                     char *message, size_t message_capacity) {
    memset(info, 0, sizeof *info);
    gif_reader reader = {data, size, 0};
    GifFileType *gif = open_gif(&reader, message, message_capacity);
    if (gif == NULL) {
        return CIMAGE_ERROR;
    }
    gif_frame_setup setup;
    int ok = read_to_first_image(gif, &setup, message, message_capacity);
    if (ok) {
        info->width = setup.width;
        info->height = setup.height;
    }
    close_gif(gif);
    return ok ? CIMAGE_OK : CIMAGE_ERROR;
}

static int decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_capacity,
                       char *message, size_t message_capacity) {
    gif_reader reader = {data, size, 0};
    GifFileType *gif = open_gif(&reader, message, message_capacity);
    if (gif == NULL) {
        return CIMAGE_ERROR;
    }
    gif_frame_setup setup;
    GifPixelType *line = NULL;
    int ok = read_to_first_image(gif, &setup, message, message_capacity);
    const ColorMapObject *colors = gif->Image.ColorMap ? gif->Image.ColorMap : gif->SColorMap;
    size_t canvas_width = (size_t)setup.width;
    size_t canvas_height = (size_t)setup.height;
    int frame_width = gif->Image.Width;
    int frame_height = gif->Image.Height;
    if (ok && canvas_width * canvas_height * 3 != out_capacity) {
        shim_copy_text(message, message_capacity, "output buffer does not match the image size");
        ok = 0;
    }
    if (ok && colors == NULL) {
        shim_copy_text(message, message_capacity, "corrupt GIF: no colour table");
        ok = 0;
    }
    if (ok && frame_width > 0) {
        line = malloc((size_t)frame_width);
        if (line == NULL) {
            shim_copy_text(message, message_capacity, "out of memory");
            ok = 0;
        }
    }
    if (ok) {
        memset(out, 255, out_capacity);  // what the frame does not cover shows the white page
        // Interlaced frames arrive in four passes: rows 0, 8, 16…; 4, 12…; 2, 6…; 1, 3…
        static const int interlaced_start[] = {0, 4, 2, 1};
        static const int interlaced_step[] = {8, 8, 4, 2};
        int passes = gif->Image.Interlace ? 4 : 1;
        for (int pass = 0; ok && pass < passes; pass++) {
            int start = gif->Image.Interlace ? interlaced_start[pass] : 0;
            int step = gif->Image.Interlace ? interlaced_step[pass] : 1;
            for (int row = start; row < frame_height; row += step) {
                if (DGifGetLine(gif, line, frame_width) == GIF_ERROR) {
                    fail(message, message_capacity, "truncated or corrupt", gif->Error);
                    ok = 0;
                    break;
                }
                long y = (long)gif->Image.Top + row;
                if (y < 0 || (size_t)y >= canvas_height) {
                    continue;  // off the screen: read, then dropped
                }
                for (int column = 0; column < frame_width; column++) {
                    long x = (long)gif->Image.Left + column;
                    int index = line[column];
                    if (x < 0 || (size_t)x >= canvas_width || index == setup.transparent) {
                        continue;
                    }
                    unsigned char *pixel = out + ((size_t)y * canvas_width + (size_t)x) * 3;
                    if (index < colors->ColorCount) {
                        pixel[0] = colors->Colors[index].Red;
                        pixel[1] = colors->Colors[index].Green;
                        pixel[2] = colors->Colors[index].Blue;
                    } else {
                        // An index past the colour table: black, as browsers draw it.
                        pixel[0] = pixel[1] = pixel[2] = 0;
                    }
                }
            }
        }
    }
    free(line);
    close_gif(gif);
    return ok ? CIMAGE_OK : CIMAGE_ERROR;
}

const cimage_codec cimage_gif = {read_info, decode_rgb8};
