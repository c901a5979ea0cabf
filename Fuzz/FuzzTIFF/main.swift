// libFuzzer target: ImageDecoder.decode on TIFF input (libtiff through the CImageCodecs shim).
// Build and run: README, "Fuzzing".
import ImageFuzzing

fuzzImageDecoder(signature: [0x49, 0x49, 0x2A, 0x00])
