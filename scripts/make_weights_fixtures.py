#!/usr/bin/env python3
"""Makes the small fixtures under Tests/Fixtures/weights (run once; the outputs are committed).

Needs numpy, onnx and safetensors (pip). The Swift tests never run Python: they read these
files and recompute the expected values from the same simple formulas, written out below.

  python3 scripts/make_weights_fixtures.py

safetensors:
  reference_f32.safetensors, reference_f16.safetensors
      written by the reference implementation (safetensors.numpy.save_file). One metadata key
      only, because the reference writes metadata in hash order; the Swift writer must produce
      these files byte for byte.
  mixed_dtypes.safetensors
      F32 + F16 + BF16 in one file, written by hand with struct + json (numpy has no bfloat16),
      with the buffer in a different order than the names, to check the reader follows offsets.
ONNX (onnx.helper), layout conv1 4<-3, conv2 4<-4, conv3 8<-4, all 3x3 stride 1 pad 1:
  tiny_convnet.onnx             producer "pytorch"; conv1 bias as float_data, conv2 weight
                                behind an Identity node, conv3 weight from a Constant node
  tiny_convnet_tf2onnx.onnx     producer "tf2onnx", NHWC input + Transpose, plain initializers
  tiny_convnet_two_convs.onnx   conv3 missing
  tiny_convnet_wrong_shape.onnx conv2 weight [4, 3, 3, 3]
  tiny_convnet_stride2.onnx     conv2 with strides [2, 2]
  tiny_convnet_external.onnx    conv1 weight stored as external data
SHA-256:
  sha256_vectors.json           hashlib digests of pattern(n) for lengths around the padding
                                boundaries and 1 MiB; pattern(n)[i] = (i * 31 + (i >> 8)) & 0xFF
"""
import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper
from safetensors.numpy import save_file

OUT = Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "weights"

# Tiny conv stack: (name, in, out).
LAYERS = [("conv1", 3, 4), ("conv2", 4, 4), ("conv3", 4, 8)]


def pattern_values(count, layer):
    """Exactly representable in float32 (and float16): multiples of 1/64 in [-2, 2)."""
    i = np.arange(count, dtype=np.int64)
    return (((i * 7 + layer * 13) % 251 - 125) / 64.0).astype(np.float32)


