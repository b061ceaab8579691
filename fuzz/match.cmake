# The matching module's parsers of untrusted input: log lines of every
# format, the value normalisers, and indicator files (plain, CSV, JSON lines,
# STIX patterns).
entente_fuzz(NAME match_readers SOURCES match_readers_fuzz.cc DEPS match)
entente_fuzz(NAME match_normalize SOURCES match_normalize_fuzz.cc DEPS match)
entente_fuzz(NAME match_indicators SOURCES match_indicators_fuzz.cc DEPS match)
