#!/usr/bin/env python3
"""Makes the hand-made hostile inputs under Tests/Fixtures/fuzz (run once; outputs committed).

Standard library only. Tests/ImageDecodingTests/FuzzRegressionTests.swift and
Tests/FormatsTests/FuzzRegressionTests.swift feed every file in Tests/Fixtures/fuzz/<target>/
(these plus the reproducers the fuzzers found, named crash-*/oom-*/timeout-*) and every file in
Fuzz/corpus/<target>/ to the parser, and require an error or a valid result, never a crash.
The same folders can be replayed by the fuzz binaries (README, "Fuzzing").

  python3 scripts/make_fuzz_fixtures.py

Every file is a few hundred bytes at most; each name says what the file lies about.
"""
import json
import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "fuzz"
DECODING = ROOT / "Tests" / "Fixtures" / "decoding"


def write(target, name, data):
    folder = OUT / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


# --- PNG -------------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind, payload, length=None):
    length = len(payload) if length is None else length
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", length) + kind + payload + struct.pack(">I", crc)


def ihdr(width, height, bit_depth=8, color_type=2, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace))


def png(width, height, rows, color_type=2, bit_depth=8, extra=b""):
    idat = zlib.compress(b"".join(b"\x00" + row for row in rows), 9)
    return PNG_SIGNATURE + ihdr(width, height, bit_depth, color_type) + extra + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def make_png():
    small = png(2, 2, [b"\x10\x20\x30" * 2] * 2)
    header = PNG_SIGNATURE + ihdr(2, 2)
    # Ancillary chunks whose declared length is far past the end of the file (and past libpng's
    # 8 MB chunk limit, which is only a warning on read): libpng used to malloc the whole eXIf.
    for kind in (b"eXIf", b"zTXt", b"iCCP", b"sPLT", b"tEXt", b"iTXt"):
        write("png", f"{kind.decode()}_declares_2gb.png", header + struct.pack(">I", 0x7FFFFFFF) + kind + b"\0" * 16)
    # Length with the top bit set (over PNG's 2^31 - 1), on a critical chunk.
    write("png", "idat_length_over_2gb.png", header + struct.pack(">I", 0x80000000) + b"IDAT" + b"\0" * 16)
    # Header-only decompression bombs and nonsense sizes.
    no_pixels = chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    write("png", "ihdr_1000000x1000000.png", PNG_SIGNATURE + ihdr(1_000_000, 1_000_000) + no_pixels)
    write("png", "ihdr_2147483647x1.png", PNG_SIGNATURE + ihdr(0x7FFFFFFF, 1) + no_pixels)
    write("png", "ihdr_0x0.png", PNG_SIGNATURE + ihdr(0, 0) + no_pixels)
    write("png", "ihdr_bad_bit_depth.png", PNG_SIGNATURE + ihdr(2, 2, bit_depth=7) + no_pixels)
    # 1000 x 1000 gray from a 1 KB zlib stream: within the limits, so it decodes (to black).
    write("png", "idat_1000x1000_zeros.png", png(1000, 1000, [b"\0" * 1000] * 1000, color_type=0))
    # IDAT that inflates to more rows than the header claims, and to fewer.
    write("png", "idat_too_long.png", png(2, 2, [b"\x10\x20\x30" * 2] * 50))
    write("png", "idat_too_short.png", png(2, 2, [b"\x10\x20\x30" * 2] * 1))
    # Palette image whose indices point past a 2-entry palette; tRNS longer than the palette.
    write("png", "palette_index_out_of_range.png",
          png(4, 1, [bytes([0, 1, 200, 255])], color_type=3, extra=chunk(b"PLTE", b"\xff\0\0\0\xff\0")))
    write("png", "trns_longer_than_palette.png",
          png(2, 1, [bytes([0, 1])], color_type=3, extra=chunk(b"PLTE", b"\xff\0\0\0\xff\0") + chunk(b"tRNS", b"\x80" * 200)))
    write("png", "palette_missing.png", png(2, 1, [bytes([0, 1])], color_type=3))
    # Unknown critical chunk, and a good image truncated at every part of its structure.
    write("png", "unknown_critical_chunk.png", header + chunk(b"ABCD", b"xyz") + small[len(header):])
    for cut in (8, 16, 33, 40, len(small) - 12, len(small) - 1):
        write("png", f"truncated_at_{cut}.png", small[:cut])


