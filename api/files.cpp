#include "api/files.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace onebill::api {

Result<std::string> read_bounded_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return local_fault("storage", "cannot read " + path + ": " + std::strerror(errno));
  std::string text;
  text.resize(max_bytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

Result<json::Json> read_json_file(const std::string& path) {
  auto text = read_bounded_file(path);
  if (!text) return text.problem();
  auto parsed = json::read(*text);
  if (!parsed) return Problem{parsed.problem().rule, path + ": " + parsed.problem().detail, parsed.problem().kind};
  return parsed;
}

}  // namespace onebill::api
