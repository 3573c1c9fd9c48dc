// api/openapi.json against the routes ApiServer really registers, both ways (issue 5): every path and
// method of the document is a route, and every route is in the document. (tests/e2e/api.test.js checks
// that each documented operation answers as documented on a live node.)
#include <doctest/doctest.h>

#include <cctype>
#include <memory>
#include <regex>
#include <set>
#include <string>

#include "api/embedded.h"
#include "api/server.h"
#include "crypto/json.h"
#include "ledger/memory_store.h"
#include "tests/unit/node/chain_fixture.h"

namespace {

using onebill::json::Json;

Json openapi_document() {
  const auto* file = onebill::api::find_embedded("/openapi.json");
  REQUIRE(file != nullptr);
  auto parsed = onebill::json::read(file->content);
  REQUIRE(parsed.ok());
  return *parsed;
}

// An OpenAPI path with each {parameter} replaced by a sample segment that every route pattern's
// parameter accepts.
std::string sample_path(const std::string& path) {
  return std::regex_replace(path, std::regex(R"(\{[a-z_]+\})"), "sample-1");
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

struct ServerUnderTest {
  onebill::node::test::Chain chain;
  std::unique_ptr<onebill::node::Node> node;
  std::unique_ptr<onebill::api::ApiServer> server;

  ServerUnderTest() {
    auto opened = onebill::node::Node::open(std::make_unique<onebill::ledger::MemoryStore>(), chain.genesis,
                                            std::nullopt, onebill::node::NodeOptions{});
    REQUIRE(opened.ok());
    node = std::move(*opened);
    server = std::make_unique<onebill::api::ApiServer>(*node);
  }
};

}  // namespace

TEST_CASE("every operation of the OpenAPI document is a route the server registers") {
  ServerUnderTest under_test;
  const auto routes = under_test.server->routes();
  const Json document = openapi_document();
  CHECK(document.at("openapi") == "3.1.0");
  for (const auto& [path, operations] : document.at("paths").items()) {
    for (const auto& [method, operation] : operations.items()) {
      (void)operation;
      const std::string sample = sample_path(path);
      bool found = false;
      for (const auto& route : routes) {
        if (route.method == upper(method) && std::regex_match(sample, std::regex(route.pattern)))
          found = true;
      }
      CHECK_MESSAGE(found, upper(method) << " " << path << " is documented but the server has no such route");
    }
  }
}

TEST_CASE("every route the server registers is in the OpenAPI document") {
  ServerUnderTest under_test;
  const Json document = openapi_document();
  for (const auto& route : under_test.server->routes()) {
    bool found = false;
    for (const auto& [path, operations] : document.at("paths").items()) {
      const std::string method = route.method == "GET" ? "get" : route.method == "POST" ? "post" : "?";
      if (operations.contains(method) && std::regex_match(sample_path(path), std::regex(route.pattern)))
        found = true;
    }
    CHECK_MESSAGE(found,
                  route.method << " " << route.pattern << " is served but missing from api/openapi.json");
  }
}

TEST_CASE("every documented operation names its responses with problem+json for errors") {
  const Json document = openapi_document();
  const Json& shared = document.at("components").at("responses");
  for (const auto& [path, operations] : document.at("paths").items()) {
    for (const auto& [method, operation] : operations.items()) {
      REQUIRE_MESSAGE(operation.contains("responses"), method << " " << path);
      for (const auto& [status, response] : operation.at("responses").items()) {
        if (status[0] == '2') continue;
        Json resolved = response;
        if (response.contains("$ref")) {
          const std::string name =
              response.at("$ref").get<std::string>().substr(std::string("#/components/responses/").size());
          REQUIRE_MESSAGE(shared.contains(name), "unknown response " << name);
          resolved = shared.at(name);
        }
        CHECK_MESSAGE(resolved.at("content").contains("application/problem+json"),
                      method << " " << path << " " << status);
      }
    }
  }
}
