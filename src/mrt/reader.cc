// SPDX-License-Identifier: AGPL-3.0-or-later
#include <cstring>

#include "mrt/byte_order.h"
#include "mrt/input_stream.h"
#include "mrt/mrt.h"

namespace vigil::mrt {
namespace {

constexpr size_t kHeaderSize = 12;
// Release consumed bytes to the producer in steps (each release is an atomic store and a wake-up).
constexpr uint64_t kReleaseStep = 1u << 20;

bool HasExtendedTimestamp(uint16_t type) {
  // RFC 6396 section 3: BGP4MP_ET, ISIS_ET and OSPFv3_ET carry a microsecond field counted in the length.
  return type == 17 || type == 33 || type == 49;
}

}  // namespace

Result<std::unique_ptr<Reader>> Reader::Open(const std::string& path, ReaderOptions options) {
  InputStreamOptions stream_options;
  stream_options.bzip2_first_stream_only = options.bzip2_first_stream_only;
  Result<std::unique_ptr<InputStream>> input = options.contents
                                                   ? InputStream::OpenMemory(path, *options.contents, stream_options)
                                                   : InputStream::Open(path, stream_options);
  if (!input.ok()) return input.status();
  return std::unique_ptr<Reader>(new Reader(path, std::move(*input), std::move(options)));
}

Reader::Reader(std::string path, std::unique_ptr<InputStream> input, ReaderOptions options)
    : path_(std::move(path)), input_(std::move(input)), options_(std::move(options)) {}

Reader::~Reader() = default;

void Reader::Report(uint64_t offset, std::string_view what, bool skipped) {
  std::string message = path_ + ": offset " + std::to_string(offset) + ": " + std::string(what);
  if (skipped) summary_.skipped++;
  if (options_.on_error) options_.on_error(message);
  summary_.errors.push_back(std::move(message));
}

void Reader::ReportBadRecord(const Record& record, std::string_view what) {
  std::string text = "record type " + std::to_string(record.type) + "/" + std::to_string(record.subtype) +
                     " skipped: " + std::string(what);
  Report(record.offset, text, true);
}

bool Reader::Next(Record* record) {
  while (!done_) {
    if (position_ - last_release_ >= kReleaseStep) {
      input_->Release(position_);
      last_release_ = position_;
    }
    size_t got = input_->Ensure(position_, kHeaderSize);
    if (got < kHeaderSize) {
      done_ = true;
      std::string end_error = input_->EndError();
      if (got > 0) {
        std::string what = "truncated MRT header (" + std::to_string(got) + " of 12 bytes)";
        if (!end_error.empty()) what += "; " + end_error;
        Report(position_, what, true);
      } else if (!end_error.empty()) {
        Report(position_, end_error, true);
      }
      summary_.bytes = position_ + got;
      return false;
    }
    const uint8_t* h = input_->At(position_);
    record->timestamp = LoadU32(h);
    record->type = LoadU16(h + 4);
    record->subtype = LoadU16(h + 6);
    uint32_t length = LoadU32(h + 8);
    record->offset = position_;
    record->microseconds = 0;
    got = input_->Ensure(position_ + kHeaderSize, length);
    if (got < length) {
      done_ = true;
      std::string what = "record length " + std::to_string(length) + " runs past the end of the data (" +
                         std::to_string(got) + " bytes left)";
      std::string end_error = input_->EndError();
      if (!end_error.empty()) what += "; " + end_error;
      Report(position_, what, true);
      summary_.bytes = position_ + kHeaderSize + got;
      return false;
    }
    const uint8_t* body = input_->At(position_ + kHeaderSize);
    position_ += kHeaderSize + length;
    summary_.records++;
    summary_.bytes = position_;
    record->length = length;
    if (HasExtendedTimestamp(record->type) && length >= 4) {
      record->microseconds = LoadU32(body);
      record->body = Bytes(body + 4, length - 4);
    } else {
      // A too-short extended header is left to the decoders to report.
      record->body = Bytes(body, length);
    }
    return true;
  }
  return false;
}

}  // namespace vigil::mrt
