/* Nothing to compile: CBerthFuzz only declares libFuzzer's driver. */
#include "CBerthFuzz.h"
