"""A fresh Python process that computes ONNX Runtime's VGG16 features for one photo: the
reference for `caption photo.jpg` started cold (issue 13's start-up target).

    python3 -m pip install onnxruntime onnx numpy Pillow   # on a developer's machine only
    python3 bench/onnxruntime_photo.py --prepare .cache/vgg16.onnx     # once: writes the cut model
    /usr/bin/time -v python3 bench/onnxruntime_photo.py examples/astronaut.jpg

The timed run imports onnxruntime, numpy and Pillow, opens the conv base cut at block5_pool
(written once by --prepare, so the cut itself is not timed), decodes and resizes the photo to
224 × 224, and runs it on all cores. It only computes features: no captioning at all.
"""
import os, sys

CONV_BASE = os.path.join(os.path.dirname(__file__), "..", ".cache", "vgg16_conv_base.onnx")


def prepare(onnx_path):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
    import onnx
    from vgg16_conv_base import conv_base
    onnx.save(conv_base(onnx_path), CONV_BASE)
    print(f"wrote {CONV_BASE}")


def features(photo):
    import numpy as np
    import onnxruntime as ort
    from PIL import Image
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count()
    session = ort.InferenceSession(CONV_BASE, options, providers=["CPUExecutionProvider"])
    rgb = np.asarray(Image.open(photo).convert("RGB").resize((224, 224), Image.BOX), dtype=np.float32)
    x = (rgb[..., ::-1] - np.array([103.939, 116.779, 123.68], dtype=np.float32))[None]
    conv5, pool5 = session.run(None, {"input": np.ascontiguousarray(x)})
    print(f"{photo}: pool5 {pool5.shape}, mean {pool5.mean():.4f}")


if __name__ == "__main__":
    if sys.argv[1] == "--prepare":
        prepare(sys.argv[2])
    else:
        features(sys.argv[1])
