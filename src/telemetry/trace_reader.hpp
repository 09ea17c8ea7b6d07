#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.hpp"
#include "core/fields.hpp"
#include "core/frame.hpp"

namespace migpower {

struct TraceReaderOptions {
  bool lenient = false;  // skip bad rows (and count them) instead of throwing
};

// Reads a CSV trace (docs/trace-format.md) as frames, streaming in constant memory.
class TraceReader : public FrameSource {
 public:
  // path "-" reads standard input. Throws InputError if the file cannot be opened or the header
  // is bad (no timestamp/gpu_uuid/gpu_i_id column, duplicate column names).
  explicit TraceReader(std::string path, TraceReaderOptions options = {});
  ~TraceReader() override;
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  // Throws LocatedError on bad input unless lenient.
  bool next(Frame& out) override;

  [[nodiscard]] std::size_t rows_read() const { return rows_read_; }        // data rows consumed
  [[nodiscard]] std::size_t rows_skipped() const { return rows_skipped_; }  // lenient only
  // The first few (at most 5) skip messages, each with file:line.
  [[nodiscard]] const std::vector<std::string>& skip_examples() const { return skip_examples_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  // What a column holds; everything not in the contract is `ignored`.
  enum class Column : unsigned char {
    ignored,
    timestamp,
    gpu_uuid,
    gpu_model,
    gpu_i_id,
    gpu_i_profile,
    workload,
    truth_power,
    power,
    energy,
    sm_clock,
    mem_clock,
    temperature,
    power_limit,
    activity,
    fb_used,
  };
  // A frame being built or waiting to be handed out, with what building it needs.
  struct Slot {
    Frame frame;
    std::size_t used = 0;  // instances filled; frame.instances may hold more, to be reused
    const GpuModel* model = nullptr;
  };
  struct CachedProfile {
    const GpuModel* model = nullptr;
    std::string profile;
    int compute_slices = 0;
    int memory_slices = 0;
  };
  struct CachedModel {
    std::string name;
    const GpuModel* model = nullptr;
  };
  static constexpr int kAbsent = -1;

  bool next_record(std::string_view& record);
  bool refill();
  void read_header();
  void process_record(std::string_view record);
  void process_card_row(double timestamp, std::string_view text);
  void process_instance_row(std::string_view uuid);
  void advance_instant();
  Slot* find_pending(std::string_view uuid);
  const GpuModel* lookup_model(std::string_view name);
  const CachedProfile& lookup_profile(const GpuModel* model, std::string_view profile);
  [[nodiscard]] std::string_view cell(int column) const;
  // The cell as a finite number, >= 0 or, for a fraction, in 0..1; nullopt when empty.
  [[nodiscard]] std::optional<double> number(int column, bool fraction) const;
  [[noreturn]] void fail(int column, const std::string& message) const;

  std::string path_;
  std::string display_name_;  // the file name in messages
  TraceReaderOptions options_;
  int fd_ = -1;
  bool owns_fd_ = false;

  // Input buffer: bytes [begin_, end_) of buffer_ are read but not yet consumed.
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  std::size_t lines_consumed_ = 0;
  std::size_t record_line_ = 0;  // line where the current record starts

  // Header.
  std::vector<std::string> names_;
  std::vector<Column> kinds_;
  int timestamp_col_ = kAbsent;
  int uuid_col_ = kAbsent;
  int model_col_ = kAbsent;
  int id_col_ = kAbsent;
  int profile_col_ = kAbsent;
  int workload_col_ = kAbsent;
  int truth_col_ = kAbsent;
  int power_col_ = kAbsent;
  int energy_col_ = kAbsent;
  int sm_clock_col_ = kAbsent;
  int mem_clock_col_ = kAbsent;
  int temperature_col_ = kAbsent;
  int power_limit_col_ = kAbsent;
  int fb_col_ = kAbsent;
  std::array<int, kActivityCount> activity_cols_{};

  // The current record split into cells (views into buffer_ or scratch_).
  std::vector<std::string_view> cells_;
  std::string scratch_;

  // Frame grouping: pending frames share the current instant; ready ones are handed out.
  std::vector<Slot> pending_;
  std::size_t pending_count_ = 0;
  std::vector<Slot> ready_;
  std::size_t ready_count_ = 0;
  std::size_t ready_pos_ = 0;
  std::size_t last_slot_ = 0;  // where the previous row's GPU was found
  bool have_instant_ = false;
  double instant_s_ = 0.0;
  std::string last_timestamp_text_;  // parsing is skipped when a row repeats it
  double last_timestamp_s_ = 0.0;
  std::vector<std::string> skipped_cards_;  // GPUs whose card row was skipped this instant
  std::string_view row_card_uuid_;          // the GPU of the card row being processed
  bool finished_ = false;

  std::vector<CachedModel> models_;
  std::vector<CachedProfile> profiles_;
  std::size_t last_profile_ = 0;
  CachedProfile uncached_profile_;  // when the cache is full

  std::size_t rows_read_ = 0;
  std::size_t rows_skipped_ = 0;
  std::vector<std::string> skip_examples_;
};

}  // namespace migpower
