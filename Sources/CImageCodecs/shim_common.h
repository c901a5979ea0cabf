// What every shim in this target shares: copying a library's message out, and compositing
// transparent pixels over white.
#ifndef CIMAGE_SHIM_COMMON_H
#define CIMAGE_SHIM_COMMON_H

#include <stddef.h>

/// Copies `text` into `destination` (truncated, always NUL-terminated), replacing line
/// breaks with spaces so a library's message stays on one line.
void shim_copy_text(char *destination, size_t capacity, const char *text);

/// Straight (unassociated) RGBA → RGB over white: out = (c*a + 255*(255-a) + 127) / 255,
/// the same integer rule as the PNG decoder and the fixtures.
void shim_rgba_over_white(const unsigned char *rgba, unsigned char *rgb, size_t pixels);

/// Premultiplied RGBA (c' = c*a/255) → RGB over white: out = c' + 255 - a, clamped.
void shim_premultiplied_over_white(const unsigned char *rgba, unsigned char *rgb, size_t pixels);

#endif
