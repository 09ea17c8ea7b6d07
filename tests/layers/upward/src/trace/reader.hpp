#pragma once
// A trace file that reaches up into the simulator: check-layers must name this line.
#include "core/frame.hpp"
#include "sim/simulator.hpp"
