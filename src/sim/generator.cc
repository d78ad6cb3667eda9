// SPDX-License-Identifier: AGPL-3.0-or-later
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "base/version.h"
#include "sim/mrt_writer.h"
#include "sim/sim.h"
#include "sim/ipv6_routes.h"
#include "sim/noise_model.h"
#include "sim/timeline.h"
#include "base/time_zone.h"
#include "sim/world.h"

namespace vigil::sim {
namespace {

// CPU seconds of the whole process (every thread), for the summary's generation rate.
double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

namespace fs = std::filesystem;
using OrderedJson = nlohmann::ordered_json;

constexpr int64_t kUpdateFileSeconds = 300;
constexpr int kIdle = 1, kConnect = 2, kOpenSent = 4, kOpenConfirm = 5, kEstablished = 6;

std::string FileStamp(UnixSeconds t) {
  std::string text = FormatRfc3339(t);  // 2022-01-05T11:00:00Z
  return text.substr(0, 4) + text.substr(5, 2) + text.substr(8, 2) + "." + text.substr(11, 2) + text.substr(14, 2);
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return Status::IOError(path.string() + ": write failed");
  return Status::Ok();
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    if (c != '\n') out += c;
  }
  return out + "\"";
}

// Anonymous memory aligned to 2 MB and advised into transparent huge pages (page aligned at least, as
// direct I/O needs).
class HugePageBuffer {
 public:
  explicit HugePageBuffer(size_t size) {
    constexpr size_t kHuge = 2 << 20;
    size_ = (size + kHuge - 1) / kHuge * kHuge;
    void* p = ::mmap(nullptr, size_ + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    char* start = static_cast<char*>(p);
    char* aligned = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(start) + kHuge - 1) / kHuge * kHuge);
    if (aligned > start) ::munmap(start, static_cast<size_t>(aligned - start));
    size_t after = kHuge - static_cast<size_t>(aligned - start);
    if (after) ::munmap(aligned + size_, after);
    ::madvise(aligned, size_, MADV_HUGEPAGE);  // advice only: without it the buffer still works
    data_ = aligned;
  }
  ~HugePageBuffer() {
    if (data_) ::munmap(data_, size_);
  }
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;
  char* get() const { return data_; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
};

// ----- BGP ----------------------------------------------------------------------------------------------

enum class ActionType : uint8_t { kEventEdge, kFlapEdge, kPeerDown, kPeerUp, kChurn };

struct Action {
  UnixSeconds t = 0;
  uint32_t seq = 0;
  ActionType type = ActionType::kChurn;
  int8_t delta = 0;
  int peer = 0;
  int target = 0;  // event index (edges), prefix (flaps, churn)
};

struct RecordRef {
  UnixSeconds t = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
};

class BgpSimulation {
 public:
  BgpSimulation(const Scenario& scenario, const World& world, const std::vector<ResolvedEvent>& events,
                const SimOptions& options)
      : scenario_(scenario), world_(world), events_(events), options_(options) {}

  Status Run(const fs::path& outdir, SimSummary& summary) {
    size_t peers = world_.peers.size();
    // Fresh anonymous memory is zero: no pass to clear 23 MB (full table), and huge pages where allowed.
    route_memory_ = std::make_unique<HugePageBuffer>(std::max<size_t>(1, world_.prefixes.size() * peers));
    route_ = reinterpret_cast<uint8_t*>(route_memory_->get());
    if (!route_) return Status::ResourceExhausted("out of memory for the route table");
    withdrawn_.assign(peers, std::vector<int16_t>(static_cast<size_t>(world_.scenario_units), 0));
    peer_up_.assign(peers, true);
    carried_.assign(peers, 0);
    // At the start every session is up and nothing is withdrawn or flapping, so what a peer announces is
    // what it carries (Desired() reduced to PeerCarries, evaluated once per unit rather than per prefix).
    // Full-feed peers carry every unit; only the partial ones need a draw per unit.
    std::vector<uint8_t> row(peers, 0);
    std::vector<size_t> partial;
    for (size_t p = 0; p < peers; ++p) {
      if (world_.peers[p].full_feed) {
        row[p] = kAnnounced;
        carried_[p] = static_cast<int64_t>(world_.prefixes.size());
      } else {
        partial.push_back(p);
      }
    }
    for (size_t u = 0; u < world_.units.size(); ++u) {
      const Unit& unit = world_.units[u];
      for (size_t p : partial) {
        row[p] = world_.PeerCarries(world_.peers[p], static_cast<int>(u)) ? kAnnounced : 0;
        carried_[p] += row[p] ? unit.prefix_count : 0;
      }
      for (int i = unit.first_prefix; i < unit.first_prefix + unit.prefix_count; ++i) {
        std::memcpy(&route_[static_cast<size_t>(i) * peers], row.data(), peers);
      }
    }
    buffers_.resize(world_.collectors.size());
    refs_.resize(world_.collectors.size());
    PlanActions();
    for (const auto& c : world_.collectors) {
      fs::create_directories(outdir / "mrt" / c.name);
    }
    VIGIL_RETURN_IF_ERROR(WriteRibs(outdir, summary));
    for (size_t i = 0; i < actions_.size(); ++i) {
      // Churn touches a random prefix's row of route_: fetch it while earlier actions run.
      constexpr size_t kAhead = 16;
      if (i + kAhead < actions_.size() && actions_[i + kAhead].type == ActionType::kChurn) {
        __builtin_prefetch(&Route(actions_[i + kAhead].peer, actions_[i + kAhead].target));
        __builtin_prefetch(&world_.prefixes[static_cast<size_t>(actions_[i + kAhead].target)]);
      }
      if (i + kAhead / 2 < actions_.size() && actions_[i + kAhead / 2].type == ActionType::kChurn) {
        int unit = world_.prefixes[static_cast<size_t>(actions_[i + kAhead / 2].target)].unit;
        __builtin_prefetch(&world_.units[static_cast<size_t>(unit)]);
      }
      Apply(actions_[i]);
    }
    return WriteUpdates(outdir, summary);
  }

  int64_t FullFeedPrefixes() const {
    int64_t best = 0;
    for (int64_t c : carried_) best = std::max(best, c);
    return best;
  }

 private:
  static constexpr uint8_t kAnnounced = 1, kVariant = 2;  // route_ bits
  uint8_t& Route(int p, int prefix) {
    return route_[static_cast<size_t>(prefix) * world_.peers.size() + static_cast<size_t>(p)];
  }
  int Variant(int p, int prefix) { return (Route(p, prefix) & kVariant) ? 1 : 0; }

  bool InGap(int collector, UnixSeconds t) const {
    for (const auto& g : scenario_.noise.collector_gaps) {
      if (g.collector == world_.collectors[static_cast<size_t>(collector)].name && t >= g.start && t < g.end)
        return true;
    }
    return false;
  }

