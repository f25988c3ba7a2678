#ifndef CBERTHFUZZ_H
#define CBERTHFUZZ_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's driver (compiler-rt, libclang_rt.fuzzer): parses libFuzzer's
   flags from argv and runs `callback` on each input. The fuzz executables
   call it from their Swift main, because SwiftPM gives every executable a
   Swift entry point. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
