// SPDX-License-Identifier: AGPL-3.0-or-later
// Cache file layout (native little-endian; the cache is a local artefact, never shipped):
//   magic "VIGILGEO", u32 version, string key, then the tables' fields in declaration order, each vector
//   as u64 count + elements, each string as u32 length + bytes. A file that does not parse to the end is
//   ignored and rebuilt.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "geo/range_table.h"

namespace vigil::geo {
namespace {

constexpr char kMagic[8] = {'V', 'I', 'G', 'I', 'L', 'G', 'E', 'O'};
constexpr uint32_t kVersion = 3;

class Writer {
 public:
  void Bytes(const void* data, size_t n) { out_.append(static_cast<const char*>(data), n); }
  template <typename T>
  void Pod(T value) {
    Bytes(&value, sizeof value);
  }
  void String(const std::string& s) {
    Pod(static_cast<uint32_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  template <typename T>
  void PodVector(const std::vector<T>& v) {
    Pod(static_cast<uint64_t>(v.size()));
    Bytes(v.data(), v.size() * sizeof(T));
  }
  const std::string& data() const { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(const std::string& in) : in_(in) {}
  bool Bytes(void* data, size_t n) {
    if (n > in_.size() - pos_) return failed_ = true, false;
    std::memcpy(data, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  template <typename T>
  T Pod() {
    T value{};
    Bytes(&value, sizeof value);
    return value;
  }
  std::string String() {
    uint32_t n = Pod<uint32_t>();
    if (n > in_.size() - pos_) {
      failed_ = true;
      return {};
    }
    std::string s(in_.data() + pos_, n);
    pos_ += n;
    return s;
  }
  template <typename T>
  void PodVector(std::vector<T>* v) {
    uint64_t n = Pod<uint64_t>();
    if (failed_ || n > (in_.size() - pos_) / sizeof(T)) {
      failed_ = true;
      return;
    }
    v->resize(n);
    Bytes(v->data(), n * sizeof(T));
  }
  bool ok() const { return !failed_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  const std::string& in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

void WriteCoverage(const Coverage& c, Writer& w) {
  w.Pod(c.located_slash24s);
  w.Pod(c.region_slash24s);
  w.Pod(c.empty_state1_slash24s);
  w.Pod(c.secondary_slash24s);
  w.Pod(c.secondary_other_country_slash24s);
  w.Pod(static_cast<uint64_t>(c.unmapped.size()));
  for (const UnmappedRegion& u : c.unmapped) {
    w.String(u.country);
    w.String(u.state1);
    w.Pod(u.slash24s);
  }
}

bool ReadCoverage(Reader& r, size_t file_size, Coverage* c) {
  c->located_slash24s = r.Pod<uint64_t>();
  c->region_slash24s = r.Pod<uint64_t>();
  c->empty_state1_slash24s = r.Pod<uint64_t>();
  c->secondary_slash24s = r.Pod<uint64_t>();
  c->secondary_other_country_slash24s = r.Pod<uint64_t>();
  uint64_t unmapped = r.Pod<uint64_t>();
  if (unmapped > file_size) return false;
  c->unmapped.resize(unmapped);
  for (UnmappedRegion& u : c->unmapped) {
    u.country = r.String();
    u.state1 = r.String();
    u.slash24s = r.Pod<uint64_t>();
  }
  return r.ok();
}

}  // namespace

Status SaveTables(const GeoDatabase::Tables& t, const std::string& key, const std::string& path) {
  Writer w;
  w.Bytes(kMagic, sizeof kMagic);
  w.Pod(kVersion);
  w.String(key);
  w.Pod(static_cast<uint64_t>(t.entities.size()));
  for (const Entity& e : t.entities) {
    w.Pod(static_cast<uint8_t>(e.type));
    w.String(e.code);
    w.String(e.name);
    w.Pod(e.parent);
    w.Pod(e.slash24_count);
    w.Pod(e.slash48_count);
    w.String(e.tz);
  }
  w.Pod(static_cast<uint64_t>(t.time_zones.size()));
  for (const std::string& tz : t.time_zones) w.String(tz);
  w.PodVector(t.locations);
  w.PodVector(t.range_start);
  w.PodVector(t.range_location);
  w.PodVector(t.source_start);
  w.PodVector(t.source_kind);
  w.PodVector(t.run_start);
  w.PodVector(t.run_location);
  WriteCoverage(t.coverage, w);
  w.PodVector(t.v6.range_start);
  w.PodVector(t.v6.range_location);
  w.PodVector(t.v6.source_start);
  w.PodVector(t.v6.source_kind);
  w.PodVector(t.v6.run_start);
  w.PodVector(t.v6.run_location);
  WriteCoverage(t.v6.coverage, w);
  w.Pod(t.info.build_seconds);

  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  // Written beside and renamed into place, so a concurrent reader never sees half a file.
  std::string temporary = path + ".tmp" + std::to_string(static_cast<long>(::getpid()));
  FILE* file = std::fopen(temporary.c_str(), "wb");
  if (!file) return Status::FromErrno(errno, temporary + ": " + std::strerror(errno));
  bool ok = std::fwrite(w.data().data(), 1, w.data().size(), file) == w.data().size();
  ok = (std::fclose(file) == 0) && ok;
  if (!ok) {
    std::remove(temporary.c_str());
    return Status::IOError(temporary + ": write failed");
  }
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::remove(temporary.c_str());
    return Status::IOError(path + ": " + error.message());
  }
  return Status::Ok();
}

Status LoadTables(const std::string& path, const std::string& key, GeoDatabase::Tables* t) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return Status::NotFound(path + ": not cached");
  std::string bytes;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) bytes.append(buffer, n);
  std::fclose(file);
  Reader r(bytes);
  char magic[8];
  if (!r.Bytes(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0 || r.Pod<uint32_t>() != kVersion ||
      r.String() != key) {
    return Status::NotFound(path + ": other version or sources");
  }
  uint64_t entity_count = r.Pod<uint64_t>();
  if (entity_count > bytes.size()) return Status::Corruption(path + ": damaged");
  t->entities.resize(entity_count);
  for (Entity& e : t->entities) {
    uint8_t type = r.Pod<uint8_t>();
    if (type > static_cast<uint8_t>(EntityType::kAsn)) return Status::Corruption(path + ": damaged");
    e.type = static_cast<EntityType>(type);
    e.code = r.String();
    e.name = r.String();
    e.parent = r.Pod<EntityId>();
    e.slash24_count = r.Pod<uint64_t>();
    e.slash48_count = r.Pod<uint64_t>();
    e.tz = r.String();
  }
  uint64_t tz_count = r.Pod<uint64_t>();
  if (tz_count > bytes.size()) return Status::Corruption(path + ": damaged");
  t->time_zones.resize(tz_count);
  for (std::string& tz : t->time_zones) tz = r.String();
  r.PodVector(&t->locations);
  r.PodVector(&t->range_start);
  r.PodVector(&t->range_location);
  r.PodVector(&t->source_start);
  r.PodVector(&t->source_kind);
  r.PodVector(&t->run_start);
  r.PodVector(&t->run_location);
  if (!ReadCoverage(r, bytes.size(), &t->coverage)) return Status::Corruption(path + ": damaged");
  r.PodVector(&t->v6.range_start);
  r.PodVector(&t->v6.range_location);
  r.PodVector(&t->v6.source_start);
  r.PodVector(&t->v6.source_kind);
  r.PodVector(&t->v6.run_start);
  r.PodVector(&t->v6.run_location);
  if (!ReadCoverage(r, bytes.size(), &t->v6.coverage)) return Status::Corruption(path + ": damaged");
  t->info.build_seconds = r.Pod<double>();
  if (!r.ok() || !r.at_end() || t->range_start.empty() || t->range_start[0] != 0 ||
      t->range_start.size() != t->range_location.size() || t->run_start.empty() ||
      t->source_start.size() != t->source_kind.size() || t->run_start.size() != t->run_location.size() ||
      t->v6.range_start.empty() || t->v6.range_start[0] != 0 ||
      t->v6.range_start.size() != t->v6.range_location.size() || t->v6.run_start.empty() ||
      t->v6.source_start.size() != t->v6.source_kind.size() || t->v6.run_start.size() != t->v6.run_location.size()) {
    return Status::Corruption(path + ": damaged");
  }
  // Indices must stay inside their tables, or lookups would read out of bounds.
  for (uint32_t l : t->range_location) {
    if (l >= t->locations.size()) return Status::Corruption(path + ": damaged");
  }
  for (const std::vector<uint32_t>* list : {&t->run_location, &t->v6.range_location, &t->v6.run_location}) {
    for (uint32_t l : *list) {
      if (l >= t->locations.size()) return Status::Corruption(path + ": damaged");
    }
  }
  for (const Location& l : t->locations) {
    for (EntityId id : {l.country, l.region, l.asn}) {
      if (id != kNoEntity && id >= t->entities.size()) return Status::Corruption(path + ": damaged");
    }
    if (l.tz >= t->time_zones.size()) return Status::Corruption(path + ": damaged");
  }
  t->BuildIndexes();
  return Status::Ok();
}

}  // namespace vigil::geo