  bool Desired(int p, int prefix) const {
    const Prefix& pre = world_.prefixes[static_cast<size_t>(prefix)];
    if (!peer_up_[static_cast<size_t>(p)]) return false;
    if (!world_.PeerCarries(world_.peers[static_cast<size_t>(p)], pre.unit)) return false;
    if (pre.unit < world_.scenario_units && withdrawn_[static_cast<size_t>(p)][static_cast<size_t>(pre.unit)] > 0)
      return false;
    auto it = flaps_.find(FlapKey(p, prefix));
    return it == flaps_.end() || it->second == 0;
  }
  static uint64_t FlapKey(int p, int prefix) {
    return (static_cast<uint64_t>(p) << 32) | static_cast<uint32_t>(prefix);
  }

  void Add(UnixSeconds t, ActionType type, int peer, int target, int8_t delta) {
    if (t >= scenario_.end) return;
    actions_.push_back({std::max(t, scenario_.start), 0, type, delta, peer, target});
  }

  void PlanActions() {
    Rng rng = Rng(scenario_.seed).Fork("bgp-actions");
    // Event edges, each peer hearing them after its own propagation delay.
    for (size_t e = 0; e < events_.size(); ++e) {
      if (events_[e].spec->kind != EventKind::kWithdraw || events_[e].units.empty()) continue;
      for (size_t w = 0; w < events_[e].windows.size(); ++w) {
        const EventWindow& win = events_[e].windows[w];
        for (size_t p = 0; p < world_.peers.size(); ++p) {
          UnixSeconds d1 = 2 + static_cast<UnixSeconds>(Mix64(p * 131 + w, e * 7 + 1) % 40);
          UnixSeconds d2 = 2 + static_cast<UnixSeconds>(Mix64(p * 131 + w, e * 7 + 2) % 40);
          Add(win.start + d1, ActionType::kEventEdge, static_cast<int>(p), static_cast<int>(e), +1);
          Add(win.end + d2, ActionType::kEventEdge, static_cast<int>(p), static_cast<int>(e), -1);
        }
      }
    }
    // Flaps: short withdraw/re-announce, mostly of small prefixes and more-specifics.
    std::vector<int> small, more_specific;
    for (size_t i = 0; i < world_.prefixes.size(); ++i) {
      const Prefix& pre = world_.prefixes[i];
      if (pre.more_specific)
        more_specific.push_back(static_cast<int>(i));
      else if (pre.len >= 22)
        small.push_back(static_cast<int>(i));
    }
    double rate = scenario_.noise.flaps_per_hour / 3600.0;
    if (rate > 0 && !(small.empty() && more_specific.empty())) {
      for (double t = static_cast<double>(scenario_.start);;) {
        t += -std::log(1.0 - rng.Uniform()) / rate;
        if (t >= static_cast<double>(scenario_.end)) break;
        const auto& pool = (more_specific.empty() || (!small.empty() && rng.Chance(0.5))) ? small : more_specific;
        int prefix = pool[rng.Below(pool.size())];
        UnixSeconds start = static_cast<UnixSeconds>(t);
        UnixSeconds duration = static_cast<UnixSeconds>(std::exp(rng.Uniform(std::log(20.0), std::log(900.0))));
        if (rng.Chance(0.6)) {
          for (size_t p = 0; p < world_.peers.size(); ++p) {
            UnixSeconds d = static_cast<UnixSeconds>(rng.Below(20));
            Add(start + d, ActionType::kFlapEdge, static_cast<int>(p), prefix, +1);
            Add(start + duration + d, ActionType::kFlapEdge, static_cast<int>(p), prefix, -1);
          }
        } else {
          int p = static_cast<int>(rng.Below(world_.peers.size()));
          Add(start, ActionType::kFlapEdge, p, prefix, +1);
          Add(start + duration, ActionType::kFlapEdge, p, prefix, -1);
        }
      }
    }
    // Calibrated churn: one peer withdraws one prefix and re-announces it (mostly within a minute).
    if (const double churn = scenario_.noise.calibrated.churn_per_peer_hour; churn > 0) {
      Rng churn_rng = Rng(scenario_.seed).Fork("calibrated-churn");
      for (size_t p = 0; p < world_.peers.size(); ++p) {
        for (double t = static_cast<double>(scenario_.start);;) {
          t += -std::log(1.0 - churn_rng.Uniform()) / (churn / 3600.0);
          if (t >= static_cast<double>(scenario_.end)) break;
          int prefix = static_cast<int>(churn_rng.Below(world_.prefixes.size()));
          UnixSeconds duration =
              churn_rng.Chance(0.7)
                  ? static_cast<UnixSeconds>(churn_rng.Uniform(5, 60))
                  : static_cast<UnixSeconds>(std::exp(churn_rng.Uniform(std::log(60.0), std::log(1800.0))));
          Add(static_cast<UnixSeconds>(t), ActionType::kFlapEdge, static_cast<int>(p), prefix, +1);
          Add(static_cast<UnixSeconds>(t) + duration, ActionType::kFlapEdge, static_cast<int>(p), prefix, -1);
        }
      }
    }
    // Background churn: path changes that keep the prefix reachable (real update files are never empty).
    double churn_per_peer_file = options_.full_table ? 600 : 2;
    for (UnixSeconds w = BinStart(scenario_.start, kUpdateFileSeconds); w < scenario_.end; w += kUpdateFileSeconds) {
      int64_t count =
          static_cast<int64_t>(churn_per_peer_file * static_cast<double>(world_.peers.size()) * rng.Uniform(0.5, 1.5));
      for (int64_t i = 0; i < count; ++i) {
        UnixSeconds t = w + static_cast<UnixSeconds>(rng.Below(kUpdateFileSeconds));
        int p = static_cast<int>(rng.Below(world_.peers.size()));
        int prefix = static_cast<int>(rng.Below(world_.prefixes.size()));
        if (t >= scenario_.start) Add(t, ActionType::kChurn, p, prefix, 0);
      }
    }
    // Peer resets, and every session of a collector after it comes back from a gap.
    for (const auto& reset : scenario_.noise.peer_resets) {
      for (size_t c = 0; c < world_.collectors.size(); ++c) {
        if (world_.collectors[c].name != reset.collector) continue;
        int p = world_.collectors[c].peers[static_cast<size_t>(reset.peer)];
        Add(reset.at, ActionType::kPeerDown, p, 0, 0);
        Add(reset.at + 30 + static_cast<UnixSeconds>(rng.Below(90)), ActionType::kPeerUp, p, 0, 0);
      }
    }
    for (const auto& gap : scenario_.noise.collector_gaps) {
      for (size_t c = 0; c < world_.collectors.size(); ++c) {
        if (world_.collectors[c].name != gap.collector) continue;
        for (int p : world_.collectors[c].peers) {
          Add(gap.end, ActionType::kPeerDown, p, 0, 0);
          Add(gap.end + 1, ActionType::kPeerUp, p, 0, 0);
        }
      }
    }
    for (size_t i = 0; i < actions_.size(); ++i) actions_[i].seq = static_cast<uint32_t>(i);
    std::stable_sort(actions_.begin(), actions_.end(), [](const Action& a, const Action& b) { return a.t < b.t; });
  }

