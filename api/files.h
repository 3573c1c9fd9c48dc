// Reading files named on the command line: bounded, so a huge or endless file (/dev/zero) is refused
// as too large instead of filling memory.
#pragma once

#include <string>

#include "crypto/json.h"
#include "crypto/limits.h"
#include "crypto/result.h"

namespace onebill::api {

// The file's bytes, at most max_bytes + 1 of them (one more than allowed, so that a parser refuses it as
// "too-large"). A file that cannot be read is the local fault "storage".
Result<std::string> read_bounded_file(const std::string& path, std::size_t max_bytes = limits::max_document_bytes);

// json::read of the file with the document limits; the problem's detail starts with the path.
Result<json::Json> read_json_file(const std::string& path);

}  // namespace onebill::api
