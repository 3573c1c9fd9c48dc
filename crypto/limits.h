// Every size limit of OneBill, in one place, named with its unit (DESIGN §1).
// Every folder reads these values; nothing else defines a limit on outside input.
#pragma once
#include <cstddef>
#include <cstdint>

namespace onebill::limits {

inline constexpr std::size_t max_transaction_bytes = 8 * 1024;
inline constexpr std::size_t max_batch_bytes = 1024 * 1024;
inline constexpr std::size_t max_batch_transactions = 1000;
inline constexpr std::size_t max_document_bytes = 16 * 1024 * 1024;
inline constexpr std::size_t max_json_depth = 64;
inline constexpr std::size_t max_remark_bytes = 255;
inline constexpr std::size_t max_legs = 16;
inline constexpr std::size_t max_pending_per_sender = 64;
inline constexpr std::size_t max_reference_chars = 20;
inline constexpr std::size_t max_conveyance_chars = 64;
inline constexpr std::size_t max_bills_per_reissue = 16;
// Integers in canonical JSON are below 2^53 so that every JavaScript client reads them exactly.
inline constexpr std::uint64_t max_canonical_integer = (std::uint64_t{1} << 53) - 1;
inline constexpr std::size_t max_page_limit = 1000;

// Key files (Web3 Secret Storage v3): a hostile file must not make the reader spend gigabytes or hours.
inline constexpr std::size_t max_key_file_bytes = 64 * 1024;
inline constexpr std::uint64_t max_keystore_scrypt_n = std::uint64_t{1} << 20;
inline constexpr std::uint64_t max_keystore_scrypt_memory_bytes = std::uint64_t{1} << 30;  // 128 * n * r
inline constexpr std::uint64_t max_keystore_scrypt_p = 16;
inline constexpr std::uint64_t max_keystore_pbkdf2_iterations = 10'000'000;
inline constexpr std::size_t max_keystore_salt_bytes = 1024;

}  // namespace onebill::limits
