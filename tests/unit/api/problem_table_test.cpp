// The problem table of api/http_problem.cpp (DESIGN §7, Errors) covers every rule the code emits: each
// has an HTTP status and a page at /v1/problems/<rule>. The rules are found by reading the sources
// (invalid("rule", ...), local_fault("rule", ...), conflict("rule", ...)), so a new rule without a
// table entry fails here.
#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "api/http_problem.h"
#include "tests/unit/test_support.h"

namespace {

// Placeholders that are never shown to anyone (a Result's initial value before it is computed).
const std::set<std::string> never_emitted = {"not-asked"};

std::set<std::string> rules_in_sources() {
  std::set<std::string> rules;
  const std::regex emitted(R"(\b(invalid|local_fault|conflict)\(\s*"([a-z0-9-]+)\")");
  for (const char* folder : {"crypto", "tradetrust", "ledger", "node", "api"}) {
    for (const auto& file :
         std::filesystem::recursive_directory_iterator(onebill::test::source_dir() / folder)) {
      const auto extension = file.path().extension();
      if (extension != ".cpp" && extension != ".h") continue;
      const std::string text = onebill::test::read_file(file.path());
      for (std::sregex_iterator it(text.begin(), text.end(), emitted), end; it != end; ++it) {
        rules.insert((*it)[2].str());
      }
    }
  }
  for (const auto& rule : never_emitted) rules.erase(rule);
  return rules;
}

}  // namespace

TEST_CASE("every rule the code emits has a status and a problem page") {
  const auto rules = rules_in_sources();
  CHECK(rules.size() > 40);  // the scan found the sources
  for (const auto& rule : rules) {
    const auto page = onebill::api::problem_description(rule);
    CHECK_MESSAGE(page.has_value(), "rule '" << rule << "' has no entry in api/http_problem.cpp's table");
    if (!page) continue;
    CHECK(page->at("type") == "/v1/problems/" + rule);
    const int status = page->at("status").get<int>();
    CHECK_MESSAGE((status >= 400 && status <= 599), rule);
    CHECK(!page->at("description").get<std::string>().empty());
  }
}

TEST_CASE("every rule of DESIGN §7's error table answers its status") {
  const std::pair<int, const char*> table[] = {{400, "malformed-json"},
                                               {400, "duplicate-key"},
                                               {400, "unknown-field"},
                                               {400, "wrong-type"},
                                               {400, "non-canonical-number"},
                                               {400, "address-checksum"},
                                               {400, "signature-encoding"},
                                               {400, "wrong-chain"},
                                               {400, "invalid-body"},
                                               {400, "too-deep"},
                                               {401, "unauthorized"},
                                               {403, "not-permitted"},
                                               {404, "not-found"},
                                               {409, "nonce-used"},
                                               {409, "nonce-gap"},
                                               {409, "bill-status"},
                                               {409, "bill-kind"},
                                               {409, "not-entitled"},
                                               {409, "bill-pledged"},
                                               {409, "bill-not-pledged"},
                                               {409, "same-party"},
                                               {409, "id-used"},
                                               {409, "reference-used"},
                                               {409, "recipient-not-admitted"},
                                               {409, "leg-order"},
                                               {409, "leg-place"},
                                               {409, "not-surrendered"},
                                               {409, "not-replaceable"},
                                               {409, "already-replaced"},
                                               {409, "unknown-bill"},
                                               {409, "unknown-proposal"},
                                               {409, "proposal-expired"},
                                               {409, "already-approved"},
                                               {409, "last-admin"},
                                               {409, "domain-used"},
                                               {409, "expired"},
                                               {409, "evicted"},
                                               {413, "too-large"},
                                               {415, "unsupported-media-type"},
                                               {422, "signer-mismatch"},
                                               {429, "sender-pending-limit"},
                                               {503, "mempool-full"},
                                               {503, "not-synced"},
                                               {503, "busy"}};
  for (const auto& [status, rule] : table) {
    CHECK_MESSAGE(onebill::api::http_status_of(onebill::invalid(rule, "")) == status, rule);
    CHECK_MESSAGE(onebill::api::problem_description(rule).has_value(), rule);
  }
}

TEST_CASE("an unknown rule has no page") {
  CHECK_FALSE(onebill::api::problem_description("no-such-rule").has_value());
}
