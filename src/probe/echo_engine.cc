// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/echo_engine.h"

#include <arpa/inet.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "probe/icmp.h"

namespace vigil::probe {
namespace {

constexpr size_t kSlots = 65536;  // the ICMP sequence number is 16 bits
constexpr int kBatch = 64;        // packets per sendmmsg / recvmmsg call
constexpr size_t kReceiveSize = 2048;

uint64_t RandomU64() {
  uint64_t value = 0;
  if (getrandom(&value, sizeof value, 0) != sizeof value) {
    value = static_cast<uint64_t>(MonotonicNs()) * 0x9e3779b97f4a7c15ULL ^ static_cast<uint64_t>(getpid());
  }
  return value;
}

Result<int> OpenSocket(SocketKind kind) {
  int type = kind == SocketKind::kRaw ? SOCK_RAW : SOCK_DGRAM;
  int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0)
    return Status::Unavailable(std::string("socket(") + SocketKindName(kind) + " ICMP): " + std::strerror(errno));
  return fd;
}

}  // namespace

const char* SocketKindName(SocketKind kind) {
  switch (kind) {
    case SocketKind::kRaw:
      return "raw";
    case SocketKind::kDatagram:
      return "datagram";
    case SocketKind::kAuto:
      break;
  }
  return "auto";
}

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

Result<std::unique_ptr<EchoEngine>> EchoEngine::Open(const EchoEngineOptions& options) {
  // Written so that NaN fails too (every comparison with NaN is false); infinity fails the upper bound.
  if (!(options.rate > 0) || !(options.rate <= kMaxProbeRate)) {
    return Status::InvalidArgument("a rate limit is required: probes/s greater than 0 and at most " +
                                   std::to_string(static_cast<int64_t>(kMaxProbeRate)));
  }
  if (!(options.burst_seconds > 0) || !(options.burst_seconds <= 1)) {
    return Status::InvalidArgument("token bucket burst must be greater than 0 and at most 1 s of probes");
  }
  if (options.timeout_ms <= 0) return Status::InvalidArgument("timeout must be positive");
  SocketKind kind = options.socket;
  Result<int> fd = Status::Internal("no socket");
  if (kind == SocketKind::kAuto) {
    fd = OpenSocket(SocketKind::kRaw);
    kind = SocketKind::kRaw;
    if (!fd.ok()) {
      auto datagram = OpenSocket(SocketKind::kDatagram);
      if (!datagram.ok()) {
        return Status::Unavailable(fd.message() + "; " + datagram.message() +
                                   " (raw sockets need CAP_NET_RAW; datagram ICMP sockets need the group in "
                                   "net.ipv4.ping_group_range)");
      }
      fd = datagram;
      kind = SocketKind::kDatagram;
    }
  } else {
    fd = OpenSocket(kind);
    if (!fd.ok()) return fd.status();
  }
  int s = *fd;
  uint16_t identifier = static_cast<uint16_t>(RandomU64());
  if (kind == SocketKind::kRaw) {
    // Let the kernel hand us echo replies only; everything else ICMP stays out of our buffer.
    icmp_filter filter{};
    filter.data = ~(1u << ICMP_ECHOREPLY);
    setsockopt(s, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
  } else {
    // The kernel owns the identifier of a ping socket (its "port"); learn it after an implicit bind.
    sockaddr_in local{};
    local.sin_family = AF_INET;
    socklen_t length = sizeof local;
    if (bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
        getsockname(s, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
      std::string message = std::strerror(errno);
      close(s);
      return Status::Unavailable("binding the ICMP datagram socket: " + message);
    }
    identifier = ntohs(local.sin_port);
  }
  // Replies at 10k+/s arrive faster than a loaded machine may read them; a deep buffer absorbs that.
  int size = 8 << 20;
  if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  size = 4 << 20;
  if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    close(s);
    return Status::IOError(std::string("epoll_create1: ") + std::strerror(errno));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = s;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, s, &event) != 0) {
    std::string message = std::strerror(errno);
    close(s);
    close(epoll_fd);
    return Status::IOError("epoll_ctl: " + message);
  }
  auto engine = std::unique_ptr<EchoEngine>(new EchoEngine(s, epoll_fd, kind, options));
  engine->identifier_ = identifier;
  return engine;
}

