// Times as the ledger signs them: RFC 3339 UTC with milliseconds and Z (DESIGN §4 `time`).
#pragma once

#include <chrono>
#include <string>

namespace onebill::api {

// "2026-11-27T21:40:05.123Z".
std::string rfc3339_ms(std::chrono::system_clock::time_point when);

}  // namespace onebill::api
