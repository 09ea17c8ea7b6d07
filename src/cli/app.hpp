#pragma once

namespace migpower::cli {

// Parses the command line, runs one subcommand, returns the process exit code:
// 0 ok, 1 bad input, 2 usage.
int run(int argc, char** argv);

}  // namespace migpower::cli