  Bgp4mpSession Session(int p) const {
    const Peer& peer = world_.peers[static_cast<size_t>(p)];
    const CollectorInfo& c = world_.collectors[static_cast<size_t>(peer.collector)];
    return {peer.asn, world_.collector_as, peer.ip, c.local_ip};
  }

  const std::string& Attributes(int p, int unit, int variant) {
    const Peer& peer = world_.peers[static_cast<size_t>(p)];
    uint32_t path[World::kMaxAsPath];
    PathAttributes a;
    a.as_path = path;
    a.as_path_len = static_cast<size_t>(world_.AsPath(peer, unit, variant, path));
    a.next_hop = peer.ip;
    a.community = peer.community;
    a.has_med = peer.index % 3 == 1;
    a.med = static_cast<uint32_t>(Mix64(static_cast<uint64_t>(p), static_cast<uint64_t>(unit)) % 200);
    attributes_.clear();
    AppendAttributes(attributes_, a);
    return attributes_;
  }

  void Emit(int collector, UnixSeconds t, size_t before) {
    std::string& buffer = buffers_[static_cast<size_t>(collector)];
    if (t >= scenario_.end || InGap(collector, t)) {
      buffer.resize(before);
      return;
    }
    // Split what was appended into its records.
    size_t pos = before;
    while (pos < buffer.size()) {
      uint32_t length = 12 + ((static_cast<uint32_t>(static_cast<unsigned char>(buffer[pos + 8])) << 24) |
                              (static_cast<uint32_t>(static_cast<unsigned char>(buffer[pos + 9])) << 16) |
                              (static_cast<uint32_t>(static_cast<unsigned char>(buffer[pos + 10])) << 8) |
                              static_cast<uint32_t>(static_cast<unsigned char>(buffer[pos + 11])));
      refs_[static_cast<size_t>(collector)].push_back({t, pos, length});
      pos += length;
    }
  }

  // Brings the peer's announced state for `prefixes` in line with what it should carry, emitting UPDATEs.
  void Sync(int p, UnixSeconds t, const std::vector<int>& prefixes) {
    std::vector<std::pair<uint32_t, int>> withdrawn;
    std::vector<int> announce;
    for (int prefix : prefixes) {
      bool want = Desired(p, prefix);
      uint8_t& route = Route(p, prefix);
      if (want == static_cast<bool>(route & kAnnounced)) continue;
      route = static_cast<uint8_t>((route & ~kAnnounced) | (want ? kAnnounced : 0));
      const Prefix& pre = world_.prefixes[static_cast<size_t>(prefix)];
      if (want)
        announce.push_back(prefix);
      else
        withdrawn.emplace_back(pre.addr, pre.len);
    }
    EmitChanges(p, t, withdrawn, announce);
  }

  void EmitChanges(int p, UnixSeconds t, const std::vector<std::pair<uint32_t, int>>& withdrawn,
                   const std::vector<int>& announce) {
    if (withdrawn.empty() && announce.empty()) return;
    int collector = world_.peers[static_cast<size_t>(p)].collector;
    std::string& buffer = buffers_[static_cast<size_t>(collector)];
    size_t before = buffer.size();
    Bgp4mpSession session = Session(p);
    static const std::string kNoAttributes;
    static const std::vector<std::pair<uint32_t, int>> kNone;
    size_t per_update = MaxPrefixesPerUpdate(0);
    for (size_t i = 0; i < withdrawn.size(); i += per_update) {
      part_.assign(withdrawn.begin() + static_cast<long>(i),
                   withdrawn.begin() + static_cast<long>(std::min(withdrawn.size(), i + per_update)));
      AppendUpdate(buffer, t, session, part_, kNoAttributes, kNone);
    }
    // Prefixes of one unit share their attributes: one UPDATE per unit and path variant.
    for (size_t i = 0; i < announce.size();) {
      const Prefix& first = world_.prefixes[static_cast<size_t>(announce[i])];
      int variant = Variant(p, announce[i]);
      std::vector<std::pair<uint32_t, int>>& nlri = part_;
      nlri.clear();
      size_t j = i;
      while (j < announce.size() && world_.prefixes[static_cast<size_t>(announce[j])].unit == first.unit &&
             Variant(p, announce[j]) == variant && nlri.size() < 500) {
        const Prefix& pre = world_.prefixes[static_cast<size_t>(announce[j])];
        nlri.emplace_back(pre.addr, pre.len);
        ++j;
      }
      AppendUpdate(buffer, t, session, kNone, Attributes(p, first.unit, variant), nlri);
      i = j;
    }
    Emit(collector, t, before);
  }

  void Apply(const Action& a) {
    std::vector<int> touched;
    switch (a.type) {
      case ActionType::kEventEdge: {
        for (int u : events_[static_cast<size_t>(a.target)].units) {
          withdrawn_[static_cast<size_t>(a.peer)][static_cast<size_t>(u)] += a.delta;
          const Unit& unit = world_.units[static_cast<size_t>(u)];
          for (int i = 0; i < unit.prefix_count; ++i) touched.push_back(unit.first_prefix + i);
        }
        Sync(a.peer, a.t, touched);
        break;
      }
      case ActionType::kFlapEdge:
        flaps_[FlapKey(a.peer, a.target)] += a.delta;
        touched.push_back(a.target);
        Sync(a.peer, a.t, touched);
        break;
      case ActionType::kChurn: {
        uint8_t& route = Route(a.peer, a.target);
        if (!(route & kAnnounced)) break;
        route ^= kVariant;
        static const std::vector<std::pair<uint32_t, int>> kNone;
        one_.assign(1, a.target);
        EmitChanges(a.peer, a.t, kNone, one_);
        break;
      }
      case ActionType::kPeerDown: {
        if (!peer_up_[static_cast<size_t>(a.peer)]) break;
        peer_up_[static_cast<size_t>(a.peer)] = false;
        for (size_t i = 0; i < world_.prefixes.size(); ++i) Route(a.peer, static_cast<int>(i)) &= ~kAnnounced;
        int collector = world_.peers[static_cast<size_t>(a.peer)].collector;
        size_t before = buffers_[static_cast<size_t>(collector)].size();
        AppendStateChange(buffers_[static_cast<size_t>(collector)], a.t, Session(a.peer), kEstablished, kIdle);
        Emit(collector, a.t, before);
        break;
      }
      case ActionType::kPeerUp: {
        if (peer_up_[static_cast<size_t>(a.peer)]) break;
        peer_up_[static_cast<size_t>(a.peer)] = true;
        int collector = world_.peers[static_cast<size_t>(a.peer)].collector;
        std::string& buffer = buffers_[static_cast<size_t>(collector)];
        size_t before = buffer.size();
        Bgp4mpSession session = Session(a.peer);
        AppendStateChange(buffer, a.t, session, kIdle, kConnect);
        AppendStateChange(buffer, a.t, session, kConnect, kOpenSent);
        AppendStateChange(buffer, a.t, session, kOpenSent, kOpenConfirm);
        AppendStateChange(buffer, a.t, session, kOpenConfirm, kEstablished);
        Emit(collector, a.t, before);
        touched.resize(world_.prefixes.size());
        for (size_t i = 0; i < touched.size(); ++i) touched[i] = static_cast<int>(i);
        Sync(a.peer, a.t + 2, touched);  // the whole table again
        break;
      }
    }
  }

