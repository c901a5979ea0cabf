// libFuzzer target: ImageDecoder.decode on GIF input (libgif through the CImageCodecs shim).
// Build and run: README, "Fuzzing".
import ImageFuzzing

fuzzImageDecoder(signature: Array("GIF8".utf8))
