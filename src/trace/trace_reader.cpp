#include "trace/trace_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/error.hpp"
#include "core/parse_number.hpp"
#include "trace/csv_split.hpp"

namespace migpower {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
constexpr std::size_t kSlack = 64;  // readable bytes past the data, for 8- and 16-byte loads
constexpr std::size_t kMaxSkipExamples = 5;
constexpr std::size_t kMaxCachedModels = 64;  // bounds memory on hostile input
constexpr std::size_t kMaxCachedProfiles = 256;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr double kNoLimit = std::numeric_limits<double>::max();
constexpr std::uint32_t kBeforeRecord = ~std::uint32_t{0};  // the first cell starts one past it: 0

// The largest value a number field allows: utilization fields are fractions.
double upper_limit(unsigned field, unsigned first_activity) {
  return field >= first_activity ? 1.0 : kNoLimit;
}

template <typename Word>
Word load(const char* p) {
  Word word;
  std::memcpy(&word, p, sizeof(word));
  return word;
}

// Equal texts, compared inline with a few overlapping loads: the texts compared per row (uuid,
// timestamp, profile, workload) are short, and a call to memcmp costs more than the comparison.
bool same_text(std::string_view a, std::string_view b) {
  std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
#if defined(__SSE2__)
  if (n >= 16) {  // a uuid: 16 bytes at a time
    const auto equal16 = [](const char* x, const char* y) {
      const __m128i u = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x));
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(y));
      return _mm_movemask_epi8(_mm_cmpeq_epi8(u, v)) == 0xFFFF;
    };
    for (; n > 16; n -= 16, p += 16, q += 16) {
      if (!equal16(p, q)) return false;
    }
    return equal16(p + n - 16, q + n - 16);  // overlapping
  }
#endif
  if (n >= 8) {
    for (; n > 8; n -= 8, p += 8, q += 8) {
      if (load<std::uint64_t>(p) != load<std::uint64_t>(q)) return false;
    }
    return load<std::uint64_t>(p + n - 8) == load<std::uint64_t>(q + n - 8);  // overlapping
  }
  if (n >= 4) {
    return load<std::uint32_t>(p) == load<std::uint32_t>(q) &&
           load<std::uint32_t>(p + n - 4) == load<std::uint32_t>(q + n - 4);
  }
  // 0 to 3 bytes: the first, middle and last cover them all.
  return n == 0 || (p[0] == q[0] && p[n / 2] == q[n / 2] && p[n - 1] == q[n - 1]);
}

// Reused frames mostly hold the text already: comparing is cheaper than copying.
void assign_text(std::string& to, std::string_view text) {
  if (!same_text(to, text)) to.assign(text);
}

}  // namespace

TraceReader::TraceReader(std::string path, TraceReaderOptions options)
    : path_(std::move(path)),
      display_name_(path_ == "-" ? "<stdin>" : path_),
      options_(options),
      buffer_(kChunkBytes + kSlack, '\n'),
      capacity_(kChunkBytes) {
  if (path_ == "-") {
    fd_ = STDIN_FILENO;
  } else {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      throw InputError("cannot open trace '" + path_ + "': " + std::strerror(errno));
    }
    owns_fd_ = true;
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  try {
    read_header();
  } catch (...) {
    if (owns_fd_) ::close(fd_);
    throw;
  }
}

TraceReader::~TraceReader() {
  if (owns_fd_) ::close(fd_);
}

bool TraceReader::refill() {
  next_quote_known_ = false;  // the bytes move
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == capacity_) {  // one record longer than the buffer: grow (rare)
    capacity_ *= 2;
    buffer_.resize(capacity_ + kSlack);
  }
  while (true) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, capacity_ - end_);
    if (n > 0) {
      end_ += static_cast<std::size_t>(n);
      buffer_[end_] = '\n';  // a sentinel: every record is followed by a non-digit
      return true;
    }
    if (n == 0) {
      eof_ = true;
      buffer_[end_] = '\n';
      return false;
    }
    if (errno != EINTR) {
      throw InputError("cannot read trace '" + display_name_ + "': " + std::strerror(errno));
    }
  }
}

