#include <doctest/doctest.h>

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
