"""Make the encoder's golden test values with ONNX Runtime (run once; commit the outputs).

    python3 scripts/make_encoder_goldens.py .cache/vgg16.onnx

For each fixture photo (openly licensed, from scikit-image's data, resized once to 224×224 and
stored as PNG so decoding is exact and needs no resize), it runs ONNX Runtime on the VGG16 conv
base and writes little-endian float32 files in HWC order (the encoder's layout):
  <name>.pool5.f32   7×7×512      <name>.vector.f32   512 (mean of pool5 over its 7×7 cells)
  chelsea.conv5_3.f32  14×14×512 (one image only, to keep the fixtures small)
"""
import os, sys
import numpy as np
import onnxruntime as ort
from PIL import Image
import skimage.data

sys.path.insert(0, os.path.dirname(__file__))
from vgg16_conv_base import conv_base, caffe_preprocess

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "encoder")
PHOTOS = {"chelsea": skimage.data.chelsea, "coffee": skimage.data.coffee, "rocket": skimage.data.rocket}

def main(onnx_path):
    model = conv_base(onnx_path)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for name, load in PHOTOS.items():
        photo = Image.fromarray(load()).convert("RGB").resize((224, 224), Image.BOX)
        photo.save(os.path.join(OUT, f"{name}.png"), optimize=True)
        rgb = np.asarray(Image.open(os.path.join(OUT, f"{name}.png")).convert("RGB"))
        x = caffe_preprocess(rgb)[None]
        conv5, pool5 = session.run(None, {"input": x})
        conv5 = conv5[0].transpose(1, 2, 0)       # CHW → HWC
        pool5 = pool5[0].transpose(1, 2, 0)
        pool5.astype("<f4").tofile(os.path.join(OUT, f"{name}.pool5.f32"))
        pool5.mean(axis=(0, 1)).astype("<f4").tofile(os.path.join(OUT, f"{name}.vector.f32"))
        if name == "chelsea":
            conv5.astype("<f4").tofile(os.path.join(OUT, f"{name}.conv5_3.f32"))
        print(name, pool5.shape, float(np.abs(pool5).max()), float(conv5.mean()))

if __name__ == "__main__":
    main(sys.argv[1])
