// SPDX-License-Identifier: AGPL-3.0-or-later
// Module base: the few facilities every stage shares — Status/Result for expected failures, SHA-256 of
// files (inputs are identified by content hash), UTC time parsing/formatting (RFC 3339, Unix seconds), and
// the one JSON string escaper for JSON written by hand.
// It owns no pipeline concept and depends on nothing else in Vigil.
#pragma once

#include "base/json_text.h"
#include "base/result.h"
#include "base/sha256.h"
#include "base/text_lines.h"
#include "base/time_format.h"
