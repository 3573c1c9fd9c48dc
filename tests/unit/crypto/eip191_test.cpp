#include <doctest/doctest.h>

#include "crypto/eip191.h"
#include "crypto/hex.h"

using namespace onebill;

// Known answers computed with ethers 6 hashMessage.
TEST_CASE("the EIP-191 digest prefixes the message with its decimal byte length") {
  CHECK(hex::encode(eip191::digest("Hello World")) ==
        "0xa1de988600a42c4b4ab089b619297c17d53cffae5d5120d82d8a92d0bb3b78f2");
  CHECK(hex::encode(eip191::digest("")) ==
        "0x5f35dce98ba4fba25530a026ed80b2cecdaa31091ba4958b99b52ea1d068adad");
  CHECK(hex::encode(eip191::digest(Bytes{0x42, 0x43})) ==
        "0x0d3abc18ec299cf9b42ba439ac6f7e3e6ec9f5c048943704e30fc2d9c7981438");
  CHECK(hex::encode(eip191::digest(Bytes(32, 0xab))) ==
        "0xe2ff0e36e69683e8cbb0159e90e7d319e743e22b0a37c17566b625eb25102fed");
}

TEST_CASE("the EIP-191 length is the UTF-8 byte count, not the character count") {
  const std::string remark = "重庆 → Singapore 🚢";  // 16 code points (17 UTF-16 units), 25 bytes
  CHECK(remark.size() == 25);
  CHECK(hex::encode(eip191::digest(remark)) ==
        "0xac111329d5d855d625983b2286e71d042ee9dcbde7cf65f3be007752510dff5a");
}

TEST_CASE("the EIP-191 digest of a transaction's signing text matches the reference vectors") {
  const std::string ascii =
      "OneBill transaction v1\n"
      R"({"body":{"bill":"0xabababababababababababababababababababababababababababababababab","to":"0x00000000000000000000000000000000000000aa"},"chain":"onebill-demo","from":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","nonce":0,"type":"bill.transfer_holder"})";
  CHECK(ascii.size() == 274);
  CHECK(hex::encode(eip191::digest(ascii)) ==
        "0x387c644a4fbab74e1592c4522ef7808782026e2fb9fa20fc3a3a24c4c3f551b6");
  const std::string unicode =
      "OneBill transaction v1\n"
      R"({"body":{"bill":"0xabababababababababababababababababababababababababababababababab","remark":"重庆 → Singapore 🚢","to":"0x00000000000000000000000000000000000000aa"},"chain":"onebill-demo","from":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","nonce":7,"type":"bill.transfer_holder"})";
  CHECK(unicode.size() == 311);  // bytes; the character count is lower
  CHECK(hex::encode(eip191::digest(unicode)) ==
        "0xf766e18008716cafeac019a3d711204720313cf27b816265b02c1196cfb63a44");
}
