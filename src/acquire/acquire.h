// SPDX-License-Identifier: AGPL-3.0-or-later
// Module acquire: the first pipeline stage, sources. It owns the collector table (which RIS and RouteViews
// collectors publish MRT, where and how often: data, never code), discovery of the files a collector
// published in a time range (from the archives' HTML auto-index folder listings, or from one JSON index
// service: BGPStream broker v2 or bgpkit broker v3), and fetching them over HTTP(S) into a local cache that
// mirrors the archive layout. A file counts only once verified: its size matches the listing and
// Content-Length, it decompresses completely (gzip / bzip2 CRC, through the mrt module's input stream) under a
// temporary name, and it was renamed atomically to its final name. So every file under a final name in the
// cache is verified, and a rerun downloads nothing that already is.
// Everything from the network is untrusted: listing names, sizes, index answers, bodies.
// It must not know signals, the store, detection or the API: it hands over verified files and gaps, nothing
// more. It may use mrt only to check that what it fetched decompresses.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"

namespace vigil::acquire {

// ---------------------------------------------------------------------------------------------------------
// Collectors and archive layouts (data/collectors.tsv and data/archives.tsv, built into the binary).

enum class Project { kRis, kRouteViews };
const char* ProjectName(Project project);  // "ris", "routeviews"
Result<Project> ParseProject(std::string_view name);

enum class FileType { kUpdates, kRib };
const char* FileTypeName(FileType type);                // "updates", "ribs"
Result<FileType> ParseFileType(std::string_view name);  // "updates" | "ribs" (also "rib")
// "updates,ribs" -> both; names the bad item on error.
Result<std::vector<FileType>> ParseFileTypes(std::string_view list);

// How one project's archive lays a collector's files out below the collector's archive path:
//   <root_url><archive_path>/<YYYY.MM>/<updates_folder>/<updates_prefix>YYYYMMDD.HHMM<extension>
struct ArchiveLayout {
  Project project = Project::kRis;
  std::string root_url;        // "https://data.ris.ripe.net/" (ends with '/')
  std::string updates_folder;  // below the month folder: "" (RIS) or "UPDATES" (RouteViews)
  std::string updates_prefix;  // "updates."
  std::string ribs_folder;     // "" (RIS) or "RIBS"
  std::string ribs_prefix;     // "bview." (RIS) or "rib." (RouteViews)
  std::string extension;       // ".gz" (RIS) or ".bz2" (RouteViews)
};

struct Collector {
  std::string name;  // "rrc00", "route-views2", "route-views.jinx"
  Project project = Project::kRis;
  // Folder below the project's root that holds the YYYY.MM/ folders: "rrc00", "route-views.jinx/bgpdata",
  // and "bgpdata" for route-views2 (the original RouteViews collector has no collector folder).
  std::string archive_path;
  int64_t update_period_s = 300;
  int64_t rib_period_s = 28800;
  std::string first_date;  // "YYYY-MM-DD": first month published
  std::string last_date;   // "YYYY-MM-DD": last month published, "" while it still publishes
};

struct CollectorTable {
  std::vector<ArchiveLayout> layouts;
  std::vector<Collector> collectors;

