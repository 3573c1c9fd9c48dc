// The web page for bank and customs officers (issue 10): `/` and its assets under `/web/`, served from
// the files compiled into the binary (api/embedded.h), never from disk or the internet. The page is
// read-only: it calls the open routes of the API from the browser, holds no keys and signs nothing.
//
// Every answer carries a Content-Security-Policy that allows only the node's own origin, with no inline
// script and no inline style attribute, so a hostile string in a bill (a remark, a name) cannot run code.
#pragma once

#include <string_view>

namespace onebill::api {

class HttpServer;

// The Content-Security-Policy of the page and its assets.
inline constexpr std::string_view web_content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// Registers GET / (web/index.html) and GET /web/<file> on `http`. An unknown asset is a 404 problem.
void add_web_routes(HttpServer& http);

}  // namespace onebill::api