# --- JPEG ------------------------------------------------------------------------------------

def segments(jpeg):
    """(marker, start, length) of each marker segment up to SOS."""
    out, i = [], 2
    while i < len(jpeg):
        marker = jpeg[i + 1]
        length = struct.unpack(">H", jpeg[i + 2:i + 4])[0]
        out.append((marker, i, length))
        if marker == 0xDA:
            break
        i += 2 + length
    return out


def with_size(jpeg, width, height):
    for marker, start, _ in segments(jpeg):
        if marker in (0xC0, 0xC2):
            data = bytearray(jpeg)
            data[start + 5:start + 9] = struct.pack(">HH", height, width)
            return bytes(data)
    raise ValueError("no SOF")


def with_app1(jpeg, payload):
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def tiff(big_endian, ifd_offset, entries, count=None):
    e = ">" if big_endian else "<"
    body = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, ifd_offset)
    body += struct.pack(e + "H", len(entries) if count is None else count)
    for tag, kind, n, value in entries:
        body += struct.pack(e + "HHI", tag, kind, n) + value
    return body


def bits_to_bytes(bits):
    """Entropy-coded bytes: pad with 1-bits, stuff a zero byte after each 0xFF."""
    bits += "1" * (-len(bits) % 8)
    out = bytearray()
    for i in range(0, len(bits), 8):
        out.append(int(bits[i:i + 8], 2))
        if out[-1] == 0xFF:
            out.append(0)
    return bytes(out)


def eob_runs(blocks):
    """AC bits ending the band in `blocks` blocks: EOB14 runs (code 10 + 14 bits), then EOB0s (0)."""
    bits = ""
    while blocks >= 16384:
        run = min(blocks, 32767)
        bits += "10" + format(run - 16384, "014b")
        blocks -= run
    return bits + "0" * blocks


def many_scan_progressive(width, height, scans):
    """A valid grayscale progressive JPEG of flat grey with `scans` scans: one DC scan, then for
    each AC coefficient k a first scan at Al 10 and ten refinements (694 scans at most). Each scan
    visits every block, but one EOB run codes thousands of them, so the file stays small."""
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    script = [(0, 0, 0, 0)] + [(k, k, ah, al) for k in range(1, 64)
                               for ah, al in [(0, 10)] + [(a + 1, a) for a in range(9, -1, -1)]]
    out = b"\xff\xd8"
    out += b"\xff\xdb" + struct.pack(">HB", 67, 0) + bytes([1] * 64)
    out += b"\xff\xc2" + struct.pack(">HBHHB", 11, 8, height, width, 1) + bytes([1, 0x11, 0])
    out += b"\xff\xc4" + struct.pack(">HB", 20, 0x00) + bytes([1] + [0] * 15) + bytes([0x00])
    out += b"\xff\xc4" + struct.pack(">HB", 21, 0x10) + bytes([1, 1] + [0] * 14) + bytes([0x00, 0xE0])
    for ss, se, ah, al in script[:scans]:
        out += b"\xff\xda" + struct.pack(">HBBBBBB", 8, 1, 1, 0x00, ss, se, ah << 4 | al)
        out += bits_to_bytes("0" * blocks if ss == 0 else eob_runs(blocks))
    return out + b"\xff\xd9"


