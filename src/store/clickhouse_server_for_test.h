// SPDX-License-Identifier: AGPL-3.0-or-later
// For tests: one private clickhouse-server on free loopback ports, with its own config and data folder in a
// temporary directory, stopped (and its folder removed) when the object goes. Used by the ClickHouse parity test
// and the store contract test.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "store/store.h"

extern char** environ;

namespace vigil::store {

// Debian installs it in /usr/sbin; other packagings in /usr/bin.
inline std::string ServerBinary() {
  for (const char* path : {"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"}) {
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// One clickhouse-server for this test process, in a temporary folder, stopped at the end.
class ClickHouseServer {
 public:
  // `name` tells the folders of two test processes apart.
  bool Start(const std::string& name, std::string* why) {
    dir_ = std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "data");
    http_port_ = FreePort();
    int tcp_port = FreePort();
    std::ofstream(dir_ / "config.xml")
        << "<?xml version=\"1.0\"?>\n<yandex>\n"
        << "  <logger><level>warning</level><log>" << (dir_ / "server.log").string() << "</log><errorlog>"
        << (dir_ / "error.log").string() << "</errorlog><console>0</console></logger>\n"
        << "  <http_port>" << http_port_ << "</http_port>\n  <tcp_port>" << tcp_port << "</tcp_port>\n"
        << "  <listen_host>127.0.0.1</listen_host>\n"
        << "  <path>" << (dir_ / "data").string() << "/</path>\n  <tmp_path>" << (dir_ / "tmp").string()
        << "/</tmp_path>\n"
        << "  <format_schema_path>" << (dir_ / "schemas").string() << "/</format_schema_path>\n"
        << "  <users_config>users.xml</users_config>\n  <default_profile>default</default_profile>\n"
        << "  <default_database>default</default_database>\n  <mark_cache_size>67108864</mark_cache_size>\n"
        << "</yandex>\n";
    std::ofstream(dir_ / "users.xml")
        << "<?xml version=\"1.0\"?>\n<yandex>\n  <profiles><default><max_memory_usage>2000000000</max_memory_usage>"
           "</default></profiles>\n  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>"
           "<profile>default</profile><quota>default</quota></default></users>\n  "
           "<quotas><default></default></quotas>\n"
           "</yandex>\n";
    std::string config = "--config-file=" + (dir_ / "config.xml").string();
    std::string server = ServerBinary();
    char* argv[] = {server.data(), config.data(), nullptr};
    posix_spawn_file_actions_t quiet;  // the server announces its log files on stdout
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
    int spawned = posix_spawn(&pid_, server.c_str(), &quiet, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (spawned != 0) {
      *why = "cannot start " + server;
      return false;
    }
    // Ready when the database can be created (up to 60 s on a loaded machine).
    for (int i = 0; i < 600; ++i) {
      auto store = OpenStore(Uri());
      if (store.ok()) return true;
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        *why = "clickhouse-server exited; see " + (dir_ / "error.log").string();
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    *why = "clickhouse-server did not answer on port " + std::to_string(http_port_);
    return false;
  }
  ~ClickHouseServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string Uri(const std::string& db = "vigil_test") const {
    return "clickhouse://127.0.0.1:" + std::to_string(http_port_) + "/" + db;
  }

 private:
  std::filesystem::path dir_;
  int http_port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace vigil::store
