// SPDX-License-Identifier: AGPL-3.0-or-later
// Fetching listed files into the cache: libcurl's multi interface drives up to `jobs` transfers at once over
// reused (keep-alive) connections; a small pool of threads verifies finished downloads while others run.
// Invariant: only a verified file ever has its final name. Bytes arrive in "<final>.part", which survives a
// failed try or run and is resumed with Range; verification reads it; rename(2) publishes it atomically.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "acquire/acquire.h"
#include "acquire/http.h"
#include "acquire/internal.h"
#include "acquire/text.h"

namespace vigil::acquire {

const char* FileOutcomeName(FileOutcome outcome) {
  switch (outcome) {
    case FileOutcome::kVerified:
      return "verified";
    case FileOutcome::kAlreadyCached:
      return "cached";
    case FileOutcome::kGap:
      return "gap";
    case FileOutcome::kFailed:
      return "failed";
  }
  return "failed";
}

int FetchReport::Count(FileOutcome outcome) const {
  int n = 0;
  for (const FileResult& f : files) n += f.outcome == outcome;
  return n;
}

std::string FetchReport::SummaryLine() const {
  double rate = seconds > 0 ? static_cast<double>(bytes_downloaded) / seconds : 0;
  char timing[96];
  std::snprintf(timing, sizeof timing, " in %.1f s (%s/s)", seconds, HumanBytes(rate).c_str());
  std::string line = "fetch: " + std::to_string(files.size()) +
                     " files: " + std::to_string(Count(FileOutcome::kVerified)) + " verified, " +
                     std::to_string(Count(FileOutcome::kAlreadyCached)) + " cached, " +
                     std::to_string(Count(FileOutcome::kGap)) + " gap, " + std::to_string(Count(FileOutcome::kFailed)) +
                     " failed; " + HumanBytes(static_cast<double>(bytes_downloaded)) + " downloaded" + timing;
  if (!fatal.ok()) line += "; stopped: " + fatal.message();
  return line;
}

namespace {

using Clock = std::chrono::steady_clock;

class Fetcher;

// One file's transfer state across its tries.
struct Transfer {
  size_t index = 0;  // into the request and the report
  std::string final_path;
  std::string part_path;
  int fd = -1;
  CURL* easy = nullptr;
  int tries = 0;
  int64_t resume_from = 0;  // bytes of .part kept when this try started
  int64_t received = 0;     // body bytes written in this try
  long status = 0;          // HTTP status of this try, once the headers are in
  int64_t content_length = -1;
  int64_t content_range_total = -1;
  bool body_to_file = false;  // the status of this try is 200/206: the body is the file
  std::string retry_after;
  std::string write_error;  // why the write callback refused (size limit, disk)
  bool disk_full = false;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  int64_t max_file_bytes = 0;
  Fetcher* owner = nullptr;
  bool paused = false;                                  // by the bandwidth limit
  bool in_flight = false;                               // its easy handle is in the multi handle (main thread only)
  std::chrono::steady_clock::time_point last_activity;  // last header or body byte (or start / unpause)
};

// What happens to the .part files of transfers a stop aborts.
enum class AbortedParts { kKeepForResume, kRemove };

struct VerifyOutcome {
  size_t index;
  Status status;
  bool disk_full;
};

class Fetcher {
 public:
  Fetcher(const std::vector<RemoteFile>& files, const std::string& cache_dir, const NetworkOptions& options,
          const ProgressCallback& progress)
      : files_(files), cache_dir_(cache_dir), options_(options), progress_(progress), random_(std::random_device{}()) {}

  FetchReport Run();

 private:
  void StartTry(Transfer& t);
  void FinishTry(Transfer& t, CURLcode code);
  void ScheduleRetry(Transfer& t, const std::string& why, double wait);
  void Complete(size_t index, FileOutcome outcome, const std::string& reason);
  void CloseFile(Transfer& t);
  void StopAll(const Status& why, AbortedParts parts);
  void VerifyLoop();
  void CollectVerified();
  void ReportProgress(bool final);
  void RefillBandwidth();
  void EndStalledTransfers();
  // The shared bandwidth budget (--bandwidth): a token bucket over all transfers, in bytes.
  bool limited_ = false;
  double tokens_ = 0;
  double bucket_ = 0;
  Clock::time_point refilled_;