def make_jpeg():
    baseline = (DECODING / "jpeg" / "baseline.jpg").read_bytes()
    progressive = (DECODING / "jpeg" / "progressive.jpg").read_bytes()
    write("jpeg", "sof_65500x65500.jpg", with_size(baseline, 65500, 65500))  # libjpeg's largest
    write("jpeg", "sof_65535x65535.jpg", with_size(baseline, 65535, 65535))
    write("jpeg", "sof_65535x1.jpg", with_size(baseline, 65535, 1))
    write("jpeg", "sof_zero_height.jpg", with_size(baseline, 17, 0))
    write("jpeg", "sof_zero_width.jpg", with_size(baseline, 0, 13))
    write("jpeg", "progressive_2000x2000_no_data.jpg", with_size(progressive, 2000, 2000))
    # Exif payloads that lie: IFD offset past the end, 65535 entries, orientation out of range,
    # orientation with the wrong type, a TIFF header only.
    exif = b"Exif\0\0"
    write("jpeg", "exif_ifd_offset_past_end.jpg", with_app1(baseline, exif + tiff(True, 0xFFFFFFF0, [])))
    write("jpeg", "exif_65535_entries.jpg", with_app1(baseline, exif + tiff(False, 8, [(0x0100, 3, 1, b"\0" * 4)], count=0xFFFF)))
    write("jpeg", "exif_orientation_9.jpg", with_app1(baseline, exif + tiff(True, 8, [(0x0112, 3, 1, b"\x00\x09\0\0")])))
    write("jpeg", "exif_orientation_ascii.jpg", with_app1(baseline, exif + tiff(False, 8, [(0x0112, 2, 4, b"6\0\0\0")])))
    write("jpeg", "exif_header_only.jpg", with_app1(baseline, exif + b"II*\0"))
    write("jpeg", "exif_ifd_offset_zero.jpg", with_app1(baseline, exif + tiff(True, 0, [])))
    # Scan bombs: every scan visits every block (see cjpeg_shim.c); 100 scans is the limit.
    write("jpeg", "progressive_100_scans_8x8.jpg", many_scan_progressive(8, 8, 100))
    write("jpeg", "progressive_101_scans_8x8.jpg", many_scan_progressive(8, 8, 101))
    write("jpeg", "progressive_694_scans_2000x2000.jpg", many_scan_progressive(2000, 2000, 694))
    # An APP1 segment declaring more bytes than the file has.
    write("jpeg", "app1_length_past_end.jpg", baseline[:2] + b"\xff\xe1\xff\xff" + exif + b"MM\0*")
    # Truncated inside each header segment.
    for marker, start, length in segments(baseline):
        write("jpeg", f"truncated_in_{marker:02x}.jpg", baseline[:start + 2 + length // 2])


# --- safetensors -----------------------------------------------------------------------------

def safetensors(header, data=b"", declared=None):
    text = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text) if declared is None else declared) + text + data


