// Web3 Secret Storage v3 key files (DESIGN §7): known answers from ethers and the specification, round
// trips, and the refusals that keep a hostile or damaged file from doing harm.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "crypto/json.h"
#include "crypto/keystore.h"

using onebill::PrivateKey;
using onebill::json::Json;
namespace keystore = onebill::keystore;

namespace {

const char* const test_private_key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

// Written by ethers 6.17 encryptKeystoreJson(key, "correct horse battery staple", {scrypt: {N: 1024},
// salt: 0x11…, iv: 0x22…, uuid: 0x33…}); note ethers' capitalised "Crypto".
const char* const ethers_keystore =
    R"({"address":"2c7536e3605d9c16a7a3d7b1898e529396a65c23","id":"33333333-3333-4333-b333-333333333333",)"
    R"("version":3,"Crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"22222222222222222222222222222222"},)"
    R"("ciphertext":"090af52fcb77c06f8c12e9b3b10c25e013beb35d6256f93a18bd786545cb20cb","kdf":"scrypt",)"
    R"("kdfparams":{"salt":"1111111111111111111111111111111111111111111111111111111111111111","n":1024,)"
    R"("dklen":32,"p":1,"r":8},"mac":"fca46b0d767ee3215d3e7b12da095338288493057c30a5864194028b96cbd00a"}})";
const char* const ethers_passphrase = "correct horse battery staple";

// The PBKDF2 test vector of the Web3 Secret Storage definition (passphrase "testpassword").
const char* const specification_pbkdf2_keystore =
    R"({"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"6087dab2f9fdbbfaddc31a909735c1e6"},)"
    R"("ciphertext":"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46","kdf":"pbkdf2",)"
    R"("kdfparams":{"c":262144,"dklen":32,"prf":"hmac-sha256",)"
    R"("salt":"ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"},)"
    R"("mac":"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"},)"
    R"("id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3})";

keystore::EncryptOptions cheap() {
  keystore::EncryptOptions options;
  options.scrypt_n = 1024;
  return options;
}

std::string rule_of(const std::string& text, const std::string& passphrase) {
  auto key = keystore::decrypt(text, passphrase);
  return key ? "ok" : key.problem().rule;
}

std::string with(const char* text, const std::function<void(Json&)>& change) {
  Json file = Json::parse(text);
  change(file);
  return file.dump();
}

}  // namespace

