// SPDX-License-Identifier: AGPL-3.0-or-later
// Module sim: the scenario simulator. From a scenario file (../shared/SCENARIOS.md) it builds a small
// synthetic Internet — regions, networks, prefixes, route collectors and their peers, probed /24s — plays
// its outages (withdraw / block / throttle, one-off or daily in a local time zone) and noise (flaps,
// collector gaps, peer resets, probe loss, diurnal responsiveness) and writes what Vigil ingests in real
// life: gzip MRT (TABLE_DUMP_V2 RIB + BGP4MP_AS4 updates), a CSV geo world, probe round logs, annotations,
// plus the ground truth. It owns its MRT and gzip writers. It must not know how Vigil ingests, stores or
// detects: it talks to the pipeline only through the files it writes.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "sim/mrt_writer.h"
#include "sim/scenario.h"

namespace vigil::sim {

struct SimOptions {
  // Adds a realistic full IPv4 table (>= 900k prefixes) behind >= 20 full-feed peers, for benchmarks.
  bool full_table = false;
  // Prefixes of the full table's background space (when full_table).
  int64_t full_table_prefixes = 950000;
  // MRT file compression (mrt_writer.h): gzip (".gz", RIS-style, the default), zstd (".zst") or none (no
  // suffix). Levels: gzip 6 (1 in full-table mode), zstd `zstd_level`.
  Compression compression = Compression::kGzip;
  int zstd_level = 1;
  // Uncompressed RIBs are written with O_DIRECT (CompressedFileWriter::Open): the device reads the
  // generator's buffers instead of the kernel copying 1 GB into the page cache, which was the largest
  // kernel cost of a full table. File systems without direct I/O get buffered writes.
  bool direct_io = true;
};

struct SimSummary {
  int64_t prefixes = 0, slash24s = 0, probed_blocks = 0, peers = 0;
  int64_t rib_records = 0, rib_entries = 0;  // RIB_IPV4_UNICAST records and the peer entries inside them
  int64_t update_records = 0;                // BGP4MP_MESSAGE_AS4 + STATE_CHANGE_AS4
  int64_t mrt_bytes = 0;                     // uncompressed
  int64_t mrt_files = 0, probe_files = 0, truth_events = 0;
  int64_t full_feed_min_prefixes = 0;     // IPv4 full-feed threshold that suits this world
  int64_t full_feed_min_prefixes_v6 = 0;  // IPv6; 0 when the world has no IPv6 routes
  double mrt_seconds = 0;                 // wall time spent building and writing MRT
  double mrt_cpu_seconds = 0;             // process CPU time (user + system) of the same
};

// Writes OUTDIR/{mrt,geo,probe}/..., annotations.json, truth.json and sim-config.json (see docs/simulator.md).
Result<SimSummary> RunSimulation(const Scenario& scenario, const std::string& outdir, const SimOptions& options);

}  // namespace vigil::sim
