// Web3 Secret Storage v3: the encrypted key file of Ethereum wallets (geth, ethers), so a OneBill key
// opens in ethers.Wallet.fromEncryptedJson and a key file written by ethers opens in OneBill (DESIGN §7).
//
//   {"address": "<40 lowercase hex, no 0x>", "id": "<uuid v4>", "version": 3,
//    "crypto": {"cipher": "aes-128-ctr", "cipherparams": {"iv": "<16 bytes hex>"},
//               "ciphertext": "<32 bytes hex>", "kdf": "scrypt",
//               "kdfparams": {"dklen": 32, "n": 131072, "p": 1, "r": 8, "salt": "<32 bytes hex>"},
//               "mac": "<hex of keccak256(derived[16..32] ‖ ciphertext)>"}}
//
// The passphrase is used as its UTF-8 bytes, unnormalised (ethers applies NFKC first; the two agree on
// every ASCII passphrase and on any passphrase already in NFKC).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/result.h"
#include "crypto/secp256k1.h"

namespace onebill::keystore {

struct EncryptOptions {
  // scrypt cost: n = 2^17, r = 8, p = 1 as geth and ethers write (about 128 MiB and a few tenths of a
  // second). Tests may lower n; a key file meant for use never should.
  std::uint64_t scrypt_n = std::uint64_t{1} << 17;
  std::uint32_t scrypt_r = 8;
  std::uint32_t scrypt_p = 1;
};

// The key encrypted under the passphrase, as JSON text (salt, iv and uuid from the OS random source).
// Precondition: the scrypt parameters are within the bounds decrypt accepts.
std::string encrypt(const PrivateKey& key, std::string_view passphrase, const EncryptOptions& options = {});

// Opens a v3 key file (scrypt, or pbkdf2 with hmac-sha256; cipher aes-128-ctr). Problems:
//   "malformed-key-file"   not a v3 key file, an unsupported kdf or cipher, or kdf parameters beyond
//                          the bounds of crypto/limits.h (n above 2^20, 128·n·r above 1 GiB, ...)
//   "wrong-passphrase"     the MAC does not match: the passphrase is wrong (or the file was altered)
//   "key-address-mismatch" the file's address is not the address of the key it holds
Result<PrivateKey> decrypt(std::string_view json_text, std::string_view passphrase);

// Whether the text looks like a v3 key file (an object with a "crypto" or "Crypto" member); decides
// between the encrypted and the plaintext key file forms without a passphrase.
bool looks_encrypted(std::string_view json_text);

}  // namespace onebill::keystore
