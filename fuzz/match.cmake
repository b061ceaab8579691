# The matching module's parsers of untrusted input: log lines of every
# format, the value normalisers, and indicator files (plain, CSV, JSON lines,
# STIX patterns), and the body of POST /api/v1/match.
entente_fuzz(NAME match_readers SOURCES match_readers_fuzz.cc DEPS match)
entente_fuzz(NAME match_normalize SOURCES match_normalize_fuzz.cc DEPS match)
entente_fuzz(NAME match_indicators SOURCES match_indicators_fuzz.cc DEPS match)
entente_fuzz(NAME match_batch SOURCES match_batch_fuzz.cc DEPS match)
