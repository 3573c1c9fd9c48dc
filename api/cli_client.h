// What every command that talks to a node shares (DESIGN §7 CLI): --node (ONEBILL_NODE, default
// http://127.0.0.1:18080), --key FILE (ONEBILL_KEY) or --as NAME (the key NAME.json under the keys/ of
// --home or ONEBILL_HOME), --json; and the submit path: sign with the node's pending_nonce, post, wait for
// commit.
#pragma once

#include <optional>
#include <string>

#include "api/cli.h"
#include "api/node_client.h"
#include "crypto/json.h"
#include "crypto/secp256k1.h"

namespace onebill::api::cli {

struct ClientOptions {
  std::string node;
  std::string key_file;
  std::string as_name;
  std::string home;
  std::string passphrase_file;
  bool json_output = false;
  bool no_wait = false;
};

// Adds --node, --json and, when `signs`, --key, --as, --home, --passphrase-file, --no-wait.
void add_client_options(CLI::App& command, ClientOptions& options, bool signs);

Result<NodeClient> connect(const ClientOptions& options);
// The key named by --key / --as (or ONEBILL_KEY); "no-key" when none is given.
Result<PrivateKey> load_signer(const ClientOptions& options);
// The key for signed reads: the signer when one is given, else none (the operator reads on loopback).
Result<std::optional<PrivateKey>> load_optional_reader(const ClientOptions& options);
// A party given as an address or as the name of a key in the home (`shipper`, `bank`, ...).
Result<Address> resolve_party(const ClientOptions& options, const std::string& text);

// Builds, signs with pending_nonce, submits, and (unless --no-wait) waits for commit. Returns the node's
// answer ({"id","status","height","block_hash"}).
Result<json::Json> submit(const ClientOptions& options, const std::string& type, const json::Json& body);

// Prints a submit answer: one line for people, the JSON with --json. Returns the exit code.
int print_submitted(const ClientOptions& options, const std::string& type, const Result<json::Json>& answer);

// Prints any JSON answer: pretty JSON with --json, an indented "key: value" outline otherwise.
void print_outline(const json::Json& value, int indent = 0);

}  // namespace onebill::api::cli
