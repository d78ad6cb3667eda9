// SPDX-License-Identifier: AGPL-3.0-or-later
// Webhooks: token-protected registration, notices on event start/update/end, HMAC-SHA256 signed POSTs,
// retries with back-off, and a delivery log. Registrations, the log and what was last notified per event are
// kept in the store when it supports them (SQLite does), so a restart of `vigil serve` forgets nothing;
// otherwise they live in memory only.
#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "api/internal.h"

namespace vigil::api {
namespace {

Json HookJson(const Webhook& h) {
  return Json{
      {"id", h.id}, {"url", h.url}, {"entity", h.entity}, {"min_level", h.min_level}, {"created_at", h.created_at}};
}

Json DeliveryJson(const WebhookDelivery& d) {
  return Json{{"id", d.id},
              {"webhook_id", d.webhook_id},
              {"notice", d.notice},
              {"event_id", d.event_id},
              {"state", d.state},
              {"attempts", d.attempts},
              {"last_status", d.last_status},
              {"last_error", d.last_error},
              {"next_attempt_at", d.next_attempt_at},
              {"log", d.log}};
}

std::string RandomSecret() {
  std::random_device rd;
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 64; ++i) out += kHex[rd() & 15];
  return out;
}

int EventLevel(const store::Event& e) { return e.depth >= 0.5 || e.depth == 0 ? 2 : 1; }

bool HookMatches(Api::Impl& impl, const Webhook& hook, const store::Event& e) {
  if (EventLevel(e) < LevelRank(store::AlertLevelFromName(hook.min_level))) return false;
  if (hook.entity.empty()) return true;
  auto entity = impl.EntityById(e.entity_id);
  if (!entity) return false;
  if (EntityRef(*entity) == hook.entity) return true;
  auto parent = impl.EntityById(entity->parent_id);
  return parent && EntityRef(*parent) == hook.entity;
}

std::string JoinLog(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

std::vector<std::string> SplitLog(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

store::WebhookDeliveryRecord ToRecord(const WebhookDelivery& d) {
  return {d.id,    d.webhook_id,  d.notice,     d.event_id,    d.body, d.attempts, d.next_attempt_at,
          d.state, d.last_status, d.last_error, JoinLog(d.log)};
}

// Marks "a scan has run" in the store, so a restarted server does not mistake events that started while it
// was down for history (event ids start at 1).
constexpr int64_t kScannedMarker = 0;
constexpr size_t kDeliveriesKept = 5000;

// Reads what the webhook store keeps; called with w.mu held.
void EnsureLoaded(Api::Impl& impl, WebhookState& w) {
  if (w.loaded) return;
  w.loaded = true;
  auto hooks = impl.webhook_store.ListWebhooks();
  auto deliveries = impl.webhook_store.ListWebhookDeliveries(static_cast<int64_t>(kDeliveriesKept));
  auto fingerprints = impl.webhook_store.ListWebhookFingerprints();
  if (!hooks.ok() || !deliveries.ok() || !fingerprints.ok()) {
    const Status& failed =
        !hooks.ok() ? hooks.status() : (!deliveries.ok() ? deliveries.status() : fingerprints.status());
    std::fprintf(stderr, "vigil serve: webhooks kept in memory only: %s\n", failed.message().c_str());
    return;
  }
  w.persistent = true;
  for (const auto& h : *hooks) {
    w.hooks.push_back(Webhook{h.id, h.url, h.secret, h.entity, h.min_level, h.created_at});
    w.next_hook_id = std::max(w.next_hook_id, h.id + 1);
  }
  for (const auto& d : *deliveries) {
    WebhookDelivery x;
    x.id = d.id;
    x.webhook_id = d.webhook_id;
    x.notice = d.notice;
    x.event_id = d.event_id;
    x.body = d.body;
    x.attempts = static_cast<int>(d.attempts);
    x.next_attempt_at = d.next_attempt_at;
    x.state = d.state;
    x.last_status = static_cast<int>(d.last_status);
    x.last_error = d.last_error;
    x.log = SplitLog(d.log);
    w.next_delivery_id = std::max(w.next_delivery_id, d.id + 1);
    w.deliveries.push_back(std::move(x));
  }
  for (const auto& [event_id, fingerprint] : *fingerprints) {
    if (event_id == kScannedMarker) {
      w.scanned_once = true;
    } else {
      w.event_fingerprints[event_id] = fingerprint;
    }
  }
}

}  // namespace

HttpResponse HandleWebhooks(Api::Impl& impl, const HttpRequest& request, const std::vector<std::string>& parts) {
  if (auto refused = RequireAdmin(impl, request)) return *refused;
  WebhookState& w = impl.webhooks;
  std::lock_guard lock(w.mu);
  EnsureLoaded(impl, w);
  if (request.method == "GET") {
    Json hooks = Json::array(), deliveries = Json::array();
    for (const auto& h : w.hooks) hooks.push_back(HookJson(h));
    size_t first = w.deliveries.size() > 500 ? w.deliveries.size() - 500 : 0;
    for (size_t i = first; i < w.deliveries.size(); ++i) deliveries.push_back(DeliveryJson(w.deliveries[i]));
    return JsonResponse(200, Json{{"webhooks", hooks}, {"deliveries", deliveries}});
  }
  if (request.method == "DELETE") {
    int64_t id = 0;
    if (parts.size() != 4 || !ParseId(parts[3], id)) {
      return JsonResponse(400, Json{{"error", "DELETE needs /api/v1/webhooks/{id} (a positive integer)"}});
    }
    auto it = std::find_if(w.hooks.begin(), w.hooks.end(), [&](const Webhook& h) { return h.id == id; });
    if (it == w.hooks.end())
      return JsonResponse(404, Json{{"error", "no webhook " + (parts.size() == 4 ? parts[3] : "")}});
    if (w.persistent) {
      if (auto deleted = impl.webhook_store.DeleteWebhook(id); !deleted.ok()) {
        return JsonResponse(500, Json{{"error", "store: " + deleted.message()}});
      }
    }
    w.hooks.erase(it);
    return JsonResponse(200, Json{{"deleted", id}});
  }
  if (request.method != "POST" || parts.size() != 3) {
    return JsonResponse(405, Json{{"error", "use GET|POST /api/v1/webhooks or DELETE /api/v1/webhooks/{id}"}});
  }
  Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return JsonResponse(400, Json{{"error", "body must be a JSON object"}});
  Webhook hook;
  hook.url = body.value("url", "");
  if (hook.url.rfind("http://", 0) != 0 && hook.url.rfind("https://", 0) != 0) {
    return JsonResponse(400, Json{{"error", "url must start with http:// or https://"}});
  }
  if (hook.url.size() > 2000) return JsonResponse(400, Json{{"error", "url is longer than 2000 characters"}});
  hook.entity = body.value("entity", "");
  if (!hook.entity.empty()) {
    auto entity = ResolveEntityRef(impl, hook.entity);
    if (!entity.ok()) return JsonResponse(400, Json{{"error", "entity: " + entity.message()}});
  }
  hook.min_level = body.value("min_level", "warning");
  if (store::AlertLevelFromName(hook.min_level) == store::AlertLevel::kNormal) {  // "normal" or no level
    return JsonResponse(400, Json{{"error", "min_level must be 'warning' or 'critical'"}});
  }
  hook.secret = body.value("secret", "");
  if (hook.secret.empty()) hook.secret = RandomSecret();
  if (hook.secret.size() < 16) return JsonResponse(400, Json{{"error", "secret must be at least 16 characters"}});
  hook.created_at = NowSeconds();
  if (w.persistent) {
    auto id = impl.webhook_store.AddWebhook({0, hook.url, hook.secret, hook.entity, hook.min_level, hook.created_at});
    if (!id.ok()) return JsonResponse(500, Json{{"error", "store: " + id.message()}});
    hook.id = *id;
    w.next_hook_id = std::max(w.next_hook_id, hook.id + 1);
  } else {
    hook.id = w.next_hook_id++;
  }
  w.hooks.push_back(hook);
  Json out = HookJson(hook);
  out["secret"] = hook.secret;  // shown once, at registration
  out["signature"] = "X-Vigil-Signature: sha256=HMAC-SHA256(secret, X-Vigil-Timestamp + \".\" + body) in hex";
  return JsonResponse(201, out);
}

Status Api::ScanEventsForWebhooks() {
  int64_t now = NowSeconds();
  std::vector<store::Event> events;
  {
    store::TimeFilter filter;
    filter.from = 0;  // every event: a replayed history must not look new
    filter.until = INT64_MAX / 2;
    auto list = impl_->store.ListEvents(filter);
    if (!list.ok()) return list.status();
    events = std::move(*list);
  }
  WebhookState& w = impl_->webhooks;
  std::lock_guard lock(w.mu);
  EnsureLoaded(*impl_, w);
  // Changes are collected first and applied to memory only once the store has them: a failed save leaves
  // both as they were, and the next scan tries again.
  std::vector<std::pair<int64_t, std::string>> changed;
  std::vector<WebhookDelivery> queued;
  int64_t next_id = w.next_delivery_id;
  for (const auto& e : events) {
    std::string fingerprint = std::to_string(e.start_t) + "|" + std::to_string(e.end_t) + "|" + e.classification + "|" +
                              e.datasources + "|" + std::to_string(e.schedule_id);
    auto it = w.event_fingerprints.find(e.id);
    std::string notice;
    if (it == w.event_fingerprints.end()) {
      notice = e.end_t == 0 ? "event.start" : "event.end";
    } else if (it->second != fingerprint) {
      notice = e.end_t != 0 && it->second.find("|0|") != std::string::npos ? "event.end" : "event.update";
    }
    if (it == w.event_fingerprints.end() || it->second != fingerprint) changed.emplace_back(e.id, fingerprint);
    if (notice.empty() || !w.scanned_once) continue;  // the first scan learns what already exists
    for (const auto& hook : w.hooks) {
      if (!HookMatches(*impl_, hook, e)) continue;
      WebhookDelivery d;
      d.id = next_id++;
      d.webhook_id = hook.id;
      d.notice = notice;
      d.event_id = e.id;
      Json body = {{"notice", notice},
                   {"delivery_id", d.id},
                   {"sent_for", EventCodf(*impl_, e, e.start_t, e.end_t ? e.end_t : now)}};
      d.body = body.dump();
      d.next_attempt_at = now;
      queued.push_back(std::move(d));
    }
  }
  if (!w.scanned_once) changed.emplace_back(kScannedMarker, "scanned");
  if (w.persistent) {
    std::vector<store::WebhookDeliveryRecord> records;
    for (const auto& d : queued) records.push_back(ToRecord(d));
    VIGIL_RETURN_IF_ERROR(impl_->webhook_store.SaveWebhookScan(changed, records));
  }
  for (auto& [event_id, fingerprint] : changed) {
    if (event_id != kScannedMarker) w.event_fingerprints[event_id] = std::move(fingerprint);
  }
  for (auto& d : queued) w.deliveries.push_back(std::move(d));
  w.next_delivery_id = next_id;
  w.scanned_once = true;
  if (w.deliveries.size() > kDeliveriesKept) {
    // Memory keeps the newest; pending ones are never dropped (the store keeps every one anyway).
    std::vector<WebhookDelivery> kept;
    size_t old = w.deliveries.size() - (kDeliveriesKept - 1000);
    for (size_t i = 0; i < w.deliveries.size(); ++i) {
      if (i >= old || w.deliveries[i].state == "pending") kept.push_back(std::move(w.deliveries[i]));
    }
    w.deliveries = std::move(kept);
  }
  return Status::Ok();
}

int Api::DeliverWebhooks() {
  WebhookState& w = impl_->webhooks;
  struct Job {
    int64_t delivery_id;
    std::string url, secret, body, notice;
  };
  std::vector<Job> jobs;
  int64_t now = NowSeconds();
  {
    std::lock_guard lock(w.mu);
    EnsureLoaded(*impl_, w);
    for (const auto& d : w.deliveries) {
      if (d.state != "pending" || d.next_attempt_at > now) continue;
      auto hook = std::find_if(w.hooks.begin(), w.hooks.end(), [&](const Webhook& h) { return h.id == d.webhook_id; });
      if (hook == w.hooks.end()) continue;
      jobs.push_back(Job{d.id, hook->url, hook->secret, d.body, d.notice});
    }
  }
  for (const auto& job : jobs) {
    // Split "http://host:port/path" for the client.
    std::string rest = job.url.substr(job.url.find("://") + 3);
    size_t slash = rest.find('/');
    std::string base = job.url.substr(0, job.url.find("://") + 3) + rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
    std::string timestamp = std::to_string(NowSeconds());
    httplib::Client client(base);
    client.set_connection_timeout(5);
    client.set_read_timeout(10);
    client.set_follow_location(false);
    httplib::Headers headers = {
        {"X-Vigil-Event", job.notice},
        {"X-Vigil-Delivery", std::to_string(job.delivery_id)},
        {"X-Vigil-Timestamp", timestamp},
        {"X-Vigil-Signature", "sha256=" + HmacSha256Hex(job.secret, timestamp + "." + job.body)},
        {"User-Agent", "vigil-webhook/0.1"}};
    auto result = client.Post(path, headers, job.body, "application/json");
    int status = result ? result->status : 0;
    std::string error = result ? "" : httplib::to_string(result.error());
    std::lock_guard lock(w.mu);
    auto d =
        std::find_if(w.deliveries.begin(), w.deliveries.end(), [&](const auto& x) { return x.id == job.delivery_id; });
    if (d == w.deliveries.end()) continue;
    d->attempts++;
    d->last_status = status;
    d->last_error = error;
    d->log.push_back(timestamp + " attempt " + std::to_string(d->attempts) + ": " +
                     (status ? "HTTP " + std::to_string(status) : "error " + error));
    if (status >= 200 && status < 300) {
      d->state = "delivered";
    } else if (static_cast<size_t>(d->attempts) > impl_->options.webhook_backoff_s.size()) {
      d->state = "failed";
    } else {
      d->next_attempt_at = NowSeconds() + impl_->options.webhook_backoff_s[d->attempts - 1];
    }
    if (w.persistent) {
      // The attempt happened whether or not the store records it; a failure here means a restart may send
      // this notice once more (receivers deduplicate by X-Vigil-Delivery).
      if (auto saved = impl_->webhook_store.UpdateWebhookDelivery(ToRecord(*d)); !saved.ok()) {
        std::fprintf(stderr, "vigil serve: webhook delivery %lld: %s\n", static_cast<long long>(d->id),
                     saved.message().c_str());
      }
    }
  }
  return static_cast<int>(jobs.size());
}

}  // namespace vigil::api
