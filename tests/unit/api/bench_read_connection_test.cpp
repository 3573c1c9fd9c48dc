// api/bench_driver ReadConnection: the bench's reader gets whole answers from the node's real HTTP
// server over one kept connection, small and large, and connects again when the server closes it.
#include <doctest/doctest.h>

#include <httplib.h>

#include <string>
#include <thread>

#include "api/bench_driver.h"
#include "api/http_server.h"

namespace {

using namespace std::chrono_literals;
using onebill::api::HttpServer;
using onebill::api::HttpServerLimits;
using onebill::api::bench::Endpoint;
using onebill::api::bench::ReadConnection;

struct RunningServer {
  explicit RunningServer(HttpServerLimits limits) : server(limits) {
    server.get("/small", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("{\"ok\":true}", "application/json");
    });
    server.get(R"(/big/(\d+))", [](const httplib::Request& request, httplib::Response& response) {
      const auto size = std::stoul(request.matches[1].str());
      std::string body(size, 'x');
      for (std::size_t i = 0; i < size; i += 997) body[i] = static_cast<char>('a' + i % 26);
      response.set_content(body, "text/plain");
    });
    auto bound = server.bind("127.0.0.1", 0);
    REQUIRE(bound.ok());
    port = static_cast<std::uint16_t>(*bound);
    thread = std::thread([this] { server.run(); });
  }
  ~RunningServer() {
    server.stop();
    thread.join();
  }
  HttpServer server;
  std::uint16_t port = 0;
  std::thread thread;
};

std::string expected_big(std::size_t size) {
  std::string body(size, 'x');
  for (std::size_t i = 0; i < size; i += 997) body[i] = static_cast<char>('a' + i % 26);
  return body;
}

TEST_CASE("the bench's reader gets every answer whole over one kept connection, small or large") {
  RunningServer running(HttpServerLimits{});
  ReadConnection connection(Endpoint{"127.0.0.1", running.port}, 5s);
  for (int round = 0; round < 3; ++round) {
    auto small = connection.get("/small");
    REQUIRE(small);
    CHECK(small->first == 200);
    CHECK(small->second == "{\"ok\":true}");
    // Larger than the server's 16 KiB gathering buffer: sent in pieces, received in pieces.
    for (std::size_t size : {0UL, 1UL, 16UL * 1024 - 200, 16UL * 1024, 100UL * 1024}) {
      auto big = connection.get("/big/" + std::to_string(size));
      REQUIRE(big);
      CHECK(big->first == 200);
      CHECK(big->second == expected_big(size));
    }
    auto missing = connection.get("/nowhere");
    REQUIRE(missing);
    CHECK(missing->first == 404);
  }
  CHECK(running.server.counters().connections_accepted.load() == 1);
}

TEST_CASE("the bench's reader connects again when the server ends a kept connection") {
  HttpServerLimits limits;
  limits.keep_alive_max_requests = 3;
  RunningServer running(limits);
  ReadConnection connection(Endpoint{"127.0.0.1", running.port}, 5s);
  for (int i = 0; i < 10; ++i) {
    auto answer = connection.get("/small");
    REQUIRE(answer);
    CHECK(answer->first == 200);
  }
  CHECK(running.server.counters().connections_accepted.load() >= 4);
}

TEST_CASE("the bench's reader answers nothing when no server listens") {
  std::uint16_t port = 0;
  {
    RunningServer running(HttpServerLimits{});
    port = running.port;
    // Answered once, so the server runs before it stops (a stop before run would not end it).
    REQUIRE(ReadConnection(Endpoint{"127.0.0.1", port}, 5s).get("/small"));
  }
  ReadConnection connection(Endpoint{"127.0.0.1", port}, 1s);
  CHECK_FALSE(connection.get("/small"));
}

}  // namespace
