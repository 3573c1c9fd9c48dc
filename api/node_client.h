// The HTTP client the CLI uses to talk to a node (DESIGN §7): JSON in and out, problem+json turned back
// into the Problem the node named, signed reads when a key is given. TCP_NODELAY is always on.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "crypto/json.h"
#include "crypto/result.h"
#include "crypto/secp256k1.h"

namespace httplib {
class Client;
}

namespace onebill::api {

struct NodeResponse {
  int status = 0;
  json::Json body;  // the parsed JSON answer (null when the answer was empty)
};

class NodeClient {
 public:
  // url: "http://host:port" (the default of DESIGN §7 is http://127.0.0.1:18080). "invalid-url" otherwise.
  static Result<NodeClient> connect(const std::string& url);
  ~NodeClient();
  NodeClient(NodeClient&&) noexcept;
  NodeClient& operator=(NodeClient&&) noexcept;

  const std::string& url() const { return url_; }

  // GET target; when `reader` is given the request carries a signed read authorization. A 2xx answer
  // is returned; any other status becomes the node's Problem (rule from its problem type), and a
  // connection failure the local fault "node-unreachable".
  Result<json::Json> get(const std::string& target, const PrivateKey* reader = nullptr);
  // Same, but a 404 answers nullopt instead of a Problem.
  Result<std::optional<json::Json>> get_optional(const std::string& target, const PrivateKey* reader = nullptr);
  // POST a JSON body; 2xx answers are returned with their status (202 pending, 200 committed).
  Result<NodeResponse> post(const std::string& target, const std::string& json_body,
                            int read_timeout_s = 35);

 private:
  NodeClient() = default;
  Result<NodeResponse> answer(int status, const std::string& body) const;
  std::string url_;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace onebill::api
