file(READ ${IN} CONTENT)
set(DELIM "oapi_")
file(WRITE ${OUT} "// Generated from src/api/openapi.json; do not edit.\n#include \"api/node.h\"\nnamespace entente::api {\nconst std::string& OpenApiDocument() {\n  static const std::string doc = R\"${DELIM}(${CONTENT})${DELIM}\";\n  return doc;\n}\n}  // namespace entente::api\n")