// Where the next quote character in the buffer is (end_ if none): one search serves all the
// records before it.
std::size_t TraceReader::next_quote() {
  if (!next_quote_known_ || next_quote_ < begin_) {
    const void* found = std::memchr(buffer_.data() + begin_, '"', end_ - begin_);
    next_quote_ = found != nullptr
                      ? static_cast<std::size_t>(static_cast<const char*>(found) - buffer_.data())
                      : end_;
    next_quote_known_ = true;
  }
  return next_quote_;
}

// Finds the next record: up to the first newline outside a quoted cell.
bool TraceReader::next_record(std::string_view& record) {
  // Most records end at a newline in the buffer with no quote before it.
  if (const void* found =
          begin_ < end_ ? std::memchr(buffer_.data() + begin_, '\n', end_ - begin_) : nullptr) {
    const auto stop = static_cast<std::size_t>(static_cast<const char*>(found) - buffer_.data());
    if (stop < next_quote()) {
      std::size_t length = stop - begin_;
      if (length > 0 && buffer_[stop - 1] == '\r') --length;
      record = std::string_view(buffer_.data() + begin_, length);
      record_quoted_ = false;
      record_line_ = ++lines_consumed_;
      begin_ = stop + 1;
      return true;
    }
  }
  return next_record_slow(record);
}

// The general case: quoted cells (which may hold newlines), a record past the buffer's end.
bool TraceReader::next_record_slow(std::string_view& record) {
  std::size_t search = begin_;  // where to look for the next newline
  std::size_t quotes = 0;       // quote characters in [begin_, search)
  std::size_t inner_lines = 0;  // newlines inside quoted cells of this record
  while (true) {
    const void* found =
        search < end_ ? std::memchr(buffer_.data() + search, '\n', end_ - search) : nullptr;
    std::size_t stop = 0;
    if (found != nullptr) {
      stop = static_cast<std::size_t>(static_cast<const char*>(found) - buffer_.data());
      const char* const from = buffer_.data() + search;
      if (std::memchr(from, '"', stop - search) != nullptr) {
        quotes += static_cast<std::size_t>(std::count(from, from + (stop - search), '"'));
      }
      if (quotes % 2 != 0) {  // the newline is inside a quoted cell
        search = stop + 1;
        ++inner_lines;
        continue;
      }
    } else {
      const std::size_t offset = search - begin_;
      const bool more = !eof_ && refill();  // moves the unread bytes to the front
      search = begin_ + offset;
      if (more) continue;
      if (begin_ == end_) return false;
      stop = end_;  // the last line has no newline
      if (std::memchr(buffer_.data() + search, '"', stop - search) != nullptr) ++quotes;
    }
    const char* const base = buffer_.data();
    std::size_t length = stop - begin_;
    if (length > 0 && base[begin_ + length - 1] == '\r') --length;
    record = std::string_view(base + begin_, length);
    record_quoted_ = quotes > 0;
    record_line_ = lines_consumed_ + 1;
    lines_consumed_ += 1 + inner_lines;
    begin_ = std::min(stop + 1, end_);
    return true;
  }
}