  const Collector* Find(std::string_view name) const;  // nullptr when unknown
  const ArchiveLayout* Layout(Project project) const;  // nullptr when the table has no layout for it
};

// The tables built into vigil (copies of data/collectors.tsv and data/archives.tsv at build time).
std::string_view BuiltinCollectorsTsv();
std::string_view BuiltinArchivesTsv();
// Parses the two TSV texts; `collectors_name` / `archives_name` name them in messages (file:line: ...).
Result<CollectorTable> ParseCollectorTable(std::string_view collectors_tsv, const std::string& collectors_name,
                                           std::string_view archives_tsv, const std::string& archives_name);
// The built-in tables, or the collectors file at `collectors_path` when it is not empty.
Result<CollectorTable> LoadCollectorTable(const std::string& collectors_path);
// The collectors part as TSV (header and comment lines included), as data/collectors.tsv holds it.
std::string FormatCollectorsTsv(const CollectorTable& table);

// Resolves names ("rrc00,route-views2") against the table; names the unknown one on error.
Result<std::vector<const Collector*>> SelectCollectors(const CollectorTable& table, std::string_view list);

// Archive roots per project: the table's defaults, overridden by "ris=URL,routeviews=URL" (either part alone).
struct ArchiveRoots {
  std::string ris;
  std::string routeviews;
  const std::string& For(Project project) const { return project == Project::kRis ? ris : routeviews; }
};
Result<ArchiveRoots> ParseArchiveRoots(const CollectorTable& table, std::string_view overrides);

// One JSON index service in place of the archives' folder listings: "bgpstream=URL" or "bgpkit=URL".
struct IndexService {
  enum class Kind { kBgpstreamBrokerV2, kBgpkitBrokerV3 };
  Kind kind = Kind::kBgpstreamBrokerV2;
  std::string url;  // base URL; "/data" (bgpstream) or "/search" (bgpkit) is appended
};
Result<IndexService> ParseIndexService(std::string_view spec);

// ---------------------------------------------------------------------------------------------------------
// Network settings shared by discovery and fetching. TLS peer and host verification are always on.

struct NetworkOptions {
  int jobs = 4;                               // parallel transfers
  double connect_timeout_s = 20;              // TCP + TLS handshake
  double stall_timeout_s = 60;                // a transfer with no byte for this long is retried (a timeout)
  int max_tries = 5;                          // per file (and per listing page), then it is reported failed
  double backoff_initial_s = 1;               // first retry delay; doubles each try, with +-50% jitter
  double backoff_max_s = 120;                 // cap of one delay
  double max_retry_after_s = 900;             // a Retry-After above this fails the file instead of waiting
  int64_t bandwidth_bytes_per_s = 0;          // 0: unlimited; shared across all transfers
  int64_t max_listing_bytes = 16 << 20;       // a folder listing or index answer larger than this is refused
  int64_t max_file_bytes = int64_t{8} << 30;  // a file larger than this is refused
  double max_decompression_ratio = 100;       // decompressed / compressed bytes above this is refused
  std::string ca_file;                        // extra CA bundle (tests with their own CA); "" = system store
  const std::atomic<bool>* stop = nullptr;    // when set and true, transfers end early (SIGINT/SIGTERM)
};

// ---------------------------------------------------------------------------------------------------------
// Discovery: list, then fetch; never guess that a file exists.

// A size as the listing gave it: exact bytes ("1234567"), or a rounded figure ("1.5M") turned into bounds.
struct ListedSize {
  int64_t low = -1;  // -1: the listing gave no size
  int64_t high = -1;
  bool known() const { return low >= 0; }
  bool Admits(int64_t bytes) const { return !known() || (bytes >= low && bytes <= high); }
};

struct RemoteFile {
  std::string collector;
  Project project = Project::kRis;
  FileType type = FileType::kUpdates;
  UnixSeconds start = 0;   // from the name: the start of the file's interval (RIBs: the dump time)
  int64_t period_s = 0;    // the collector's period for this type
  std::string url;         // where to GET it
  std::string cache_path;  // relative path in the cache: "ris/rrc00/2022.01/updates.20220104.0005.gz"
  ListedSize listed_size;
};

struct DiscoveryRequest {
  std::vector<const Collector*> collectors;  // from SelectCollectors (point into the table)
  UnixSeconds from = 0;                      // files whose interval overlaps [from, until)
  UnixSeconds until = 0;
  std::vector<FileType> types = {FileType::kUpdates};
};

struct Discovery {
  std::vector<RemoteFile> files;  // sorted by (start, collector, type); no duplicates
  // Listing entries refused or skipped, listing pages that could not be read: one line each, naming the URL.
  std::vector<std::string> warnings;
  int listings_read = 0;
};

// Reads the month folders (and type sub-folders) of each collector that overlap the range. A listing that
// cannot be fetched after the retries fails the whole discovery only when the archive root itself is
// unreachable; otherwise it becomes a warning (its files are unknown, so they are missing, not zero).
Result<Discovery> DiscoverFromArchives(const CollectorTable& table, const ArchiveRoots& roots,
                                       const DiscoveryRequest& request, const NetworkOptions& options);
// The same from an index service (every page of bgpkit answers, one bgpstream answer per collector).
Result<Discovery> DiscoverFromIndex(const CollectorTable& table, const IndexService& index,
                                    const DiscoveryRequest& request, const NetworkOptions& options);

// The newest RIB of `collector` that starts at or before `at` (looks back two RIB periods, then a month).
Result<std::optional<RemoteFile>> LatestRibAtOrBefore(const CollectorTable& table, const ArchiveRoots& roots,
                                                      const Collector& collector, UnixSeconds at,
                                                      const NetworkOptions& options);

// Entries of one auto-index page (exposed for tests and `vigil collectors --refresh`): names as given (folders
// end with '/'), modification time when shown, size.
struct ListingEntry {
  std::string name;
  ListedSize size;
};
// Parses Apache (table or <pre>) and nginx auto-index HTML. Entries whose names are unsafe (`..`, '/' inside,
// control characters, longer than 255 bytes, percent-escapes that decode to any of these) are left out and
// named in `refused`.
std::vector<ListingEntry> ParseAutoIndex(std::string_view html, std::vector<std::string>* refused);
// True for a name that may become one path component in the cache.
bool IsSafeFileName(std::string_view name);

// ---------------------------------------------------------------------------------------------------------
// Fetching into the cache.

enum class FileOutcome {
  kVerified,       // downloaded now, verified, renamed into the cache
  kAlreadyCached,  // its final name already existed in the cache (only verified files ever get one)
  kGap,            // listed, but the server said 404 / 410: the archive lacks it (a gap, never a zero)
  kFailed,         // tries exhausted, refused (size, ratio, corrupt), or stopped; `reason` says which
};
const char* FileOutcomeName(FileOutcome outcome);  // "verified", "cached", "gap", "failed"

struct FileResult {
  RemoteFile file;
  FileOutcome outcome = FileOutcome::kFailed;
  std::string reason;      // empty for verified / cached; else one line naming the cause
  std::string local_path;  // cache_dir + cache_path (exists only for verified / cached)
  int64_t bytes = 0;       // compressed size on disk
  int64_t decompressed_bytes = 0;
  int tries = 0;
};

struct FetchProgress {
  int files_total = 0;
  int files_done = 0;  // any outcome
  int64_t bytes_done = 0;
  int64_t bytes_expected = 0;  // from listings / Content-Length; 0 when unknown
  double seconds = 0;
};

struct FetchReport {
  std::vector<FileResult> files;  // one per requested file, same order
  int64_t bytes_downloaded = 0;   // over the network in this run (resumed bytes count once)
  double seconds = 0;
  // Set when the run had to stop (disk full, cache not writable, stop flag): the files not yet done are
  // reported failed with this reason, and nothing half-written stays under a final name.
  Status fatal;

