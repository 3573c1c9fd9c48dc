#include "api/cli.h"

namespace onebill::api::cli {

void add_tx_commands(CLI::App& /*root*/, CommandContext& /*context*/) {}

}  // namespace onebill::api::cli
