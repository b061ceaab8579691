# TAXII 2.1: the query parameters, cursor, timestamps, media types and Basic
# credentials of taxii/query.h.
entente_fuzz(NAME taxii_query SOURCES taxii_query_fuzz.cc DEPS taxii)
