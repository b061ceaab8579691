#include "mail/curl_easy.h"

#include <mutex>

namespace entente::mail::internal {

Result<CurlEasy> NewCurlEasy() {
  static std::once_flag once;
  static CURLcode init = CURLE_OK;
  std::call_once(once, [] { init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init != CURLE_OK)
    return Fail(ErrorCode::kInternal,
                std::string("libcurl initialisation failed: ") + curl_easy_strerror(init));
  CurlEasy handle(curl_easy_init());
  if (!handle) return Fail(ErrorCode::kInternal, "libcurl: cannot create a transfer handle");
  curl_easy_setopt(handle.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle.get(), CURLOPT_NOPROGRESS, 1L);
  return handle;
}

Status AppendTo(CurlSlist& list, const std::string& item) {
  curl_slist* grown = curl_slist_append(list.get(), item.c_str());
  if (grown == nullptr) return Fail(ErrorCode::kInternal, "out of memory building a request");
  (void)list.release();
  list.reset(grown);
  return Ok();
}

std::string Redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
    text.replace(at, secret.size(), "***");
  return text;
}

std::string Printable(std::string_view text, size_t max, char replacement) {
  std::string out;
  for (char c : text) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c <= 0x7E) ? c : replacement;
  }
  return out;
}

}  // namespace entente::mail::internal
