// SPDX-License-Identifier: AGPL-3.0-or-later
// bgpdump `-m` line formatter, one record at a time (WriteBgpdumpLines in mrt.h drives it over a file;
// tests drive it directly to check robustness on hostile records).
#pragma once

#include <memory>
#include <string>

#include "mrt/mrt.h"

namespace vigil::mrt {

class BgpdumpFormatter {
 public:
  explicit BgpdumpFormatter(int fd);
  ~BgpdumpFormatter();
  // Formats one record's lines into the output buffer (written to fd as it fills). Returns false where
  // bgpdump would stop reading the file; stop_reason() says why.
  bool Process(const Record& record);
  // Writes what is buffered; false if writing failed.
  bool Flush();
  const std::string& stop_reason() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::mrt
