#include "shim_common.h"

#include <string.h>

void shim_copy_text(char *destination, size_t capacity, const char *text) {
    if (destination == NULL || capacity == 0) {
        return;
    }
    if (text == NULL) {
        text = "unknown error";
    }
    size_t length = strlen(text);
    if (length > capacity - 1) {
        length = capacity - 1;
    }
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        destination[i] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    // Libraries often end their messages with a newline or period-space; trim trailing spaces.
    while (length > 0 && destination[length - 1] == ' ') {
        length--;
    }
    destination[length] = '\0';
}

void shim_rgba_over_white(const unsigned char *rgba, unsigned char *rgb, size_t pixels) {
    for (size_t i = 0; i < pixels; i++) {
        unsigned a = rgba[3];
        unsigned background = 255 * (255 - a) + 127;
        rgb[0] = (unsigned char)((rgba[0] * a + background) / 255);
        rgb[1] = (unsigned char)((rgba[1] * a + background) / 255);
        rgb[2] = (unsigned char)((rgba[2] * a + background) / 255);
        rgba += 4;
        rgb += 3;
    }
}

void shim_premultiplied_over_white(const unsigned char *rgba, unsigned char *rgb, size_t pixels) {
    for (size_t i = 0; i < pixels; i++) {
        unsigned background = 255u - rgba[3];
        for (int c = 0; c < 3; c++) {
            unsigned value = rgba[c] + background;
            rgb[c] = (unsigned char)(value > 255 ? 255 : value);
        }
        rgba += 4;
        rgb += 3;
    }
}
