// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "store/store.h"

namespace vigil::store {

// Opens or creates the SQLite store at `path` (":memory:" for a private in-memory one), applying the
// migrations it lacks. Internal to the module: others call OpenStore.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);
// The same, seen as the webhook tables of that file.
Result<std::unique_ptr<WebhookStore>> OpenSqliteWebhookStore(const std::string& path);

}  // namespace vigil::store