  int Count(FileOutcome outcome) const;
  std::string SummaryLine()
      const;  // "fetch: 12 files: 9 verified, 1 cached, 1 gap, 1 failed; 3.2 MB in 1.1 s (2.9 MB/s)"
};

using ProgressCallback = std::function<void(const FetchProgress&)>;

// Fetches every file (in parallel, `options.jobs` at a time, keep-alive connections), verifying each before it
// counts. Partial downloads survive as "<final>.part" and are resumed with Range on the next try or run.
// `progress` (may be empty) is called from the calling thread at most a few times a second and once at the end.
FetchReport FetchFiles(const std::vector<RemoteFile>& files, const std::string& cache_dir,
                       const NetworkOptions& options, const ProgressCallback& progress = {});

// Verifies a file already on disk as FetchFiles does (complete decompression, ratio limit); returns the
// decompressed size. Exposed for tests and for callers that receive files another way.
Result<int64_t> VerifyCompressedFile(const std::string& path, double max_decompression_ratio);

// ---------------------------------------------------------------------------------------------------------
// RIS Live (the low-latency source): its JSON messages, current (`ris_message`) and legacy (per-prefix types
// A / W / S / O / N) formats, turned into typed messages. Peer addresses and prefixes become raw bytes here
// (family 4 or 6, then 4 or 16 bytes), the form the signals stage keys its peer tables on. Every field comes
// from the network: a malformed frame is a kCorruption error naming the frame, never a crash or a guess.

struct LiveAddress {
  uint8_t family = 0;  // 4 or 6
  uint8_t bytes[16] = {};
  // The family byte then the 4 or 16 address bytes: the peer key of the signals stage's tables.
  std::string Key() const;
};
struct LivePrefix {
  LiveAddress address;  // host bits cleared
  uint8_t length = 0;
};
// "192.0.2.1" / "2001:db8::1" and "192.0.2.0/24" / "2001:db8::/32"; kCorruption naming the text otherwise.
Result<LiveAddress> ParseLiveAddress(std::string_view text);
Result<LivePrefix> ParseLivePrefix(std::string_view text);

enum class LiveMessageKind {
  kUpdate,       // announcements and / or withdrawals of one peer
  kPeerState,    // RIS_PEER_STATE (legacy S): the session went up or down
  kBgpOther,     // OPEN, NOTIFICATION, KEEPALIVE (legacy O, N): proof the peer is alive, nothing to apply
  kControl,      // ris_subscribe_ok, pong, ris_rrc_list: the server answering the client
  kServerError,  // ris_error (e.g. the client could not keep up): `error` says what
};
struct LivePathSegment {
  bool as_set = false;  // a nested array in `path`
  std::vector<uint32_t> asns;
};
struct LiveAnnouncement {
  std::string next_hop;  // as given (may be a link-local IPv6 address)
  std::vector<LivePrefix> prefixes;
};
struct LiveMessage {
  LiveMessageKind kind = LiveMessageKind::kControl;
  std::string type;       // the message's own type: "UPDATE", "RIS_PEER_STATE", "OPEN", "A", "pong", ...
  double timestamp = 0;   // fractional Unix seconds
  std::string collector;  // "rrc21" (a "rrc21.ripe.net" host loses its domain)
  LiveAddress peer;
  uint32_t peer_asn = 0;
  std::vector<LivePathSegment> path;
  std::string origin;  // lower case: "igp", "egp", "incomplete" (or empty)
  std::vector<LiveAnnouncement> announcements;
  std::vector<LivePrefix> withdrawals;
  bool peer_up = false;  // kPeerState: "connected" (true) or "down"
  std::string error;     // kServerError: the server's message
};
// One WebSocket frame or one line of a capture: usually one JSON object, sometimes several back to back (old
// captures). `where` names it in errors ("frame 12", "file.json:8"); the error also gives the byte offset.
Result<std::vector<LiveMessage>> ParseRisLiveText(std::string_view text, const std::string& where);

// The client's subscriptions to one collector: its UPDATE and its RIS_PEER_STATE messages (one `ris_subscribe`
// each: a subscription filters on one type, and without a type every KEEPALIVE would come too).
std::vector<std::string> RisLiveSubscribeFrames(const std::string& collector);

// The RIS Live WebSocket client (libwebsockets, on its own thread): it subscribes to each collector, answers
// pings, sends its own `ping` every ping interval and reconnects with exponential backoff and jitter when the
// connection drops, goes silent or the server says ris_error. Messages wait in a bounded queue for the consumer;
// a consumer that falls behind by max_queue events is disconnected (RIS Live does the same to slow clients)
// rather than letting memory grow: the gap is the consumer's to fill from the archive.
struct RisLiveOptions {
  std::string url;  // ws://HOST[:PORT]/PATH or wss://... ("client=vigil" is added to the query when absent)
  std::vector<std::string> collectors;
  std::string ca_file;  // extra CA bundle for wss (verification is always on)
  size_t max_queue = 200000;
  size_t max_frame_bytes = 1 << 20;
  double ping_interval_s = 15;
  double silence_timeout_s = 60;  // nothing received for this long: reconnect
  double backoff_initial_s = 1;
  double backoff_max_s = 60;
};

struct LiveEvent {
  enum class Kind { kConnected, kMessage, kMalformed, kDisconnected };
  Kind kind = Kind::kMessage;
  double received_at = 0;  // wall clock, Unix seconds
  LiveMessage message;     // kMessage
  std::string detail;      // kMalformed, kDisconnected: what happened (naming the frame or the cause)
};

struct RisLiveStats {
  std::string status;  // "connecting", "connected", "reconnecting in 2.3 s: <cause>", "stopped"
  int64_t frames = 0;
  int64_t messages = 0;
  int64_t malformed = 0;
  int64_t connections = 0;
  int64_t reconnects = 0;           // connection attempts after a drop
  int64_t slow_consumer_drops = 0;  // disconnects because the queue was full
};

class RisLiveClient {
 public:
  // Checks the URL (a malformed one is kInvalidArgument naming it) and starts the client's thread.
  static Result<std::unique_ptr<RisLiveClient>> Start(RisLiveOptions options);
  ~RisLiveClient();  // closes the connection and joins the thread
  // Everything received since the last call, in order.
  std::vector<LiveEvent> Drain();
  RisLiveStats Stats() const;

  struct Impl;

 private:
  explicit RisLiveClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The updates and state changes of an MRT file as `ris_message` frames of `collector` (one per BGP UPDATE of
// one peer, in file order): replay material built from real files, since no current-format capture is kept.
Result<std::vector<std::string>> RisLiveFramesFromMrt(const std::string& path, const std::string& collector);

// ---------------------------------------------------------------------------------------------------------
// Refreshing the collector table from the archives' top-level listings (and each collector's folder, for
// first and last month). Collectors absent from the listing keep their row; new ones get the project's
// usual periods. `notes` receives one line per change.
Result<CollectorTable> RefreshCollectorTable(const CollectorTable& table, const ArchiveRoots& roots,
                                             const NetworkOptions& options, std::vector<std::string>* notes);

}  // namespace vigil::acquire
