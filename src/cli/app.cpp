#include "cli/app.hpp"

namespace migpower::cli {

int run(int /*argc*/, char** /*argv*/) { return 0; }

}  // namespace migpower::cli
