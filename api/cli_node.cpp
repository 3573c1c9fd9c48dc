#include "api/cli.h"

namespace onebill::api::cli {

void add_node_command(CLI::App& /*root*/, CommandContext& /*context*/) {}

}  // namespace onebill::api::cli
