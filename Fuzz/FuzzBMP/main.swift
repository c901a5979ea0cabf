// libFuzzer target: ImageDecoder.decode on BMP input (the Swift BMPDecoder).
// Build and run: README, "Fuzzing".
import ImageFuzzing

fuzzImageDecoder(signature: Array("BM".utf8))
