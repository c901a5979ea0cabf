// libFuzzer target: ImageDecoder.decode on WebP input (libwebp through the CImageCodecs shim).
// Build and run: README, "Fuzzing".
import ImageFuzzing

fuzzImageDecoder(signature: Array("RIFF".utf8))
