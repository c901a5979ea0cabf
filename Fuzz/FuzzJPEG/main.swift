// libFuzzer target: ImageDecoder.decode on JPEG input (libjpeg-turbo through the CImageCodecs shim,
// then the Swift EXIF orientation code). Build and run: README, "Fuzzing".
import ImageFuzzing

fuzzImageDecoder(signature: [0xFF, 0xD8, 0xFF])
