// SPDX-License-Identifier: AGPL-3.0-or-later
// Internal to the cli module: what the ingest commands' files are (docs/store.md "Provenance"). A file is observed
// unless a `provenance.json` in its own folder says otherwise (the simulator writes one in every folder of its
// output). Only a file's own folder is read, never a parent: the paths a command is given decide what it reads.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "store/store.h"

namespace vigil::cli {

inline constexpr const char* kProvenanceManifest = "provenance.json";

// The provenance shared by every file; files of different provenance in one call are refused (InvalidArgument,
// naming two of them), and so is a manifest that cannot be read or names no known kind.
Result<store::Provenance> ProvenanceOfFiles(const std::vector<std::string>& files);

// "observed", "simulated scenario 'kz-2022-01' (seed 7, vigil 0.1.0)", "imported from IODA".
std::string DescribeProvenance(const store::Provenance& provenance);

}  // namespace vigil::cli
