#!/usr/bin/env python3
"""Make the WebP, GIF, BMP, TIFF, HEIC and AVIF decoding fixtures.

Run once (python3 scripts/make_format_fixtures.py; needs numpy, Pillow >= 11.3 for AVIF and
pillow-heif for HEIC) and commit the output; the Swift tests never run Python. Writes

* Tests/Fixtures/decoding/formats/<format>/… and Tests/Fixtures/decoding/formats.json, in the
  shape of index.json: for every good image the RGB8 pixels the decoder must produce and the
  allowed per-channel difference; for every bad file the error kind;
* Tests/Fixtures/encoder/formats/chelsea.*: the encoder fixture photo in every format, for the
  "same features whatever the format" test.

Expected pixels follow the rules of make_decoder_fixtures.py (alpha over white with integer
rounding, 16 bits scaled with rounding, orientation applied). Lossless files expect the source
pixels exactly, and Pillow must decode them to the same; lossy files (WebP, HEIC, AVIF, JPEG in
TIFF) expect Pillow's decoding within 3.
"""
import io
import json
import struct
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_decoder_fixtures as shared  # noqa: E402  (the fixture writer, source patterns and rules)
from make_decoder_fixtures import (  # noqa: E402
    alpha_pattern, cmyk_ink_to_rgb, exif_payload, gray_to_rgb, orient, over_white, rgb_pattern,
    scale16, sixteen_bit_pattern,
)
import pillow_heif  # noqa: E402

pillow_heif.register_heif_opener()

ROOT = Path(__file__).resolve().parent.parent
OUT = shared.OUT
ENCODER = ROOT / "Tests" / "Fixtures" / "encoder"
LOSSY_TOLERANCE = 3

index = {"images": {}, "bad": {}}


def add_image(rel, data, expected, tolerance):
    shared.add_image(rel, data, expected, tolerance, into=index)


def add_bad(rel, data, kind):
    shared.add_bad(rel, data, kind, into=index)


save = shared.pillow_bytes  # the encoded bytes of `image` in `fmt`


def pillow_over_white(data):
    """Pillow's decoding of the first frame, alpha over white by our rule."""
    image = Image.open(io.BytesIO(data))
    image.seek(0)
    rgba = np.asarray(image.convert("RGBA"))
    return over_white(rgba[..., :3], rgba[..., 3])


def lossless(rel, data, expected, pillow_tolerance=0):
    """A lossless fixture: expect `expected` exactly, and check Pillow agrees (within
    `pillow_tolerance` where Pillow widens bit fields by bit replication, not rounding)."""
    difference = np.abs(pillow_over_white(data).astype(int) - expected.astype(int)).max()
    assert difference <= pillow_tolerance, (rel, difference)
    add_image(rel, data, expected, 0)


def lossy(rel, data, source):
    """A lossy fixture: expect Pillow's decoding within the tolerance (and near the source)."""
    expected = pillow_over_white(data)
    assert np.abs(expected.astype(int) - source.astype(int)).mean() < 12, rel
    add_image(rel, data, expected, LOSSY_TOLERANCE)


def smooth_photo(w=48, h=36):
    """A small downscaled photo: lossy codecs are tested on content they are made for."""
    chelsea = Image.open(ENCODER / "chelsea.png").convert("RGB")
    return np.asarray(chelsea.resize((w, h), Image.LANCZOS))


def truncated(data, keep=0.6):
    return data[: int(len(data) * keep)]


def corrupted(data, start=0.3, length=64):
    """Flips every byte of a run in the middle of the compressed data."""
    b = bytearray(data)
    at = int(len(b) * start)
    for i in range(at, min(at + length, len(b))):
        b[i] ^= 0xA5
    return bytes(b)


# ---------------------------------------------------------------- WebP