def make_safetensors():
    one = {"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    write("safetensors", "header_length_u64_max.safetensors", safetensors(one, b"\0" * 4, declared=2**64 - 1))
    write("safetensors", "header_length_past_end.safetensors", safetensors(one, b"\0" * 4, declared=200))
    write("safetensors", "header_length_100mb.safetensors", safetensors(one, b"\0" * 4, declared=100_000_000))
    write("safetensors", "offsets_near_int_max.safetensors",
          safetensors({"x": {"dtype": "F32", "shape": [2**61 - 1], "data_offsets": [0, 2**63 - 4]}}, b"\0" * 4))
    write("safetensors", "offsets_over_int_max.safetensors",
          safetensors(b'{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551620]}}', b"\0" * 4))
    write("safetensors", "offsets_negative.safetensors",
          safetensors({"x": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}, b"\0" * 4))
    write("safetensors", "shape_product_overflows.safetensors",
          safetensors({"x": {"dtype": "F32", "shape": [2**62, 4], "data_offsets": [0, 0]}}))
    write("safetensors", "shape_bytes_overflow.safetensors",
          safetensors({"x": {"dtype": "F32", "shape": [2**62], "data_offsets": [0, 0]}}))
    write("safetensors", "shape_zero_times_huge.safetensors",
          safetensors({"x": {"dtype": "BF16", "shape": [0, 2**62, 2**62], "data_offsets": [0, 0]}}))
    write("safetensors", "shape_fraction_and_exponent.safetensors",
          safetensors(b'{"x":{"dtype":"F32","shape":[1.0,1e400],"data_offsets":[0,4]}}', b"\0" * 4))
    write("safetensors", "overlapping_tensors.safetensors",
          safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                       "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8))
    write("safetensors", "duplicate_names.safetensors",
          safetensors(b'{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                      b'"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\0" * 8))
    write("safetensors", "name_with_control_characters.safetensors",
          safetensors({"a\nb\r\u0085\u2028c\u0000": {"dtype": "I8", "shape": [1], "data_offsets": [0, 1]}}, b"\0"))
    write("safetensors", "metadata_not_strings.safetensors", safetensors(b'{"__metadata__":{"a":1,"b":[2]}}'))
    write("safetensors", "deeply_nested_metadata.safetensors",
          safetensors(b'{"__metadata__":' + b"[" * 4_000 + b"]" * 4_000 + b"}"))
    write("safetensors", "deeply_nested_shape.safetensors",
          safetensors(b'{"x":{"dtype":"F32","shape":' + b"[" * 2_000 + b"]" * 2_000 + b',"data_offsets":[0,0]}}'))
    write("safetensors", "invalid_utf8.safetensors", safetensors(b'{"\xff\xfe":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', b"\0" * 4))
    write("safetensors", "byte_order_mark.safetensors", safetensors(b"\xef\xbb\xbf{}"))
    write("safetensors", "header_not_object.safetensors", safetensors(b"[1,2,3]"))
    write("safetensors", "truncated_length.safetensors", b"\x10\0\0")


# --- ONNX (protobuf) -------------------------------------------------------------------------

def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def string(number, text):
    return field(number, 2, text.encode() if isinstance(text, str) else text)


def integer(number, value):
    return field(number, 0, varint(value & (2**64 - 1)))


def tensor(name, dims, raw=None, floats=None, dtype=1):
    body = b"".join(integer(1, d) for d in dims) + integer(2, dtype) + string(8, name)
    if raw is not None:
        body += string(9, raw)
    if floats is not None:
        body += string(4, struct.pack(f"<{len(floats)}f", *floats))
    return body


def node(op, inputs, outputs, name="", attributes=b""):
    return b"".join(string(1, i) for i in inputs) + b"".join(string(2, o) for o in outputs) + string(3, name) + string(4, op) + attributes


def ints_attribute(name, values):
    return string(5, string(1, name) + integer(20, 7) + string(8, b"".join(varint(v & (2**64 - 1)) for v in values)))


def model(graph):
    return integer(1, 8) + string(2, "fuzz") + string(7, graph) + string(8, string(1, "") + integer(2, 13))


def make_onnx():
    write("onnx", "varint_11_bytes.onnx", b"\x08" + b"\xff" * 10 + b"\x01")
    write("onnx", "varint_10th_byte_too_big.onnx", b"\x08" + b"\xff" * 9 + b"\x02")
    write("onnx", "varint_runs_off_the_end.onnx", b"\x08\xff\xff")
    write("onnx", "length_u64_max.onnx", b"\x3a" + varint(2**64 - 1) + b"\0" * 8)
    write("onnx", "length_int_max.onnx", b"\x3a" + varint(2**63 - 1) + b"\0" * 8)
    write("onnx", "length_past_end.onnx", b"\x3a" + varint(100) + b"\x0a\x02ab")
    # A node whose length fits the file but not the graph it sits in (nested length overflow),
    # and a tensor overflowing its attribute, inside a node, inside a graph.
    inner = string(4, "Conv") + string(3, "n")
    write("onnx", "nested_length_overflow.onnx",
          integer(1, 8) + b"\x3a" + varint(4) + b"\x0a" + varint(len(inner) + 50) + inner + b"\0" * 60)
    attribute = string(1, "value") + b"\x2a" + varint(1000) + tensor("t", [1], raw=b"\0" * 4)
    write("onnx", "nested_length_overflow_deep.onnx",
          model(string(1, node("Constant", [], ["c"], attributes=string(5, attribute)))))
    write("onnx", "group_wire_type.onnx", integer(1, 8) + b"\x3b\x3c" + string(7, b""))
    write("onnx", "field_number_zero.onnx", b"\x02\x00" + string(7, b""))
    write("onnx", "field_number_too_big.onnx", varint((2**29) << 3 | 0) + b"\x00")
    write("onnx", "wire_type_6.onnx", b"\x0e\x00")
    write("onnx", "graph_as_varint.onnx", integer(7, 5))
    write("onnx", "no_graph.onnx", integer(1, 8) + string(2, "x"))
    # Initializers that parse but must not decode (floatTensor), all in one graph...
    weird = [
        tensor("dims_overflow", [2**62, 4, 4], raw=b"\0" * 4),
        tensor("dims_zero_times_huge", [0, 2**62, 2**62], raw=b""),
        tensor("raw_not_multiple_of_4", [1], raw=b"\0" * 5),
        tensor("raw_and_float", [1], raw=b"\0" * 4, floats=[1.0]),
        tensor("float_count_mismatch", [3], floats=[1.0]),
        tensor("data_type_negative", [1], raw=b"\0" * 4, dtype=-1),
        tensor("int64\nnamed\rwith newlines", [1], raw=b"\0" * 8, dtype=7),
    ]
    # ...and ones that must not parse, one file each.
    write("onnx", "tensor_dims_negative.onnx", model(string(5, tensor("t", [-1], raw=b"\0" * 4))))
    write("onnx", "tensor_data_type_over_int32.onnx", model(string(5, tensor("t", [1], raw=b"\0" * 4, dtype=2**40))))
    write("onnx", "tensor_packed_floats_5_bytes.onnx", model(string(5, tensor("t", [1]) + string(4, b"\0" * 5))))
    write("onnx", "hostile_initializers.onnx", model(b"".join(string(5, t) for t in weird)))
    # Graphs with three Conv nodes (the tests' 3-layer layout, so the importer gets past the
    # layer count) whose first layer's weight or bias hides behind something hostile.
    pads = ints_attribute("pads", [1, 1, 1, 1])

    def three_convs(first_name="conv1", first_inputs=("x", "w1", "b1"), first_attributes=pads, extra=b""):
        return model(b"".join([
            string(1, node("Conv", list(first_inputs), ["y1"], first_name, first_attributes)),
            string(1, node("Conv", ["y1", "w2", "b2"], ["y2"], "conv2")),
            string(1, node("Conv", ["y2", "w3", "b3"], ["y3"], "conv3")),
        ]) + extra)

    write("onnx", "importer_identity_self_loop.onnx", three_convs(extra=string(1, node("Identity", ["w1"], ["w1"]))))
    write("onnx", "importer_identity_cycle.onnx", three_convs(
        extra=string(1, node("Identity", ["w1b"], ["w1"])) + string(1, node("Identity", ["w1"], ["w1b"]))))
    write("onnx", "importer_identity_empty_input.onnx", three_convs(extra=string(1, node("Identity", [""], ["w1"]))))
    write("onnx", "importer_constant_without_tensor.onnx", three_convs(
        extra=string(5, tensor("w1", [4, 3, 3, 3], raw=b"\0" * 432)) + string(1, node("Constant", [], ["b1"], "c"))))
    write("onnx", "importer_weight_from_relu.onnx", three_convs(extra=string(1, node("Relu", ["z"], ["w1"], "r"))))
    write("onnx", "importer_no_bias_input.onnx", three_convs(first_inputs=("x", "w1", "")))
    write("onnx", "importer_node_name_newline.onnx", three_convs(
        first_name="conv1\nnode\r", first_attributes=pads + ints_attribute("strides", [-1, 2**63 - 1])))
    write("onnx", "importer_huge_attribute_list.onnx", three_convs(first_attributes=pads + ints_attribute("dilations", [0] * 1000)))
    # Identity chain longer than the importer's 64-step bound.
    chain = b"".join(string(1, node("Identity", [f"w{i + 1}"], [f"w{i}"])) for i in range(100))
    chain += string(1, node("Conv", ["x", "w0", "b"], ["y"], "conv")) + string(5, tensor("w100", [4, 3, 3, 3], raw=b"\0" * 432))
    write("onnx", "identity_chain_100.onnx", model(chain))


if __name__ == "__main__":
    make_png()
    make_jpeg()
    make_safetensors()
    make_onnx()
    for folder in sorted(OUT.iterdir()):
        files = list(folder.iterdir())
        print(f"{folder.relative_to(ROOT)}: {len(files)} files, {sum(f.stat().st_size for f in files)} bytes")
