// Helpers shared by the unit tests: where the source tree and the reference material are.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace onebill::test {

inline std::filesystem::path source_dir() { return ONEBILL_SOURCE_DIR; }
inline std::filesystem::path vectors_dir() { return source_dir() / "tests" / "vectors"; }

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test file " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace onebill::test
