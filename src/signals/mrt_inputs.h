// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"

namespace vigil::signals {

enum class MrtFileKind { kRib, kUpdates, kUnknown };

// One MRT file to ingest, with what its name says (RIS / RouteViews naming).
struct MrtInputFile {
  std::string path;
  std::string name;       // path relative to the argument it was found under (the file name for files)
  std::string collector;  // "rrc00", "route-views2", the sim's collector folder ...
  MrtFileKind kind = MrtFileKind::kUnknown;
  UnixSeconds name_time = -1;      // from the name (YYYYMMDD.HHMM or Unix seconds); -1 when absent
  bool time_from_content = false;  // name_time was taken from the first record (the name had none)
  int64_t bytes = 0;
};

// Reads `bview.20160811.1600.gz`, `updates.20160811.1600.gz`, `rib.20140523.0600.bz2` (with any prefix
// such as `rrc00.` or `ripe-bgpdump.`), and `updates.1427846400.gz`. The collector is the part of the name
// before the kind word when there is one ("rrc15" in "bgpkit.rrc15.updates..."; a leading source tag is
// dropped when two words precede it), else the nearest enclosing folder that is not an archive layout
// folder (YYYY.MM, RIBS, UPDATES, bgpdata).
MrtInputFile DescribeMrtFile(const std::string& path, const std::string& name);

// Expands files and directories (recursively) into MRT inputs sorted by time (RIBs before updates of the
// same time), then collector and name. Files named *.md, *.txt, *.json, *.csv, *.tsv are ignored in
// directories. A path that does not exist is an error.
Result<std::vector<MrtInputFile>> DiscoverMrtInputs(const std::vector<std::string>& paths);

// Sorts inputs as DiscoverMrtInputs does (times must be filled in).
void SortMrtInputs(std::vector<MrtInputFile>& inputs);

}  // namespace vigil::signals
