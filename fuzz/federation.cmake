# Federation: feed pages and signed request headers read from peers.
entente_fuzz(NAME federation_input SOURCES federation_input_fuzz.cc DEPS federation)
