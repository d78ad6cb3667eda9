// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace vigil {

// What kind of failure a Status reports, so callers decide by kind, never by reading the message.
//   kInvalidArgument   the caller's input is malformed or out of range (a flag, a scenario field, a request
//                      parameter, a time string); retrying with the same input fails again.
//   kNotFound          the named thing does not exist (file, store, entity, event, annotation, webhook).
//   kAlreadyExists     the thing to create is already there.
//   kCorruption        stored or received bytes are not what the format says (a truncated MRT record, a bad
//                      gzip stream, an unreadable saved state, a TZif file that is not one).
//   kIOError           the operating system refused a read or write (open, read, write, rename, mmap).
//   kUnavailable       a service or peer did not answer or answered with a failure (ClickHouse, a socket, a
//                      raw-ICMP socket without the capability); may succeed later.
//   kResourceExhausted a limit was reached (memory, disk, connections, a configured cap).
//   kNotSupported      this implementation does not offer the operation (e.g. a backend without webhooks).
//   kCancelled         the operation was stopped on request (a signal, a stop flag) before it finished.
//   kFailedPrecondition the operation is refused in the current state of its target (simulated inputs into a
//                      store of observed ones without --allow-simulated); it may succeed once the state or the
//                      request changes.
//   kInternal          an invariant of Vigil itself broke; a bug, not the input's fault.
enum class StatusCode : unsigned char {
  kOk,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kCorruption,
  kIOError,
  kUnavailable,
  kResourceExhausted,
  kNotSupported,
  kCancelled,
  kFailedPrecondition,
  kInternal,
};

// "InvalidArgument", "NotFound", ... ("Ok" for kOk).
const char* StatusCodeName(StatusCode code);

// Outcome of an operation that can fail for expected reasons (bad input, I/O): a code saying what kind of
// failure, and a message naming the input (file and byte offset, parameter name, URL). Never thrown across
// module boundaries.
class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }
  static Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
  static Status AlreadyExists(std::string message) { return {StatusCode::kAlreadyExists, std::move(message)}; }
  static Status Corruption(std::string message) { return {StatusCode::kCorruption, std::move(message)}; }
  static Status IOError(std::string message) { return {StatusCode::kIOError, std::move(message)}; }
  static Status Unavailable(std::string message) { return {StatusCode::kUnavailable, std::move(message)}; }
  static Status ResourceExhausted(std::string message) { return {StatusCode::kResourceExhausted, std::move(message)}; }
  static Status NotSupported(std::string message) { return {StatusCode::kNotSupported, std::move(message)}; }
  static Status Cancelled(std::string message) { return {StatusCode::kCancelled, std::move(message)}; }
  static Status FailedPrecondition(std::string message) {
    return {StatusCode::kFailedPrecondition, std::move(message)};
  }
  static Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }
  // A failed system call: ENOENT is kNotFound, ENOSPC/EDQUOT/ENOMEM kResourceExhausted, anything else kIOError.
  // The message (which should name the file and say what failed) is the caller's.
  static Status FromErrno(int error_number, std::string message);
  // The same code with another message, for callers that rewrite rather than prefix a message (WithContext
  // prefixes). `code` must not be kOk.
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
    if (code_ == StatusCode::kOk) std::abort();
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  bool IsInvalidArgument() const { return code_ == StatusCode::kInvalidArgument; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsAlreadyExists() const { return code_ == StatusCode::kAlreadyExists; }
  bool IsCorruption() const { return code_ == StatusCode::kCorruption; }
  bool IsIOError() const { return code_ == StatusCode::kIOError; }
  bool IsUnavailable() const { return code_ == StatusCode::kUnavailable; }
  bool IsResourceExhausted() const { return code_ == StatusCode::kResourceExhausted; }
  bool IsNotSupported() const { return code_ == StatusCode::kNotSupported; }
  bool IsCancelled() const { return code_ == StatusCode::kCancelled; }
  bool IsInternal() const { return code_ == StatusCode::kInternal; }

  // Prefixes context ("reading foo.gz: ") to an error, keeping its code; OK stays OK.
  Status WithContext(const std::string& context) const {
    return ok() ? *this : Status(code_, context + ": " + message_);
  }

  // "NotFound: store var/x.db: no such file" (or "Ok"), for logs and test failure output.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status saying why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  Result(Status error) : state_(std::move(error)) {
    if (std::get<Status>(state_).ok()) std::abort();  // a Result built from OK status has no value
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(state_);
  }
  const std::string& message() const { return status().message(); }
  StatusCode code() const { return status().code(); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace vigil

// Returns early from the enclosing function when a Status-returning expression fails.
#define VIGIL_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::vigil::Status vigil_status_ = (expr);        \
    if (!vigil_status_.ok()) return vigil_status_; \
  } while (0)
