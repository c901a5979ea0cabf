// Declarations only (include/cfuzzing.h); LLVMFuzzerRunDriver comes from libFuzzer, linked
// by -sanitize=fuzzer. SwiftPM wants at least one source file in a C target.
#include "cfuzzing.h"