  int Level() const {
    if (options_.compression == Compression::kZstd) return options_.zstd_level;
    return options_.full_table ? 1 : 6;
  }

  // Prefix indices in address order. Scenario and background prefixes are each already sorted, so this is
  // mostly a merge.
  std::vector<int> PrefixesInAddressOrder() const {
    std::vector<int> order(world_.prefixes.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    auto before = [&](int x, int y) {
      const Prefix& a = world_.prefixes[static_cast<size_t>(x)];
      const Prefix& b = world_.prefixes[static_cast<size_t>(y)];
      return a.addr != b.addr ? a.addr < b.addr : a.len < b.len;
    };
    size_t split = static_cast<size_t>(world_.scenario_units) < world_.units.size()
                       ? static_cast<size_t>(world_.units[static_cast<size_t>(world_.scenario_units)].first_prefix)
                       : order.size();
    auto middle = order.begin() + static_cast<long>(split);
    if (std::is_sorted(order.begin(), middle, before) && std::is_sorted(middle, order.end(), before)) {
      std::inplace_merge(order.begin(), middle, order.end(), before);
    } else {
      std::sort(order.begin(), order.end(), before);
    }
    return order;
  }

  Status WriteRibs(const fs::path& outdir, SimSummary& summary) {
    const std::vector<int> order = PrefixesInAddressOrder();
    UnixSeconds t = scenario_.start;
    uint32_t as_path[World::kMaxAsPath] = {};
    for (const CollectorInfo& collector : world_.collectors) {
      fs::path path =
          outdir / "mrt" / collector.name / ("bview." + FileStamp(t) + CompressionSuffix(options_.compression));
      VIGIL_RETURN_IF_ERROR(WriteRib(collector, order, t, path, as_path, summary));
      ++summary.mrt_files;
    }
    return Status::Ok();
  }

  // What a RIB entry needs of its peer, gathered once: the AS path seed, and the attributes after the AS
  // path (NEXT_HOP, MED, COMMUNITY), which are the same for every prefix but for the MED value.
  struct RibPeerContext {
    int p = 0;
    uint32_t asn = 0;
    uint64_t path_key = 0;
    UnixSeconds session_age = 0;  // most routes are this old
    char tail[24] = {};
    uint8_t tail_len = 0;
    uint8_t med_at = 0;  // offset of the MED value in `tail`; 0: none
  };

  std::vector<RibPeerContext> RibPeerContexts(const CollectorInfo& collector) const {
    std::vector<RibPeerContext> context(collector.peers.size());
    for (size_t k = 0; k < context.size(); ++k) {
      RibPeerContext& c = context[k];
      const Peer& peer = world_.peers[static_cast<size_t>(collector.peers[k])];
      c.p = collector.peers[k];
      c.asn = peer.asn;
      c.path_key = world_.PathKey(peer);
      c.session_age = static_cast<UnixSeconds>(Mix64(static_cast<uint64_t>(c.p), 99) % (90 * 86400));
      // The tail as StoreAttributes writes it: encode attributes with an empty path and keep what follows
      // the AS_PATH attribute (ORIGIN 4 bytes, AS_PATH header 3, segment header 2).
      PathAttributes attrs;
      attrs.next_hop = peer.ip;
      attrs.community = peer.community;
      attrs.has_med = peer.index % 3 == 1;
      std::string encoded;
      AppendAttributes(encoded, attrs);
      c.tail_len = static_cast<uint8_t>(encoded.size() - 9);
      std::memcpy(c.tail, encoded.data() + 9, c.tail_len);
      c.med_at = attrs.has_med ? 7 + 3 : 0;  // after NEXT_HOP (7 bytes) and the MED's own header (3)
    }
    return context;
  }

  // The entries of one prefix of `unit` at `at`, one per peer that announces it (`routes`: the prefix's row
  // of route_); returns their end and counts them in `count`. `as_path` is room for World::kMaxAsPath hops.
  static char* AppendRibEntries(char* at, const uint8_t* routes, const std::vector<RibPeerContext>& context,
                                const UnitPath& unit_path, int unit, UnixSeconds t, uint32_t* as_path,
                                uint16_t& count) {
    count = 0;
    for (size_t k = 0; k < context.size(); ++k) {
      const RibPeerContext& c = context[k];
      if (!(routes[c.p] & kAnnounced)) continue;
      int len = World::AsPathFrom(c.path_key, c.asn, unit_path, 0, as_path);
      // Most routes were learned when the session came up; the rest changed since. Same hash as the MED.
      uint64_t h = Mix64(static_cast<uint64_t>(c.p), static_cast<uint64_t>(unit));
      UnixSeconds learned = (h & 7) < 6 ? c.session_age : static_cast<UnixSeconds>((h >> 8) % (30 * 86400));
      // RIB entry (RFC 6396 4.3.4) and its attributes exactly as StoreAttributes encodes them: ORIGIN IGP,
      // AS_PATH of one AS_SEQUENCE (4-byte ASNs; never over 255 bytes here), then the peer's tail.
      char* e = at;
      StoreBigEndian16(e, static_cast<uint32_t>(k));
      StoreBigEndian32(e + 2, static_cast<uint32_t>(t - 3600 - learned));
      char* a = e + 8;
      static constexpr char kOriginAndPathHeader[] = {0x40, 1, 1, 0, 0x40, 2};
      std::memcpy(a, kOriginAndPathHeader, 6);
      a[6] = static_cast<char>(2 + 4 * len);
      a[7] = 2;
      a[8] = static_cast<char>(len);
      a += 9;
      for (int i = 0; i < World::kMaxAsPath; ++i) StoreBigEndian32(a + 4 * i, as_path[i]);  // the rest is overwritten
      a += 4 * len;
      std::memcpy(a, c.tail, sizeof c.tail);
      if (c.med_at) StoreBigEndian32(a + c.med_at, static_cast<uint32_t>(h % 200));
      a += c.tail_len;
      StoreBigEndian16(e + 6, static_cast<uint32_t>(a - e - 8));
      at = a;
      ++count;
    }
    return at;
  }

  // Whether the collector's peers announce two prefixes (rows of route_) alike.
  static bool AnnouncedAlike(const uint8_t* routes, const uint8_t* other, const CollectorInfo& collector) {
    for (int p : collector.peers) {
      if ((routes[p] & kAnnounced) != (other[p] & kAnnounced)) return false;
    }
    return true;
  }

  // Prefixes, their rows of route_ and their units are read in address order, but that is one touch of a
  // cache line every few microseconds: the hardware prefetcher does not keep them cached.
  void PrefetchRibRows(const std::vector<int>& order, size_t i) const {
    const size_t all_peers = world_.peers.size();
    if (i + 8 < order.size()) {
      size_t ahead = static_cast<size_t>(order[i + 8]);
      __builtin_prefetch(&world_.prefixes[ahead]);
      __builtin_prefetch(&route_[ahead * all_peers]);
    }
    if (i + 4 < order.size()) {
      __builtin_prefetch(&world_.units[static_cast<size_t>(world_.prefixes[static_cast<size_t>(order[i + 4])].unit)]);
    }
  }

  // One collector's TABLE_DUMP_V2 RIB at time t: its PEER_INDEX_TABLE, then one record per prefix (in `order`)
  // that one of its peers announces.
  Status WriteRib(const CollectorInfo& collector, const std::vector<int>& order, UnixSeconds t, const fs::path& path,
                  uint32_t* as_path, SimSummary& summary) {
    const size_t all_peers = world_.peers.size();
    const size_t n = collector.peers.size();
    const bool direct = options_.direct_io && options_.compression == Compression::kNone;
    CompressedFileWriter writer;
    VIGIL_RETURN_IF_ERROR(writer.Open(path.string(), options_.compression, Level(), direct));
    std::string header;
    std::vector<MrtPeerEntry> entries;
    for (int p : collector.peers) {
      const Peer& peer = world_.peers[static_cast<size_t>(p)];
      entries.push_back({peer.bgp_id, peer.ip, peer.asn});
    }
    AppendPeerIndexTable(header, t, collector.bgp_id, "", entries);
    const std::vector<RibPeerContext> context = RibPeerContexts(collector);
    // Output goes out in chunks of exactly kChunk bytes from an aligned buffer, what direct I/O needs;
    // the part of the last record past the chunk moves to the front for the next one. Buffered writes use
    // chunks that stay in the L2 cache until the kernel copies them (4 MB chunks made that copy several
    // times slower); direct I/O, where the device reads the buffer, wants few large requests.
    const size_t kChunk = direct ? (4 << 20) : (256 << 10);
    const size_t capacity = kChunk + header.size() + RibRecordWriter::MaxRibRecordBytes(n, World::kMaxAsPath);
    // In huge pages where the kernel allows: direct I/O pins the buffer's pages for every write.
    HugePageBuffer buffer(capacity);
    if (!buffer.get()) return Status::ResourceExhausted("out of memory");
    char* at = buffer.get();
    char* const chunk_end = buffer.get() + kChunk;
    std::memcpy(at, header.data(), header.size());
    at += header.size();
    // Writes the buffer's first `out` bytes and moves the rest to its front.
    auto write_out = [&](size_t out) -> Status {
      size_t used = static_cast<size_t>(at - buffer.get());
      summary.mrt_bytes += static_cast<int64_t>(out);
      VIGIL_RETURN_IF_ERROR(writer.Write(buffer.get(), out));
      std::memmove(buffer.get(), buffer.get() + out, used - out);
      at = buffer.get() + (used - out);
      return Status::Ok();
    };
    // Attributes are encoded straight into the output per entry. Caching encoded attributes per (origin,
    // peer) was slower: ~80 MB of them for a full table, and a cache miss for every rarely seen origin.
    uint32_t sequence = 0;
    RibRecordWriter rib;
    // Everything in an entry depends on the peer and the prefix's unit only, so a more-specific right
    // after its covering prefix (same unit, same peers) repeats the previous record's entries.
    int last_unit = -1;
    const char* last_entries = nullptr;  // in `buffer`, until the next flush
    size_t last_entries_size = 0;
    int last_prefix = -1;
    uint16_t last_entries_count = 0;
    UnitPath unit_path;
    for (size_t i = 0; i < order.size(); ++i) {
      PrefetchRibRows(order, i);
      const int prefix = order[i];
      const Prefix& pre = world_.prefixes[static_cast<size_t>(prefix)];
      const uint8_t* routes = &route_[static_cast<size_t>(prefix) * all_peers];
      bool any = false;
      for (size_t k = 0; k < n && !any; ++k) any = routes[collector.peers[k]] & kAnnounced;
      if (!any) continue;
      at = rib.Begin(at, t, sequence++, pre.addr, pre.len);
      const bool same = pre.unit == last_unit && last_entries &&
                        AnnouncedAlike(routes, &route_[static_cast<size_t>(last_prefix) * all_peers], collector);
      char* entries = at;
      if (same) {
        std::memcpy(at, last_entries, last_entries_size);  // the previous record, before `at`
        at = rib.AddCopiedEntries(at, last_entries_size, last_entries_count);
      } else {
        if (pre.unit != last_unit) unit_path = world_.PathOf(pre.unit);
        at = AppendRibEntries(at, routes, context, unit_path, pre.unit, t, as_path, last_entries_count);
        at = rib.AddCopiedEntries(at, 0, last_entries_count);
      }
      summary.rib_entries += last_entries_count;
      last_unit = pre.unit;
      last_prefix = prefix;
      last_entries = entries;
      last_entries_size = static_cast<size_t>(at - entries);
      at = rib.Finish(at);
      ++summary.rib_records;
      if (at >= chunk_end) {
        VIGIL_RETURN_IF_ERROR(write_out(std::min(static_cast<size_t>(at - buffer.get()), kChunk)));
        last_entries = nullptr;
      }
    }
    VIGIL_RETURN_IF_ERROR(write_out(static_cast<size_t>(at - buffer.get())));
    return writer.Close();
  }

  Status WriteUpdates(const fs::path& outdir, SimSummary& summary) {
    for (size_t c = 0; c < world_.collectors.size(); ++c) {
      auto& refs = refs_[c];
      std::stable_sort(refs.begin(), refs.end(), [](const RecordRef& a, const RecordRef& b) { return a.t < b.t; });
      size_t next = 0;
      for (UnixSeconds w = BinStart(scenario_.start, kUpdateFileSeconds); w < scenario_.end; w += kUpdateFileSeconds) {
        // A file window wholly inside a collector gap: no file, except an empty first and last one (a
        // collector that stops writing records).
        bool in_gap = false, gap_edge = false;
        for (const auto& g : scenario_.noise.collector_gaps) {
          if (g.collector != world_.collectors[c].name) continue;
          if (w >= g.start && w + kUpdateFileSeconds <= g.end) {
            in_gap = true;
            gap_edge = BinStart(g.start + kUpdateFileSeconds - 1, kUpdateFileSeconds) == w ||
                       BinStart(g.end, kUpdateFileSeconds) - kUpdateFileSeconds == w;
          }
        }
        size_t first = next;
        while (next < refs.size() && refs[next].t < w + kUpdateFileSeconds) ++next;
        if (in_gap && !gap_edge) continue;
        CompressedFileWriter writer;
        fs::path path = outdir / "mrt" / world_.collectors[c].name /
                        ("updates." + FileStamp(w) + CompressionSuffix(options_.compression));
        VIGIL_RETURN_IF_ERROR(writer.Open(path.string(), options_.compression, Level()));
        std::string out;
        for (size_t i = first; i < next; ++i) {
          out.append(buffers_[c], refs[i].offset, refs[i].length);
          ++summary.update_records;
        }
        summary.mrt_bytes += static_cast<int64_t>(out.size());
        VIGIL_RETURN_IF_ERROR(writer.Write(out));
        VIGIL_RETURN_IF_ERROR(writer.Close());
        ++summary.mrt_files;
      }
    }
    return Status::Ok();
  }

  const Scenario& scenario_;
  const World& world_;
  const std::vector<ResolvedEvent>& events_;
  const SimOptions& options_;
  // Per (prefix, peer), prefix-major (a RIB record visits every peer of one prefix): kAnnounced, kVariant.
  std::unique_ptr<HugePageBuffer> route_memory_;
  uint8_t* route_ = nullptr;
  std::vector<std::vector<int16_t>> withdrawn_;
  std::unordered_map<uint64_t, int> flaps_;
  std::vector<bool> peer_up_;
  std::vector<int64_t> carried_;
  std::vector<Action> actions_;
  std::vector<std::string> buffers_;
  std::vector<std::pair<uint32_t, int>> part_;  // scratch for EmitChanges
  std::vector<int> one_;                        // scratch for churn
  std::vector<std::vector<RecordRef>> refs_;
  std::string attributes_;
};

// ----- probing ------------------------------------------------------------------------------------------

Status WriteProbeRounds(const Scenario& scenario, const World& world, const std::vector<ResolvedEvent>& events,
                        const fs::path& dir, SimSummary& summary) {
  fs::create_directories(dir);
  std::vector<int> probed;
  for (size_t b = 0; b < world.blocks.size(); ++b) {
    if (world.blocks[b].probed) probed.push_back(static_cast<int>(b));
  }
  summary.probed_blocks = static_cast<int64_t>(probed.size());
  std::vector<TimeZone> zones;
  for (const auto& r : world.regions) {
    auto zone = TimeZone::Load(r.spec.tz);
    if (!zone.ok()) return zone.status();
    zones.push_back(std::move(*zone));
  }
  Rng rng = Rng(scenario.seed).Fork("probing");
  std::vector<double> belief(world.blocks.size(), 0.99);
  std::vector<uint8_t> unreachable(world.blocks.size());
  std::vector<float> throttle_rtt(world.blocks.size()), throttle_loss(world.blocks.size());
  const int64_t round = scenario.round_s;
  const double loss = scenario.noise.probe_loss;
  const CalibratedNoise& calibrated = scenario.noise.calibrated;
  Rng jitter_rng = Rng(scenario.seed).Fork("calibrated-rtt");
  std::string text;
  for (UnixSeconds t = BinStart(scenario.start + round - 1, round); t + round <= scenario.end; t += round) {
    bool gap = false;
    for (const auto& g : scenario.noise.probe_gaps) gap = gap || (t + round > g.start && t < g.end);
    if (gap) continue;
    UnixSeconds mid = t + round / 2;
    std::fill(unreachable.begin(), unreachable.end(), 0);
    std::fill(throttle_rtt.begin(), throttle_rtt.end(), 0.0f);
    std::fill(throttle_loss.begin(), throttle_loss.end(), 0.0f);
    bool vantage_down = false;  // the prober's own network: nothing answers
    for (const auto& v : calibrated.vantage_outages) vantage_down = vantage_down || (v.start <= mid && mid < v.end);
    for (const ResolvedEvent& ev : events) {
      bool active = false;
      double ramp = 1.0;  // throttles with ramp_s rise and fall linearly
      for (const auto& w : ev.windows) {
        if (!(w.start <= mid && mid < w.end)) continue;
        active = true;
        if (ev.spec->ramp_s > 0) {
          ramp = std::min({1.0, static_cast<double>(mid - w.start) / static_cast<double>(ev.spec->ramp_s),
                           static_cast<double>(w.end - mid) / static_cast<double>(ev.spec->ramp_s)});
        }
      }
      if (!active) continue;
      for (int b : ev.blocks) {
        if (ev.spec->kind == EventKind::kThrottle) {
          const double base = world.blocks[static_cast<size_t>(b)].base_rtt_ms;
          const double rtt = ev.spec->rtt_ms > 0 ? base + (ev.spec->rtt_ms - base) * ramp : 0;
          throttle_rtt[static_cast<size_t>(b)] =
              std::max(throttle_rtt[static_cast<size_t>(b)], static_cast<float>(rtt));
          throttle_loss[static_cast<size_t>(b)] =
              std::max(throttle_loss[static_cast<size_t>(b)], static_cast<float>(ev.spec->loss * ramp));
        } else {
          unreachable[static_cast<size_t>(b)] = 1;
        }
      }
    }
    std::vector<double> local_hour(world.regions.size());
    for (size_t r = 0; r < zones.size(); ++r) {
      const int64_t offset = zones[r].OffsetAt(mid);
      local_hour[r] = static_cast<double>(((mid + offset) % 86400 + 86400) % 86400) / 3600.0;
    }
    text.clear();
    text += "#vigil-probe-round v1 start=" + std::to_string(t) + " round_s=" + std::to_string(round) + " prober=sim\n";
    char line[256];
    for (int b : probed) {
      const Block& block = world.blocks[static_cast<size_t>(b)];
      double hour = local_hour[static_cast<size_t>(block.region)];
      // Home networks answer less at night: responsiveness peaks mid-afternoon local time.
      double availability = std::clamp(
          block.availability * (1.0 + block.diurnal_amp * std::cos(2 * M_PI * (hour - 15.0) / 24.0)), 0.05, 0.995);
      const double rate_limited =
          calibrated.asn_rate_limit_loss.empty() ? 0.0 : calibrated.asn_rate_limit_loss[static_cast<size_t>(block.asn)];
      double p_reply =
          unreachable[static_cast<size_t>(b)] || vantage_down
              ? 0.0
              : availability * (1 - loss) * (1 - throttle_loss[static_cast<size_t>(b)]) * (1 - rate_limited);
      const double evening = calibrated.region_evening_amp.empty()
                                 ? 0.12
                                 : calibrated.region_evening_amp[static_cast<size_t>(block.region)];
      double base_rtt = block.base_rtt_ms * (1.0 + evening * std::max(0.0, std::cos(2 * M_PI * (hour - 21.0) / 24.0)));
      if (throttle_rtt[static_cast<size_t>(b)] > base_rtt) base_rtt = throttle_rtt[static_cast<size_t>(b)];
      int sent = 0, replies = 0;
      std::string rtts;
      auto probe = [&] {
        ++sent;
        if (!rng.Chance(p_reply)) return false;
        ++replies;
        char value[32];
        double rtt = base_rtt * rng.Uniform(0.88, 1.18);
        if (calibrated.rtt_jitter_sigma > 0) {  // log-normal jitter and queueing spikes (own stream)
          double u1 = std::max(1e-12, jitter_rng.Uniform()), u2 = jitter_rng.Uniform();
          rtt *= std::exp(calibrated.rtt_jitter_sigma * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2));
          if (jitter_rng.Chance(calibrated.rtt_spike_share)) rtt *= jitter_rng.Uniform(1.5, 3.0);
        }
        std::snprintf(value, sizeof value, "%s%.1f", rtts.empty() ? "" : ",", rtt);
        rtts += value;
        return true;
      };
      for (int i = 0; i < 3; ++i) probe();
      while (replies == 0 && sent < 15) probe();  // adaptive: keep asking until a reply or the budget ends
      double& b_prev = belief[static_cast<size_t>(b)];
      if (replies > 0) {
        b_prev = 0.99;
      } else {
        double miss = std::pow(1.0 - availability * (1 - loss), sent);
        b_prev = std::clamp(b_prev * miss / (b_prev * miss + (1 - b_prev)), 0.001, 0.99);
      }
      const char* state = b_prev >= 0.9 ? "up" : b_prev <= 0.1 ? "down" : "unknown";
      uint32_t addr = block.net << 8;
      std::snprintf(line, sizeof line, "%u.%u.%u.0/24\t%s\t%.3f\t%d\t%d\t%s\n", addr >> 24, (addr >> 16) & 255,
                    (addr >> 8) & 255, state, b_prev, sent, replies, rtts.empty() ? "-" : rtts.c_str());
      text += line;
    }
    VIGIL_RETURN_IF_ERROR(WriteText(dir / ("probe-round." + FileStamp(t) + ".tsv"), text));
    ++summary.probe_files;
  }
  return Status::Ok();
}

// ----- geo, truth, annotations, config ------------------------------------------------------------------

Status WriteGeo(const World& world, const fs::path& dir) {
  fs::create_directories(dir);
  std::string geo, asn;
  char line[512];
  for (size_t i = 0; i < world.blocks.size();) {
    size_t j = i + 1;
    while (j < world.blocks.size() && world.blocks[j].net == world.blocks[j - 1].net + 1 &&
           world.blocks[j].region == world.blocks[i].region && world.blocks[j].asn == world.blocks[i].asn) {
      ++j;
    }
    std::string first = FormatIpv4(world.blocks[i].net << 8);
    std::string last = FormatIpv4((world.blocks[j - 1].net << 8) | 255);
    const RegionInfo& region = world.regions[static_cast<size_t>(world.blocks[i].region)];
    const AsnInfo& holder = world.asns[static_cast<size_t>(world.blocks[i].asn)];
    std::snprintf(line, sizeof line, "%s,%s,%s,%s,,%s,,%.4f,%.4f,%s\n", first.c_str(), last.c_str(),
                  region.spec.country.c_str(), region.spec.code.c_str(), CsvField(region.spec.name).c_str(),
                  region.spec.lat, region.spec.lon, region.spec.tz.c_str());
    geo += line;
    std::snprintf(line, sizeof line, "%s,%s,%u,%s\n", first.c_str(), last.c_str(), holder.asn,
                  CsvField(holder.name).c_str());
    asn += line;
    i = j;
  }
  VIGIL_RETURN_IF_ERROR(WriteText(dir / "geo-ipv4.csv", geo));
  return WriteText(dir / "asn-ipv4.csv", asn);
}

Status WriteTruth(const Scenario& scenario, const std::vector<TruthEvent>& truth, const LevelShifts& shifts,
                  const fs::path& path) {
  OrderedJson root;
  root["scenario"] = scenario.name;
  root["start"] = FormatRfc3339(scenario.start);
  root["end"] = FormatRfc3339(scenario.end);
  OrderedJson events = OrderedJson::array();
  for (const TruthEvent& t : truth) {
    OrderedJson e;
    e["id"] = t.id;
    e["entity"] = t.entity;
    e["kind"] = t.kind;
    e["share"] = t.share;
    e["implied"] = t.implied;
    e["start"] = FormatRfc3339(t.start);
    e["end"] = FormatRfc3339(t.end);
    events.push_back(e);
  }
  root["events"] = events;
  OrderedJson schedules = OrderedJson::array();
  for (const EventSpec& e : scenario.events) {
    if (!e.daily) continue;
    schedules.push_back({{"id", e.id},
                         {"entity", e.entity.Text()},
                         {"on_from", e.daily->on_from},
                         {"on_to", e.daily->on_to},
                         {"tz", e.daily->tz},
                         {"first_day", e.first_day},
                         {"last_day", e.last_day}});
  }
  root["schedules"] = schedules;
  OrderedJson gaps = OrderedJson::array();
  for (const auto& g : scenario.noise.collector_gaps) {
    gaps.push_back({{"collector", g.collector}, {"start", FormatRfc3339(g.start)}, {"end", FormatRfc3339(g.end)}});
  }
  root["collector_gaps"] = gaps;
  OrderedJson probe_gaps = OrderedJson::array();
  for (const auto& g : scenario.noise.probe_gaps) {
    probe_gaps.push_back({{"start", FormatRfc3339(g.start)}, {"end", FormatRfc3339(g.end)}});
  }
  root["probe_gaps"] = probe_gaps;
  if (scenario.noise.profile == "calibrated") {  // what the noise did, for the evaluation (never an outage)
    OrderedJson noise;
    noise["profile"] = scenario.noise.profile;
    noise["scale"] = scenario.noise.scale;
    OrderedJson vantage = OrderedJson::array();
    for (const auto& v : scenario.noise.calibrated.vantage_outages) {
      vantage.push_back({{"start", FormatRfc3339(v.start)}, {"end", FormatRfc3339(v.end)}});
    }
    noise["vantage_outages"] = vantage;
    OrderedJson level = OrderedJson::array();
    for (size_t i = 0; i < shifts.events.size(); ++i) {
      level.push_back({{"entity", shifts.events[i].spec->entity.Text()},
                       {"share", shifts.shares[i]},
                       {"at", FormatRfc3339(shifts.events[i].windows.front().start)}});
    }
    noise["level_shifts"] = level;
    noise["peer_resets"] = scenario.noise.peer_resets.size();
    root["noise"] = noise;
  }
  return WriteText(path, root.dump(2) + "\n");
}

Status WriteAnnotations(const Scenario& scenario, const fs::path& path) {
  OrderedJson list = OrderedJson::array();
  for (const auto& a : scenario.annotations) {
    list.push_back({{"entity", a.entity.Text()},
                    {"kind", a.kind},
                    {"start", FormatRfc3339(a.start)},
                    {"end", FormatRfc3339(a.end)},
                    {"text", a.text},
                    {"source_url", a.source_url}});
  }
  return WriteText(path, list.dump(2) + "\n");
}

}  // namespace

