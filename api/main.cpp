// onebill: one binary for the node, the keys, the documents and the CLI of carriers, banks and customs.
#include <cstdio>
#include <iostream>

#include "api/cli.h"

#ifdef ONEBILL_JEMALLOC
// jemalloc's settings (read by the allocator at start; MALLOC_CONF in the environment adds to them).
// Freed pages are kept for reuse rather than handed back to the kernel after 10 s: handing them back
// and faulting them in again on the next burst cost a node's reads a p99 of 20-150 ms instead of 4 ms
// (docs/PERFORMANCE.md). Memory stays bounded by the peak the node reached.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "dirty_decay_ms:-1,muzzy_decay_ms:-1";
}
#endif

int main(int argc, char** argv) {
  using namespace onebill::api::cli;
  CLI::App app{
      "OneBill: a permissioned ledger for multimodal electronic bills of lading.\n"
      "Run `onebill <command> --help` for the options of a command."};
  app.name("onebill");
  app.require_subcommand(1);
  app.set_version_flag("--version", "onebill 0.1.0");
  CommandContext context;
  add_init_command(app, context);
  add_node_command(app, context);
  add_key_commands(app, context);
  add_tx_commands(app, context);
  add_doc_commands(app, context);
  add_bill_commands(app, context);
  add_demo_command(app, context);
  add_bench_command(app, context);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : exit_error;
  }
  if (!context.run) {
    std::cerr << app.help();
    return exit_error;
  }
  return context.run();
}
