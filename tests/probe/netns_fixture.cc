// SPDX-License-Identifier: AGPL-3.0-or-later
#include "tests/probe/netns_fixture.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <sstream>

namespace vigil::probe::testing {
namespace {

constexpr int kDelayMark = 0x76;

std::atomic<int> g_pair_counter{0};

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Pairs left behind by a test binary that died (names carry the creating pid).
void RemoveStalePairs() {
  std::string list;
  if (Shell("ip netns list 2>/dev/null", &list) != 0) return;
  std::istringstream lines(list);
  std::string line;
  while (std::getline(lines, line)) {
    std::string name = line.substr(0, line.find(' '));
    if (name.rfind("vgp", 0) != 0) continue;
    size_t x = name.find('x');
    if (x == std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::atoi(name.substr(3, x - 3).c_str()));
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) Shell("ip netns del " + name + " 2>/dev/null");
  }
}

// Holds packets routed into a TUN device for a fixed delay, then sends them on through a raw socket whose
// mark selects a routing table that reaches the far namespace over the veth.
void RunDelayLine(const std::string& ns, const std::string& tun, int delay_ms, std::atomic<bool>* stop,
                  std::promise<std::string> ready) {
  int ns_fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0 || setns(ns_fd, CLONE_NEWNET) != 0) {
    ready.set_value(std::string("setns: ") + std::strerror(errno));
    if (ns_fd >= 0) close(ns_fd);
    return;
  }
  close(ns_fd);
  int tun_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::snprintf(request.ifr_name, IFNAMSIZ, "%s", tun.c_str());
  if (tun_fd < 0 || ioctl(tun_fd, TUNSETIFF, &request) != 0) {
    ready.set_value(std::string("tun: ") + std::strerror(errno));
    if (tun_fd >= 0) close(tun_fd);
    return;
  }
  int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  int mark = kDelayMark;
  if (raw < 0 || setsockopt(raw, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
    ready.set_value(std::string("raw socket: ") + std::strerror(errno));
    close(tun_fd);
    if (raw >= 0) close(raw);
    return;
  }
  ready.set_value("");
  struct Held {
    int64_t release_ns;
    std::vector<uint8_t> bytes;
  };
  std::deque<Held> held;
  uint8_t buffer[2048];
  while (!stop->load()) {
    int64_t now = NowNs();
    while (!held.empty() && held.front().release_ns <= now) {
      const auto& p = held.front().bytes;
      if (p.size() >= 20) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        std::memcpy(&to.sin_addr.s_addr, p.data() + 16, 4);
        sendto(raw, p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      }
      held.pop_front();
    }
    int wait_ms = held.empty() ? 50 : static_cast<int>(std::max<int64_t>(0, (held.front().release_ns - now) / 1000000));
    pollfd pfd{tun_fd, POLLIN, 0};
    poll(&pfd, 1, std::min(wait_ms, 50));
    while (true) {
      ssize_t n = read(tun_fd, buffer, sizeof buffer);
      if (n <= 0) break;
      held.push_back({NowNs() + int64_t{delay_ms} * 1000000, std::vector<uint8_t>(buffer, buffer + n)});
    }
  }
  close(raw);
  close(tun_fd);
}

}  // namespace

