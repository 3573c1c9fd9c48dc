#include "api/cli_client.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "api/key_file.h"
#include "ledger/transaction.h"

namespace onebill::api::cli {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

std::string home_of(const ClientOptions& options) { return options.home.empty() ? env_or("ONEBILL_HOME", "") : options.home; }

// A key name is a plain file stem: no path tricks through --as.
bool is_key_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> key_path_of_name(const ClientOptions& options, const std::string& name) {
  if (!is_key_name(name)) return invalid("invalid-argument", "'" + name + "' is not a key name (letters, digits, - and _)");
  const std::string home = home_of(options);
  if (home.empty()) {
    return invalid("no-home", "--as " + name + " needs the consortium home: pass --home DIR or set ONEBILL_HOME");
  }
  return (std::filesystem::path(home) / "keys" / (name + ".json")).string();
}

Result<std::string> signer_key_path(const ClientOptions& options) {
  if (!options.key_file.empty() && !options.as_name.empty()) {
    return invalid("invalid-argument", "give either --key or --as, not both");
  }
  if (!options.as_name.empty()) return key_path_of_name(options, options.as_name);
  if (!options.key_file.empty()) return options.key_file;
  const std::string from_env = env_or("ONEBILL_KEY", "");
  if (!from_env.empty()) return from_env;
  return invalid("no-key", "this command signs: pass --key FILE, --as NAME (with --home), or set ONEBILL_KEY");
}

}  // namespace

void add_client_options(CLI::App& command, ClientOptions& options, bool signs) {
  options.node = env_or("ONEBILL_NODE", "http://127.0.0.1:18080");
  command.add_option("--node", options.node, "Node URL (env ONEBILL_NODE)")->capture_default_str();
  command.add_flag("--json", options.json_output, "Print the answer as JSON, for scripts");
  command.add_option("--home", options.home, "Consortium home written by `onebill init` (env ONEBILL_HOME), for --as and party names");
  command.add_option("--key", options.key_file, "Key file that signs (env ONEBILL_KEY)");
  command.add_option("--as", options.as_name, "Sign as the key NAME.json in the home's keys/ (e.g. carrier-rail)");
  command.add_option("--passphrase-file", options.passphrase_file,
                     "File holding the passphrase of an encrypted key (or env ONEBILL_PASSPHRASE)");
  if (signs) command.add_flag("--no-wait", options.no_wait, "Return once the node admits the transaction, without waiting for commit");
}

Result<NodeClient> connect(const ClientOptions& options) { return NodeClient::connect(options.node); }

Result<PrivateKey> load_signer(const ClientOptions& options) {
  auto path = signer_key_path(options);
  if (!path) return path.problem();
  std::optional<std::filesystem::path> passphrase_file;
  if (!options.passphrase_file.empty()) passphrase_file = options.passphrase_file;
  return read_key_file(*path, passphrase_file);
}

Result<std::optional<PrivateKey>> load_optional_reader(const ClientOptions& options) {
  if (options.key_file.empty() && options.as_name.empty() && env_or("ONEBILL_KEY", "").empty()) {
    return std::optional<PrivateKey>{};
  }
  auto key = load_signer(options);
  if (!key) return key.problem();
  return std::optional<PrivateKey>{*key};
}

Result<Address> resolve_party(const ClientOptions& options, const std::string& text) {
  if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) return Address::parse(text);
  auto path = key_path_of_name(options, text);
  if (!path) return path.problem();
  std::optional<std::filesystem::path> passphrase_file;
  if (!options.passphrase_file.empty()) passphrase_file = options.passphrase_file;
  auto key = read_key_file(*path, passphrase_file);
  if (!key) {
    return invalid("unknown-party", "'" + text + "' is neither an address (0x + 40 hex) nor a key in " +
                                        home_of(options) + "/keys: " + key.problem().detail);
  }
  return key->address();
}

Result<json::Json> submit(const ClientOptions& options, const std::string& type, const json::Json& body) {
  auto key = load_signer(options);
  if (!key) return key.problem();
  auto client = connect(options);
  if (!client) return client.problem();
  auto status = client->get("/v1/status");
  if (!status) return status.problem();
  const auto chain = status->value("chain", std::string());
  const Address from = key->address();
  auto account = client->get("/v1/participants/" + from.to_string(), &*key);
  if (!account) return account.problem();
  const auto nonce = account->value("pending_nonce", std::uint64_t{0});
  auto unsigned_tx = ledger::build_transaction(chain, type, nonce, from, body);
  if (!unsigned_tx) return unsigned_tx.problem();
  auto signed_tx = ledger::sign_transaction(*unsigned_tx, *key);
  if (!signed_tx) return signed_tx.problem();
  const std::string target = options.no_wait ? "/v1/tx" : "/v1/tx?wait=commit&timeout_ms=30000";
  auto answer = client->post(target, json::canonical(*signed_tx));
  if (!answer) return answer.problem();
  return answer->body;
}

int print_submitted(const ClientOptions& options, const std::string& type, const Result<json::Json>& answer) {
  if (!answer) {
    const Problem& problem = answer.problem();
    if (options.json_output) {
      std::cout << json::Json{{"error", problem.rule}, {"detail", problem.detail}}.dump(2) << "\n";
    }
    std::cerr << "refused: " << type << ": " << problem.rule << ": " << problem.detail << "\n";
    std::cerr << "  (see `/v1/problems/" << problem.rule << "` on the node for what the rule means)\n";
    return exit_failed;
  }
  if (options.json_output) {
    std::cout << answer->dump(2) << "\n";
    return exit_ok;
  }
  const std::string status = answer->value("status", std::string("?"));
  std::cout << type << " " << status;
  if (answer->contains("height")) std::cout << " at height " << (*answer)["height"].dump();
  std::cout << "  tx " << answer->value("id", std::string()) << "\n";
  return status == "committed" || status == "pending" ? exit_ok : exit_failed;
}

void print_outline(const json::Json& value, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (item.is_structured() && !item.empty()) {
        std::cout << pad << key << ":\n";
        print_outline(item, indent + 1);
      } else {
        std::cout << pad << key << ": " << (item.is_string() ? item.get<std::string>() : item.dump()) << "\n";
      }
    }
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_structured()) {
        std::cout << pad << "-\n";
        print_outline(item, indent + 1);
      } else {
        std::cout << pad << "- " << (item.is_string() ? item.get<std::string>() : item.dump()) << "\n";
      }
    }
  } else {
    std::cout << pad << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
  }
}

}  // namespace onebill::api::cli
