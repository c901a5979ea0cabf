// libFuzzer target: ImageDecoder.decode on PNG input (libpng through the CImageCodecs shim).
// Build and run: README, "Fuzzing".
import ImageFuzzing

fuzzImageDecoder(signature: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
