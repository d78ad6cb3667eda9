// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "probe/token_bucket.h"

namespace vigil::probe {

// How probes leave the machine. Raw sockets need CAP_NET_RAW; ICMP datagram sockets need the caller's
// group inside net.ipv4.ping_group_range. kAuto tries raw first, then datagram.
enum class SocketKind { kAuto, kRaw, kDatagram };
const char* SocketKindName(SocketKind kind);  // "auto", "raw", "datagram"

// Monotonic clock, nanoseconds.
int64_t MonotonicNs();

// The highest rate limit accepted (probes/s). A limit beyond what any link here carries would be a limit
// in name only, so Open() refuses it like a missing one.
inline constexpr double kMaxProbeRate = 1e7;

struct EchoEngineOptions {
  SocketKind socket = SocketKind::kAuto;
  double rate = 0;        // probes per second; required, in (0, kMaxProbeRate]: the limit cannot be turned off
  int timeout_ms = 3000;  // trinarkular's probe timeout
  // The token bucket holds at most this much time's worth of probes, so bursts stay short; (0, 1].
  double burst_seconds = 0.1;
};

// What became of one probe.
struct ProbeOutcome {
  uint64_t user = 0;  // the caller's tag, as passed to Enqueue
  uint32_t target = 0;
  bool replied = false;
  double rtt_ms = 0;  // when replied
};

struct EchoEngineStats {
  uint64_t sent = 0;     // probes handed to the kernel (or refused by it with a routing error)
  uint64_t replies = 0;  // matched echo replies
  uint64_t timeouts = 0;
  uint64_t send_errors = 0;  // sendto failures other than backpressure
  uint64_t ignored = 0;      // packets read that matched no outstanding probe (other traffic, forgeries)
};

// One ICMP socket, one epoll loop, no thread per probe. Probes wait in a FIFO until the token bucket and
// a free slot allow them out; each outstanding probe owns a slot whose index is the ICMP sequence number
// (and, with raw sockets, a per-run random identifier marks Vigil's probes). A reply counts only when its
// sequence, source address and payload check all match the slot (see icmp.h).
class EchoEngine {
 public:
  static Result<std::unique_ptr<EchoEngine>> Open(const EchoEngineOptions& options);
  ~EchoEngine();
  EchoEngine(const EchoEngine&) = delete;
  EchoEngine& operator=(const EchoEngine&) = delete;

  SocketKind kind() const { return kind_; }
  double rate() const { return bucket_.rate(); }

  void Enqueue(uint32_t target, uint64_t user) { queue_.push_back({target, user}); }
  size_t queued() const { return queue_.size(); }
  size_t outstanding() const { return outstanding_; }
  const EchoEngineStats& stats() const { return stats_; }

  // Sends what the bucket allows, then waits until deadline_ns (monotonic) at the latest for replies and
  // timeouts, reporting each finished probe to on_outcome (which may Enqueue more). Returns early once
  // something was reported or the wait was interrupted by a signal.
  void Run(int64_t deadline_ns, const std::function<void(const ProbeOutcome&)>& on_outcome);

 private:
  struct Slot {
    uint32_t generation = 0;
    bool busy = false;
    uint32_t target = 0;
    uint64_t user = 0;
    int64_t sent_ns = 0;
  };
  struct Pending {
    uint32_t target;
    uint64_t user;
  };
  struct Expiry {
    uint32_t slot;
    uint32_t generation;
    int64_t at_ns;
  };

  EchoEngine(int fd, int epoll_fd, SocketKind kind, const EchoEngineOptions& options);
  void SendAllowed(int64_t now_ns);
  size_t Receive(int64_t now_ns, const std::function<void(const ProbeOutcome&)>& on_outcome);
  size_t Expire(int64_t now_ns, const std::function<void(const ProbeOutcome&)>& on_outcome);
  void Release(uint32_t slot);

  int fd_;
  int epoll_fd_;
  SocketKind kind_;
  int64_t timeout_ns_;
  uint16_t identifier_ = 0;
  uint64_t cookie_ = 0;
  TokenBucket bucket_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  size_t outstanding_ = 0;
  std::deque<Pending> queue_;
  std::deque<Expiry> expiries_;  // in send order; every probe has the same timeout, so also expiry order
  EchoEngineStats stats_;
};

}  // namespace vigil::probe
