"""ONNX Runtime on the same VGG16 conv base, for `caption bench encoder --onnxruntime X`.

    python3 -m pip install onnxruntime onnx numpy      # on a developer's machine only
    python3 bench/onnxruntime_encoder.py .cache/vgg16.onnx

Cuts the pinned ONNX file at block5_pool with a free input size (scripts/vgg16_conv_base.py),
then prints img/s at batch 1 and 4 for 224×224 input, on all cores, after one warm-up run.
"""
import os, sys, time
import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
from vgg16_conv_base import conv_base


def main(onnx_path, runs=5):
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count()
    session = ort.InferenceSession(conv_base(onnx_path).SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    print(f"onnxruntime {ort.__version__}, {os.cpu_count()} threads")
    rng = np.random.default_rng(1)
    for batch in (1, 4):
        x = rng.uniform(-128, 128, size=(batch, 224, 224, 3)).astype(np.float32)
        session.run(None, {"input": x})
        start = time.perf_counter()
        for _ in range(runs):
            session.run(None, {"input": x})
        per_image = (time.perf_counter() - start) / runs / batch
        print(f"onnxruntime batch {batch}: {per_image * 1000:.1f} ms/img  {1 / per_image:.2f} img/s  "
              f"{30.7 / per_image:.1f} GFLOP/s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".cache/vgg16.onnx")