  static size_t OnHeader(char* data, size_t size, size_t count, void* user);
  static size_t OnBody(char* data, size_t size, size_t count, void* user);

  const std::vector<RemoteFile>& files_;
  std::string cache_dir_;
  const NetworkOptions& options_;
  const ProgressCallback& progress_;
  std::mt19937_64 random_;
  FetchReport report_;
  std::vector<bool> done_;
  int done_count_ = 0;
  CURLM* multi_ = nullptr;
  std::vector<std::unique_ptr<Transfer>> transfers_;           // by file index (null when not needed)
  std::deque<size_t> ready_;                                   // waiting for a first try
  std::vector<std::pair<Clock::time_point, size_t>> delayed_;  // retries waiting for their time
  int active_ = 0;
  Clock::time_point started_;
  Clock::time_point last_progress_;
  int64_t bytes_expected_ = 0;

  // Verification pool.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<size_t> to_verify_;
  std::deque<VerifyOutcome> verified_;
  std::vector<int64_t> decompressed_;
  std::vector<bool> with_verifier_;  // main thread only: handed to the pool, outcome not collected yet
  bool closing_ = false;
  int verifying_ = 0;
};

size_t Fetcher::OnHeader(char* data, size_t size, size_t count, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  t.last_activity = std::chrono::steady_clock::now();
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect or 100-continue): reset
    t.status = 0;
    t.content_length = -1;
    t.content_range_total = -1;
    t.retry_after.clear();
    size_t space = line.find(' ');
    if (space != std::string_view::npos) t.status = std::atol(std::string(line.substr(space + 1, 3)).c_str());
  } else if (auto v = HeaderValue(line, "content-length")) {
    if (auto n = ParseDecimal(*v)) t.content_length = *n;
  } else if (auto v = HeaderValue(line, "content-range")) {
    size_t slash = v->rfind('/');
    if (slash != std::string_view::npos)
      if (auto n = ParseDecimal(v->substr(slash + 1))) t.content_range_total = *n;
  } else if (auto v = HeaderValue(line, "retry-after")) {
    t.retry_after = *v;
  }
  return size * count;
}

size_t Fetcher::OnBody(char* data, size_t size, size_t count, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  size_t n = size * count;
  t.last_activity = std::chrono::steady_clock::now();
  if (t.received == 0 && !t.body_to_file) {
    // First body bytes: decide where they go. Only a 200 or 206 body is the file; error pages are dropped.
    t.body_to_file = t.status == 200 || t.status == 206;
    if (t.status == 200 && t.resume_from > 0) {  // the server ignored Range: start over
      if (ftruncate(t.fd, 0) != 0 || lseek(t.fd, 0, SEEK_SET) != 0) {
        t.write_error = std::string("cannot truncate ") + t.part_path + ": " + std::strerror(errno);
        return 0;
      }
      t.resume_from = 0;
    }
    int64_t total =
        t.status == 206 && t.content_range_total >= 0 ? t.content_range_total : t.resume_from + t.content_length;
    if (t.body_to_file && t.content_length >= 0 && total > t.max_file_bytes) {
      t.write_error = "larger than the size limit (" + std::to_string(total) + " > " +
                      std::to_string(t.max_file_bytes) + " bytes), refused";
      return 0;
    }
  }
  if (!t.body_to_file) {
    t.received += static_cast<int64_t>(n);
    return n;
  }
  if (t.owner->limited_) {
    if (t.owner->tokens_ <= 0) {
      t.paused = true;
      return CURL_WRITEFUNC_PAUSE;  // libcurl keeps the data and delivers it again once unpaused
    }
    t.owner->tokens_ -= static_cast<double>(n);
  }
  if (t.resume_from + t.received + static_cast<int64_t>(n) > t.max_file_bytes) {
    t.write_error = "larger than the size limit (" + std::to_string(t.max_file_bytes) + " bytes), refused";
    return 0;
  }
  size_t written = 0;
  while (written < n) {
    ssize_t w = write(t.fd, data + written, n - written);
    if (w < 0) {
      if (errno == EINTR) continue;
      t.disk_full = errno == ENOSPC || errno == EDQUOT;
      t.write_error = (t.disk_full ? std::string("disk full writing ") : std::string("cannot write ")) + t.part_path +
                      ": " + std::strerror(errno);
      return 0;
    }
    written += static_cast<size_t>(w);
  }
  t.received += static_cast<int64_t>(n);
  return n;
}

