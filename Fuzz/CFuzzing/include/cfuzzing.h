// libFuzzer's driver, for the Swift fuzz targets' main.swift. SwiftPM links an executable's
// entry point as main (--defsym main=<Module>_main), which keeps libFuzzer's own main() out
// of the link, so each target calls the driver itself with its test-one-input callback.
#ifndef CFUZZING_H
#define CFUZZING_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*test_one_input)(const uint8_t *data, size_t size));

#endif
