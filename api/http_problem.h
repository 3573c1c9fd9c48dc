// RFC 9457 problem+json answers (DESIGN §7): one table maps every problem name to its HTTP status, so the
// server, the CLI and the tests agree on it. `type` is "/v1/problems/<rule>".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/json.h"
#include "crypto/result.h"

namespace httplib {
struct Response;
}

namespace onebill::api {

inline constexpr std::string_view problem_media_type = "application/problem+json";

// The HTTP status of a problem: DESIGN §7's table; a rule not in it answers 400 for invalid input and
// 500 for a local fault.
int http_status_of(const Problem& problem);

// {"type","title","status","detail","rule"} plus the members of `extra` (an object or null).
json::Json problem_json(const Problem& problem, int status, const json::Json& extra = nullptr);

// Sets status, the problem+json body and its media type. `status` 0 means http_status_of(problem).
void answer_problem(httplib::Response& response, const Problem& problem, int status = 0,
                    const json::Json& extra = nullptr);

// Serialises an API answer. Strings that are not valid UTF-8 are replaced (U+FFFD), never thrown on:
// a stored remark or a hostile input echoed in a detail must not take a worker down.
std::string dump_json(const json::Json& value);

// Every rule of the table, in table order (tests check that every rule the code emits is in it).
std::vector<std::string_view> problem_rules();

// The short page served at /v1/problems/<rule>: the rule, its status, and what it means; nullopt for an
// unknown rule.
std::optional<json::Json> problem_description(std::string_view rule);

}  // namespace onebill::api
