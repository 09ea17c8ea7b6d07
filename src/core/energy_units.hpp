#pragma once

namespace migpower {

// Joules in a kilowatt-hour: ledgers store joules, bills and carbon factors speak kWh.
inline constexpr double kJoulesPerKwh = 3.6e6;

}  // namespace migpower