void TraceReader::read_header() {
  std::string_view header;
  do {
    if (!next_record(header)) {
      throw InputError("trace '" + display_name_ + "' is empty: it has no header line");
    }
    if (record_line_ == 1 && header.starts_with(kUtf8Bom)) header.remove_prefix(kUtf8Bom.size());
  } while (header.empty());

  std::vector<std::string_view> cells(header.size() + 1);
  const CsvSplit split = split_csv_record(header, cells, scratch_);
  if (!split.error.empty()) {
    throw LocatedError(display_name_, record_line_, "", "bad header: " + std::string(split.error));
  }
  struct Known {
    std::string_view name;
    Cell kind;
    unsigned char slot;
  };
  const Known known[] = {
      {field::kTimestamp, Cell::text, kTimestamp},
      {field::kGpuUuid, Cell::text, kUuid},
      {field::kGpuModel, Cell::text, kModel},
      {field::kGpuInstanceId, Cell::text, kId},
      {field::kGpuInstanceProfile, Cell::text, kProfile},
      {field::kWorkload, Cell::text, kWorkload},
      {field::kTruthPower, Cell::number, kTruth},
      {field::kPower, Cell::number, kPower},
      {field::kEnergy, Cell::number, kEnergy},
      {field::kSmClock, Cell::number, kSmClock},
      {field::kMemClock, Cell::number, kMemClock},
      {field::kGpuTemp, Cell::number, kTemperature},
      {field::kPowerLimit, Cell::number, kPowerLimit},
      {field::kFbUsed, Cell::number, kFbUsed},
  };
  for (std::size_t i = 0; i < split.cells; ++i) {
    const std::string_view name = cells[i];
    if (!name.empty() && std::find(names_.begin(), names_.end(), name) != names_.end()) {
      throw LocatedError(display_name_, record_line_, std::string(name),
                         "duplicate column name in the header");
    }
    names_.emplace_back(name);
    ColumnPlan plan;  // unknown columns are kept and ignored
    for (const Known& k : known) {
      if (name == k.name) plan = {k.kind, k.slot};
    }
    for (std::size_t a = 0; a < kActivityCount; ++a) {
      if (name == kActivityFieldNames[a]) {
        plan = {Cell::number, static_cast<unsigned char>(kFirstActivity + a)};
      }
    }
    plans_.push_back(plan);
    if (plan.kind == Cell::number) {
      number_columns_.push_back(
          {i, plan.slot, std::uint32_t{1} << plan.slot, upper_limit(plan.slot, kFirstActivity)});
    }
    if (plan.kind != Cell::text) continue;
    text_columns_.push_back({i, static_cast<Text>(plan.slot)});
    const int index = static_cast<int>(i);
    if (plan.slot == kTimestamp) timestamp_col_ = index;
    if (plan.slot == kUuid) uuid_col_ = index;
    if (plan.slot == kId) id_col_ = index;
    if (plan.slot == kProfile) profile_col_ = index;
  }
  const std::pair<std::string_view, int> required[] = {{field::kTimestamp, timestamp_col_},
                                                       {field::kGpuUuid, uuid_col_},
                                                       {field::kGpuInstanceId, id_col_}};
  for (const auto& [name, column] : required) {
    if (column == kAbsent) {
      throw LocatedError(display_name_, record_line_, "",
                         "header has no '" + std::string(name) + "' column");
    }
  }
  const auto card_field = [](unsigned slot) { return slot >= kPower && slot <= kPowerLimit; };
  for (std::size_t n = 0; n < number_columns_.size(); ++n) {
    const NumberColumn& number = number_columns_[n];
    if (n > 0 && !number_runs_.empty()) {
      NumberRun& run = number_runs_.back();
      const NumberColumn& previous = number_columns_[n - 1];
      if (previous.column + 1 == number.column &&
          card_field(previous.slot) == card_field(number.slot)) {
        ++run.columns;
        continue;
      }
    }
    number_runs_.push_back({number.column, 1, n});
  }
  cells_.resize(names_.size());
  bounds_.assign(names_.size() + 1, 0);
  bounds_[0] = kBeforeRecord;
}

bool TraceReader::next(Frame& out) {
  while (ready_pos_ == ready_count_) {
    if (finished_) return false;
    std::string_view record;
    if (!next_record(record)) {
      advance_instant();  // the end of the file completes every pending frame
      finished_ = true;
      continue;
    }
    if (record.empty()) continue;
    ++rows_read_;
    if (!options_.lenient) {
      process_record(record);
      continue;
    }
    try {
      process_record(record);
    } catch (const LocatedError& error) {
      ++rows_skipped_;
      if (skip_examples_.size() < kMaxSkipExamples) skip_examples_.emplace_back(error.what());
      note_skipped_card(record);
    }
  }
  Slot& slot = ready_[ready_pos_++];
  slot.frame.instances.resize(slot.used);
  std::swap(out, slot.frame);
  return true;
}

