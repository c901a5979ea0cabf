// libFuzzer target: ImageDecoder.decode on HEIC and AVIF input (libheif through the CImageCodecs shim; no prefix is forced: the ftyp box sits at offset 4).
// Build and run: README, "Fuzzing".
import ImageFuzzing

fuzzImageDecoder(signature: [])
