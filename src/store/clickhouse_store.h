#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "store/store.h"

namespace vigil::store {

// Connects to ClickHouse at "clickhouse://host[:port]/db" (HTTP interface, default port 8123), creating the
// database and tables when missing. Internal to the module: others call OpenStore.
Result<std::unique_ptr<Store>> OpenClickHouseStore(const std::string& uri);

}  // namespace vigil::store
