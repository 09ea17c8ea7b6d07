#include "telemetry/trace_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "core/error.hpp"
#include "core/parse_number.hpp"
#include "telemetry/csv_split.hpp"

namespace migpower {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
constexpr std::size_t kSlack = 64;  // readable bytes past the data, for 8- and 16-byte loads
constexpr std::size_t kMaxSkipExamples = 5;
constexpr std::size_t kMaxCachedModels = 64;  // bounds memory on hostile input
constexpr std::size_t kMaxCachedProfiles = 256;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr double kNoLimit = std::numeric_limits<double>::max();

// Built by appending: "literal" + std::string trips GCC 12's -Wrestrict (PR 105651).
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  out.append(text);
  out.push_back('\'');
  return out;
}

}  // namespace

TraceReader::TraceReader(std::string path, TraceReaderOptions options)
    : path_(std::move(path)),
      display_name_(path_ == "-" ? "<stdin>" : path_),
      options_(options),
      buffer_(kChunkBytes + kSlack, '\n'),
      capacity_(kChunkBytes) {
  activity_cols_.fill(kAbsent);
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

// Finds the next record: up to the first newline outside a quoted cell.
bool TraceReader::next_record(std::string_view& record) {
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
    int* column;
    Cell kind;
    double limit;
  };
  const Known known[] = {
      {field::kTimestamp, &timestamp_col_, Cell::timestamp, 0.0},
      {field::kGpuUuid, &uuid_col_, Cell::text, 0.0},
      {field::kGpuModel, &model_col_, Cell::text, 0.0},
      {field::kGpuInstanceId, &id_col_, Cell::text, 0.0},
      {field::kGpuInstanceProfile, &profile_col_, Cell::text, 0.0},
      {field::kWorkload, &workload_col_, Cell::text, 0.0},
      {field::kTruthPower, &truth_col_, Cell::number, kNoLimit},
      {field::kPower, &power_col_, Cell::number, kNoLimit},
      {field::kEnergy, &energy_col_, Cell::number, kNoLimit},
      {field::kSmClock, &sm_clock_col_, Cell::number, kNoLimit},
      {field::kMemClock, &mem_clock_col_, Cell::number, kNoLimit},
      {field::kGpuTemp, &temperature_col_, Cell::number, kNoLimit},
      {field::kPowerLimit, &power_limit_col_, Cell::number, kNoLimit},
      {field::kFbUsed, &fb_col_, Cell::number, kNoLimit},
  };
  for (std::size_t i = 0; i < split.cells; ++i) {
    const std::string_view name = cells[i];
    const int index = static_cast<int>(i);
    if (!name.empty() && std::find(names_.begin(), names_.end(), name) != names_.end()) {
      throw LocatedError(display_name_, record_line_, std::string(name),
                         "duplicate column name in the header");
    }
    names_.emplace_back(name);
    Cell kind = Cell::text;  // unknown columns are kept as text and ignored
    double limit = 0.0;
    for (const Known& k : known) {
      if (name == k.name) {
        *k.column = index;
        kind = k.kind;
        limit = k.limit;
      }
    }
    for (std::size_t a = 0; a < kActivityCount; ++a) {
      if (name == kActivityFieldNames[a]) {
        activity_cols_[a] = index;
        kind = Cell::number;
        limit = 1.0;  // fractions
      }
    }
    kinds_.push_back(kind);
    limits_.push_back(limit);
  }
  for (const Known& k : {known[0], known[1], known[3]}) {
    if (*k.column == kAbsent) {
      throw LocatedError(display_name_, record_line_, "",
                         "header has no '" + std::string(k.name) + "' column");
    }
  }
  // One extra cell, always empty, stands for every absent column.
  cells_.resize(names_.size() + 1);
  values_.resize(names_.size() + 1);
  const int empty_col = static_cast<int>(names_.size());
  for (int* column :
       {&model_col_, &profile_col_, &workload_col_, &truth_col_, &power_col_, &energy_col_,
        &sm_clock_col_, &mem_clock_col_, &temperature_col_, &power_limit_col_, &fb_col_}) {
    if (*column == kAbsent) *column = empty_col;
  }
  for (int& column : activity_cols_) {
    if (column == kAbsent) column = empty_col;
  }
  for (std::size_t i = 0; i < kinds_.size(); ++i) {
    if (kinds_[i] == Cell::number) number_cols_.push_back(i);
  }
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
  } else {
    scan_plain(record);
  }
  const std::string_view uuid = cells_[static_cast<std::size_t>(uuid_col_)];
  if (uuid.empty()) fail(static_cast<std::size_t>(uuid_col_), "empty gpu_uuid");
  if (have_instant_) {
    if (timestamp_s_ < instant_s_) {
      fail(static_cast<std::size_t>(timestamp_col_),
           "time goes backwards: " + std::string(cell(timestamp_col_)) +
               " is earlier than the previous row's timestamp");
    }
    if (timestamp_s_ > instant_s_) advance_instant();  // every pending frame is complete
  }
  have_instant_ = true;
  instant_s_ = timestamp_s_;
  if (cells_[static_cast<std::size_t>(id_col_)].empty()) {
    process_card_row();
  } else {
    process_instance_row();
  }
}