EchoEngine::EchoEngine(int fd, int epoll_fd, SocketKind kind, const EchoEngineOptions& options)
    : fd_(fd),
      epoll_fd_(epoll_fd),
      kind_(kind),
      timeout_ns_(int64_t{options.timeout_ms} * 1000000),
      cookie_(RandomU64()),
      bucket_(options.rate, options.rate * options.burst_seconds, MonotonicNs()),
      slots_(kSlots) {
  free_slots_.reserve(kSlots);
  // Hand out low slots first, in random-looking generation order; generations start random so that
  // replies to an earlier run's probes never match.
  uint32_t generation = static_cast<uint32_t>(RandomU64());
  for (size_t i = kSlots; i-- > 0;) {
    free_slots_.push_back(static_cast<uint32_t>(i));
    slots_[i].generation = generation;
  }
}

EchoEngine::~EchoEngine() {
  close(epoll_fd_);
  close(fd_);
}

void EchoEngine::Release(uint32_t slot) {
  slots_[slot].busy = false;
  free_slots_.push_back(slot);
  --outstanding_;
}

void EchoEngine::SendAllowed(int64_t now_ns) {
  while (!queue_.empty() && !free_slots_.empty()) {
    int64_t allowed = bucket_.Available(now_ns);
    if (allowed <= 0) return;
    size_t n = std::min({queue_.size(), free_slots_.size(), size_t(allowed), size_t(kBatch)});
    uint8_t packets[kBatch][kEchoRequestSize];
    sockaddr_in addresses[kBatch];
    iovec iovs[kBatch];
    mmsghdr messages[kBatch];
    uint32_t used[kBatch];
    for (size_t i = 0; i < n; ++i) {
      uint32_t slot = free_slots_.back();
      free_slots_.pop_back();
      ++outstanding_;
      Slot& s = slots_[slot];
      s.generation += 1;
      s.busy = true;
      s.target = queue_[i].target;
      s.user = queue_[i].user;
      used[i] = slot;
      ProbeTag tag{slot, s.generation, s.target, cookie_};
      BuildEchoRequest(identifier_, static_cast<uint16_t>(slot), tag, std::span<uint8_t, kEchoRequestSize>(packets[i]));
      addresses[i] = sockaddr_in{};
      addresses[i].sin_family = AF_INET;
      addresses[i].sin_addr.s_addr = htonl(s.target);
      iovs[i] = iovec{packets[i], kEchoRequestSize};
      messages[i] = mmsghdr{};
      messages[i].msg_hdr.msg_name = &addresses[i];
      messages[i].msg_hdr.msg_namelen = sizeof addresses[i];
      messages[i].msg_hdr.msg_iov = &iovs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    size_t done = 0;
    bool backpressure = false;
    while (done < n) {
      int64_t stamp = MonotonicNs();
      int sent = sendmmsg(fd_, messages + done, static_cast<unsigned>(n - done), 0);
      if (sent > 0) {
        for (int i = 0; i < sent; ++i) {
          Slot& s = slots_[used[done + i]];
          s.sent_ns = stamp;
          expiries_.push_back({used[done + i], s.generation, stamp + timeout_ns_});
        }
        done += static_cast<size_t>(sent);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        backpressure = true;
        break;
      }
      // The network refused this one probe (no route, a reject rule): to Trinocular that is the same
      // as silence, so it times out like a lost probe.
      ++stats_.send_errors;
      Slot& s = slots_[used[done]];
      s.sent_ns = stamp;
      expiries_.push_back({used[done], s.generation, stamp + timeout_ns_});
      ++done;
    }
    stats_.sent += done;
    bucket_.Take(static_cast<int64_t>(done));
    // Backpressure: the unsent probes go back to the head of the queue, in order, and keep their tokens.
    for (size_t i = n; i-- > done;) Release(used[i]);
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(done));
    if (backpressure) return;
  }
}

