#include "api/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crypto/hex.h"
#include "crypto/json.h"
#include "crypto/limits.h"

namespace onebill::api {
namespace {

using json::Json;

Problem io_problem(const std::string& what, const std::filesystem::path& path, int error) {
  return local_fault("key-file-io", what + " " + path.string() + ": " + std::strerror(error));
}

// Closes a file descriptor on every path out.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Status write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return local_fault("key-file-io", std::strerror(errno));
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

// Syncs the directory entry of a new file, so a crash cannot lose a key that was reported written.
void sync_parent_directory(const std::filesystem::path& path) {
  const std::filesystem::path parent =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// O_EXCL: an existing file (or a symlink, dangling or not) is never replaced or followed.
Status create_exclusive(const std::filesystem::path& path, std::string_view text) {
  const int raw_fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (raw_fd < 0) {
    if (errno == EEXIST) {
      return invalid("key-file-exists",
                     path.string() + " already exists; OneBill never overwrites a key file");
    }
    return io_problem("cannot create", path, errno);
  }
  FileDescriptor fd(raw_fd);
  Status written = write_all(fd.get(), text);
  if (written.ok() && ::fchmod(fd.get(), 0600) != 0) written = io_problem("cannot chmod", path, errno);
  if (written.ok() && ::fsync(fd.get()) != 0) written = io_problem("cannot sync", path, errno);
  if (written.ok() && ::close(fd.release()) != 0) written = io_problem("cannot close", path, errno);
  if (!written.ok()) {
    ::unlink(path.c_str());  // a half-written key file is worse than none
    return written;
  }
  sync_parent_directory(path);
  return {};
}

// Reads a key file after checking it is a regular file that only its owner may read or write.
Result<std::string> read_private_file(const std::filesystem::path& path) {
  const int raw_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (raw_fd < 0) return io_problem("cannot open", path, errno);
  FileDescriptor fd(raw_fd);
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) return io_problem("cannot stat", path, errno);
  if (!S_ISREG(status.st_mode))
    return invalid("malformed-key-file", path.string() + " is not a regular file");
  if ((status.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
    return invalid("key-file-permissions", path.string() + " has mode " + mode +
                                               ", open to group or others; run: chmod 600 " + path.string());
  }
  if (static_cast<std::uint64_t>(status.st_size) > limits::max_key_file_bytes) {
    return invalid("malformed-key-file", path.string() + " is too large for a key file");
  }
  std::string text(static_cast<std::size_t>(status.st_size), '\0');
  std::size_t filled = 0;
  while (filled < text.size()) {
    const ssize_t got = ::read(fd.get(), text.data() + filled, text.size() - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return io_problem("cannot read", path, errno);
    if (got == 0) break;
    filled += static_cast<std::size_t>(got);
  }
  text.resize(filled);
  return text;
}

Result<PrivateKey> parse_plaintext(std::string_view text, const std::filesystem::path& path) {
  json::ReadOptions options;
  options.max_bytes = limits::max_key_file_bytes;
  auto parsed = json::read(text, options);
  const std::string where = path.string() + ": ";
  if (!parsed) return invalid("malformed-key-file", where + parsed.problem().detail);
  const Json& file = *parsed;
  if (!file.is_object()) return invalid("malformed-key-file", where + "a key file is a JSON object");
  for (const auto& [member, value] : file.items()) {
    if (member != "address" && member != "insecure" && member != "private_key") {
      return invalid("malformed-key-file", where + "unknown field \"" + member + "\"");
    }
  }
  if (!file.contains("private_key") || !file.at("private_key").is_string()) {
    return invalid("malformed-key-file", where + "neither an encrypted (v3) nor a plaintext key file");
  }
  if (!file.contains("insecure") || file.at("insecure") != true) {
    return invalid("malformed-key-file", where + "a plaintext key file says \"insecure\": true");
  }
  if (!file.contains("address") || !file.at("address").is_string()) {
    return invalid("malformed-key-file", where + "a plaintext key file names its \"address\"");
  }
  auto key = PrivateKey::from_hex(file.at("private_key").get_ref<const std::string&>());
  if (!key) return invalid("malformed-key-file", where + "private_key: " + key.problem().detail);
  auto address = Address::parse(file.at("address").get_ref<const std::string&>());
  if (!address) return invalid("malformed-key-file", where + "address: " + address.problem().detail);
  if (*address != key->address()) {
    return invalid("key-address-mismatch", where + "the file says " + address->to_string() +
                                               " but its key is " + key->address().to_string());
  }
  return key;
}

}  // namespace

std::string plaintext_key_file_text(const PrivateKey& key) {
  std::string address = key.address().to_string();
  for (char& c : address) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const Json file = {
      {"address", address}, {"insecure", true}, {"private_key", hex::encode(ByteView(key.secret()))}};
  return json::canonical(file) + "\n";
}

Status write_encrypted_key_file(const std::filesystem::path& path, const PrivateKey& key,
                                std::string_view passphrase, const keystore::EncryptOptions& options) {
  if (passphrase.empty()) return invalid("no-passphrase", "an empty passphrase protects nothing; choose one");
  // Checked before the slow scrypt, so an existing file fails at once.
  std::error_code error;
  if (std::filesystem::symlink_status(path, error).type() != std::filesystem::file_type::not_found &&
      !error) {
    return invalid("key-file-exists", path.string() + " already exists; OneBill never overwrites a key file");
  }
  return create_exclusive(path, keystore::encrypt(key, passphrase, options) + "\n");
}

Status write_plaintext_key_file(const std::filesystem::path& path, const PrivateKey& key) {
  return create_exclusive(path, plaintext_key_file_text(key));
}

Result<KeyFileForm> key_file_form(const std::filesystem::path& path) {
  auto text = read_private_file(path);
  if (!text) return text.problem();
  return keystore::looks_encrypted(*text) ? KeyFileForm::encrypted : KeyFileForm::plaintext;
}

Result<PrivateKey> read_key_file(const std::filesystem::path& path,
                                 const std::optional<std::filesystem::path>& passphrase_file) {
  auto text = read_private_file(path);
  if (!text) return text.problem();
  if (!keystore::looks_encrypted(*text)) return parse_plaintext(*text, path);
  auto passphrase = read_passphrase(passphrase_file);
  if (!passphrase) return passphrase.problem();
  auto key = keystore::decrypt(*text, *passphrase);
  if (!key)
    return Problem{key.problem().rule, path.string() + ": " + key.problem().detail, key.problem().kind};
  return key;
}

Result<std::string> read_passphrase(const std::optional<std::filesystem::path>& passphrase_file) {
  if (passphrase_file) {
    const int raw_fd = ::open(passphrase_file->c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (raw_fd < 0) return io_problem("cannot open passphrase file", *passphrase_file, errno);
    FileDescriptor fd(raw_fd);
    std::string passphrase;
    char buffer[512];
    while (true) {
      const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return io_problem("cannot read passphrase file", *passphrase_file, errno);
      if (got == 0) break;
      passphrase.append(buffer, static_cast<std::size_t>(got));
      if (passphrase.size() > limits::max_key_file_bytes) {
        return invalid("no-passphrase", passphrase_file->string() + " is too large for a passphrase file");
      }
    }
    if (passphrase.ends_with("\r\n")) {
      passphrase.resize(passphrase.size() - 2);
    } else if (passphrase.ends_with('\n')) {
      passphrase.pop_back();
    }
    return passphrase;
  }
  if (const char* from_environment = std::getenv(passphrase_environment_variable))
    return std::string(from_environment);
  return invalid("no-passphrase",
                 "an encrypted key file needs a passphrase: give --passphrase-file FILE or set " +
                     std::string(passphrase_environment_variable));
}

}  // namespace onebill::api