// The hot loop. Splitting first gives every cell's extent, so the numbers parse independently
// and the processor overlaps them.
void TraceReader::scan_plain(std::string_view record) {
  const std::size_t columns = names_.size();
  const std::size_t found = split_unquoted_record(record, std::span(cells_.data(), columns));
  if (found != columns) fail_cell_count(found);
  for (const std::size_t column : number_cols_) {
    const std::string_view text = cells_[column];
    if (text.empty()) continue;  // missing value
    double number = 0.0;
    if (!parse_short_decimal(text.data(), text.size(), number) &&
        scan_decimal(text.data(), number) != text.data() + text.size()) {
      parse_cell(column);  // exponent, nan, garbage: the general path says which
      continue;
    }
    if (!(number >= 0.0 && number <= limits_[column])) check_range(column, number);
    values_[column] = number;
  }
  // Rows of one instant repeat the timestamp text: compare instead of parsing.
  const auto timestamp_col = static_cast<std::size_t>(timestamp_col_);
  if (cells_[timestamp_col] == last_timestamp_text_ && !last_timestamp_text_.empty()) {
    timestamp_s_ = last_timestamp_s_;
  } else {
    parse_cell(timestamp_col);
  }
}

// Records with quoted cells: split first, then parse each cell.
void TraceReader::scan_quoted(std::string_view record) {
  const std::size_t columns = names_.size();
  const CsvSplit split = split_csv_record(record, std::span(cells_.data(), columns), scratch_);
  if (!split.error.empty()) fail(split.error_cell, std::string(split.error));
  if (split.cells != columns) fail_cell_count(split.cells);
  for (std::size_t column = 0; column < columns; ++column) parse_cell(column);
}

// Parses cells_[column] by the general path.
void TraceReader::parse_cell(std::size_t column) {
  const std::string_view text = cells_[column];
  switch (kinds_[column]) {
    case Cell::text:
      return;
    case Cell::number: {
      if (text.empty()) return;
      const auto number = parse_double(text);
      if (!number) fail(column, quoted(text) + " is not a number");
      check_range(column, *number);
      values_[column] = *number;
      return;
    }
    case Cell::timestamp: {
      if (text.empty()) fail(column, "empty timestamp");
      const auto number = parse_double(text);
      if (!number) fail(column, quoted(text) + " is not a number");
      if (!std::isfinite(*number)) fail(column, quoted(text) + " is not finite");
      timestamp_s_ = *number;
      last_timestamp_text_.assign(text);
      last_timestamp_s_ = *number;
      return;
    }
  }
}

void TraceReader::check_range(std::size_t column, double number) const {
  if (number >= 0.0 && number <= limits_[column]) return;
  const std::string_view text = cells_[column];
  if (std::isnan(number)) fail(column, "NaN is not a valid value");
  if (std::isinf(number)) fail(column, quoted(text) + " is not finite");
  if (limits_[column] == 1.0) fail(column, quoted(text) + " is outside 0..1");
  fail(column, "negative value " + quoted(text));
}

void TraceReader::process_card_row() {
  const std::string_view uuid = cell(uuid_col_);
  if (find_pending(uuid) != nullptr) {
    fail(static_cast<std::size_t>(uuid_col_),
         "second card row for GPU " + std::string(uuid) + " at this timestamp");
  }
  if (pending_count_ == pending_.size()) pending_.emplace_back();
  Slot& slot = pending_[pending_count_];
  Frame& frame = slot.frame;
  frame.timestamp_s = timestamp_s_;
  frame.timestamp_text.assign(cell(timestamp_col_));
  frame.gpu_uuid.assign(uuid);
  frame.gpu_model.assign(cell(model_col_));
  frame.power_w = value(power_col_);
  frame.energy_mj = value(energy_col_);
  frame.sm_clock_mhz = value(sm_clock_col_);
  frame.mem_clock_mhz = value(mem_clock_col_);
  frame.temperature_c = value(temperature_col_);
  frame.power_limit_w = value(power_limit_col_);
  slot.model = lookup_model(frame.gpu_model);
  slot.used = 0;
  slot.small_ids = 0;
  last_slot_ = pending_count_;
  ++pending_count_;  // committed only now: a bad row leaves nothing behind
}

void TraceReader::process_instance_row() {
  const std::string_view uuid = cell(uuid_col_);
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
  const std::string_view id_text = cells_[id_col];
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
  const std::string_view profile = cell(profile_col_);
  const CachedProfile& resolved = lookup_profile(slot->model, profile);

  if (slot->used == frame.instances.size()) frame.instances.emplace_back();
  InstanceSample& sample = frame.instances[slot->used];
  sample.gpu_i_id = id;
  sample.profile.assign(profile);
  sample.compute_slices = resolved.compute_slices;
  sample.memory_slices = resolved.memory_slices;
  for (std::size_t a = 0; a < kActivityCount; ++a) sample.activity[a] = value(activity_cols_[a]);
  sample.fb_used_mib = value(fb_col_);
  sample.workload.assign(cell(workload_col_));
  sample.truth_power_w = value(truth_col_);
  slot->small_ids |= bit;
  ++slot->used;
}

TraceReader::Slot* TraceReader::find_pending(std::string_view uuid) {
  if (last_slot_ < pending_count_ && pending_[last_slot_].frame.gpu_uuid == uuid) {
    return &pending_[last_slot_];
  }
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
    if (hint.model == model && hint.profile == profile) return hint;
  }
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

// Absent columns point at the always empty cell past the last column: no test for them here.
std::string_view TraceReader::cell(int column) const {
  return cells_[static_cast<std::size_t>(column)];
}

std::optional<double> TraceReader::value(int column) const {
  const auto index = static_cast<std::size_t>(column);
  if (cells_[index].empty()) return std::nullopt;
  return values_[index];
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