size_t EchoEngine::Receive(int64_t now_ns, const std::function<void(const ProbeOutcome&)>& on_outcome) {
  (void)now_ns;
  size_t reported = 0;
  static thread_local uint8_t buffers[kBatch][kReceiveSize];
  while (true) {
    sockaddr_in sources[kBatch];
    iovec iovs[kBatch];
    mmsghdr messages[kBatch];
    for (int i = 0; i < kBatch; ++i) {
      iovs[i] = iovec{buffers[i], kReceiveSize};
      messages[i] = mmsghdr{};
      messages[i].msg_hdr.msg_name = &sources[i];
      messages[i].msg_hdr.msg_namelen = sizeof sources[i];
      messages[i].msg_hdr.msg_iov = &iovs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd_, messages, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return reported;
    }
    int64_t stamp = MonotonicNs();
    for (int i = 0; i < n; ++i) {
      size_t length = std::min<size_t>(messages[i].msg_len, kReceiveSize);
      if (messages[i].msg_hdr.msg_flags & MSG_TRUNC) {
        ++stats_.ignored;
        continue;
      }
      std::span<const uint8_t> bytes(buffers[i], length);
      std::optional<EchoReply> reply = kind_ == SocketKind::kRaw
                                           ? ParseRawReply(bytes)
                                           : ParseDatagramReply(bytes, ntohl(sources[i].sin_addr.s_addr));
      if (!reply || (kind_ == SocketKind::kRaw && reply->identifier != identifier_)) {
        ++stats_.ignored;
        continue;
      }
      uint32_t slot = reply->sequence;
      Slot& s = slots_[slot];
      ProbeTag expected{slot, s.generation, s.target, cookie_};
      if (!s.busy || reply->tag.slot != slot || reply->tag.generation != s.generation ||
          reply->tag.target != s.target || reply->source != s.target || reply->tag.cookie != ProbeCheck(expected)) {
        ++stats_.ignored;
        continue;
      }
      ProbeOutcome outcome{s.user, s.target, true, double(stamp - s.sent_ns) / 1e6};
      Release(slot);
      ++stats_.replies;
      ++reported;
      on_outcome(outcome);
    }
  }
}

size_t EchoEngine::Expire(int64_t now_ns, const std::function<void(const ProbeOutcome&)>& on_outcome) {
  size_t reported = 0;
  while (!expiries_.empty() && expiries_.front().at_ns <= now_ns) {
    Expiry e = expiries_.front();
    expiries_.pop_front();
    Slot& s = slots_[e.slot];
    if (!s.busy || s.generation != e.generation) continue;  // answered in time
    ProbeOutcome outcome{s.user, s.target, false, 0};
    Release(e.slot);
    ++stats_.timeouts;
    ++reported;
    on_outcome(outcome);
  }
  return reported;
}

void EchoEngine::Run(int64_t deadline_ns, const std::function<void(const ProbeOutcome&)>& on_outcome) {
  // A wake-up per burst/4 of probes rather than per probe keeps the loop cheap at high rates.
  int64_t batch = std::max<int64_t>(1, static_cast<int64_t>(bucket_.burst() / 4));
  while (true) {
    int64_t now = MonotonicNs();
    size_t reported = Receive(now, on_outcome);
    reported += Expire(now, on_outcome);
    SendAllowed(now);
    if (reported > 0) return;
    now = MonotonicNs();
    if (now >= deadline_ns) return;
    int64_t wake = deadline_ns;
    if (!expiries_.empty()) wake = std::min(wake, expiries_.front().at_ns);
    if (!queue_.empty() && !free_slots_.empty()) {
      wake = std::min(wake, bucket_.TimeWhenAvailable(std::min<int64_t>(batch, int64_t(queue_.size())), now));
    }
    int64_t wait = std::max<int64_t>(0, wake - now);
    timespec timeout{static_cast<time_t>(wait / 1000000000), static_cast<long>(wait % 1000000000)};
    epoll_event event;
    int n = epoll_pwait2(epoll_fd_, &event, 1, &timeout, nullptr);
    if (n < 0 && errno == EINTR) return;
  }
}

}  // namespace vigil::probe
