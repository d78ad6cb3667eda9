// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace vigil::probe::testing {

// Why the namespace tests cannot run here, or "" when they can (root with CAP_NET_ADMIN/CAP_NET_RAW,
// `ip`, `nft` and network namespaces available).
std::string NamespaceSupportProblem();

// Runs a shell command, returns its exit status; output goes to `output` when given.
int Shell(const std::string& command, std::string* output = nullptr);

// A pair of network namespaces joined by a veth link, made for one test and removed by the destructor
// (and, should a test binary die before that, by the next run: names carry the creating pid, and pairs
// whose pid is gone are deleted on construction).
//   near (10.77.0.1/30) --veth-- far (10.77.0.2/30)
// The far namespace answers ICMP echo for all of 198.18.0.0/15 and 100.64.0.0/14 (`ip route add local
// ... dev lo`; 512 + 1,024 /24s); the near namespace routes both ranges over the veth. Throttle() acts on
// 198.18.0.0/15 only. An nftables table in the far namespace counts every
// echo request that arrives (counter `echos`) and drops those to addresses in the set `dropped`.
class NamespacePair {
 public:
  NamespacePair();
  ~NamespacePair();
  NamespacePair(const NamespacePair&) = delete;
  NamespacePair& operator=(const NamespacePair&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& near() const { return near_; }
  const std::string& far() const { return far_; }
  const std::string& near_link() const { return near_link_; }

  int InNear(const std::string& command, std::string* output = nullptr) const;
  int InFar(const std::string& command, std::string* output = nullptr) const;

  // Echo requests that reached the far namespace (nft counter, before the drop rule).
  uint64_t EchoRequestsArrived() const;
  bool Drop(const std::string& cidr) const;
  bool Undrop(const std::string& cidr) const;
  // netem delay + loss on the near side's veth when the kernel has netem; otherwise the same effect from
  // a TUN delay line in the near namespace plus a random nftables drop in the far one. Returns the method
  // ("netem" or "delay-line"), "" on failure.
  std::string Throttle(int delay_ms, int loss_percent);

 private:
  void StopDelayLine();

  std::string error_;
  std::string near_, far_, near_link_, far_link_, tun_;
  std::atomic<bool> delay_stop_{false};
  std::thread delay_line_;
};

// A process started with `ip netns exec NS ...`, killed (SIGTERM, then SIGKILL) when destroyed.
class NamespaceProcess {
 public:
  NamespaceProcess(const std::string& ns, const std::vector<std::string>& argv, const std::string& stderr_path);
  ~NamespaceProcess();
  bool started() const { return pid_ > 0; }
  // Waits up to timeout_s; returns the exit status, or -1 on timeout (process left running).
  int Wait(double timeout_s);
  void Terminate();

 private:
  pid_t pid_ = -1;
};

// Reads a whole file ("" when absent).
std::string ReadFile(const std::string& path);

}  // namespace vigil::probe::testing
