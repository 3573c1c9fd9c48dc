#include <doctest/doctest.h>

#include "api/time_text.h"

using namespace onebill;

TEST_CASE("a time is written as RFC 3339 UTC with milliseconds and Z") {
  using namespace std::chrono;
  CHECK(api::rfc3339_ms(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  const auto when = system_clock::time_point{milliseconds{1795815605123}};
  CHECK(api::rfc3339_ms(when) == "2026-11-27T21:40:05.123Z");
}
