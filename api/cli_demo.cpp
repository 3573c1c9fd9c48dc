#include "api/cli.h"

namespace onebill::api::cli {

void add_demo_command(CLI::App& /*root*/, CommandContext& /*context*/) {}

}  // namespace onebill::api::cli