void Fetcher::Complete(size_t index, FileOutcome outcome, const std::string& reason) {
  if (done_[index]) return;
  done_[index] = true;
  ++done_count_;
  FileResult& r = report_.files[index];
  r.outcome = outcome;
  if (transfers_[index] && outcome != FileOutcome::kVerified) {
    // A non-empty .part stays for the next run to resume; an empty one is only clutter.
    struct stat st;
    if (stat(transfers_[index]->part_path.c_str(), &st) == 0 && st.st_size == 0)
      unlink(transfers_[index]->part_path.c_str());
  }
  r.reason = reason;
  if (transfers_[index]) r.tries = transfers_[index]->tries;
  if (outcome != FileOutcome::kVerified && outcome != FileOutcome::kAlreadyCached) r.local_path.clear();
}

void Fetcher::CloseFile(Transfer& t) {
  if (t.fd >= 0) close(t.fd);
  t.fd = -1;
}

void Fetcher::StartTry(Transfer& t) {
  ++t.tries;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(t.part_path).parent_path(), ec);
  t.fd = open(t.part_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (t.fd < 0) {
    int err = errno;
    Status why = Status::FromErrno(err, "cannot write in the cache: " + t.part_path + ": " + std::strerror(err));
    if (err == ENOSPC || err == EDQUOT || err == EROFS || err == EACCES) {
      StopAll(why, err == ENOSPC || err == EDQUOT ? AbortedParts::kRemove : AbortedParts::kKeepForResume);
    } else {
      Complete(t.index, FileOutcome::kFailed, why.message());
    }
    return;
  }
  t.resume_from = lseek(t.fd, 0, SEEK_END);
  if (t.resume_from < 0) t.resume_from = 0;
  t.received = 0;
  t.status = 0;
  t.content_length = t.content_range_total = -1;
  t.body_to_file = false;
  t.retry_after.clear();
  t.write_error.clear();
  t.error_buffer[0] = 0;
  t.max_file_bytes = options_.max_file_bytes;
  t.owner = this;
  t.paused = false;
  if (!t.easy) t.easy = curl_easy_init();
  curl_easy_reset(t.easy);
  ConfigureEasy(t.easy, files_[t.index].url, options_);
  curl_easy_setopt(t.easy, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(t.easy, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(t.easy, CURLOPT_ERRORBUFFER, t.error_buffer);
  curl_easy_setopt(t.easy, CURLOPT_PRIVATE, &t);
  // The files are compressed already; asking for identity keeps Content-Length the file's size.
  curl_easy_setopt(t.easy, CURLOPT_ACCEPT_ENCODING, nullptr);
  if (t.resume_from > 0) curl_easy_setopt(t.easy, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(t.resume_from));
  // Stalls are timed here (last byte seen), not by libcurl's low-speed check, which averages over a window
  // of several seconds and so reacts late after a burst.
  curl_easy_setopt(t.easy, CURLOPT_LOW_SPEED_TIME, 0L);
  t.last_activity = Clock::now();
  curl_multi_add_handle(multi_, t.easy);
  t.in_flight = true;
  ++active_;
}

void Fetcher::ScheduleRetry(Transfer& t, const std::string& why, double wait) {
  if (t.tries >= options_.max_tries) {
    Complete(t.index, FileOutcome::kFailed, why + " (after " + std::to_string(t.tries) + " tries)");
    return;
  }
  delayed_.emplace_back(Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait)),
                        t.index);
}

