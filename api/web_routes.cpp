#include "api/web_routes.h"

#include <string>

#include <httplib.h>

#include "api/embedded.h"
#include "api/http_problem.h"
#include "api/http_server.h"

namespace onebill::api {
namespace {

void set_security_headers(httplib::Response& response) {
  response.set_header("Content-Security-Policy", std::string(web_content_security_policy));
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Cross-Origin-Opener-Policy", "same-origin");
  response.set_header("Cross-Origin-Resource-Policy", "same-origin");
  // The assets change with the binary; a browser revalidates rather than keep a stale page.
  response.set_header("Cache-Control", "no-cache");
}

void answer_embedded(const std::string& path, httplib::Response& response) {
  set_security_headers(response);
  const EmbeddedFile* file = find_embedded(path);
  if (file == nullptr) {
    answer_problem(response, invalid("not-found", "The page has no such file."));
    return;
  }
  response.status = 200;
  response.set_content(std::string(file->content), std::string(media_type_of(file->path)));
}

}  // namespace

void add_web_routes(HttpServer& http) {
  http.get("/", [](const httplib::Request&, httplib::Response& response) {
    answer_embedded("/web/index.html", response);
  });
  // Only embedded files exist: the name is looked up in a sorted table, never joined to a disk path.
  http.get(R"(/web/([A-Za-z0-9._-]{1,64}))",
           [](const httplib::Request& request, httplib::Response& response) {
             answer_embedded("/web/" + request.matches[1].str(), response);
           });
}

}  // namespace onebill::api
