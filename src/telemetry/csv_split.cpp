#include "telemetry/csv_split.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace migpower {
namespace {

// Unquoted records are the hot path of every trace: find the commas 16 bytes at a time.
std::size_t split_plain(std::string_view record, std::span<std::string_view> cells) {
  const char* const begin = record.data();
  const char* const end = begin + record.size();
  const char* cell = begin;
  std::size_t n = 0;
  const auto emit = [&](const char* comma) {
    if (n < cells.size()) cells[n] = std::string_view(cell, static_cast<std::size_t>(comma - cell));
    ++n;
    cell = comma + 1;
  };
  const char* p = begin;
#if defined(__SSE2__)
  const __m128i commas = _mm_set1_epi8(',');
  for (; end - p >= 16; p += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, commas)));
    while (mask != 0) {
      emit(p + __builtin_ctz(mask));
      mask &= mask - 1;
    }
  }
#endif
  for (; p != end; ++p) {
    if (*p == ',') emit(p);
  }
  if (n < cells.size()) cells[n] = std::string_view(cell, static_cast<std::size_t>(end - cell));
  return n + 1;
}

CsvSplit split_quoted(std::string_view record, std::span<std::string_view> cells,
                      std::string& scratch) {
  scratch.clear();
  scratch.reserve(record.size());  // never grows below: views into it stay valid
  CsvSplit result;
  std::size_t i = 0;
  const std::size_t size = record.size();
  while (true) {
    std::string_view value;
    if (i < size && record[i] == '"') {
      // Quoted cell: copy out only when it holds doubled quotes.
      const std::size_t start = i + 1;
      std::size_t j = start;
      bool escaped = false;
      while (true) {
        const std::size_t q = record.find('"', j);
        if (q == std::string_view::npos) {
          return {result.cells + 1, "unterminated quoted cell", result.cells};
        }
        if (q + 1 < size && record[q + 1] == '"') {
          escaped = true;
          j = q + 2;
          continue;
        }
        if (!escaped) {
          value = record.substr(start, q - start);
        } else {
          const std::size_t from = scratch.size();
          for (std::size_t k = start; k < q; ++k) {
            scratch.push_back(record[k]);
            if (record[k] == '"') ++k;  // keep one of each doubled pair
          }
          value = std::string_view(scratch).substr(from);
        }
        i = q + 1;
        break;
      }
      if (i < size && record[i] != ',') {
        return {result.cells + 1, "text after the closing quote of a cell", result.cells};
      }
    } else {
      std::size_t comma = record.find(',', i);
      if (comma == std::string_view::npos) comma = size;
      value = record.substr(i, comma - i);
      if (value.find('"') != std::string_view::npos) {
        return {result.cells + 1, "quote inside an unquoted cell", result.cells};
      }
      i = comma;
    }
    if (result.cells < cells.size()) cells[result.cells] = value;
    ++result.cells;
    if (i >= size) break;
    ++i;  // past the comma
  }
  return result;
}

}  // namespace

CsvSplit split_csv_record(std::string_view record, std::span<std::string_view> cells,
                          std::string& scratch) {
  if (record.empty() || std::memchr(record.data(), '"', record.size()) == nullptr) {
    return {split_plain(record, cells), {}, 0};
  }
  return split_quoted(record, cells, scratch);
}

}  // namespace migpower
