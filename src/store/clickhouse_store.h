// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "store/store.h"

namespace vigil::store {

// Connects to ClickHouse at "clickhouse://host[:port]/db" (HTTP interface, default port 8123), creating the
// database and tables when missing. A cluster: "clickhouse://h1:port,h2:port/db?cluster=NAME" creates, on every
// host listed (one per shard of the server's remote_servers entry NAME), shard-local tables and Distributed
// tables over them; later opens through any one host find the cluster (docs/scale.md). Internal to the
// module: others call OpenStore.
Result<std::unique_ptr<Store>> OpenClickHouseStore(const std::string& uri);
// As OpenClickHouseStore, but the database must exist on the server already (NotFound otherwise).
Result<std::unique_ptr<Store>> OpenExistingClickHouseStore(const std::string& uri);

}  // namespace vigil::store
