// Invariant checks that are never compiled out (DESIGN §8, STYLE: Bitcoin Core, TigerBeetle).
// Use for conditions that only a bug can break; expected failures are Result values.
#pragma once

namespace onebill::detail {
[[noreturn]] void assertion_failed(const char* expression, const char* file, int line);
}

#define ONEBILL_ASSERT(condition)                                              \
  do {                                                                         \
    if (!(condition)) ::onebill::detail::assertion_failed(#condition, __FILE__, __LINE__); \
  } while (false)
