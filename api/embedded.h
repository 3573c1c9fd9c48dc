// Files compiled into the binary (cmake/embed.cmake): the OpenAPI document and the web page's assets.
// The node serves them from memory; nothing is read from disk at run time, nothing from the internet.
#pragma once

#include <span>
#include <string_view>

namespace onebill::api {

struct EmbeddedFile {
  std::string_view path;     // "/openapi.json", "/web/index.html", ... (relative to api/, with a leading /)
  std::string_view content;  // the file's bytes
};

// Sorted by path.
std::span<const EmbeddedFile> embedded_files();

// The file at `path`, or nullptr.
const EmbeddedFile* find_embedded(std::string_view path);

// The Content-Type for a path by its extension (html, js, css, json, svg, png, ico; else octet-stream).
std::string_view media_type_of(std::string_view path);

}  // namespace onebill::api
