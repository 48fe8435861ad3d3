// What every libFuzzer target in tests/fuzz shares: a reader may only ever answer hostile bytes
// with a qdiff::Error (the one clear line the CLI prints). Any other exception escapes and
// libFuzzer reports it as a crash, as it does a sanitizer finding, a leak, a hang or an
// allocation over -malloc_limit_mb.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "qdiff/core/error.hpp"

// Runs body(bytes) and swallows only qdiff::Error.
#define QDIFF_FUZZ_TARGET(body)                                                 \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {    \
    try {                                                                       \
      body(std::span<const uint8_t>(data, size));                               \
    } catch (const qdiff::Error&) {                                             \
    }                                                                           \
    return 0;                                                                   \
  }
