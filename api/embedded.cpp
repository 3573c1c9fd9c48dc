#include "api/embedded.h"

#include <algorithm>

namespace onebill::api {

const EmbeddedFile* find_embedded(std::string_view path) {
  const auto files = embedded_files();
  const auto found = std::lower_bound(files.begin(), files.end(), path,
                                      [](const EmbeddedFile& file, std::string_view p) { return file.path < p; });
  if (found == files.end() || found->path != path) return nullptr;
  return &*found;
}

std::string_view media_type_of(std::string_view path) {
  struct Type {
    std::string_view extension;
    std::string_view media_type;
  };
  static constexpr Type types[] = {
      {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},    {".json", "application/json"},
      {".svg", "image/svg+xml"},              {".png", "image/png"},
      {".ico", "image/x-icon"},               {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& type : types)
    if (path.ends_with(type.extension)) return type.media_type;
  return "application/octet-stream";
}

}  // namespace onebill::api
