// SPDX-License-Identifier: AGPL-3.0-or-later
// The archives as a FileSource, through the acquire module.
#include "observatory/observatory.h"

namespace vigil::observatory {

Result<std::unique_ptr<FileSource>> MakeArchiveSource(const ObservatoryOptions&, const std::atomic<bool>&) {
  return Status::Error("the archive source needs the acquire module (use --mirror DIR meanwhile)");
}

}  // namespace vigil::observatory
