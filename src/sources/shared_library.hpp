#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include "core/error.hpp"

// What the NVML and DCGM bindings share: a C library opened at run time with dlopen (so no
// vendor header or library is needed to build), its function pointers resolved by name, and
// errors that carry the library's return code. Each binding keeps its own codes and words.
namespace migpower {

// A shared library opened with dlopen(RTLD_NOW | RTLD_LOCAL), closed when this is destroyed.
class SharedLibrary {
 public:
  // Opens `path`. Does not throw: is_open() says whether it worked, open_error() why not.
  explicit SharedLibrary(const std::string& path);
  ~SharedLibrary();
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;

  [[nodiscard]] bool is_open() const { return handle_ != nullptr; }
  // dlerror's reason the library could not be opened; empty when it is open.
  [[nodiscard]] const std::string& open_error() const { return open_error_; }

  // Stores the symbol `name` in a typed function pointer, null when the library lacks it.
  // Returns whether it was found.
  template <typename Function>
  bool resolve(const char* name, Function& out) const {
    // memcpy: a cast between object and function pointers is only conditionally supported.
    static_assert(sizeof(Function) == sizeof(void*));
    void* symbol = find(name);
    std::memcpy(&out, &symbol, sizeof(out));
    return symbol != nullptr;
  }

 private:
  [[nodiscard]] void* find(const char* name) const;

  void* handle_ = nullptr;
  std::string open_error_;
};

// The value of the environment variable `variable` when set and not empty, else `fallback`:
// how an operator points migpower at a library outside the loader's search path.
[[nodiscard]] std::string library_path_from_env(const char* variable, const char* fallback);

// A library could not be used: it is missing, lacks a required symbol, or a call that cannot be
// done without failed. code() is the library's own return code.
class LibraryError : public InputError {
 public:
  LibraryError(int code, const std::string& message) : InputError(message), code_(code) {}
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

// "call: <meaning> (<api> error <code>: <detail>)", without ": <detail>" when detail is null or
// empty. `detail` is the library's own error string for the code.
[[nodiscard]] std::string call_failure_message(std::string_view call, std::string_view meaning,
                                               std::string_view api, int code, const char* detail);

}  // namespace migpower