void Fetcher::FinishTry(Transfer& t, CURLcode code) {
  curl_multi_remove_handle(multi_, t.easy);
  t.in_flight = false;
  --active_;
  const RemoteFile& file = files_[t.index];
  report_.bytes_downloaded += t.body_to_file ? t.received : 0;
  if (t.disk_full) {
    CloseFile(t);
    unlink(t.part_path.c_str());
    StopAll(Status::ResourceExhausted(t.write_error + "; stopping the run (nothing half-written is kept)"),
            AbortedParts::kRemove);
    return;
  }
  if (!t.write_error.empty()) {  // size limit or a write error: not worth another try
    CloseFile(t);
    unlink(t.part_path.c_str());
    Complete(t.index, FileOutcome::kFailed, t.write_error);
    return;
  }
  if (code != CURLE_OK) {
    CloseFile(t);
    std::string why = t.error_buffer[0] ? t.error_buffer : curl_easy_strerror(code);
    if (IsRetryableCurlCode(code)) {
      ScheduleRetry(t, why, BackoffDelay(t.tries, options_, random_));
    } else {
      Complete(t.index, FileOutcome::kFailed, why);
    }
    return;
  }
  if (t.status == 404 || t.status == 410) {
    CloseFile(t);
    unlink(t.part_path.c_str());
    Complete(t.index, FileOutcome::kGap, "HTTP " + std::to_string(t.status) + " for a listed file");
    return;
  }
  if (t.status == 416) {  // the part is not a prefix of the file any more: start over
    CloseFile(t);
    unlink(t.part_path.c_str());
    ScheduleRetry(t, "HTTP 416 on resume", 0);
    return;
  }
  if (IsRetryableStatus(t.status)) {
    CloseFile(t);
    std::optional<double> asked = ParseRetryAfter(t.retry_after, std::time(nullptr));
    if (asked && *asked > options_.max_retry_after_s) {
      Complete(t.index, FileOutcome::kFailed,
               "HTTP " + std::to_string(t.status) + " with Retry-After " +
                   std::to_string(static_cast<long long>(*asked)) + " s, above the limit");
      return;
    }
    ScheduleRetry(t, "HTTP " + std::to_string(t.status), asked ? *asked : BackoffDelay(t.tries, options_, random_));
    return;
  }
  if (t.status != 200 && t.status != 206) {
    CloseFile(t);
    unlink(t.part_path.c_str());
    Complete(t.index, FileOutcome::kFailed, "HTTP " + std::to_string(t.status));
    return;
  }
  int64_t total = t.resume_from + t.received;
  if (t.status == 206 && t.content_range_total >= 0 && t.content_range_total != total) {
    CloseFile(t);
    ScheduleRetry(t,
                  "body ended at " + std::to_string(total) + " of " + std::to_string(t.content_range_total) + " bytes",
                  BackoffDelay(t.tries, options_, random_));
    return;
  }
  if (t.content_length >= 0 && t.received != t.content_length) {
    CloseFile(t);
    ScheduleRetry(
        t, "body of " + std::to_string(t.received) + " bytes, Content-Length " + std::to_string(t.content_length),
        BackoffDelay(t.tries, options_, random_));
    return;
  }
  if (!file.listed_size.Admits(total)) {
    CloseFile(t);
    unlink(t.part_path.c_str());
    Complete(t.index, FileOutcome::kFailed,
             "size changed since listing (listed " + std::to_string(file.listed_size.low) +
                 (file.listed_size.high != file.listed_size.low ? ".." + std::to_string(file.listed_size.high) : "") +
                 " bytes, served " + std::to_string(total) + "); it is fetched on a later run");
    return;
  }
  report_.files[t.index].bytes = total;
  with_verifier_[t.index] = true;
  std::lock_guard<std::mutex> lock(mutex_);
  to_verify_.push_back(t.index);
  ++verifying_;
  wake_.notify_one();
}

void Fetcher::StopAll(const Status& why, AbortedParts parts) {
  if (!report_.fatal.ok()) return;
  report_.fatal = why;
  for (auto& t : transfers_) {
    if (!t || done_[t->index] || !t->in_flight) continue;
    curl_multi_remove_handle(multi_, t->easy);
    t->in_flight = false;
    --active_;
    CloseFile(*t);
    // Under a full disk the parts of the aborted transfers go too: the run leaves nothing half-written.
    if (parts == AbortedParts::kRemove) unlink(t->part_path.c_str());
  }
  // Files with the verifiers finish there (verified or not); every other one is reported not fetched.
  for (size_t i = 0; i < done_.size(); ++i)
    if (!done_[i] && !with_verifier_[i]) Complete(i, FileOutcome::kFailed, "not fetched: " + why.message());
  ready_.clear();
  delayed_.clear();
}

