// Finding the GPUs and keeping their MIG layouts current: NVML initialization, re-discovery of a
// lost GPU with backoff, and the periodic re-enumeration of each card's MIG devices.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sources/nvml/nvml_api.hpp"
#include "sources/nvml/nvml_card.hpp"
#include "sources/nvml/nvml_session.hpp"

namespace migpower::nvml {

// The GPUs NVML sees, each with its MIG layout. Shuts NVML down when destroyed.
class Discovery {
 public:
  explicit Discovery(Session& session);
  ~Discovery();
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  // Initializes NVML (again) and finds every GPU and its layout. False, with the reason, when
  // NVML cannot be initialized or no GPU answers.
  bool discover(std::string& error, Return& code);

  // Re-discovers lost GPUs when due, and re-checks MIG layouts every so often.
  void maintain();

  // Enumerates the card's instances again and adopts them if they changed.
  void refresh_layout(Card& card, bool count_change = true);

  // Frees what NVML gave out and shuts NVML down.
  void shutdown();

  [[nodiscard]] std::vector<Card>& cards() { return cards_; }
  [[nodiscard]] const std::vector<Card>& cards() const { return cards_; }
  [[nodiscard]] std::uint64_t rediscoveries() const { return rediscoveries_; }
  [[nodiscard]] std::uint64_t layout_changes() const { return layout_changes_; }

 private:
  // Frees what NVML gave out and remembers each GPU's capabilities for after re-discovery.
  void release_cards();
  // Each capability off from the start that this library cannot offer.
  void init_caps(Card& card) const;
  // The MIG devices of `card`, grouped by GPU instance. False when the card is lost.
  bool scan_layout(Card& card, bool& mig_on, std::string& note, std::vector<Instance>& out);
  // Profile, slices and memory of a GPU instance, from one of its MIG devices.
  void describe_instance(const Card& card, Device mig, Instance& instance) const;

  Session& session_;
  bool initialized_ = false;
  std::vector<Card> cards_;
  std::map<std::string, Remembered> remembered_;  // by UUID
  std::vector<std::string> known_uuids_;  // every GPU seen: re-discovery looks for all of them
  std::uint64_t rediscoveries_ = 0;
  std::uint64_t layout_changes_ = 0;
};

}  // namespace migpower::nvml
