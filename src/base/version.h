// SPDX-License-Identifier: AGPL-3.0-or-later
// Vigil's version, as `vigil version` prints it and as simulated data records the Vigil that generated it
// (provenance manifests). Keep it equal to project(VERSION) in the top CMakeLists.txt.
#pragma once

namespace vigil {

inline constexpr const char* kVigilVersion = "0.1.0";

}  // namespace vigil