// A skipped card row takes its instance rows along: remember its GPU and timestamp.
void TraceReader::note_skipped_card(std::string_view record) {
  const CsvSplit split =
      split_csv_record(record, std::span(cells_.data(), names_.size()), scratch_);
  const std::size_t usable = split.error.empty() ? split.cells : split.error_cell;
  const auto uuid_col = static_cast<std::size_t>(uuid_col_);
  const auto id_col = static_cast<std::size_t>(id_col_);
  const auto timestamp_col = static_cast<std::size_t>(timestamp_col_);
  if (std::max({uuid_col, id_col, timestamp_col}) >= usable || !cells_[id_col].empty()) return;
  const std::string_view uuid = cells_[uuid_col];
  const auto timestamp = parse_double(cells_[timestamp_col]);
  if (uuid.empty() || !timestamp || skipped_card(uuid, *timestamp)) return;
  skipped_cards_.push_back({std::string(uuid), *timestamp});
}

bool TraceReader::skipped_card(std::string_view uuid, double timestamp) const {
  return std::any_of(skipped_cards_.begin(), skipped_cards_.end(), [&](const SkippedCard& card) {
    return card.timestamp_s == timestamp && card.gpu_uuid == uuid;
  });
}

void TraceReader::advance_instant() {
  std::swap(pending_, ready_);
  ready_count_ = pending_count_;
  ready_pos_ = 0;
  pending_count_ = 0;
  last_slot_ = 0;
  // Time only moves forward: skipped cards of this instant or before can no longer matter.
  std::erase_if(skipped_cards_,
                [&](const SkippedCard& card) { return card.timestamp_s <= instant_s_; });
}

void TraceReader::process_record(std::string_view record) {
  if (record_quoted_) {
    scan_quoted(record);
  } else if (!scan_fast(record)) {
    scan_plain(record);
  }
  const std::string_view uuid = text(kUuid);
  if (uuid.empty()) fail(static_cast<std::size_t>(uuid_col_), "empty gpu_uuid");
  if (have_instant_) {
    if (timestamp_s_ < instant_s_) {
      fail(static_cast<std::size_t>(timestamp_col_),
           "time goes backwards: " + std::string(text(kTimestamp)) +
               " is earlier than the previous row's timestamp");
    }
    if (timestamp_s_ > instant_s_) advance_instant();  // every pending frame is complete
  }
  have_instant_ = true;
  instant_s_ = timestamp_s_;
  if (text(kId).empty()) {
    process_card_row();
  } else {
    process_instance_row();
  }
}

