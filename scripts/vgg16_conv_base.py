"""Cut the pinned VGG16 ONNX file at block5_pool with a free input size, for ONNX Runtime.

Used only on a developer's machine, to make golden test values (scripts/make_encoder_goldens.py)
and to benchmark ONNX Runtime against `caption bench encoder` (bench/onnxruntime_encoder.py).
The product never runs Python.
"""
import onnx
from onnx import helper, TensorProto

CONV5_3 = "functional_1/block5_conv3_1/Relu:0"
POOL5 = "functional_1/block5_pool_1/MaxPool2d:0"


def conv_base(onnx_path):
    """Returns an onnx.ModelProto: NHWC float input of any height/width → conv5_3 (ReLU), pool5 (NCHW)."""
    model = onnx.load(onnx_path)
    graph = model.graph
    keep = []
    for node in graph.node:
        keep.append(node)
        if POOL5 in node.output:
            break
    used = {name for node in keep for name in node.input}
    inits = [init for init in graph.initializer if init.name in used]
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", "height", "width", 3])
    outs = [helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in (CONV5_3, POOL5)]
    cut = helper.make_graph(keep, "vgg16_conv_base", [inp], outs, initializer=inits)
    out = helper.make_model(cut, opset_imports=[op for op in model.opset_import if op.domain == ""])
    out.ir_version = model.ir_version
    return out


def caffe_preprocess(rgb_uint8):
    """Keras "caffe" mode: RGB → BGR, subtract the ImageNet channel means, no scaling. HWC in, HWC out."""
    import numpy as np
    x = rgb_uint8.astype(np.float32)[..., ::-1]
    return x - np.array([103.939, 116.779, 123.68], dtype=np.float32)
