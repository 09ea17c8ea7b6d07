#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace migpower {

// A cell's text as an error message shows it: 'text'.
std::string quoted(std::string_view text);

// Bad input from a file or a user. The CLI maps it to exit code 1.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input at a known place in a file: "trace.csv:12: column X: message".
class LocatedError : public InputError {
 public:
  LocatedError(std::string file, std::size_t line, std::string column, const std::string& message);

  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] std::size_t line() const { return line_; }
  [[nodiscard]] const std::string& column() const { return column_; }
  // The message without the location prefix.
  [[nodiscard]] const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  std::size_t line_;
  std::string column_;
  std::string reason_;
};

}  // namespace migpower
