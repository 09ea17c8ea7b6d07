#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
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
  // The fields the reader fills, each with a fixed slot. A column names one field or none.
  enum Text : unsigned char { kTimestamp, kUuid, kModel, kId, kProfile, kWorkload, kTextCount };
  enum Number : unsigned char {
    kTruth,
    kPower,
    kEnergy,
    kSmClock,
    kMemClock,
    kTemperature,
    kPowerLimit,
    kFbUsed,
    kFirstActivity,  // kActivityCount fractions follow
    kNumberCount = kFirstActivity + kActivityCount,
  };
  // How the hot loop treats a column: one byte of kind and one of slot, so a row's plan is small.
  enum class Cell : unsigned char { ignored, text, number };
  struct ColumnPlan {
    Cell kind = Cell::ignored;
    unsigned char slot = 0;  // a Text or a Number
  };
  // The fast path visits only the columns that fill a field, one list per kind.
  struct TextColumn {
    std::size_t column = 0;
    Text slot = kTimestamp;
  };
  struct NumberColumn {
    std::size_t column = 0;
    unsigned slot = 0;
    std::uint32_t bit = 0;  // the slot's bit in present_
    double limit = 0.0;     // the largest value allowed
  };
  // Adjacent number columns of the card's fields, or of an instance's: a row of the other kind
  // leaves them all empty, which one comparison sees.
  struct NumberRun {
    std::size_t first_column = 0;
    std::size_t columns = 0;
    std::size_t first_number = 0;  // its first entry in number_columns_
  };
  // A frame being built or waiting to be handed out, with what building it needs.
  struct Slot {
    Frame frame;
    std::size_t used = 0;         // instances filled; frame.instances may hold more, to be reused
    std::uint64_t small_ids = 0;  // bit i: instance i is in the frame (ids below 64)
    const GpuModel* model = nullptr;
  };
  struct CachedProfile {
    const GpuModel* model = nullptr;
    std::string profile;
    int compute_slices = 0;
    int memory_slices = 0;
  };
  struct SkippedCard {
    std::string gpu_uuid;
    double timestamp_s = 0.0;
  };
  struct CachedModel {
    std::string name;
    const GpuModel* model = nullptr;
  };
  static constexpr int kAbsent = -1;

  bool next_record(std::string_view& record);
  bool next_record_slow(std::string_view& record);
  std::size_t next_quote();
  bool refill();
  void read_header();
  void process_record(std::string_view record);
  bool scan_fast(std::string_view record);
  void scan_plain(std::string_view record);
  void scan_quoted(std::string_view record);
  void parse_cell(std::size_t column);
  void parse_timestamp(std::size_t column);
  void check_range(std::size_t column, double number) const;
  void process_card_row();
  void process_instance_row();
  void advance_instant();
  void note_skipped_card(std::string_view record);
  [[nodiscard]] bool skipped_card(std::string_view uuid, double timestamp) const;
  Slot* find_pending(std::string_view uuid);
  Slot* find_pending_slow(std::string_view uuid);
  const GpuModel* lookup_model(std::string_view name);
  const CachedProfile& lookup_profile(const GpuModel* model, std::string_view profile);
  const CachedProfile& lookup_profile_slow(const GpuModel* model, std::string_view profile);
  [[nodiscard]] std::string_view text(Text field) const { return texts_[field]; }
  [[nodiscard]] std::optional<double> number(unsigned field) const;
  [[noreturn]] void fail(std::size_t column, const std::string& message) const;
  [[noreturn]] void fail_cell_count(std::size_t found) const;

  std::string path_;
  std::string display_name_;  // the file name in messages
  TraceReaderOptions options_;
  int fd_ = -1;
  bool owns_fd_ = false;

  // Input: bytes [begin_, end_) of buffer_ are read but not consumed. buffer_ has slack past
  // capacity_ so the hot loop may read a few bytes beyond a record; buffer_[end_] is '\n'.
  std::vector<char> buffer_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  bool record_quoted_ = false;  // the current record holds a quote character
  std::size_t next_quote_ = 0;  // a quote character's offset, or end_; valid while known
  bool next_quote_known_ = false;
  std::size_t lines_consumed_ = 0;
  std::size_t record_line_ = 0;  // line where the current record starts

  // Header: per column its name and plan; the columns the messages of row checks name.
  std::vector<std::string> names_;
  std::vector<ColumnPlan> plans_;
  std::vector<TextColumn> text_columns_;
  std::vector<NumberColumn> number_columns_;
  std::vector<NumberRun> number_runs_;
  int timestamp_col_ = kAbsent;
  int uuid_col_ = kAbsent;
  int id_col_ = kAbsent;
  int profile_col_ = kAbsent;

  // The current record. The general path splits it into cells_ first; both paths leave each
  // field's text in texts_ (empty when absent) and each number in numbers_, present where its
  // bit in present_ is set.
  std::vector<std::string_view> cells_;
  std::vector<std::uint32_t> bounds_;  // fast path: column c's cell is (bounds_[c], bounds_[c + 1])
  std::array<std::string_view, kTextCount> texts_{};
  std::array<double, kNumberCount> numbers_{};
  std::uint32_t present_ = 0;
  double timestamp_s_ = 0.0;
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
  std::vector<SkippedCard> skipped_cards_;  // lenient: card rows skipped, for their instances
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