int Shell(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + (output ? " 2>&1" : " >/dev/null 2>&1")).c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    if (output) output->append(buffer, n);
  }
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string NamespaceSupportProblem() {
  if (geteuid() != 0) return "needs root (network namespaces, veth, nftables, raw ICMP)";
  if (Shell("command -v ip") != 0) return "needs iproute2 (`ip`)";
  if (Shell("command -v nft") != 0) return "needs nftables (`nft`)";
  std::string name = "vgp" + std::to_string(getpid()) + "xprobe";
  if (Shell("ip netns add " + name) != 0) return "cannot create network namespaces here";
  Shell("ip netns del " + name);
  return "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

NamespacePair::NamespacePair() {
  RemoveStalePairs();
  std::string base = "vgp" + std::to_string(getpid()) + "x" + std::to_string(g_pair_counter++);
  near_ = base + "n";
  far_ = base + "f";
  near_link_ = base + "a";
  far_link_ = base + "b";
  tun_ = base + "t";
  const std::string setup[] = {
      "ip netns add " + near_,
      "ip netns add " + far_,
      "ip link add " + near_link_ + " type veth peer name " + far_link_,
      "ip link set " + near_link_ + " netns " + near_,
      "ip link set " + far_link_ + " netns " + far_,
      "ip -n " + near_ + " addr add 10.77.0.1/30 dev " + near_link_,
      "ip -n " + far_ + " addr add 10.77.0.2/30 dev " + far_link_,
      "ip -n " + near_ + " link set lo up",
      "ip -n " + far_ + " link set lo up",
      "ip -n " + near_ + " link set " + near_link_ + " up",
      "ip -n " + far_ + " link set " + far_link_ + " up",
      // The far side owns the whole test range: the kernel answers echo for every address in it. Both
      // ranges are special-purpose (RFC 2544 benchmarking, RFC 6598 shared space) and routed only between
      // the two namespaces this test made; together they hold 1,536 /24s.
      "ip -n " + far_ + " route add local 198.18.0.0/15 dev lo",
      "ip -n " + near_ + " route add 198.18.0.0/15 via 10.77.0.2",
      "ip -n " + far_ + " route add local 100.64.0.0/14 dev lo",
      "ip -n " + near_ + " route add 100.64.0.0/14 via 10.77.0.2",
      // Echo replies at high rates must not be rate limited by the far kernel.
      "ip netns exec " + far_ + " sysctl -qw net.ipv4.icmp_ratelimit=0",
      "ip netns exec " + far_ + " sysctl -qw net.ipv4.icmp_msgs_per_sec=100000000",
      "ip netns exec " + near_ + " sysctl -qw net.ipv4.conf.all.rp_filter=0",
      "ip netns exec " + near_ + " sysctl -qw net.ipv4.ping_group_range='0 2147483647'",
  };
  for (const auto& command : setup) {
    std::string output;
    if (Shell(command, &output) != 0) {
      error_ = command + ": " + output;
      return;
    }
  }
  std::string rules =
      "table inet vigiltest {\n"
      "  set dropped { type ipv4_addr; flags interval; }\n"
      "  counter echos { }\n"
      "  chain input {\n"
      "    type filter hook input priority 0; policy accept;\n"
      "    icmp type echo-request counter name echos\n"
      "    ip daddr @dropped drop\n"
      "  }\n"
      "}\n";
  std::string output;
  if (Shell("printf '%s' '" + rules + "' | ip netns exec " + far_ + " nft -f -", &output) != 0) {
    error_ = "nft setup in " + far_ + ": " + output;
  }
}

NamespacePair::~NamespacePair() {
  StopDelayLine();
  // Deleting a namespace removes its veth end, and with it the peer.
  Shell("ip netns del " + near_);
  Shell("ip netns del " + far_);
}

void NamespacePair::StopDelayLine() {
  if (delay_line_.joinable()) {
    delay_stop_.store(true);
    delay_line_.join();
  }
}

int NamespacePair::InNear(const std::string& command, std::string* output) const {
  return Shell("ip netns exec " + near_ + " " + command, output);
}

int NamespacePair::InFar(const std::string& command, std::string* output) const {
  return Shell("ip netns exec " + far_ + " " + command, output);
}

uint64_t NamespacePair::EchoRequestsArrived() const {
  std::string output;
  if (InFar("nft list counter inet vigiltest echos", &output) != 0) return 0;
  size_t at = output.find("packets ");
  return at == std::string::npos ? 0 : std::strtoull(output.c_str() + at + 8, nullptr, 10);
}

bool NamespacePair::Drop(const std::string& cidr) const {
  return InFar("nft add element inet vigiltest dropped '{ " + cidr + " }'") == 0;
}

bool NamespacePair::Undrop(const std::string& cidr) const {
  return InFar("nft delete element inet vigiltest dropped '{ " + cidr + " }'") == 0;
}

std::string NamespacePair::Throttle(int delay_ms, int loss_percent) {
  std::string netem = "tc qdisc add dev " + near_link_ + " root netem delay " + std::to_string(delay_ms) + "ms loss " +
                      std::to_string(loss_percent) + "%";
  if (InNear(netem) == 0) return "netem";
  // No netem in this kernel: loss from nftables in the far namespace, delay from a TUN delay line.
  if (loss_percent > 0 && InFar("nft add rule inet vigiltest input icmp type echo-request numgen random mod 100 '<' " +
                                std::to_string(loss_percent) + " drop") != 0) {
    return "";
  }
  std::promise<std::string> ready;
  auto ready_future = ready.get_future();
  delay_stop_.store(false);
  delay_line_ = std::thread(RunDelayLine, near_, tun_, delay_ms, &delay_stop_, std::move(ready));
  if (!ready_future.get().empty()) {
    StopDelayLine();
    return "";
  }
  const std::string route[] = {
      "ip -n " + near_ + " link set " + tun_ + " up",
      "ip -n " + near_ + " route add 198.18.0.0/15 via 10.77.0.2 table 118",
      "ip -n " + near_ + " rule add fwmark " + std::to_string(kDelayMark) + " lookup 118",
      "ip -n " + near_ + " route replace 198.18.0.0/15 dev " + tun_ + " src 10.77.0.1",
  };
  for (const auto& command : route) {
    if (Shell(command) != 0) return "";
  }
  return "delay-line";
}

NamespaceProcess::NamespaceProcess(const std::string& ns, const std::vector<std::string>& argv,
                                   const std::string& stderr_path) {
  std::vector<std::string> full = {"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 2);
      dup2(fd, 1);
    }
    std::vector<char*> args;
    for (auto& a : full) args.push_back(a.data());
    args.push_back(nullptr);
    execvp("ip", args.data());
    _exit(127);
  }
}

NamespaceProcess::~NamespaceProcess() { Terminate(); }

int NamespaceProcess::Wait(double timeout_s) {
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    usleep(20000);
  }
}

void NamespaceProcess::Terminate() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  if (Wait(5) == -1 && pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait(5);
  }
}

}  // namespace vigil::probe::testing
