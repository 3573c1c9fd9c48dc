#include <doctest/doctest.h>

#include <httplib.h>

#include <thread>

#include "api/bench_driver.h"
#include "api/http_server.h"

using onebill::api::HttpServer;

TEST_CASE("a second server cannot bind a port another server already listens on") {
  HttpServer first;
  auto port = first.bind("127.0.0.1", 0);
  REQUIRE(port.ok());
  HttpServer second;
  auto again = second.bind("127.0.0.1", *port);
  CHECK_FALSE(again.ok());
}

TEST_CASE(
    "a GET route matches exactly the paths its pattern matches, with its captures, whatever its literal "
    "ends") {
  using namespace std::chrono_literals;
  onebill::api::HttpServer server;
  auto answer_with = [](std::string name) {
    return [name](const httplib::Request& request, httplib::Response& response) {
      std::string body = name;
      for (std::size_t i = 1; i < request.matches.size(); ++i) body += "|" + request.matches[i].str();
      response.set_content(body, "text/plain");
    };
  };
  server.get("/v1/bills/([^/]+)", answer_with("bill"));
  server.get("/v1/bills/([^/]+)/control", answer_with("control"));
  server.get("/v1/status", answer_with("status"));
  server.get(R"(/files/([a-z]+)\.json)", answer_with("file"));
  server.get("/opt/ab?c", answer_with("optional"));
  server.get(R"(/d/(\d+)x)", answer_with("digits"));
  auto port = server.bind("127.0.0.1", 0);
  REQUIRE(port.ok());
  std::thread running([&] { server.run(); });
  onebill::api::bench::ReadConnection client({"127.0.0.1", static_cast<std::uint16_t>(*port)}, 5s);
  auto body_of = [&](const std::string& path) -> std::string {
    auto answer = client.get(path);
    if (!answer) return "no answer";
    return answer->first == 200 ? answer->second : std::to_string(answer->first);
  };
  CHECK(body_of("/v1/bills/0xab") == "bill|0xab");
  CHECK(body_of("/v1/bills/0xab/control") == "control|0xab");
  CHECK(body_of("/v1/bills/0xab/x/control") == "404");
  CHECK(body_of("/v1/bills/") == "404");
  CHECK(body_of("/v1/status") == "status");
  CHECK(body_of("/v1/status/") == "404");
  CHECK(body_of("/v1/statusx") == "404");
  CHECK(body_of("/files/abc.json") == "file|abc");
  CHECK(body_of("/files/abcxjson") == "404");
  CHECK(body_of("/opt/ac") == "optional");
  CHECK(body_of("/opt/abc") == "optional");
  CHECK(body_of("/opt/abbc") == "404");
  CHECK(body_of("/d/42x") == "digits|42");
  CHECK(body_of("/d/dx") == "404");
  // HEAD goes through the library's own table, to the same handler.
  httplib::Client head("127.0.0.1", *port);
  auto headed = head.Head("/v1/bills/0xab/control");
  REQUIRE(headed);
  CHECK(headed->status == 200);
  server.stop();
  running.join();
}
