#include "crypto/random.h"

#include <sys/random.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "crypto/assert.h"

namespace onebill {

void random_bytes(std::span<std::uint8_t> out) {
  std::size_t filled = 0;
  while (filled < out.size()) {
    // getrandom(2) with no flags blocks until the kernel pool is initialised, then never fails for
    // lack of entropy; it may return short counts (above 256 bytes) or be interrupted by a signal.
    const ssize_t got = getrandom(out.data() + filled, out.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "onebill: the operating system cannot supply randomness (getrandom: errno %d)\n",
                   errno);
      std::fflush(stderr);
      std::abort();
    }
    filled += static_cast<std::size_t>(got);
  }
  ONEBILL_ASSERT(filled == out.size());
}

}  // namespace onebill
