// SPDX-License-Identifier: AGPL-3.0-or-later
// An ip-location-db city mmdb opened with libmaxminddb: per-address lookups (both families) and the
// decoding of its flat records. The IPv4 tree walk lives in mmdb_source.cc (ReadCityMmdbIpv4).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "geo/sources.h"

namespace vigil::geo {

class CityMmdb {
 public:
  // Fails with a message naming the file (and `make deps`) when it is missing or not an mmdb.
  static Result<std::unique_ptr<CityMmdb>> Open(const std::string& path);
  ~CityMmdb();

  // found=false when the database has no record for the address; an error for unparsable text.
  struct Answer {
    bool found = false;
    GeoRecord record;
  };
  Result<Answer> Lookup(std::string_view address) const;
  const std::string& path() const { return path_; }

 private:
  CityMmdb() = default;
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::string path_;
};

}  // namespace vigil::geo