void Fetcher::VerifyLoop() {
  // Verification is background work: transfers (the main thread) go first when the cores are busy. On Linux
  // a thread's nice value is its own (setpriority on the thread id).
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  while (true) {
    size_t index;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return closing_ || !to_verify_.empty(); });
      if (to_verify_.empty()) return;
      index = to_verify_.front();
      to_verify_.pop_front();
    }
    Transfer& t = *transfers_[index];
    // The bytes reach the disk before the name does (a crash never leaves a short file under a final name);
    // synced here, off the transfer loop.
    Status status;
    int sync_error = fdatasync(t.fd) == 0 ? 0 : errno;
    close(t.fd);
    t.fd = -1;
    Result<int64_t> size =
        sync_error == 0 ? VerifyCompressedFile(t.part_path, options_.max_decompression_ratio)
                        : Result<int64_t>(Status::FromErrno(sync_error, std::string("cannot sync ") + t.part_path +
                                                                            ": " + std::strerror(sync_error)));
    if (!size.ok()) {
      status = size.status();
      unlink(t.part_path.c_str());  // corrupt or refused: nothing of it stays
    } else if (rename(t.part_path.c_str(), t.final_path.c_str()) != 0) {
      status = Status::FromErrno(errno, "cannot rename " + t.part_path + ": " + std::strerror(errno));
      unlink(t.part_path.c_str());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    decompressed_[index] = size.ok() ? *size : 0;
    verified_.push_back({index, status, sync_error == ENOSPC || sync_error == EDQUOT});
    curl_multi_wakeup(multi_);
  }
}

void Fetcher::CollectVerified() {
  std::deque<VerifyOutcome> finished;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    finished.swap(verified_);
    verifying_ -= static_cast<int>(finished.size());
  }
  for (const VerifyOutcome& v : finished) {
    with_verifier_[v.index] = false;
    report_.files[v.index].decompressed_bytes = decompressed_[v.index];
    if (v.status.ok()) {
      Complete(v.index, FileOutcome::kVerified, "");
    } else {
      Complete(v.index, FileOutcome::kFailed, v.status.message());
      if (v.disk_full)
        StopAll(Status(v.status.code(), v.status.message() + "; stopping the run (nothing half-written is kept)"),
                AbortedParts::kRemove);
    }
  }
}

void Fetcher::RefillBandwidth() {
  if (!limited_) return;
  Clock::time_point now = Clock::now();
  double elapsed = std::chrono::duration<double>(now - refilled_).count();
  refilled_ = now;
  tokens_ = std::min(bucket_, tokens_ + elapsed * static_cast<double>(options_.bandwidth_bytes_per_s));
  for (auto& t : transfers_) {
    if (tokens_ <= 0) break;
    if (t && t->paused && t->in_flight) {
      t->paused = false;
      t->last_activity = now;
      curl_easy_pause(t->easy, CURLPAUSE_CONT);
    }
  }
}

void Fetcher::EndStalledTransfers() {
  Clock::time_point now = Clock::now();
  auto limit = std::chrono::duration<double>(options_.stall_timeout_s);
  for (auto& t : transfers_) {
    if (!t || !t->in_flight || t->paused || now - t->last_activity < limit) continue;
    std::snprintf(t->error_buffer, sizeof t->error_buffer, "no data for %.0f s (stalled)", options_.stall_timeout_s);
    FinishTry(*t, CURLE_OPERATION_TIMEDOUT);
  }
}

void Fetcher::ReportProgress(bool final) {
  if (!progress_) return;
  Clock::time_point now = Clock::now();
  if (!final && now - last_progress_ < std::chrono::milliseconds(250)) return;
  last_progress_ = now;
  FetchProgress p;
  p.files_total = static_cast<int>(files_.size());
  p.files_done = done_count_;
  p.bytes_done = report_.bytes_downloaded;
  for (const auto& t : transfers_)
    if (t && t->in_flight && t->body_to_file) p.bytes_done += t->received;
  p.bytes_expected = bytes_expected_;
  p.seconds = std::chrono::duration<double>(now - started_).count();
  progress_(p);
}

