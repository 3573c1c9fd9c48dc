#include "crypto/keystore.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <optional>

#include "crypto/hash.h"
#include "crypto/hex.h"
#include "crypto/json.h"
#include "crypto/limits.h"
#include "crypto/random.h"

namespace onebill::keystore {
namespace {

using json::Json;

constexpr std::size_t derived_key_bytes = 32;  // 16 for AES-128, 16 for the MAC
constexpr std::size_t iv_bytes = 16;
constexpr std::size_t private_key_bytes = 32;

// Wipes a secret buffer when it goes out of scope.
template <std::size_t N>
struct SecretBytes {
  std::array<std::uint8_t, N> bytes{};
  ~SecretBytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

Problem malformed(const std::string& detail) {
  return invalid("malformed-key-file", detail);
}

std::string bare_hex(ByteView bytes) {
  return hex::encode_bare(bytes);
}

// Hex with or without 0x, either case (wallets differ).
std::optional<Bytes> decode_loose_hex(const std::string& text) {
  return hex::decode(text.starts_with("0x") || text.starts_with("0X") ? "0x" + text.substr(2) : "0x" + text);
}

std::uint64_t scrypt_memory_bytes(std::uint64_t n, std::uint64_t r, std::uint64_t p) {
  // What OpenSSL allocates: V = 128·r·(n+2) and B = 128·r·p.
  return 128 * r * (n + 2) + 128 * r * p;
}

bool scrypt_within_bounds(std::uint64_t n, std::uint64_t r, std::uint64_t p) {
  if (n < 2 || n > limits::max_keystore_scrypt_n || (n & (n - 1)) != 0) return false;
  if (r < 1 || p < 1 || p > limits::max_keystore_scrypt_p) return false;
  // scrypt (RFC 7914 §2) needs n < 2^(128·r/8); OpenSSL and ethers refuse the rest.
  if (r < 4 && n >= (std::uint64_t{1} << (16 * r))) return false;
  if (r > limits::max_keystore_scrypt_memory_bytes / (128 * n)) return false;
  return 128 * n * r <= limits::max_keystore_scrypt_memory_bytes;
}

Status derive_scrypt(std::string_view passphrase, ByteView salt, std::uint64_t n, std::uint64_t r,
                     std::uint64_t p, std::array<std::uint8_t, derived_key_bytes>& out) {
  ONEBILL_ASSERT(scrypt_within_bounds(n, r, p));
  const int ok = EVP_PBE_scrypt(passphrase.data(), passphrase.size(), salt.data(), salt.size(), n, r, p,
                                scrypt_memory_bytes(n, r, p) + 4096, out.data(), out.size());
  if (ok != 1) return local_fault("key-file-io", "scrypt failed (out of memory?)");
  return {};
}

Status derive_pbkdf2(std::string_view passphrase, ByteView salt, std::uint64_t iterations,
                     std::array<std::uint8_t, derived_key_bytes>& out) {
  ONEBILL_ASSERT(iterations >= 1 && iterations <= limits::max_keystore_pbkdf2_iterations);
  const int ok = PKCS5_PBKDF2_HMAC(passphrase.data(), static_cast<int>(passphrase.size()), salt.data(),
                                   static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                                   static_cast<int>(out.size()), out.data());
  if (ok != 1) return local_fault("key-file-io", "pbkdf2 failed");
  return {};
}

// AES-128-CTR is its own inverse.
void aes_128_ctr(const std::uint8_t* key, ByteView iv, ByteView in, std::uint8_t* out) {
  ONEBILL_ASSERT(iv.size() == iv_bytes);
  EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
  ONEBILL_ASSERT(context != nullptr);
  int written = 0, final_written = 0;
  ONEBILL_ASSERT(EVP_EncryptInit_ex(context, EVP_aes_128_ctr(), nullptr, key, iv.data()) == 1);
  ONEBILL_ASSERT(EVP_EncryptUpdate(context, out, &written, in.data(), static_cast<int>(in.size())) == 1);
  ONEBILL_ASSERT(EVP_EncryptFinal_ex(context, out + written, &final_written) == 1);
  ONEBILL_ASSERT(static_cast<std::size_t>(written + final_written) == in.size());
  EVP_CIPHER_CTX_free(context);
}

Hash32 keystore_mac(const std::array<std::uint8_t, derived_key_bytes>& derived, ByteView ciphertext) {
  return Keccak256().update(ByteView(derived.data() + 16, 16)).update(ciphertext).finish();
}

std::string uuid_v4() {
  std::array<std::uint8_t, 16> bytes{};
  random_bytes(bytes);
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  const std::string digits = hex::encode_bare(bytes);
  return digits.substr(0, 8) + "-" + digits.substr(8, 4) + "-" + digits.substr(12, 4) + "-" +
         digits.substr(16, 4) + "-" + digits.substr(20);
}

// Member lookup, ASCII case-insensitive as ethers does ("Crypto" and "crypto"); more than one match is
// ambiguous and refused.
Result<const Json*> member(const Json& object, std::string_view name, const std::string& where) {
  if (!object.is_object()) return malformed(where + " is not an object");
  const Json* found = nullptr;
  for (const auto& [key, value] : object.items()) {
    if (key.size() != name.size()) continue;
    bool equal = true;
    for (std::size_t i = 0; i < key.size() && equal; ++i) {
      equal = std::tolower(static_cast<unsigned char>(key[i])) == name[i];
    }
    if (!equal) continue;
    if (found != nullptr)
      return malformed(where + " has \"" + std::string(name) + "\" twice in different case");
    found = &value;
  }
  if (found == nullptr) return malformed(where + " has no \"" + std::string(name) + "\"");
  return found;
}

Result<std::string> string_member(const Json& object, std::string_view name, const std::string& where) {
  auto found = member(object, name, where);
  if (!found) return found.problem();
  if (!(*found)->is_string()) return malformed(where + "." + std::string(name) + " is not a string");
  return (*found)->get<std::string>();
}

Result<Bytes> hex_member(const Json& object, std::string_view name, const std::string& where) {
  auto text = string_member(object, name, where);
  if (!text) return text.problem();
  auto bytes = decode_loose_hex(*text);
  if (!bytes) return malformed(where + "." + std::string(name) + " is not hex");
  return std::move(*bytes);
}

Result<std::uint64_t> integer_member(const Json& object, std::string_view name, const std::string& where) {
  auto found = member(object, name, where);
  if (!found) return found.problem();
  if (!(*found)->is_number_unsigned())
    return malformed(where + "." + std::string(name) + " is not a whole number");
  return (*found)->get<std::uint64_t>();
}

Status derive_key(const Json& crypto, std::string_view passphrase,
                  std::array<std::uint8_t, derived_key_bytes>& out) {
  auto kdf = string_member(crypto, "kdf", "crypto");
  if (!kdf) return kdf.problem();
  auto found_params = member(crypto, "kdfparams", "crypto");
  if (!found_params) return found_params.problem();
  const Json& params = **found_params;
  auto salt = hex_member(params, "salt", "kdfparams");
  if (!salt) return salt.problem();
  if (salt->size() > limits::max_keystore_salt_bytes) return malformed("kdfparams.salt is too long");
  auto dklen = integer_member(params, "dklen", "kdfparams");
  if (!dklen) return dklen.problem();
  if (*dklen != derived_key_bytes) return malformed("kdfparams.dklen must be 32");

  if (*kdf == "scrypt") {
    auto n = integer_member(params, "n", "kdfparams");
    if (!n) return n.problem();
    auto r = integer_member(params, "r", "kdfparams");
    if (!r) return r.problem();
    auto p = integer_member(params, "p", "kdfparams");
    if (!p) return p.problem();
    if (!scrypt_within_bounds(*n, *r, *p)) {
      return malformed(
          "scrypt parameters out of bounds: n must be a power of two up to 2^20, 128*n*r at most "
          "1 GiB, p at most 16");
    }
    return derive_scrypt(passphrase, *salt, *n, *r, *p, out);
  }
  if (*kdf == "pbkdf2") {
    auto prf = string_member(params, "prf", "kdfparams");
    if (!prf) return prf.problem();
    if (*prf != "hmac-sha256") return malformed("kdfparams.prf must be hmac-sha256");
    auto iterations = integer_member(params, "c", "kdfparams");
    if (!iterations) return iterations.problem();
    if (*iterations < 1 || *iterations > limits::max_keystore_pbkdf2_iterations) {
      return malformed("kdfparams.c must be 1-10,000,000");
    }
    return derive_pbkdf2(passphrase, *salt, *iterations, out);
  }
  return malformed("unsupported kdf \"" + *kdf + "\" (scrypt or pbkdf2)");
}

}  // namespace

std::string encrypt(const PrivateKey& key, std::string_view passphrase, const EncryptOptions& options) {
  ONEBILL_ASSERT(scrypt_within_bounds(options.scrypt_n, options.scrypt_r, options.scrypt_p));
  std::array<std::uint8_t, 32> salt{};
  std::array<std::uint8_t, iv_bytes> iv{};
  random_bytes(salt);
  random_bytes(iv);
  SecretBytes<derived_key_bytes> derived;
  const Status derived_ok =
      derive_scrypt(passphrase, salt, options.scrypt_n, options.scrypt_r, options.scrypt_p, derived.bytes);
  ONEBILL_ASSERT(derived_ok.ok());
  std::array<std::uint8_t, private_key_bytes> ciphertext{};
  aes_128_ctr(derived.bytes.data(), iv, key.secret(), ciphertext.data());
  const Hash32 mac = keystore_mac(derived.bytes, ciphertext);

  const std::string address = key.address().to_string();
  std::string lowercase_address = address.substr(2);
  for (char& c : lowercase_address) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  Json file = {
      {"address", lowercase_address},
      {"id", uuid_v4()},
      {"version", 3u},
      {"crypto",
       {{"cipher", "aes-128-ctr"},
        {"cipherparams", {{"iv", bare_hex(iv)}}},
        {"ciphertext", bare_hex(ciphertext)},
        {"kdf", "scrypt"},
        {"kdfparams",
         {{"dklen", derived_key_bytes},
          {"n", options.scrypt_n},
          {"p", options.scrypt_p},
          {"r", options.scrypt_r},
          {"salt", bare_hex(salt)}}},
        {"mac", bare_hex(mac)}}},
  };
  // Not hashed or signed, so the library's formatting is fine here (DESIGN §1).
  return file.dump();
}

bool looks_encrypted(std::string_view json_text) {
  json::ReadOptions options;
  options.max_bytes = limits::max_key_file_bytes;
  auto parsed = json::read(json_text, options);
  return parsed && parsed->is_object() && member(*parsed, "crypto", "key file").ok();
}

Result<PrivateKey> decrypt(std::string_view json_text, std::string_view passphrase) {
  json::ReadOptions options;
  options.max_bytes = limits::max_key_file_bytes;
  auto parsed = json::read(json_text, options);
  if (!parsed) return malformed("not JSON: " + parsed.problem().detail);
  const Json& file = *parsed;
  if (!file.is_object()) return malformed("a key file is a JSON object");

  auto version = integer_member(file, "version", "key file");
  if (!version) return version.problem();
  if (*version != 3) return malformed("only version 3 key files are supported");
  auto found_crypto = member(file, "crypto", "key file");
  if (!found_crypto) return found_crypto.problem();
  const Json& crypto = **found_crypto;

  auto cipher = string_member(crypto, "cipher", "crypto");
  if (!cipher) return cipher.problem();
  if (*cipher != "aes-128-ctr") return malformed("unsupported cipher \"" + *cipher + "\" (aes-128-ctr)");
  auto found_cipherparams = member(crypto, "cipherparams", "crypto");
  if (!found_cipherparams) return found_cipherparams.problem();
  auto iv = hex_member(**found_cipherparams, "iv", "cipherparams");
  if (!iv) return iv.problem();
  if (iv->size() != iv_bytes) return malformed("cipherparams.iv must be 16 bytes");
  auto ciphertext = hex_member(crypto, "ciphertext", "crypto");
  if (!ciphertext) return ciphertext.problem();
  if (ciphertext->size() != private_key_bytes) return malformed("crypto.ciphertext must be 32 bytes");
  auto mac = hex_member(crypto, "mac", "crypto");
  if (!mac) return mac.problem();
  if (mac->size() != 32) return malformed("crypto.mac must be 32 bytes");

  SecretBytes<derived_key_bytes> derived;
  ONEBILL_TRY(derive_key(crypto, passphrase, derived.bytes));
  const Hash32 expected_mac = keystore_mac(derived.bytes, *ciphertext);
  if (CRYPTO_memcmp(expected_mac.data(), mac->data(), expected_mac.size()) != 0) {
    return invalid("wrong-passphrase", "the passphrase does not open this key file");
  }

  SecretBytes<private_key_bytes> secret;
  aes_128_ctr(derived.bytes.data(), *iv, *ciphertext, secret.bytes.data());
  auto key = PrivateKey::from_bytes(secret.bytes);
  if (!key) return malformed("the decrypted key is not a valid secp256k1 key");

  if (auto address_member = member(file, "address", "key file"); address_member.ok()) {
    if (!(*address_member)->is_string()) return malformed("address is not a string");
    std::string text = (*address_member)->get<std::string>();
    if (!text.starts_with("0x")) text = "0x" + text;
    for (std::size_t i = 2; i < text.size(); ++i)
      text[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    auto address = Address::parse(text);
    if (!address) return malformed("address is not 40 hex digits");
    if (*address != key->address()) {
      return invalid("key-address-mismatch", "the file says " + address->to_string() + " but its key is " +
                                                 key->address().to_string());
    }
  }
  return key;
}

}  // namespace onebill::keystore
