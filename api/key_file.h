// Key files on disk (DESIGN §7). Two forms:
//
//   encrypted (every participant key): Web3 Secret Storage v3, see crypto/keystore.h; opens in
//     ethers.Wallet.fromEncryptedJson and in geth.
//   plaintext (demo participants and validator keys written by `onebill init`), exactly
//     {"address":"0x<40 lowercase hex>","insecure":true,"private_key":"0x<64 lowercase hex>"}
//     "insecure": true says in the file itself that anyone who can read it owns the key.
//
// Files are created with O_CREAT|O_EXCL and mode 0600 and never overwritten. A key file whose mode
// lets group or others read or write it (mode & 077), or whose address is not its key's, is refused.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/keystore.h"
#include "crypto/result.h"
#include "crypto/secp256k1.h"

namespace onebill::api {

enum class KeyFileForm { encrypted, plaintext };

// Environment variable holding the passphrase when no --passphrase-file is given.
inline constexpr const char* passphrase_environment_variable = "ONEBILL_PASSPHRASE";

// Problems (rule names):
//   key-file-exists       the path exists; nothing was written
//   key-file-permissions  the key file is open to group or others (the detail says: chmod 600 FILE)
//   malformed-key-file    neither form, or a broken one
//   wrong-passphrase      the passphrase does not open the encrypted file
//   key-address-mismatch  the file's address is not its key's
//   no-passphrase         an encrypted file and neither --passphrase-file nor ONEBILL_PASSPHRASE
//   key-file-io           (local fault) the file system failed: missing file, no space, ...

// Writes the key encrypted under `passphrase` (not empty). `options` lowers the scrypt cost in tests only.
Status write_encrypted_key_file(const std::filesystem::path& path, const PrivateKey& key,
                                std::string_view passphrase, const keystore::EncryptOptions& options = {});

// Writes the plaintext form. For demo participants and validator keys only.
Status write_plaintext_key_file(const std::filesystem::path& path, const PrivateKey& key);

// The text of the plaintext form of a key (what write_plaintext_key_file writes).
std::string plaintext_key_file_text(const PrivateKey& key);

// Reads a key file of either form. The passphrase is asked for only when the file is encrypted:
// `passphrase_file` when given, else the environment variable ONEBILL_PASSPHRASE.
Result<PrivateKey> read_key_file(const std::filesystem::path& path,
                                 const std::optional<std::filesystem::path>& passphrase_file = std::nullopt);

// The form of a key file (after the same permission check), without decrypting it.
Result<KeyFileForm> key_file_form(const std::filesystem::path& path);

// The passphrase: the content of `passphrase_file` without one trailing newline ("\n" or "\r\n"), else
// ONEBILL_PASSPHRASE; "no-passphrase" when neither is set.
Result<std::string> read_passphrase(const std::optional<std::filesystem::path>& passphrase_file);

}  // namespace onebill::api