def make_webp_fixtures():
    rgb, alpha = rgb_pattern(), alpha_pattern()
    rgba = np.dstack([rgb, alpha])
    photo = smooth_photo()
    lossless("formats/webp/lossless.webp", save(Image.fromarray(rgb), "WEBP", lossless=True), rgb)
    lossless("formats/webp/lossless_alpha.webp",
             save(Image.fromarray(rgba, "RGBA"), "WEBP", lossless=True, exact=True), over_white(rgb, alpha))
    lossy("formats/webp/lossy_q90.webp", save(Image.fromarray(photo), "WEBP", quality=90), photo)
    photo_alpha = np.dstack([photo, np.tile(np.linspace(0, 255, photo.shape[1]).astype(np.uint8), (photo.shape[0], 1))])
    lossy("formats/webp/lossy_alpha.webp", save(Image.fromarray(photo_alpha, "RGBA"), "WEBP", quality=90),
          over_white(photo, photo_alpha[..., 3]))
    for orientation in (3, 6, 8):
        data = save(Image.fromarray(rgb), "WEBP", lossless=True, exif=exif_payload(orientation, big_endian=False))
        add_image(f"formats/webp/exif_orientation_{orientation}.webp", data, orient(rgb, orientation), 0)
    # Two frames; the first is the picture.
    frames = [Image.fromarray(rgb), Image.fromarray(255 - rgb)]
    data = save(frames[0], "WEBP", lossless=True, save_all=True, append_images=frames[1:], duration=100)
    add_image("formats/webp/animated.webp", data, rgb, 0)
    base = save(Image.fromarray(photo), "WEBP", quality=90)
    add_bad("formats/bad/truncated.webp", truncated(base), "corrupt")
    # Lossy VP8 decodes damaged data to damaged pixels; a broken frame start code is an error.
    start = base.index(b"\x9d\x01\x2a")
    add_bad("formats/bad/corrupt.webp", base[:start] + b"\x00\x00\x00" + base[start + 3:], "corrupt")
    # A lossless (VP8L) header declaring 16384 x 16384: refused from the header.
    vp8l = b"\x2f" + struct.pack("<I", (16383) | (16383 << 14)) + b"\x00" * 16
    add_bad("formats/bad/bomb.webp", b"RIFF" + struct.pack("<I", 4 + 8 + len(vp8l)) + b"WEBPVP8L"
            + struct.pack("<I", len(vp8l)) + vp8l, "tooLarge")


# ---------------------------------------------------------------- GIF

def palette_image(w=17, h=13):
    """Indices 0…w*h-1 mod 256 over a palette of distinct colours: exact through any GIF."""
    y, x = np.mgrid[0:h, 0:w]
    indices = ((x * 7 + y * 13) % 200).astype(np.uint8)
    palette = np.array([[(i * 37) % 256, (i * 91 + 17) % 256, (255 - i) % 256] for i in range(256)], np.uint8)
    image = Image.fromarray(indices, "P")
    image.putpalette(palette.flatten().tolist())
    return image, indices, palette


def first_image_descriptor(gif):
    """The offset of the first image descriptor (','), past the colour table and extensions."""
    flags = gif[10]
    at = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    while gif[at] == 0x21:  # an extension: label, then sub-blocks up to an empty one
        at += 2
        while gif[at]:
            at += gif[at] + 1
        at += 1
    assert gif[at] == 0x2C
    return at


