// SPDX-License-Identifier: AGPL-3.0-or-later
// Auto-index pages (Apache's table and <pre> shapes, nginx) and archive file names. Listings are untrusted:
// a name becomes one path component of the cache only when IsSafeFileName admits it.
#include <cctype>
#include <cmath>

#include "acquire/acquire.h"
#include "acquire/internal.h"
#include "acquire/text.h"

namespace vigil::acquire {

bool IsSafeFileName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  if (name == "." || name == ".." || name.find("..") != std::string_view::npos) return false;
  for (char ch : name) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || c >= 0x80 || ch == '/' || ch == '\\' || ch == '%') return false;
  }
  return true;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes and the few HTML entities auto-index pages use inside attributes.
std::string DecodeHref(std::string_view href) {
  std::string out;
  for (size_t i = 0; i < href.size(); ++i) {
    if (href[i] == '%' && i + 2 < href.size() && HexValue(href[i + 1]) >= 0 && HexValue(href[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(href[i + 1]) * 16 + HexValue(href[i + 2]));
      i += 2;
    } else if (href.substr(i, 5) == "&amp;") {
      out += '&';
      i += 4;
    } else {
      out += href[i];
    }
  }
  return out;
}

// The value of attribute `href` inside one tag's text ("a href=\"x\" ..."), or nullopt.
std::optional<std::string_view> HrefOf(std::string_view tag) {
  size_t at = 0;
  while ((at = tag.find("href", at)) != std::string_view::npos) {
    size_t p = at + 4;
    while (p < tag.size() && tag[p] == ' ') ++p;
    if (p >= tag.size() || tag[p] != '=') {
      at = p;
      continue;
    }
    ++p;
    while (p < tag.size() && tag[p] == ' ') ++p;
    if (p >= tag.size()) return std::nullopt;
    char quote = tag[p];
    if (quote == '"' || quote == '\'') {
      size_t end = tag.find(quote, p + 1);
      if (end == std::string_view::npos) return std::nullopt;
      return tag.substr(p + 1, end - p - 1);
    }
    size_t end = tag.find_first_of(" >", p);
    return tag.substr(p, end == std::string_view::npos ? std::string_view::npos : end - p);
  }
  return std::nullopt;
}

// Visible text of an HTML fragment: tags removed, &nbsp; as a blank.
std::string VisibleText(std::string_view html) {
  std::string out;
  bool in_tag = false;
  for (size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    if (in_tag) {
      in_tag = c != '>';
    } else if (c == '<') {
      in_tag = true;
      out += ' ';
    } else if (html.substr(i, 6) == "&nbsp;") {
      out += ' ';
      i += 5;
    } else {
      out += c;
    }
  }
  return out;
}

// "1234" (exact bytes) or "3.2M" / "372K" / "1.5G" (rounded, 1024-based as Apache and nginx print them).
ListedSize ParseListedSize(std::string_view token) {
  ListedSize size;
  if (token.empty()) return size;
  if (std::optional<int64_t> exact = ParseDecimal(token)) {
    size.low = size.high = *exact;
    return size;
  }
  double unit = 0;
  switch (std::toupper(static_cast<unsigned char>(token.back()))) {
    case 'K':
      unit = 1024.0;
      break;
    case 'M':
      unit = 1024.0 * 1024;
      break;
    case 'G':
      unit = 1024.0 * 1024 * 1024;
      break;
    case 'T':
      unit = 1024.0 * 1024 * 1024 * 1024;
      break;
    default:
      return size;
  }
  std::string_view number = token.substr(0, token.size() - 1);
  size_t dot = number.find('.');
  std::optional<int64_t> whole = ParseDecimal(number.substr(0, dot));
  if (!whole) return size;
  double value = static_cast<double>(*whole);
  double step = 1;
  if (dot != std::string_view::npos) {
    std::string_view fraction = number.substr(dot + 1);
    std::optional<int64_t> digits = ParseDecimal(fraction);
    if (!digits || fraction.size() > 3) return size;
    step = std::pow(10.0, -static_cast<double>(fraction.size()));
    value += static_cast<double>(*digits) * step;
  }
  // One step of the last printed digit either way covers any rounding rule.
  size.low = static_cast<int64_t>(std::max(0.0, (value - step) * unit));
  size.high = static_cast<int64_t>(std::ceil((value + step) * unit));
  return size;
}

// A navigation link of an auto-index page (sorting, parent folder), not an entry.
bool IsNavigation(std::string_view href) {
  return href.empty() || href[0] == '?' || href[0] == '#' || href == "../" || href == "./" ||
         (href[0] == '/' && href.back() == '/');
}

}  // namespace

std::vector<ListingEntry> ParseAutoIndex(std::string_view html, std::vector<std::string>* refused) {
  std::vector<ListingEntry> entries;
  size_t at = 0;
  while ((at = html.find("<a ", at)) != std::string_view::npos) {
    size_t tag_end = html.find('>', at);
    if (tag_end == std::string_view::npos) break;
    std::optional<std::string_view> href = HrefOf(html.substr(at + 3, tag_end - at - 3));
    size_t close = html.find("</a>", tag_end);
    size_t next = html.find("<a ", tag_end);
    size_t row_end = std::min(
        {next, html.find('\n', close == std::string_view::npos ? tag_end : close), html.find("</tr>", tag_end)});
    at = tag_end;
    if (!href || IsNavigation(*href)) continue;
    std::string name = DecodeHref(*href);
    bool folder = !name.empty() && name.back() == '/';
    std::string bare = folder ? name.substr(0, name.size() - 1) : name;
    if (!IsSafeFileName(bare)) {
      if (refused && refused->size() < 100) {
        std::string shown;
        for (char ch : std::string_view(*href).substr(0, 80))
          shown += (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ? '?' : ch;
        refused->push_back("unsafe name '" + shown + "'" + (href->size() > 80 ? "..." : ""));
      }
      continue;
    }
    ListingEntry entry;
    entry.name = name;
    if (close != std::string_view::npos && close < row_end) {
      std::string tail = VisibleText(
          html.substr(close + 4, row_end == std::string_view::npos ? std::string_view::npos : row_end - close - 4));
      // nginx ends its rows with CRLF and may align with tabs: any whitespace separates the size.
      for (char& ch : tail)
        if (ch == '\r' || ch == '\t') ch = ' ';
      std::vector<std::string> tokens = SplitList(tail, ' ');
      if (!tokens.empty()) entry.size = ParseListedSize(tokens.back());
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::optional<UnixSeconds> ParseArchiveFileTime(std::string_view name, std::string_view prefix,
                                                std::string_view extension) {
  // <prefix>YYYYMMDD.HHMM<extension>
  if (name.size() != prefix.size() + 13 + extension.size()) return std::nullopt;
  if (name.substr(0, prefix.size()) != prefix || name.substr(name.size() - extension.size()) != extension)
    return std::nullopt;
  std::string_view stamp = name.substr(prefix.size(), 13);
  if (stamp[8] != '.') return std::nullopt;
  std::string iso = std::string(stamp.substr(0, 4)) + "-" + std::string(stamp.substr(4, 2)) + "-" +
                    std::string(stamp.substr(6, 2)) + "T" + std::string(stamp.substr(9, 2)) + ":" +
                    std::string(stamp.substr(11, 2)) + ":00Z";
  for (char c : std::string(stamp.substr(0, 8)) + std::string(stamp.substr(9)))
    if (c < '0' || c > '9') return std::nullopt;
  Result<UnixSeconds> t = ParseTime(iso);
  if (!t.ok()) return std::nullopt;
  return *t;
}

}  // namespace vigil::acquire
