// SPDX-License-Identifier: AGPL-3.0-or-later
#include "base/result.h"

// Status and Result are header-only; this unit anchors the library target.
namespace vigil {
static_assert(sizeof(Status) > 0);
}  // namespace vigil
