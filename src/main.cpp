#include "cli/app.hpp"

int main(int argc, char** argv) { return migpower::cli::run(argc, argv); }
