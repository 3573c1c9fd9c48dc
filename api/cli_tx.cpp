// `onebill tx sign | build | attach | verify`: the transaction format of DESIGN §3 on the command line,
// offline. `build` and `attach` split signing for HSMs and hardware wallets (personal_sign of the text).
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "api/cli.h"
#include "api/key_file.h"
#include "crypto/hex.h"
#include "crypto/json.h"
#include "ledger/transaction.h"

namespace onebill::api::cli {
namespace {

using json::Json;

struct TxOptions {
  // What the transaction says.
  std::string chain;
  std::uint64_t nonce = 0;
  std::string type;
  std::string body;
  std::uint64_t expires_ms = 0;
  bool has_expires_ms = false;
  std::string from;
  // Who signs.
  std::string key_file;
  std::string as_name;
  std::string home;
  std::string passphrase_file;
  // attach and verify.
  std::string sig;
  std::string expected_chain;
  bool each_line = false;
  bool json_output = false;
};

// Reads stdin, at most max_bytes + 1 bytes (so an oversize input is seen as such without reading it all).
std::string read_stdin(std::size_t max_bytes) {
  std::string text;
  char buffer[4096];
  while (text.size() <= max_bytes && (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0)) {
    text.append(buffer, static_cast<std::size_t>(std::cin.gcount()));
  }
  if (text.size() > max_bytes + 1) text.resize(max_bytes + 1);
  return text;
}

Result<Json> read_body(const std::string& argument) {
  const std::string text = argument == "-" ? read_stdin(limits::max_transaction_bytes) : argument;
  json::ReadOptions options;
  options.max_bytes = limits::max_transaction_bytes;
  auto body = json::read(text, options);
  if (!body) return Problem{body.problem().rule, "--body: " + body.problem().detail};
  return body;
}

Result<ledger::UnsignedTransaction> build_from_options(const TxOptions& options, const Address& from) {
  auto body = read_body(options.body);
  if (!body) return body.problem();
  std::optional<std::uint64_t> expires;
  if (options.has_expires_ms) expires = options.expires_ms;
  return ledger::build_transaction(options.chain, options.type, options.nonce, from, *body, expires);
}

// --key FILE (or ONEBILL_KEY), else --as NAME: the key NAME.json in the keys/ of --home (or ONEBILL_HOME).
Result<std::filesystem::path> signer_key_path(const TxOptions& options) {
  if (!options.key_file.empty()) return std::filesystem::path(options.key_file);
  if (!options.as_name.empty()) {
    std::string home = options.home;
    if (home.empty()) {
      if (const char* from_environment = std::getenv("ONEBILL_HOME")) home = from_environment;
    }
    if (home.empty()) return invalid("no-key", "--as NAME needs --home DIR or ONEBILL_HOME");
    return std::filesystem::path(home) / "keys" / (options.as_name + ".json");
  }
  return invalid("no-key",
                 "give the signer's key: --key FILE (or ONEBILL_KEY), or --as NAME with --home DIR");
}

void print_wire(const Json& wire) {
  std::cout << json::canonical(wire) << "\n";
}

int run_sign(const TxOptions& options) {
  auto path = signer_key_path(options);
  if (!path) return report(path.problem());
  std::optional<std::filesystem::path> passphrase_file;
  if (!options.passphrase_file.empty()) passphrase_file = options.passphrase_file;
  auto key = read_key_file(*path, passphrase_file);
  if (!key) return report(key.problem());
  auto built = build_from_options(options, key->address());
  if (!built) return report(built.problem());
  auto wire = ledger::sign_transaction(*built, *key);
  if (!wire) return report(wire.problem());
  print_wire(*wire);
  return exit_ok;
}

int run_build(const TxOptions& options) {
  auto from = Address::parse(options.from);
  if (!from) return report(Problem{from.problem().rule, "--from: " + from.problem().detail});
  auto built = build_from_options(options, *from);
  if (!built) return report(built.problem());
  if (options.json_output) {
    std::cout << json::canonical(built->object) << "\n";
  } else {
    std::cout << built->signing_text;  // exactly the bytes to sign: no newline added
  }
  std::cout.flush();
  return exit_ok;
}

int run_attach(const TxOptions& options) {
  auto sig = parse_signature(options.sig);
  if (!sig) return report(Problem{sig.problem().rule, "--sig: " + sig.problem().detail});
  auto unsigned_tx = ledger::parse_unsigned_transaction(read_stdin(limits::max_transaction_bytes));
  if (!unsigned_tx) return report(unsigned_tx.problem());
  auto wire = ledger::attach_signature(*unsigned_tx, *sig);
  if (!wire) return report(wire.problem());
  print_wire(*wire);
  return exit_ok;
}

struct Verdict {
  std::optional<ledger::Transaction> transaction;  // set when valid
  Problem problem;
};

Verdict verify_text(std::string_view text, const TxOptions& options) {
  std::optional<std::string_view> chain;
  if (!options.expected_chain.empty()) chain = options.expected_chain;
  auto parsed = ledger::parse_transaction(text, chain);
  if (!parsed) return Verdict{std::nullopt, parsed.problem()};
  const Status signer = ledger::verify_signer(*parsed);
  if (!signer.ok()) return Verdict{std::nullopt, signer.problem()};
  return Verdict{std::move(*parsed), {}};
}

Json verdict_json(const Verdict& verdict) {
  if (!verdict.transaction) {
    return Json{{"valid", false}, {"rule", verdict.problem.rule}, {"detail", verdict.problem.detail}};
  }
  return Json{{"valid", true},
              {"signer", verdict.transaction->from.to_string()},
              {"id", hex::encode(verdict.transaction->id)},
              {"type", verdict.transaction->type},
              {"nonce", verdict.transaction->nonce}};
}

int run_verify_each_line(const TxOptions& options) {
  bool all_valid = true;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const Verdict verdict = verify_text(line, options);
    all_valid = all_valid && verdict.transaction.has_value();
    std::cout << json::canonical(verdict_json(verdict)) << "\n";
  }
  return all_valid ? exit_ok : exit_failed;
}

int run_verify(const TxOptions& options) {
  if (options.each_line) return run_verify_each_line(options);
  const Verdict verdict = verify_text(read_stdin(limits::max_transaction_bytes), options);
  if (options.json_output) std::cout << json::canonical(verdict_json(verdict)) << "\n";
  if (!verdict.transaction) {
    std::cerr << "invalid: " << verdict.problem.rule << ": " << verdict.problem.detail << "\n";
    return exit_failed;
  }
  if (!options.json_output) {
    std::cout << "signer " << verdict.transaction->from.to_string() << "\n"
              << "id " << hex::encode(verdict.transaction->id) << "\n";
  }
  return exit_ok;
}

std::string types_help() {
  std::string help = "Transaction type (DESIGN §4):";
  for (std::string_view type : ledger::known_transaction_types()) help += " " + std::string(type);
  return help;
}

// The options that say what the transaction is, shared by sign and build.
void add_content_options(CLI::App* command, TxOptions& options) {
  command->add_option("--chain", options.chain, "Chain id, as in the genesis (e.g. onebill-demo-3fa91c)")
      ->required();
  command
      ->add_option(
          "--nonce", options.nonce,
          "The signer's sequence number, from 0 (a node's GET /v1/participants/ADDR says pending_nonce)")
      ->required();
  command->add_option("--type", options.type, types_help())->required();
  command
      ->add_option("--body", options.body,
                   "The body as JSON, e.g. '{\"bill\":\"0x…\",\"to\":\"0x…\"}'; '-' reads it from stdin")
      ->required();
  command
      ->add_option("--expires-ms", options.expires_ms,
                   "Block time (Unix ms) after which the transaction is refused")
      ->each([&options](const std::string&) { options.has_expires_ms = true; });
}

}  // namespace

