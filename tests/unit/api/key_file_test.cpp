// Key files on disk (DESIGN §7): created 0600 with O_EXCL, never overwritten, refused when open to
// others or when the address is not the key's; both the encrypted and the plaintext form.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "api/key_file.h"
#include "tests/unit/test_support.h"

namespace fs = std::filesystem;
using onebill::PrivateKey;
namespace api = onebill::api;

namespace {

// A fresh directory per test case, removed afterwards.
struct TemporaryDirectory {
  fs::path path;
  TemporaryDirectory() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("onebill-key-file-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

onebill::keystore::EncryptOptions cheap() {
  onebill::keystore::EncryptOptions options;
  options.scrypt_n = 1024;
  return options;
}

unsigned mode_of(const fs::path& path) {
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  return static_cast<unsigned>(status.st_mode & 07777);
}

void write_text(const fs::path& path, const std::string& text, unsigned mode) {
  std::ofstream(path, std::ios::binary) << text;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string rule_of(const onebill::Result<PrivateKey>& key) {
  return key ? "ok" : key.problem().rule;
}

// Sets ONEBILL_PASSPHRASE for one scope.
struct PassphraseEnvironment {
  explicit PassphraseEnvironment(const char* value) {
    if (value) {
      ::setenv("ONEBILL_PASSPHRASE", value, 1);
    } else {
      ::unsetenv("ONEBILL_PASSPHRASE");
    }
  }
  ~PassphraseEnvironment() { ::unsetenv("ONEBILL_PASSPHRASE"); }
};

}  // namespace

TEST_CASE("a new encrypted key file has mode 0600 and opens with its passphrase") {
  TemporaryDirectory directory;
  const fs::path path = directory.path / "carrier.json";
  const PrivateKey key = PrivateKey::generate();
  REQUIRE(api::write_encrypted_key_file(path, key, "s3cret", cheap()).ok());
  CHECK(mode_of(path) == 0600);
  CHECK(api::key_file_form(path).value() == api::KeyFileForm::encrypted);
  PassphraseEnvironment environment("s3cret");
  auto read = api::read_key_file(path);
  REQUIRE(read.ok());
  CHECK(read->secret() == key.secret());
}

TEST_CASE("a new plaintext key file has mode 0600, the documented form, and needs no passphrase") {
  TemporaryDirectory directory;
  const fs::path path = directory.path / "validator.json";
  const PrivateKey key =
      PrivateKey::from_hex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318").value();
  REQUIRE(api::write_plaintext_key_file(path, key).ok());
  CHECK(mode_of(path) == 0600);
  CHECK(onebill::test::read_file(path) ==
        "{\"address\":\"0x2c7536e3605d9c16a7a3d7b1898e529396a65c23\",\"insecure\":true,"
        "\"private_key\":\"0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\"}\n");
  PassphraseEnvironment environment(nullptr);
  auto read = api::read_key_file(path);
  REQUIRE(read.ok());
  CHECK(read->secret() == key.secret());
  CHECK(api::key_file_form(path).value() == api::KeyFileForm::plaintext);
}

TEST_CASE("an existing file is never overwritten") {
  TemporaryDirectory directory;
  const fs::path path = directory.path / "taken.json";
  write_text(path, "precious", 0600);
  const PrivateKey key = PrivateKey::generate();
  auto plaintext = api::write_plaintext_key_file(path, key);
  REQUIRE_FALSE(plaintext.ok());
  CHECK(plaintext.problem().rule == "key-file-exists");
  auto encrypted = api::write_encrypted_key_file(path, key, "s3cret", cheap());
  REQUIRE_FALSE(encrypted.ok());
  CHECK(encrypted.problem().rule == "key-file-exists");
  CHECK(onebill::test::read_file(path) == "precious");
}

TEST_CASE("a symlink at the path is neither followed nor replaced") {
  TemporaryDirectory directory;
  const fs::path target = directory.path / "elsewhere.json";
  const fs::path link = directory.path / "link.json";
  fs::create_symlink(target, link);  // dangling
  auto written = api::write_plaintext_key_file(link, PrivateKey::generate());
  REQUIRE_FALSE(written.ok());
  CHECK(written.problem().rule == "key-file-exists");
  CHECK_FALSE(fs::exists(target));
}

TEST_CASE("a key file readable by group or others is refused") {
  TemporaryDirectory directory;
  const fs::path path = directory.path / "open.json";
  REQUIRE(api::write_plaintext_key_file(path, PrivateKey::generate()).ok());
  for (unsigned mode : {0644u, 0640u, 0604u, 0620u, 0602u}) {
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    auto read = api::read_key_file(path);
    INFO(mode);
    REQUIRE_FALSE(read.ok());
    CHECK(read.problem().rule == "key-file-permissions");
    CHECK(read.problem().detail.find("chmod 600") != std::string::npos);
  }
  REQUIRE(::chmod(path.c_str(), 0400) == 0);
  CHECK(api::read_key_file(path).ok());
}

TEST_CASE("a wrong passphrase is refused") {
  TemporaryDirectory directory;
  const fs::path path = directory.path / "key.json";
  REQUIRE(api::write_encrypted_key_file(path, PrivateKey::generate(), "right", cheap()).ok());
  PassphraseEnvironment environment("wrong");
  CHECK(rule_of(api::read_key_file(path)) == "wrong-passphrase");
}

TEST_CASE("an encrypted key file without a passphrase is refused with what to do") {
  TemporaryDirectory directory;
  const fs::path path = directory.path / "key.json";
  REQUIRE(api::write_encrypted_key_file(path, PrivateKey::generate(), "right", cheap()).ok());
  PassphraseEnvironment environment(nullptr);
  auto read = api::read_key_file(path);
  REQUIRE_FALSE(read.ok());
  CHECK(read.problem().rule == "no-passphrase");
  CHECK(read.problem().detail.find("--passphrase-file") != std::string::npos);
}

TEST_CASE("the passphrase file wins over the environment and loses one trailing newline") {
  TemporaryDirectory directory;
  const fs::path path = directory.path / "key.json";
  const PrivateKey key = PrivateKey::generate();
  REQUIRE(api::write_encrypted_key_file(path, key, "from file", cheap()).ok());
  const fs::path passphrase_file = directory.path / "passphrase";
  write_text(passphrase_file, "from file\n", 0600);
  PassphraseEnvironment environment("from environment");
  auto read = api::read_key_file(path, passphrase_file);
  REQUIRE(read.ok());
  CHECK(read->secret() == key.secret());
  write_text(passphrase_file, "from file\r\n", 0600);
  CHECK(api::read_key_file(path, passphrase_file).ok());
  write_text(passphrase_file, "from file\n\n", 0600);
  CHECK(rule_of(api::read_key_file(path, passphrase_file)) == "wrong-passphrase");
}

TEST_CASE("an empty passphrase is refused when writing") {
  TemporaryDirectory directory;
  auto written =
      api::write_encrypted_key_file(directory.path / "key.json", PrivateKey::generate(), "", cheap());
  REQUIRE_FALSE(written.ok());
  CHECK(written.problem().rule == "no-passphrase");
  CHECK_FALSE(fs::exists(directory.path / "key.json"));
}

TEST_CASE("a plaintext key file whose address is not its key's is refused") {
  TemporaryDirectory directory;
  const fs::path path = directory.path / "key.json";
  write_text(path,
             R"({"address":"0x00000000000000000000000000000000000000aa","insecure":true,)"
             R"("private_key":"0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"})",
             0600);
  CHECK(rule_of(api::read_key_file(path)) == "key-address-mismatch");
}

TEST_CASE("malformed plaintext key files are refused") {
  TemporaryDirectory directory;
  const std::string good_key =
      R"("private_key":"0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")";
  const std::string good_address = R"("address":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")";
  int index = 0;
  for (const std::string& text :
       {"{" + good_address + "," + good_key + "}",  // not marked insecure
        "{" + good_address + ",\"insecure\":false," + good_key + "}",
        "{" + good_address + ",\"insecure\":true," + good_key + ",\"note\":1}",
        "{" + good_address + ",\"insecure\":true,\"private_key\":\"0x00\"}",
        "{\"insecure\":true," + good_key + "}", std::string("not json"), std::string("")}) {
    const fs::path path = directory.path / ("bad" + std::to_string(index++) + ".json");
    write_text(path, text, 0600);
    INFO(text);
    CHECK(rule_of(api::read_key_file(path)) == "malformed-key-file");
  }
}

TEST_CASE("a missing key file is a local fault naming the path") {
  TemporaryDirectory directory;
  auto read = api::read_key_file(directory.path / "absent.json");
  REQUIRE_FALSE(read.ok());
  CHECK(read.problem().rule == "key-file-io");
  CHECK(read.problem().kind == onebill::ProblemKind::local_fault);
}
