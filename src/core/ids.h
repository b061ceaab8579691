// UUIDv7 identifiers (RFC 9562), made by the application.
//
// Ids sort by creation time (48-bit millisecond prefix), then by a
// monotonic counter within one process, so ids made in one process are
// strictly increasing. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"

namespace entente {

// A new UUIDv7 in canonical lower-case 8-4-4-4-12 form.
std::string NewUuidV7(const Clock& clock);

// True for a canonical lower-case UUID string (any version).
bool IsUuid(std::string_view s);

}  // namespace entente
