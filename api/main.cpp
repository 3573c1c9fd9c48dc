// onebill: one binary for the node, the keys, the documents and the CLI of carriers, banks and customs.
#include <cstdio>
#include <iostream>

#include "api/cli.h"

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