// The hot loop, for a record without quotes: finds the commas, then takes each field from its
// column's cell, with no views of the cells in between and no look at columns nobody reads. It
// throws nothing: on anything unusual (the wrong number of cells, a number it does not read or
// one out of range) it returns false and scan_plain redoes the record, so every error is found
// and named by one path, in one order.
bool TraceReader::scan_fast(std::string_view record) {
  // Room for a comma per byte, so that finding them needs no bound.
  if (record.size() > UINT32_MAX - 2) return false;  // offsets are 32-bit
  if (bounds_.size() < record.size() + 2) bounds_.resize(record.size() + 2);
  std::uint32_t* const bounds = bounds_.data();
  // The record lies in buffer_, whose slack covers the reads past its end.
  const std::size_t commas = find_commas_padded(record, bounds + 1);
  if (commas + 1 != names_.size()) return false;
  bounds[commas + 1] = static_cast<std::uint32_t>(record.size());
  const char* const base = record.data();
  for (const TextColumn& text : text_columns_) {
    const std::uint32_t start = bounds[text.column] + 1;
    texts_[text.slot] = std::string_view(base + start, bounds[text.column + 1] - start);
  }
  std::uint32_t present = 0;
  for (const NumberRun& run : number_runs_) {
    const std::uint32_t* bound = bounds + run.first_column;
    // All empty: the run's span holds nothing but its commas.
    if (bound[run.columns] - bound[0] == run.columns) continue;
    const NumberColumn* number = number_columns_.data() + run.first_number;
    const NumberColumn* const end = number + run.columns;
    for (std::uint32_t before = *bound; number != end; ++number) {
      const std::uint32_t after = *++bound;
      const char* const cell = base + std::uint32_t{before + 1};
      const std::uint32_t length = after - before - 1;
      before = after;
      if (length == 0) continue;  // missing value
      double value = 0.0;         // never negative: no sign is read here
      if (!parse_plain_decimal(cell, length, value) || value > number->limit) return false;
      numbers_[number->slot] = value;
      present |= number->bit;
    }
  }
  present_ = present;
  // Rows of one instant repeat the timestamp text: compare instead of parsing.
  const std::string_view timestamp = text(kTimestamp);
  double seconds = 0.0;
  if (same_text(timestamp, last_timestamp_text_) && !timestamp.empty()) {
    timestamp_s_ = last_timestamp_s_;
  } else if (!timestamp.empty() &&
             parse_plain_decimal(timestamp.data(), timestamp.size(), seconds)) {
    timestamp_s_ = seconds;  // finite: the fast parse reads no exponent
    last_timestamp_text_.assign(timestamp);
    last_timestamp_s_ = seconds;
  } else {
    parse_timestamp(static_cast<std::size_t>(timestamp_col_));
  }
  return true;
}

// The general path for records without quotes: split, then check the numbers in column order,
// then the timestamp.
void TraceReader::scan_plain(std::string_view record) {
  const std::size_t columns = names_.size();
  const std::size_t found = split_unquoted_record(record, std::span(cells_.data(), columns));
  if (found != columns) fail_cell_count(found);
  present_ = 0;
  for (std::size_t column = 0; column < columns; ++column) parse_cell(column);
  const std::string_view timestamp = text(kTimestamp);
  if (timestamp == last_timestamp_text_ && !last_timestamp_text_.empty()) {
    timestamp_s_ = last_timestamp_s_;
  } else {
    parse_timestamp(static_cast<std::size_t>(timestamp_col_));
  }
}

// Records with quoted cells: split first, then parse each cell in column order.
void TraceReader::scan_quoted(std::string_view record) {
  const std::size_t columns = names_.size();
  const CsvSplit split = split_csv_record(record, std::span(cells_.data(), columns), scratch_);
  if (!split.error.empty()) fail(split.error_cell, std::string(split.error));
  if (split.cells != columns) fail_cell_count(split.cells);
  present_ = 0;
  for (std::size_t column = 0; column < columns; ++column) {
    parse_cell(column);
    if (column == static_cast<std::size_t>(timestamp_col_)) parse_timestamp(column);
  }
}

// Takes cells_[column] into its field by the general path (the timestamp's text only).
void TraceReader::parse_cell(std::size_t column) {
  const std::string_view cell = cells_[column];
  const ColumnPlan plan = plans_[column];
  switch (plan.kind) {
    case Cell::ignored:
      return;
    case Cell::text:
      texts_[plan.slot] = cell;
      return;
    case Cell::number: {
      if (cell.empty()) return;  // missing value
      const auto number = parse_double(cell);
      if (!number) fail(column, quoted(cell) + " is not a number");
      check_range(column, *number);
      numbers_[plan.slot] = *number;
      present_ |= std::uint32_t{1} << plan.slot;
      return;
    }
  }
}

