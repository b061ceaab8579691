// Internet messages (RFC 5322 + MIME) for outbound notices.
//
// A MailMessage is what a caller wants to say: recipients, a UTF-8 subject, a
// plain-text UTF-8 body and a few extra headers. ComposeMessage turns it into
// the exact bytes handed to an SMTP server: CRLF line endings, the subject
// RFC 2047 encoded when it is not short printable ASCII, the body as 7bit
// when it is short-lined ASCII and quoted-printable otherwise, so the
// message needs no 8BITMIME or SMTPUTF8 from any server on the way.
//
// Everything is validated before a byte is produced: a line break in any
// header value or address (header injection), a malformed address, invalid
// UTF-8, control characters, a reserved or malformed header name and
// oversized input are kInvalidArgument errors whose `field` names the input
// at fault ("to[1]", "subject", "headers[0].value", ...). Addresses are ASCII
// dot-atoms (`local@example.org`); quoted local parts and internationalised
// addresses are refused.
//
// All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace entente::mail {

// Input bounds.
inline constexpr size_t kMaxRecipients = 100;
inline constexpr size_t kMaxAddressBytes = 254;
inline constexpr size_t kMaxSubjectBytes = 1000;
inline constexpr size_t kMaxBodyBytes = 4 << 20;
inline constexpr size_t kMaxExtraHeaders = 32;
inline constexpr size_t kMaxHeaderValueBytes = 900;

struct MailHeader {
  std::string name;   // e.g. "Reply-To", "X-Entente-Notice"; not one ComposeMessage sets itself
  std::string value;  // printable ASCII, no line breaks
};

struct MailMessage {
  std::vector<std::string> to;  // 1..kMaxRecipients addresses; also the envelope recipients
  std::string subject;          // UTF-8
  std::string body;             // UTF-8 plain text; any line ending becomes CRLF
  std::vector<MailHeader> headers;
  // "<id@domain>" or "id@domain"; empty: "<UUIDv7@domain of the sender>".
  std::string message_id;
};

// Who the message is from and when; filled by the sender from its config.
struct Origin {
  std::string from;       // envelope sender and From: address
  std::string from_name;  // optional display name (UTF-8)
  Millis date = 0;        // Date: header, UTC
};

// OK when `address` is an ASCII dot-atom `local@domain` within the bounds;
// the error names `field`.
Status ValidateAddress(std::string_view address, std::string_view field);

// OK when `text` is valid UTF-8 of at most `max_bytes` without line breaks
// (header injection) or other control characters; the error names `field`.
Status ValidateHeaderText(std::string_view text, std::string_view field, size_t max_bytes);

// The domain part of a valid address.
std::string_view AddressDomain(std::string_view address);

// An unstructured header value as RFC 2047 "=?UTF-8?B?...?=" encoded words
// (each at most 75 characters, split on character boundaries, folded with
// CRLF SP), or unchanged when it is printable ASCII that fits a header line
// of `name` and contains no "=?". `text` must be valid UTF-8.
std::string EncodeHeaderText(std::string_view name, std::string_view text);

// RFC 2045 quoted-printable of text whose lines end in CRLF; output lines end
// in CRLF and are at most 76 characters.
std::string EncodeQuotedPrintable(std::string_view crlf_text);

// RFC 5322 "Mon, 13 Nov 2023 22:13:20 +0000".
std::string FormatRfc5322Date(Millis ms);

// The complete message (headers and body, CRLF line endings).
// `default_message_id` ("<id@domain>") is used when msg.message_id is empty.
Result<std::string> ComposeMessage(const MailMessage& msg, const Origin& origin,
                                   std::string_view default_message_id);

}  // namespace entente::mail