def make_gif_fixtures():
    image, indices, palette = palette_image()
    rgb = palette[indices]
    lossless("formats/gif/palette.gif", save(image, "GIF", optimize=False), rgb)
    lossless("formats/gif/interlaced.gif", save(image, "GIF", optimize=False, interlace=True), rgb)
    transparent_index = int(indices[2, 5])
    expected = rgb.copy()
    expected[indices == transparent_index] = 255
    data = save(image, "GIF", optimize=False, transparency=transparent_index)
    lossless("formats/gif/transparent.gif", data, expected)
    second = Image.fromarray((indices + 1).astype(np.uint8), "P")
    second.putpalette(palette.flatten().tolist())
    data = save(image, "GIF", optimize=False, save_all=True, append_images=[second], duration=100)
    add_image("formats/gif/animated.gif", data, rgb, 0)
    base = save(image, "GIF", optimize=False)
    # The first frame 2 pixels right and 1 down of a 21 x 15 screen: the rest is white. (Pillow
    # fills it with the background colour, so the expectation is built here.)
    at = first_image_descriptor(base)
    offset = bytearray(base)
    offset[6:10] = struct.pack("<HH", 21, 15)
    offset[at + 1:at + 5] = struct.pack("<HH", 2, 1)
    framed = np.full((15, 21, 3), 255, np.uint8)
    framed[1:14, 2:19] = rgb
    add_image("formats/gif/offset_frame.gif", bytes(offset), framed, 0)
    add_bad("formats/bad/truncated.gif", truncated(base), "corrupt")
    # Logical screen 65535 x 65535.
    add_bad("formats/bad/bomb.gif", b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\x00\x00\x00"
            + b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x4c\x01\x00;", "tooLarge")


# ---------------------------------------------------------------- BMP

def bmp_file(width, height, bits, pixel_data, compression=0, palette=b"", masks=None, dib_size=40, colors_used=0):
    """A BMP with a Windows header of `dib_size` bytes (40, or 108/124 to carry masks)."""
    dib = struct.pack("<IiiHHIIiiII", dib_size, width, height, 1, bits, compression, len(pixel_data), 2835, 2835,
                      colors_used, 0)
    if dib_size > 40:
        dib += struct.pack("<IIII", *(masks or (0, 0, 0, 0)))
        dib += b"\x00" * (dib_size - len(dib))
    elif masks is not None:
        dib += struct.pack("<III", *masks[:3])
    offset = 14 + len(dib) + len(palette)
    return b"BM" + struct.pack("<IHHI", offset + len(pixel_data), 0, 0, offset) + dib + palette + pixel_data


def bmp_rows(rows, bottom_up=True):
    """Pads each row (bytes) to 4 bytes and orders them bottom-up."""
    padded = [r + b"\x00" * (-len(r) % 4) for r in rows]
    return b"".join(reversed(padded) if bottom_up else padded)


def make_bmp_fixtures():
    rgb = rgb_pattern()
    h, w = rgb.shape[:2]
    lossless("formats/bmp/rgb24.bmp", save(Image.fromarray(rgb), "BMP"), rgb)
    gray = rgb[..., 1]
    lossless("formats/bmp/gray8.bmp", save(Image.fromarray(gray, "L"), "BMP"), gray_to_rgb(gray))
    image, indices, palette = palette_image()
    lossless("formats/bmp/palette8.bmp", save(image, "BMP"), palette[indices])
    mono = (rgb[..., 0] > 127)
    lossless("formats/bmp/mono1.bmp", save(Image.fromarray(mono), "BMP"), gray_to_rgb(mono.astype(np.uint8) * 255))
    # Top-down 24-bit (negative height).
    rows = [rgb[y, :, ::-1].tobytes() for y in range(h)]
    lossless("formats/bmp/topdown24.bmp", bmp_file(w, -h, 24, bmp_rows(rows, bottom_up=False)), rgb)
    # 16-bit 5-6-5 bit fields: expected is each field scaled with rounding.
    r5, g6, b5 = (rgb[..., 0] >> 3).astype(int), (rgb[..., 1] >> 2).astype(int), (rgb[..., 2] >> 3).astype(int)
    words = (r5.astype(np.uint16) << 11) | (g6.astype(np.uint16) << 5) | b5.astype(np.uint16)
    rows = [words[y].astype("<u2").tobytes() for y in range(h)]
    expected = np.dstack([(r5 * 255 + 15) // 31, (g6 * 255 + 31) // 63, (b5 * 255 + 15) // 31]).astype(np.uint8)
    lossless("formats/bmp/rgb565.bmp", bmp_file(w, h, 16, bmp_rows(rows), compression=3,
                                                masks=(0xF800, 0x07E0, 0x001F)), expected, pillow_tolerance=1)
    # 32-bit BGRA with an alpha mask in a V5 header: alpha over white.
    alpha = alpha_pattern()
    bgra = np.dstack([rgb[..., 2], rgb[..., 1], rgb[..., 0], alpha])
    rows = [bgra[y].tobytes() for y in range(h)]
    data = bmp_file(w, h, 32, bmp_rows(rows), compression=3, dib_size=124,
                    masks=(0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000))
    lossless("formats/bmp/bgra32_v5.bmp", data, over_white(rgb, alpha))
    # RLE8: runs, a literal group, end of line, end of bitmap.
    palette_bytes = b"".join(bytes([b, g, r, 0]) for r, g, b in palette)
    rle_indices = np.zeros((h, w), np.uint8)
    stream = b""
    for y in range(h):  # bottom-up: stream row 0 is the picture's last row
        row = indices[h - 1 - y]
        literal = bytes(row[:5])
        stream += bytes([0, len(literal)]) + literal + b"\x00" * (len(literal) % 2)
        stream += bytes([w - 5, int(row[5])]) + b"\x00\x00"
        rle_indices[h - 1 - y, :5] = row[:5]
        rle_indices[h - 1 - y, 5:] = row[5]
    stream += b"\x00\x01"
    lossless("formats/bmp/rle8.bmp", bmp_file(w, h, 8, stream, compression=1, palette=palette_bytes, colors_used=256),
             palette[rle_indices])
    # RLE4: runs of two alternating nibbles.
    small_palette = palette[:16]
    rle4_indices = np.zeros((h, w), np.uint8)
    stream = b""
    for y in range(h):
        a, b = (y % 16), ((y * 5 + 3) % 16)
        stream += bytes([w, (a << 4) | b]) + b"\x00\x00"
        rle4_indices[h - 1 - y] = [a if i % 2 == 0 else b for i in range(w)]
    stream += b"\x00\x01"
    lossless("formats/bmp/rle4.bmp", bmp_file(w, h, 4, stream, compression=2,
                                              palette=b"".join(bytes([b, g, r, 0]) for r, g, b in small_palette),
                                              colors_used=16), small_palette[rle4_indices])
    base = save(Image.fromarray(rgb), "BMP")
    add_bad("formats/bad/truncated.bmp", truncated(base), "corrupt")
    add_bad("formats/bad/bomb.bmp", bmp_file(100_000, 100_000, 24, b"\x00" * 16), "tooLarge")
    add_bad("formats/bad/zero_width.bmp", bmp_file(0, 5, 24, b"\x00" * 16), "corrupt")


# ---------------------------------------------------------------- TIFF

def tiff_file(width, height, samples, bits, photometric, pixel_data, extra=None, orientation=1, big_endian=False):
    """A one-strip uncompressed baseline TIFF (Pillow cannot write 16-bit RGB)."""
    e = ">" if big_endian else "<"
    entries = []
    offsets = {}
    tail = b""
    data_start = 8

    def entry(tag, type_, values):
        entries.append((tag, type_, values))

    entry(256, 4, [width])
    entry(257, 4, [height])
    entry(258, 3, [bits] * samples)
    entry(259, 3, [1])
    entry(262, 3, [photometric])
    entry(273, 4, [0])  # strip offset, patched below
    entry(274, 3, [orientation])
    entry(277, 3, [samples])
    entry(278, 4, [height])
    entry(279, 4, [len(pixel_data)])
    entry(284, 3, [1])
    if extra is not None:
        entry(338, 3, [extra])
    entries.sort()
    ifd_size = 2 + 12 * len(entries) + 4
    out_of_line_start = data_start + ifd_size
    out_of_line = b""
    encoded = []
    for tag, type_, values in entries:
        size = {3: 2, 4: 4}[type_]
        payload = struct.pack(e + ("H" if type_ == 3 else "I") * len(values), *values)
        if len(payload) <= 4:
            encoded.append([tag, type_, len(values), payload + b"\x00" * (4 - len(payload)), None])
        else:
            encoded.append([tag, type_, len(values), None, out_of_line_start + len(out_of_line)])
            out_of_line += payload + b"\x00" * (len(payload) % 2)
    strip_offset = out_of_line_start + len(out_of_line)
    ifd = struct.pack(e + "H", len(encoded))
    for tag, type_, count, inline, offset in encoded:
        if tag == 273:
            inline = struct.pack(e + "I", strip_offset)
        ifd += struct.pack(e + "HHI", tag, type_, count) + (inline if inline is not None else struct.pack(e + "I", offset))
    ifd += struct.pack(e + "I", 0)
    header = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, data_start)
    return header + ifd + out_of_line + pixel_data


def make_tiff_fixtures():
    rgb, alpha = rgb_pattern(), alpha_pattern()
    h, w = rgb.shape[:2]
    lossless("formats/tiff/rgb8.tif", save(Image.fromarray(rgb), "TIFF"), rgb)
    lossless("formats/tiff/rgb8_lzw.tif", save(Image.fromarray(rgb), "TIFF", compression="tiff_lzw"), rgb)
    lossless("formats/tiff/rgb8_deflate.tif", save(Image.fromarray(rgb), "TIFF", compression="tiff_adobe_deflate"), rgb)
    gray = rgb[..., 0]
    lossless("formats/tiff/gray8.tif", save(Image.fromarray(gray, "L"), "TIFF"), gray_to_rgb(gray))
    lossless("formats/tiff/rgba8.tif", save(Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), "TIFF"), over_white(rgb, alpha))
    ink = np.dstack([rgb[..., 0], rgb[..., 1], rgb[..., 2], (rgb[..., 0] // 2)]).astype(np.uint8)
    # libtiff converts CMYK by truncation, Pillow and our JPEG rule round: allow 1.
    data = save(Image.fromarray(ink, "CMYK"), "TIFF")
    add_image("formats/tiff/cmyk8.tif", data, cmyk_ink_to_rgb(ink), 1)
    add_image("formats/tiff/rgb8_jpeg.tif", save(Image.fromarray(smooth_photo()), "TIFF", compression="jpeg", quality=90),
              pillow_over_white(save(Image.fromarray(smooth_photo()), "TIFF", compression="jpeg", quality=90)),
              LOSSY_TOLERANCE)
    rgb16 = sixteen_bit_pattern(3)
    add_image("formats/tiff/rgb16.tif", tiff_file(w, h, 3, 16, 2, rgb16.astype("<u2").tobytes()), scale16(rgb16), 0)
    add_image("formats/tiff/rgb16_big_endian.tif",
              tiff_file(w, h, 3, 16, 2, rgb16.astype(">u2").tobytes(), big_endian=True), scale16(rgb16), 0)
    gray16 = sixteen_bit_pattern(1)[..., 0]
    # libtiff narrows 16-bit gray by taking the high byte, RGB by rounding: allow 1.
    add_image("formats/tiff/gray16.tif", tiff_file(w, h, 1, 16, 1, gray16.astype("<u2").tobytes()),
              gray_to_rgb(scale16(gray16)), 1)
    for orientation in (3, 6, 8):
        data = tiff_file(w, h, 3, 8, 2, rgb.tobytes(), orientation=orientation)
        add_image(f"formats/tiff/orientation_{orientation}.tif", data, orient(rgb, orientation), 0)
    pages = [Image.fromarray(rgb), Image.fromarray(255 - rgb)]
    add_image("formats/tiff/two_pages.tif", save(pages[0], "TIFF", save_all=True, append_images=pages[1:]), rgb, 0)
    base = save(Image.fromarray(rgb), "TIFF", compression="tiff_lzw")
    add_bad("formats/bad/truncated.tif", truncated(base, 0.5), "corrupt")
    add_bad("formats/bad/bomb.tif", tiff_file(100_000, 100_000, 3, 8, 2, b"\x00" * 16), "tooLarge")


# ---------------------------------------------------------------- HEIC and AVIF

def set_ispe(data, width, height):
    """Rewrites every image spatial extents box (ispe: the primary image's and the
    thumbnail's): the size the header claims."""
    out = bytearray(data)
    at = out.find(b"ispe")
    while at >= 0:
        out[at + 8:at + 16] = struct.pack(">II", width, height)
        at = out.find(b"ispe", at + 4)
    return bytes(out)


def make_heif_fixtures():
    # 4:4:4 chroma: how chroma is upsampled differs between libheif versions (Debian's 1.15
    # and the one in pillow-heif), which is not what these fixtures test. The 4:2:0 files that
    # phones write are covered by the encoder fixtures (same features as the PNG).
    photo = smooth_photo()
    ramp = np.tile(np.linspace(0, 255, photo.shape[1]).astype(np.uint8), (photo.shape[0], 1))
    heic = save(Image.fromarray(photo), "HEIF", quality=90, chroma=444)
    lossy("formats/heif/photo_q90.heic", heic, photo)
    lossy("formats/heif/alpha.heic", save(Image.fromarray(np.dstack([photo, ramp]), "RGBA"), "HEIF", quality=90, chroma=444),
          over_white(photo, ramp))
    # EXIF orientation 6 becomes a rotation box (irot) in the file, which libheif applies.
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = save(Image.fromarray(photo), "HEIF", quality=90, chroma=444, exif=exif.tobytes())
    assert b"irot" in rotated
    lossy("formats/heif/irot_6.heic", rotated, orient(photo, 6))
    avif = save(Image.fromarray(photo), "AVIF", quality=90, subsampling="4:4:4")
    lossy("formats/avif/photo_q90.avif", avif, photo)
    lossy("formats/avif/alpha.avif", save(Image.fromarray(np.dstack([photo, ramp]), "RGBA"), "AVIF", quality=90, subsampling="4:4:4"),
          over_white(photo, ramp))
    add_bad("formats/bad/truncated.heic", truncated(heic), "corrupt")
    add_bad("formats/bad/truncated.avif", truncated(avif), "corrupt")
    # The size libheif reports comes from the coded stream; the ispe box claims 20000 x 20000
    # (under libheif's own 32768 limit). A coded size far beyond the displayed one is refused
    # before decoding. (The pixel limit itself is tested on every fixture, HEIC included.)
    add_bad("formats/bad/bomb.heic", set_ispe(heic, 20_000, 20_000), "corrupt")


# ---------------------------------------------------------------- the encoder photo in every format

def make_encoder_fixtures():
    chelsea = Image.open(ENCODER / "chelsea.png").convert("RGB")
    folder = ENCODER / "formats"
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "chelsea.lossless.webp": save(chelsea, "WEBP", lossless=True),
        "chelsea.bmp": save(chelsea, "BMP"),
        "chelsea.tif": save(chelsea, "TIFF", compression="tiff_lzw"),
        "chelsea.q90.webp": save(chelsea, "WEBP", quality=90),
        "chelsea.q90.heic": save(chelsea, "HEIF", quality=90),
        "chelsea.q90.avif": save(chelsea, "AVIF", quality=90),
        "chelsea.q90.jpg": save(chelsea, "JPEG", quality=90),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)


def main():
    make_webp_fixtures()
    make_gif_fixtures()
    make_bmp_fixtures()
    make_tiff_fixtures()
    make_heif_fixtures()
    make_encoder_fixtures()
    (OUT / "formats.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    total = sum(p.stat().st_size for p in (OUT / "formats").rglob("*") if p.is_file())
    print(f"wrote {len(index['images'])} images, {len(index['bad'])} bad files; {total} bytes")


if __name__ == "__main__":
    main()
