// `onebill key new | import | show` (DESIGN §7 "Homes and keys").
#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>

#include "api/cli.h"
#include "api/key_file.h"
#include "crypto/json.h"

namespace onebill::api::cli {
namespace {

struct KeyOptions {
  std::string out;
  std::string file;
  std::string passphrase_file;
  bool json_output = false;
};

std::optional<std::filesystem::path> optional_path(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return std::filesystem::path(text);
}

const char* const passphrase_help =
    "File holding the passphrase (one trailing newline is ignored). Without it, the passphrase is read from "
    "the environment variable ONEBILL_PASSPHRASE";

void print_address(const Address& address, const std::string& file, bool json_output) {
  if (json_output) {
    std::cout << json::canonical(json::Json{{"address", address.to_string()}, {"file", file}}) << "\n";
  } else {
    std::cout << address.to_string() << "\n";
  }
}

int write_new_key(const KeyOptions& options, const PrivateKey& key) {
  auto passphrase = read_passphrase(optional_path(options.passphrase_file));
  if (!passphrase) return report(passphrase.problem());
  const Status written = write_encrypted_key_file(options.out, key, *passphrase);
  if (!written.ok()) return report(written.problem());
  std::cerr << "wrote " << options.out
            << " (Web3 Secret Storage v3, scrypt, mode 0600); keep the passphrase safe\n";
  print_address(key.address(), options.out, options.json_output);
  return exit_ok;
}

int run_new(const KeyOptions& options) {
  return write_new_key(options, PrivateKey::generate());
}

// The private key on stdin: 64 hex digits with or without 0x, surrounding white space ignored. Never an
// argument, which other users could read in the process list and which lands in shell history.
int run_import(const KeyOptions& options) {
  std::string text;
  char buffer[256];
  while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(std::cin.gcount()));
    if (text.size() > 4096) return report(invalid("invalid-key", "stdin holds more than a private key"));
  }
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  std::string hex_text = first == std::string::npos ? "" : text.substr(first, last - first + 1);
  if (!hex_text.starts_with("0x")) hex_text = "0x" + hex_text;
  auto key = PrivateKey::from_hex(hex_text);
  std::fill(text.begin(), text.end(), '\0');
  std::fill(hex_text.begin(), hex_text.end(), '\0');
  if (!key) {
    return report(invalid("invalid-key", "stdin must hold a private key: 64 hex digits, with or without 0x"));
  }
  return write_new_key(options, *key);
}

int run_show(const KeyOptions& options) {
  auto key = read_key_file(options.file, optional_path(options.passphrase_file));
  if (!key) return report(key.problem());
  print_address(key->address(), options.file, options.json_output);
  return exit_ok;
}

}  // namespace

void add_key_commands(CLI::App& root, CommandContext& context) {
  CLI::App* key = root.add_subcommand(
      "key",
      "Create, import and show participant keys. Key files are Web3 Secret Storage v3 (scrypt, aes-128-ctr), "
      "the format of geth and ethers (ethers.Wallet.fromEncryptedJson opens them); they are created with "
      "mode "
      "0600 and never overwritten");
  key->require_subcommand(1);
  auto options = std::make_shared<KeyOptions>();

  CLI::App* create = key->add_subcommand("new",
                                         "Generate a key from the OS random source, write it encrypted, "
                                         "print its address");
  create->add_option("--out", options->out, "Key file to create (must not exist)")->required();
  create->add_option("--passphrase-file", options->passphrase_file, passphrase_help)
      ->check(CLI::ExistingFile);
  create->add_flag("--json", options->json_output, "Print {\"address\",\"file\"} as JSON");
  create->callback([&context, options] { context.run = [options] { return run_new(*options); }; });

  CLI::App* import = key->add_subcommand(
      "import",
      "Read a private key (64 hex digits, with or without 0x) from stdin, write it encrypted, print its "
      "address. Example: onebill key import --out me.json < secret.hex");
  import->add_option("--out", options->out, "Key file to create (must not exist)")->required();
  import->add_option("--passphrase-file", options->passphrase_file, passphrase_help)
      ->check(CLI::ExistingFile);
  import->add_flag("--json", options->json_output, "Print {\"address\",\"file\"} as JSON");
  import->callback([&context, options] { context.run = [options] { return run_import(*options);
};
}  // namespace onebill::api::cli
);

CLI::App* show = key->add_subcommand(
    "show",
    "Print the address of a key file, encrypted (needs the passphrase) or a plaintext demo key from "
    "`onebill init`. Refuses a file open to group or others, or whose address is not its key's");
show->add_option("file", options->file, "The key file")->required();
show->add_option("--passphrase-file", options->passphrase_file, passphrase_help)->check(CLI::ExistingFile);
show->add_flag("--json", options->json_output, "Print {\"address\",\"file\"} as JSON");
show->callback([&context, options] { context.run = [options] { return run_show(*options); }; });
}

}  // namespace onebill::api::cli
