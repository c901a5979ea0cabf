#!/usr/bin/env python3
"""Make the image-decoding test fixtures under Tests/Fixtures/decoding/.

Run once (python3 scripts/make_decoder_fixtures.py) and commit the output; the Swift
tests never run Python. Every image is built from integer arithmetic (no randomness),
so re-running gives the same pixels; only JPEG bytes may differ if Pillow's bundled
libjpeg changes.

For every good image we store the pixels the Swift decoder must produce as raw RGB8
(`.rgb`, row-major, no header) and list it in index.json with its size and the allowed
per-channel difference (0 for PNG, 2 for JPEG, whose IDCT may differ by a rounding step
between libjpeg builds). The rules the expected pixels follow, mirrored by the decoder:

* alpha is composited over white: out = (c*a + 255*(255-a) + 127) // 255
* 16-bit samples are scaled to 8 bits with rounding: out = (v + 128) // 257
  (libpng's png_set_scale_16; Pillow instead keeps the high byte, so 16-bit expectations
  come from the source arrays, not from Pillow)
* CMYK: R = (255-C)(255-K)/255 rounded, where C, K are "ink amounts"; JPEGs with an
  Adobe APP14 marker store inverted samples (255 - ink).
* EXIF orientation 1-8 is applied (the output is what a viewer shows).
"""
import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "decoding"

# Odd, non-square size: rotations change the shape and off-by-one bugs show.
W, H = 17, 13
JPEG_TOLERANCE = 2

index = {"images": {}, "resize": [], "bad": {}}


def write(rel, data):
    path = OUT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def add_image(rel, data, expected, tolerance, into=index):
    """Store a good image and the RGB8 pixels the decoder must produce for it, listed in `into`."""
    expected = np.ascontiguousarray(expected, dtype=np.uint8)
    assert expected.ndim == 3 and expected.shape[2] == 3, expected.shape
    write(rel, data)
    rgb_rel = rel.rsplit(".", 1)[0] + ".rgb"
    assert rgb_rel not in {entry["expected"] for entry in into["images"].values()}, rel
    write(rgb_rel, expected.tobytes())
    into["images"][rel] = {
        "width": int(expected.shape[1]),
        "height": int(expected.shape[0]),
        "expected": rgb_rel,
        "tolerance": tolerance,
    }


def add_bad(rel, data, kind, into=index):
    write(rel, data)
    into["bad"][rel] = kind


# ---------------------------------------------------------------- source pixels

def rgb_pattern(w=W, h=H):
    """Gradients in different directions plus a white top-left block: every
    flip/rotation of it is distinguishable."""
    y, x = np.mgrid[0:h, 0:w]
    r = x * 255 // (w - 1)
    g = y * 255 // (h - 1)
    b = (x * 11 + y * 23) % 256
    img = np.stack([r, g, b], axis=-1).astype(np.uint8)
    img[0:3, 0:4] = 255
    return img


