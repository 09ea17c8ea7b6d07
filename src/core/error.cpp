#include "core/error.hpp"

namespace migpower {
namespace {

std::string format_location(const std::string& file, std::size_t line, const std::string& column,
                            const std::string& message) {
  std::string text = file + ":" + std::to_string(line) + ": ";
  if (!column.empty()) text += "column " + column + ": ";
  return text + message;
}

}  // namespace

// Built by appending: "literal" + std::string trips GCC 12's -Wrestrict (PR 105651).
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  out.append(text);
  out.push_back('\'');
  return out;
}

LocatedError::LocatedError(std::string file, std::size_t line, std::string column,
                           const std::string& message)
    : InputError(format_location(file, line, column, message)),
      file_(std::move(file)),
      line_(line),
      column_(std::move(column)),
      reason_(message) {}

}  // namespace migpower
