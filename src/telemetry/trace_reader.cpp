#include "telemetry/trace_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <utility>

#include "core/error.hpp"
#include "core/parse_number.hpp"
#include "telemetry/csv_split.hpp"

namespace migpower {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxSkipExamples = 5;
constexpr std::size_t kMaxCachedModels = 64;  // bounds memory on hostile input
constexpr std::size_t kMaxCachedProfiles = 256;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

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
      buffer_(kChunkBytes) {
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
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);  // a record beyond one chunk
  while (true) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n > 0) {
      end_ += static_cast<std::size_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
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
    }
    const char* const base = buffer_.data();
    std::size_t length = stop - begin_;
    if (length > 0 && base[begin_ + length - 1] == '\r') --length;
    record = std::string_view(base + begin_, length);
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
  const std::pair<std::string_view, Column> kKeys[] = {
      {field::kTimestamp, Column::timestamp},
      {field::kGpuUuid, Column::gpu_uuid},
      {field::kGpuModel, Column::gpu_model},
      {field::kGpuInstanceId, Column::gpu_i_id},
      {field::kGpuInstanceProfile, Column::gpu_i_profile},
      {field::kWorkload, Column::workload},
      {field::kTruthPower, Column::truth_power},
      {field::kPower, Column::power},
      {field::kEnergy, Column::energy},
      {field::kSmClock, Column::sm_clock},
      {field::kMemClock, Column::mem_clock},
      {field::kGpuTemp, Column::temperature},
      {field::kPowerLimit, Column::power_limit},
      {field::kFbUsed, Column::fb_used},
  };
  for (std::size_t i = 0; i < split.cells; ++i) {
    const std::string_view name = cells[i];
    const int index = static_cast<int>(i);
    if (!name.empty() && std::find(names_.begin(), names_.end(), name) != names_.end()) {
      throw LocatedError(display_name_, record_line_, std::string(name),
                         "duplicate column name in the header");
    }
    names_.emplace_back(name);
    Column kind = Column::ignored;
    for (const auto& [key, column] : kKeys) {
      if (name == key) kind = column;
    }
    for (std::size_t a = 0; a < kActivityCount; ++a) {
      if (name == kActivityFieldNames[a]) {
        kind = Column::activity;
        activity_cols_[a] = index;
      }
    }
    kinds_.push_back(kind);
    switch (kind) {
      case Column::timestamp:
        timestamp_col_ = index;
        break;
      case Column::gpu_uuid:
        uuid_col_ = index;
        break;
      case Column::gpu_model:
        model_col_ = index;
        break;
      case Column::gpu_i_id:
        id_col_ = index;
        break;
      case Column::gpu_i_profile:
        profile_col_ = index;
        break;
      case Column::workload:
        workload_col_ = index;
        break;
      case Column::truth_power:
        truth_col_ = index;
        break;
      case Column::power:
        power_col_ = index;
        break;
      case Column::energy:
        energy_col_ = index;
        break;
      case Column::sm_clock:
        sm_clock_col_ = index;
        break;
      case Column::mem_clock:
        mem_clock_col_ = index;
        break;
      case Column::temperature:
        temperature_col_ = index;
        break;
      case Column::power_limit:
        power_limit_col_ = index;
        break;
      case Column::fb_used:
        fb_col_ = index;
        break;
      case Column::activity:
      case Column::ignored:
        break;
    }
  }
  for (const auto& [column, name] :
       {std::pair{timestamp_col_, field::kTimestamp}, std::pair{uuid_col_, field::kGpuUuid},
        std::pair{id_col_, field::kGpuInstanceId}}) {
    if (column == kAbsent) {
      throw LocatedError(display_name_, record_line_, "",
                         "header has no '" + std::string(name) + "' column");
    }
  }
  cells_.resize(names_.size());
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
      // Its instance rows must go too: remember the GPU until the instant changes.
      if (!row_card_uuid_.empty() && std::find(skipped_cards_.begin(), skipped_cards_.end(),
                                               row_card_uuid_) == skipped_cards_.end()) {
        skipped_cards_.emplace_back(row_card_uuid_);
      }
    }
  }
  Slot& slot = ready_[ready_pos_++];
  slot.frame.instances.resize(slot.used);
  std::swap(out, slot.frame);
  return true;
}

void TraceReader::advance_instant() {
  std::swap(pending_, ready_);
  ready_count_ = pending_count_;
  ready_pos_ = 0;
  pending_count_ = 0;
  last_slot_ = 0;
  skipped_cards_.clear();
}

void TraceReader::process_record(std::string_view record) {
  row_card_uuid_ = {};
  const CsvSplit split = split_csv_record(record, cells_, scratch_);
  if (!split.error.empty()) fail(static_cast<int>(split.error_cell), std::string(split.error));
  if (split.cells != names_.size()) {
    const auto where = static_cast<int>(std::min(split.cells, names_.size()));
    fail(where, "expected " + std::to_string(names_.size()) + " cells as in the header, found " +
                    std::to_string(split.cells));
  }
  const bool card_row = cells_[static_cast<std::size_t>(id_col_)].empty();
  const std::string_view uuid = cells_[static_cast<std::size_t>(uuid_col_)];
  if (uuid.empty()) fail(uuid_col_, "empty gpu_uuid");
  if (card_row) row_card_uuid_ = uuid;

  // Rows of one instant usually repeat the timestamp text: parse it once.
  const std::string_view text = cells_[static_cast<std::size_t>(timestamp_col_)];
  double timestamp = last_timestamp_s_;
  if (text != last_timestamp_text_ || text.empty()) {
    if (text.empty()) fail(timestamp_col_, "empty timestamp");
    const auto value = parse_double(text);
    if (!value) fail(timestamp_col_, quoted(text) + " is not a number");
    if (!std::isfinite(*value)) fail(timestamp_col_, quoted(text) + " is not finite");
    timestamp = *value;
    last_timestamp_text_.assign(text);
    last_timestamp_s_ = timestamp;
  }
  if (have_instant_) {
    if (timestamp < instant_s_) {
      fail(timestamp_col_, "time goes backwards: " + std::string(text) +
                               " is earlier than the previous row's timestamp");
    }
    if (timestamp > instant_s_) advance_instant();
  }
  have_instant_ = true;
  instant_s_ = timestamp;

  if (card_row) {
    process_card_row(timestamp, text);
  } else {
    process_instance_row(uuid);
  }
}