namespace {

// A provenance.json in OUTDIR and in every folder below it: whatever file or folder of the output is given to
// an ingest command, the manifest beside each file says it is simulated (ingest reads it from the file's own
// folder only, never from a parent: docs/simulator.md "Provenance").
Status WriteProvenanceManifests(const Scenario& scenario, const fs::path& outdir) {
  OrderedJson manifest;
  manifest["provenance"] = "simulated";
  manifest["scenario"] = scenario.name;
  manifest["seed"] = scenario.seed;
  manifest["vigil_version"] = kVigilVersion;
  manifest["note"] = "Simulated scenario '" + scenario.name + "', built from public reporting, not a measurement";
  if (!scenario.description.empty()) manifest["description"] = scenario.description;
  const std::string text = manifest.dump(2) + "\n";
  std::vector<fs::path> folders = {outdir};
  std::error_code ec;
  for (fs::recursive_directory_iterator it(outdir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) folders.push_back(it->path());
  }
  if (ec) return Status::IOError(outdir.string() + ": listing folders for provenance.json: " + ec.message());
  for (const fs::path& folder : folders) VIGIL_RETURN_IF_ERROR(WriteText(folder / "provenance.json", text));
  return Status::Ok();
}

}  // namespace

Result<SimSummary> RunSimulation(const Scenario& written, const std::string& outdir_text, const SimOptions& options) {
  fs::path outdir(outdir_text);
  std::error_code ec;
  fs::create_directories(outdir, ec);
  if (ec) return Status::IOError(outdir_text + ": cannot create: " + ec.message());
  auto world = World::Build(written, options.full_table);
  if (!world.ok()) return world.status().WithContext(written.name);
  int64_t scenario_prefixes = static_cast<int64_t>(world->prefixes.size());
  world->AddBackground(
      options.full_table ? options.full_table_prefixes : std::max<int64_t>(1000, 3 * scenario_prefixes), written.seed);
  auto events = ResolveEvents(written, *world);
  if (!events.ok()) return events.status();
  // The calibrated noise adds gaps, resets and level shifts to a copy of the scenario; the events keep
  // pointing at the written one (and their truth is built from them alone).
  Scenario scenario = written;
  const LevelShifts shifts = ApplyCalibratedNoise(scenario, *world);
  std::vector<ResolvedEvent> played = *events;
  played.insert(played.end(), shifts.events.begin(), shifts.events.end());
  SimSummary summary;
  summary.prefixes = static_cast<int64_t>(world->prefixes.size());
  summary.slash24s = static_cast<int64_t>(world->blocks.size());
  summary.peers = static_cast<int64_t>(world->peers.size());
  // Only what this run writes is in OUTDIR: stale files of an earlier run would be ingested too.
  for (const char* sub : {"mrt", "probe", "geo"}) fs::remove_all(outdir / sub, ec);

  VIGIL_RETURN_IF_ERROR(WriteGeo(*world, outdir / "geo"));
  auto clock_start = std::chrono::steady_clock::now();
  double cpu_start = ProcessCpuSeconds();
  BgpSimulation bgp(scenario, *world, played, options);
  VIGIL_RETURN_IF_ERROR(bgp.Run(outdir, summary));
  auto ipv6 = WriteIpv6Routes(scenario, *world, *events, outdir, options.compression);
  if (!ipv6.ok()) return ipv6.status();
  summary.mrt_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
  summary.mrt_cpu_seconds = ProcessCpuSeconds() - cpu_start;
  VIGIL_RETURN_IF_ERROR(WriteProbeRounds(scenario, *world, played, outdir / "probe", summary));
  std::vector<TruthEvent> truth = BuildTruth(written, *world, *events);
  for (TruthEvent& t : Ipv6Truth(written, *world, *events)) truth.push_back(std::move(t));
  summary.truth_events = static_cast<int64_t>(truth.size());
  VIGIL_RETURN_IF_ERROR(WriteTruth(scenario, truth, shifts, outdir / "truth.json"));
  VIGIL_RETURN_IF_ERROR(WriteAnnotations(scenario, outdir / "annotations.json"));

  // Full-feed peers carry every prefix; partial ones at most half. The threshold sits between, low enough
  // that a full-feed peer stays "full" while a national outage takes a country's prefixes away.
  summary.full_feed_min_prefixes = static_cast<int64_t>(0.65 * static_cast<double>(bgp.FullFeedPrefixes()));
  OrderedJson config;
  config["scenario"] = scenario.name;
  config["seed"] = scenario.seed;
  config["start"] = FormatRfc3339(scenario.start);
  config["end"] = FormatRfc3339(scenario.end);
  config["full_feed_min_prefixes"] = summary.full_feed_min_prefixes;
  if (ipv6->prefixes > 0) summary.full_feed_min_prefixes_v6 = ipv6->full_feed_min_prefixes;
  if (ipv6->prefixes > 0) config["full_feed_min_prefixes_v6"] = summary.full_feed_min_prefixes_v6;
  config["probe_round_s"] = scenario.round_s;
  OrderedJson collectors = OrderedJson::array();
  for (const auto& c : scenario.collectors) {
    collectors.push_back({{"name", c.name}, {"peers", c.peers}, {"full_feed_peers", c.full_feed_peers}});
  }
  config["collectors"] = collectors;
  config["prefixes"] = summary.prefixes;
  config["slash24s"] = summary.slash24s;
  config["probed_blocks"] = summary.probed_blocks;
  VIGIL_RETURN_IF_ERROR(WriteText(outdir / "sim-config.json", config.dump(2) + "\n"));
  VIGIL_RETURN_IF_ERROR(WriteProvenanceManifests(scenario, outdir));
  return summary;
}

}  // namespace vigil::sim
