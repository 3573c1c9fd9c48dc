#include "crypto/assert.h"

#include <cstdio>
#include <cstdlib>

namespace onebill::detail {

void assertion_failed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "onebill: invariant broken: %s at %s:%d\n", expression, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace onebill::detail
