# DNS abuse observatory: the zone reader, the feed readers (one target, the
# first byte picks the format) and the registration / registrar CSV readers.
entente_fuzz(NAME dnsabuse_zone SOURCES dnsabuse_zone_fuzz.cc DEPS dnsabuse)
entente_fuzz(NAME dnsabuse_feed SOURCES dnsabuse_feed_fuzz.cc DEPS dnsabuse)
entente_fuzz(NAME dnsabuse_registrations SOURCES dnsabuse_registrations_fuzz.cc DEPS dnsabuse)
# STIX bundles as feeds (src/dnsabuse/stix_feed.h).
entente_fuzz(NAME dnsabuse_stix SOURCES dnsabuse_stix_fuzz.cc DEPS dnsabuse_stix)
