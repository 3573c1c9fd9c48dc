#include "api/cli.h"

#include <iostream>

namespace onebill::api::cli {

int report(const Problem& problem) {
  std::cerr << "error: " << problem.rule << ": " << problem.detail << "\n";
  return exit_error;
}

}  // namespace onebill::api::cli