FetchReport Fetcher::Run() {
  EnsureCurlInitialized();
  started_ = last_progress_ = Clock::now();
  report_.files.resize(files_.size());
  done_.assign(files_.size(), false);
  decompressed_.assign(files_.size(), 0);
  with_verifier_.assign(files_.size(), false);
  transfers_.resize(files_.size());
  for (size_t i = 0; i < files_.size(); ++i) {
    const RemoteFile& f = files_[i];
    FileResult& r = report_.files[i];
    r.file = f;
    r.local_path = cache_dir_ + "/" + f.cache_path;
    struct stat st;
    if (stat(r.local_path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      r.bytes = st.st_size;
      Complete(i, FileOutcome::kAlreadyCached, "");
      continue;
    }
    auto t = std::make_unique<Transfer>();
    t->index = i;
    t->final_path = r.local_path;
    t->part_path = r.local_path + ".part";
    transfers_[i] = std::move(t);
    ready_.push_back(i);
    if (f.listed_size.known()) bytes_expected_ += (f.listed_size.low + f.listed_size.high) / 2;
  }
  limited_ = options_.bandwidth_bytes_per_s > 0;
  // A tenth of a second's worth, at least one libcurl write (16 kB): bursts stay short.
  bucket_ = std::max(16384.0, static_cast<double>(options_.bandwidth_bytes_per_s) / 10);
  tokens_ = bucket_;
  refilled_ = Clock::now();
  multi_ = curl_multi_init();
  int jobs = std::max(1, options_.jobs);
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(jobs));
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(jobs * 2));
  std::vector<std::thread> verifiers;
  int verifier_count = std::max(1, std::min(jobs, static_cast<int>(std::thread::hardware_concurrency())));
  for (int i = 0; i < verifier_count; ++i) verifiers.emplace_back([this] { VerifyLoop(); });

  while (true) {
    if (options_.stop && options_.stop->load() && report_.fatal.ok())
      StopAll(Status::Cancelled("stopped by signal"), AbortedParts::kKeepForResume);
    CollectVerified();
    Clock::time_point now = Clock::now();
    for (size_t k = 0; k < delayed_.size();) {
      if (delayed_[k].first <= now && active_ < jobs) {
        StartTry(*transfers_[delayed_[k].second]);
        delayed_.erase(delayed_.begin() + static_cast<long>(k));
      } else {
        ++k;
      }
    }
    while (active_ < jobs && !ready_.empty() && report_.fatal.ok()) {
      size_t index = ready_.front();
      ready_.pop_front();
      StartTry(*transfers_[index]);
    }
    int verifying;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      verifying = verifying_;
    }
    if (active_ == 0 && ready_.empty() && delayed_.empty() && verifying == 0) break;
    RefillBandwidth();
    int running = 0;
    curl_multi_perform(multi_, &running);
    int queued = 0;
    int finished = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      if (t && t->in_flight) {
        FinishTry(*t, message->data.result);
        ++finished;
      }
    }
    EndStalledTransfers();
    ReportProgress(false);
    if (finished > 0) continue;  // start the next transfers at once, before waiting
    curl_multi_poll(multi_, nullptr, 0, limited_ ? 10 : active_ > 0 ? 100 : 20, nullptr);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  wake_.notify_all();
  for (std::thread& v : verifiers) v.join();
  CollectVerified();
  for (auto& t : transfers_)
    if (t && t->easy) curl_easy_cleanup(t->easy);
  curl_multi_cleanup(multi_);
  report_.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  ReportProgress(true);
  return std::move(report_);
}

}  // namespace

FetchReport FetchFiles(const std::vector<RemoteFile>& files, const std::string& cache_dir,
                       const NetworkOptions& options, const ProgressCallback& progress) {
  Fetcher fetcher(files, cache_dir, options, progress);
  return fetcher.Run();
}

}  // namespace vigil::acquire