void add_tx_commands(CLI::App& root, CommandContext& context) {
  CLI::App* tx = root.add_subcommand(
      "tx",
      "Build, sign and verify transactions offline (DESIGN §3): signing text = \"OneBill transaction v1\\n\" "
      "+ RFC 8785 JSON, signature = EIP-191 personal_sign, id = keccak256 of the signing text");
  tx->require_subcommand(1);
  auto options = std::make_shared<TxOptions>();
  const char* const passphrase_help =
      "File holding the passphrase of an encrypted key (else ONEBILL_PASSPHRASE)";

  CLI::App* sign =
      tx->add_subcommand("sign", "Sign a transaction with a key file and print the signed wire JSON");
  add_content_options(sign, *options);
  sign->add_option("--key", options->key_file, "The signer's key file")->envname("ONEBILL_KEY");
  sign->add_option("--as", options->as_name,
                   "Sign with the key NAME.json in the keys/ of --home (demo homes)");
  sign->add_option("--home", options->home, "Home made by `onebill init` (for --as)")
      ->envname("ONEBILL_HOME");
  sign->add_option("--passphrase-file", options->passphrase_file, passphrase_help)->check(CLI::ExistingFile);
  sign->callback([&context, options] { context.run = [options] { return run_sign(*options); }; });

  CLI::App* build = tx->add_subcommand(
      "build",
      "Print the signing text of a transaction, exactly (no newline added), for an HSM or hardware wallet to "
      "sign with personal_sign; then complete it with `onebill tx attach`. Example: onebill tx build --json "
      "... "
      "> unsigned.json; onebill tx attach --sig 0x... < unsigned.json");
  add_content_options(build, *options);
  build->add_option("--from", options->from, "The signer's address")->required();
  build->add_flag("--json", options->json_output,
                  "Print the unsigned transaction object instead (the input of `onebill tx attach`)");
  build->callback([&context, options] { context.run = [options] { return run_build(*options); }; });

  CLI::App* attach = tx->add_subcommand(
      "attach",
      "Read an unsigned transaction object (from `onebill tx build --json`) on stdin, add the signature "
      "and print the signed wire JSON; refuses a signature that does not recover `from`");
  attach
      ->add_option("--sig", options->sig,
                   "The signature: 0x + 130 lowercase hex (r, s, v; low s; v 27 or 28)")
      ->required();
  attach->callback([&context, options] { context.run = [options] { return run_attach(*options); }; });

  CLI::App* verify = tx->add_subcommand(
      "verify",
      "Read a signed transaction on stdin, check its form and signature, print the signer and the id. "
      "Exit 0 if valid, 1 if not (the broken rule on stderr)");
  verify->add_option("--chain", options->expected_chain, "Also refuse a transaction for another chain");
  verify->add_flag(
      "--json", options->json_output,
      "Print {\"valid\",\"signer\",\"id\",\"type\",\"nonce\"} or {\"valid\":false,\"rule\",\"detail\"}");
  verify->add_flag(
      "--each-line", options->each_line,
      "Verify one transaction per line of stdin, printing one JSON verdict per line; exit 0 only if "
      "all are valid");
  verify->callback([&context, options] { context.run = [options] { return run_verify(*options); }; });
}

}  // namespace onebill::api::cli