def write_reference_safetensors():
    tensors = {
        "conv.weight": (np.arange(24, dtype=np.float32) - 12) / 8,  # reshaped below
        "conv.bias": np.array([0.5, -0.25], dtype=np.float32),
        "scalar": np.array(3.0, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    tensors["conv.weight"] = tensors["conv.weight"].reshape(2, 3, 2, 2)
    metadata = {"source": "make_weights_fixtures.py"}
    save_file(tensors, str(OUT / "reference_f32.safetensors"), metadata=metadata)
    save_file({k: v.astype(np.float16) for k, v in tensors.items()},
              str(OUT / "reference_f16.safetensors"), metadata=metadata)


def bf16_bytes(values):
    """Round-to-nearest-even float32 -> bfloat16 (the values used are exact anyway)."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype("<u2").tobytes()


def write_mixed_dtypes():
    # Buffer order: half, single, brain (not the name order), to exercise the offsets.
    half = np.array([1.0, -2.5, 0.099975586, 65504.0], dtype="<f2")  # 0.0999.. is f16-exact
    single = np.array([[1.5, -0.125, 3.0e38], [1e-40, 0.0, -7.0]], dtype="<f4")
    brain = [1.0, -3.5, 0.15625, 2.0 ** 100]
    buffers = [("half", "F16", [4], half.tobytes()),
               ("single", "F32", [2, 3], single.tobytes()),
               ("brain", "BF16", [2, 2], bf16_bytes(brain))]
    header = {"__metadata__": {"format": "pt", "note": "mixed \"dtypes\" \u00e9"}}
    offset = 0
    data = b""
    for name, dtype, shape, raw in buffers:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    (OUT / "mixed_dtypes.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + data)


def conv_node(name, x, w, b, y, strides=(1, 1)):
    return helper.make_node("Conv", [x, w, b], [y], name=name, kernel_shape=[3, 3],
                            pads=[1, 1, 1, 1], strides=list(strides), dilations=[1, 1], group=1)


def make_tiny_convnet(producer="pytorch", convs=3, wrong_shape=False, stride2=False, external=False):
    nodes, inits = [], []
    keras = producer == "tf2onnx"
    if keras:
        x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 8, 8, 3])
        nodes.append(helper.make_node("Transpose", ["input"], ["input_nchw"], name="to_nchw", perm=[0, 3, 1, 2]))
        current = "input_nchw"
    else:
        x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])
        current = "input"
    for index, (name, cin, cout) in enumerate(LAYERS[:convs]):
        layer = index + 1
        if wrong_shape and name == "conv2":
            cin = 3
        w_shape = [cout, cin, 3, 3]
        w_values = pattern_values(int(np.prod(w_shape)), layer)
        b_values = pattern_values(cout, layer + 10)
        w_name, b_name = f"{name}_weight", f"{name}_bias"
        w_input = w_name
        if not keras and name == "conv2":
            inits.append(helper.make_tensor(w_name, TensorProto.FLOAT, w_shape, w_values.tobytes(), raw=True))
            nodes.append(helper.make_node("Identity", [w_name], [w_name + "_id"], name="conv2_weight_identity"))
            w_input = w_name + "_id"
        elif not keras and name == "conv3":
            tensor = helper.make_tensor(w_name, TensorProto.FLOAT, w_shape, w_values.tobytes(), raw=True)
            nodes.append(helper.make_node("Constant", [], [w_name + "_const"], name="conv3_weight_const", value=tensor))
            w_input = w_name + "_const"
        else:
            tensor = helper.make_tensor(w_name, TensorProto.FLOAT, w_shape, w_values.tobytes(), raw=True)
            if external and name == "conv1":
                tensor.ClearField("raw_data")
                tensor.data_location = TensorProto.EXTERNAL
                entry = tensor.external_data.add()
                entry.key, entry.value = "location", "conv1_weight.bin"
            inits.append(tensor)
        if not keras and name == "conv1":
            inits.append(helper.make_tensor(b_name, TensorProto.FLOAT, [cout], b_values.tolist()))  # float_data
        else:
            inits.append(helper.make_tensor(b_name, TensorProto.FLOAT, [cout], b_values.tobytes(), raw=True))
        out = f"{name}_out"
        nodes.append(conv_node(f"{name}_node", current, w_input, b_name, out,
                               strides=(2, 2) if stride2 and name == "conv2" else (1, 1)))
        nodes.append(helper.make_node("Relu", [out], [f"{name}_relu"], name=f"{name}_relu"))
        current = f"{name}_relu"
        if name == "conv2":
            nodes.append(helper.make_node("MaxPool", [current], ["pool"], name="pool",
                                          kernel_shape=[2, 2], strides=[2, 2]))
            current = "pool"
    # A non-float initializer, as real exports have (shape constants): must be tolerated.
    inits.append(helper.make_tensor("flat_shape", TensorProto.INT64, [2], [1, -1]))
    nodes.append(helper.make_node("Reshape", [current, "flat_shape"], ["output"], name="flatten"))
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 128])
    graph = helper.make_graph(nodes, "tiny_convnet", [x], [y], initializer=inits)
    model = helper.make_model(graph, producer_name=producer, producer_version="1.0",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    return model


def write_onnx():
    valid = make_tiny_convnet()
    onnx.checker.check_model(valid)
    onnx.save(valid, str(OUT / "tiny_convnet.onnx"))
    keras = make_tiny_convnet(producer="tf2onnx")
    onnx.checker.check_model(keras)
    onnx.save(keras, str(OUT / "tiny_convnet_tf2onnx.onnx"))
    # The broken ones are not checker-valid on purpose; save the protobuf as is.
    for suffix, model in [("two_convs", make_tiny_convnet(convs=2)),
                          ("wrong_shape", make_tiny_convnet(wrong_shape=True)),
                          ("stride2", make_tiny_convnet(stride2=True)),
                          ("external", make_tiny_convnet(external=True))]:
        (OUT / f"tiny_convnet_{suffix}.onnx").write_bytes(model.SerializeToString())


def pattern_bytes(n):
    i = np.arange(n, dtype=np.int64)
    return ((i * 31 + (i >> 8)) & 0xFF).astype(np.uint8).tobytes()


def write_sha256_vectors():
    lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 1000, 1 << 20]
    vectors = [{"length": n, "sha256": hashlib.sha256(pattern_bytes(n)).hexdigest()} for n in lengths]
    (OUT / "sha256_vectors.json").write_text(json.dumps(
        {"pattern": "byte[i] = (i * 31 + (i >> 8)) & 0xFF", "vectors": vectors}, indent=2) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    write_reference_safetensors()
    write_mixed_dtypes()
    write_onnx()
    write_sha256_vectors()
    for path in sorted(OUT.iterdir()):
        print(f"{path.stat().st_size:8d}  {path.relative_to(OUT.parent.parent.parent)}")


if __name__ == "__main__":
    main()
