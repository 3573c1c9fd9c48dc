// The `onebill` command line. Each group of commands lives in its own file and registers itself on the
// root app; a command's callback stores what to run in `CommandContext::run`, and main returns its code.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "crypto/result.h"

namespace onebill::api::cli {

struct CommandContext {
  std::function<int()> run;  // set by the chosen command's callback
};

// Exit codes shared by every command.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;  // the answer is "no" (invalid transaction, INVALID document)
inline constexpr int exit_error = 2;   // the command could not do its job (bad input, unreachable node)

// Prints "error: <rule>: <detail>" to stderr and returns exit_error.
int report(const Problem& problem);

void add_key_commands(CLI::App& root, CommandContext& context);
void add_tx_commands(CLI::App& root, CommandContext& context);
void add_doc_commands(CLI::App& root, CommandContext& context);
void add_init_command(CLI::App& root, CommandContext& context);
void add_node_command(CLI::App& root, CommandContext& context);
void add_bill_commands(CLI::App& root, CommandContext& context);
void add_demo_command(CLI::App& root, CommandContext& context);
void add_bench_command(CLI::App& root, CommandContext& context);

}  // namespace onebill::api::cli
