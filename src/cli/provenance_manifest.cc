// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cli/provenance_manifest.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

std::string Text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// The provenance a manifest states, or observed when the folder has none.
Result<store::Provenance> ReadManifest(const fs::path& folder) {
  const fs::path path = folder / kProvenanceManifest;
  std::error_code ec;
  if (!fs::exists(path, ec)) return store::Provenance{};
  std::ifstream in(path);
  if (!in) return Status::IOError(path.string() + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(path.string() + ": not a JSON object");
  std::optional<store::ProvenanceKind> kind = store::ParseProvenanceKind(Text(j, "provenance"));
  if (!kind || *kind == store::ProvenanceKind::kUnrecorded) {
    return Status::InvalidArgument(path.string() + ": \"provenance\" must be observed, imported or simulated");
  }
  store::Provenance p;
  p.kind = *kind;
  p.source = *kind == store::ProvenanceKind::kSimulated ? Text(j, "scenario") : Text(j, "source");
  p.licence = Text(j, "licence");
  p.seed = Text(j, "seed");
  p.vigil_version = Text(j, "vigil_version");
  if (*kind == store::ProvenanceKind::kSimulated && p.source.empty()) {
    return Status::InvalidArgument(path.string() + ": a simulated manifest names its \"scenario\"");
  }
  return p;
}

bool Same(const store::Provenance& a, const store::Provenance& b) {
  return a.kind == b.kind && a.source == b.source && a.licence == b.licence && a.seed == b.seed &&
         a.vigil_version == b.vigil_version;
}

}  // namespace

Result<store::Provenance> ProvenanceOfFiles(const std::vector<std::string>& files) {
  std::map<std::string, store::Provenance> by_folder;
  std::optional<store::Provenance> common;
  std::string first_file;
  for (const std::string& file : files) {
    const std::string folder = fs::path(file).parent_path().string();
    auto it = by_folder.find(folder);
    if (it == by_folder.end()) {
      Result<store::Provenance> read = ReadManifest(folder.empty() ? fs::path(".") : fs::path(folder));
      if (!read.ok()) return read.status();
      it = by_folder.emplace(folder, std::move(*read)).first;
    }
    if (!common) {
      common = it->second;
      first_file = file;
    } else if (!Same(*common, it->second)) {
      return Status::InvalidArgument("the files given mix provenance: " + first_file + " is " +
                                     DescribeProvenance(*common) + ", " + file + " is " +
                                     DescribeProvenance(it->second) + " (ingest them separately)");
    }
  }
  return common.value_or(store::Provenance{});
}

std::string DescribeProvenance(const store::Provenance& p) {
  switch (p.kind) {
    case store::ProvenanceKind::kSimulated: {
      std::string text = "simulated scenario '" + p.source + "'";
      if (!p.seed.empty())
        text += " (seed " + p.seed + (p.vigil_version.empty() ? "" : ", vigil " + p.vigil_version) + ")";
      return text;
    }
    case store::ProvenanceKind::kImported:
      return "imported" + (p.source.empty() ? std::string() : " from " + p.source);
    default:
      return store::ProvenanceKindName(p.kind);
  }
}

}  // namespace vigil::cli
