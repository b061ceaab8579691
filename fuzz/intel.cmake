# STIX 2.1 intelligence: the pattern parser (with its round-trip property)
# and the bundle importer's validation path (envelope reader, object parser,
# schema and specification rules).
entente_fuzz(NAME intel_pattern SOURCES intel_pattern_fuzz.cc DEPS intel)
entente_fuzz(NAME intel_bundle SOURCES intel_bundle_fuzz.cc DEPS intel)
# Community charters (API bodies and envelopes from other nodes).
entente_fuzz(NAME intel_community SOURCES intel_community_fuzz.cc DEPS intel_community)
# Observable values (correlation keys) and sighting inputs of API bodies.
entente_fuzz(NAME intel_observable SOURCES intel_observable_fuzz.cc DEPS intel)