def alpha_pattern(w=W, h=H):
    """Alpha from 0 to 255 along x, with fully transparent and fully opaque columns."""
    y, x = np.mgrid[0:h, 0:w]
    a = (x * 255 // (w - 1) + y * 3) % 256
    a[:, 0] = 0
    a[:, -1] = 255
    return a.astype(np.uint8)


def sixteen_bit_pattern(channels, w=W, h=H):
    """16-bit samples spread over the whole range, including values on both sides of
    every rounding boundary of v/257 (k*257 + 128 and k*257 + 129)."""
    y, x = np.mgrid[0:h, 0:w]
    planes = []
    for c in range(channels):
        v = (x * 4099 + y * 30011 + c * 7919) % 65536
        planes.append(v)
    img = np.stack(planes, axis=-1).astype(np.int64)
    img[0, 0:channels] = 0
    img[0, 1, :] = 65535
    img[1, 0, :] = 3 * 257 + 128
    img[1, 1, :] = 3 * 257 + 129
    return img.astype(np.uint16)


# ---------------------------------------------------------------- expected-pixel rules

def over_white(rgb, alpha):
    rgb = rgb.astype(np.int64)
    a = alpha.astype(np.int64)[..., None]
    return ((rgb * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def scale16(v):
    return ((v.astype(np.int64) + 128) // 257).astype(np.uint8)


def gray_to_rgb(g):
    return np.repeat(g[..., None], 3, axis=-1)


def cmyk_ink_to_rgb(ink):
    """ink: H x W x 4 ink amounts (0 = no ink)."""
    ink = ink.astype(np.int64)
    k = 255 - ink[..., 3:4]
    return (((255 - ink[..., :3]) * k + 127) // 255).astype(np.uint8)


# ---------------------------------------------------------------- PNG writer
# Pillow cannot write 16-bit RGB(A), colour-key tRNS on RGB, or Adam7 interlacing,
# so those files are written here byte by byte.

def png_chunk(tag, payload):
    crc = zlib.crc32(tag + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", crc)


def scanline_bytes(samples, bit_depth):
    """samples: H x W x C integer array -> list of unfiltered row byte strings."""
    rows = []
    for row in samples:
        if bit_depth == 16:
            rows.append(row.astype(">u2").tobytes())
        elif bit_depth == 8:
            rows.append(row.astype(np.uint8).tobytes())
        else:
            flat = row.reshape(-1)
            per_byte = 8 // bit_depth
            out = bytearray()
            for i in range(0, len(flat), per_byte):
                byte = 0
                for j in range(per_byte):
                    value = int(flat[i + j]) if i + j < len(flat) else 0
                    byte |= value << (8 - bit_depth * (j + 1))
                out.append(byte)
            rows.append(bytes(out))
    return rows


def filter_rows(rows, bytes_per_pixel):
    """Cycle through filter types None, Sub and Up so libpng's unfiltering is exercised."""
    out = bytearray()
    previous = bytes(len(rows[0])) if rows else b""
    for i, row in enumerate(rows):
        kind = i % 3
        if kind == 0:
            filtered = row
        elif kind == 1:
            filtered = bytes(
                (row[j] - (row[j - bytes_per_pixel] if j >= bytes_per_pixel else 0)) & 0xFF
                for j in range(len(row)))
        else:
            filtered = bytes((row[j] - previous[j]) & 0xFF for j in range(len(row)))
        out.append(kind)
        out += filtered
        previous = row
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def make_png(samples, color_type, bit_depth, palette=None, trns=None, interlace=False):
    h, w = samples.shape[:2]
    if samples.ndim == 2:
        samples = samples[..., None]
    channels = samples.shape[2]
    bytes_per_pixel = max(1, channels * bit_depth // 8)
    if interlace:
        data = b""
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                data += filter_rows(scanline_bytes(sub, bit_depth), bytes_per_pixel)
    else:
        data = filter_rows(scanline_bytes(samples, bit_depth), bytes_per_pixel)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    if palette is not None:
        png += png_chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        png += png_chunk(b"tRNS", trns)
    png += png_chunk(b"IDAT", zlib.compress(data, 9)) + png_chunk(b"IEND", b"")
    return png


def pillow_bytes(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def pillow_rgba(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def check_against_pillow(data, expected):
    """For 8-bit PNGs Pillow decodes correctly: make sure our rules agree with it."""
    rgba = pillow_rgba(data)
    assert np.array_equal(over_white(rgba[..., :3], rgba[..., 3]), expected)


# ---------------------------------------------------------------- PNG fixtures

def make_png_fixtures():
    rgb = rgb_pattern()
    alpha = alpha_pattern()
    gray = rgb[..., 0] // 2 + rgb[..., 1] // 3 + rgb[..., 2] // 7

    data = pillow_bytes(Image.fromarray(gray, "L"), "PNG")
    add_image("png/gray8.png", data, gray_to_rgb(gray), 0)
    check_against_pillow(data, gray_to_rgb(gray))

    bits = ((np.mgrid[0:H, 0:W][0] + np.mgrid[0:H, 0:W][1]) % 3 == 0)
    one_bit = Image.fromarray((bits * 255).astype(np.uint8), "L").convert("1")
    data = pillow_bytes(one_bit, "PNG")
    expected = gray_to_rgb((bits * 255).astype(np.uint8))
    add_image("png/gray1.png", data, expected, 0)
    check_against_pillow(data, expected)

    data = pillow_bytes(Image.fromarray(np.stack([gray, alpha], -1), "LA"), "PNG")
    expected = over_white(gray_to_rgb(gray), alpha)
    add_image("png/gray_alpha.png", data, expected, 0)
    check_against_pillow(data, expected)

    data = pillow_bytes(Image.fromarray(rgb, "RGB"), "PNG")
    add_image("png/rgb.png", data, rgb, 0)
    check_against_pillow(data, rgb)

    data = pillow_bytes(Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), "PNG")
    expected = over_white(rgb, alpha)
    add_image("png/rgba.png", data, expected, 0)
    check_against_pillow(data, expected)

    # 8-bit palette with 64 colours; 4-bit palette with 16 colours.
    y, x = np.mgrid[0:H, 0:W]
    indices = ((x * 5 + y * 3) % 64).astype(np.uint8)
    palette = np.array([[(i * 37) % 256, (i * 91) % 256, (255 - i * 4) % 256] for i in range(64)], np.uint8)
    image = Image.fromarray(indices, "P")
    image.putpalette(palette.reshape(-1).tolist())
    data = pillow_bytes(image, "PNG")
    add_image("png/palette8.png", data, palette[indices], 0)
    check_against_pillow(data, palette[indices])
    assert data[24] == 8 and data[25] == 3  # bit depth, colour type

    small = (indices % 16).astype(np.uint8)
    image = Image.fromarray(small, "P")
    image.putpalette(palette[:16].reshape(-1).tolist())
    data = pillow_bytes(image, "PNG", bits=4)
    assert data[24] == 4 and data[25] == 3
    add_image("png/palette4.png", data, palette[:16][small], 0)
    check_against_pillow(data, palette[:16][small])

    # Palette with per-entry transparency (tRNS): entry i has alpha (i * 17) % 256, entry 0 clear.
    palette_alpha = np.array([(i * 17) % 256 for i in range(64)], np.uint8)
    palette_alpha[0] = 0
    image = Image.fromarray(indices, "P")
    image.putpalette(palette.reshape(-1).tolist())
    data = pillow_bytes(image, "PNG", transparency=bytes(palette_alpha))
    assert b"tRNS" in data
    expected = over_white(palette[indices], palette_alpha[indices])
    add_image("png/palette_trns.png", data, expected, 0)
    check_against_pillow(data, expected)

    # RGB with a colour-key tRNS: pixels equal to the key become transparent (white).
    keyed = rgb.copy()
    keyed[5:8, 6:10] = (10, 20, 30)
    data = make_png(keyed, color_type=2, bit_depth=8, trns=struct.pack(">HHH", 10, 20, 30))
    key_alpha = np.where(np.all(keyed == (10, 20, 30), axis=-1), 0, 255).astype(np.uint8)
    expected = over_white(keyed, key_alpha)
    add_image("png/rgb_trns.png", data, expected, 0)
    check_against_pillow(data, expected)

    # 16-bit: gray, RGB, RGBA (alpha scaled to 8 bits first, then composited).
    g16 = sixteen_bit_pattern(1)[..., 0]
    data = make_png(g16, color_type=0, bit_depth=16)
    add_image("png/gray16.png", data, gray_to_rgb(scale16(g16)), 0)

    rgb16 = sixteen_bit_pattern(3)
    data = make_png(rgb16, color_type=2, bit_depth=16)
    add_image("png/rgb16.png", data, scale16(rgb16), 0)
    # Pillow keeps the high byte of 16-bit RGB; rounding differs from it by at most 1.
    assert np.abs(np.asarray(Image.open(io.BytesIO(data))).astype(int) - scale16(rgb16)).max() <= 1

    rgba16 = sixteen_bit_pattern(4)
    data = make_png(rgba16, color_type=6, bit_depth=16)
    add_image("png/rgba16.png", data, over_white(scale16(rgba16[..., :3]), scale16(rgba16[..., 3])), 0)

    # Adam7 interlaced.
    data = make_png(rgb, color_type=2, bit_depth=8, interlace=True)
    add_image("png/adam7_rgb.png", data, rgb, 0)
    check_against_pillow(data, rgb)
    assert Image.open(io.BytesIO(data)).info.get("interlace") == 1

    data = make_png(rgba16, color_type=6, bit_depth=16, interlace=True)
    add_image("png/adam7_rgba16.png", data,
              over_white(scale16(rgba16[..., :3]), scale16(rgba16[..., 3])), 0)

    data = make_png(indices, color_type=3, bit_depth=8, palette=palette,
                    trns=bytes(palette_alpha), interlace=True)
    add_image("png/adam7_palette_trns.png", data, over_white(palette[indices], palette_alpha[indices]), 0)

    # A damaged ancillary chunk: libpng only warns ("tEXt: CRC error") and skips it, and
    # that warning must not reach stderr. The pixels are those of png/rgb.png.
    rgb_png = pillow_bytes(Image.fromarray(rgb, "RGB"), "PNG")
    text = png_chunk(b"tEXt", b"Comment\x00damaged on purpose")
    text = text[:-1] + bytes([text[-1] ^ 0xFF])
    iend = rgb_png.rindex(b"IEND") - 4
    add_image("png/ancillary_bad_crc.png", rgb_png[:iend] + text + rgb_png[iend:], rgb, 0)


# ---------------------------------------------------------------- JPEG fixtures

def pillow_decode_rgb(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def find_segment(data, marker):
    """Offset of the first segment with this marker byte (0xFF <marker>), scanning headers."""
    pos = 2
    while pos < len(data):
        assert data[pos] == 0xFF
        kind = data[pos + 1]
        if kind == marker:
            return pos
        if kind == 0xDA:  # start of scan: headers are over
            break
        pos += 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
    raise ValueError("marker not found")


def exif_payload(orientation, big_endian):
    """APP1 Exif payload: a TIFF header and IFD0 with Make (ASCII, stored out of line),
    Orientation and XResolution (rational, out of line): the parser has to walk entries."""
    e = ">" if big_endian else "<"
    make = b"caption\x00"
    entry_count = 3
    ifd_size = 2 + entry_count * 12 + 4
    make_offset = 8 + ifd_size
    rational_offset = make_offset + len(make)
    entries = [
        struct.pack(e + "HHII", 0x010F, 2, len(make), make_offset),
        struct.pack(e + "HHI", 0x0112, 3, 1) + struct.pack(e + "HH", orientation, 0),
        struct.pack(e + "HHII", 0x011A, 5, 1, rational_offset),
    ]
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    tiff += struct.pack(e + "H", entry_count) + b"".join(entries) + struct.pack(e + "I", 0)
    tiff += make + struct.pack(e + "II", 72, 1)
    return b"Exif\x00\x00" + tiff


def orient(pixels, orientation):
    """What a viewer shows for a stored image with this EXIF orientation."""
    return {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],                      # mirror left-right
        3: lambda a: a[::-1, ::-1],                   # rotate 180
        4: lambda a: a[::-1, :],                      # mirror top-bottom
        5: lambda a: a.transpose(1, 0, 2),            # transpose
        6: lambda a: np.rot90(a, k=-1),               # rotate 90 clockwise
        7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],  # transverse
        8: lambda a: np.rot90(a, k=1),                # rotate 90 counter-clockwise
    }[orientation](pixels)


def make_jpeg_fixtures():
    rgb = rgb_pattern()
    image = Image.fromarray(rgb, "RGB")

    baseline = pillow_bytes(image, "JPEG", quality=90)
    add_image("jpeg/baseline.jpg", baseline, pillow_decode_rgb(baseline), JPEG_TOLERANCE)

    data = pillow_bytes(image, "JPEG", quality=90, subsampling=0)
    add_image("jpeg/baseline444.jpg", data, pillow_decode_rgb(data), JPEG_TOLERANCE)

    progressive = pillow_bytes(image, "JPEG", quality=90, progressive=True)
    assert find_segment(progressive, 0xC2)  # SOF2: progressive
    add_image("jpeg/progressive.jpg", progressive, pillow_decode_rgb(progressive), JPEG_TOLERANCE)

    # Junk between the last scan and the end-of-image marker: libjpeg warns "Corrupt JPEG
    # data: N extraneous bytes before marker 0xd9" but the picture is complete, so it must
    # decode (such files are common in photo collections) and print nothing. 32 bytes,
    # because libjpeg-turbo reads a few bytes ahead into its bit buffer and a shorter run
    # of junk would be swallowed without the warning.
    assert baseline.endswith(b"\xff\xd9")
    junk = baseline[:-2] + bytes(range(1, 33)) + baseline[-2:]
    add_image("jpeg/trailing_junk.jpg", junk, pillow_decode_rgb(baseline), JPEG_TOLERANCE)

    gray = pillow_bytes(image.convert("L"), "JPEG", quality=90)
    add_image("jpeg/gray.jpg", gray, pillow_decode_rgb(gray), JPEG_TOLERANCE)

    # CMYK. Pillow writes inverted samples plus an Adobe APP14 marker (transform 0).
    y, x = np.mgrid[0:H, 0:W]
    ink = np.stack([x * 255 // (W - 1), y * 255 // (H - 1), (x * 9 + y * 5) % 200,
                    ((x + y) * 6) % 160], axis=-1).astype(np.uint8)
    adobe = pillow_bytes(Image.fromarray(ink, "CMYK"), "JPEG", quality=95)
    app14 = find_segment(adobe, 0xEE)
    assert adobe[app14 + 4:app14 + 9] == b"Adobe" and adobe[app14 + 15] == 0
    # Pillow reads CMYK JPEGs as inverted ("CMYK;I"), so it hands back ink amounts.
    decoded_ink = np.asarray(Image.open(io.BytesIO(adobe)))
    add_image("jpeg/cmyk_adobe.jpg", adobe, cmyk_ink_to_rgb(decoded_ink), JPEG_TOLERANCE)

    # Same scan data without the Adobe marker: the stored samples are now ink amounts
    # themselves (stored = 255 - Pillow's ink reading above).
    length = struct.unpack(">H", adobe[app14 + 2:app14 + 4])[0]
    plain = adobe[:app14] + adobe[app14 + 2 + length:]
    add_image("jpeg/cmyk_plain.jpg", plain, cmyk_ink_to_rgb(255 - decoded_ink), JPEG_TOLERANCE)

    # YCCK (Adobe transform 2): the first three components hold YCbCr of (255 - stored C,M,Y).
    # Encode those components through Pillow's CMYK path (which inverts), then mark the
    # Adobe transform as 2 so decoders convert YCC -> inverted CMY.
    stored = 255 - ink.astype(np.float64)             # Adobe-inverted CMYK samples
    r, g, b = 255 - stored[..., 0], 255 - stored[..., 1], 255 - stored[..., 2]
    yy = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
    components = np.clip(np.round(np.stack([yy, cb, cr, stored[..., 3]], -1)), 0, 255).astype(np.uint8)
    ycck = bytearray(pillow_bytes(Image.fromarray(255 - components, "CMYK"), "JPEG", quality=95))
    app14 = find_segment(bytes(ycck), 0xEE)
    ycck[app14 + 15] = 2
    ycck = bytes(ycck)
    decoded_ink = np.asarray(Image.open(io.BytesIO(ycck)))
    assert Image.open(io.BytesIO(ycck)).info.get("adobe_transform") == 2
    assert np.abs(decoded_ink.astype(int) - ink).max() <= 8  # the YCC round trip worked
    add_image("jpeg/ycck_adobe.jpg", ycck, cmyk_ink_to_rgb(decoded_ink), JPEG_TOLERANCE)

    # EXIF orientations 1-8; odd ones little-endian ("II"), even ones big-endian ("MM").
    stored_pixels = pillow_decode_rgb(baseline)
    for orientation in range(1, 9):
        data = pillow_bytes(image, "JPEG", quality=90,
                            exif=exif_payload(orientation, big_endian=orientation % 2 == 0))
        opened = Image.open(io.BytesIO(data))
        assert opened.getexif().get(0x0112) == orientation
        decoded = np.asarray(opened.convert("RGB"))
        assert np.array_equal(decoded, stored_pixels)
        expected = orient(decoded, orientation)
        assert np.array_equal(expected, np.asarray(ImageOps.exif_transpose(opened).convert("RGB")))
        add_image(f"jpeg/exif_orientation_{orientation}.jpg", data, expected, JPEG_TOLERANCE)

    # A photo-sized image for the speed test (pixels not stored: the test checks size and
    # a few spots).
    y, x = np.mgrid[0:375, 0:500]
    big = np.stack([x * 255 // 499, y * 255 // 374,
                    128 + 100 * np.sin(x / 23.0) * np.cos(y / 17.0)], -1)
    big = np.clip(big, 0, 255).astype(np.uint8)
    data = pillow_bytes(Image.fromarray(big, "RGB"), "JPEG", quality=80)
    write("jpeg/photo_500x375.jpg", data)
    decoded = pillow_decode_rgb(data)
    index["photo"] = {
        "file": "jpeg/photo_500x375.jpg", "width": 500, "height": 375,
        "samples": [{"x": int(px), "y": int(py), "rgb": [int(v) for v in decoded[py, px]]}
                    for px, py in [(0, 0), (499, 0), (0, 374), (499, 374), (250, 187), (123, 321)]],
        "tolerance": JPEG_TOLERANCE,
    }
    return baseline, progressive


# ---------------------------------------------------------------- bad files

def make_bad_fixtures(baseline, progressive):
    add_bad("bad/empty.jpg", b"", "emptyFile")
    add_bad("bad/text.jpg", b"This is a text file with a .jpg name, not an image.\n", "unknownFormat")
    add_bad("bad/jpeg_signature_only.jpg", b"\xff\xd8\xff", "corrupt")
    add_bad("bad/truncated.jpg", baseline[:len(baseline) * 6 // 10], "corrupt")
    add_bad("bad/truncated_progressive.jpg", progressive[:len(progressive) * 6 // 10], "corrupt")

    png = (OUT / "png/rgb.png").read_bytes()
    add_bad("bad/truncated.png", png[:len(png) * 6 // 10], "corrupt")

    # Flip a bit in the IDAT chunk's CRC.
    idat = png.index(b"IDAT")
    length = struct.unpack(">I", png[idat - 4:idat])[0]
    crc_at = idat + 4 + length
    bad_crc = png[:crc_at] + bytes([png[crc_at] ^ 0x01]) + png[crc_at + 1:]
    add_bad("bad/bad_crc.png", bad_crc, "corrupt")

    # Decompression bombs: tiny files whose headers claim a huge image.
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b""))
    add_bad("bad/bomb.png", bomb, "tooLarge")

    tiny = bytearray(pillow_bytes(Image.new("L", (8, 8), 128), "JPEG", quality=50))
    sof = find_segment(bytes(tiny), 0xC0)
    tiny[sof + 5:sof + 9] = struct.pack(">HH", 65000, 65000)  # height, width
    add_bad("bad/bomb.jpg", bytes(tiny), "tooLarge")

    # Huffman table whose code-length counts over-subscribe the code space: three codes of
    # length 1 (only two exist). The total symbol count is kept so the segment still parses.
    patched = bytearray(baseline)
    dht = find_segment(baseline, 0xC4)
    counts_at = dht + 5  # FF C4, length (2), class/id (1), then 16 counts
    counts = list(patched[counts_at:counts_at + 16])
    total = sum(counts)
    counts[0] = 3
    excess = sum(counts) - total
    for i in range(15, 0, -1):
        take = min(excess, counts[i])
        counts[i] -= take
        excess -= take
    assert excess == 0 and sum(counts) == total
    patched[counts_at:counts_at + 16] = bytes(counts)
    add_bad("bad/bad_huffman.jpg", bytes(patched), "corrupt")
    try:
        Image.open(io.BytesIO(bytes(patched))).load()
        raise AssertionError("Pillow decoded the bad Huffman table")
    except OSError:
        pass

    # A PNG with a .jpg name decodes: the format comes from the bytes, not the name.
    write("misnamed_png.jpg", png)


# ---------------------------------------------------------------- resize goldens

def axis_weights(n_in, n_out):
    """n_out x n_in matrix: area averaging when shrinking, bilinear with half-pixel centres
    (align_corners=False, clamped at the edges) when enlarging, identity when equal."""
    weights = np.zeros((n_out, n_in))
    if n_out == n_in:
        return np.eye(n_in)
    if n_out < n_in:
        scale = n_in / n_out
        for j in range(n_out):
            lo, hi = j * scale, (j + 1) * scale
            for i in range(int(np.floor(lo)), min(n_in, int(np.ceil(hi)))):
                weights[j, i] = (min(hi, i + 1) - max(lo, i)) / scale
    else:
        for j in range(n_out):
            src = min(max((j + 0.5) * n_in / n_out - 0.5, 0.0), n_in - 1.0)
            i0 = int(np.floor(src))
            i1 = min(i0 + 1, n_in - 1)
            f = src - i0
            weights[j, i0] += 1 - f
            weights[j, i1] += f
    return weights


def make_resize_fixtures():
    source_rel = "png/rgb.png"
    info = index["images"][source_rel]
    source = np.frombuffer((OUT / info["expected"]).read_bytes(), np.uint8).reshape(
        info["height"], info["width"], 3).astype(np.float64)
    for width, height in [(7, 5), (40, 30), (9, 20), (17, 6), (5, 13)]:
        wy = axis_weights(source.shape[0], height)
        wx = axis_weights(source.shape[1], width)
        out = np.einsum("yi,ixc,jx->yjc", wy, source, wx)
        out = np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)
        rel = f"resize/rgb_{width}x{height}.rgb"
        write(rel, out.tobytes())
        index["resize"].append({"source": source_rel, "width": width, "height": height, "expected": rel})


def main():
    make_png_fixtures()
    baseline, progressive = make_jpeg_fixtures()
    make_bad_fixtures(baseline, progressive)
    make_resize_fixtures()
    (OUT / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {len(index['images'])} images, {len(index['bad'])} bad files, "
          f"{len(index['resize'])} resize goldens; {total} bytes in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
