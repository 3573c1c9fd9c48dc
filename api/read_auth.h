// Signed read requests (DESIGN §7): `Authorization: OneBill <address>:<unix_ms>:<sig>`, where sig is
// EIP-191 personal_sign over "OneBill read v1\n" + method + " " + target + "\n" + unix_ms, target being the
// path with its query string, and unix_ms within ±60 s of the server's clock. One implementation for the
// client (CLI) and the server.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/secp256k1.h"

namespace onebill::api {

inline constexpr std::int64_t read_auth_window_ms = 60'000;

std::string read_auth_text(std::string_view method, std::string_view target, std::int64_t unix_ms);

// The Authorization header value for a request signed by `key` at `unix_ms`.
std::string make_read_authorization(const PrivateKey& key, std::string_view method, std::string_view target,
                                    std::int64_t unix_ms);

// Checks a header value against the request; returns the reader's address. Problems (all 401):
// "unauthorized" with a detail saying what is wrong (format, stale time, signature).
Result<Address> check_read_authorization(std::string_view header, std::string_view method,
                                         std::string_view target, std::int64_t now_unix_ms);

}  // namespace onebill::api