// Parses the timestamp's text, already taken from cells_[column].
void TraceReader::parse_timestamp(std::size_t column) {
  const std::string_view cell = text(kTimestamp);
  if (cell.empty()) fail(column, "empty timestamp");
  const auto number = parse_double(cell);
  if (!number) fail(column, quoted(cell) + " is not a number");
  if (!std::isfinite(*number)) fail(column, quoted(cell) + " is not finite");
  timestamp_s_ = *number;
  last_timestamp_text_.assign(cell);
  last_timestamp_s_ = *number;
}

void TraceReader::check_range(std::size_t column, double number) const {
  const double limit = upper_limit(plans_[column].slot, kFirstActivity);
  if (number >= 0.0 && number <= limit) return;
  const std::string_view text = cells_[column];
  if (std::isnan(number)) fail(column, "NaN is not a valid value");
  if (std::isinf(number)) fail(column, quoted(text) + " is not finite");
  if (limit == 1.0) fail(column, quoted(text) + " is outside 0..1");
  fail(column, "negative value " + quoted(text));
}

void TraceReader::process_card_row() {
  const std::string_view uuid = text(kUuid);
  if (find_pending(uuid) != nullptr) {
    fail(static_cast<std::size_t>(uuid_col_),
         "second card row for GPU " + std::string(uuid) + " at this timestamp");
  }
  if (pending_count_ == pending_.size()) pending_.emplace_back();
  Slot& slot = pending_[pending_count_];
  Frame& frame = slot.frame;
  frame.timestamp_s = timestamp_s_;
  assign_text(frame.timestamp_text, text(kTimestamp));
  assign_text(frame.gpu_uuid, uuid);
  assign_text(frame.gpu_model, text(kModel));
  frame.power_w = number(kPower);
  frame.energy_mj = number(kEnergy);
  frame.sm_clock_mhz = number(kSmClock);
  frame.mem_clock_mhz = number(kMemClock);
  frame.temperature_c = number(kTemperature);
  frame.power_limit_w = number(kPowerLimit);
  slot.model = lookup_model(frame.gpu_model);
  slot.used = 0;
  slot.small_ids = 0;
  last_slot_ = pending_count_;
  ++pending_count_;  // committed only now: a bad row leaves nothing behind
}

void TraceReader::process_instance_row() {
  const std::string_view uuid = text(kUuid);
  const auto id_col = static_cast<std::size_t>(id_col_);
  Slot* slot = find_pending(uuid);
  if (slot == nullptr) {
    if (skipped_card(uuid, timestamp_s_)) {
      fail(id_col, "the card row of GPU " + std::string(uuid) +
                       " at this timestamp was skipped, so its instances are too");
    }
    fail(id_col,
         "instance row before the card row of GPU " + std::string(uuid) + " at this timestamp");
  }
  const std::string_view id_text = text(kId);
  unsigned digits = 0;  // at most 9 digits: no overflow
  bool plain = !id_text.empty() && id_text.size() <= 9;
  for (std::size_t i = 0; plain && i < id_text.size(); ++i) {
    const auto digit = static_cast<unsigned>(id_text[i] - '0');
    plain = digit < 10;
    digits = digits * 10 + digit;
  }
  int id = static_cast<int>(digits);
  if (!plain) {
    const auto parsed = parse_int(id_text);
    if (!parsed || *parsed < 0 || *parsed > INT_MAX) {
      fail(id_col, quoted(id_text) + " is not a non-negative integer");
    }
    id = static_cast<int>(*parsed);
  }
  // Duplicates: a bit per small id (MIG ids are below 15), a scan for the rest.
  Frame& frame = slot->frame;
  const std::uint64_t bit = id < 64 ? std::uint64_t{1} << id : 0;
  bool duplicate = (slot->small_ids & bit) != 0;
  if (bit == 0) {
    for (std::size_t i = 0; i < slot->used; ++i)
      duplicate = duplicate || frame.instances[i].gpu_i_id == id;
  }
  if (duplicate) {
    fail(id_col, "instance " + std::string(id_text) + " of GPU " + std::string(uuid) +
                     " appears twice at this timestamp");
  }
  const std::string_view profile = text(kProfile);
  const CachedProfile& resolved = lookup_profile(slot->model, profile);

  if (slot->used == frame.instances.size()) frame.instances.emplace_back();
  InstanceSample& sample = frame.instances[slot->used];
  sample.gpu_i_id = id;
  assign_text(sample.profile, profile);
  sample.compute_slices = resolved.compute_slices;
  sample.memory_slices = resolved.memory_slices;
  for (std::size_t a = 0; a < kActivityCount; ++a) {
    sample.activity[a] = number(static_cast<unsigned>(kFirstActivity + a));
  }
  sample.fb_used_mib = number(kFbUsed);
  assign_text(sample.workload, text(kWorkload));
  sample.truth_power_w = number(kTruth);
  slot->small_ids |= bit;
  ++slot->used;
}

