// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/text_file.h"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vigil::probe {

Result<std::string> ReadTextFile(const std::string& path) {
  // gzread passes plain files through unchanged, so one reader serves both.
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return Status::FromErrno(errno, path + ": " + std::strerror(errno));
  std::string out;
  char buffer[1 << 16];
  while (true) {
    int n = gzread(file, buffer, sizeof buffer);
    if (n < 0) {
      int code = 0;
      std::string message = gzerror(file, &code);
      gzclose(file);
      return Status::IOError(path + ": " + message);
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  gzclose(file);
  return out;
}

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  std::string temp = path + ".tmp." + std::to_string(getpid());
  FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr) return Status::FromErrno(errno, temp + ": " + std::strerror(errno));
  bool ok = std::fwrite(contents.data(), 1, contents.size(), file) == contents.size();
  ok = (std::fflush(file) == 0) && ok;
  ok = (fsync(fileno(file)) == 0) && ok;
  ok = (std::fclose(file) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::string message = std::strerror(errno);
    std::remove(temp.c_str());
    return Status::IOError(path + ": " + message);
  }
  return Status::Ok();
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace vigil::probe