TEST_CASE("a key file written by ethers opens with its passphrase") {
  auto key = keystore::decrypt(ethers_keystore, ethers_passphrase);
  REQUIRE(key.ok());
  CHECK(key->address().to_string() == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  CHECK(key->secret() == PrivateKey::from_hex(test_private_key)->secret());
}

TEST_CASE("the pbkdf2 test vector of the Web3 Secret Storage definition opens") {
  auto key = keystore::decrypt(specification_pbkdf2_keystore, "testpassword");
  REQUIRE(key.ok());
  CHECK(key->secret() ==
        PrivateKey::from_hex("0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d")->secret());
}

TEST_CASE("a key encrypted by OneBill decrypts to the same key") {
  const PrivateKey key = PrivateKey::generate();
  const std::string text = keystore::encrypt(key, "pass phrase", cheap());
  auto opened = keystore::decrypt(text, "pass phrase");
  REQUIRE(opened.ok());
  CHECK(opened->secret() == key.secret());
}

TEST_CASE(
    "OneBill writes the v3 form ethers writes: lowercase address without 0x, uuid v4, scrypt, aes-128-ctr") {
  const PrivateKey key = PrivateKey::from_hex(test_private_key).value();
  const Json file = Json::parse(keystore::encrypt(key, "x", cheap()));
  CHECK(file.at("address") == "2c7536e3605d9c16a7a3d7b1898e529396a65c23");
  CHECK(file.at("version") == 3);
  const std::string id = file.at("id").get<std::string>();
  REQUIRE(id.size() == 36);
  CHECK(id[14] == '4');
  CHECK(std::string("89ab").find(id[19]) != std::string::npos);
  const Json& crypto = file.at("crypto");
  CHECK(crypto.at("cipher") == "aes-128-ctr");
  CHECK(crypto.at("kdf") == "scrypt");
  CHECK(crypto.at("kdfparams").at("dklen") == 32);
  CHECK(crypto.at("kdfparams").at("r") == 8);
  CHECK(crypto.at("kdfparams").at("p") == 1);
  CHECK(crypto.at("kdfparams").at("salt").get<std::string>().size() == 64);
  CHECK(crypto.at("ciphertext").get<std::string>().size() == 64);
  CHECK(crypto.at("mac").get<std::string>().size() == 64);
  CHECK(keystore::looks_encrypted(file.dump()));
  CHECK_FALSE(keystore::looks_encrypted(R"({"address":"0x00","private_key":"0x00"})"));
}

TEST_CASE("new key files use scrypt n = 2^17, r = 8, p = 1 by default") {
  const PrivateKey key = PrivateKey::generate();
  const std::string text = keystore::encrypt(key, "default cost");
  CHECK(Json::parse(text).at("crypto").at("kdfparams").at("n") == 131072);
  auto opened = keystore::decrypt(text, "default cost");
  REQUIRE(opened.ok());
  CHECK(opened->secret() == key.secret());
}

TEST_CASE("a wrong passphrase is refused as wrong-passphrase") {
  CHECK(rule_of(ethers_keystore, "Correct horse battery staple") == "wrong-passphrase");
  CHECK(rule_of(ethers_keystore, "") == "wrong-passphrase");
}

TEST_CASE("an altered ciphertext fails the MAC") {
  const std::string text = with(ethers_keystore, [](Json& file) {
    std::string ciphertext = file["Crypto"]["ciphertext"].get<std::string>();
    ciphertext[0] = ciphertext[0] == '0' ? '1' : '0';
    file["Crypto"]["ciphertext"] = ciphertext;
  });
  CHECK(rule_of(text, ethers_passphrase) == "wrong-passphrase");
}

TEST_CASE("a key file whose address does not match its key is refused") {
  const std::string text =
      with(ethers_keystore, [](Json& file) { file["address"] = "00000000000000000000000000000000000000aa"; });
  CHECK(rule_of(text, ethers_passphrase) == "key-address-mismatch");
  const std::string prefixed = with(
      ethers_keystore, [](Json& file) { file["address"] = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"; });
  CHECK(rule_of(prefixed, ethers_passphrase) == "ok");
}

TEST_CASE("kdf parameters that would cost gigabytes or hours are refused before any work") {
  const auto scrypt = [](const char* member, const Json& value) {
    return rule_of(with(ethers_keystore, [&](Json& file) { file["Crypto"]["kdfparams"][member] = value; }),
                   ethers_passphrase);
  };
  CHECK(scrypt("n", std::uint64_t{1} << 21) == "malformed-key-file");
  CHECK(scrypt("n", 1000u) == "malformed-key-file");  // not a power of two
  CHECK(scrypt("n", 0u) == "malformed-key-file");
  CHECK(scrypt("r", 1u << 20) == "malformed-key-file");
  CHECK(scrypt("r", 0u) == "malformed-key-file");
  CHECK(scrypt("p", 17u) == "malformed-key-file");
  CHECK(scrypt("dklen", 64u) == "malformed-key-file");
  CHECK(scrypt("n", "1024") == "malformed-key-file");
  CHECK(scrypt("salt", std::string(4096, 'a')) == "malformed-key-file");
  const std::string pbkdf2 = with(specification_pbkdf2_keystore,
                                  [](Json& file) { file["crypto"]["kdfparams"]["c"] = 1'000'000'000u; });
  CHECK(rule_of(pbkdf2, "testpassword") == "malformed-key-file");
  const std::string sha1 = with(specification_pbkdf2_keystore,
                                [](Json& file) { file["crypto"]["kdfparams"]["prf"] = "hmac-sha1"; });
  CHECK(rule_of(sha1, "testpassword") == "malformed-key-file");
}

TEST_CASE("files that are not v3 key files are refused as malformed") {
  CHECK(rule_of("", "x") == "malformed-key-file");
  CHECK(rule_of("[]", "x") == "malformed-key-file");
  CHECK(rule_of(R"({"address":"0x2c7536e3605d9c16a7a3d7b1898e529396a65c23","private_key":"0x11"})", "x") ==
        "malformed-key-file");
  CHECK(rule_of(with(ethers_keystore, [](Json& file) { file["version"] = 2; }), ethers_passphrase) ==
        "malformed-key-file");
  CHECK(rule_of(with(ethers_keystore, [](Json& file) { file["Crypto"]["cipher"] = "aes-128-cbc"; }),
                ethers_passphrase) == "malformed-key-file");
  CHECK(rule_of(with(ethers_keystore, [](Json& file) { file["Crypto"]["kdf"] = "argon2"; }),
                ethers_passphrase) == "malformed-key-file");
  CHECK(rule_of(with(ethers_keystore, [](Json& file) { file["Crypto"]["cipherparams"]["iv"] = "2222"; }),
                ethers_passphrase) == "malformed-key-file");
  CHECK(rule_of(with(ethers_keystore, [](Json& file) { file["Crypto"].erase("mac"); }), ethers_passphrase) ==
        "malformed-key-file");
  CHECK(rule_of(with(ethers_keystore, [](Json& file) { file["crypto"] = file["Crypto"]; }),
                ethers_passphrase) == "malformed-key-file");
  CHECK(rule_of(std::string(70 * 1024, ' ') + "{}", "x") == "malformed-key-file");
}