void TraceReader::process_card_row(double timestamp, std::string_view text) {
  const std::string_view uuid = cell(uuid_col_);
  if (find_pending(uuid) != nullptr) {
    fail(uuid_col_, "second card row for GPU " + std::string(uuid) + " at this timestamp");
  }
  if (pending_count_ == pending_.size()) pending_.emplace_back();
  Slot& slot = pending_[pending_count_];
  Frame& frame = slot.frame;
  // Parse every value before committing the slot, so a bad row leaves no trace.
  frame.power_w = number(power_col_, false);
  frame.energy_mj = number(energy_col_, false);
  frame.sm_clock_mhz = number(sm_clock_col_, false);
  frame.mem_clock_mhz = number(mem_clock_col_, false);
  frame.temperature_c = number(temperature_col_, false);
  frame.power_limit_w = number(power_limit_col_, false);
  frame.timestamp_s = timestamp;
  frame.timestamp_text.assign(text);
  frame.gpu_uuid.assign(uuid);
  frame.gpu_model.assign(cell(model_col_));
  slot.model = lookup_model(frame.gpu_model);
  slot.used = 0;
  last_slot_ = pending_count_;
  ++pending_count_;
}

void TraceReader::process_instance_row(std::string_view uuid) {
  Slot* slot = find_pending(uuid);
  if (slot == nullptr) {
    if (std::find(skipped_cards_.begin(), skipped_cards_.end(), uuid) != skipped_cards_.end()) {
      fail(id_col_, "the card row of GPU " + std::string(uuid) +
                        " at this timestamp was skipped, so its instances are too");
    }
    fail(id_col_,
         "instance row before the card row of GPU " + std::string(uuid) + " at this timestamp");
  }
  const std::string_view id_text = cell(id_col_);
  const auto id = parse_int(id_text);
  if (!id || *id < 0 || *id > INT_MAX) {
    fail(id_col_, quoted(id_text) + " is not a non-negative integer");
  }
  Frame& frame = slot->frame;
  for (std::size_t i = 0; i < slot->used; ++i) {
    if (frame.instances[i].gpu_i_id == *id) {
      fail(id_col_, "instance " + std::string(id_text) + " of GPU " + std::string(uuid) +
                        " appears twice at this timestamp");
    }
  }
  const std::string_view profile = cell(profile_col_);
  const CachedProfile& resolved = lookup_profile(slot->model, profile);

  if (slot->used == frame.instances.size()) frame.instances.emplace_back();
  InstanceSample& sample = frame.instances[slot->used];
  for (std::size_t a = 0; a < kActivityCount; ++a) {
    sample.activity[a] = number(activity_cols_[a], true);
  }
  sample.fb_used_mib = number(fb_col_, false);
  sample.truth_power_w = number(truth_col_, false);
  sample.gpu_i_id = static_cast<int>(*id);
  sample.profile.assign(profile);
  sample.compute_slices = resolved.compute_slices;
  sample.memory_slices = resolved.memory_slices;
  sample.workload.assign(cell(workload_col_));
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
  if (!profile.empty()) {  // no profile: slices unknown (0), as without MIG
    try {
      const ResolvedProfile resolved = resolve_profile(model, profile);
      entry.compute_slices = resolved.compute_slices;
      entry.memory_slices = resolved.memory_slices;
    } catch (const InputError& error) {
      fail(profile_col_, error.what());
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

std::string_view TraceReader::cell(int column) const {
  return column == kAbsent ? std::string_view() : cells_[static_cast<std::size_t>(column)];
}

std::optional<double> TraceReader::number(int column, bool fraction) const {
  const std::string_view text = cell(column);
  if (text.empty()) return std::nullopt;
  const auto value = parse_double(text);
  if (!value) fail(column, quoted(text) + " is not a number");
  if (std::isnan(*value)) fail(column, "NaN is not a valid value");
  if (std::isinf(*value)) fail(column, quoted(text) + " is not finite");
  if (fraction) {
    if (*value < 0.0 || *value > 1.0) fail(column, quoted(text) + " is outside 0..1");
  } else if (*value < 0.0) {
    fail(column, "negative value " + quoted(text));
  }
  return value;
}

void TraceReader::fail(int column, const std::string& message) const {
  std::string label;
  if (column >= 0 && static_cast<std::size_t>(column) < names_.size()) {
    label = names_[static_cast<std::size_t>(column)];
  } else if (column >= 0) {
    label = "cell " + std::to_string(column + 1);
  }
  throw LocatedError(display_name_, record_line_, std::move(label), message);
}

}  // namespace migpower
