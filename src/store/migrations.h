// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <vector>

namespace vigil::store {

// One schema step; Migrations()[i] takes a database from schema version i to i + 1 (PRAGMA user_version).
struct Migration {
  const char* name;  // file name, e.g. "0001_init.sql"
  const char* sql;
};

// Every migration of src/store/migrations/, in order; embedded at build time.
const std::vector<Migration>& Migrations();

}  // namespace vigil::store
