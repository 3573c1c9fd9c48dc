#include "api/read_auth.h"

#include <charconv>

#include "crypto/eip191.h"

namespace onebill::api {

std::string read_auth_text(std::string_view method, std::string_view target, std::int64_t unix_ms) {
  std::string text = "OneBill read v1\n";
  text.append(method).append(" ").append(target).append("\n").append(std::to_string(unix_ms));
  return text;
}

std::string make_read_authorization(const PrivateKey& key, std::string_view method, std::string_view target,
                                    std::int64_t unix_ms) {
  const Signature sig = eip191::sign(key, read_auth_text(method, target, unix_ms));
  return "OneBill " + key.address().to_string() + ":" + std::to_string(unix_ms) + ":" +
         signature_to_string(sig);
}

Result<Address> check_read_authorization(std::string_view header, std::string_view method,
                                         std::string_view target, std::int64_t now_unix_ms) {
  constexpr std::string_view scheme = "OneBill ";
  if (header.substr(0, scheme.size()) != scheme) {
    return invalid("unauthorized", "the Authorization header must be 'OneBill <address>:<unix_ms>:<sig>'");
  }
  std::string_view rest = header.substr(scheme.size());
  const auto first = rest.find(':');
  const auto second = first == std::string_view::npos ? first : rest.find(':', first + 1);
  if (second == std::string_view::npos) {
    return invalid("unauthorized", "the Authorization header must be 'OneBill <address>:<unix_ms>:<sig>'");
  }
  auto address = Address::parse(rest.substr(0, first));
  if (!address) return invalid("unauthorized", "the Authorization address is malformed");
  const std::string_view time_text = rest.substr(first + 1, second - first - 1);
  std::int64_t unix_ms = 0;
  const auto [end, error] = std::from_chars(time_text.data(), time_text.data() + time_text.size(), unix_ms);
  if (error != std::errc{} || end != time_text.data() + time_text.size() || time_text.empty() ||
      time_text.size() > 15) {
    return invalid("unauthorized", "the Authorization time must be unix milliseconds");
  }
  if (unix_ms < now_unix_ms - read_auth_window_ms || unix_ms > now_unix_ms + read_auth_window_ms) {
    return invalid("unauthorized", "the Authorization time is more than 60 s from the node's clock");
  }
  auto signature = parse_signature(rest.substr(second + 1));
  if (!signature) return invalid("unauthorized", "the Authorization signature is malformed");
  auto signer = eip191::recover(read_auth_text(method, target, unix_ms), *signature);
  if (!signer || *signer != *address) {
    return invalid("unauthorized", "the Authorization signature does not match its address");
  }
  return *address;
}

}  // namespace onebill::api
