// Command groups defined in their own files (src/app/cli_<area>.cc), so that
// each area's commands live beside nothing else. A group adds its
// subcommands to the application before parsing; after parsing, main() asks
// each group in turn to run, and the first that recognises a parsed
// subcommand returns the process's exit code.
//
//   class IntelCommands final : public CommandGroup { ... };
//   ENTENTE_CLI_GROUP(IntelCommands);
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/node.h"

namespace entente::cli {

// The global options every command shares (--data, --db, --json).
struct Context {
  std::string data_dir = "var";
  std::string db_url;
  bool json = false;
  api::NodeOptions Options() const;
};

class CommandGroup {
 public:
  virtual ~CommandGroup() = default;
  // Adds the group's subcommands (to `app` or under an existing one).
  virtual void Register(CLI::App& app) = 0;
  // After parsing: the exit code if one of this group's subcommands was
  // parsed, std::nullopt otherwise.
  virtual std::optional<int> Run(const Context& context) = 0;
};

// How every command fails: "entente: <message>" on one line of stderr, exit
// code 1 (defined in main.cc).
[[noreturn]] void Die(const std::string& message);

template <class T>
T OrDie(Result<T> r) {
  if (!r) Die(r.error().ToString());
  return std::move(*r);
}
inline void OrDie(Status s) {
  if (!s) Die(s.error().ToString());
}

using GroupFactory = std::function<std::unique_ptr<CommandGroup>()>;
std::vector<GroupFactory>& GroupFactories();

struct GroupRegistrar {
  explicit GroupRegistrar(GroupFactory f) { GroupFactories().push_back(std::move(f)); }
};

}  // namespace entente::cli

#define ENTENTE_CLI_GROUP(Type)                                                            \
  static const ::entente::cli::GroupRegistrar entente_cli_group_##Type {                   \
    [] { return std::unique_ptr<::entente::cli::CommandGroup>(std::make_unique<Type>()); } \
  }