// Rows of one GPU come together: the previous row's GPU is tried first.
TraceReader::Slot* TraceReader::find_pending(std::string_view uuid) {
  if (last_slot_ < pending_count_ && same_text(pending_[last_slot_].frame.gpu_uuid, uuid)) {
    return &pending_[last_slot_];
  }
  return find_pending_slow(uuid);
}

TraceReader::Slot* TraceReader::find_pending_slow(std::string_view uuid) {
  for (std::size_t i = 0; i < pending_count_; ++i) {
    if (pending_[i].frame.gpu_uuid == uuid) {
      last_slot_ = i;
      return &pending_[i];
    }
  }
  return nullptr;
}

const GpuModel* TraceReader::lookup_model(std::string_view name) {
  if (name.empty()) return nullptr;
  for (const auto& cached : models_) {
    if (cached.name == name) return cached.model;
  }
  const GpuModel* model = find_gpu_model(name);
  if (models_.size() < kMaxCachedModels) models_.push_back({std::string(name), model});
  return model;
}

const TraceReader::CachedProfile& TraceReader::lookup_profile(const GpuModel* model,
                                                              std::string_view profile) {
  if (last_profile_ < profiles_.size()) {
    const CachedProfile& hint = profiles_[last_profile_];
    if (hint.model == model && same_text(hint.profile, profile)) return hint;
  }
  return lookup_profile_slow(model, profile);
}

const TraceReader::CachedProfile& TraceReader::lookup_profile_slow(const GpuModel* model,
                                                                   std::string_view profile) {
  for (std::size_t i = 0; i < profiles_.size(); ++i) {
    if (profiles_[i].model == model && profiles_[i].profile == profile) {
      last_profile_ = i;
      return profiles_[i];
    }
  }
  CachedProfile entry{model, std::string(profile), 0, 0};
  if (!profile.empty()) {  // no profile: slices unknown (0), as for a card without MIG
    try {
      const ResolvedProfile resolved = resolve_profile(model, profile);
      entry.compute_slices = resolved.compute_slices;
      entry.memory_slices = resolved.memory_slices;
    } catch (const InputError& error) {
      fail(static_cast<std::size_t>(profile_col_), error.what());
    }
  }
  if (profiles_.size() >= kMaxCachedProfiles) {
    uncached_profile_ = std::move(entry);
    return uncached_profile_;
  }
  last_profile_ = profiles_.size();
  profiles_.push_back(std::move(entry));
  return profiles_.back();
}

std::optional<double> TraceReader::number(unsigned field) const {
  if ((present_ >> field & 1U) == 0) return std::nullopt;
  return numbers_[field];
}

void TraceReader::fail(std::size_t column, const std::string& message) const {
  std::string label =
      column < names_.size() ? names_[column] : "cell " + std::to_string(column + 1);
  throw LocatedError(display_name_, record_line_, std::move(label), message);
}

void TraceReader::fail_cell_count(std::size_t found) const {
  const std::string message = "expected " + std::to_string(names_.size()) +
                              " cells as in the header, found " + std::to_string(found);
  // Names the first missing column, or the first extra cell.
  fail(std::min(found, names_.size()), message);
}

}  // namespace migpower
