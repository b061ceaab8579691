// libcurl plumbing shared by the SMTP and webhook senders; internal to the
// mail module (other modules must not include it).
//
// curl_global_init runs once per process, on first use, under
// std::call_once. Easy handles are owned by CurlEasy and used by one thread
// at a time (each Send/Post makes its own).
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace entente::mail::internal {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// A new easy handle with what every transfer here wants: no signals (safe in
// threads), no progress meter, no output to stderr. kInternal on failure.
Result<CurlEasy> NewCurlEasy();

// Appends a copy of `item` to `list`; kInternal when out of memory.
Status AppendTo(CurlSlist& list, const std::string& item);

// `text` with every occurrence of `secret` replaced by "***" (no-op for an
// empty secret): a last guard so a password can never reach an error.
std::string Redact(std::string text, std::string_view secret);

// At most `max` characters of `text` for an error message or a log line, each
// byte outside printable ASCII replaced by `replacement`, "..." when cut.
std::string Printable(std::string_view text, size_t max, char replacement);

}  // namespace entente::mail::internal
