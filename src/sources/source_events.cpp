#include "sources/source_events.hpp"

#include <iostream>

namespace migpower {

void tell_source_event(const std::function<void(const std::string&)>& handler,
                       const std::string& message) {
  if (handler) {
    handler(message);
  } else {
    std::cerr << "migpower: " << message << '\n';
  }
}

}  // namespace migpower
